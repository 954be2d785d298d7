/// An exact decimal number: `mantissa × 10^-scale`.
///
/// Money is never summed in binary floating point (CONTRACT §4.2). Every operation is
/// overflow-checked: a result that does not fit in 128 bits throws `ArithmeticOverflow`
/// rather than publishing a wrong figure.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible, BitwiseCopyable {
    /// The mantissa in two 64-bit halves and the scale in 32 bits: 24 bytes a value where an
    /// `Int128` and an `Int` take 32 (an `Int128` is aligned to 16 bytes). Millions are kept at
    /// once: two in every sales row, one in every transaction group.
    private var low: UInt64
    private var high: Int64
    private var storedScale: Int32

    public private(set) var mantissa: Int128 {
        get { Int128(high) << 64 | Int128(low) }
        set {
            low = UInt64(truncatingIfNeeded: newValue)
            high = Int64(truncatingIfNeeded: newValue >> 64)
        }
    }

    public private(set) var scale: Int {
        get { Int(storedScale) }
        set { storedScale = Int32(newValue) }
    }

    public static let zero = ExactDecimal(mantissa: 0, scale: 0)

    public init(mantissa: Int128, scale: Int) {
        precondition(scale >= 0 && scale <= Int(Int32.max), "scale must be between 0 and 2^31 - 1")
        low = UInt64(truncatingIfNeeded: mantissa)
        high = Int64(truncatingIfNeeded: mantissa >> 64)
        storedScale = Int32(scale)
    }

    public init(_ integer: Int) {
        self.init(mantissa: Int128(integer), scale: 0)
    }

    /// Parses a plain canonical decimal (`-123.45`, `7`): the form this type prints.
    /// Input data goes through `NumberParser`, not this.
    public init?(canonical text: some StringProtocol) {
        var negative = false
        var mantissa: Int128 = 0
        var scale = 0
        var seenPoint = false
        var digits = 0
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "-") where index == 0:
                negative = true
            case UInt8(ascii: "."):
                if seenPoint || digits == 0 { return nil }
                seenPoint = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let (m1, o1) = mantissa.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(Int128(byte - UInt8(ascii: "0")))
                if o1 || o2 { return nil }
                mantissa = m2
                digits += 1
                if seenPoint { scale += 1 }
            default:
                return nil
            }
        }
        if digits == 0 || (seenPoint && scale == 0) { return nil }
        self.init(mantissa: negative ? -mantissa : mantissa, scale: scale)
    }

    public var isZero: Bool { mantissa == 0 }
    public var isNegative: Bool { mantissa < 0 }

    /// The same value with trailing fractional zeros removed (`1.500` → `1.5`).
    public var reduced: ExactDecimal {
        guard scale > 0 else { return self }
        // Most amounts fit in 64 bits, where dividing by 10 is a multiplication; 128-bit division
        // is a library call (millions of sales rows are reduced in every run).
        if let small = Int64(exactly: mantissa) {
            var m = small
            var s = scale
            while s > 0 && m % 10 == 0 {
                m /= 10
                s -= 1
            }
            return ExactDecimal(mantissa: Int128(m), scale: s)
        }
        var m = mantissa
        var s = scale
        while s > 0 && m % 10 == 0 {
            m /= 10
            s -= 1
        }
        return ExactDecimal(mantissa: m, scale: s)
    }

    /// This value expressed with a larger scale (exact).
    public func rescaled(to newScale: Int) throws(ArithmeticOverflow) -> ExactDecimal {
        precondition(newScale >= scale)
        let factor = try Int128.powerOfTen(newScale - scale)
        let (m, o) = mantissa.multipliedReportingOverflow(by: factor)
        if o { throw ArithmeticOverflow(operation: "rescale \(self) to \(newScale) decimals") }
        return ExactDecimal(mantissa: m, scale: newScale)
    }

    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) throws(ArithmeticOverflow) -> ExactDecimal {
        if lhs.scale == rhs.scale {
            let (m, o) = lhs.mantissa.addingReportingOverflow(rhs.mantissa)
            if o { throw ArithmeticOverflow(operation: "\(lhs) + \(rhs)") }
            return ExactDecimal(mantissa: m, scale: lhs.scale)
        }
        let s = max(lhs.scale, rhs.scale)
        let a = try lhs.rescaled(to: s)
        let b = try rhs.rescaled(to: s)
        let (m, o) = a.mantissa.addingReportingOverflow(b.mantissa)
        if o { throw ArithmeticOverflow(operation: "\(lhs) + \(rhs)") }
        return ExactDecimal(mantissa: m, scale: s)
    }

    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) throws(ArithmeticOverflow) -> ExactDecimal {
        // Subtracted, not added negated: −Int128.min does not exist.
        let s = max(lhs.scale, rhs.scale)
        let (a, b) = lhs.scale == rhs.scale ? (lhs, rhs) : (try lhs.rescaled(to: s), try rhs.rescaled(to: s))
        let (m, o) = a.mantissa.subtractingReportingOverflow(b.mantissa)
        if o { throw ArithmeticOverflow(operation: "\(lhs) − \(rhs)") }
        return ExactDecimal(mantissa: m, scale: s)
    }

    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) throws(ArithmeticOverflow) -> ExactDecimal {
        let a = lhs.reduced
        let b = rhs.reduced
        let (m, o) = a.mantissa.multipliedReportingOverflow(by: b.mantissa)
        if o { throw ArithmeticOverflow(operation: "\(lhs) × \(rhs)") }
        return ExactDecimal(mantissa: m, scale: a.scale + b.scale)
    }

    /// Divides by a power of ten exactly (unit conversion: VND → billion VND is `shifted(by: 9)`).
    public func shifted(by decimals: Int) -> ExactDecimal {
        ExactDecimal(mantissa: mantissa, scale: scale + decimals)
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        Rational(lhs) < Rational(rhs)
    }

    public static func == (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        let a = lhs.reduced
        let b = rhs.reduced
        return a.mantissa == b.mantissa && a.scale == b.scale
    }

    public func hash(into hasher: inout Hasher) {
        let r = reduced
        hasher.combine(r.mantissa)
        hasher.combine(r.scale)
    }

    /// Rounds half-to-even to `decimals` places (CONTRACT §5: published figures).
    public func rounded(toDecimals decimals: Int) -> ExactDecimal {
        if scale <= decimals {
            // Exact already; pad so that the printed form has exactly `decimals` places.
            return (try? rescaled(to: decimals)) ?? self
        }
        let divisor = (try? Int128.powerOfTen(scale - decimals)) ?? 0
        guard divisor != 0 else { return ExactDecimal(mantissa: 0, scale: decimals) }
        return ExactDecimal(mantissa: Rational.divideRoundingHalfEven(mantissa, divisor), scale: decimals)
    }

    /// Canonical text: `-` for negatives, `.` as decimal mark, no grouping, exactly `scale` decimals.
    public var description: String {
        withCanonicalText { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the UTF-8 bytes of `description`, formatted on the stack: the snapshot
    /// stores and hashes hundreds of thousands of amounts, and a String each is measurable.
    public func withCanonicalText<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        // 39 digits of a UInt128, up to `scale` leading zeros, a sign and a point.
        let capacity = 42 + max(0, scale)
        return try withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 1) { buffer in
            var end = capacity
            var magnitude = mantissa.magnitude
            var written = 0
            func put(_ byte: UInt8) {
                end -= 1
                buffer[end] = byte
            }
            // Digits right to left: 64-bit divisions while the value fits, which is nearly always.
            repeat {
                if scale > 0 && written == scale { put(UInt8(ascii: ".")) }
                if let small = UInt64(exactly: magnitude) {
                    put(UInt8(ascii: "0") + UInt8(small % 10))
                    magnitude = UInt128(small / 10)
                } else {
                    put(UInt8(ascii: "0") + UInt8(magnitude % 10))
                    magnitude /= 10
                }
                written += 1
            } while magnitude != 0 || written <= scale
            if mantissa < 0 { put(UInt8(ascii: "-")) }
            return try body(UnsafeRawBufferPointer(rebasing: buffer[end..<capacity]))
        }
    }

    /// Text rounded half-to-even to exactly `decimals` places: the published form.
    public func formatted(decimals: Int) -> String {
        rounded(toDecimals: decimals).description
    }

    /// A binary approximation for storage in REAL columns and charts; never summed.
    public var doubleValue: Double {
        Double(description) ?? .nan
    }
}

/// An arithmetic result does not fit in 128 bits.
public struct ArithmeticOverflow: Error, CustomStringConvertible, Sendable {
    public var operation: String
    /// Says what to look for: the run names the computation, not the row that led to it.
    public var description: String {
        "arithmetic overflow computing \(operation): a figure needs more than the 38 digits in which grdp "
            + "computes money exactly; look in the returns added since the last good run for amounts of "
            + "absurd size (many of them near 10^15 VND, for one seller and month), exclude that return "
            + "(inputs.exclude) and ask for a corrected one; if pipeline.yml changed instead, look there for a "
            + "ratio, coefficient or fx rate with very many decimal places"
    }
}

extension Int128 {
    static func powerOfTen(_ exponent: Int) throws(ArithmeticOverflow) -> Int128 {
        guard exponent >= 0 && exponent <= 38 else {
            throw ArithmeticOverflow(operation: "10^\(exponent)")
        }
        var result: Int128 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }
}
