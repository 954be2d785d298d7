import Testing

@testable import GRDPCore

/// The arithmetic every figure goes through, on both of its paths: amounts that fit in 64 bits
/// (the fast path) and those that need all 128.
@Suite struct ExactDecimalTests {
    private func decimal(_ text: String) -> ExactDecimal { ExactDecimal(canonical: text)! }

    @Test(arguments: [
        ("1.500", "1.5"), ("-1.500", "-1.5"), ("100.00", "100"), ("-100.00", "-100"), ("0.000", "0"),
        ("7", "7"), ("0.1", "0.1"), ("12345678901234567.80", "12345678901234567.8"),
        // 10^19 and beyond: more than 64 bits, the 128-bit path.
        ("10000000000000000000.000", "10000000000000000000"),
        ("-123456789012345678901234.5600", "-123456789012345678901234.56"),
        ("9223372036854775807.0", "9223372036854775807"), ("-9223372036854775808.00", "-9223372036854775808"),
    ])
    func reducedDropsTrailingFractionalZerosOnly(_ given: String, _ expected: String) {
        let reduced = decimal(given).reduced
        #expect(reduced.description == expected)
        #expect(reduced == decimal(given))
    }

    @Test func sumsAlignScales() throws {
        #expect(try (decimal("1.25") + decimal("2.75")).description == "4.00")
        #expect(try (decimal("1.5") + decimal("2.25")).description == "3.75")
        #expect(try (decimal("2.25") + decimal("-1")).description == "1.25")
        #expect(try (decimal("0.1") - decimal("0.35")).description == "-0.25")
        #expect(try (decimal("-5") + decimal("5")).description == "0")
    }

    @Test func sumsThatDoNotFitThrowAtEqualAndUnequalScales() {
        let largest = ExactDecimal(mantissa: .max, scale: 2)
        #expect(throws: ArithmeticOverflow.self) { try largest + ExactDecimal(mantissa: 1, scale: 2) }
        #expect(throws: ArithmeticOverflow.self) { try largest + ExactDecimal(mantissa: 1, scale: 0) }
        #expect(throws: ArithmeticOverflow.self) {
            try ExactDecimal(mantissa: .min, scale: 1) - ExactDecimal(mantissa: 1, scale: 1)
        }
        #expect(throws: Never.self) { try largest + ExactDecimal(mantissa: -1, scale: 2) }
    }

    /// A difference is subtracted, not added negated: the least mantissa taken away is an overflow
    /// to throw (or, from a negative value, an exact answer), never a trap on −Int128.min.
    @Test func differencesOfTheLeastMantissaThrowOrAreExact() throws {
        let least = ExactDecimal(mantissa: .min, scale: 2)
        #expect(throws: ArithmeticOverflow.self) { try ExactDecimal(mantissa: 0, scale: 2) - least }
        #expect(throws: ArithmeticOverflow.self) { try ExactDecimal(mantissa: 1, scale: 0) - least }
        #expect(try (ExactDecimal(mantissa: -1, scale: 2) - least) == ExactDecimal(mantissa: .max, scale: 2))
        #expect(try (least - least) == ExactDecimal(mantissa: 0, scale: 2))
        #expect(try (decimal("1.5") - decimal("-0.25")).description == "1.75")
    }

    @Test func productsAreExact() throws {
        #expect(try (decimal("1500.00") * decimal("0.10")).description == "150.0")
        #expect(try (decimal("-2.5") * decimal("0.4")).description == "-1.00")
        #expect(try (decimal("123456789012345678901.5") * decimal("2")).description == "246913578024691357803.0")
        #expect(throws: ArithmeticOverflow.self) {
            try ExactDecimal(mantissa: .max, scale: 0) * ExactDecimal(mantissa: 2, scale: 0)
        }
    }

    @Test func roundsHalfToEven() {
        #expect(ExactDecimal(canonical: "2.5")!.formatted(decimals: 0) == "2")
        #expect(ExactDecimal(canonical: "3.5")!.formatted(decimals: 0) == "4")
        #expect(ExactDecimal(canonical: "-2.5")!.formatted(decimals: 0) == "-2")
        #expect(ExactDecimal(canonical: "1.00050")!.formatted(decimals: 3) == "1.000")
        #expect(ExactDecimal(canonical: "1.00150")!.formatted(decimals: 3) == "1.002")
        #expect(ExactDecimal(canonical: "1.0015001")!.formatted(decimals: 3) == "1.002")
        #expect(ExactDecimal(canonical: "7")!.formatted(decimals: 3) == "7.000")
    }

    @Test func sumsExactly() throws {
        // 0.1 + 0.2 is exactly 0.3, unlike in binary floating point.
        let sum = try ExactDecimal(canonical: "0.1")! + ExactDecimal(canonical: "0.2")!
        #expect(sum == ExactDecimal(canonical: "0.3")!)
        #expect(try (ExactDecimal(canonical: "1.5")! * ExactDecimal(canonical: "0.08")!).description == "0.120")
    }

    @Test func rationalRounding() throws {
        // 2/3 = 0.6666… → 0.6667; 1/8 = 0.125 → 0.12 (half to even).
        #expect(try Rational(2, 3).rounded(toDecimals: 4).description == "0.6667")
        #expect(try Rational(1, 8).rounded(toDecimals: 2).description == "0.12")
        #expect(try Rational(3, 8).rounded(toDecimals: 2).description == "0.38")
        #expect(try Rational(-1, 8).rounded(toDecimals: 2).description == "-0.12")
        #expect(Rational(1, 3) < Rational(1, 2))
    }

    /// A decimal becomes the fraction it is, up to 38 decimals (10^38 fits a 128-bit
    /// denominator); one with more stops the process rather than become a wrong fraction (it once
    /// became its mantissa over 1). Trailing zeros do not count: 5 × 10^-40 ending in two zeros is
    /// 5 × 10^-38.
    @Test func aDecimalBecomesItsFractionOrStops() async throws {
        let tiny = Rational(ExactDecimal(mantissa: 3, scale: 38))
        let tenTo38 = try Int128.powerOfTen(38)
        #expect(tiny.numerator == 3 && tiny.denominator == tenTo38)
        let padded = Rational(ExactDecimal(mantissa: 500, scale: 40))
        #expect(padded == Rational(5, tenTo38))
        await #expect(processExitsWith: .failure) {
            _ = Rational(ExactDecimal(mantissa: 1, scale: 39))
        }
    }

    /// The mantissa is kept in two 64-bit halves (24 bytes a value): every 128-bit value, and
    /// both sides of the 64-bit boundary, come back as given.
    static let mantissas: [Int128] = {
        let one: Int128 = 1
        let low64 = Int128(UInt64.max)
        var values: [Int128] = [.max, .min, 0, 1, -1, Int128(Int64.max), Int128(Int64.min)]
        values += [Int128(Int64.max) + one, Int128(Int64.min) - one, low64, -low64]
        values += [one << 64, -(one << 64), low64 << 63, 123_456_789_012_345_678_901_234_567_890]
        return values
    }()

    @Test(arguments: ExactDecimalTests.mantissas)
    func mantissaRoundTrips(_ mantissa: Int128) {
        let value = ExactDecimal(mantissa: mantissa, scale: 7)
        #expect(value.mantissa == mantissa)
        #expect(value.scale == 7)
        #expect(value.isNegative == (mantissa < 0))
        #expect(MemoryLayout<ExactDecimal>.stride == 24)
    }
}
