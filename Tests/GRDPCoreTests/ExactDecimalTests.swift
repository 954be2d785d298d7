import Testing
@testable import GRDPCore

@Suite struct ExactDecimalTests {
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
}
