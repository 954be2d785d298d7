extension ExactDecimal {
    /// The TEXT stored for an exact amount: canonical, trailing fractional zeros removed, so that
    /// equal amounts (`1.50`, `1.5`) are stored, and hashed, alike.
    var storageText: String {
        reduced.description
    }

    /// The exact decimal a stored REAL stands for, rounded half-to-even to `decimals` places.
    ///
    /// Swift prints a `Double` as the shortest decimal that reads back as the same `Double`; for a
    /// figure of at most 15 significant digits that is the figure itself, so this undoes
    /// `doubleValue` exactly. Nil for infinities and NaN.
    init?(storedDouble value: Double, decimals: Int) {
        guard value.isFinite else { return nil }
        guard let parsed = ExactDecimal(scientific: "\(value)") else { return nil }
        self = parsed.rounded(toDecimals: decimals)
    }

    /// Parses Swift's `Double` description: `-12.5`, `1e-05`, `1.25e+16`.
    init?(scientific text: String) {
        var mantissaText = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissaText = text[..<e]
            guard let value = Int(text[text.index(after: e)...].replacing("+", with: "")) else { return nil }
            exponent = value
        }
        guard let base = ExactDecimal(canonical: mantissaText) else { return nil }
        if exponent >= 0 {
            guard let scaled = try? base * ExactDecimal(mantissa: Int128.powerOfTen(exponent), scale: 0) else {
                return nil
            }
            self = scaled
        } else {
            self = base.shifted(by: -exponent)
        }
    }
}
