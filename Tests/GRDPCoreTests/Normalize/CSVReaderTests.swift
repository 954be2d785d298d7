import Testing

@testable import GRDPCore

@Suite struct NormalizeCSVReaderTests {
    @Test func detectsTheDelimiterFromTheHeader() throws {
        // `,` wins whenever the header holds one outside quotes, even after a `;`.
        #expect(CSVReader.delimiter(of: "a;b,c\n1;2,3\n") == UInt8(ascii: ","))
        #expect(CSVReader.delimiter(of: "a;b;c\n1,5;2;3\n") == UInt8(ascii: ";"))
        #expect(CSVReader.delimiter(of: "a\tb;c\n") == UInt8(ascii: ";"))
        #expect(CSVReader.delimiter(of: "a\tb\tc\n1,5\t2\t3\n") == UInt8(ascii: "\t"))
        // No delimiter in the header at all: `,`.
        #expect(CSVReader.delimiter(of: "amount\n1;5\n") == UInt8(ascii: ","))
        // A `,` inside quotes does not count: the header is `;`-delimited.
        #expect(CSVReader.delimiter(of: "\"a,b\";c\n") == UInt8(ascii: ";"))
        // A quoted header cell spanning lines: still decided on the header, not the data.
        #expect(CSVReader.delimiter(of: "\"a\nb\";c\n1,2;3\n") == UInt8(ascii: ";"))
        // A quoted header cell after a `;` holds a comma: still `;` (Vietnamese headers such as
        // "Giá trị, triệu đồng"), also when every cell is quoted.
        #expect(CSVReader.delimiter(of: "tax_code;\"Giá trị, triệu đồng\"\n") == UInt8(ascii: ";"))
        #expect(CSVReader.delimiter(of: "\"tax_code\";\"a, b\";\"c\"\"d, e\"\n") == UInt8(ascii: ";"))
        #expect(CSVReader.delimiter(of: "a\t\"b, c\"\n") == UInt8(ascii: "\t"))
        // A stray quote inside an unquoted cell is a literal: the `,` after it separates.
        #expect(CSVReader.delimiter(of: "a\"b,c\n") == UInt8(ascii: ","))
        // The header is the first non-blank line.
        #expect(CSVReader.delimiter(of: "\n   \nx;y\n") == UInt8(ascii: ";"))
        #expect(CSVReader.delimiter(of: "x;y") == UInt8(ascii: ";"))
    }

