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
        // Digits and at most one dash, spaces dropped; anything else is not a tax code.
        var digits: [UInt8] = []
        digits.reserveCapacity(13)
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
                if digits.count == 13 { return nil }
                digits.append(byte)
            } else if byte == UInt8(ascii: "-") && dashAt == nil {
                dashAt = digits.count
            } else {
                return nil
            }
        }
        if digits.isEmpty && dashAt == nil {
            return role == .seller ? "" : nil
        }
        switch (digits.count, dashAt) {
        case (10, nil):
            return hasValidCheckDigit(digits) ? String(decoding: digits, as: UTF8.self) : nil
        case (13, nil), (13, .some(10)):
            guard hasValidCheckDigit(digits) else { return nil }
            return String(decoding: digits[0..<10], as: UTF8.self) + "-"
                + String(decoding: digits[10...], as: UTF8.self)
        case (12, nil) where role == .seller:
            return String(decoding: digits, as: UTF8.self)
        default:
            return nil
        }
    }

    /// Whether the first ten ASCII digits carry a valid check digit.
    public static func hasValidCheckDigit(_ digits: some Collection<UInt8>) -> Bool {
        let values = digits.prefix(10).map { Int($0 &- UInt8(ascii: "0")) }
        guard values.count == 10, values.allSatisfy({ $0 < 10 }) else { return false }
        var sum = 0
        for k in 0..<9 { sum += weights[k] * values[k] }
        let check = 10 - sum % 11
        return check != 10 && check == values[9]
    }
}
