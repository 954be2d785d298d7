internal import Foundation
internal import Logging

/// The run's snapshot steps: what the latest snapshot gives, what is carried from it, how the
/// publish ended, and what is remembered for the next run.
extension PipelineRunner {
    /// `last-run.json` for the next run (`RunCache`): this full run's inputs' fingerprint, the
    /// snapshot they give, and what lets the next run go on from here. Encoded and written on
    /// another thread, while the run writes its report (each holds every archive's counts: 2,000
    /// archives of nightly returns, ~0.2 s and ~0.1 s of one core); the run waits for it before it
    /// lets go of the lock (`run`), and the thread gives what went wrong, if anything.
    func remember(
        _ report: RunReport, fingerprint: String, ledger ledgerSize: LedgerSize, sales salesDigests: SalesDigests?,
        marks contentMarks: ContentHash.Marks?, keptGroups: (token: String, years: Set<Int>)?,
        enterprises: [EnterpriseRow], figureYears: [Int], figuresSHA256: String
    ) -> OnAnotherThread<String?>? {
        guard let version = report.snapshot, let hash = report.contentSHA256 else { return nil }
        // What a nightly report repeats: each member's first quarantined rows and the counts, not
        // all of them (the snapshot has them all); nothing marked as taken from the cache, since
        // that run reads nothing at all.
        var ingest = report.ingest!
        ingest.summarizeQuarantine(keepingFirst: RunReport.firstQuarantinedLimit)
        for archive in ingest.archives.indices { ingest.archives[archive].fromCache = false }
        let cache = RunCache(
            fingerprint: fingerprint, snapshotVersion: version, contentSHA256: hash, ingest: DeferredIngest(ingest),
            ledger: ledgerSize, sales: salesDigests, contentMarks: contentMarks?.sealed(for: hash),
            keptGroups: keptGroups.map { kept in
                RunCache.KeptGroupsBinding(token: kept.token, years: kept.years, enterprises: enterprises)
            }, figuresSHA256: figuresSHA256, yearSettings: config.yearSettings(of: figureYears))
        return OnAnotherThread { [folder = config.cacheFolder] in
            do {
                try cache.write(to: folder)
                return nil
            } catch {
                return "\(error)"
            }
        }
    }

    /// Keeps the scan's digests for the next run (a memo that cannot be written only costs it the
    /// hashing), and says how many came from the memo.
    func rememberDigests(_ inputs: ScannedInputs, had memo: ArchiveDigestMemo, report: inout RunReport) {
        report.digestsRemembered = inputs.digestsRemembered
        if inputs.digestsRemembered > 0 {
            logger.debug(
                "Archives not hashed again: unchanged since two earlier runs found the same SHA-256",
                metadata: ["archives": "\(inputs.digestsRemembered)"])
        }
        guard let kept = inputs.digestMemo, kept != memo else { return }
        do {
            try kept.write(to: config.cacheFolder)
        } catch {
            logger.warning(
                "Archive digests not kept for the next run: it hashes every archive", metadata: ["error": "\(error)"])
        }
    }

    /// Drops the rejected archives from the digests kept for the next run, which hashes them again:
    /// one found changed since it was hashed, or whose remembered digest its bytes did not give,
    /// must not be taken for that digest again while its stamp holds.
    func forgetDigests(ofRejectedIn ingest: IngestResult, scanned inputs: ScannedInputs) {
        guard var memo = inputs.digestMemo else { return }
        let rejected = Set(ingest.archives.filter { $0.status == .rejected }.map(\.relativePath))
        let locations = inputs.scan.archives.filter { rejected.contains($0.relativePath) }.map(\.location)
        guard memo.forget(locations.map(ArchiveDigestMemo.key)) else { return }
        do {
            try memo.write(to: config.cacheFolder)
        } catch {
            // The memo would vouch for a rejected archive's digest: better none at all.
            FileSystem.removeFile(config.cacheFolder.appendingPathComponent(ArchiveDigestMemo.fileName).path)
        }
    }

