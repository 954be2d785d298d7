/// The strict number grammar of CONTRACT §4.2, in two conventions.
///
/// Spaces and U+00A0 anywhere in the value are dropped. A leading `-` is a sign. What is left must
/// be digits, optionally grouped by the thousands mark in groups of exactly three (the first group
/// 1–3 digits), optionally followed by the decimal mark and at least one digit. `en`: `,` groups
/// thousands, `.` is the decimal mark; `vi`: the opposite. Anything else (`+5`, `.5`, `5.`, `1e5`,
/// `0x10`, `--5`, `12,34` in `en`) is not a number. Values are exact (`ExactDecimal`); a value with
/// more digits than 128 bits hold is not a number either. Never `NumberFormatter`, never `Double`.
public enum NumberParser {
    static let comma = UInt8(ascii: ",")
    static let dot = UInt8(ascii: ".")
    static let minus = UInt8(ascii: "-")
    static let zero = UInt8(ascii: "0")

    /// The value of `text` in `convention`, or nil when it is not a number in that convention.
    ///
    /// `.auto` reads the value in whichever convention accepts it, and gives nil when both accept
    /// it with different values (`1.234`): a member's convention is decided by `decisiveConvention`.
    public static func parse(_ text: String, convention: PipelineConfig.NumberFormat) -> ExactDecimal? {
        var copy = text
        return copy.withUTF8 { parse($0, convention: convention) }
    }

