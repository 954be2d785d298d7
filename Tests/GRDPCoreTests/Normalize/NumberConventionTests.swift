import Testing

@testable import GRDPCore

@Suite struct NormalizeNumberConventionTests {
    private func values(_ result: MemberResult) -> [ExactDecimal?] {
        result.outcomes.map { $0.grdp?.grdpBVND }
    }

    @Test func theDecisionAppliesToEarlierRows() {
        // "1.234" is ambiguous; "1.234,5" (both marks, the last is ,) decides vi for the whole member,
        // so the first row is 1234, not 1.234.
        let vi = normalize("year;grdp\n2021;1.234\n2022;1.234,5\n2023;7\n", kind: .grdp)
        #expect(vi.convention == .vi)
        #expect(values(vi) == [dec("1234"), dec("1234.5"), dec("7")])
        // The same ambiguous first row in a member that "1,234.5" decides as en: 1.234. A `;`
        // delimiter does not force vi when a value decides.
        let en = normalize("year;grdp\n2021;1.234\n2022;1,234.5\n", kind: .grdp)
        #expect(en.convention == .en)
        #expect(values(en) == [dec("1.234"), dec("1234.5")])
    }

    @Test func withNoDecisiveValueTheDelimiterDecides() {
        // `;`-delimited: vi, so 1.234 is 1234.
        let semicolon = normalize("year;grdp\n2021;1.234\n2022;12\n", kind: .grdp)
        #expect(semicolon.convention == .vi)
        #expect(values(semicolon) == [dec("1234"), dec("12")])
        // `,`- and TAB-delimited: en, so 1.234 is 1.234.
        let comma = normalize("year,grdp\n2021,\"1.234\"\n", kind: .grdp)
        #expect(comma.convention == .en)
        #expect(values(comma) == [dec("1.234")])
        let tab = normalize("year\tgrdp\n2021\t1.234\n", kind: .grdp)
        #expect(tab.convention == .en)
        #expect(values(tab) == [dec("1.234")])
    }

    @Test func aValueAgainstTheDecisionIsATypeError() {
        let result = normalize("year;grdp\n2021;1.234,5\n2022;1,234,567.89\n2023;1.234,5.6\n", kind: .grdp)
        #expect(result.convention == .vi)
        #expect(result.reasons == [nil, .typeError, .typeError])
        #expect(result.detail(2) == "grdp '1.234,5.6' is not a number in this member's format (vi)")
    }

    @Test func aConfiguredConventionIsNotDetected() {
        let config = normalizeConfig(numberFormat: .vi)
        let result = normalize("year,grdp\n2021,\"1,234,567.89\"\n2022,\"1.234\"\n", kind: .grdp, config: config)
        #expect(result.convention == .vi)
        #expect(result.reasons == [.typeError, nil])
        #expect(result.detail(0) == "grdp '1,234,567.89' is not a number in this member's format (vi)")
        #expect(values(result)[1] == dec("1234"))
        let en = normalize("year;grdp\n2022;1.234\n", kind: .grdp, config: normalizeConfig(numberFormat: .en))
        #expect(en.convention == .en)
        #expect(values(en) == [dec("1.234")])
    }

    @Test func cellsAreReadLeftToRightInTheMembersColumnOrder() {
        // employees (1.5: en) stands left of value_added (2,5: vi) in this header: en decides, and
        // "2,5" is then a type-error.
        let left = normalize(
            "tax_code;year;vsic;employees;value_added\n0100109106;2023;6201;1.5;2,5\n", kind: .enterprise)
        #expect(left.convention == .en)
        #expect(left.reasons == [.typeError])
        // Swapped columns: value_added decides vi, and employees "1.5" is the type-error.
        let right = normalize(
            "tax_code;year;vsic;value_added;employees\n0100109106;2023;6201;2,5;1.5\n", kind: .enterprise)
        #expect(right.convention == .vi)
        #expect(right.reasons == [.typeError])
        #expect(right.detail(0) == "employees '1.5' is not a number in this member's format (vi)")
        // Non-numeric columns never decide: the tax code, year and a name "1.5" are not looked at.
        let names = normalize(
            "tax_code;year;vsic;name;value_added\n0100109106;2023;62.01;1.5;1.234\n", kind: .enterprise)
        #expect(names.convention == .vi)
        #expect(names.outcomes[0].enterprise?.valueAddedMVND == dec("1234"))
    }

    @Test func rowsWithTheWrongCellCountDecideNothing() {
        // The first row has an extra cell; its "1,5" must not decide vi.
        let result = normalize("year,grdp\n2021,\"1,5\",x\n2022,\"2.5\"\n", kind: .grdp)
        #expect(result.convention == .en)
        #expect(result.reasons == [.fieldCount, nil])
        #expect(values(result)[1] == dec("2.5"))
    }

    @Test func theWindowIsTheFirstThousandRecords() {
        // 999 ambiguous rows, then "1.234,5" as record 1,000: it still decides (vi).
        let ambiguous = String(repeating: "2021;1.234\n", count: 999)
        let inside = normalize("year;grdp\n" + ambiguous + "2022;1.234,5\n", kind: .grdp)
        #expect(inside.convention == .vi)
        #expect(inside.outcomes.first?.grdp?.grdpBVND == dec("1234"))
        #expect(inside.reasons.allSatisfy { $0 == nil })
        // 1,000 ambiguous rows in a `,`-delimited member: en is decided after record 1,000, so the
        // decisive-looking "1.234,5" of record 1,001 is a type-error in en.
        let thousand = String(repeating: "2021,\"1.234\"\n", count: 1000)
        let after = normalizeMember(
            Array(("year,grdp\n" + thousand + "2022,\"1.234,5\"\n").utf8), kind: .grdp, config: normalizeConfig())
        #expect(after.convention == .en)
        #expect(after.rows.count == 1001)
        #expect(after.rows[0].outcome.grdp?.grdpBVND == dec("1.234"))
        #expect(after.reasons[1000] == .typeError)
        #expect(after.rows[1000].line == 1002)
    }

    @Test func rowsStreamOnceDecided() throws {
        // Undecided: nothing comes out until the decision; after record 1,000 every row streams.
        let normalizer = MemberNormalizer(kind: .grdp, config: normalizeConfig(), memberPath: "grdp.csv")
        var emitted = 0
        func feed(_ text: String) throws {
            try Array(text.utf8).withUnsafeBytes { try normalizer.feed($0) { _ in emitted += 1 } }
        }
        try feed("year;grdp\n")
        for _ in 0..<999 { try feed("2021;5\n") }
        #expect(emitted == 0)
        #expect(normalizer.numberConvention == .auto)
        try feed("2021;5\n")
        #expect(emitted == 1000)
        #expect(normalizer.numberConvention == .vi)
        try feed("2021;5\n")
        #expect(emitted == 1001)
        // A decisive value ends the wait at once.
        let early = MemberNormalizer(kind: .grdp, config: normalizeConfig(), memberPath: "grdp.csv")
        var earlyRows: [NormalizedRow] = []
        try Array("year,grdp\n2021,5\n2022,\"2.5\"\n2023,7\n".utf8).withUnsafeBytes {
            try early.feed($0) { earlyRows.append($0) }
        }
        #expect(earlyRows.count == 3)
        #expect(early.numberConvention == .en)
        try early.finish { earlyRows.append($0) }
        #expect(earlyRows.count == 3)
    }
}
