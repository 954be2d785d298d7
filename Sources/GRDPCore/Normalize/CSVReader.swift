/// A push parser for the CSV dialect of CONTRACT §4.1.
///
/// Feed it the member's bytes in any chunking (one byte at a time gives the same records as all
/// at once); it calls `emit` for each finished record, the header first. It handles a UTF-8 BOM,
/// LF and CRLF, RFC 4180 quoting (`""` escapes a quote; quoted cells may hold delimiters and line
/// breaks), skips blank lines (empty or spaces only) and numbers records by the physical line they
/// start on. The delimiter is detected from the header (the first non-blank line): `,` if it holds
/// one outside quotes, else `;`, else TAB, else `,`.
///
/// Dialect decisions:
/// - A quote opens a quoted cell only as the cell's first byte; elsewhere it is a literal.
/// - Bytes after a closing quote and before the next delimiter are kept literally (`"ab"c` is
///   `abc`), as Python's and rust-csv's readers do.
/// - A quoted cell still open at the end of the member makes the record run to the end of the
///   member; it is flagged `hasUnterminatedQuote` (Normalize quarantines it as `field-count`).
/// - A lone CR is data; only the CR of a CRLF outside quotes is dropped.
///
/// Memory stays flat: it holds one record (plus, before the delimiter is known, the header).
public final class CSVReader {
    /// The header could not be delimited.
    public enum Failure: Error, Sendable, Equatable {
        /// No line break outside quotes within `limit` bytes of the header's start (an unclosed quote?).
        case headerTooLong(limit: Int)
    }

    /// The longest header the reader buffers while it detects the delimiter.
    public static let maxHeaderBytes = 64 << 20

    private enum Phase {
        case bom, preHeader, detecting, records
    }

    private enum State {
        case fieldStart, unquoted, quoted, quoteInQuoted
    }

    /// A parser of the header alone for one candidate delimiter: does the header hold that
    /// delimiter outside quotes, and where does the header end?
    private struct Detector {
        let delimiter: UInt8
        var state = State.fieldStart
        var sawSeparator = false
        var complete = false

        init(_ delimiter: UInt8) { self.delimiter = delimiter }

        mutating func feed(_ byte: UInt8) {
            if complete { return }
            switch state {
            case .fieldStart, .unquoted, .quoteInQuoted:
                if byte == CSVReader.quote {
                    state = state == .unquoted ? .unquoted : .quoted
                } else if byte == delimiter {
                    sawSeparator = true
                    state = .fieldStart
                } else if byte == CSVReader.lf {
                    complete = true
                } else {
                    state = .unquoted
                }
            case .quoted:
                if byte == CSVReader.quote { state = .quoteInQuoted }
            }
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
    private var detectors = [Detector(UInt8(ascii: ",")), Detector(UInt8(ascii: ";")), Detector(UInt8(ascii: "\t"))]

    // The record machine.
    private var state = State.fieldStart
    /// Physical line of the next byte.
    private var line = 1
    private var record = CSVRecord()
    /// Offset in `record.bytes` where the current cell starts.
    private var fieldStart = 0
    private var recordQuoted = false

    /// A reader that detects the delimiter from the header, or uses `delimiter` when given.
    public init(delimiter: UInt8? = nil) {
        self.delimiter = delimiter
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
            delimiter = delimiter ?? decideDelimiter(atEnd: true)
            phase = .records
        }
        if phase == .records {
            try startRecords(emit: emit)
        }
        guard phase == .records, !record.raw.isEmpty || state != .fieldStart || !record.fieldEnds.isEmpty else {
            return
        }
        if state == .quoted { record.hasUnterminatedQuote = true }
        if state == .unquoted && record.bytes.count > fieldStart && record.bytes.last == CSVReader.cr {
            record.bytes.removeLast()
        }
        if record.raw.last == CSVReader.cr { record.raw.removeLast() }
        try endRecord(emit: emit)
    }