    /// The value of the bytes of a cell in `convention`, or nil (see `parse(_:convention:)`).
    public static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, convention: PipelineConfig.NumberFormat
    ) -> ExactDecimal? {
        switch convention {
        case .en:
            return parse(bytes, thousands: comma, decimal: dot)
        case .vi:
            return parse(bytes, thousands: dot, decimal: comma)
        case .auto:
            let en = parse(bytes, thousands: comma, decimal: dot)
            let vi = parse(bytes, thousands: dot, decimal: comma)
            switch (en, vi) {
            case (let a?, let b?): return a == b ? a : nil
            case (let a?, nil): return a
            case (nil, let b?): return b
            case (nil, nil): return nil
            }
        }
    }

    /// Whether `byte` (and the one after it) is a space that is dropped: U+0020 or U+00A0 (C2 A0).
    /// Returns the number of bytes to skip (0 when it is not such a space).
    @inline(__always)
    static func droppedSpace(_ bytes: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let byte = bytes[i]
        if byte == 0x20 { return 1 }
        if byte == 0xC2 && i + 1 < bytes.count && bytes[i + 1] == 0xA0 { return 2 }
        return 0
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, thousands: UInt8, decimal: UInt8) -> ExactDecimal? {
        // Digits accumulate in 64 bits while they surely fit (18 digits), then in checked 128 bits.
        var small: UInt64 = 0
        var wide: Int128 = 0
        var digitCount = 0
        var scale = 0
        var negative = false
        var seenSign = false
        var inFraction = false
        var groupLength = 0  // digits since the last thousands mark (or since the start)
        var grouped = false
        var i = 0
        let n = bytes.count
        while i < n {
            let byte = bytes[i]
            i += 1
            let digit = byte &- zero
            if digit < 10 {
                if digitCount < 18 {
                    small = small &* 10 &+ UInt64(digit)
                } else {
                    if digitCount == 18 { wide = Int128(small) }
                    let (m1, o1) = wide.multipliedReportingOverflow(by: 10)
                    let (m2, o2) = m1.addingReportingOverflow(Int128(digit))
                    if o1 || o2 { return nil }
                    wide = m2
                }
                digitCount += 1
                if inFraction {
                    scale += 1
                    if scale > 38 { return nil }  // more decimals than 128 bits can rescale
                } else {
                    groupLength += 1
                }
            } else if byte == 0x20 {
                continue  // a space inside a number is dropped
            } else if byte == 0xC2 && i < n && bytes[i] == 0xA0 {
                i += 1  // so is U+00A0
            } else if byte == minus && !seenSign && digitCount == 0 && !inFraction && !grouped {
                negative = true
                seenSign = true
            } else if byte == thousands && !inFraction {
                // The group before this mark: 1–3 digits when it is the first, exactly 3 otherwise.
                if groupLength == 0 || groupLength > 3 || (grouped && groupLength != 3) { return nil }
                grouped = true
                groupLength = 0
            } else if byte == decimal && !inFraction {
                if groupLength == 0 || (grouped && groupLength != 3) { return nil }
                inFraction = true
            } else {
                return nil
            }
        }
        if inFraction {
            if scale == 0 { return nil }
        } else if groupLength == 0 || (grouped && groupLength != 3) {
            return nil
        }
        let mantissa = digitCount <= 18 ? Int128(small) : wide
        return ExactDecimal(mantissa: negative ? -mantissa : mantissa, scale: scale)
    }

    /// The convention a value decides (CONTRACT §4.2), or nil when it decides nothing.
    ///
    /// Only values that look like numbers decide: after dropping spaces, U+00A0 and a leading `-`,
    /// nothing but digits, `.` and `,`, with at least one digit. Then: both marks → the last one is
    /// the decimal mark; one mark repeated → it groups thousands; one mark once followed by other
    /// than exactly three digits → it is the decimal mark. `1.234`, `1,234` and `1234` decide nothing.
    public static func decisiveConvention(_ bytes: UnsafeBufferPointer<UInt8>) -> PipelineConfig.NumberFormat? {
        guard let shape = MarkShape(bytes), shape.digits > 0, shape.dots + shape.commas > 0 else { return nil }
        let decimalMark: UInt8
        if shape.dots > 0 && shape.commas > 0 {
            decimalMark = shape.lastMark
        } else if shape.dots + shape.commas > 1 {
            decimalMark = shape.lastMark == dot ? comma : dot  // the repeated mark groups thousands
        } else if shape.digitsAfterLastMark != 3 {
            decimalMark = shape.lastMark
        } else {
            return nil
        }
        return decimalMark == dot ? .en : .vi
    }

    /// What `decisiveConvention` and `readSmaller` look at in a number-like value: after dropping
    /// spaces, U+00A0 and a leading `-`, nothing but digits, `.` and `,` (nil otherwise).
    struct MarkShape {
        var dots = 0
        var commas = 0
        var lastMark: UInt8 = 0
        var digits = 0
        var digitsBeforeFirstMark = 0
        var digitsAfterLastMark = 0

        init?(_ bytes: UnsafeBufferPointer<UInt8>) {
            var seenNonSpace = false
            var i = 0
            while i < bytes.count {
                let skip = droppedSpace(bytes, i)
                if skip > 0 {
                    i += skip
                    continue
                }
                let byte = bytes[i]
                i += 1
                if byte == minus && !seenNonSpace {
                    seenNonSpace = true
                    continue
                }
                seenNonSpace = true
                if byte &- zero < 10 {
                    digits += 1
                    digitsAfterLastMark += 1
                    if lastMark == 0 { digitsBeforeFirstMark += 1 }
                } else if byte == dot || byte == comma {
                    if byte == dot { dots += 1 } else { commas += 1 }
                    lastMark = byte
                    digitsAfterLastMark = 0
                } else {
                    return nil
                }
            }
        }
    }

    /// When `bytes` is a number that decides nothing (§4.2) and that `convention` reads 1,000 times
    /// smaller than the other does: one mark, `convention`'s decimal mark, one to three digits
    /// before it, exactly three after, not all zeros (`55.700`: 55.7 to `en`, 55,700 to `vi`).
    /// Spaces and U+00A0 inside are dropped, as for any number. Its two readings, the smaller
    /// first; nil otherwise.
    public static func readSmaller(_ bytes: UnsafeBufferPointer<UInt8>, by convention: PipelineConfig.NumberFormat)
        -> (smaller: ExactDecimal, larger: ExactDecimal)?
    {
        let decimalMark = convention == .vi ? comma : dot
        guard let shape = MarkShape(bytes), shape.dots + shape.commas == 1, shape.lastMark == decimalMark,
            (1...3).contains(shape.digitsBeforeFirstMark), shape.digitsAfterLastMark == 3,
            let smaller = parse(bytes, thousands: decimalMark == dot ? comma : dot, decimal: decimalMark),
            let larger = parse(bytes, thousands: decimalMark, decimal: decimalMark == dot ? comma : dot),
            !smaller.isZero
        else { return nil }
        return (smaller, larger)
    }

    /// `decisiveConvention` of a string.
    public static func decisiveConvention(_ text: String) -> PipelineConfig.NumberFormat? {
        var copy = text
        return copy.withUTF8 { decisiveConvention($0) }
    }

    /// `readSmaller` of a string.
    public static func readSmaller(_ text: String, by convention: PipelineConfig.NumberFormat)
        -> (smaller: ExactDecimal, larger: ExactDecimal)?
    {
        var copy = text
        return copy.withUTF8 { readSmaller($0, by: convention) }
    }
}
