internal import Foundation
internal import Logging

/// What a run computes and what it takes from the latest snapshot, settled once the returns are
/// read and their revisions taken, before Compute: the latest snapshot, the years computed, and of
/// those the sales keys whose rows may differ from that file's.
struct RunScope {
    /// The latest snapshot, when it can be read (`PipelineRunner.openLatest`): the new snapshot's
    /// parent, whose content hash says whether the run is up to date.
    var latest: SnapshotFile?
    /// The snapshot the run builds on: its rows are carried and copied, its content hash gone on
    /// from, its rows of the touched keys compared. `latest`, but for a night after a snapshot
    /// that `last-run.json` does not describe, mostly `run --year`'s: then the snapshot it does
    /// describe, the last full run's, when it is still there as published (its checksum recorded
    /// and matching). That full run's kept state, groups and marks hold for that file, not for
    /// `run --year`'s, which kept other years from an older snapshot under the inputs and config
    /// of its day; built on it, the night gives what a full run from scratch gives (CONTRACT §6),
    /// and is up to date when that is `latest`'s content hash. Without it, such a night computed
    /// every year (10 M: ~5 s of CPU against ~1.5 s).
    var base: SnapshotFile?
    /// What `last-run.json` says of `base`: its sales rows by year (`SalesDigests`) and where its
    /// content hash stood at each month (`ContentHash.Marks`: a run carrying that file's rows of
    /// the years before its first recomputed one hashes only the rows from there on); nil when it
    /// describes another file, or there is none.
    var latestRun: RunCache?
    /// Whether `base` is `latest` (a run with none builds on none), not the last full run's.
    var baseIsLatest: Bool { base?.meta.version == latest?.meta.version }
    /// `base`'s figures, for the years not recomputed (not its sales rows, which go file to file;
    /// nor its quarantine, which this run's inputs give): read for `run --year`, and for a night
    /// that may compute only the years its returns touched.
    var previous: SnapshotContent?
    /// The years a night's new returns touched, when not every year the latest snapshot has: the
    /// others are carried from it. Nil: every year computed (or `run --year`'s).
    var onlyTouched: Set<Int>?
    /// The years computed: `--year`'s, or `onlyTouched`; nil: every year.
    var recomputed: Set<Int>?
    /// Of `onlyTouched`'s rows, the keys under which they may differ from the latest file's, when
    /// the ledger can tell (the new returns held no record, and it held the transactions): only
    /// those keys' rows of that file are compared with the computed ones.
    var touchedKeys: SalesRowsUpdate.TouchedKeys?

    /// The settings (`PipelineConfig.methodSHA256(forYear:)`) the latest snapshot's figures of
    /// `year` were computed with, as far as known: those of the full run `last-run.json` describes,
    /// which published that file or found it up to date (so every year of it is what that run's
    /// settings give, whatever the file records); else what the file records
    /// (`settings_sha256_by_year`); nil when neither tells (a snapshot of grdp before 2026-12-06
    /// with no `cache/` of its run, or a record of another scheme).
    func settings(ofLatestYear year: Int) -> String? {
        // (Of `latest`'s figures: `latestRun` describes `base`.)
        ((baseIsLatest ? latestRun?.yearSettings : nil) ?? latest?.meta.yearSettings)?.settings(ofYear: year)
    }

    /// Whether `config` computes `year`'s figures with other settings than the latest snapshot's
    /// were computed with (`settings(ofLatestYear:)`); nil when those are not known.
    func settingsDiffer(ofYear year: Int, from config: PipelineConfig) -> Bool? {
        settings(ofLatestYear: year).map { $0 != config.methodSHA256(forYear: year) }
    }

