extension PipelineConfig {
    /// SHA-256 (lower-case hex) over the settings a snapshot's content depends on: the reading
    /// settings (`readingSHA256`), `region.districts` (the `district` table), `methodology` and
    /// `targets`. Not `region.name`, which no run reads. What a run keeps for the next one
    /// to go on from is bound to it rather than to the file's bytes (`sha256`): the inputs'
    /// fingerprint (the up-to-date shortcut), the revision ledger (`ledger.bin`), the current rows
    /// and kept groups of the partitioned revisions, and the latest snapshot's years a night
    /// carries over (the touched-years shortcut, through `last-run.json`). So a comment, the
    /// file's layout, the outputs (folder, exports, snapshots kept), the returns folder's path or
    /// `inputs.exclude` (which archives are read: the fingerprint and the ledger name each archive)
    /// change nothing a run computes: a night after such an edit is the night it would have been.
    ///
    /// `snapshot_meta.config_sha256` stays the file's SHA-256 (CONTRACT §6). A snapshot the
    /// edited file finds up to date keeps the one it was published with: its content is the same.
    ///
    /// `PipelineConfigReadingTests` lists every stored property of the config and its sections: a
    /// new one fails there until it is placed in or out of this digest.
    var figuresSHA256: String {
        var key = ContentHash.Serializer()
        key.string("grdp-figures-settings-v1")
        key.string(readingSHA256)
        Self.serialize(region.districts, into: &key) { $1.string($0) }

        serializeMethodology(into: &key)

        key.string(targets.interpolation.rawValue)
        key.count(targets.points.count)
        for point in targets.points {
            key.decimal(Int64(point.year))
            key.string(point.sharePct.reduced.description)
            key.string(point.source)
        }
        return key.finish()
    }

    /// SHA-256 over the settings `year`'s figures are computed with (`YearSettings`): the reading
    /// settings but the limits (`serializeReading`), of `inputs.fx` only the rates of `year`, by
    /// value (a rate applies to the transactions of its year: correcting 2023's leaves 2024 as
    /// computed; but for a revision of another year's transaction, which a rate added for its own
    /// year lets in, and which the next full run says, `kept_years_recomputed`),
    /// and `methodology`; not the targets (a year's target is said apart: `targets_not_recomputed`)
    /// nor the districts' names (the `district` table, written whole by every run). A change to
    /// what is serialised here changes `YearSettings.currentScheme`.
    func methodSHA256(forYear year: Int) -> String {
        var key = ContentHash.Serializer()
        key.string(YearSettings.currentScheme)
        serializeReading(into: &key, fxOfYear: year)
        serializeMethodology(into: &key)
        return key.finish()
    }

    /// `methodSHA256(forYear:)` of each of `years`.
    func yearSettings(of years: some Sequence<Int>) -> YearSettings {
        YearSettings(years: Dictionary(years.map { ($0, methodSHA256(forYear: $0)) }) { first, _ in first })
    }

    private func serializeMethodology(into key: inout ContentHash.Serializer) {
        key.count(methodology.coreVSICPrefixes.count)
        for prefix in methodology.coreVSICPrefixes { key.string(prefix) }
        let counted = methodology.countedStatuses.map(\.rawValue).sorted()
        key.count(counted.count)
        for status in counted { key.string(status) }
        // The numbers by value, not as written: `0.10` and `0.1` give the same figures (every
        // use is arithmetic, and the snapshot stores amounts reduced), so a file that writes one
        // for the other is not a new methodology for what a run keeps.
        key.string(methodology.vaRatioDefault.reduced.description)
        Self.serialize(methodology.vaRatioByChannel, into: &key) { $1.string($0.reduced.description) }
        Self.serialize(methodology.digitisedCoefficients, into: &key) { $1.string($0.reduced.description) }
    }
}