    /// What the publish came to, in the report and the log; then what follows from it: the
    /// exports (of the latest snapshot when up to date: a run that published it and then could not
    /// write them, disk full, exited 73), for a new snapshot its file's checksum recorded for the
    /// next run, and either way the old snapshots pruned.
    func settleOutcome(
        _ outcome: PublishOutcome, details: PublishDetails, scope: RunScope, content: SnapshotContent,
        store: SnapshotStore, report: inout RunReport
    ) throws {
        let latest = scope.latest
        let configChanged = latest?.meta.configSHA256 != config.sha256
        let countedBefore = latest.flatMap { try? $0.acceptedArchives() }
        noteReturns(latest: latest, counted: countedBefore, configChanged: configChanged, report: &report)
        switch outcome {
        case .upToDate(let hash):
            report.outcome = .upToDate
            report.snapshot = latest?.meta.version
            report.contentSHA256 = hash
            logger.info(
                "Up to date", metadata: ["snapshot": "\(latest.map { SnapshotMeta.label($0.meta.version) } ?? "")"])
            // The exports of the latest snapshot may be missing or stale: a run that published it and
            // then could not write them (disk full) exited 73. Files that already hold the right
            // bytes are left untouched.
            if let latest { try writeExports(content: content, meta: latest.meta, into: &report) }
        case .published(let meta):
            report.outcome = .snapshot
            report.snapshot = meta.version
            report.contentSHA256 = meta.contentSHA256
            logger.info("Snapshot published", metadata: ["snapshot": "\(SnapshotMeta.label(meta.version))"])
            if let error = details.sequenceError {
                logger.warning(
                    "Snapshot number not recorded in .snapshot-sequence: the next run records it",
                    metadata: ["error": "\(error)"])
            }
            // For the next run, which trusts this file only while it is these bytes: recorded at
            // once, before anything else can fail (the exports, a full disk) and leave it unrecorded.
            if let checksum = details.fileChecksum {
                do {
                    try RunCache.Published.record(
                        checksum, version: meta.version, existing: Set(try store.versions()), in: config.cacheFolder)
                } catch {
                    logger.warning(
                        "Checksum of the published snapshot not recorded: the next run cannot check the file",
                        metadata: ["error": "\(error)"])
                }
            }
            // The latest snapshot's figures, for what follows (a few rows a year).
            let before = latest.flatMap { latest in (try? latest.loadIndicators()).map { (meta: latest.meta, rows: $0) }
            }
            if let latest, let countedBefore {
                noteArchivesChanged(since: latest.meta.version, counted: countedBefore, report: &report)
            }
            if let before, report.recomputedYears == nil {
                noteKeptYearsRecomputed(content.indicators, since: before, report: &report)
            }
            if let before, let countedBefore, meta.toolVersion == before.meta.toolVersion {
                noteYearsChangedByOtherYears(
                    content.indicators, since: before, counted: countedBefore, configChanged: configChanged,
                    scope: scope, report: &report)
            }
            noteImplausibleFigures(content.indicators, since: before, report: &report)
            // Under a changed config: a night's new returns' channels are `newChannelsWithoutRatio`'s.
            if configChanged { noteChannelsWithoutSales(in: store, version: meta.version, report: &report) }
            // A map written with no value is none (`digitised_coefficients:   # under review`): the
            // digitised component went to 0 in every year without a word (audit 33, E10). Said when
            // the latest snapshot had some and the config now names no section.
            if configChanged, config.methodology.digitisedCoefficients.isEmpty,
                before?.rows.contains(where: { $0.digitisedBVND != .zero }) == true
            {
                report.noDigitisedCoefficients = true
                logger.warning(
                    "methodology.digitised_coefficients names no section: the digitised component is 0 in every year")
            }
            // Targets written as fractions (`share_pct: 0.20` for 20 %) put every year ahead of a
            // target of 0.2 % in the published table without a word (audit 33, E13). A share of
            // GRDP under 1 % is no digital-economy target any plan sets (the national ones are 20
            // and 30 %; Đắk Nông's 2020 baseline, 1.64 %): said when every point is under 1.
            // On every publish: a config that had them before this check came is told too (review
            // 38, N4).
            let shares = config.targets.points.map(\.sharePct)
            if shares.contains(where: { $0 > .zero }), shares.allSatisfy({ $0 < ExactDecimal(1) }) {
                report.targetsBelowOnePercent = true
                logger.warning(
                    "Every point of targets.points is under 1 %: share_pct is a percentage (20.0 for 20 %), not a fraction"
                )
            }
            try writeExports(content: content, meta: meta, into: &report)
        }
        // Either way, the snapshots beyond `keep_snapshots`: an up-to-date run removes those a run
        // killed between its publish and its prune left, or all past a lowered `keep_snapshots`
        // (which changes no figure, so every night after it is up to date).
        report.prunedSnapshots = try prune(store)
    }

