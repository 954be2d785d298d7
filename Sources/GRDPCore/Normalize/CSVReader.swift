/// A push parser for the CSV dialect of CONTRACT §4.1.
///
/// Feed it the member's bytes in any chunking (one byte at a time gives the same records as all
/// at once); it calls `emit` for each finished record, the header first. It handles a UTF-8 BOM,
/// LF and CRLF, RFC 4180 quoting (`""` escapes a quote; quoted cells may hold delimiters and line
/// breaks), skips blank lines (empty or spaces only) and numbers records by the physical line they
/// start on. The delimiter is detected from the header (the first non-blank line): `,` if it holds
/// one outside quotes, else `;`, else TAB, else `,` (while detecting, a quote opens a quoted cell
/// at the start of the line or after any of the three: see `Detector`).
///
/// Dialect decisions:
/// - A quote opens a quoted cell only as the cell's first byte; elsewhere it is a literal.
/// - Bytes after a closing quote and before the next delimiter are kept literally (`"ab"c` is
///   `abc`), as Python's and rust-csv's readers do.
/// - A quoted cell still open at the end of the member makes the record run to the end of the
///   member; it is flagged `hasUnterminatedQuote` (Normalize quarantines it as `field-count`).
/// - A lone CR is data; only the CR of a CRLF outside quotes is dropped.
///
/// Memory stays flat: it holds one record of at most `maxRecordBytes` (plus, before the delimiter
/// is known, the header).
public final class CSVReader {
    /// The header could not be delimited.
    public enum Failure: Error, Sendable, Equatable {
        /// No line break outside quotes within `limit` bytes of the header's start (an unclosed quote?).
        case headerTooLong(limit: Int)
    }

    /// The longest header the reader buffers while it detects the delimiter.
    public static let maxHeaderBytes = 64 << 20

    /// The longest record the reader holds: a longer one (an unclosed quote early in a large
    /// member, or a member without line breaks) is read on to its end but not kept, and comes
    /// out with `CSVRecord.overlongBytes` (its first `overlongKeptBytes` only, no cells). Checked
    /// at the end of each chunk fed, so a record may grow by one chunk past it before it goes.
    public static let maxRecordBytes = 16 << 20

    /// What an overlong record keeps of its bytes (more than a quarantine row shows of a line).
    public static let overlongKeptBytes = 1 << 20

    private enum Phase {
        case bom, preHeader, detecting, records
    }

    /// Reads the header alone to find which candidate delimiters it holds outside quotes.
    ///
    /// Which quotes open a quoted cell depends on the delimiter, which is what we are looking for;
    /// so here a quote opens a quoted cell at the start of the line or right after any candidate
    /// (`,`, `;`, TAB) outside quotes. `tax_code;"value, million VND"` is then `;`-delimited (its
    /// comma is inside quotes), while in `a"b,c` the quote is a literal and the comma delimits.
    private struct Detector {
        private enum State {
            case fieldStart, unquoted, quoted, quoteInQuoted
        }

        private var state = State.fieldStart
        private(set) var sawComma = false
        private(set) var sawSemicolon = false
        private(set) var sawTab = false
        /// The header's line ended (an LF outside quotes).
        private(set) var complete = false

        mutating func feed(_ byte: UInt8) {
            if complete { return }
            switch state {
            case .fieldStart, .unquoted, .quoteInQuoted:
                switch byte {
                case CSVReader.quote:
                    state = state == .unquoted ? .unquoted : .quoted
                case UInt8(ascii: ","):
                    sawComma = true
                    state = .fieldStart
                case UInt8(ascii: ";"):
                    sawSemicolon = true
                    state = .fieldStart
                case UInt8(ascii: "\t"):
                    sawTab = true
                    state = .fieldStart
                case CSVReader.lf:
                    complete = true
                default:
                    state = .unquoted
                }
            case .quoted:
                if byte == CSVReader.quote { state = .quoteInQuoted }
            }
        }

        /// `,` if the header holds one outside quotes, else `;`, else TAB, else `,`.
        var delimiter: UInt8 {
            sawComma
                ? UInt8(ascii: ",") : sawSemicolon ? UInt8(ascii: ";") : sawTab ? UInt8(ascii: "\t") : UInt8(ascii: ",")
        }
    }

    static let quote = UInt8(ascii: "\"")
    static let lf = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The delimiter: given at `init`, or detected once the header is read.
    public private(set) var delimiter: UInt8?

    private var phase = Phase.bom
    private var bomMatched = 0
    private var preHeaderLine: [UInt8] = []
    private var headerBytes: [UInt8] = []
    private var detector = Detector()

    /// Physical line of the next byte, before the record machine takes over.
    private var line = 1
    /// The record machine, once the delimiter is known.
    private var machine: RecordMachine?

    /// Records longer than this come out overlong (`CSVReader.maxRecordBytes`; less in tests).
    private let maxRecordBytes: Int

