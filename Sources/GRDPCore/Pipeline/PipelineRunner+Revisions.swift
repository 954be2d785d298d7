internal import Foundation
internal import Logging

/// The run's revisions steps (CONTRACT §4.4): the ledger applied and kept, the key pass by
/// partition, the current records, the years the new returns touched.
extension PipelineRunner {
    /// A rejected run's report still counts the accepted archives' superseded rows, as `validate`
    /// counts them for the same returns (CONTRACT §8: the same JSON); nothing of the rejected
    /// archive counts. Partitioned, the keys are taken first from `revisions`, as validate takes
    /// them. Not from a ledger resumed from the cache that holds a rejected archive (its revisions
    /// are in it): those are left uncounted, as they were. Not counted, the run is still rejected.
    func countSupersededOfRejected(
        _ ingest: IngestResult, ledger: inout RevisionLedger, partitioned: Bool, revisions: inout PartitionedRevisions,
        resumed: LedgerStateFile.Resumed?, accepted: [Int: ArchiveIdentity], report: inout RunReport
    ) {
        let rejected = Set(ingest.archives.filter { $0.status == .rejected }.map(ArchiveIdentity.init))
        let heldRejected = resumed.map { !rejected.isDisjoint(with: $0.archives.keys) } ?? false
        do {
            if partitioned {
                let current = try currentRows(of: &revisions, spillFolder: config.cacheFolder)
                ledger.takeTransactionMembers(revisions.transactionMembers(current))
            }
            if !heldRejected { Self.countSuperseded(in: ledger, archives: accepted, into: &report) }
        } catch {
            logger.warning("Superseded rows not counted in the report", metadata: ["error": "\(error)"])
        }
    }

    /// The years that the returns read since the last full run touch, when a full run may compute
    /// only those: nil when it must compute every year.
    ///
    /// A year's figures depend on that year's records only (CONTRACT §5), so when the latest
    /// snapshot was computed from archives that are all still here, unchanged, with this build and
    /// config, every year that no other archive touches — no record of that year, no transaction
    /// of that year replaced or superseded — has exactly the latest snapshot's figures and rows;
    /// the ledger marked the others while it took the other archives
    /// (`RevisionLedger.touchedYears`). The untouched years' rows are then carried from the latest
    /// snapshot as under `run --year`, and only the touched years are computed, instead of every
    /// year of the ledger's groups.
    ///
    /// - Parameter transactionYears: with partitioned revisions, what gives the years the new
    ///   archives' transactions touch (`PartitionedRevisions.touchedYears`: the ledger then holds
    ///   none), nil when they cannot be told.
    func touchedYears(
        ledger: RevisionLedger, transactionYears: (() -> Set<Int>?)? = nil, ingest: IngestResult,
        earlierArchives: Set<ArchiveIdentity>?, latestRun: RunCache?, build: String, figuresSHA256: String
    ) -> Set<Int>? {
        // `latestRun` describes the snapshot the run builds on (nil without one: `RunScope.base`,
        // the latest or the last full run's), whose figures came from these settings (its
        // `config_sha256` is the file's, which a comment alone changes).
        guard let earlierArchives, latestRun?.sales?.build == build,
            latestRun?.figuresSHA256 == figuresSHA256, var touched = ledger.touchedYears
        else { return nil }
        if let transactionYears {
            guard let years = transactionYears() else { return nil }
            touched.formUnion(years)
        }
        // The latest snapshot's archives (`earlierArchives` are `latestRun`'s), all still read and
        // accepted with the same bytes.
        return earlierArchives.isSubset(of: ArchiveIdentity.accepted(in: ingest)) ? touched : nil
    }