    /// `settings_sha256_by_year` of the snapshot a run publishes with `years` of figures: the
    /// config's for each year it computed (every year of a full run, whose carried years are what
    /// its settings give), and for each year `run --year` kept, the settings it was computed with,
    /// where known.
    func yearSettings(of years: [Int], recomputed requested: Set<Int>?, config: PipelineConfig) -> YearSettings {
        var settings: [Int: String] = [:]
        for year in years {
            let computed = requested?.contains(year) ?? true
            settings[year] = computed ? config.methodSHA256(forYear: year) : self.settings(ofLatestYear: year)
        }
        return YearSettings(years: settings)
    }
}

extension PipelineRunner {
    /// The run's `RunScope`.
    ///
    /// - Parameters:
    ///   - partitioned: whether the revisions were taken by key partition, which mark no keys (the
    ///     ledger then holds no transactions).
    ///   - transactionYears: with partitioned revisions, what gives the years the new archives'
    ///     transactions touch (see `touchedYears`).
    ///   - earlierArchives: the archives the last full run read, when this run may compute only the
    ///     years the others touch (nil with `--force` or `--year`).
    ///   - base: the last full run's snapshot and the check of its file, when it is older than the
    ///     latest and a night may build on it (`RunScope.base`).
    func settleScope(
        options: RunOptions, latestVersion: Int?, store: SnapshotStore, check: PublishedCheck?,
        base: (version: Int, check: PublishedCheck)?, lastRun: RunCache?,
        ledger: borrowing RevisionLedger, partitioned: Bool, transactionYears: (() -> Set<Int>?)?, ingest: IngestResult,
        earlierArchives: Set<ArchiveIdentity>?, build: String, figuresSHA256: String
    ) throws -> RunScope {
        var scope = RunScope()
        let lastFullRun = base.flatMap { openBase($0.version, check: $0.check, lastRun: lastRun, store: store) }
        scope.latest = try openLatest(
            latestVersion, store: store, options: options, check: check, builtOn: lastFullRun?.meta.version)
        scope.base = lastFullRun ?? scope.latest
        scope.latestRun = scope.base.flatMap { base in lastRun.flatMap { $0.describes(base.meta) ? $0 : nil } }
        // Partitioned, the ledger marked the new records' years, and the key pass the transactions'.
        let touched = touchedYears(
            ledger: ledger, transactionYears: transactionYears, ingest: ingest, earlierArchives: earlierArchives,
            latestRun: scope.latestRun, build: build, figuresSHA256: figuresSHA256)
        // Unreadable, a nightly run computes every year instead; `run --year` fails.
        scope.previous =
            options.years != nil
            ? try scope.base?.loadContent(includingSales: false, includingQuarantine: false)
            : touched == nil ? nil : try? scope.base?.loadContent(includingSales: false, includingQuarantine: false)
        // Touching every year leaves nothing to carry.
        scope.onlyTouched = touched.flatMap { touched in
            scope.previous.flatMap { touched.isSuperset(of: $0.indicators.map(\.year)) ? nil : touched }
        }
        scope.recomputed = options.years ?? scope.onlyTouched
        if options.years == nil, let years = scope.onlyTouched, !partitioned {
            scope.touchedKeys = ledger.touchedSalesKeys(inYears: years).map {
                SalesRowsUpdate.TouchedKeys(years: years, keys: $0)
            }
        }
        return scope
    }

    /// The last full run's snapshot `version` for a night to build on (`RunScope.base`), when its
    /// file is the one published (`check`: its recorded checksum) and `last-run.json` describes it;
    /// else nil, and the night builds on the latest, computing every year.
    func openBase(_ version: Int, check: PublishedCheck, lastRun: RunCache?, store: SnapshotStore) -> SnapshotFile? {
        let label = SnapshotMeta.label(version)
        guard check.isIntact, let file = try? store.open(version: version), lastRun?.describes(file.meta) == true else {
            logger.debug(
                "The last full run's snapshot is not as published: the night builds on the latest",
                metadata: ["snapshot": "\(label)"])
            return nil
        }
        logger.debug(
            "Built on the last full run's snapshot, not on the latest, which it does not describe",
            metadata: ["snapshot": "\(label)"])
        return file
    }
}