    /// The channels `methodology.ecommerce.va_ratio_by_channel` names that no transaction of the
    /// snapshot just published has (`channels_without_sales`), with the channels the returns have:
    /// a misspelled channel (`marketplce`) gave its transactions `va_ratio_default` without a word,
    /// +12 % of e-commerce value added in the audit's sample (config audit 31, F2). Said, not
    /// refused: a channel may be configured before its first return. Looked for when the config
    /// changed (a night of new returns under the same config is not checked again). The channels
    /// are the returns' (each accepted transaction member's `channels`), whatever years the run
    /// computed: the snapshot of a `run --year` has only those years' rows at first, and of a year
    /// without data none (audit 36, F2: every configured channel said missing, a misspelling?).
    /// The snapshot's when a member's are not known; one that cannot be read for it is left to
    /// `verify`.
    func noteChannelsWithoutSales(in store: SnapshotStore, version: Int, report: inout RunReport) {
        let configured = config.methodology.vaRatioByChannel.keys.sorted()
        guard !configured.isEmpty else { return }
        let members = (report.ingest?.archives ?? []).filter { $0.status == .accepted }.flatMap { archive in
            archive.members.filter { $0.kind == .transaction }
        }
        do {
            let present =
                members.allSatisfy { $0.channels != nil }
                ? Set(members.flatMap { Array(($0.channels ?? [:]).keys) }).sorted(by: bytewiseLess)
                : try store.open(version: version).salesChannels()
            let missing = configured.filter { !present.contains($0) }
            guard !missing.isEmpty else { return }
            let withoutRatio = present.filter { !configured.contains($0) }
            report.channelsWithoutSales = (missing, withoutRatio)
            logger.warning(
                "Channels of methodology.ecommerce.va_ratio_by_channel that no transaction has",
                metadata: [
                    "channels": "\(missing.joined(separator: ", "))",
                    "without_ratio": "\(withoutRatio.joined(separator: ", "))",
                ])
        } catch {
            logger.debug("Channels not checked against the snapshot", metadata: ["error": "\(error)"])
        }
    }

    /// What became of the archives `latest` counted (`archives_gone`, `archives_rewritten`): gone
    /// from this run's inputs under their path or any other, or at their path with other bytes. A
    /// return deleted by mistake, or a share synced halfway, took its rows out of the figures with
    /// nothing said but an info line, in a snapshot published, and exported to the portal, like any
    /// other (the 2023 enterprise survey gone from the sample: the 2022 share 6.6001 % → 2.3073 %);
    /// a file written over one counted did the same to the rows it no longer holds. Said, not
    /// refused: CONTRACT §3 has the operator remove a file to take it out, and a corrected file may
    /// be put in place. An archive renamed or moved keeps its SHA-256 and is neither; one listed in
    /// `inputs.exclude` is there, excluded, which is saying so. A snapshot that cannot be read for
    /// it is left to `verify`.
    func noteArchivesChanged(
        since version: Int, counted: [(path: String, sha256: String)], report: inout RunReport
    ) {
        guard let archives = report.ingest?.archives else { return }
        let now = Dictionary(archives.map { ($0.relativePath, $0.sha256) }, uniquingKeysWith: { first, _ in first })
        let digests = Set(now.values)
        var changed = ArchivesSinceLatest(since: version, gone: [], rewritten: [])
        for counted in counted where !digests.contains(counted.sha256) {
            if let sha256 = now[counted.path] {
                changed.rewritten.append((counted.path, sha256, counted.sha256))
            } else {
                changed.gone.append(counted)
            }
        }
        guard !changed.gone.isEmpty || !changed.rewritten.isEmpty else { return }
        report.archivesChanged = changed
        let label = SnapshotMeta.label(version)
        if !changed.gone.isEmpty {
            logger.warning(
                "Archives counted in the latest snapshot are no longer in the returns folder, under their name or any other",
                metadata: [
                    "counted_in": "\(label)", "archives": "\(Ingest.someNames(changed.gone.map(\.path), shown: 10))",
                ])
        }
        if !changed.rewritten.isEmpty {
            logger.warning(
                "Archives counted in the latest snapshot hold other bytes now",
                metadata: [
                    "counted_in": "\(label)",
                    "archives": "\(Ingest.someNames(changed.rewritten.map(\.path), shown: 10))",
                ])
        }
    }

    /// `noteArchivesChanged` for `validate`, against the latest snapshot if there is one it can
    /// read (read-only, as `export` does); one that cannot be read is left to `verify`.
    func noteArchivesChangedSinceLatest(_ report: inout RunReport) {
        let store = SnapshotStore(folder: config.snapshotsFolder)
        guard let version = try? store.latestVersion(),
            let counted = try? store.open(version: version).acceptedArchives()
        else { return }
        noteArchivesChanged(since: version, counted: counted, report: &report)
    }

