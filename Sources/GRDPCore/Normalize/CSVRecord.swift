/// One record of a CSV member as `CSVReader` delimits it: its cells (unquoted, unescaped, not yet
/// trimmed), the physical line it starts on and its raw text.
///
/// A cell is a range of the raw text (for an unquoted cell, or a quoted one without `""` inside), or,
/// rarely, of a side buffer holding its unescaped bytes. Reading a row copies its bytes once and
/// allocates nothing per cell.
public struct CSVRecord: Sendable {
    /// Physical line of the member (1-based, blank lines and line breaks inside quotes counted) on
    /// which the record starts.
    public internal(set) var line: Int = 1
    /// The record's bytes as read, without its line break (the CR of a CRLF included).
    var raw: [UInt8] = []
    /// Per cell: start offset in `raw`, or, when negative, `~start` in `unescaped`.
    var starts: [Int] = []
    /// Per cell: end offset in `raw`, or, when the start is negative, `~end` in `unescaped`.
    var ends: [Int] = []
    /// The unescaped bytes of cells that are not a plain range of `raw` (`"say ""hi"""`, `"ab"c`).
    var unescaped: [UInt8] = []
    /// The record holds bytes that are not well-formed UTF-8.
    public internal(set) var hasInvalidUTF8 = false
    /// A quoted cell was still open at the end of the member: the record runs to the end of the member.
    public internal(set) var hasUnterminatedQuote = false
    /// The record was longer than `CSVReader.maxRecordBytes`: how many bytes it had (as `raw`
    /// would count them). Such a record keeps only its first `CSVReader.overlongKeptBytes` in
    /// `raw`, has no cells, and is not checked for UTF-8: it can only be quarantined, and holding
    /// it whole (an unclosed quote early in a member of a gigabyte) would hold the member.
    public internal(set) var overlongBytes: Int?

    public init() {}

    /// The number of cells.
    public var fieldCount: Int { starts.count }

    /// Calls `body` with the bytes of cell `index` (untrimmed).
    @inline(__always)
    public func withField<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withCells { try body($0.cell(index)) }
    }

    /// Calls `body` with a view of every cell, valid only inside `body`.
    @inline(__always)
    func withCells<R>(_ body: (Cells) throws -> R) rethrows -> R {
        try raw.withUnsafeBufferPointer { raw in
            try unescaped.withUnsafeBufferPointer { unescaped in
                try starts.withUnsafeBufferPointer { starts in
                    try ends.withUnsafeBufferPointer { ends in
                        try body(Cells(raw: raw, unescaped: unescaped, starts: starts, ends: ends))
                    }
                }
            }
        }
    }

    /// The cells of a record as buffer pointers.
    struct Cells {
        let raw: UnsafeBufferPointer<UInt8>
        let unescaped: UnsafeBufferPointer<UInt8>
        let starts: UnsafeBufferPointer<Int>
        let ends: UnsafeBufferPointer<Int>

        @inline(__always)
        func cell(_ index: Int) -> UnsafeBufferPointer<UInt8> {
            let start = starts[index]
            let end = ends[index]
            if start >= 0 { return UnsafeBufferPointer(rebasing: raw[start..<end]) }
            return UnsafeBufferPointer(rebasing: unescaped[(~start)..<(~end)])
        }
    }

    /// Cell `index` as a `String`, untrimmed (invalid UTF-8 replaced by U+FFFD).
    public func field(_ index: Int) -> String {
        withField(index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Every cell as a `String`, untrimmed.
    public var fields: [String] {
        (0..<fieldCount).map(field)
    }

    /// The record's text as read, without its line break (invalid UTF-8 replaced by U+FFFD).
    public var rawText: String {
        String(decoding: raw, as: UTF8.self)
    }

    /// `rawText`, its first `limit` bytes at most (cut before a character, not inside one), then
    /// `… [N bytes in all]` when it is longer: what a quarantine row keeps of a line. A line of a
    /// gigabyte (a member without line breaks) would not fit a SQLite value, and failed the run.
    public func rawText(atMost limit: Int) -> String {
        let total = overlongBytes ?? raw.count
        guard total > limit else { return rawText }
        var end = min(max(0, limit), raw.count)
        while end > 0 && end < raw.count && raw[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: raw[..<end], as: UTF8.self) + "… [\(total) bytes in all]"
    }

    /// Made an overlong record of `bytes` bytes: its first `kept` bytes kept, in a buffer of their
    /// own, and no cells.
    mutating func makeOverlong(bytes: Int, keeping kept: Int) {
        overlongBytes = bytes
        raw = Array(raw.prefix(kept))
        starts = []
        ends = []
        unescaped = []
        hasInvalidUTF8 = false
    }

    /// A copy with buffers of its own, sized to its contents. Keep this, not the record `emit` gives:
    /// that one shares its buffers with the reader, which then reallocates them at full capacity.
    public func compacted() -> CSVRecord {
        var copy = self
        // From a buffer pointer, so that the copy is a new allocation (an Array or a whole-array
        // slice could hand back the same buffer).
        copy.raw = raw.withUnsafeBufferPointer { Array($0) }
        copy.starts = starts.withUnsafeBufferPointer { Array($0) }
        copy.ends = ends.withUnsafeBufferPointer { Array($0) }
        copy.unescaped = unescaped.withUnsafeBufferPointer { Array($0) }
        return copy
    }

    /// Empties the record for reuse, keeping its buffers.
    mutating func reset(line: Int) {
        self.line = line
        raw.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        unescaped.removeAll(keepingCapacity: true)
        hasInvalidUTF8 = false
        hasUnterminatedQuote = false
        overlongBytes = nil
    }
}

extension CSVRecord: Equatable {
    /// Records are equal when they read the same: line, flags, raw text and cells (however stored).
    public static func == (a: CSVRecord, b: CSVRecord) -> Bool {
        guard a.line == b.line, a.hasInvalidUTF8 == b.hasInvalidUTF8,
            a.hasUnterminatedQuote == b.hasUnterminatedQuote, a.overlongBytes == b.overlongBytes, a.raw == b.raw,
            a.fieldCount == b.fieldCount
        else { return false }
        return a.withCells { x in
            b.withCells { y in
                (0..<a.fieldCount).allSatisfy { x.cell($0).elementsEqual(y.cell($0)) }
            }
        }
    }
}
