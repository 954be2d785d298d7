internal import Foundation
public import Logging

/// Runs the stages: lock → unpack + normalize → revisions → compute → snapshot → exports → report.
public struct PipelineRunner {
    public var config: PipelineConfig
    public var logger: Logger
    public var progress: (@Sendable (ProgressEvent) -> Void)?

    public init(config: PipelineConfig, logger: Logger, progress: (@Sendable (ProgressEvent) -> Void)? = nil) {
        self.config = config
        self.logger = logger
        self.progress = progress
    }

    /// `grdp validate`: unpack and normalize only; writes nothing.
    ///
    /// Revisions are part of normalizing (CONTRACT §4.4): each member's superseded rows are counted
    /// as `run` counts them, and the transactions' sums taken as `run` takes them (a sum too
    /// precise to keep exactly fails both, exit 70); nothing else is computed. Below 1 M expected
    /// transaction keys (`PartitionedRevisions.isChosen`, as `run` decides) a ledger in memory does
    /// both. From there, as `run` does, they are taken by key partition after the ingest: each
    /// archive's rows streamed to an entry and the keys to partition files, in a scratch folder of
    /// the system's temporary folder (`ScratchFolder`, `TMPDIR`) that is removed before this
    /// returns; then the groups a year at a time. At 10 M transactions the ledger held ~690 MiB.
    /// When the scratch folder cannot be made, or its file system has not the room, the ledger
    /// in memory.
    public func validate() -> RunResult {
        let started = Timestamp.now()
        var report = RunReport(startedAt: started)
        // Removed when let go, as this returns.
        var scratch: ScratchFolder?
        do {
            ScratchFolder.removeAbandoned()
            let inputs = try Ingest.scan(config: config)
            if PartitionedRevisions.isChosen(expectedKeys: nil, archiveBytes: inputs.archiveBytes) {
                // Its entries hold ~1.8 bytes a byte of the benchmark's gzip archives (10 M: 370 MB
                // for 208 MB); about twice that (4×) asked for, so that a full disk does not send
                // every archive's rows back to memory one by one.
                do {
                    scratch = try ScratchFolder(needing: inputs.archiveBytes * 4)
                } catch {
                    logger.warning(
                        "Revisions counted in memory: no scratch folder in the temporary folder (TMPDIR)",
                        metadata: ["folder": "\(FileManager.default.temporaryDirectory.path)", "error": "\(error)"])
                }
            }
            var ledger = RevisionLedger()
            var revisions = PartitionedRevisions()
            var acceptedArchives: [Int: ArchiveIdentity] = [:]
            // Entries no run will look for: named by the reading settings and "validate", not by any
            // build's identity.
            let cache = scratch.map {
                ArchiveCache(
                    folder: $0.url.appendingPathComponent("archives"), build: "validate",
                    readingSHA256: config.readingSHA256)
            }
            let ingest = try Ingest.run(
                config: config, inputs: inputs, cache: cache, keepingEveryQuarantined: false, logger: logger,
                progress: progress
            ) {
                scanned, archive in
                guard archive.status == .accepted else { return }
                acceptedArchives[scanned] = ArchiveIdentity(archive)
                if cache != nil { revisions.add(archive, scanned: scanned) }
                try Self.apply(&archive, scanned: scanned, to: &ledger, transactionsKept: cache != nil)
            }
            try RunStop.check()
            if let scratch {
                let current = try currentRows(of: &revisions, spillFolder: scratch.url)
                ledger.takeTransactionMembers(revisions.transactionMembers(current))
                logger.debug(
                    "Revisions taken by key partition",
                    metadata: [
                        "transaction_keys": "\(current.keys)", "spilled": "\(current.spilled)",
                        "scratch": "\(scratch.url.path)",
                    ])
                // The groups' sums, a year at a time as a full `run` takes them, then let go; not
                // when an archive is rejected, where `run` stops (exit 65) before taking them.
                for year in current.years where !ingest.isRejected {
                    try RunStop.check()
                    revisions.releaseMembers(before: year, current)
                    _ = try revisions.groups(current, keepingYears: [year])
                }
                revisions = PartitionedRevisions()
            }
            report.ingest = ingest
            if !ingest.isRejected { noteArchivesChangedSinceLatest(&report) }
            Self.countSuperseded(in: ledger, archives: acceptedArchives, into: &report)
            report.stages["unpack"] = ingest.unpackSeconds
            report.stages["normalize"] = ingest.normalizeSeconds
            report.outcome = ingest.isRejected ? .rejected : .valid
        } catch {
            report.fail(error)
        }
        report.finishedAt = Timestamp.now()
        return RunResult(
            outcome: report.outcome, exitCode: report.exitCode, snapshotVersion: nil, report: report.json(),
            reportURL: nil, summary: report.summaryLines())
    }

    /// `grdp run`: all stages, a report file whatever the outcome.
    public func run(_ options: RunOptions) -> RunResult {
        let started = Timestamp.now()
        // The build's identity hashes the executable (~20 ms for 29 MB, a run's whole start at 1 M
        // transactions): on another thread, while the lock is taken, leftovers are swept and the
        // archives are listed and hashed; `runStages` waits for it where the caches first need it.
        let build = OnAnotherThread { [toolVersion = options.toolVersion] in
            BuildIdentity.current(toolVersion: toolVersion)
        }
        defer { _ = build.wait() }
        var report = RunReport(startedAt: started)
        var lock: OutputLock?
        // `last-run.json` being written, after a full run that published or found the figures up
        // to date (`remember`): waited for once the report is written, before the lock goes.
        var cacheWrite: OnAnotherThread<String?>?
        do {
            try FileSystem.makeDirectories(config.outputs.folder.path)
        } catch {
            report.fail(error)
            report.finishedAt = Timestamp.now()
            return finish(report, reportFolder: nil)
        }
        do {
            // A nightly run behind a long one may wait half an hour: its log says why it is quiet.
            lock = try OutputLock(url: config.lockFile, waitSeconds: options.waitLockSeconds) {
                logger.info(
                    "Waiting for another run to release the lock",
                    metadata: ["lock": "\(config.lockFile.path)", "up_to_seconds": "\(options.waitLockSeconds)"])
            }
            try runStages(options, build: build, report: &report, cacheWrite: &cacheWrite)
        } catch let busy as OutputLock.Busy {
            report.outcome = .locked
            report.errors.append(busy.description)
            logger.warning("Run skipped: locked", metadata: ["lock": "\(busy.path)"])
        } catch {
            report.fail(error)
            logger.error("Run failed", metadata: ["error": "\(error)"])
        }
        if let signal = RunStop.signal, report.outcome == .snapshot || report.outcome == .upToDate {
            logger.warning(
                "Stop asked too late to stop: the run had published its snapshot or found the figures up to date, and finished",
                metadata: ["signal": "\(RunStop.Stopped.name(of: signal))"])
        }
        report.finishedAt = Timestamp.now()
        let result = finish(
            report, reportFolder: config.reportsFolder, holdingLock: lock != nil, cacheWrite: cacheWrite)
        if let problem = cacheWrite?.wait() {
            // Only time is lost: the next run reads every archive again.
            logger.warning("Run cache not written", metadata: ["error": "\(problem)"])
        }
        withExtendedLifetime(lock) {}
        return result
    }

