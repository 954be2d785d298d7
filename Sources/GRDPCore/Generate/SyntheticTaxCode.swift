/// Vietnamese enterprise tax codes (mã số thuế): ten digits whose last is a check digit, and
/// branches with `-001`…`-999` (DOMAIN.md).
enum SyntheticTaxCode {
    static let weights = [31, 29, 23, 19, 17, 13, 7, 5, 3]

    /// N10 = 10 − ((31·N1 + 29·N2 + … + 3·N9) mod 11); nil when that is 10 (never valid).
    static func checkDigit(_ nine: [Int]) -> Int? {
        precondition(nine.count == 9)
        let sum = zip(nine, weights).reduce(0) { $0 + $1.0 * $1.1 }
        let check = 10 - sum % 11
        return check == 10 ? nil : check
    }

    /// Whether `code` is ten digits with a correct check digit, optionally followed by `-NNN`.
    static func isValid(_ code: String) -> Bool {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || (parts.count == 2 && parts[1].utf8.count == 3 && isDigits(parts[1])) else {
            return false
        }
        let base = parts[0]
        guard base.utf8.count == 10, isDigits(base) else { return false }
        let digits = base.utf8.map { Int($0) - 48 }
        return checkDigit(Array(digits.prefix(9))) == digits[9]
    }

    /// A fresh valid code starting with the two-digit tax-office `prefix`.
    static func make(prefix: String, using rng: inout SplitMix64) -> String {
        precondition(prefix.utf8.count == 2 && isDigits(prefix))
        while true {
            var digits = prefix.utf8.map { Int($0) - 48 }
            for _ in 0..<7 { digits.append(rng.below(10)) }
            if let check = checkDigit(digits) {
                return String(digits.map { Character(String($0)) }) + String(check)
            }
        }
    }

    private static func isDigits(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}
