/// Vietnamese tax codes (mã số thuế) of CONTRACT §4.3.
///
/// Spaces (and U+00A0) are removed. A code is 10 digits, or 10 digits + `-` + 3 digits (a branch);
/// 13 digits without the dash are normalised to `dddddddddd-ddd`. The tenth digit is a check digit:
/// N10 = 10 − ((31·N1 + 29·N2 + 23·N3 + 19·N4 + 17·N5 + 13·N6 + 7·N7 + 5·N8 + 3·N9) mod 11), and a
/// result of 10 is never valid. A seller may also be an individual: a 12-digit personal ID, or no
/// code at all.
public enum TaxCode {
    /// Who the code may belong to.
    public enum Role: Sendable {
        /// `tax_code` of an enterprise return: an enterprise or branch code is required.
        case enterprise
        /// `seller_tax_code`: also a 12-digit personal ID, and empty for an individual seller.
        case seller
    }

    static let weights = [31, 29, 23, 19, 17, 13, 7, 5, 3]

    /// The normalised code, or nil when it is not valid for `role`. An empty seller code gives "".
    public static func normalize(_ text: String, role: Role = .enterprise) -> String? {
        var copy = text
        return copy.withUTF8 { normalize($0, role: role) }
    }

    /// The normalised code of a cell's bytes, or nil when it is not valid for `role`.
    public static func normalize(_ bytes: UnsafeBufferPointer<UInt8>, role: Role = .enterprise) -> String? {
        // Digits and at most one dash, spaces dropped; anything else is not a tax code. The digits go
        // to an inline buffer: no allocation per cell.
        var digits = SIMD16<UInt8>()
        var count = 0
        var dashAt: Int? = nil
        var i = 0
        while i < bytes.count {
            let skip = NumberParser.droppedSpace(bytes, i)
            if skip > 0 {
                i += skip
                continue
            }
            let byte = bytes[i]
            i += 1
            if byte &- UInt8(ascii: "0") < 10 {
                if count == 13 { return nil }
                digits[count] = byte
                count += 1
            } else if byte == UInt8(ascii: "-") && dashAt == nil {
                dashAt = count
            } else {
                return nil
            }
        }
        if count == 0 && dashAt == nil {
            return role == .seller ? "" : nil
        }
        switch (count, dashAt) {
        case (10, nil):
            return hasValidCheckDigit(digits) ? text(digits, count: 10, dashAfter: nil) : nil
        case (13, nil), (13, .some(10)):
            return hasValidCheckDigit(digits) ? text(digits, count: 13, dashAfter: 10) : nil
        case (12, nil) where role == .seller:
            return text(digits, count: 12, dashAfter: nil)
        default:
            return nil
        }
    }

    private static func text(_ digits: SIMD16<UInt8>, count: Int, dashAfter: Int?) -> String {
        String(unsafeUninitializedCapacity: count + 1) { buffer in
            var k = 0
            for index in 0..<count {
                if index == dashAfter {
                    buffer[k] = UInt8(ascii: "-")
                    k += 1
                }
                buffer[k] = digits[index]
                k += 1
            }
            return k
        }
    }

    /// Whether the first ten ASCII digits carry a valid check digit.
    static func hasValidCheckDigit(_ digits: SIMD16<UInt8>) -> Bool {
        var sum = 0
        for k in 0..<9 { sum += weights[k] * Int(digits[k] &- UInt8(ascii: "0")) }
        let check = 10 - sum % 11
        return check != 10 && check == Int(digits[9] &- UInt8(ascii: "0"))
    }

    /// Whether a 10-digit code (ASCII digits) carries a valid check digit.
    public static func hasValidCheckDigit(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        guard bytes.count == 10, bytes.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else { return false }
        var digits = SIMD16<UInt8>()
        for (k, byte) in bytes.enumerated() { digits[k] = byte }
        return hasValidCheckDigit(digits)
    }
}
