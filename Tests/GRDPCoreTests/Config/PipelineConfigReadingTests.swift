import Foundation
import Testing

@testable import GRDPCore

/// `PipelineConfig.readingSHA256`, which names the archive cache's entries: the same for every
/// edit that reading an archive does not depend on, another for every edit it does. And
/// `PipelineConfig.figuresSHA256`, which binds what a run keeps for the next: the same for every
/// edit the figures do not depend on (a comment, the outputs), another for every edit they do.
@Suite struct PipelineConfigReadingTests {
    static let base = """
        version: 1
        region:
          code: "67"
          name: "Đắk Nông"
          utc_offset: "+07:00"
          districts: {"660": "Gia Nghĩa", "661": "Đắk Glong"}
        inputs:
          returns: returns
          exclude: []
          number_format: auto
          kinds:
            transaction: ["transaction*.csv"]
          columns:
            enterprise: {tax_code: ["mst"], value_added: ["gia_tri"]}
          statuses:
            "thanh cong": completed
          fx:
            USD: {2023: 23800, 2024: 24900}
        limits:
          max_member_bytes: 2147483648
          max_compression_ratio: 200
        quality:
          max_quarantine_ratio: 0.01
        outputs:
          folder: Outputs
          keep_snapshots: 0
          exports:
            - {table: target-vs-actual, format: csv}
        methodology:
          core_vsic_prefixes: ["61", "62"]
          ecommerce:
            counted_statuses: [completed]
            va_ratio_default: 0.10
            va_ratio_by_channel: {marketplace: 0.08}
          digitised_coefficients: {G: 0.05}
        targets:
          interpolation: linear
          points:
            - {year: 2020, share_pct: 1.64, source: "baseline"}
            - {year: 2025, share_pct: 20.0, source: "Decision 411/QĐ-TTg"}

        """

    static let baseDigest = "923182e3067f0aea07f8277e18a75c124a05b8ee69ce34ad9ccbc7d38a2913aa"

    static func config(_ yaml: String, at path: String = "/srv/grdp/pipeline.yml") throws -> PipelineConfig {
        try ConfigLoader.parse(yaml: yaml, fileURL: URL(fileURLWithPath: path))
    }

    static func edited(_ from: String, _ to: String) throws -> PipelineConfig {
        try #require(base.contains(from), "\(from)")
        return try config(base.replacingOccurrences(of: from, with: to))
    }

    /// Edits that change the figures or the outputs, not what an archive reads as.
    static let outsideReading: [(String, String)] = [
        ("version: 1\n", "version: 1\n# reviewed\n"),
        ("name: \"Đắk Nông\"", "name: \"Dak Nong\""),
        ("\"661\": \"Đắk Glong\"}", "\"661\": \"Đắk Glong\", \"662\": \"Cư Jút\"}"),
        ("\"661\": \"Đắk Glong\"}", "\"661\": \"Dak Glong\"}"),
        ("exclude: []", "exclude: [2023-01-01_bad.zip]"),
        ("  returns: returns", "  returns: ../elsewhere/returns"),
        ("folder: Outputs", "folder: /var/grdp/Outputs"),
        ("keep_snapshots: 0", "keep_snapshots: 7"),
        ("format: csv}", "format: csv}\n    - {table: target-vs-actual, format: html}"),
        ("core_vsic_prefixes: [\"61\", \"62\"]", "core_vsic_prefixes: [\"61\"]"),
        ("counted_statuses: [completed]", "counted_statuses: [completed, pending]"),
        ("va_ratio_default: 0.10", "va_ratio_default: 0.11"),
        ("{marketplace: 0.08}", "{marketplace: 0.09}"),
        ("{G: 0.05}", "{G: 0.05, K: 0.08}"),
        ("interpolation: linear", "interpolation: none"),
        ("share_pct: 20.0", "share_pct: 25.0"),
        // The same reading settings, numbers written with more or fewer trailing zeros.
        ("2024: 24900", "2024: 24900.0"),
        ("max_compression_ratio: 200", "max_compression_ratio: 200.0"),
        ("max_quarantine_ratio: 0.01", "max_quarantine_ratio: 0.010"),
    ]