    @Test func quotedCellsHoldDelimitersQuotesAndLineBreaks() throws {
        let records = try readCSV("id,note,amount\n1,\"a, b\",5\n2,\"two\nlines\n\",6\n3,\"say \"\"hi\"\"\",7\n4,x,8\n")
        #expect(
            records.map(\.fields) == [
                ["id", "note", "amount"],
                ["1", "a, b", "5"],
                ["2", "two\nlines\n", "6"],
                ["3", "say \"hi\"", "7"],
                ["4", "x", "8"],
            ])
        // Lines: header 1, row "1" on 2, row "2" starts on 3 and spans 3–5, row "3" on 6, row "4" on 7.
        #expect(records.map(\.line) == [1, 2, 3, 6, 7])
        #expect(records[2].rawText == "2,\"two\nlines\n\",6")
    }

    @Test func bomCRLFAndBlankLines() throws {
        // BOM, CRLF endings, an empty line, a line of spaces, a spaces-only line with CRLF, and no
        // line break at the end.
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a,b\r\n1,2\r\n\r\n   \r\n3,4\n  \n\n5,6".utf8)
        let records = try readCSV(bytes)
        #expect(records.map(\.fields) == [["a", "b"], ["1", "2"], ["3", "4"], ["5", "6"]])
        // a,b on 1; 1,2 on 2; blank 3 and 4; 3,4 on 5; blank 6 and 7; 5,6 on 8.
        #expect(records.map(\.line) == [1, 2, 5, 8])
        #expect(records[1].rawText == "1,2")
    }

    @Test func blankLinesBeforeTheHeaderAreCounted() throws {
        // Line numbers are physical: two blank lines, then the header on line 3.
        let records = try readCSV("\n  \r\nx,y\n1,2\n")
        #expect(records.map(\.line) == [3, 4])
        #expect(records[0].fields == ["x", "y"])
    }

    /// Only a line of spaces is blank (CONTRACT §4.1, as the README reads it): a line holding a
    /// TAB is a record, which the normalizer then quarantines for its cells (`field-count`).
    @Test func aLineOfATabIsARecordNotABlankLine() throws {
        let records = try readCSV("a,b\n1,2\n\t\n \t \n3,4\n")
        #expect(records.map(\.line) == [1, 2, 3, 4, 5])
        #expect(records[2].fields.count == 1 && records[3].fields.count == 1)
        // Before the header, such a line is the header.
        #expect(try readCSV("\t\na,b\n").first?.line == 1)
    }

    @Test func aBOMPrefixThatIsNotABOMIsData() throws {
        // EF BB followed by "a": not a BOM; the three bytes are data (and invalid UTF-8).
        let records = try readCSV([0xEF, 0xBB] + Array("a,b\n1,2\n".utf8))
        #expect(records.count == 2)
        #expect(records[0].hasInvalidUTF8)
        #expect(!records[1].hasInvalidUTF8)
        #expect(records[0].withField(0) { Array($0) } == [0xEF, 0xBB, UInt8(ascii: "a")])
        // Only a BOM and a header: nothing lost.
        #expect(try readCSV([0xEF, 0xBB, 0xBF, UInt8(ascii: "h")]).map(\.fields) == [["h"]])
        #expect(try readCSV([0xEF]).map(\.fields) == [["\u{FFFD}"]])
    }

    @Test func aQuoteOpensAQuotedCellOnlyAsItsFirstCharacter() throws {
        // `ab"c` keeps its quote; ` "x"` (space first) keeps its quotes; text after a closing quote
        // is kept literally (`"ab"c` → abc).
        let records = try readCSV("a,b,c\nab\"c, \"x\",\"ab\"c\n")
        #expect(records[1].fields == ["ab\"c", " \"x\"", "abc"])
        #expect(records.count == 2)
    }

    @Test func anUnterminatedQuoteRunsToTheEndOfTheMember() throws {
        let records = try readCSV("a,b\n1,\"open\n2,3\n4,5\n")
        #expect(records.count == 2)
        #expect(records[1].line == 2)
        #expect(records[1].hasUnterminatedQuote)
        #expect(records[1].fields == ["1", "open\n2,3\n4,5\n"])
        #expect(!records[0].hasUnterminatedQuote)
    }

    @Test func crlfInsideQuotesIsKeptAndALoneCRIsData() throws {
        let records = try readCSV("a,b\r\n\"x\r\ny\",1\r\nc\rd,2\r\n\"q\"\r\n")
        #expect(records[1].fields == ["x\r\ny", "1"])
        #expect(records[1].line == 2)
        #expect(records[2].fields == ["c\rd", "2"])
        #expect(records[2].line == 4)
        #expect(records[3].fields == ["q"])
        #expect(records[3].rawText == "\"q\"")
    }

    @Test func emptyCellsAndQuotedEmptyLines() throws {
        let records = try readCSV("a,b,c\n,,\n\"\"\n,\"\",\n")
        #expect(records.map(\.fields) == [["a", "b", "c"], ["", "", ""], [""], ["", "", ""]])
        // `""` alone on a line is a record (one empty cell), not a blank line.
        #expect(records.map(\.line) == [1, 2, 3, 4])
    }

    @Test func nulBytesAreOrdinaryData() throws {
        let records = try readCSV(Array("a,b\n".utf8) + [0, UInt8(ascii: ","), 0, 0, 10] + Array("1,2\n".utf8))
        #expect(records.count == 3)
        #expect(records[1].fieldCount == 2)
        #expect(records[1].withField(1) { Array($0) } == [0, 0])
        #expect(!records[1].hasInvalidUTF8)
        #expect(records[2].line == 3)
    }

    @Test func invalidUTF8IsFlaggedPerRecord() throws {
        // 0xC3 0x28 is an invalid two-byte sequence; 0xED 0xA0 0x80 a surrogate; 0xC0 0xAF overlong.
        let bytes =
            Array("a,b\n".utf8) + [0xC3, 0x28] + Array(",1\nx,y\n".utf8) + [0xED, 0xA0, 0x80]
            + Array(",2\n".utf8) + [0xC0, 0xAF] + Array(",3\nNguyễn,4\n".utf8)
        let records = try readCSV(bytes)
        #expect(records.map(\.hasInvalidUTF8) == [false, true, false, true, true, false])
    }

    @Test func aTwelveMegabyteLine() throws {
        // One 6 MiB unquoted cell and one 6 MiB quoted cell, fed in 64 KiB chunks: under the
        // 16 MiB a record may have, so read whole.
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 6 << 20)
        let bytes = Array("a,b\n".utf8) + big + Array(",\"".utf8) + big + Array("\"\nlast,1\n".utf8)
        let records = try Self.inChunks(bytes, of: 65536)
        #expect(records.count == 3)
        #expect(records[1].overlongBytes == nil)
        #expect(records[1].withField(0) { $0.count } == 6 << 20)
        #expect(records[1].withField(1) { $0.count } == 6 << 20)
        #expect(records[2].line == 3)
        #expect(records[2].fields == ["last", "1"])
    }

    /// A record past `CSVReader.maxRecordBytes` (two 10 MiB cells; an unclosed quote early in a
    /// large member) is read on to its end but not held: its byte count, its first MiB, no cells,
    /// and the records after it (and their lines) as before. Whole or in chunks, the same.
    @Test func aRecordPastTheLimitIsCountedNotHeld() throws {
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 10 << 20)
        let long = big + Array(",\"".utf8) + big + Array("\n\"".utf8)
        let unclosed = Array("\"open,\nnever closed".utf8) + big + big
        let bytes = Array("a,b\n".utf8) + long + Array("\r\nlast,1\n".utf8) + unclosed
        for records in [try Self.inChunks(bytes, of: 65536), try CSVReader.records(of: bytes)] {
            #expect(records.count == 4)
            #expect(records[1].overlongBytes == long.count)
            #expect(records[1].raw == Array(long.prefix(CSVReader.overlongKeptBytes)))
            #expect(records[1].fieldCount == 0)
            #expect(records[2].line == 4)
            #expect(records[2].fields == ["last", "1"])
            #expect(records[3].line == 5)
            #expect(records[3].overlongBytes == unclosed.count)
            #expect(records[3].hasUnterminatedQuote)
            #expect(records[1].rawText(atMost: 10) == "xxxxxxxxxx… [\(long.count) bytes in all]")
        }
    }

    private static func inChunks(_ bytes: [UInt8], of size: Int) throws -> [CSVRecord] {
        let reader = CSVReader()
        var records: [CSVRecord] = []
        try bytes.withUnsafeBytes { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + size)
                try reader.feed(UnsafeRawBufferPointer(rebasing: all[start..<end])) { records.append($0.compacted()) }
                start = end
            }
        }
        try reader.finish { records.append($0.compacted()) }
        return records
    }

    @Test func oneHundredThousandColumns() throws {
        let header = (0..<100_000).map { "c\($0)" }.joined(separator: ";")
        let row = (0..<100_000).map { String($0 % 10) }.joined(separator: ";")
        let records = try CSVReader.records(of: Array((header + "\n" + row + "\n").utf8))
        #expect(records.count == 2)
        #expect(records[0].fieldCount == 100_000)
        #expect(records[1].fieldCount == 100_000)
        #expect(records[1].field(99_999) == "9")
    }

    @Test func anEmptyMemberHasNoRecords() throws {
        #expect(try readCSV("").isEmpty)
        #expect(try readCSV("\n \n\r\n").isEmpty)
        #expect(try readCSV([0xEF, 0xBB, 0xBF]).isEmpty)
    }
}

extension CSVReader {
    /// The delimiter detected for `text` (fed all at once and one byte at a time).
    static func delimiter(of text: String) -> UInt8? {
        let whole = CSVReader()
        let bytewise = CSVReader()
        try? Array(text.utf8).withUnsafeBytes { try whole.feed($0) { _ in } }
        try? whole.finish { _ in }
        for byte in text.utf8 {
            try? withUnsafeBytes(of: byte) { try bytewise.feed($0) { _ in } }
        }
        try? bytewise.finish { _ in }
        return whole.delimiter == bytewise.delimiter ? whole.delimiter : nil
    }
}
