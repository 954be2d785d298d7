/// An exact fraction, for the few figures that divide: shares, gaps and interpolated targets.
///
/// Always kept reduced with a positive denominator. Operations are overflow-checked.
public struct Rational: Sendable, Comparable, CustomStringConvertible {
    public private(set) var numerator: Int128
    public private(set) var denominator: Int128

    public init(_ numerator: Int128, _ denominator: Int128 = 1) {
        precondition(denominator != 0, "zero denominator")
        var n = numerator
        var d = denominator
        if d < 0 {
            n = -n
            d = -d
        }
        let g = Rational.gcd(n.magnitude, d.magnitude)
        if g > 1 {
            n /= Int128(g)
            d /= Int128(g)
        }
        self.numerator = n
        self.denominator = d
    }

    /// - Precondition: `decimal` has at most 38 decimals once reduced, as every one grdp makes a
    ///   fraction of has (numbers read: 18; config numbers: 38 written out; a sum past 38 throws
    ///   `ArithmeticOverflow` first). One with more cannot be held exactly: a bug to stop at, not a
    ///   figure to round.
    public init(_ decimal: ExactDecimal) {
        let r = decimal.reduced
        guard let denominator = try? Int128.powerOfTen(r.scale) else {
            preconditionFailure("\(r.scale) decimals: more than a fraction can hold exactly (38)")
        }
        self.init(r.mantissa, denominator)
    }

    public init(_ integer: Int) { self.init(Int128(integer), 1) }

    static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }

    private static func checked(
        _ r: (partialValue: Int128, overflow: Bool), _ what: @autoclosure () -> String
    ) throws(ArithmeticOverflow) -> Int128 {
        if r.overflow { throw ArithmeticOverflow(operation: what()) }
        return r.partialValue
    }

    public static func + (a: Rational, b: Rational) throws(ArithmeticOverflow) -> Rational {
        let g = Int128(gcd(a.denominator.magnitude, b.denominator.magnitude))
        let da = a.denominator / g
        let db = b.denominator / g
        let left = try checked(a.numerator.multipliedReportingOverflow(by: db), "\(a) + \(b)")
        let right = try checked(b.numerator.multipliedReportingOverflow(by: da), "\(a) + \(b)")
        let n = try checked(left.addingReportingOverflow(right), "\(a) + \(b)")
        let d = try checked(a.denominator.multipliedReportingOverflow(by: db), "\(a) + \(b)")
        return Rational(n, d)
    }

    public static prefix func - (a: Rational) -> Rational { Rational(-a.numerator, a.denominator) }

    public static func - (a: Rational, b: Rational) throws(ArithmeticOverflow) -> Rational { try a + (-b) }

    public static func * (a: Rational, b: Rational) throws(ArithmeticOverflow) -> Rational {
        // Cross-reduce first to keep the intermediate products small.
        let g1 = Int128(Swift.max(1, gcd(a.numerator.magnitude, b.denominator.magnitude)))
        let g2 = Int128(Swift.max(1, gcd(b.numerator.magnitude, a.denominator.magnitude)))
        let n = try checked(
            (a.numerator / g1).multipliedReportingOverflow(by: b.numerator / g2), "\(a) × \(b)")
        let d = try checked(
            (a.denominator / g2).multipliedReportingOverflow(by: b.denominator / g1), "\(a) × \(b)")
        return Rational(n, d)
    }

    public static func / (a: Rational, b: Rational) throws(ArithmeticOverflow) -> Rational {
        precondition(b.numerator != 0, "division by zero")
        return try a * Rational(b.denominator, b.numerator)
    }

    public var isZero: Bool { numerator == 0 }

    public static func < (a: Rational, b: Rational) -> Bool {
        // Compare by the sign of a − b; on overflow fall back to long comparison via doubles is
        // not exact, so compare integer parts first, then the fractions recursively.
        if let difference = try? (a - b) { return difference.numerator < 0 }
        let qa = a.numerator / a.denominator
        let qb = b.numerator / b.denominator
        if qa != qb { return qa < qb }
        let ra = Rational(a.numerator - qa * a.denominator, a.denominator)
        let rb = Rational(b.numerator - qb * b.denominator, b.denominator)
        // Both remainders are in (-1, 1): compare their reciprocals when non-zero.
        if ra.numerator == 0 || rb.numerator == 0 || (ra.numerator < 0) != (rb.numerator < 0) {
            return ra.numerator < rb.numerator || (ra.numerator == 0 && rb.numerator > 0)
        }
        return Rational(rb.denominator, rb.numerator) < Rational(ra.denominator, ra.numerator)
    }

    public static func == (a: Rational, b: Rational) -> Bool {
        a.numerator == b.numerator && a.denominator == b.denominator
    }

    /// Rounds half-to-even to `decimals` places.
    public func rounded(toDecimals decimals: Int) throws(ArithmeticOverflow) -> ExactDecimal {
        let factor = try Int128.powerOfTen(decimals)
        // Reduce factor against the denominator to avoid needless overflow.
        let g = Int128(Rational.gcd(factor.magnitude, denominator.magnitude))
        let scaledNumerator = try Rational.checked(
            numerator.multipliedReportingOverflow(by: factor / g), "rounding \(self)")
        return ExactDecimal(
            mantissa: Rational.divideRoundingHalfEven(scaledNumerator, denominator / g), scale: decimals)
    }

    /// `n / d` rounded half-to-even, for `d > 0`.
    static func divideRoundingHalfEven(_ n: Int128, _ d: Int128) -> Int128 {
        precondition(d > 0)
        var q = n / d
        let r = n % d  // same sign as n
        let twiceRemainder = r.magnitude * 2
        if twiceRemainder > d.magnitude || (twiceRemainder == d.magnitude && q % 2 != 0) {
            q += n < 0 ? -1 : 1
        }
        return q
    }

    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }
}
