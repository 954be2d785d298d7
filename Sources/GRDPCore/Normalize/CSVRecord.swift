/// One record of a CSV member as `CSVReader` delimits it: its cells (unquoted, unescaped, not yet
/// trimmed), the physical line it starts on and its raw text.
///
/// The cells share one byte buffer, so reading a row allocates nothing per cell.
public struct CSVRecord: Sendable, Equatable {
    /// Physical line of the member (1-based, blank lines and line breaks inside quotes counted) on
    /// which the record starts.
    public internal(set) var line: Int = 1
    /// The cells' bytes, one after another.
    var bytes: [UInt8] = []
    /// End offset in `bytes` of each cell.
    var fieldEnds: [Int] = []
    /// The record's bytes as read, without its line break (a CRLF's CR included).
    var raw: [UInt8] = []
    /// The record holds bytes that are not well-formed UTF-8.
    public internal(set) var hasInvalidUTF8 = false
    /// A quoted cell was still open at the end of the member: the record runs to the end of the member.
    public internal(set) var hasUnterminatedQuote = false

    public init() {}

    /// The number of cells.
    public var fieldCount: Int { fieldEnds.count }

    /// Calls `body` with the bytes of cell `index` (untrimmed).
    @inline(__always)
    public func withField<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = index == 0 ? 0 : fieldEnds[index - 1]
        let end = fieldEnds[index]
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
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

    /// A copy with buffers of its own, sized to its contents. Keep this, not the record `emit` gives:
    /// that one shares its buffers with the reader, which then reallocates them at full capacity.
    public func compacted() -> CSVRecord {
        var copy = self
        // From a buffer pointer, so that the copy is a new allocation (an Array or a whole-array
        // slice could hand back the same buffer).
        copy.bytes = bytes.withUnsafeBufferPointer { Array($0) }
        copy.fieldEnds = fieldEnds.withUnsafeBufferPointer { Array($0) }
        copy.raw = raw.withUnsafeBufferPointer { Array($0) }
        return copy
    }

    /// Empties the record for reuse, keeping its buffers.
    mutating func reset(line: Int) {
        self.line = line
        bytes.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        raw.removeAll(keepingCapacity: true)
        hasInvalidUTF8 = false
        hasUnterminatedQuote = false
    }
}