    /// Parses all of `bytes` at once (for tests and small inputs).
    public static func records(of bytes: [UInt8], delimiter: UInt8? = nil) throws -> [CSVRecord] {
        let reader = CSVReader(delimiter: delimiter)
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
            } else if byte == CSVReader.space || byte == CSVReader.cr {
                preHeaderLine.append(byte)
            } else {
                phase = .detecting
                headerBytes = preHeaderLine
                preHeaderLine = []
                for buffered in headerBytes {
                    for k in detectors.indices { detectors[k].feed(buffered) }
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
        for k in detectors.indices { detectors[k].feed(byte) }
        if byte == CSVReader.lf, let decided = decideDelimiter(atEnd: false) {
            delimiter = decided
            phase = .records
        } else if headerBytes.count > CSVReader.maxHeaderBytes {
            throw Failure.headerTooLong(limit: CSVReader.maxHeaderBytes)
        }
    }

    /// `,` if the header holds one outside quotes, else `;`, else TAB, else `,`; nil while a
    /// candidate's reading of the header has not ended.
    private func decideDelimiter(atEnd: Bool) -> UInt8? {
        for detector in detectors {
            if !detector.complete && !atEnd { return nil }
            if detector.sawSeparator { return detector.delimiter }
        }
        return UInt8(ascii: ",")
    }

    /// Runs the buffered header bytes through the record machine, once.
    private func startRecords(emit: (CSVRecord) throws -> Void) throws {
        guard !headerBytes.isEmpty else { return }
        let buffered = headerBytes
        headerBytes = []
        detectors = []
        record.reset(line: line)
        try buffered.withUnsafeBufferPointer { try consume($0, emit: emit) }
    }

    // MARK: - The record machine

    private func consume(_ bytes: UnsafeBufferPointer<UInt8>, emit: (CSVRecord) throws -> Void) throws {
        guard let delimiter else { preconditionFailure("records before the delimiter is known") }
        let quote = CSVReader.quote
        let lf = CSVReader.lf
        let n = bytes.count
        var i = 0
        var rawStart = 0
        defer {
            if rawStart < n { record.raw.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[rawStart..<n])) }
        }
        while i < n {
            switch state {
            case .fieldStart:
                if bytes[i] == quote {
                    state = .quoted
                    recordQuoted = true
                    i += 1
                } else {
                    state = .unquoted
                }
            case .unquoted:
                let start = i
                while i < n {
                    let byte = bytes[i]
                    if byte == delimiter || byte == lf { break }
                    i += 1
                }
                if i > start { record.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i])) }
                if i == n { break }
                if bytes[i] == delimiter {
                    endField()
                    state = .fieldStart
                    i += 1
                } else {
                    if record.bytes.count > fieldStart && record.bytes.last == CSVReader.cr {
                        record.bytes.removeLast()
                    }
                    try endLine(bytes, at: i, rawStart: &rawStart, emit: emit)
                    i += 1
                }
            case .quoted:
                let start = i
                while i < n {
                    let byte = bytes[i]
                    if byte == quote { break }
                    if byte == lf { line += 1 }
                    i += 1
                }
                if i > start { record.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i])) }
                if i == n { break }
                state = .quoteInQuoted
                i += 1
            case .quoteInQuoted:
                let byte = bytes[i]
                if byte == quote {
                    record.bytes.append(quote)
                    state = .quoted
                    i += 1
                } else if byte == delimiter {
                    endField()
                    state = .fieldStart
                    i += 1
                } else if byte == lf {
                    try endLine(bytes, at: i, rawStart: &rawStart, emit: emit)
                    i += 1
                } else {
                    state = .unquoted
                }
            }
        }
    }

    @inline(__always)
    private func endField() {
        record.fieldEnds.append(record.bytes.count)
        fieldStart = record.bytes.count
    }

    /// The LF at `bytes[index]` ends the current record (outside quotes).
    private func endLine(
        _ bytes: UnsafeBufferPointer<UInt8>, at index: Int, rawStart: inout Int, emit: (CSVRecord) throws -> Void
    ) throws {
        if index > rawStart {
            record.raw.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[rawStart..<index]))
        }
        rawStart = index + 1
        if record.raw.last == CSVReader.cr { record.raw.removeLast() }
        line += 1
        try endRecord(emit: emit)
    }

    /// Emits the current record unless it is blank, and starts the next one on the current line.
    private func endRecord(emit: (CSVRecord) throws -> Void) throws {
        endField()
        let blank = record.fieldEnds.count == 1 && !recordQuoted && record.bytes.allSatisfy { $0 == CSVReader.space }
        if !blank {
            record.hasInvalidUTF8 = !record.raw.withUnsafeBufferPointer { TextField.isValidUTF8($0) }
            try emit(record)
        }
        record.reset(line: line)
        fieldStart = 0
        recordQuoted = false
        state = .fieldStart
    }
}
