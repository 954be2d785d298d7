extension CSVReader {
    /// The record machine: RFC 4180 over bytes once the delimiter is known.
    ///
    /// A value type, run by `CSVReader` on a local copy, so that its hot loop mutates plain locals.
    /// A record's bytes are copied once, into `raw`, in bulk; a cell is a range of it. Only a quoted
    /// cell with `""` inside or text after its closing quote gets its own unescaped copy.
    ///
    /// Positions: while a chunk is being read, the bytes of the current record not yet appended to
    /// `record.raw` are `bytes[rawStart..<i]`, so byte `i` of the chunk is at `raw.count + i − rawStart`
    /// of the record.
    struct RecordMachine {
        private enum State {
            case fieldStart, unquoted, quoted, quoteInQuoted
            /// A CR right after a closing quote: a CRLF ends the record; anything else is data.
            case afterQuoteCR
        }

        let delimiter: UInt8
        /// Records longer than this come out overlong (`CSVReader.maxRecordBytes`).
        let maxRecordBytes: Int
        private var state = State.fieldStart
        /// Physical line of the next byte.
        private(set) var line: Int
        private var record = CSVRecord()
        /// Where the current cell starts in `raw` (after its opening quote, if quoted).
        private var cellStart = 0
        /// The current cell is being copied to `record.unescaped`, from `unescapedStart`.
        private var complex = false
        private var unescapedStart = 0
        /// Position in `raw` of the last quote seen in a quoted cell.
        private var quotePos = 0
        /// The current record has a quoted cell (so it is not blank).
        private var recordQuoted = false
        /// The current record passed `CSVReader.maxRecordBytes` at the end of a chunk: its bytes are
        /// read on to its end without being kept (`skipOverlong`).
        private var skipping = false
        /// While skipping: every byte so far a space, but for a CR as the last (a blank line).
        private var blankSoFar = false
        /// While skipping: the last byte read.
        private var lastByte: UInt8 = 0

        init(delimiter: UInt8, line: Int, maxRecordBytes: Int) {
            self.delimiter = delimiter
            self.maxRecordBytes = maxRecordBytes
            self.line = line
            record.reset(line: line)
        }

        mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, emit: (CSVRecord) throws -> Void) throws {
            let quote = CSVReader.quote
            let lf = CSVReader.lf
            let cr = CSVReader.cr
            let delimiter = self.delimiter
            let n = bytes.count
            var i = 0
            if _slowPath(skipping) {
                guard let next = skipOverlong(bytes) else { return }
                try endRecord(emit: emit)
                i = next
            }
            var rawStart = i
            defer {
                if rawStart < n { record.raw.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[rawStart..<n])) }
                // More than one past the limit: an LF taking off a last CR still leaves it past.
                if _slowPath(record.raw.count > maxRecordBytes + 1) { startSkipping() }
            }
            while i < n {
                switch state {
                case .fieldStart:
                    complex = false
                    if bytes[i] == quote {
                        state = .quoted
                        recordQuoted = true
                        cellStart = record.raw.count + i + 1 - rawStart
                        i += 1
                    } else {
                        state = .unquoted
                        cellStart = record.raw.count + i - rawStart
                    }
                case .unquoted:
                    let start = i
                    while i < n {
                        let byte = bytes[i]
                        if byte == delimiter || byte == lf { break }
                        i += 1
                    }
                    if complex && i > start {
                        record.unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                    }
                    if i == n { break }
                    let end = record.raw.count + i - rawStart
                    if bytes[i] == delimiter {
                        endUnquotedCell(end: end, dropCR: false, bytes, rawStart)
                        state = .fieldStart
                    } else {
                        endUnquotedCell(end: end, dropCR: true, bytes, rawStart)
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
                    if complex && i > start {
                        record.unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                    }
                    if i == n { break }
                    quotePos = record.raw.count + i - rawStart
                    state = .quoteInQuoted
                    i += 1
                case .quoteInQuoted:
                    let byte = bytes[i]
                    if byte == quote {
                        // `""`: an escaped quote.
                        makeComplex(upTo: quotePos, bytes, rawStart)
                        record.unescaped.append(quote)
                        state = .quoted
                        i += 1
                    } else if byte == delimiter {
                        endQuotedCell()
                        state = .fieldStart
                        i += 1
                    } else if byte == lf {
                        endQuotedCell()
                        try endLine(bytes, at: i, rawStart: &rawStart, emit: emit)
                        i += 1
                    } else if byte == cr {
                        state = .afterQuoteCR
                        i += 1
                    } else {
                        // Text after a closing quote is kept literally; the unquoted run copies it.
                        makeComplex(upTo: quotePos, bytes, rawStart)
                        state = .unquoted
                    }
                case .afterQuoteCR:
                    if bytes[i] == lf {
                        endQuotedCell()
                        try endLine(bytes, at: i, rawStart: &rawStart, emit: emit)
                        i += 1
                    } else {
                        makeComplex(upTo: quotePos, bytes, rawStart)
                        record.unescaped.append(cr)
                        state = .unquoted
                    }
                }
            }
        }

        /// The end of the member: emits the last record, if any. All its bytes are in `raw` by now.
        mutating func finish(emit: (CSVRecord) throws -> Void) throws {
            if skipping {
                // As below: a final CR outside quotes is not the record's; an open quote is flagged.
                if state != .quoted && lastByte == CSVReader.cr { record.overlongBytes! -= 1 }
                record.hasUnterminatedQuote = state == .quoted
                try endRecord(emit: emit)
                return
            }
            guard !record.raw.isEmpty || !record.starts.isEmpty || state != .fieldStart else { return }
            // A final CR outside quotes ends the line, as before an LF; inside an open quote it is data.
            if state != .quoted && record.raw.last == CSVReader.cr { record.raw.removeLast() }
            let end = record.raw.count
            switch state {
            case .fieldStart:
                record.starts.append(end)  // an empty last cell, after a delimiter
                record.ends.append(end)
            case .unquoted:
                if complex && record.unescaped.last == CSVReader.cr { record.unescaped.removeLast() }
                appendCell(end: end)
            case .quoted:
                record.hasUnterminatedQuote = true
                appendCell(end: end)
            case .quoteInQuoted, .afterQuoteCR:
                endQuotedCell()
            }
            try endRecord(emit: emit)
        }

        /// Byte `position` of the current record.
        @inline(__always)
        private func byte(at position: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ rawStart: Int) -> UInt8 {
            let rawCount = record.raw.count
            return position < rawCount ? record.raw[position] : bytes[rawStart + position - rawCount]
        }

        /// Starts copying the current cell: its bytes so far, `cellStart..<end`, go to `unescaped`.
        private mutating func makeComplex(upTo end: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ rawStart: Int) {
            guard !complex else { return }
            complex = true
            unescapedStart = record.unescaped.count
            let rawCount = record.raw.count
            if cellStart < rawCount {
                record.unescaped.append(contentsOf: record.raw[cellStart..<min(end, rawCount)])
            }
            if end > rawCount {
                let from = rawStart + max(cellStart, rawCount) - rawCount
                let to = rawStart + end - rawCount
                record.unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[from..<to]))
            }
        }

        private mutating func appendCell(end: Int) {
            if complex {
                record.starts.append(~unescapedStart)
                record.ends.append(~record.unescaped.count)
            } else {
                record.starts.append(cellStart)
                record.ends.append(end)
            }
        }

        /// Ends an unquoted cell (or the unquoted tail of a complex one) at `end`; before a line
        /// break, the CR of a CRLF is dropped.
        private mutating func endUnquotedCell(
            end: Int, dropCR: Bool, _ bytes: UnsafeBufferPointer<UInt8>, _ rawStart: Int
        ) {
            var end = end
            if dropCR {
                if complex {
                    if record.unescaped.count > unescapedStart && record.unescaped.last == CSVReader.cr {
                        record.unescaped.removeLast()
                    }
                } else if end > cellStart && byte(at: end - 1, bytes, rawStart) == CSVReader.cr {
                    end -= 1
                }
            }
            appendCell(end: end)
        }

        private mutating func endQuotedCell() {
            appendCell(end: quotePos)
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
        /// A record of more than `CSVReader.maxRecordBytes` goes as `CSVRecord.overlongBytes` says,
        /// however it was read (in one chunk, or skipped on past the end of one).
        private mutating func endRecord(emit: (CSVRecord) throws -> Void) throws {
            let blank =
                skipping
                ? blankSoFar
                : record.starts.count == 1 && !recordQuoted
                    && record.withField(0) { $0.allSatisfy { $0 == CSVReader.space } }
            if !blank {
                if _slowPath(!skipping && record.raw.count > maxRecordBytes) {
                    record.makeOverlong(bytes: record.raw.count, keeping: keptBytes)
                }
                if record.overlongBytes == nil {
                    record.hasInvalidUTF8 = !record.raw.withUnsafeBufferPointer { CellText.isValidUTF8($0) }
                }
                try emit(record)
            }
            record.reset(line: line)
            recordQuoted = false
            complex = false
            skipping = false
            state = .fieldStart
        }

        /// What an overlong record keeps of its bytes.
        private var keptBytes: Int { min(CSVReader.overlongKeptBytes, maxRecordBytes) }

        /// The current record has passed `CSVReader.maxRecordBytes` at the end of a chunk: from here
        /// its bytes are only counted (`skipOverlong`), whatever the cells would have been.
        private mutating func startSkipping() {
            guard !skipping else { return }
            var blank = true
            var last: UInt8 = 0
            for byte in record.raw where blank {
                if last == CSVReader.cr || (byte != CSVReader.space && byte != CSVReader.cr) { blank = false }
                last = byte
            }
            blankSoFar = blank
            lastByte = record.raw.last ?? 0
            record.makeOverlong(bytes: record.raw.count, keeping: keptBytes)
            skipping = true
        }

        /// Reads on through an overlong record, as `consume` would (quotes, delimiters, line breaks
        /// in quotes, the CR of a CRLF), counting its bytes and lines but keeping none: the index
        /// after the LF that ends it, or nil when `bytes` end first.
        private mutating func skipOverlong(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
            let (quote, lf, cr) = (CSVReader.quote, CSVReader.lf, CSVReader.cr)
            var i = 0
            while i < bytes.count {
                let byte = bytes[i]
                var takes = true
                switch state {
                case .fieldStart:
                    if byte == quote {
                        state = .quoted
                    } else {
                        state = .unquoted
                        takes = false
                    }
                case .unquoted:
                    if byte == delimiter { state = .fieldStart } else if byte == lf { return endSkipped(at: i) }
                case .quoted:
                    if byte == quote { state = .quoteInQuoted } else if byte == lf { line += 1 }
                case .quoteInQuoted:
                    if byte == quote {
                        state = .quoted
                    } else if byte == delimiter {
                        state = .fieldStart
                    } else if byte == lf {
                        return endSkipped(at: i)
                    } else if byte == cr {
                        state = .afterQuoteCR
                    } else {
                        state = .unquoted
                        takes = false
                    }
                case .afterQuoteCR:
                    if byte == lf { return endSkipped(at: i) }
                    state = .unquoted
                    takes = false
                }
                guard takes else { continue }
                if blankSoFar && (lastByte == cr || (byte != CSVReader.space && byte != cr)) { blankSoFar = false }
                lastByte = byte
                record.overlongBytes! += 1
                i += 1
            }
            return nil
        }

        /// The LF at `index` ends the skipped record: as `endLine`, without it and a CR before it.
        private mutating func endSkipped(at index: Int) -> Int {
            if lastByte == CSVReader.cr { record.overlongBytes! -= 1 }
            line += 1
            return index + 1
        }
    }
}