    /// A reader that detects the delimiter from the header, or uses `delimiter` when given.
    public init(delimiter: UInt8? = nil, maxRecordBytes: Int = CSVReader.maxRecordBytes) {
        self.delimiter = delimiter
        self.maxRecordBytes = maxRecordBytes
    }

    /// Pushes the next bytes of the member; calls `emit` for each record finished by them.
    public func feed(_ buffer: UnsafeRawBufferPointer, emit: (CSVRecord) throws -> Void) throws {
        let bytes = buffer.assumingMemoryBound(to: UInt8.self)
        if phase == .records {
            try consume(bytes, emit: emit)
            return
        }
        var i = 0
        while i < bytes.count && phase != .records {
            let byte = bytes[i]
            if phase == .bom {
                if byte == CSVReader.bom[bomMatched] {
                    bomMatched += 1
                    if bomMatched == CSVReader.bom.count { phase = .preHeader }
                    i += 1
                    continue
                }
                phase = .preHeader
                try replayBOMPrefix()
                if phase == .records { break }
            }
            try frontByte(byte)
            i += 1
        }
        if phase == .records {
            try startRecords(emit: emit)
            if i < bytes.count {
                try consume(UnsafeBufferPointer(rebasing: bytes[i...]), emit: emit)
            }
        }
    }

    /// Ends the member: emits the last record (one without a final line break, or one whose quote
    /// was never closed).
    public func finish(emit: (CSVRecord) throws -> Void) throws {
        if phase == .bom {
            phase = .preHeader
            try replayBOMPrefix()
        }
        if phase == .detecting {
            delimiter = delimiter ?? detector.delimiter
            phase = .records
        }
        guard phase == .records else { return }
        try startRecords(emit: emit)
        try withMachine { try $0.finish(emit: emit) }
    }

    /// Parses all of `bytes` at once (for tests and small inputs).
    public static func records(
        of bytes: [UInt8], delimiter: UInt8? = nil, maxRecordBytes: Int = CSVReader.maxRecordBytes
    ) throws -> [CSVRecord] {
        let reader = CSVReader(delimiter: delimiter, maxRecordBytes: maxRecordBytes)
        var records: [CSVRecord] = []
        try bytes.withUnsafeBytes { try reader.feed($0) { records.append($0) } }
        try reader.finish { records.append($0) }
        return records
    }

    // MARK: - Before the first record: BOM, leading blank lines, delimiter detection

    /// The first bytes looked like a BOM but were not: they are data.
    private func replayBOMPrefix() throws {
        for byte in CSVReader.bom[0..<bomMatched] {
            if phase == .records {
                headerBytes.append(byte)  // consumed by `startRecords`, before the rest
            } else {
                try frontByte(byte)
            }
        }
        bomMatched = 0
    }

    /// One byte after the BOM and before the delimiter is known.
    private func frontByte(_ byte: UInt8) throws {
        switch phase {
        case .bom, .records:
            preconditionFailure("frontByte in phase \(phase)")
        case .preHeader:
            if byte == CSVReader.lf {
                line += 1
                preHeaderLine.removeAll(keepingCapacity: true)
            } else if (byte == CSVReader.space || byte == CSVReader.cr) && preHeaderLine.last != CSVReader.cr {
                // Spaces, and a CR only as the last byte before the LF: as blank as the record
                // machine sees it.
                preHeaderLine.append(byte)
            } else {
                phase = .detecting
                headerBytes = preHeaderLine
                preHeaderLine = []
                for buffered in headerBytes {
                    detector.feed(buffered)
                }
                try detect(byte)
            }
        case .detecting:
            try detect(byte)
        }
    }

    private func detect(_ byte: UInt8) throws {
        headerBytes.append(byte)
        if delimiter != nil {
            phase = .records
            return
        }
        detector.feed(byte)
        if detector.complete {
            delimiter = detector.delimiter
            phase = .records
        } else if headerBytes.count > CSVReader.maxHeaderBytes {
            throw Failure.headerTooLong(limit: CSVReader.maxHeaderBytes)
        }
    }

    /// Starts the record machine on the buffered header bytes, once.
    private func startRecords(emit: (CSVRecord) throws -> Void) throws {
        guard machine == nil, let delimiter else { return }
        machine = RecordMachine(delimiter: delimiter, line: line, maxRecordBytes: maxRecordBytes)
        let buffered = headerBytes
        headerBytes = []
        try buffered.withUnsafeBufferPointer { try consume($0, emit: emit) }
    }

    private func consume(_ bytes: UnsafeBufferPointer<UInt8>, emit: (CSVRecord) throws -> Void) throws {
        try withMachine { try $0.consume(bytes, emit: emit) }
    }

    /// Runs `body` on the machine moved out of `self`: a local value is mutated without dynamic
    /// exclusivity checks and its buffers stay uniquely referenced.
    private func withMachine(_ body: (inout RecordMachine) throws -> Void) throws {
        guard var local = machine else { preconditionFailure("records before the delimiter is known") }
        machine = nil
        defer { machine = local }
        try body(&local)
    }
}
