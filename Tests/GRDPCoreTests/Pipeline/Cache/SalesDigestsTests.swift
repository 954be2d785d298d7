import Testing

@testable import GRDPCore

/// The per-year digests that let a full run copy unchanged years' sales rows: any change to any
/// column of any row changes its year's digest, and only that one.
@Suite struct SalesDigestsTests {
    /// 2023 with one row; 2024 with more rows than a block, so that it is hashed in two blocks.
    private static let rows: [EcommerceSalesRow] = {
        func row(_ year: Int, _ index: Int) -> EcommerceSalesRow {
            EcommerceSalesRow(
                year: year, month: 1 + index % 12, channel: "marketplace", sellerTaxCode: "01\(index)",
                sellerDistrictCode: "660", transactions: 1 + index % 5,
                netVND: ExactDecimal(mantissa: Int128(1000 + index), scale: 1),
                vaVND: ExactDecimal(mantissa: Int128(80 + index), scale: 1), counted: index % 2 == 0)
        }
        return [row(2023, 0)] + (0..<(SalesDigests.blockRows + 10)).map { row(2024, $0) }
    }()

    @Test(arguments: 0..<9)
    func everyColumnCountsForItsYearOnly(column: Int) throws {
        let before = try #require(SalesDigests(build: "b", rows: Self.rows))
        var rows = Self.rows
        // A row of 2024's second block.
        let index = rows.count - 3
        switch column {
        case 0: rows[index].month = rows[index].month % 12 + 1
        case 1: rows[index].channel = "website"
        case 2: rows[index].sellerTaxCode += "-001"
        case 3: rows[index].sellerDistrictCode = "663"
        case 4: rows[index].transactions += 1
        case 5: rows[index].netVND = ExactDecimal(mantissa: rows[index].netVND.mantissa + 1, scale: 1)
        case 6: rows[index].vaVND = ExactDecimal(mantissa: rows[index].vaVND.mantissa, scale: 2)
        case 7: rows[index].counted.toggle()
        default: rows.remove(at: index)
        }
        let after = try #require(SalesDigests(build: "b", rows: rows))
        #expect(after.changedYears(since: before) == [2024])
        #expect(before.changedYears(since: before) == [])
    }

    @Test func aYearAddedOrGoneIsChangedAndAnotherBuildComparesNothing() throws {
        let both = try #require(SalesDigests(build: "b", rows: Self.rows))
        let only2024 = try #require(SalesDigests(build: "b", rows: Array(Self.rows.dropFirst())))
        #expect(only2024.changedYears(since: both) == [2023])
        #expect(both.changedYears(since: only2024) == [2023])
        let other = try #require(SalesDigests(build: "c", rows: Self.rows))
        #expect(other.changedYears(since: both) == nil)
        #expect(other.years == both.years)
    }

    /// Handed over in parts, cut anywhere (across a block's end, a part of one row, a part larger
    /// than a block), the digests are those of all the rows at once; rows of a year handed over
    /// again after another's give none.
    @Test(arguments: [[1, 5, 32_773], [2, 32_768, 9], [32_778, 1], [32_779]])
    func partsGiveTheDigestsOfTheWhole(cuts: [Int]) throws {
        let whole = try #require(SalesDigests(build: "b", rows: Self.rows))
        let byYear = SalesDigestsByYear(build: "b")
        var start = 0
        for cut in cuts {
            // A part holds one year's rows: the first row (2023) is a part of its own.
            let end = min(start + cut, Self.rows.count)
            if start == 0 {
                byYear.add([Self.rows[0]])
                byYear.add(Array(Self.rows[1..<end]))
            } else {
                byYear.add(Array(Self.rows[start..<end]))
            }
            start = end
        }
        #expect(start == Self.rows.count)
        #expect(byYear.digests == whole)
        let again = SalesDigestsByYear(build: "b")
        again.add([Self.rows[0]])
        again.add([Self.rows[1]])
        again.add([Self.rows[0]])
        #expect(again.digests == nil)
    }

    /// Rows not grouped by year (not Compute's order) give no digests: nothing can be copied.
    @Test func rowsNotInYearOrderGiveNoDigests() {
        #expect(SalesDigests(build: "b", rows: Array(Self.rows.dropFirst()) + [Self.rows[0], Self.rows[1]]) == nil)
        #expect(SalesDigests(build: "b", rows: [])?.years == [:])
    }
}