    /// A full run after a snapshot that `run --year` made: the years that run kept (CONTRACT §7)
    /// whose published figures this run changes, recomputed from the current returns and config
    /// (`kept_years_recomputed`). An analyst's `run --year 2023` kept 2022 as it was, and the next
    /// night moved 2022 by 0.199 points, its returns and config as they were, without a word
    /// (audit 33, F1). The years `--year` asked for are read from the snapshot's `command`, which
    /// grdp writes (`--year 2023`, `--year=2023`); another form (a command written by hand) is
    /// taken as asking for none, so that every changed year is said. Changes the night's new
    /// returns make to those years are said with them: they cannot be told apart here.
    func noteKeptYearsRecomputed(
        _ rows: [IndicatorRow], since latest: (meta: SnapshotMeta, rows: [IndicatorRow]), report: inout RunReport
    ) {
        guard let asked = Self.yearsAsked(byCommand: latest.meta.command) else { return }
        let now = IndicatorRow.byYear(rows)
        let changed = latest.rows.filter { !asked.contains($0.year) && now[$0.year]?.figures != $0.figures }.map {
            ($0, now[$0.year])
        }
        guard !changed.isEmpty else { return }
        report.keptYearsRecomputed = (latest.meta.version, changed)
        logger.warning(
            "Years the latest snapshot's run --year kept are recomputed, and their figures change",
            metadata: [
                "kept_in": "\(SnapshotMeta.label(latest.meta.version))",
                "years": "\(changed.map { String($0.0.year) }.joined(separator: ", "))",
            ])
    }

    /// The years whose published figures a run changed because records dated another year took
    /// their transactions (`years_changed_by_other_years`). Enterprise and GRDP records are keyed
    /// by their year; a transaction is keyed by (channel, transaction_id) alone (CONTRACT §4.4), so
    /// a new return's row dated 2024 replaces a 2023 transaction of that id, and 2023's published
    /// figures fall. A platform that numbers its orders afresh each year took earlier years' sales
    /// out without a word (audit 33, T1).
    ///
    /// By key on a night, whose revisions count them in memory or by key partition
    /// (`RunReport.transactionsMovedOut`): the years they left, and those alone (review 43, N2).
    /// Else (`--force`, `--year`, no record of the last full run) by year: a year no new return
    /// holds a record of, when nothing else explains its
    /// change; a new return that also holds records of the year it takes from (a revision of last
    /// year's orders beside this year's) leaves that year unsaid (review 42, H2). Either way, only
    /// when every archive the latest snapshot counted still counts and the year's settings are
    /// those it was computed with; under `run --year`, only the years it recomputes (review 43,
    /// N3: the next full run compares with what that run published); after a `run --year`
    /// snapshot, only the years it computed: it held the others as an earlier snapshot had them,
    /// whatever the inputs it counted (review 42, H1). The text names what may have done it: the
    /// new returns, returns under other names (which change which record of a key is the later), a
    /// changed config (a rate added for a year lets a counted return's rows in).
    func noteYearsChangedByOtherYears(
        _ rows: [IndicatorRow], since latest: (meta: SnapshotMeta, rows: [IndicatorRow]),
        counted: [(path: String, sha256: String)], configChanged: Bool, scope: RunScope, report: inout RunReport
    ) {
        guard let archives = report.ingest?.archives else { return }
        let returns = ReturnsAgainstLatest(archives, counted: Set(counted.map(\.sha256)), configChanged: false)
        // Every archive it counted still counts (none gone, written over or excluded).
        guard Set(returns.countedByLatest.map(\.sha256)).count == Set(counted.map(\.sha256)).count else { return }
        let movedOut = report.transactionsMovedOut
        // By year, when the ledger did not count them: the years the new returns hold records of.
        var newYears: Set<Int> = []
        if movedOut == nil {
            for member in returns.new.flatMap(\.members) where member.rowsAccepted > 0 {
                guard let years = member.years else { return }
                newYears.formUnion(years)
            }
        }
        let asked = Self.yearsAsked(byCommand: latest.meta.command)
        let computing = report.recomputedYears.map(Set.init)
        let said = Set(report.keptYearsRecomputed?.rows.map(\.before.year) ?? [])
        let before = IndicatorRow.byYear(latest.rows)
        let now = IndicatorRow.byYear(rows)
        let changed = Set(before.keys).union(now.keys).sorted().filter { year in
            (movedOut.map { $0[year, default: 0] > 0 } ?? !newYears.contains(year)) && !said.contains(year)
                && (asked?.contains(year) ?? true) && (computing?.contains(year) ?? true)
                && (!configChanged || scope.settingsDiffer(ofYear: year, from: config) == false)
                && before[year]?.figures != now[year]?.figures
        }
        guard !changed.isEmpty else { return }
        let places = Set(counted.map { [$0.sha256, $0.path] })
        let changes = YearsChangedByOtherYears(
            since: latest.meta.version, rows: changed.map { (year: $0, before: before[$0], now: now[$0]) },
            movedOut: movedOut, newReturns: returns.new.map(\.relativePath),
            renamed: returns.countedByLatest.filter { !places.contains([$0.sha256, $0.relativePath]) }.map(
                \.relativePath),
            configChanged: configChanged)
        report.yearsChangedByOtherYears = changes
        logger.warning(
            movedOut != nil
                ? "Figures changed in years that records dated another year took transactions from (the same channel and transaction_id)"
                : "Figures changed in years no new return holds a record of: records dated another year may have taken their transactions (the same channel and transaction_id)",
            metadata: [
                "since": "\(SnapshotMeta.label(latest.meta.version))",
                "years": "\(changed.map(String.init).joined(separator: ", "))", "from": "\(changes.sources)",
            ])
    }