    /// The ledger's current enterprise and GRDP records as the snapshot's rows, in key order; only
    /// those of `years` when given. A year's figures depend on that year's records only (CONTRACT
    /// §5: sellers are matched within the year), so `run --year` and a night compute those years
    /// alone; the others come from the latest snapshot.
    static func currentRecords(
        in ledger: RevisionLedger, methodology: Methodology, years: Set<Int>?
    ) -> (enterprises: [EnterpriseRow], grdp: [GRDPRow]) {
        // Only `years`' records are made into rows and sorted: a night keeps one year's of every
        // year's (at 10 M transactions ~5,000 of ~20,000, each with its texts).
        let isKept = { (year: Int) in years?.contains(year) ?? true }
        var enterprises: [EnterpriseRow] = []
        for (record, location, _) in ledger.enterprises.values where isKept(record.year) {
            enterprises.append(
                EnterpriseRow(
                    taxCode: record.taxCode, year: record.year, name: record.name, vsic: record.vsic,
                    section: String(record.section), districtCode: record.districtCode,
                    valueAddedMVND: record.valueAddedMVND, isCore: methodology.isCore(vsic: record.vsic),
                    source: location))
        }
        // Their order found by index, then each row moved once: sorting the rows themselves took
        // ~0.07 s of one core at 1 M transactions while the other waited (`perf` of the release
        // build: the merges copied rows, retaining and releasing their texts).
        enterprises = enterprises.withUnsafeBufferPointer { rows in
            rows.indices.sorted { EnterpriseRow.precedes(rows[$0], rows[$1]) }.map { rows[$0] }
        }
        var grdp = ledger.grdp.values.compactMap { record, location, _ in
            isKept(record.year) ? GRDPRow(year: record.year, grdpBVND: record.grdpBVND, source: location) : nil
        }
        grdp.sort { $0.year < $1.year }
        return (enterprises, grdp)
    }

    /// The revision ledger kept for the next run in `stateFile`, when large enough for reading it
    /// back to pay; none (nil) when the revisions were partitioned: one kept by an earlier run
    /// holds what that run read, not these archives. Failing, only time is lost: the file is
    /// removed, and the next run applies every archive's transactions.
    func keepLedger(
        _ ledger: RevisionLedger?, in stateFile: LedgerStateFile, archives: [Int: ArchiveIdentity],
        resumed: LedgerStateFile.Resumed?
    ) {
        let start = Timestamp.now()
        do {
            guard let ledger else { return stateFile.remove() }
            if let kept = try stateFile.keep(ledger, archives: archives, resumed: resumed) {
                logger.debug(
                    "Revision ledger kept for the next run",
                    metadata: [
                        "as": "\(kept.form)", "bytes": "\(kept.bytes)",
                        "seconds": "\(Timestamp.now().seconds(since: start))",
                    ])
            }
        } catch {
            stateFile.remove()
            logger.warning("Revision ledger not kept for the next run", metadata: ["error": "\(error)"])
        }
    }

    /// The transactions' revisions taken by key partition, after the ingest: which rows are
    /// current (`PartitionedRevisions.currentRows`), from what the last key pass kept when it still
    /// holds, so that only the archives new since the last full run are taken again. A run that is
    /// not `--year` keeps this pass's state for the next, and binds to it the groups it will keep
    /// (`groupsKeeping`). The ledger takes the transaction members' counts. Returns the current
    /// rows and, when they went on from the kept state, its token: the kept groups a night may
    /// update are those written with it.
    func takeRevisionsByKeyPartition(
        _ revisions: inout PartitionedRevisions, into ledger: inout RevisionLedger,
        accepted acceptedArchives: [Int: ArchiveIdentity], earlier earlierArchives: Set<ArchiveIdentity>?,
        options: RunOptions, build: String, figuresSHA256: String, groupsKeeping: KeptGroupsKeeping
    ) throws -> (current: PartitionedRevisions.CurrentRows, resumedToken: String?) {
        let start = Timestamp.now()
        // The archives new since the last full run, whose touched years it may recompute alone.
        let newArchives = earlierArchives.map { earlier in
            Set(acceptedArchives.filter { !earlier.contains($0.value) }.keys)
        }
        // What the last key pass found, for a run that is not to read everything again.
        let keptRows = CurrentRowsFile(cacheFolder: config.cacheFolder, build: build, figuresSHA256: figuresSHA256)
        let kept = options.force ? nil : keptRows.read()
        let current = try currentRows(
            of: &revisions, spillFolder: config.cacheFolder, newArchives: newArchives, kept: kept?.state)
        let groupsFile = KeptGroupsFile(cacheFolder: config.cacheFolder, build: build, figuresSHA256: figuresSHA256)
        // Not by `run --year`: the next night counts the archives it read as new (they are not
        // in `last-run.json`), so it resumes from the state and groups before it, which still
        // hold for those archives.
        if options.years == nil {
            do {
                let token = UUID().uuidString
                try keptRows.write(revisions.kept(current), token: token)
                groupsKeeping.bind(to: groupsFile, token: token)
            } catch {
                // Only time is lost: the next run takes every key again.
                keptRows.remove()
                groupsFile.remove()
                logger.warning(
                    "The current rows could not be kept for the next run",
                    metadata: ["file": "\(keptRows.url.path)", "error": "\(error)"])
            }
        }
        ledger.takeTransactionMembers(revisions.transactionMembers(current))
        var metadata: Logger.Metadata = [
            "seconds": "\(Timestamp.now().seconds(since: start))", "transaction_keys": "\(current.keys)",
            "spilled": "\(current.spilled)", "from_kept": "\(current.fromKept)",
        ]
        if let lookedUp = current.keptRowsLookedUp { metadata["kept_rows_looked_up"] = "\(lookedUp)" }
        logger.debug("Revisions taken by key partition", metadata: metadata)
        return (current, current.fromKept ? kept?.token : nil)
    }

