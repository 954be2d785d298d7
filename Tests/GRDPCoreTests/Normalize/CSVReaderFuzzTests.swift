import Testing

@testable import GRDPCore

/// The reader against a plain byte-at-a-time reference of the same dialect, on random inputs made
/// of the characters that matter (delimiters, quotes, CR, LF, spaces), in random chunkings.
@Suite struct NormalizeCSVReaderFuzzTests {
    struct Record: Equatable, CustomStringConvertible {
        var line: Int
        var cells: [[UInt8]]
        var raw: [UInt8]
        var unterminated: Bool
        /// `CSVRecord.overlongBytes`.
        var overlong: Int? = nil

        var description: String {
            "line \(line) \(cells.map { String(decoding: $0, as: UTF8.self) }.debugDescription)"
                + (unterminated ? " (unterminated)" : "") + (overlong.map { " (overlong: \($0) bytes)" } ?? "")
        }

        /// As a reader limited to `maxRecordBytes` gives it: past the limit, its byte count, its
        /// first bytes and no cells.
        func limited(to maxRecordBytes: Int) -> Record {
            guard raw.count > maxRecordBytes else { return self }
            return Record(
                line: line, cells: [], raw: Array(raw.prefix(min(CSVReader.overlongKeptBytes, maxRecordBytes))),
                unterminated: unterminated, overlong: raw.count)
        }
    }

    /// The dialect, one byte at a time, as simply as it can be written: a CR appended outside quotes
    /// (or right after a closing quote) is dropped when an LF or the end follows it.
    static func reference(_ bytes: [UInt8], delimiter: UInt8) -> [Record] {
        enum State { case fieldStart, unquoted, quoted, quoteInQuoted }
        var records: [Record] = []
        var state = State.fieldStart
        var cells: [[UInt8]] = []
        var cell: [UInt8] = []
        var raw: [UInt8] = []
        var strippableCR = false
        var quotedAny = false
        var line = 1
        var recordLine = 1
        var inRecord = false

        func finishRecord(unterminated: Bool) {
            if strippableCR && !unterminated { cell.removeLast() }
            cells.append(cell)
            if raw.last == UInt8(ascii: "\r") && !unterminated { raw.removeLast() }
            let blank = cells.count == 1 && !quotedAny && cells[0].allSatisfy { $0 == UInt8(ascii: " ") }
            if !blank { records.append(Record(line: recordLine, cells: cells, raw: raw, unterminated: unterminated)) }
            cells = []
            cell = []
            raw = []
            strippableCR = false
            quotedAny = false
            state = .fieldStart
            inRecord = false
        }

        for byte in bytes {
            if !inRecord {
                inRecord = true
                recordLine = line
            }
            let isLF = byte == UInt8(ascii: "\n")
            if !(isLF && state != .quoted) { raw.append(byte) }
            var again = true
            while again {
                again = false
                switch state {
                case .fieldStart:
                    if byte == UInt8(ascii: "\"") {
                        state = .quoted
                        quotedAny = true
                    } else {
                        state = .unquoted
                        again = true
                    }
                case .unquoted:
                    if byte == delimiter {
                        cells.append(cell)
                        cell = []
                        strippableCR = false
                        state = .fieldStart
                    } else if isLF {
                        line += 1
                        finishRecord(unterminated: false)
                    } else {
                        cell.append(byte)
                        strippableCR = byte == UInt8(ascii: "\r")
                    }
                case .quoted:
                    if byte == UInt8(ascii: "\"") {
                        state = .quoteInQuoted
                    } else {
                        if isLF { line += 1 }
                        cell.append(byte)
                    }
                    strippableCR = false
                case .quoteInQuoted:
                    if byte == UInt8(ascii: "\"") {
                        cell.append(byte)
                        state = .quoted
                    } else if byte == delimiter || isLF {
                        state = .unquoted
                        again = true
                    } else {
                        state = .unquoted
                        again = true
                    }
                }
            }
        }
        if inRecord { finishRecord(unterminated: state == .quoted) }
        return records
    }

