import Testing

@testable import GRDPCore

/// The per-year digests that let a full run copy unchanged years' sales rows, and the per-month
/// ones that let a run writing a year at a time leave unchanged months unread: any change to any
/// column of any row changes its year's and its month's digests, and only those.
@Suite struct SalesDigestsTests {
    /// 2023 with one row; 2024 with 32,778 rows in its twelve months, in (year, month) order.
    private static let rows: [EcommerceSalesRow] = {
        func row(_ year: Int, _ index: Int) -> EcommerceSalesRow {
            EcommerceSalesRow(
                year: year, month: 1 + index % 12, channel: "marketplace", sellerTaxCode: "01\(index)",
                sellerDistrictCode: "660", transactions: 1 + index % 5,
                netVND: ExactDecimal(mantissa: Int128(1000 + index), scale: 1),
                vaVND: ExactDecimal(mantissa: Int128(80 + index), scale: 1), counted: index % 2 == 0)
        }
        return [row(2023, 0)]
            + (0..<32_778).sorted { ($0 % 12, $0) < ($1 % 12, $1) }.map { row(2024, $0) }
    }()

    @Test(arguments: 0..<9)
    func everyColumnCountsForItsYearOnly(column: Int) throws {
        let before = try #require(SalesDigests(build: "b", rows: Self.rows))
        var rows = Self.rows
        // A row of 2024's December (for its month: the first, which goes to November, still in
        // order).
        let index = column == 0 ? rows.firstIndex { $0.year == 2024 && $0.month == 12 }! : rows.count - 3
        switch column {
        case 0: rows[index].month = 11
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
        // Month by month: December changed (and November, which took a row from it).
        let changed = Set(after.months!.keys).union(before.months!.keys).filter {
            after.months![$0] != before.months![$0]
        }
        #expect(changed == (column == 0 ? [202_411, 202_412] : [202_412]))
        #expect(before.everyMonth?.count == 13)
    }

    /// Digests of months given (`known`: a night's months before the first it touched) are taken
    /// as given, not hashed again, and go into their year's; a month given that the rows lack is
    /// not added; a month of the rows not given is hashed. Given their own digests, the same
    /// record as hashing every month.
    @Test(arguments: [false, true])
    func monthsGivenAreTakenAsGiven(inParallel: Bool) throws {
        let whole = try #require(SalesDigests(build: "b", rows: Self.rows, inParallel: inParallel))
        let january = SalesDigests.monthKey(year: 2024, month: 1)
        let given = try #require(whole.months).filter { $0.key <= january }
        #expect(SalesDigests(build: "b", rows: Self.rows, inParallel: inParallel, known: given) == whole)
        // Not hashed: a digest given is what the record holds, whatever it is.
        let named = SalesDigests(
            build: "b", rows: Self.rows, inParallel: inParallel,
            known: [january: "given", SalesDigests.monthKey(year: 2022, month: 5): "absent"])
        #expect(named?.months?[january] == "given")
        #expect(named?.months?[SalesDigests.monthKey(year: 2022, month: 5)] == nil)
        #expect(named?.months?.count == whole.months?.count)
        #expect(named?.years[2024] != whole.years[2024])
        #expect(named?.years[2023] == whole.years[2023])
        #expect(
            try #require(named?.months).filter { $0.key != january } == whole.months!.filter { $0.key != january })
    }

    /// Month digests trusted only when they cover every year: put together with an older record
    /// without them, or missing a year's, they are not (a missing month reads as one with no row).
    @Test func monthDigestsAreTrustedOnlyWhenEveryYearHasThem() throws {
        let both = try #require(SalesDigests(build: "b", rows: Self.rows))
        let only2024 = try #require(SalesDigests(build: "b", rows: Array(Self.rows.dropFirst())))
        // A night that computed 2024 only: 2023's carried from the earlier record.
        #expect(only2024.adding(both, except: [2024]) == both)
        #expect(only2024.adding(both, except: [2024]).everyMonth != nil)
        // The earlier record written before months were: no month of 2023 known, none trusted.
        let older = SalesDigests(build: "b", years: both.years)
        #expect(only2024.adding(older, except: [2024]).everyMonth == nil)
        #expect(only2024.adding(older, except: [2024]).years == both.years)
        var missing = both
        missing.months![202_301] = nil
        #expect(missing.everyMonth == nil)
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

    /// Handed over in parts, cut anywhere (inside a month, a part of one row, a part of several
    /// months), or month by month as their digests were taken, the digests are those of all the
    /// rows at once; rows of a year handed over again after another's give none.
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
        // Month by month, as a run comparing with the file takes them.
        let byMonth = SalesDigestsByYear(build: "b")
        var begin = 0
        for index in Self.rows.indices
        where index + 1 == Self.rows.count || Self.rows[index + 1].month != Self.rows[index].month
            || Self.rows[index + 1].year != Self.rows[index].year
        {
            byMonth.add(
                year: Self.rows[index].year, month: Self.rows[index].month, rows: index + 1 - begin,
                digest: SalesDigests.digest(Self.rows[begin...index]))
            begin = index + 1
        }
        #expect(byMonth.digests == whole)
        let again = SalesDigestsByYear(build: "b")
        again.add([Self.rows[0]])
        again.add([Self.rows[1]])
        again.add([Self.rows[0]])
        #expect(again.digests == nil)
    }

    /// The row encoding's bytes: LEB128 (seven bits a byte, low first), the zigzag form for
    /// signed values, a string's length so written before its bytes.
    @Test func fieldsAreWrittenInTheBytesTheyNeed() {
        func hashed(_ write: (inout ContentHash.Serializer) -> Void) -> String {
            var serializer = ContentHash.Serializer()
            write(&serializer)
            return serializer.finish()
        }
        func raw(_ bytes: [UInt8]) -> String { hashed { $0.raw([bytes]) } }
        #expect(hashed { $0.varint(0) } == raw([0]))
        #expect(hashed { $0.varint(127) } == raw([0x7F]))
        #expect(hashed { $0.varint(128) } == raw([0x80, 0x01]))
        #expect(hashed { $0.varint(300) } == raw([0xAC, 0x02]))
        #expect(hashed { $0.varint(.max) } == raw(Array(repeating: 0xFF, count: 9) + [0x01]))
        #expect(hashed { $0.varint(signed: 0) } == raw([0]))
        #expect(hashed { $0.varint(signed: -1) } == raw([1]))
        #expect(hashed { $0.varint(signed: 1) } == raw([2]))
        #expect(hashed { $0.varint(signed: 2024) } == raw([0xD0, 0x1F]))
        #expect(hashed { $0.varint(signed: .min) } == raw(Array(repeating: 0xFF, count: 9) + [0x01]))
        #expect(hashed { $0.shortString("660") } == raw([3] + Array("660".utf8)))
        #expect(hashed { $0.shortString("") } == raw([0]))
        // A length past seven bits; one past the buffer's 64 KiB, hashed without it.
        let long = String(repeating: "ắ", count: 50)
        #expect(long.utf8.count == 150)
        #expect(hashed { $0.shortString(long) } == raw([0x96, 0x01] + Array(long.utf8)))
        let huge = String(repeating: "x", count: 70_000)
        #expect(hashed { $0.shortString(huge) } == raw([0xF0, 0xA2, 0x04] + Array(huge.utf8)))
    }

    /// Rows whose fields' bytes would run together if their ends were not written (a string's
    /// bytes moved to the next, an amount's digits to its scale, a mantissa across 64 bits or
    /// below zero, a value at a length's edge) all have digests of their own.
    @Test func rowsOfShiftedFieldsDiffer() {
        let base = EcommerceSalesRow(
            year: 2024, month: 1, channel: "marketplace", sellerTaxCode: "0123", sellerDistrictCode: "45",
            transactions: 1, netVND: ExactDecimal(mantissa: 127, scale: 0),
            vaVND: ExactDecimal(mantissa: 10, scale: 1), counted: true)
        func with(_ change: (inout EcommerceSalesRow) -> Void) -> EcommerceSalesRow {
            var row = base
            change(&row)
            return row
        }
        let rows = [
            base,
            with {
                $0.sellerTaxCode = "012"
                $0.sellerDistrictCode = "345"
            },
            with {
                $0.channel = "marketplace0"
                $0.sellerTaxCode = "123"
            },
            with { $0.netVND = ExactDecimal(mantissa: 128, scale: 0) },
            with { $0.netVND = ExactDecimal(mantissa: 1270, scale: 1) },
            with { $0.netVND = ExactDecimal(mantissa: 127, scale: 1) },
            with { $0.netVND = ExactDecimal(mantissa: -127, scale: 0) },
            with { $0.netVND = ExactDecimal(mantissa: Int128(UInt64.max), scale: 0) },
            with { $0.netVND = ExactDecimal(mantissa: -1, scale: 0) },
            with { $0.netVND = ExactDecimal(mantissa: Int128(1) << 64, scale: 0) },
            with { $0.vaVND = ExactDecimal(mantissa: 1, scale: 10) },
            with { $0.transactions = 0 },
            with { $0.transactions = 128 },
            with { $0.month = 12 },
            with { $0.counted = false },
        ]
        let digests = rows.map { SalesDigests.digest([$0][...]) }
        #expect(Set(digests).count == rows.count)
        // Two rows are not one row of their bytes: a row's fields all end where they say.
        #expect(SalesDigests.digest([base, base][...]) != SalesDigests.digest([base][...]))
    }

    /// Rows not grouped by year and month (not Compute's order) give no digests: nothing can be
    /// copied.
    @Test func rowsNotInYearOrderGiveNoDigests() {
        #expect(SalesDigests(build: "b", rows: Array(Self.rows.dropFirst()) + [Self.rows[0], Self.rows[1]]) == nil)
        #expect(SalesDigests(build: "b", rows: Array(Self.rows.dropFirst()).reversed()) == nil)
        #expect(SalesDigests(build: "b", rows: [])?.years == [:])
    }
}