    /// The key pass of `revisions` (`PartitionedRevisions.currentRows`), in as many partitions as
    /// `GRDP_LEDGER_PARTITIONS` says (else by their number), spilled to `spillFolder`; a warning
    /// when the partition files could not be written there and the keys were taken in memory.
    func currentRows(
        of revisions: inout PartitionedRevisions, spillFolder: URL, newArchives: Set<Int>? = nil,
        kept: CurrentRowsState? = nil
    ) throws -> PartitionedRevisions.CurrentRows {
        let current = try revisions.currentRows(
            spillFolder: spillFolder, partitions: PartitionedRevisions.chosenPartitions, newArchives: newArchives,
            kept: kept)
        if let failure = current.spillFailure {
            logger.warning(
                "Revision keys taken in memory: their partition files could not be written",
                metadata: ["error": "\(failure)"])
        }
        return current
    }

    /// Applies an accepted archive's members to `ledger` in member path order (CONTRACT §4.4), not
    /// the order the archive stores them in, and lets go of their rows.
    ///
    /// - Parameter scanned: the archive's index among the scanned archives (`MemberRef.archive`).
    static func apply(
        _ archive: inout ArchiveOutcome, scanned: Int, to ledger: inout RevisionLedger, markingYears: Bool = false,
        transactionsKept: Bool = false
    ) throws(ArithmeticOverflow) {
        let order = archive.members.indices.sorted {
            bytewiseLess(archive.members[$0].path, archive.members[$1].path)
        }
        for memberIndex in order {
            try ledger.apply(
                archive.members[memberIndex], archivePath: archive.relativePath,
                ref: .init(archive: scanned, member: memberIndex), markingYears: markingYears,
                transactionsKept: transactionsKept)
            archive.members[memberIndex].accepted = []
            archive.members[memberIndex].transactions = TransactionBatch()
        }
    }

    /// Each member's superseded rows, as the ledger counted them, into the report's ingest.
    ///
    /// - Parameter archives: the accepted archives, by their index among the scanned ones.
    static func countSuperseded(
        in ledger: RevisionLedger, archives: [Int: ArchiveIdentity], into report: inout RunReport
    ) {
        var reportIndex: [String: Int] = [:]
        for (index, archive) in report.ingest!.archives.enumerated() { reportIndex[archive.relativePath] = index }
        for (ref, count) in ledger.superseded {
            // (Only accepted archives are in the report's counts.)
            guard let identity = archives[ref.archive], let archive = reportIndex[identity.relativePath] else {
                continue
            }
            report.ingest!.archives[archive].members[ref.member].rowsSuperseded = count
        }
    }
}
