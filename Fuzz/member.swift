/// libFuzzer target: MemberNormalizer, the whole row path of Normalize (header, convention, fields).
/// The first input byte picks the kind and number format; the rest is the member. Invariants: no
/// crash; byte-at-a-time and chunked feeding give the same rows (or the same header error) as
/// feeding all at once; lines strictly increase.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMember(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let selector = data[0]
    let kind = [RecordKind.enterprise, .transaction, .grdp][Int(selector % 3)]
    let format = [PipelineConfig.NumberFormat.auto, .en, .vi][Int(selector / 3 % 3)]
    let config = FuzzSupport.config(numberFormat: format)
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))

    func run(_ pieces: [ArraySlice<UInt8>]) -> Result<[NormalizedRow], HeaderError> {
        let normalizer = MemberNormalizer(kind: kind, config: config, memberPath: "fuzz.csv")
        var rows: [NormalizedRow] = []
        do {
            for piece in pieces {
                try piece.withUnsafeBytes { try normalizer.feed($0) { rows.append($0) } }
            }
            try normalizer.finish { rows.append($0) }
        } catch let error as HeaderError {
            return .failure(error)
        } catch {
            FuzzSupport.check(false, "unexpected error \(error)")
        }
        return .success(rows)
    }

    let whole = run([bytes[...]])
    let bytewise = run(bytes.indices.map { bytes[$0..<($0 + 1)] })
    let chunked = run(FuzzSupport.chunks(bytes))
    FuzzSupport.check(whole == bytewise, "byte-at-a-time differs")
    FuzzSupport.check(whole == chunked, "chunked differs")
    if case .success(let rows) = whole {
        for (a, b) in zip(rows, rows.dropFirst()) { FuzzSupport.check(a.line < b.line, "lines \(a.line), \(b.line)") }
    }
    return 0
}
