import Testing

@testable import GRDPCore

@Suite struct NormalizeNumberParserTests {
    private func en(_ text: String) -> String? { NumberParser.parse(text, convention: .en)?.description }
    private func vi(_ text: String) -> String? { NumberParser.parse(text, convention: .vi)?.description }

    @Test func englishConvention() {
        #expect(en("0") == "0")
        #expect(en("1234") == "1234")
        #expect(en("1,234") == "1234")
        #expect(en("1,234,567.89") == "1234567.89")
        #expect(en("-1,234.5") == "-1234.5")
        #expect(en("12.50") == "12.50")
        #expect(en("007") == "7")
        #expect(en("0,123") == "123")  // first group 1–3 digits
        #expect(en("123,456") == "123456")
    }

    @Test func vietnameseConvention() {
        #expect(vi("1.234") == "1234")
        #expect(vi("1.234.567,89") == "1234567.89")
        #expect(vi("7.549,31") == "7549.31")
        #expect(vi("-0,5") == "-0.5")
        #expect(vi("12,34") == "12.34")
    }

    @Test func spacesAndNoBreakSpacesAreDropped() {
        #expect(en("1 234 567") == "1234567")
        #expect(vi("1\u{00A0}234,5") == "1234.5")
        #expect(en("- 5") == "-5")
        #expect(en(" 12 ") == "12")
    }

    @Test func whatIsNotANumber() {
        for text in [
            "", " ", "-", "+5", ".5", "5.", "1e5", "0x10", "--5", "12,34", "1,2345", "1234,567", "1,23,456",
            "1,234.", "1.2.3", "5-", "1,234,5", "abc", "1_000", "١٢٣", "12\t3", "1,,234", ",123", "-.5",
            "1.234,5", "∞", "NaN",
        ] {
            #expect(en(text) == nil, "en accepted '\(text)'")
        }
        #expect(vi("1,234,567.89") == nil)
        #expect(vi("1.234,5.6") == nil)
        #expect(en("1.234,5.6") == nil)
        #expect(vi("12.34") == nil)
        #expect(vi("1.234,") == nil)
    }

    @Test func exactAndOverflowChecked() {
        // 0.1 and 0.2 are exact decimals, not binary fractions.
        #expect(NumberParser.parse("0.1", convention: .en) == ExactDecimal(mantissa: 1, scale: 1))
        // Int128 holds 170141183460469231731687303715884105727 (39 digits).
        #expect(en("170141183460469231731687303715884105727") == "170141183460469231731687303715884105727")
        #expect(en("170141183460469231731687303715884105728") == nil)
        // Around the 18-digit fast path.
        #expect(en("123456789012345678") == "123456789012345678")
        #expect(en("1234567890123456789") == "1234567890123456789")
        #expect(en("99,999,999,999,999,999,999.99") == "99999999999999999999.99")  // 2 + 6·3 = 20 digits
        #expect(vi("-0,000000000000000000001") == "-0.000000000000000000001")
        #expect(en("99999999999999999999999999999999999999999") == nil)
        #expect(en("1." + String(repeating: "0", count: 39) + "1") == nil)
    }

    @Test func autoParsesOnlyUnambiguousValues() {
        #expect(NumberParser.parse("1,234.5", convention: .auto) == dec("1234.5"))
        #expect(NumberParser.parse("1.234,5", convention: .auto) == dec("1234.5"))
        #expect(NumberParser.parse("1234", convention: .auto) == dec("1234"))
        #expect(NumberParser.parse("1.234", convention: .auto) == nil)
    }

    @Test func decisiveValues() {
        // Both marks: the last one is the decimal mark.
        #expect(NumberParser.decisiveConvention("1,234.5") == .en)
        #expect(NumberParser.decisiveConvention("1.234,5") == .vi)
        #expect(NumberParser.decisiveConvention("1.234,5.6") == .en)
        // One mark repeated: it groups thousands.
        #expect(NumberParser.decisiveConvention("1,234,567") == .en)
        #expect(NumberParser.decisiveConvention("1.234.567") == .vi)
        // One mark once, followed by other than exactly three digits: the decimal mark.
        #expect(NumberParser.decisiveConvention("12.5") == .en)
        #expect(NumberParser.decisiveConvention("12,5") == .vi)
        #expect(NumberParser.decisiveConvention("-0,1234") == .vi)
        #expect(NumberParser.decisiveConvention("1 234,50") == .vi)
        // Not decisive: no mark, or one mark followed by exactly three digits, or not a number.
        #expect(NumberParser.decisiveConvention("1234") == nil)
        #expect(NumberParser.decisiveConvention("1.234") == nil)
        #expect(NumberParser.decisiveConvention("-1,234") == nil)
        #expect(NumberParser.decisiveConvention("") == nil)
        #expect(NumberParser.decisiveConvention("n/a") == nil)
        #expect(NumberParser.decisiveConvention("1e5.5") == nil)
        #expect(NumberParser.decisiveConvention("2023-12-31") == nil)
    }
    /// A value the default convention reads 1,000 times smaller than the other (review 34): one
    /// mark, the convention's decimal mark, 1–3 digits before, exactly 3 after, not all zeros;
    /// spaces and U+00A0 inside dropped as in any number. Its readings, the smaller first.
    @Test func aValueReadSmallerByTheDefault() throws {
        func readings(_ text: String, _ convention: PipelineConfig.NumberFormat) -> String? {
            NumberParser.readSmaller(text, by: convention).map { "\($0.smaller.reduced) \($0.larger.reduced)" }
        }
        #expect(readings("55.700", .en) == "55.7 55700")
        #expect(readings("-1.500", .en) == "-1.5 -1500")
        #expect(readings("55 .700", .en) == "55.7 55700")
        #expect(readings("1,500", .vi) == "1.5 1500")
        for (text, convention) in [
            ("55.700", PipelineConfig.NumberFormat.vi), ("1,500", .en), ("0.000", .en), ("1.500.000", .en),
            ("12345.678", .en), (".500", .en), ("1.50", .en), ("1.5000", .en), ("abc", .en), ("", .en),
        ] {
            #expect(readings(text, convention) == nil, "\(text) \(convention)")
        }
    }
}
