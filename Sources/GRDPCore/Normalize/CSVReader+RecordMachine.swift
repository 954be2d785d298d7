extension CSVReader {
    /// The record machine: RFC 4180 over bytes once the delimiter is known.
    ///
    /// A value type, run by `CSVReader` on a local copy, so that its hot loop mutates plain locals.
    /// Runs of ordinary bytes are appended in bulk, not byte by byte.
    struct RecordMachine {
        let delimiter: UInt8
        var state = State.fieldStart
        /// Physical line of the next byte.
        var line: Int
        var record = CSVRecord()
        /// Offset in `record.bytes` where the current cell starts.
        var fieldStart = 0
        /// The current record has a quoted cell (so it is not blank).
        var recordQuoted = false

        init(delimiter: UInt8, line: Int) {
            self.delimiter = delimiter
            self.line = line
            record.reset(line: line)
        }

        mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, emit: (CSVRecord) throws -> Void) throws {
            let quote = CSVReader.quote
            let lf = CSVReader.lf
            let delimiter = self.delimiter
            let n = bytes.count
            var i = 0
            var rawStart = 0  // start in `bytes` of the current record's raw text not yet in `record.raw`
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
                    } else {
                        // The CR of a CRLF ends an unquoted cell; drop it.
                        if record.bytes.count > fieldStart && record.bytes.last == CSVReader.cr {
                            record.bytes.removeLast()
                        }
                        try endLine(bytes, at: i, rawStart: &rawStart, emit: emit)
                    }
                    i += 1
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
                        state = .unquoted  // text after a closing quote is kept literally
                    }
                }
            }
        }

        /// The end of the member: emits the last record, if any.
        mutating func finish(emit: (CSVRecord) throws -> Void) throws {
            guard !record.raw.isEmpty || state != .fieldStart || !record.fieldEnds.isEmpty else { return }
            if state == .quoted { record.hasUnterminatedQuote = true }
            if state == .unquoted && record.bytes.count > fieldStart && record.bytes.last == CSVReader.cr {
                record.bytes.removeLast()
            }
            if record.raw.last == CSVReader.cr { record.raw.removeLast() }
            try endRecord(emit: emit)
        }

        @inline(__always)
        private mutating func endField() {
            record.fieldEnds.append(record.bytes.count)
            fieldStart = record.bytes.count
        }

        /// The LF at `bytes[index]` ends the current record (outside quotes).
        private mutating func endLine(
            _ bytes: UnsafeBufferPointer<UInt8>, at index: Int, rawStart: inout Int,
            emit: (CSVRecord) throws -> Void
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
        private mutating func endRecord(emit: (CSVRecord) throws -> Void) throws {
            endField()
            let blank =
                record.fieldEnds.count == 1 && !recordQuoted && record.bytes.allSatisfy { $0 == CSVReader.space }
            if !blank {
                record.hasInvalidUTF8 = !record.raw.withUnsafeBufferPointer { CellText.isValidUTF8($0) }
                try emit(record)
            }
            record.reset(line: line)
            fieldStart = 0
            recordQuoted = false
            state = .fieldStart
        }
    }
}