    /// The years a snapshot's `run --year` asked for, read from its `command`, which grdp writes
    /// (`--year 2023`, `--year=2023`); nil for a command with no `--year`. Another form (a command
    /// written by hand) asks for none.
    static func yearsAsked(byCommand command: String) -> Set<Int>? {
        let words = command.split(separator: " ").map(String.init)
        guard words.contains(where: { $0 == "--year" || $0.hasPrefix("--year=") }) else { return nil }
        var asked: Set<Int> = []
        for (index, word) in words.enumerated() {
            if word == "--year", index + 1 < words.count, let year = Int(words[index + 1]) { asked.insert(year) }
            if word.hasPrefix("--year="), let year = Int(word.dropFirst("--year=".count)) { asked.insert(year) }
        }
        return asked
    }

    /// Figures no return can make, said when a snapshot is published with them
    /// (`implausible_figures`): a year's digital-economy value added above its GRDP (a share over
    /// 100 %), and a year's GRDP moved by a factor of 2 or more since the latest snapshot. A GRDP
    /// return written `"55.700"` in a `,` member (read as `en`: 55.7 billion VND) published a share
    /// of 8100 %, amounts already in VND labelled USD one of 137 %, and a GRDP revision in million
    /// VND one of 0.0081 %, each with nothing said (audit 33, S1–S3). Said, not refused: the figures
    /// are what the returns say, and the operator corrects the return.
    func noteImplausibleFigures(
        _ rows: [IndicatorRow], since latest: (meta: SnapshotMeta, rows: [IndicatorRow])?, report: inout RunReport
    ) {
        var found: [ImplausibleFigure] = []
        let hundred = ExactDecimal(100)
        for row in rows {
            if let share = row.sharePct, share > hundred {
                found.append(.shareAbove100(year: row.year, share: share, de: row.deBVND, grdp: row.grdpBVND))
            }
        }
        if let latest {
            let earlier = IndicatorRow.byYear(latest.rows)
            for row in rows {
                guard let grdp = row.grdpBVND, let old = earlier[row.year]?.grdpBVND, old != .zero, grdp != .zero
                else { continue }
                let ratio = grdp.doubleValue / old.doubleValue
                if ratio >= 2 || ratio <= 0.5 {
                    found.append(.grdpMoved(year: row.year, before: old, now: grdp, since: latest.meta.version))
                }
            }
        }
        guard !found.isEmpty else { return }
        report.implausibleFigures = found
        for figure in found {
            logger.warning("Implausible figure published", metadata: ["figure": "\(figure)"])
        }
    }

    /// What a run killed earlier left: whether it got as far as renaming its snapshot into place
    /// (which its temporary, if still there, tells: so before the leftovers go), and the
    /// `.grdp-*.tmp` files it was writing snapshots, exports, reports and cache entries through.
    /// Only this run, holding the lock, can be writing them now (but reports: runs that find the
    /// lock taken write theirs without it, so only those an hour old go).
    func settleKilledRun(store: SnapshotStore, archiveFolder: URL) throws {
        if let error = store.settlePublishing() {
            logger.warning("Snapshot number not recorded in .snapshot-sequence", metadata: ["error": "\(error)"])
        }
        var removed = try store.removeLeftoverTemporaries()
        removed += try AtomicFile.removeLeftoverTemporaries(in: config.outputs.folder)
        removed += try AtomicFile.removeLeftoverTemporaries(in: config.exportsFolder).map { "exports/\($0)" }
        removed += try AtomicFile.removeLeftoverTemporaries(in: config.reportsFolder, olderThan: 3600).map {
            "reports/\($0)"
        }
        // The cache only saves time: one that cannot even be listed (a file in its place) is
        // said, and the run goes on without what it would have held.
        for (folder, prefix) in [(config.cacheFolder, "cache/"), (archiveFolder, "cache/archives/")] {
            do {
                removed += try AtomicFile.removeLeftoverTemporaries(in: folder).map { prefix + $0 }
            } catch {
                logger.warning(
                    "Cache folder not usable: the run goes on without it (it only saves time)",
                    metadata: ["error": "\(error)"])
            }
        }
        if !removed.isEmpty {
            logger.notice("Removed leftover temporary files", metadata: ["files": "\(removed.joined(separator: ", "))"])
        }
    }

