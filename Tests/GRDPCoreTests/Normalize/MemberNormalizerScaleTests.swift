import Testing

@testable import GRDPCore

@Suite struct MemberNormalizerScaleTests {
    @Test func aTenMegabyteCell() {
        // A 10 MB name, then a normal row: both accepted, the second on line 3.
        let name = String(repeating: "Đắk Nông ", count: (10 << 20) / 13)
        let text = "tax_code,year,vsic,value_added,name\n0100109106,2023,6201,1,\(name)\n0100109106,2024,6201,2,b\n"
        let result = normalizeMember(Array(text.utf8), kind: .enterprise, config: normalizeConfig(), chunkSize: 65536)
        #expect(result.rows.count == 2)
        #expect(result.outcomes[0].enterprise?.name.utf8.count == name.utf8.count - 1)  // trailing space trimmed
        #expect(result.outcomes[1].enterprise?.name == "b")
        #expect(result.lines == [2, 3])
        // A 10 MB number is not one (too many digits) and the detail stays short.
        let number = String(repeating: "9", count: 10 << 20)
        let big = normalizeMember(
            Array("year,grdp\n2023,\(number)\n".utf8), kind: .grdp, config: normalizeConfig(), chunkSize: 1 << 20)
        #expect(big.reasons == [.typeError])
        #expect((big.detail(0)?.utf8.count ?? .max) < 400)
    }

    @Test func aLongLineInsideTheConventionWindow() {
        // A 10 MB row first, then 999 undecided rows: the held-back rows keep only their own bytes
        // (were they to share the reader's 10 MB buffer, this would need 10 GB).
        let name = String(repeating: "x", count: 10 << 20)
        var text = "tax_code;year;vsic;value_added;name\n0100109106;2023;6201;1.234;\(name)\n"
        for _ in 0..<999 { text += "0100109106;2023;6201;1.234;b\n" }
        let result = normalizeMember(Array(text.utf8), kind: .enterprise, config: normalizeConfig(), chunkSize: 1 << 16)
        #expect(result.rows.count == 1000)
        #expect(result.convention == .vi)
        #expect(result.outcomes.allSatisfy { $0.enterprise?.valueAddedMVND == dec("1234") })
    }

    @Test func oneHundredThousandColumns() {
        // The known columns sit at the far right of 100,000; unknown ones are ignored.
        let filler = (0..<99_998).map { "extra\($0)" }
        let header = (filler + ["year", "grdp"]).joined(separator: ",")
        let row = (Array(repeating: "", count: 99_998) + ["2023", "\"1,234.5\""]).joined(separator: ",")
        let short = (Array(repeating: "", count: 10) + ["2023", "1"]).joined(separator: ",")
        let text = header + "\n" + row + "\n" + short + "\n"
        let result = normalizeMember(Array(text.utf8), kind: .grdp, config: normalizeConfig(), chunkSize: 4096)
        #expect(result.headerError == nil)
        #expect(result.outcomes.first?.grdp == GRDPRecord(year: 2023, grdpBVND: dec("1234.5")))
        #expect(result.reasons == [nil, .fieldCount])
        #expect(result.detail(1) == "the row has 12 cells, the header has 100000")
    }

    @Test func aMillionShortRowsStayFlat() throws {
        // 200,000 rows fed in 64 KiB chunks: every row comes out, in order, with its line.
        var text = "transaction_id,date,amount,status\n"
        for i in 0..<200_000 { text += "T\(i),2024-01-02,\(i % 1000),completed\n" }
        var count = 0
        var lastLine = 0
        var ordered = true
        let normalizer = MemberNormalizer(kind: .transaction, config: normalizeConfig(), memberPath: "t.csv")
        try Array(text.utf8).withUnsafeBytes { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + 65536)
                try normalizer.feed(UnsafeRawBufferPointer(rebasing: all[start..<end])) { row in
                    count += 1
                    ordered = ordered && row.line == lastLine + (lastLine == 0 ? 2 : 1)
                    lastLine = row.line
                }
                start = end
            }
        }
        try normalizer.finish { _ in count += 1 }
        #expect(count == 200_000)
        #expect(ordered)
        #expect(lastLine == 200_001)
    }
}