    /// Edits that change what an archive reads as, or whether it is accepted.
    static let inReading: [(String, String)] = [
        ("code: \"67\"", "code: \"68\""),
        ("utc_offset: \"+07:00\"", "utc_offset: \"+06:00\""),
        ("utc_offset: \"+07:00\"", "utc_offset: \"-05:00\""),
        ("number_format: auto", "number_format: vi"),
        ("[\"transaction*.csv\"]", "[\"transaction*.csv\", \"orders*.csv\"]"),
        ("value_added: [\"gia_tri\"]", "value_added: [\"gia_tri\", \"gtgt\"]"),
        ("\"thanh cong\": completed", "\"thanh cong\": pending"),
        ("2024: 24900", "2024: 25000"),
        ("USD: {2023: 23800, 2024: 24900}", "USD: {2023: 23800, 2024: 24900}\n    EUR: {2024: 27000}"),
        ("max_member_bytes: 2147483648", "max_member_bytes: 1073741824"),
        ("max_compression_ratio: 200", "max_compression_ratio: 100"),
        ("max_quarantine_ratio: 0.01", "max_quarantine_ratio: 0.02"),
    ]

    /// Each of `edits` changes the file but keeps `digest`; so does the same file elsewhere.
    static func expectKept(_ digest: KeyPath<PipelineConfig, String>, by edits: [(String, String)]) throws {
        let base = try config(Self.base)
        for (from, to) in edits {
            let edited = try Self.edited(from, to)
            #expect(edited.sha256 != base.sha256, "\(to)")
            #expect(edited[keyPath: digest] == base[keyPath: digest], "\(to)")
        }
        #expect(try config(Self.base, at: "/home/analyst/copy/pipeline.yml")[keyPath: digest] == base[keyPath: digest])
    }

    /// Each of `edits` changes `digest`, each to a value of its own.
    static func expectChangedEachItsOwn(_ digest: KeyPath<PipelineConfig, String>, by edits: [(String, String)])
        throws
    {
        let base = try config(Self.base)
        var digests: Set<String> = [base[keyPath: digest]]
        for (from, to) in edits {
            let edited = try Self.edited(from, to)
            #expect(edited[keyPath: digest] != base[keyPath: digest], "\(to)")
            digests.insert(edited[keyPath: digest])
        }
        #expect(digests.count == edits.count + 1)
    }

    @Test func editsOutsideReadingKeepTheDigest() throws {
        try Self.expectKept(\.readingSHA256, by: Self.outsideReading)
    }

    @Test func editsInReadingChangeTheDigestEachItsOwn() throws {
        let base = try Self.config(Self.base)
        try Self.expectChangedEachItsOwn(\.readingSHA256, by: Self.inReading)
        // Written in another order, the same settings.
        let reordered = try Self.edited("USD: {2023: 23800, 2024: 24900}", "USD: {2024: 24900, 2023: 23800}")
        #expect(reordered.readingSHA256 == base.readingSHA256)
        // Stable across processes and machines: no dictionary's order leaks in (Swift seeds its
        // hashing per process). Changing what the digest covers changes this on purpose (and every
        // cache entry's name with it: they are read again once).
        #expect(base.readingSHA256 == Self.baseDigest)
    }

    /// Edits that change neither what an archive reads as nor the figures: what a run keeps for
    /// the next (the ledger, the kept groups, the inputs' fingerprint) is bound to
    /// `figuresSHA256`, which they keep.
    static let outsideFigures: [(String, String)] = [
        ("version: 1\n", "version: 1\n# reviewed\n"),
        // No run reads the region's name.
        ("name: \"Đắk Nông\"", "name: \"Dak Nong\""),
        ("exclude: []", "exclude: [2023-01-01_bad.zip]"),
        ("  returns: returns", "  returns: ../elsewhere/returns"),
        ("folder: Outputs", "folder: /var/grdp/Outputs"),
        ("keep_snapshots: 0", "keep_snapshots: 7"),
        ("format: csv}", "format: csv}\n    - {table: target-vs-actual, format: html}"),
        // Flow style for block style, another order: the same settings.
        ("digitised_coefficients: {G: 0.05}", "digitised_coefficients:\n    G: 0.05"),
        (
            "va_ratio_default: 0.10\n    va_ratio_by_channel: {marketplace: 0.08}",
            "va_ratio_by_channel: {marketplace: 0.08}\n    va_ratio_default: 0.10"
        ),
        // The same numbers written with more or fewer trailing zeros: the same figures.
        ("va_ratio_default: 0.10", "va_ratio_default: 0.1"),
        ("{marketplace: 0.08}", "{marketplace: 0.0800}"),
        ("{G: 0.05}", "{G: 0.050}"),
        ("share_pct: 20.0", "share_pct: 20"),
        // So are reading settings: a rate, the limits, the quarantine ratio.
        ("2024: 24900", "2024: 24900.0"),
        ("max_compression_ratio: 200", "max_compression_ratio: 200.0"),
        ("max_quarantine_ratio: 0.01", "max_quarantine_ratio: 0.010"),
    ]