    private func runStages(
        _ options: RunOptions, build buildIdentity: OnAnotherThread<String>, report: inout RunReport,
        cacheWrite: inout OnAnotherThread<String?>?
    ) throws {
        // What the last run kept: its snapshot's number and the published snapshots' checksums also
        // keep those numbers from being used again (CONTRACT §6) when the snapshot files, the
        // sequence file and the reports were all deleted by hand.
        let lastRun = RunCache.load(from: config.cacheFolder)
        let recordedChecksums = RunCache.Published.read(from: config.cacheFolder)
        let store = SnapshotStore(
            folder: config.snapshotsFolder,
            knownPublished: max(lastRun?.snapshotVersion ?? 0, recordedChecksums.checksums.keys.max() ?? 0))
        let archiveFolder = config.cacheFolder.appendingPathComponent("archives", isDirectory: true)
        try createFolder(config.snapshotsFolder)
        try settleKilledRun(store: store, archiveFolder: archiveFolder)
        // The latest snapshot as the run starts: the lock keeps any other run from publishing.
        let latestVersion = try store.versions().last
        // A run killed between publishing and recording its number, or that could not record it.
        if let error = store.recordHighestPublished(latestVersion) {
            logger.warning("Snapshot number not recorded in .snapshot-sequence", metadata: ["error": "\(error)"])
        }

        // Every archive is hashed first: when none changed since the latest snapshot (nor the config's
        // settings, `figuresSHA256`, nor grdp), that snapshot already holds these figures and nothing
        // is decompressed.
        // The latest snapshot's file is checked beside the archives (its checksum against the one
        // recorded when it was published, or with none recorded its content hash recomputed): the
        // run trusts that file (copies its rows, resumes its content hash, says it is up to date)
        // only when it is still the file published (`PublishedCheck`).
        if latestVersion != nil, let problem = recordedChecksums.problem {
            logger.warning(
                "Checksums of the published snapshots not readable: a snapshot without one is checked as grdp verify checks it",
                metadata: ["error": "\(problem)"])
        }
        let latestCheck = latestVersion.map {
            PublishedCheck(version: $0, recorded: recordedChecksums.checksums, store: store)
        }
        defer { latestCheck?.finish() }
        // A night after a snapshot that `last-run.json` does not describe (`run --year`'s, mostly)
        // builds on the one it does, when it is still there with its checksum recorded
        // (`RunScope.base`): that file is checked beside the archives too.
        let baseVersion =
            options.force || options.years != nil
            ? nil
            : lastRun.flatMap { run in
                latestVersion.flatMap { latest in
                    run.snapshotVersion < latest && recordedChecksums.checksums[run.snapshotVersion] != nil
                        ? run.snapshotVersion : nil
                }
            }
        let lastFullRunSnapshot = baseVersion.map {
            (version: $0, check: PublishedCheck(version: $0, recorded: recordedChecksums.checksums, store: store))
        }
        defer { lastFullRunSnapshot?.check.finish() }
        // An archive unchanged since two earlier runs hashed it is not hashed again
        // (`ArchiveDigestMemo`); `--force` hashes every one.
        let digestMemo = ArchiveDigestMemo.load(from: config.cacheFolder)
        let inputs = try Ingest.scan(config: config, memo: digestMemo, trustingMemo: !options.force)
        rememberDigests(inputs, had: digestMemo, report: &report)
        try RunStop.check()
        // The caches hold what this build computed: a rebuilt grdp reads everything again.
        let build = buildIdentity.wait()
        let archiveCache = ArchiveCache(folder: archiveFolder, build: build, readingSHA256: config.readingSHA256)
        // The config's settings this run's figures come from: what everything it keeps for the next
        // run, and takes from the last, is bound to (`PipelineConfig.figuresSHA256`).
        let figuresSHA256 = config.figuresSHA256
        let fingerprint = inputs.fingerprint(build: build, figuresSHA256: figuresSHA256)
        if !options.force, options.years == nil, let fingerprint, let lastRun,
            try upToDateWithoutReading(
                lastRun, fingerprint: fingerprint, inputs: inputs, latestVersion: latestVersion, store: store,
                check: latestCheck, report: &report)
        {
            return
        }

        // The revision ledger takes each accepted archive as soon as it is read, in archive order
        // (CONTRACT §4.4); a rejected archive anywhere fails the run, ledger and all.
        // Sized as the last run's ledger grew: the same inputs plus a night's returns, usually.
        // `run --year` keeps only those years' sums: every key is still followed (a revision may move
        // a transaction between years), but other years' rows skip their group.
        // The archives the last full run read (path and SHA-256), when this run may recompute only
        // the years that the others touch (see `touchedYears`): the ledger marks those years.
        let readByLastRun = lastRun?.ingest.outline.accepted
        let earlierArchives = options.force || options.years != nil ? nil : readByLastRun
        // The ledger a full run kept, when it holds only archives still here: their transactions are
        // not applied again, only the other archives'. Not with --force, which reads everything.
        // Its headers now (they say which archives the cache may give without their rows), its
        // arrays on another thread while the other archives are read (~0.7 s at 10 M transactions,
        // about as long as a night's new archive takes): the ledger is first needed when the first
        // archive read is applied.
        let stateFile = LedgerStateFile(
            cacheFolder: config.cacheFolder, build: build, figuresSHA256: figuresSHA256)
        let scannedArchives = zip(inputs.scan.archives, inputs.archiveDigests).map { candidate, digest in
            digest.map { ArchiveIdentity(relativePath: candidate.relativePath, sha256: $0.hex) }
        }
        // Partitioned revisions (from 1 M expected keys, or as `GRDP_LEDGER` says): no ledger is
        // kept nor read; every transaction is taken again after the ingest, by key partition.
        // From the keys the last run counted and the bytes of the archives it did not read (also
        // with --force or --year, which take every archive's keys again).
        let newArchiveBytes = zip(inputs.scan.archives, scannedArchives).reduce(Int64(0)) { bytes, pair in
            let (candidate, identity) = pair
            let read = identity.map { readByLastRun?.contains($0) == true } ?? false
            return read ? bytes : bytes + candidate.bytes
        }
        let partitioned = PartitionedRevisions.isChosen(
            expectedKeys: lastRun?.ledgerHint(inputBytes: inputs.archiveBytes)?.transactionKeys,
            archiveBytes: inputs.archiveBytes, newArchiveBytes: newArchiveBytes)
        var revisions = PartitionedRevisions()
        let opened =
            options.force || partitioned ? nil : stateFile.open(archives: scannedArchives, earlier: earlierArchives)
        var reading = opened.map { opened in
            OnAnotherThread { [stateFile, years = options.years] in
                let start = Timestamp.now()
                return stateFile.read(opened, keepingYears: years).map {
                    ($0, $1, Timestamp.now().seconds(since: start))
                }
            }
        }
        let fresh = {
            partitioned
                ? RevisionLedger()
                : RevisionLedger(
                    expecting: lastRun?.ledgerHint(inputBytes: inputs.archiveBytes), keepingYears: options.years)
        }
        var ledger = reading == nil ? fresh() : RevisionLedger()
        var resumed: LedgerStateFile.Resumed?
        /// The kept ledger's arrays did not check out (`LedgerStateFile.read`): the archives it was
        /// to hold were taken from the cache without their rows, so the ingest starts again.
        struct KeptLedgerUnreadable: Error {}
        func logResumed(_ state: LedgerStateFile.Resumed, seconds: Double, waited: Double? = nil) {
            var metadata: Logger.Metadata = [
                "archives": "\(state.archives.count)", "transaction_keys": "\(ledger.size.transactionKeys)",
                "seconds": "\(seconds)",
            ]
            if let waited { metadata["waited"] = "\(waited)" }
            logger.debug("Revision ledger resumed from the cache", metadata: metadata)
        }
        /// The ledger read on the other thread, once it is needed.
        func awaitLedger() throws(KeptLedgerUnreadable) {
            guard let pending = reading else { return }
            reading = nil
            let waitStart = Timestamp.now()
            guard let (read, state, seconds) = pending.take() else { throw KeptLedgerUnreadable() }
            ledger = read
            resumed = state
            logResumed(state, seconds: seconds, waited: Timestamp.now().seconds(since: waitStart))
        }
        // A nightly run with a kept ledger, whose first new archive holds records: while the ledger
        // is read back (one core busy, the other idle for ~0.4 s at 10 M transactions), the latest
        // snapshot's sales rows of the years that archive names are read for the diff against them
        // (`SalesRowsUpdate.FileRows`). Those are the years it will write unless a revision moves a
        // transaction to another year or a later archive names others; the publish uses the rows
        // only when they are exactly the written years' of the file it copies, and reads that file
        // itself otherwise. New archives of transactions alone need only the rows of the keys they
        // touch (`touchedKeys` below), read once the ledger has taken them; when those keys cannot
        // be used (too many, or a later archive holds records), the publish reads the years' rows
        // from the file itself, as before the read-ahead.
        let readAheadVersion = opened == nil || earlierArchives == nil ? nil : baseVersion ?? latestVersion
        var readAhead: OnAnotherThread<SalesRowsUpdate.FileRows?>?
        // Not left reading when the run ends before handing it over (a rejected archive, a failure).
        defer { _ = readAhead?.wait() }
        var ledgerSeconds = 0.0
        // The accepted archives, by their index among the scanned ones (`MemberRef.archive`).
        var acceptedArchives: [Int: ArchiveIdentity] = [:]
        // Archives read before with these reading settings and this build come from the cache, unless
        // --force.
        func ingestAndApply(rowsKept: Set<ArchiveIdentity>) throws -> IngestResult {
            let ingest = try Ingest.run(
                config: config, inputs: inputs, cache: archiveCache, readCached: !options.force,
                rowsKept: rowsKept, logger: logger, progress: progress
            ) { scanned, archive in
                guard archive.status == .accepted else { return }
                // Not when it holds transactions alone (see above).
                if reading != nil, readAhead == nil, let readAheadVersion,
                    archive.members.contains(where: { !$0.accepted.isEmpty })
                {
                    let years = Self.years(named: archive)
                    let path = store.url(for: readAheadVersion).path
                    readAhead = OnAnotherThread { try? SalesRowsUpdate.FileRows.read(years: years, from: path) }
                }
                try awaitLedger()
                let ledgerStart = Timestamp.now()
                let identity = ArchiveIdentity(archive)
                acceptedArchives[scanned] = identity
                if partitioned { revisions.add(archive, scanned: scanned) }
                // Its transactions already in the resumed ledger, when it is one the state holds.
                try Self.apply(
                    &archive, scanned: scanned, to: &ledger,
                    markingYears: earlierArchives.map { !$0.contains(identity) } ?? false,
                    transactionsKept: partitioned || stateFile.holds(archive, in: resumed))
                ledgerSeconds += Timestamp.now().seconds(since: ledgerStart)
            }
            try awaitLedger()
            return ingest
        }
        var ingest: IngestResult
        do {
            ingest = try ingestAndApply(rowsKept: opened.map { Set($0.archives.keys) } ?? [])
        } catch is KeptLedgerUnreadable {
            // Torn by a crash or damaged: only time is lost. With a journal, the base alone may
            // still serve (holding fewer archives); else every archive's rows are applied.
            logger.warning(
                "Revision ledger kept in the cache is damaged: not used",
                metadata: [
                    "file": "\(stateFile.url.path)\(opened!.withJournal ? " with \(stateFile.journalURL.path)" : "")"
                ])
            ledger = RevisionLedger()
            acceptedArchives = [:]
            revisions = PartitionedRevisions()
            ledgerSeconds = 0
            let loadStart = Timestamp.now()
            resumed =
                opened!.withJournal
                ? stateFile.load(
                    into: &ledger, baseOnlyFor: scannedArchives, earlier: earlierArchives, keepingYears: options.years)
                : nil
            if let resumed {
                logResumed(resumed, seconds: Timestamp.now().seconds(since: loadStart))
            } else {
                ledger = fresh()
            }
            ingest = try ingestAndApply(rowsKept: resumed.map { Set($0.archives.keys) } ?? [])
        }
        report.ingest = ingest
        report.stages["unpack"] = ingest.unpackSeconds
        report.stages["normalize"] = ingest.normalizeSeconds
        if ingest.isRejected {
            report.outcome = .rejected
            forgetDigests(ofRejectedIn: ingest, scanned: inputs)
            countSupersededOfRejected(
                ingest, ledger: &ledger, partitioned: partitioned, revisions: &revisions, resumed: resumed,
                accepted: acceptedArchives, report: &report)
            return
        }
        try RunStop.check()
        // The transactions' revisions, when partitioned: which rows are current; their groups are
        // taken for Compute below, every year at once or a year at a time.
        var partitionedCurrent: PartitionedRevisions.CurrentRows?
        // The groups of the years this run computes, kept for the next run with this key pass's
        // state once they are taken.
        let groupsKeeping = KeptGroupsKeeping(logger: logger)
        defer { groupsKeeping.finish() }
        // The token of the state this key pass resumed from, whose kept groups a night may update.
        var resumedToken: String?
        if partitioned {
            let start = Timestamp.now()
            let taken = try takeRevisionsByKeyPartition(
                &revisions, into: &ledger, accepted: acceptedArchives, earlier: earlierArchives, options: options,
                build: build, figuresSHA256: figuresSHA256, groupsKeeping: groupsKeeping)
            partitionedCurrent = taken.current
            resumedToken = taken.resumedToken
            ledgerSeconds += Timestamp.now().seconds(since: start)
        }

        // What this run computes, and what it takes from the latest snapshot.
        ledger.settleMarks()
        let scope = try settleScope(
            options: options, latestVersion: latestVersion, store: store, check: latestCheck,
            base: lastFullRunSnapshot, lastRun: lastRun, ledger: ledger, partitioned: partitioned,
            transactionYears: partitionedCurrent.map { current in { revisions.touchedYears(current) } },
            ingest: ingest, earlierArchives: earlierArchives, build: build, figuresSHA256: figuresSHA256)
        // Known on a night: the ledger marked the new archives, or the key pass was told them.
        if earlierArchives != nil {
            report.transactionsMovedOut =
                partitioned ? partitionedCurrent?.transactionsMovedOut : ledger.transactionsMovedOut
        }
        let (base, latestRun, previous) = (scope.base, scope.latestRun, scope.previous)
        let (onlyTouched, recomputed, touchedKeys) = (scope.onlyTouched, scope.recomputed, scope.touchedKeys)
        // Those rows of the file built on, read while the ledger is kept and Compute runs.
        if readAhead == nil, let touchedKeys, let base {
            let path = base.url.path
            readAhead = OnAnotherThread { try? SalesRowsUpdate.FileRows.read(touchedKeys, from: path) }
        }
        // The other years' sales rows, most of the snapshot, go file to file (`CarriedSales`): the new
        // snapshot starts from a copy of the file built on, begun now on another thread, so that Compute
        // (mostly on one core) hides it (10 M: ~0.35 s).
        let carriedFromBase = recomputed.flatMap { years in
            base.map { CarriedSales(from: $0.url, exceptYears: years) }
        }
        let startedCopy: SnapshotStore.StartedCopy?
        if let carriedFromBase {
            startedCopy = try store.startCopy(of: carriedFromBase.from, readAhead: readAhead)
        } else {
            startedCopy = nil
            _ = readAhead?.wait()
        }
        readAhead = nil
        defer { startedCopy?.discard() }
        // The ledger kept for the next run while the copy and the lookups go on on other threads.
        // After them, so a run that failed opening the latest snapshot or starting its copy keeps
        // no ledger (the next run only loses time); killed meanwhile, the copy is a temporary the
        // next run removes.
        // (Partitioned: the groups are counted as Compute takes them.)
        var ledgerSize =
            partitionedCurrent.map { LedgerSize(transactionKeys: $0.keys, transactionGroups: 0) } ?? ledger.size
        keepLedger(
            partitioned ? nil : ledger, in: stateFile, archives: acceptedArchives, resumed: resumed)
        logger.debug(
            "Revisions applied",
            metadata: [
                "seconds": "\(ledgerSeconds)", "transaction_keys": "\(ledgerSize.transactionKeys)",
                "transaction_groups": "\(ledgerSize.transactionGroups)",
                "resent_unchanged": "\(partitionedCurrent?.resentUnchangedCount ?? ledger.transactionsResentUnchanged)",
            ])

        let computeStart = Timestamp.now()
        Self.countSuperseded(in: ledger, archives: acceptedArchives, into: &report)
        let methodology = Methodology(config: config)
        var content = SnapshotContent()
        (content.enterprises, content.grdp) = Self.currentRecords(
            in: ledger, methodology: methodology, years: recomputed)
        // Partitioned, a full run computes a year at a time: each year's groups from the current
        // rows, then its Compute, then its sales rows written and hashed part by part before the
        // next year's are computed (`SalesByYear`): inserted, or, when the latest file's digests
        // say its rows are this build's, brought to the computed ones in a copy of that file. So
        // does a night or `run --year` of several years, in a copy of the latest file; one of a
        // single year takes its groups at once (from the groups kept, on a night that may).
        let comparedDigests = latestRun?.sales.flatMap { $0.build == build ? $0 : nil }
        var salesByYear: SalesByYear?
        // By year: the sales rows' carried file, and their digests, as each year's were taken.
        var carriedByYear: CarriedSales?
        var yearDigests: SalesDigestsByYear?
        // A night's groups of the sales keys it touched as they were before (`KeptGroupChanges`),
        // with what making the latest file's rows of those keys from them takes.
        var keptGroupsBefore:
            (
                before: KeptGroupChanges.Before, enterprises: [EnterpriseRow], path: String, years: Set<Int>,
                totals: OnAnotherThread<SalesRowsUpdate.Totals?>
            )?
        // Its totals' reading not left going when they are not handed to the publish (a failure,
        // a stop, a Compute that named no rows).
        defer { _ = keptGroupsBefore?.totals.wait() }
        // Those totals, when their reading began before the groups were taken and went unused.
        var totalsReadAhead: OnAnotherThread<SalesRowsUpdate.Totals?>?
        defer { _ = totalsReadAhead?.wait() }
        var computeSeconds = 0.0
        var computedByYear = SnapshotContent()
        var computed = ComputeOutput(indicators: [], districtIndicators: [], ecommerceSales: [])
        // One year of a partitioned full run: the members of earlier years only let go, that
        // year's groups from the current rows, its Compute (its sales rows to `emit` when given).
        func computeYear(
            _ year: Int, of current: PartitionedRevisions.CurrentRows,
            salesRowsTo emit: (([EcommerceSalesRow]) throws -> Void)? = nil
        ) throws -> ComputeOutput {
            revisions.releaseMembers(before: year, current)
            // The year before's groups and rows are freed by now: their pages back to the system,
            // not kept in the allocator's arenas for this year's to reuse in part.
            MemoryRelease.returnFreedMemory()
            var input = ComputeInput(
                enterprises: content.enterprises.filter { $0.year == year }, transactions: [],
                grdp: content.grdp.filter { $0.year == year })
            // In one part: the last year's Compute, its rows emitted beside its groups, is a full
            // run's peak, and with the groups taken in two parts it stood 7–8 MB higher (10 M:
            // 198–199 MiB against 190); nights and `run --year` take theirs in two.
            input.groupTable = try revisions.groups(current, keepingYears: [year], parts: 1)
            ledgerSize.transactionGroups += input.groupTable!.groups.count
            // The last year's groups kept for the next run: nightly returns mostly touch it.
            // Here, not beside its Compute: that is a full run's peak, and the texts and index made
            // for the file would stand on it (10 M: 206 MiB against 190).
            if year == current.years.last, let table = input.groupTable {
                groupsKeeping.keep(years: [year], besideCompute: false) {
                    PartitionedRevisions.keptGroups(years: [year], table: table)
                }
            }
            return try IndicatorCalculator.compute(input, methodology: methodology, salesRowsTo: emit)
        }
        // `years` of a partitioned run a year at a time; with `carrying`, the latest file's rows of
        // those years, in a copy of it, brought to the computed ones.
        func byYear(_ years: [Int], of current: PartitionedRevisions.CurrentRows, carrying: CarriedSales?) {
            logger.debug(
                carrying == nil
                    ? "Sales rows computed, inserted and hashed a year at a time"
                    : "Sales rows computed, compared with the latest snapshot's and hashed a year at a time",
                metadata: ["years": "\(Self.yearList(Set(years)))"])
            carriedByYear = carrying
            // Each year's digest as its rows are hashed.
            let digests = SalesDigestsByYear(build: build)
            yearDigests = digests
            salesByYear = SalesByYear(
                years: years, expectedRows: current.keys,
                compute: { year, emit in
                    let start = Timestamp.now()
                    var emitSeconds = 0.0
                    defer { computeSeconds += Timestamp.now().seconds(since: start) - emitSeconds }
                    let output = try computeYear(year, of: current) { rows in
                        // The insert and hash of each part are the publish's time, not Compute's.
                        let emitStart = Timestamp.now()
                        defer { emitSeconds += Timestamp.now().seconds(since: emitStart) }
                        try emit(rows)
                    }
                    var computed = SnapshotContent()
                    computed.indicators = output.indicators
                    computed.districtIndicators = output.districtIndicators
                    computedByYear.indicators += output.indicators
                    computedByYear.districtIndicators += output.districtIndicators
                    return computed
                },
                digests: digests, earlierMonths: options.force ? nil : comparedDigests?.everyMonth,
                yearSettings: { [scope] figureYears in
                    scope.yearSettings(of: figureYears, recomputed: options.years, config: config)
                })
        }
        // `run --year`'s years that gave no figures, said (`computed`: the years that did).
        func warnOfRequestedYearsWithNoData(computed: Set<Int>) {
            for year in (recomputed ?? []).sorted() where !computed.contains(year) {
                let had = previous?.indicators.contains { $0.year == year } ?? false
                logger.warning(
                    had ? "Requested year has no data any more: its rows are dropped" : "Requested year has no data",
                    metadata: ["year": "\(year)"])
            }
        }
        // (`recomputed` is nil only for a full run: `--year` and a night's touched years set it.)
        if let current = partitionedCurrent, recomputed == nil {
            let years = Set(current.years).union(content.enterprises.map(\.year)).union(content.grdp.map(\.year))
            ledger = RevisionLedger()
            if !options.force, let base, let earlier = comparedDigests {
                // Every year of the latest file is written: those computed, and any it holds that
                // are gone now (emptied), as its digests or, should they miss one, the file say.
                let held = try base.salesYears()
                byYear(
                    years.sorted(), of: current,
                    carrying: CarriedSales(from: base.url, exceptYears: years.union(earlier.years.keys).union(held)))
            } else {
                byYear(years.sorted(), of: current, carrying: nil)
            }
        } else if let current = partitionedCurrent, let recomputed, recomputed.count > 1 {
            // Several years at once held their groups, Compute's sums and their sales rows together
            // (10 M and a return also revising last year's orders: 276 MiB; three years 359 MiB).
            revisions.releaseMembers(notHolding: recomputed, current)
            ledger = RevisionLedger()
            byYear(recomputed.sorted(), of: current, carrying: carriedFromBase)
        } else {
            computed = try {
                var input = ComputeInput(enterprises: content.enterprises, transactions: [], grdp: content.grdp)
                let groups =
                    try partitionedCurrent.map { current throws(ArithmeticOverflow) in
                        if let recomputed { revisions.releaseMembers(notHolding: recomputed, current) }
                        let start = Timestamp.now()
                        var kept = resumedToken.flatMap { token in groupsKeeping.file?.read(token: token) }
                        // (`recomputed` is set: a full run computes a year at a time, above.)
                        let years = recomputed ?? Set(current.years)
                        // Whether the latest file's rows of these years were made from these kept
                        // groups with these records (its run kept them with this state's token), and
                        // the publish starts from a copy of it: the diff is then of the touched keys'
                        // rows, made from the groups as they were (below).
                        let diffsByKeptGroups =
                            kept != nil && startedCopy != nil && touchedKeys == nil
                            && carriedFromBase?.exceptYears == years
                            && resumedToken.map { token in
                                latestRun?.keptGroups?.holds(token: token, years: years, enterprises: input.enterprises)
                                    == true
                            } == true
                        // That file's totals of the years, for the diff's check: a scan of the file
                        // (at 10 M, ~0.15 s of one core), on the other core while the groups are
                        // taken on this one, which leaves it idle; beside Compute, it took from
                        // Compute's two threads.
                        if diffsByKeptGroups, let path = base?.url.path {
                            totalsReadAhead = OnAnotherThread {
                                try? SalesRowsUpdate.FileRows.yearTotals(years, file: path)
                            }
                        }
                        // A night that changed no group (its orders all sent again as they were):
                        // the groups kept are those of this key pass's state too, kept again with
                        // its token (else the next night would group every row of its year).
                        if years.isEmpty, let unchanged = kept {
                            groupsKeeping.keep(years: unchanged.years, besideCompute: false) { unchanged }
                        }
                        var changes: KeptGroupChanges?
                        let groups = try revisions.takeGroups(
                            current, keepingYears: recomputed, updating: &kept, changes: &changes)
                        ledgerSize.transactionGroups = groups.groups.count
                        logger.debug(
                            "Transaction groups taken",
                            metadata: [
                                "years": "\(recomputed.map(Self.yearList) ?? "all")",
                                "groups": "\(groups.groups.count)",
                                "updated_from_kept": "\(kept != nil)",
                                "emptied": "\(changes?.emptied ?? 0)",
                                "seconds": "\(Timestamp.now().seconds(since: start))",
                            ])
                        if let updated = kept {
                            // Written beside the pick and Compute's sums: the arrays are those
                            // they read.
                            groupsKeeping.keep(years: years, besideCompute: true) { updated }
                        } else {
                            // Their texts and index are made for the file before Compute: beside
                            // it they stood on the run's peak (10 M, `run --year 2024` when it kept
                            // them: 199 MiB against 187).
                            groupsKeeping.keep(years: years, besideCompute: false) {
                                PartitionedRevisions.keptGroups(years: years, table: groups)
                            }
                        }
                        // The latest file's rows of the keys the update touched, made from the
                        // groups as they were (`diffsByKeptGroups`): the groups of those keys
                        // picked here, Compute told to name the rows they go into, and the file's
                        // rows made for the publish's diff (after Compute, whose peak they would
                        // add to).
                        if diffsByKeptGroups, let changes, let updated = kept, let base, let totals = totalsReadAhead {
                            totalsReadAhead = nil
                            let pickStart = Timestamp.now()
                            let (before, flags) = changes.pick(
                                updated: groups, find: PartitionedRevisions.finder(of: updated))
                            input.flaggedGroups = flags
                            keptGroupsBefore = (before, input.enterprises, base.url.path, years, totals)
                            logger.debug(
                                "Groups of the touched sales keys picked",
                                metadata: [
                                    "groups_before": "\(before.groups.count)",
                                    "seconds": "\(Timestamp.now().seconds(since: pickStart))",
                                ])
                        }
                        return groups
                    } ?? ledger.takeTransactionGroups(keepingYears: onlyTouched)
                input.groupTable = groups
                ledger = RevisionLedger()
                MemoryRelease.returnFreedMemory()
                // The kept groups' write (their texts and index, at 10 M ~18 MB beside the groups
                // Compute shares) is waited for before the sales rows: usually over by then, but
                // when it is not, it stands on the run's peak (heaptrack caught it there; 10 M
                // nights under load held 193–214 MiB, 176–182 once it was waited for).
                return try IndicatorCalculator.compute(
                    input, methodology: methodology, beforeSalesRows: { groupsKeeping.finish() })
            }()
        }
        content.indicators = computed.indicators
        content.districtIndicators = computed.districtIndicators
        // Moved, not shared: the snapshot lets go of the rows once written (see below).
        swap(&content.ecommerceSales, &computed.ecommerceSales)
        describeInputs(report.ingest!, into: &content)
        // The quarantined rows are the snapshot's now; the report keeps each member's first and the
        // counts, as its file does, instead of every row twice until the run ends (10 M
        // transactions, 1 % quarantined: ~100,000 rows and their raw lines, at the publish's peak).
        report.ingest!.summarizeQuarantine(keepingFirst: RunReport.firstQuarantinedLimit)
        ingest = report.ingest!
        MemoryRelease.returnFreedMemory()
        report.stages["compute"] = Timestamp.now().seconds(since: computeStart) + ledgerSeconds
        try RunStop.check()

        let snapshotStart = Timestamp.now()
        var carried: CarriedSales?
        let latestMarks = latestRun.flatMap { run in
            run.contentMarks.flatMap { $0.isSealed(for: run.contentSHA256) ? $0 : nil }
        }
        var resume: ContentHash.Resume?
        if let years = recomputed {
            carried = carriedFromBase
            carried?.changedOnlyUnder = touchedKeys
            if carried != nil, let latestMarks {
                // From the first recomputed year; with none, every row is the latest file's and the
                // hash goes on from the end of its rows.
                resume = ContentHash.Resume(fromYear: years.min() ?? Int.max, marks: latestMarks)
            }
            if options.years != nil {
                report.recomputedYears = years.sorted()
                // (By year, known once the publish computed them.)
                if salesByYear == nil { warnOfRequestedYearsWithNoData(computed: Set(content.indicators.map(\.year))) }
            } else if let base {
                logYearsCopied(
                    from: base, isLatest: scope.baseIsLatest, written: years,
                    why: "only these years are touched by the returns read since")
            }
            content = Self.carryOver(content, recomputing: years, from: previous)
            if options.years != nil {
                // Kept as they were (CONTRACT §7), targets and all: said when the config's targets
                // now give those years others, which the exports' trajectory will show.
                let kept = content.indicators.filter { !years.contains($0.year) }
                report.yearsKept = kept.map(\.year).sorted()
                report.targetsNotRecomputed = IndicatorCalculator.rowsWithOtherTargets(kept, methodology: methodology)
                if !report.targetsNotRecomputed.isEmpty {
                    logger.warning(
                        "Years kept by --year have targets other than the config's now: their rows keep their target",
                        metadata: [
                            "years": "\(report.targetsNotRecomputed.map(\.description).joined(separator: ", "))"
                        ])
                }
                // Their figures too were computed with the settings each was computed with before:
                // said when those differ from the config's now (methodology, fx, reading settings),
                // which the next full run applies to every year (audit 33, F2: a ratio edit, then
                // `run --year 2024`, mixed two methodologies without a word; review 33, H1: a second
                // `run --year` said nothing more, the first having published).
                let other = kept.map(\.year).filter { scope.settingsDiffer(ofYear: $0, from: config) ?? false }.sorted()
                report.keptYearsOtherSettings = other
                if !other.isEmpty {
                    logger.warning(
                        "Years kept by --year were computed with other settings than the config's now: their figures are kept as they were",
                        metadata: ["years": "\(other.map(String.init).joined(separator: ", "))"])
                }
            }
        }
        // A full run's sales rows by year (`SalesDigests`): the years that did not change since the
        // run that wrote the latest snapshot are copied from that file, not inserted again. Not with
        // --force, which writes every row. When there is nothing to compare with, the digests (kept
        // for the next run) are computed while the snapshot is written.
        var salesDigests: SalesDigests?
        var pendingDigests: OnAnotherThread<SalesDigests?>?
        // Opened when the publish's content hash is done, or the publish over.
        var digestsAfterHash: Gate?
        defer { digestsAfterHash?.open() }
        // The digests again, every month hashed, should the publish not diff the rows the kept
        // groups made (see below).
        var digestsHashingEveryMonth: (() -> SalesDigests?)?
        if salesByYear != nil {
            // Taken as each year's rows are written (below, after the publish).
            carried = carriedByYear
        } else if let years = onlyTouched, let earlier = latestRun?.sales {
            // For the next run: the recomputed years' digests, and the latest's for the others (the
            // same rows, carried).
            let rows = content.ecommerceSales
            if let year = resume?.fromYear, let first = keptGroupsBefore?.before.firstMonth, first.year == year {
                // The latest file's rows of the year were made from the kept groups the night
                // updated (`diffsByKeptGroups`), with these records: a month none of whose sales keys
                // the night touched has that file's rows. The content hash goes on from the first
                // touched month, and the digests (~0.1 s of CPU at 10 M) are made for the next run
                // once that hash is done, on the core it leaves while the copy's rows are updated
                // and the file synced: before the publish, they stood in its way on both cores.
                resume?.fromMonth = first.month
                resume?.fromMonthByKeptGroups = true
                #if DEBUG
                    // Never later than the first month whose digest changed.
                    if earlier.build == build, earlier.everyMonth != nil,
                        let changed = SalesDigests(build: build, rows: rows)?.firstChangedMonth(
                            of: year, since: earlier)
                    {
                        precondition(first.month <= changed, "touched from \(first), a digest changed at \(changed)")
                    }
                #endif
                // The months before the first touched one have the latest file's rows, so the
                // digests it was published with (a Q4 night's January to September: ~0.075 s of
                // CPU at 10 M, at the night's end).
                // That holds when the publish diffs the rows the kept groups made, as the content
                // hash's resume at that month does (`SnapshotStore`'s `monthHolds`): when it does
                // not (a miss, which is a grdp bug, or rows that could not be made), every row of
                // the year was compared and written, and the months are hashed from the rows.
                let firstKey = SalesDigests.monthKey(year: first.year, month: first.month)
                let known = earlier.build == build ? (earlier.months ?? [:]).filter { $0.key < firstKey } : [:]
                let taken = known.keys.filter { SalesDigests.year(ofMonthKey: $0) == first.year }.count
                if taken > 0 {
                    let month = (first.month < 10 ? "0" : "") + String(first.month)
                    logger.debug(
                        "Month digests before the first touched month taken from the last run's record",
                        metadata: ["months": "\(taken)", "first": "\(first.year)-\(month)"])
                }
                @Sendable func digests(known: [Int: String], inParallel: Bool) -> SalesDigests? {
                    SalesDigests(build: build, rows: rows, inParallel: inParallel, known: known).map {
                        $0.adding(earlier, except: years)
                    }
                }
                let hashed = Gate()
                digestsAfterHash = hashed
                pendingDigests = OnAnotherThread {
                    hashed.wait()
                    return digests(known: known, inParallel: false)
                }
                digestsHashingEveryMonth = { digests(known: [:], inParallel: true) }
            } else if let year = resume?.fromYear, earlier.build == build, earlier.everyMonth != nil {
                // Before the publish: the content hash then goes on from the latest's mark at the
                // first month of the first year written whose digest changed, past the months
                // before it, whose rows are that file's (a night's new orders are mostly of the
                // last months; their revisions of any month bring the mark back to it).
                let digests = SalesDigests(build: build, rows: rows)
                salesDigests = digests?.adding(earlier, except: years)
                resume?.fromMonth = digests?.firstChangedMonth(of: year, since: earlier)
            } else {
                // Computed while the snapshot is written.
                pendingDigests = OnAnotherThread {
                    SalesDigests(build: build, rows: rows).map { $0.adding(earlier, except: years) }
                }
            }
        } else if options.years == nil {
            if !options.force, let base, let earlier = latestRun?.sales, earlier.build == build {
                let digestStart = Timestamp.now()
                let digests = SalesDigests(build: build, rows: content.ecommerceSales)
                salesDigests = digests
                logger.debug(
                    "Sales rows digested by year",
                    metadata: ["seconds": "\(Timestamp.now().seconds(since: digestStart))"])
                // Copied when at least one year is unchanged.
                if let digests, let changed = digests.changedYears(since: earlier),
                    changed.count < Set(digests.years.keys).union(earlier.years.keys).count
                {
                    carried = CarriedSales(from: base.url, exceptYears: changed)
                    content.ecommerceSales.removeAll { !changed.contains($0.year) }
                    if let latestMarks {
                        // From the first changed month of the first changed year; with none, every
                        // row is the latest file's and the hash goes on from the end of its rows.
                        let first = changed.min() ?? Int.max
                        resume = ContentHash.Resume(
                            fromYear: first, fromMonth: digests.firstChangedMonth(of: first, since: earlier),
                            marks: latestMarks)
                    }
                    logYearsCopied(from: base, isLatest: scope.baseIsLatest, written: changed)
                }
            } else {
                let rows = content.ecommerceSales
                pendingDigests = OnAnotherThread { SalesDigests(build: build, rows: rows) }
            }
        }
        let draft = SnapshotMetaDraft(
            createdAt: Timestamp.now().iso8601, toolVersion: options.toolVersion, configSHA256: config.sha256,
            parentVersion: scope.latest?.meta.version, command: options.command,
            region: SnapshotMeta.Region(code: config.region.code, name: config.region.name),
            targetInterpolation: config.targets.interpolation,
            yearSettings: scope.yearSettings(
                of: content.indicators.map(\.year), recomputed: options.years, config: config))
        // The sales rows go to the snapshot, which drops them once they are written and hashed (at
        // 1 M, ~70 MiB); the exports need everything else.
        let published = content
        content.ecommerceSales = []
        if let (before, enterprises, path, years, totals) = keptGroupsBefore, let startedCopy,
            let computedRows = computed.flaggedSalesRows
        {
            // Refused (rows already read ahead with the copy): the totals are waited for above.
            let handedOver = startedCopy.handOver { [methodology] in
                let made = try? before.rows(enterprises: enterprises, methodology: methodology)
                // Waited for whatever happened, so that no thread is left reading the file.
                let fileTotals = totals.wait()
                guard let (keys, rows) = made, let totals = fileTotals else { return nil }
                return try? SalesRowsUpdate.FileRows.made(
                    rows, of: SalesRowsUpdate.TouchedKeys(years: years, keys: keys, sortedDistinct: true), file: path,
                    computedRows: computedRows, yearTotals: totals)
            }
            if handedOver { keptGroupsBefore = nil }
        }
        let gate = digestsAfterHash
        let afterHash: (@Sendable () -> Void)? = gate.map { gate in { @Sendable in gate.open() } }
        let (outcome, details) = try store.publishMarking(
            consume published, meta: draft, skipIfHashEquals: options.force ? nil : scope.latest?.meta.contentSHA256,
            carrying: carried, resume: resume, startedCopy: startedCopy, salesByYear: salesByYear,
            afterHash: afterHash)
        digestsAfterHash?.open()
        if let pendingDigests { salesDigests = pendingDigests.wait() }
        if let hashingEveryMonth = digestsHashingEveryMonth {
            if details.salesCompared != .keptGroups {
                salesDigests = hashingEveryMonth()
                logger.debug(
                    "Month digests hashed again, every month: the publish compared the rows another way",
                    metadata: ["compared_with": "\(details.salesCompared.rawValue)"])
            } else {
                #if DEBUG
                    // The months taken from the last record are their rows' (every test night here).
                    precondition(salesDigests == hashingEveryMonth(), "a month's digest taken is not its rows'")
                #endif
            }
        }
        digestsHashingEveryMonth = nil
        if salesByYear != nil {
            salesByYear = nil
            revisions = PartitionedRevisions()
            // The years a night or `run --year` kept beside those computed.
            content.indicators = (content.indicators + computedByYear.indicators).sorted { $0.year < $1.year }
            content.districtIndicators = (content.districtIndicators + computedByYear.districtIndicators).sorted {
                $0.year < $1.year
            }
            if options.years != nil {
                warnOfRequestedYearsWithNoData(computed: Set(computedByYear.indicators.map(\.year)))
            }
            // The digests of the years computed, and a night's of the others (the latest's: the same
            // rows, carried).
            salesDigests = yearDigests?.digests.map { computed in
                onlyTouched.map { computed.adding(comparedDigests, except: $0) } ?? computed
            }
        }
        let contentMarks = details.marks
        logPublished(details, carried: carried, resume: resume, base: base, isLatest: scope.baseIsLatest)
        // (Compute by year ran inside the publish: counted as Compute's.)
        report.stages["snapshot"] = Timestamp.now().seconds(since: snapshotStart) - computeSeconds
        report.stages["compute", default: 0] += computeSeconds
        // A partitioned run that computed no year of transactions keeps its state alone.
        groupsKeeping.keep(years: [], besideCompute: false) { nil }
        groupsKeeping.finish()
        try settleOutcome(outcome, details: details, scope: scope, content: content, store: store, report: &report)
        // The cache keeps the archives these inputs name, as this build and these reading settings read
        // them, no others; an excluded one included: an exclusion taken back reads it from the cache.
        let named = Set(
            zip(
                inputs.scan.archives.map(\.relativePath) + inputs.scan.excluded,
                inputs.archiveDigests + inputs.excludedDigests
            ).compactMap { path, digest in digest.map { archiveCache.fileName(relativePath: path, digest: $0) } })
        report.cacheEntriesRemoved = archiveCache.prune(keeping: named)

        // A full run's snapshot is what these inputs give: the next run over the same inputs can
        // say so without reading them. (`run --year` keeps other years from an older snapshot.)
        if options.years == nil, let fingerprint {
            cacheWrite = remember(
                report, fingerprint: fingerprint, ledger: ledgerSize, sales: salesDigests, marks: contentMarks,
                keptGroups: groupsKeeping.kept, enterprises: content.enterprises,
                figureYears: content.indicators.map(\.year), figuresSHA256: figuresSHA256)
        }
    }
}