    /// Logs that a new snapshot starts from a copy of `base` and writes only the sales rows of
    /// `written` (`why`, when it is not that the other years' digests did not change); `isLatest`:
    /// whether `base` is the latest snapshot, not the last full run's (`RunScope.base`).
    func logYearsCopied(from base: SnapshotFile, isLatest: Bool, written: Set<Int>, why: String? = nil) {
        var metadata: Logger.Metadata = [
            "from": "\(SnapshotMeta.label(base.meta.version))", "written": "\(Self.yearList(written))",
        ]
        if let why { metadata["why"] = "\(why)" }
        logger.debug(
            isLatest
                ? "Sales rows of unchanged years copied from the latest snapshot"
                : "Sales rows of unchanged years copied from the last full run's snapshot", metadata: metadata)
    }

    /// The years of an archive's accepted records and transactions.
    static func years(named archive: ArchiveOutcome) -> Set<Int> {
        var years: Set<Int> = []
        for member in archive.members {
            for (_, record) in member.accepted {
                switch record {
                case .enterprise(let enterprise): years.insert(enterprise.year)
                case .grdp(let grdp): years.insert(grdp.year)
                case .transaction: break  // in `member.transactions`
                }
            }
            member.transactions.withRows { rows in
                for row in rows { years.insert(Int(row.year)) }
            }
        }
        return years
    }

    /// `years` in order, comma-separated, for the log.
    static func yearList(_ years: Set<Int>) -> String {
        years.sorted().map(String.init).joined(separator: ",")
    }

    /// The nightly case: the inputs' fingerprint equals the one `cache` recorded for the latest
    /// snapshot, so that snapshot is what reading them would give. Reports up to date with the
    /// archives as last read, repairs missing or stale exports, and returns true; false when the
    /// run must read the archives.
    func upToDateWithoutReading(
        _ cache: RunCache, fingerprint: String, inputs: ScannedInputs, latestVersion: Int?, store: SnapshotStore,
        check: PublishedCheck?, report: inout RunReport
    ) throws -> Bool {
        guard cache.fingerprint == fingerprint, let version = latestVersion, version == cache.snapshotVersion
        else { return false }
        // A latest that cannot be read, or is not the file published, is not up to date: the run
        // reads the archives (see `openLatest`).
        guard let latest = try? store.open(version: version), cache.describes(latest.meta),
            check?.isIntact ?? true, var ingest = cache.ingest.whole
        else { return false }
        check?.recordIfVerified(version: version, store: store, in: config.cacheFolder)
        ingest.unpackSeconds = inputs.seconds
        ingest.normalizeSeconds = 0
        report.ingest = ingest
        report.stages["unpack"] = inputs.seconds
        report.stages["normalize"] = 0
        report.inputsUnchangedSince = version
        report.outcome = .upToDate
        report.snapshot = version
        report.contentSHA256 = latest.meta.contentSHA256
        logger.info(
            "Up to date: inputs unchanged, no archive read",
            metadata: ["snapshot": "\(SnapshotMeta.label(version))", "archives": "\(inputs.scan.archives.count)"])
        let pages = config.outputs.exports.contains { ExportFormat(rawValue: $0.format) == .html }
        try writeExports(
            content: Exporter.exportContent(of: latest, countingQuarantine: pages), meta: latest.meta, into: &report)
        report.prunedSnapshots = try prune(store)
        return true
    }