    /// xorshift64*: the same inputs on every run.
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return Int((state &* 2_685_821_657_736_338_717) >> 33) % bound
        }
    }

    static func read(
        _ bytes: [UInt8], delimiter: UInt8?, chunks: inout Random, maxRecordBytes: Int = CSVReader.maxRecordBytes
    ) throws -> ([Record], UInt8?) {
        let reader = CSVReader(delimiter: delimiter, maxRecordBytes: maxRecordBytes)
        var records: [Record] = []
        let collect = { (record: CSVRecord) in
            records.append(
                Record(
                    line: record.line, cells: (0..<record.fieldCount).map { i in record.withField(i) { Array($0) } },
                    raw: record.raw, unterminated: record.hasUnterminatedQuote, overlong: record.overlongBytes))
        }
        try bytes.withUnsafeBytes { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + 1 + chunks.next(6))
                try reader.feed(UnsafeRawBufferPointer(rebasing: all[start..<end]), emit: collect)
                start = end
            }
        }
        try reader.finish(emit: collect)
        return (records, reader.delimiter)
    }

    @Test func randomInputsMatchTheReference() throws {
        let alphabet = Array("ab,;\"\r\n ".utf8)
        var random = Random(state: 0x9E37_79B9_7F4A_7C15)
        var mismatches = 0
        for round in 0..<5000 {
            let length = random.next(40)
            let bytes = (0..<length).map { _ in alphabet[random.next(alphabet.count)] }
            // Every other round the delimiter is detected; the reference then uses the detected one.
            let given: UInt8? = round % 2 == 0 ? UInt8(ascii: ",") : nil
            let (records, delimiter) = try Self.read(bytes, delimiter: given, chunks: &random)
            let expected = delimiter.map { Self.reference(bytes, delimiter: $0) } ?? []
            if records != expected {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("\(String(decoding: bytes, as: UTF8.self).debugDescription): \(records) ≠ \(expected)")
                }
            }
        }
        #expect(mismatches == 0)
    }

    /// A reader limited to a few bytes a record gives, in any chunking, the reference's records
    /// but for those longer than the limit: each of those as its byte count (what its raw text
    /// would have been, less a CR before the LF that ends it), its first bytes and no cells.
    /// Records are skipped on past the end of a chunk once over the limit, or converted when
    /// they end inside one; blank lines stay skipped either way; the records after read as before.
    @Test func overlongRecordsAreTheSameInEveryChunking() throws {
        let alphabet = Array("ab,\"\r\n   ".utf8)
        var random = Random(state: 0x2545_F491_4F6C_DD1D)
        var mismatches = 0
        var overlong = 0
        for _ in 0..<6000 {
            let length = random.next(80)
            let bytes = (0..<length).map { _ in alphabet[random.next(alphabet.count)] }
            let limit = 1 + random.next(12)
            let (records, _) = try Self.read(
                bytes, delimiter: UInt8(ascii: ","), chunks: &random, maxRecordBytes: limit)
            let expected = Self.reference(bytes, delimiter: UInt8(ascii: ",")).map { $0.limited(to: limit) }
            overlong += records.filter { $0.overlong != nil }.count
            if records != expected {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record(
                        "\(String(decoding: bytes, as: UTF8.self).debugDescription) limit \(limit): \(records) ≠ \(expected)"
                    )
                }
            }
        }
        #expect(mismatches == 0)
        #expect(overlong > 1000)
    }

    @Test func cellsThatNeedTheirOwnBytes() throws {
        // `""` inside quotes, text after a closing quote, a CR after a closing quote before a
        // delimiter, a CR CR LF after a closing quote, and a quoted last cell before CRLF.
        let records = try readCSV("h1,h2\r\n\"a\"\"b\",\"ab\"c\r\n\"x\"\r,\"y\"\r\r\n\"q\"\r\n")
        #expect(records.map(\.fields) == [["h1", "h2"], ["a\"b", "abc"], ["x\r", "y\r"], ["q"]])
        #expect(records.map(\.line) == [1, 2, 3, 4])
        #expect(records[2].rawText == "\"x\"\r,\"y\"\r")  // the CR of the CRLF is not part of it
    }
}
