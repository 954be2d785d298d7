/// libFuzzer target: CSVReader. Invariants: no crash; the records are the same whether the input is
/// fed at once, one byte at a time, or in odd chunks; lines only go up and stay within the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let whole = try? CSVReader.records(of: bytes) else { return 0 }

    let single = CSVReader()
    var bytewise: [CSVRecord] = []
    for byte in bytes {
        try! withUnsafeBytes(of: byte) { try single.feed($0) { bytewise.append($0.compacted()) } }
    }
    try! single.finish { bytewise.append($0.compacted()) }
    FuzzSupport.check(bytewise.map(\.fields) == whole.map(\.fields), "byte-at-a-time fields differ")
    FuzzSupport.check(bytewise.map(\.line) == whole.map(\.line), "byte-at-a-time lines differ")
    FuzzSupport.check(bytewise.map(\.rawText) == whole.map(\.rawText), "byte-at-a-time raw differs")
    FuzzSupport.check(bytewise.map(\.hasInvalidUTF8) == whole.map(\.hasInvalidUTF8), "byte-at-a-time UTF-8 flag")

    let chunked = CSVReader()
    var pieces: [CSVRecord] = []
    for chunk in FuzzSupport.chunks(bytes) {
        try! chunk.withUnsafeBytes { try chunked.feed($0) { pieces.append($0.compacted()) } }
    }
    try! chunked.finish { pieces.append($0.compacted()) }
    FuzzSupport.check(pieces == whole, "chunked records differ")

    let lineCount = 1 + bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    var previous = 0
    for record in whole {
        FuzzSupport.check(record.line > previous && record.line <= lineCount, "line \(record.line) after \(previous)")
        previous = record.line
        FuzzSupport.check(record.fieldCount >= 1, "a record without cells")
        _ = record.fields
    }
    return 0
}