    /// The latest snapshot. One that cannot be read (damaged on disk, edited: `grdp verify` says
    /// which), or that this user may not open (left root-only by a `sudo grdp run`), does not stop
    /// a full run, which writes every table from the returns anyway: it is left as it is, named in
    /// a warning, and the run publishes the next version as if there were none to compare with or
    /// carry from (but `builtOn`, the last full run's snapshot a night builds on, `RunScope.base`).
    /// `run --year` needs its other years' rows: it fails (exit 65 damaged, 66 not readable) naming
    /// the file.
    func openLatest(
        _ version: Int?, store: SnapshotStore, options: RunOptions, check: PublishedCheck?, builtOn: Int? = nil
    ) throws -> SnapshotFile? {
        guard let version else { return nil }
        do {
            let latest = try store.open(version: version)
            if let check, !check.isIntact {
                throw SnapshotError(
                    code: .damagedSnapshot, message: check.problem(SnapshotMeta.label(version)),
                    path: latest.url.path)
            }
            check?.recordIfVerified(version: version, store: store, in: config.cacheFolder)
            return latest
        } catch let error as SnapshotError
            where (error.code == .damagedSnapshot || error.code == .unreadableSnapshot) && options.years == nil
        {
            var metadata: Logger.Metadata = ["snapshot": "\(SnapshotMeta.label(version))", "error": "\(error)"]
            if let builtOn { metadata["built_on"] = "\(SnapshotMeta.label(builtOn))" }
            logger.warning(
                builtOn == nil
                    ? "Latest snapshot cannot be read: not used; the new snapshot is written from the returns alone"
                    : "Latest snapshot cannot be read: not used; the new snapshot is built on the last full run's and the returns",
                metadata: metadata)
            return nil
        }
    }

    /// `source_archive`, `source_member`, `quarantine`, `target_point`, `district`: the current inputs and config.
    func describeInputs(_ ingest: IngestResult, into content: inout SnapshotContent) {
        for archive in ingest.archives {
            content.sourceArchives.append(
                SourceArchiveRow(
                    path: archive.relativePath, sha256: archive.sha256, bytes: archive.bytes,
                    status: archive.status.rawValue, reason: archive.rejection?.reason.rawValue))
            for member in archive.members {
                content.sourceMembers.append(
                    SourceMemberRow(
                        archivePath: archive.relativePath, memberPath: member.path, kind: member.kind.rawValue,
                        rowsRead: member.rowsRead, rowsAccepted: member.rowsAccepted,
                        rowsQuarantined: member.rowsQuarantined, rowsSuperseded: member.rowsSuperseded,
                        rowsExcluded: member.rowsExcluded))
            }
        }
        // Given one at a time as the publish inserts and hashes them, from the archive cache where
        // most wait (`CachedQuarantine`), never all held: at 10 M transactions with 1 % of rows
        // quarantined, ~100,000 rows and their raw lines were ~30 MB on the run's peak.
        // (Only the quarantine of each member kept: not its records nor its batch.)
        let members = ingest.archives.flatMap(\.members).filter { $0.rowsQuarantined > 0 }.map { member in
            var kept = member
            kept.accepted = []
            kept.transactions = TransactionBatch()
            return kept
        }
        content.streamedQuarantineByReason = members.reduce(into: [:]) { counts, member in
            for (reason, count) in member.quarantinedByReason { counts[reason.rawValue, default: 0] += count }
        }
        content.streamedQuarantine = StreamedRows(count: members.reduce(0) { $0 + $1.rowsQuarantined }) { body in
            for member in members {
                try member.forEachQuarantined { entry in
                    try body(
                        QuarantineRow(
                            archivePath: entry.location.archivePath, memberPath: entry.location.memberPath,
                            line: entry.location.line, kind: entry.kind.rawValue, reason: entry.reason.rawValue,
                            detail: entry.detail, raw: entry.raw))
                }
            }
        }
        content.targetPoints = config.targets.points.map {
            TargetPointRow(year: $0.year, sharePct: $0.sharePct, source: $0.source)
        }
        content.districts = config.region.districts.keys.sorted().map {
            DistrictRow(code: $0, name: config.region.districts[$0] ?? "")
        }
    }

