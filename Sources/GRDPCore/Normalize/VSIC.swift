/// Industry codes of the Vietnam Standard Industrial Classification 2018 (CONTRACT §4.3).
public enum VSIC {
    /// A valid code: digits only (`62010`) and its section letter (`J`).
    public struct Code: Sendable, Hashable {
        public var digits: String
        public var section: Character

        public init(digits: String, section: Character) {
            self.digits = digits
            self.section = section
        }
    }

    /// The section of each VSIC 2018 division: A 01–03, B 05–09, C 10–33, D 35, E 36–39, F 41–43,
    /// G 45–47, H 49–53, I 55–56, J 58–63, K 64–66, L 68, M 69–75, N 77–82, O 84, P 85, Q 86–88,
    /// R 90–93, S 94–96, T 97–98, U 99. Two-digit numbers outside these ranges are no division.
    static let sections: [(section: Character, divisions: ClosedRange<Int>)] = [
        ("A", 1...3), ("B", 5...9), ("C", 10...33), ("D", 35...35), ("E", 36...39), ("F", 41...43),
        ("G", 45...47), ("H", 49...53), ("I", 55...56), ("J", 58...63), ("K", 64...66), ("L", 68...68),
        ("M", 69...75), ("N", 77...82), ("O", 84...84), ("P", 85...85), ("Q", 86...88), ("R", 90...93),
        ("S", 94...96), ("T", 97...98), ("U", 99...99),
    ]

    /// The section letter of a two-digit division, or nil when VSIC 2018 has no such division.
    public static func section(ofDivision division: Int) -> Character? {
        sections.first { $0.divisions.contains(division) }?.section
    }

    /// Why a code is not valid, for the quarantine detail.
    public enum Problem: Error, Sendable, Equatable {
        case notFourOrFiveDigits
        case noSuchDivision(String)
        /// A leading letter that is not a VSIC 2018 section (A–U).
        case notASection(Character)
    }

    /// The code with dots and spaces removed and one leading section letter dropped: 4 or 5 digits
    /// whose first two are a VSIC 2018 division. The section comes from the division; a leading
    /// letter is dropped without comparing it (CONTRACT §4.3 drops it, and the digits are what
    /// the methodology matches on), but it must be a section letter A–U.
    public static func normalize(_ text: String) -> Result<Code, Problem> {
        var letter: Character? = nil
        var digits = ""
        for scalar in text.unicodeScalars where scalar != "." && scalar != " " && scalar != "\u{00A0}" {
            if digits.isEmpty && letter == nil && scalar.isASCII && scalar.properties.isAlphabetic {
                letter = Character(String(scalar).uppercased())
            } else if scalar.isASCII && scalar.properties.numericType == .decimal {
                digits.unicodeScalars.append(scalar)
            } else {
                return .failure(.notFourOrFiveDigits)
            }
        }
        guard digits.count == 4 || digits.count == 5 else { return .failure(.notFourOrFiveDigits) }
        let divisionText = String(digits.prefix(2))
        guard let section = section(ofDivision: Int(divisionText)!) else {
            return .failure(.noSuchDivision(divisionText))
        }
        if let letter, !("A"..."U").contains(letter) {
            return .failure(.notASection(letter))
        }
        return .success(Code(digits: digits, section: section))
    }
}