    /// Edits of the methodology and targets: the figures change, not what an archive reads as.
    static let inFiguresOnly: [(String, String)] = [
        // The `district` table's names.
        ("\"661\": \"Đắk Glong\"}", "\"661\": \"Đắk Glong\", \"662\": \"Cư Jút\"}"),
        ("\"661\": \"Đắk Glong\"}", "\"661\": \"Dak Glong\"}"),
        ("core_vsic_prefixes: [\"61\", \"62\"]", "core_vsic_prefixes: [\"61\"]"),
        ("core_vsic_prefixes: [\"61\", \"62\"]", "core_vsic_prefixes: [\"61\", \"62\", \"631\"]"),
        ("counted_statuses: [completed]", "counted_statuses: [completed, pending]"),
        ("va_ratio_default: 0.10", "va_ratio_default: 0.11"),
        ("{marketplace: 0.08}", "{marketplace: 0.09}"),
        ("{marketplace: 0.08}", "{marketplace: 0.08, social: 0.2}"),
        ("{G: 0.05}", "{G: 0.06}"),
        ("{G: 0.05}", "{G: 0.05, K: 0.08}"),
        ("interpolation: linear", "interpolation: none"),
        ("share_pct: 20.0", "share_pct: 25.0"),
        ("year: 2025", "year: 2026"),
        ("source: \"baseline\"", "source: \"Resolution 09/NQ-TU\""),
    ]

    static let baseFiguresDigest = "2b6f80a101ca0e767bc36e4614f24d63c6adabeba6ab38a1bec060f723d04d96"

    @Test func editsOutsideTheFiguresKeepTheirDigest() throws {
        try Self.expectKept(\.figuresSHA256, by: Self.outsideFigures)
    }

    @Test func editsOfReadingOrFiguresChangeTheFiguresDigestEachItsOwn() throws {
        let base = try Self.config(Self.base)
        try Self.expectChangedEachItsOwn(\.figuresSHA256, by: Self.inReading + Self.inFiguresOnly)
        // Written in another order, the same settings.
        let reordered = try Self.edited(
            "districts: {\"660\": \"Gia Nghĩa\", \"661\": \"Đắk Glong\"}",
            "districts: {\"661\": \"Đắk Glong\", \"660\": \"Gia Nghĩa\"}")
        #expect(reordered.figuresSHA256 == base.figuresSHA256)
        // The reading digest is in it; and it is stable across processes (see above).
        #expect(base.figuresSHA256 != base.readingSHA256)
        #expect(base.figuresSHA256 == Self.baseFiguresDigest)
    }

    /// Every stored property of the sections the digest reads, and the config's own: a property added
    /// later fails here until it is placed in `readingSHA256` or left out of it on purpose.
    @Test func everySettingIsPlacedInOrOutOfTheDigest() throws {
        let config = try Self.config(Self.base)
        func labels(_ value: Any) -> [String] { Mirror(reflecting: value).children.compactMap(\.label) }
        #expect(
            labels(config) == [
                "fileURL", "sha256", "version", "region", "inputs", "limits", "quality", "outputs", "methodology",
                "targets",
            ])
        #expect(labels(config.region) == ["code", "name", "utcOffsetMinutes", "districts"])
        #expect(
            labels(config.inputs) == ["returnsFolder", "exclude", "numberFormat", "kinds", "columns", "statuses", "fx"])
        #expect(labels(config.limits) == ["maxMemberBytes", "maxCompressionRatio"])
        #expect(labels(config.quality) == ["maxQuarantineRatio"])
        // And those `figuresSHA256` adds to it, or leaves out (`outputs`).
        #expect(
            labels(config.methodology) == [
                "coreVSICPrefixes", "countedStatuses", "vaRatioDefault", "vaRatioByChannel", "digitisedCoefficients",
            ])
        #expect(labels(config.targets) == ["interpolation", "points"])
        #expect(labels(try #require(config.targets.points.first)) == ["year", "sharePct", "source"])
        #expect(labels(config.outputs) == ["folder", "keepSnapshots", "exports"])
    }
}
