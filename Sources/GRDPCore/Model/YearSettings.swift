internal import Foundation

/// The settings each year's figures were computed with, year → `PipelineConfig.methodSHA256(forYear:)`,
/// under the scheme that hash was made by: `snapshot_meta.settings_sha256_by_year` (since
/// 2026-12-06) and the last full run's `last-run.json`. A full run computes every year with its
/// config's; `run --year` keeps the other years as they were, and says which of them were computed
/// with settings other than the config's now (`kept_years_other_settings`).
///
/// Stored as one line of JSON, the same bytes for the same record:
/// `{"scheme":"grdp-year-settings-v1","years":{"2023":"9f…","2024":"9f…"}}`.
public struct YearSettings: Sendable, Equatable, Codable {
    /// The scheme of this grdp's hashes. A change to what `methodSHA256(forYear:)` serialises must
    /// change it: a record of another scheme then tells nothing (no year is said to have other
    /// settings because the hash is made otherwise), instead of every year looking edited.
    public static let currentScheme = "grdp-year-settings-v1"

    public var scheme: String
    public var years: [Int: String]

    public init(scheme: String = YearSettings.currentScheme, years: [Int: String]) {
        self.scheme = scheme
        self.years = years
    }

    /// The settings `year` was computed with, when recorded under this grdp's scheme.
    public func settings(ofYear year: Int) -> String? {
        scheme == Self.currentScheme ? years[year] : nil
    }

    /// As stored: keys in this order, years in order, no spaces.
    public var text: String {
        let entries = years.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
        return "{\"scheme\":\"\(scheme)\",\"years\":{" + entries.joined(separator: ",") + "}}"
    }

    /// The record `text` gives; nil for any other text (read back only as grdp writes it, byte for
    /// byte: a scheme of lower-case letters, digits and hyphens, SHA-256s in lower-case hex; a year
    /// written otherwise than `text` writes it, `02023` or `+2023`, gives other text).
    public init?(text stored: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(stored.utf8)) as? [String: Any],
            object.count == 2, let scheme = object["scheme"] as? String,
            !scheme.isEmpty, scheme.utf8.count <= 64,
            scheme.utf8.allSatisfy({
                $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) || (0x61...0x7a).contains($0)
            }),
            let entries = object["years"] as? [String: Any]
        else { return nil }
        var years: [Int: String] = [:]
        for (key, value) in entries {
            guard let year = Int(key), let hash = value as? String, hash.isSHA256Hex else { return nil }
            years[year] = hash
        }
        self.init(scheme: scheme, years: years)
        guard text == stored else { return nil }
    }
}