    /// `run --year`: the per-year tables (`enterprise`, `ecommerce_sales`, `grdp`, `indicator`,
    /// `indicator_by_district`) keep every other year's rows from the latest snapshot and take
    /// the requested years' rows from `fresh`; a requested year without fresh rows loses its old
    /// ones. Every other table (`source_*`, `quarantine`, `target_point`, `district`) describes
    /// the current inputs and config, as `fresh` does.
    ///
    /// Rows come out in the order a full run writes them (year first; enterprises by tax code,
    /// then year). A `latest` loaded without `ecommerce_sales` (as `run` does) carries none of
    /// its rows here: the store copies them file to file (`CarriedSales`).
    static func carryOver(_ fresh: SnapshotContent, recomputing years: Set<Int>, from latest: SnapshotContent?)
        -> SnapshotContent
    {
        var content = fresh
        let old = latest ?? SnapshotContent()
        func merge<Row>(_ keyPath: WritableKeyPath<SnapshotContent, [Row]>, year: (Row) -> Int) {
            // (`year` a closure, not a key path: a key path read is slow for 700,000 rows.)
            let computed = fresh[keyPath: keyPath]
            let kept = old[keyPath: keyPath].filter { !years.contains(year($0)) }
            // The computed rows as they are when all are of `years` (the sales rows: 700,000 at
            // 10 M, not copied).
            var rows =
                computed.everyYear(year, years.contains) ? computed : computed.filter { years.contains(year($0)) }
            if !kept.isEmpty { rows = kept + rows }
            // Stable sort: within a year the rows keep their source's (key) order. Rows already in
            // year order are not sorted again.
            if !rows.inYearOrder(year) { rows.sort { year($0) < year($1) } }
            content[keyPath: keyPath] = rows
        }
        merge(\.ecommerceSales) { $0.year }
        merge(\.grdp) { $0.year }
        merge(\.indicators) { $0.year }
        merge(\.districtIndicators) { $0.year }
        // Enterprises by tax code, then year: the latest's rows of the other years (in that order
        // as loaded) merged with the computed ones (in it from `currentRecords`).
        content.enterprises = old.enterprises.filter { !years.contains($0.year) }.merged(
            with: fresh.enterprises.filter { years.contains($0.year) }, by: EnterpriseRow.precedes)
        return content
    }

    /// `outputs.keep_snapshots`: after a new snapshot, or finding the latest up to date, removes
    /// the oldest beyond the newest N.
    func prune(_ store: SnapshotStore) throws -> [Int] {
        let removed = try store.prune(keeping: config.outputs.keepSnapshots)
        if !removed.isEmpty {
            logger.info(
                "Old snapshots removed",
                metadata: [
                    "removed": "\(removed.map(SnapshotMeta.label).joined(separator: ", "))",
                    "keep_snapshots": "\(config.outputs.keepSnapshots)",
                ])
        }
        return removed
    }

    /// What the publish did beyond its outcome, in the log: how the sales rows of the written years
    /// were updated in the copy, and how far the content hash went on from `base`'s, the snapshot
    /// the run built on (`isLatest`: the latest; else the last full run's, `RunScope.base`).
    func logPublished(
        _ details: PublishDetails, carried: CarriedSales?, resume: ContentHash.Resume?, base: SnapshotFile?,
        isLatest: Bool
    ) {
        if details.hashReadBack {
            logger.debug("Content hash read back from the file: the rows in memory could not give it")
        }
        if let missed = details.salesKeysMissed {
            logger.warning(
                "The keys the new returns touched missed a change of the sales rows (a grdp bug): every row of the written years was compared instead, and the snapshot holds the computed rows",
                metadata: ["totals": "\(missed)"])
        }
        if let salesChanges = details.salesChanges, let carried {
            var metadata: Logger.Metadata = [
                "years": "\(Self.yearList(carried.exceptYears))",
                "deleted": "\(salesChanges.deleted)", "inserted": "\(salesChanges.inserted)",
                "compared_with": "\(details.salesCompared.rawValue)",
            ]
            if let keys = details.salesKeysCompared { metadata["keys"] = "\(keys)" }
            if let months = details.salesMonths {
                metadata["months_merged"] = "\(months.merged)"
                metadata["months_unchanged"] = "\(months.unchanged)"
                metadata["months_replaced"] = "\(months.replaced)"
            }
            logger.debug(
                "Sales rows of the written years updated in the copy: only the changed ones deleted and inserted",
                metadata: metadata)
        }
        if let contentMarks = details.marks, contentMarks.rowsResumed > 0, let base {
            var metadata: Logger.Metadata = [
                "from": "\(SnapshotMeta.label(base.meta.version))", "rows": "\(contentMarks.rowsResumed)",
                "year": "\(resume.map { $0.fromYear == Int.max ? "none changed" : String($0.fromYear) } ?? "")",
            ]
            // Gone on from the mark of a month of that year (`Resume.fromMonth`), past the rows of
            // the year before it.
            if let resume, let month = resume.fromMonth,
                let yearStart = contentMarks.position(from: resume.fromYear),
                contentMarks.rowsResumed > yearStart.rowsBefore
            {
                metadata["month"] = month == SalesDigests.pastLastMonth ? "none changed" : "\(month)"
            }
            logger.debug(
                isLatest
                    ? "Content hash went on from the latest snapshot's, past its unchanged sales rows"
                    : "Content hash went on from the last full run's snapshot's, past its unchanged sales rows",
                metadata: metadata)
        }
    }
}
