import Foundation
import Logging

/// One archive as the run saw it.
public struct ArchiveOutcome: Sendable, Codable {
    public enum Status: String, Sendable, Codable {
        case accepted
        case rejected
        case excluded
    }

    public var relativePath: String
    public var sha256: String
    public var bytes: Int64
    public var status: Status
    /// Seconds spent normalizing this archive's members.
    public var normalizeSeconds = 0.0
    /// Taken from `ArchiveCache` instead of being read again.
    public var fromCache = false
    public var rejection: ArchiveRejection?
    /// Data members, in the order the archive stores them.
    public var members: [MemberResult]
    public var skipped: [SkippedMember]
}

/// The unpack and normalize stages over every archive of `inputs.returns`.
public struct IngestResult: Sendable, Codable {
    public var archives: [ArchiveOutcome]
    public var ignoredFiles: [String]
    /// Entries of `inputs.exclude` that named no file (nil: none, or a record of an earlier build).
    public var unmatchedExcludes: [String]? = nil
    public var unpackSeconds: Double
    public var normalizeSeconds: Double

    public var isRejected: Bool { archives.contains { $0.status == .rejected } }

    /// Each member with only its first `limit` quarantined rows and the counts of all of them
    /// (`MemberResult.summarized`): what a report and the run cache keep.
    mutating func summarizeQuarantine(keepingFirst limit: Int) {
        for archive in archives.indices {
            archives[archive].members = archives[archive].members.map { $0.summarized(keepingFirst: limit) }
        }
    }
}

/// Progress of a long run, for a terminal progress bar.
public struct ProgressEvent: Sendable {
    public var archiveIndex: Int
    public var archiveCount: Int
    public var archivePath: String
    public var bytesDone: Int64
    public var bytesTotal: Int64
    public var rows: Int
}

public enum Ingest {
    /// Threads that read archives at once: one per core, at most 4. `GRDP_THREADS` overrides it
    /// (1 reads archive after archive, as before).
    public static var defaultThreads: Int {
        if let text = ProcessInfo.processInfo.environment["GRDP_THREADS"], let n = Int(text), n >= 1 { return n }
        return min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// The first few of `names`, then how many more: for a line of a message, not the list.
    static func someNames(_ names: [String], shown: Int = 3) -> String {
        names.prefix(shown).joined(separator: ", ") + (names.count > shown ? " and \(names.count - shown) more" : "")
    }

    /// Lists `inputs.returns` and hashes every archive (on `threads` threads): what a run reads,
    /// and what decides whether it needs to (`ScannedInputs.fingerprint`).
    ///
    /// - Parameter memo: the digests remembered from earlier runs (`ArchiveDigestMemo`): a file
    ///   they hold as it is now is not hashed again, unless `trustingMemo` is false (`--force`).
    ///   Without one, every file is hashed and no memo is made.
    static func scan(
        config: PipelineConfig, threads: Int = Ingest.defaultThreads, memo: ArchiveDigestMemo? = nil,
        trustingMemo: Bool = true
    ) throws -> ScannedInputs {
        let start = Timestamp.now()
        let scan = try ReturnsScanner.scan(folder: config.inputs.returnsFolder, exclude: config.inputs.exclude)
        // A returns folder with no archive at all is far more often an unmounted share or a wrong
        // path than a province with no returns: publishing an empty snapshot would replace every
        // figure with nothing. Refuse (exit 66); excluding every archive explicitly still works.
        if scan.archives.isEmpty && scan.excluded.isEmpty {
            throw MissingInputError(
                path: config.inputs.returnsFolder.path
                    + " holds no .zip, .tar, .tar.gz, .tgz, .tar.xz, .txz, .tar.bz2, .tbz2 or .csv.gz file"
                    + " (is it mounted?)"
                    + (scan.ignoredFiles.isEmpty
                        ? "" : "; it holds \(scan.ignoredFiles.count) other file(s): \(someNames(scan.ignoredFiles))")
                    + "; no snapshot written",
                what: "Returns")
        }
        // One location per excluded path (a scan made other than by `ReturnsScanner` may lack them).
        let excludedLocations =
            scan.excludedLocations.count == scan.excluded.count
            ? scan.excludedLocations
            : scan.excluded.map { FileLocation(config.inputs.returnsFolder.appendingPathComponent($0)) }
        let locations = scan.archives.map(\.location) + excludedLocations
        var digests: [FileDigest?] = []
        digests.reserveCapacity(locations.count)
        var entries: [ArchiveDigestMemo.Entry] = []
        var remembered = 0
        let queue = OrderedWorkQueue<(digest: FileDigest, entry: ArchiveDigestMemo.Entry?, fromMemo: Bool)?>(
            count: locations.count, window: max(1, threads) * 2)
        queue.run(threads: threads) { index in
            guard let memo else { return try? (FileDigest.sha256(of: locations[index]), nil, false) }
            return try? ArchiveDigestMemo.digest(
                of: locations[index], remembered: memo.entry(for: locations[index]), trusting: trustingMemo)
        } take: { _, result in
            digests.append(result?.digest)
            if let entry = result?.entry { entries.append(entry) }
            if result?.fromMemo == true { remembered += 1 }
        }
        var inputs = ScannedInputs(
            scan: scan, archiveDigests: Array(digests[..<scan.archives.count]),
            excludedDigests: Array(digests[scan.archives.count...]), seconds: Timestamp.now().seconds(since: start))
        if memo != nil {
            inputs.digestMemo = ArchiveDigestMemo(entries)
            inputs.digestsRemembered = remembered
        }
        return inputs
    }

    /// Reads every archive. Never throws for a bad archive: it becomes a rejected `ArchiveOutcome`
    /// naming member and reason; the outcomes come back in revision order.
    ///
    /// Archives are independent until the revision ledger, so `threads` of them are read at once,
    /// the largest first, or a few of them in an order that shares them out more evenly
    /// (`readingOrder`): started in revision order, the largest archive, often the last, was read
    /// alone at the end while the other cores waited. `consume` (on the calling
    /// thread) gets each read archive in that same fixed order, with its index among the scanned
    /// archives (its revision position, which the revision ledger ranks by), and may take its
    /// accepted rows out (the report keeps only the counts). At most `threads + 1` archives to
    /// decompress are in flight, read or waiting for `consume`: one more than the readers, so that a
    /// reader done before the larger archive started ahead of it can go on to the next. Archives
    /// the cache has an entry for are loaded whatever that window holds (`OrderedWorkQueue`'s light
    /// jobs): their rows stay in the entry's mapping.
    ///
    /// With a `cache`, every accepted archive read is kept there, and, when `readCached` is true, an
    /// archive found there is taken from it instead of being decompressed again; without its
    /// transaction rows when it is one of `rowsKept` (the revision ledger kept for the run holds them).
    ///
    /// Each member keeps its first quarantined rows in memory (`RunReport.firstQuarantinedLimit`);
    /// the rest wait in the archive's cache entry as they are read, or, without one, are held in
    /// memory when `keepingEveryQuarantined` (a snapshot will want them) and only counted
    /// otherwise (`validate`).
    static func run(
        config: PipelineConfig, inputs: ScannedInputs? = nil, cache: ArchiveCache? = nil, readCached: Bool = false,
        rowsKept: Set<ArchiveIdentity> = [], keepingEveryQuarantined: Bool = true,
        logger: Logger, progress: (@Sendable (ProgressEvent) -> Void)? = nil, threads: Int = Ingest.defaultThreads,
        consume: ((Int, inout ArchiveOutcome) throws -> Void)? = nil
    ) throws -> IngestResult {
        let inputs = try inputs ?? scan(config: config, threads: threads)
        let scan = inputs.scan
        let classifier = MemberClassifier(kinds: config.inputs.kinds)
        let limits = UnpackLimits(
            maxMemberBytes: config.limits.maxMemberBytes, maxCompressionRatio: config.limits.maxCompressionRatio)
        var outcomes: [ArchiveOutcome] = []
        let totalBytes = inputs.archiveBytes
        var bytesDone: Int64 = 0
        var rows = 0

        for (excluded, digest) in zip(scan.excluded, inputs.excludedDigests) {
            outcomes.append(
                ArchiveOutcome(
                    relativePath: excluded, sha256: digest?.hex ?? "", bytes: digest?.bytes ?? 0, status: .excluded,
                    rejection: nil, members: [], skipped: []))
        }

        let candidates = scan.archives
        let digests = inputs.archiveDigests
        // The archives whose rows the cache need not give (by index), read last.
        let kept = Set(
            candidates.indices.filter { index in
                digests[index].map {
                    rowsKept.contains(ArchiveIdentity(relativePath: candidates[index].relativePath, sha256: $0.hex))
                } ?? false
            })
        // The archives the cache has an entry for (by index; whether it checks out is seen when
        // it is loaded): checked at memory speed, they go after those to decompress.
        let withEntry: Set<Int> =
            if readCached, let cache {
                Set(
                    candidates.indices.filter { index in
                        digests[index].map {
                            cache.hasEntry(relativePath: candidates[index].relativePath, digest: $0)
                        } ?? false
                    })
            } else {
                []
            }
        let cached = withEntry.subtracting(kept)
        let order = readingOrder(
            candidates, cached: cached, last: readCached && cache != nil ? kept : [], threads: threads)
        progress?(
            ProgressEvent(
                archiveIndex: 0, archiveCount: candidates.count,
                archivePath: order.first.map { candidates[$0].relativePath } ?? "",
                bytesDone: 0, bytesTotal: totalBytes, rows: 0))
        // Each archive's outcome, and the seconds its worker spent on it. Those the cache has an
        // entry for go beside the window: a night's new archive, read on one thread, left the
        // other waiting after two entries (10 M: the revisions began ~50 ms later).
        let queue = OrderedWorkQueue<(ArchiveOutcome, Double)>(
            count: candidates.count, window: readingWindow(threads: threads), order: order, light: withEntry)
        var taken = 0
        var unpackSeconds = 0.0
        try queue.run(threads: threads) { index in
            let started = Timestamp.now()
            let candidate = candidates[index]
            // A stop asked (`RunStop`): `take` throws at the next archive; start none meanwhile.
            if RunStop.signal != nil {
                return (
                    ArchiveOutcome(
                        relativePath: candidate.relativePath, sha256: "", bytes: 0, status: .rejected, rejection: nil,
                        members: [], skipped: []), 0
                )
            }
            // From the cache only when its `.sha256` file, if any, matches: one added or changed
            // since the entry was written is checked as if the archive were read, and a mismatch
            // rejects it (below).
            if readCached, let cache, let digest = digests[index], (try? candidate.checkSidecar(digest.hex)) != nil {
                if var cached = cache.load(
                    relativePath: candidate.relativePath, digest: digest, rows: !kept.contains(index))
                {
                    cached.fromCache = true
                    return (cached, Timestamp.now().seconds(since: started))
                }
                // Only time is lost, but an operator may want to know why a night took longer.
                if cache.hasEntry(relativePath: candidate.relativePath, digest: digest) {
                    logger.warning(
                        "Archive cache entry not used (damaged, or not this archive's): the archive is read again",
                        metadata: [
                            "archive": "\(candidate.relativePath)",
                            "entry": "\(cache.fileName(relativePath: candidate.relativePath, digest: digest))",
                        ])
                }
            }
            // The entry is written while the archive is read, its rows as Normalize gives them.
            var entry: ArchiveCache.EntryWriter?
            var entryFailure: OutputWriteError?
            if let cache, let digest = digests[index] {
                do throws(OutputWriteError) {
                    entry = try ArchiveCache.EntryWriter(
                        cache: cache, relativePath: candidate.relativePath, digest: digest)
                } catch {
                    entryFailure = error
                }
            }
            let outcome = read(
                candidate, digest: digests[index], config: config, classifier: classifier, limits: limits,
                entry: entry, keepingEveryQuarantined: keepingEveryQuarantined)
            if outcome.status == .accepted, let error = entryFailure ?? entry?.failure {
                // Only time is lost: the next run reads this archive again.
                logger.warning(
                    "Archive not kept in the cache",
                    metadata: ["archive": "\(candidate.relativePath)", "error": "\(error)"])
            }
            return (outcome, Timestamp.now().seconds(since: started))
        } take: { index, read in
            try RunStop.check()
            var (outcome, seconds) = read
            unpackSeconds += max(0, seconds - outcome.normalizeSeconds)
            let candidate = candidates[index]
            bytesDone += candidate.bytes
            let rowsRead = outcome.members.reduce(0) { $0 + $1.rowsRead }
            rows += rowsRead
            if let rejection = outcome.rejection {
                // No `member` when the archive as a whole is rejected (not an empty one).
                var metadata: Logger.Metadata = [
                    "archive": "\(candidate.relativePath)", "reason": "\(rejection.reason.rawValue)",
                    "detail": "\(rejection.detail)",
                ]
                if let member = rejection.member { metadata["member"] = "\(member)" }
                logger.error("Archive rejected", metadata: metadata)
            } else {
                logger.debug(
                    "Archive read",
                    metadata: [
                        "archive": "\(candidate.relativePath)", "members": "\(outcome.members.count)",
                        "rows": "\(rowsRead)",
                    ])
            }
            try consume?(index, &outcome)
            outcomes.append(outcome)
            taken += 1
            progress?(
                ProgressEvent(
                    archiveIndex: taken, archiveCount: candidates.count,
                    archivePath: taken < order.count ? candidates[order[taken]].relativePath : "",
                    bytesDone: bytesDone, bytesTotal: totalBytes, rows: rows))
        }
        outcomes.sort { bytewiseLess($0.relativePath, $1.relativePath) }
        // Unpack and normalize run interleaved on each archive's stream: normalize is the time
        // spent in Normalize's calls, unpack the rest of the worker's time on the archive (reading,
        // decompressing, the cache), plus the hashing of every archive first (`scan`). Both are
        // thread time summed over archives: on several threads, more than the wall time.
        let normalize = outcomes.reduce(0) { $0 + $1.normalizeSeconds }
        for match in scan.excludedByEquivalence {
            logger.warning(
                "inputs.exclude names this file in another Unicode normalization: excluded, but write the entry as the file is named",
                metadata: ["entry": "\(match.entry)", "file": "\(match.path)"])
        }
        for folder in scan.excludedFolders {
            logger.log(
                level: folder.archives == 0 ? .warning : .info,
                folder.archives == 0
                    ? "inputs.exclude names a folder that holds no archive: nothing is excluded by it"
                    : "inputs.exclude names a folder: every archive below it is excluded",
                metadata: ["entry": "\(folder.entry)", "archives": "\(folder.archives)"])
        }
        for entry in scan.unmatchedExcludes {
            logger.warning(
                "inputs.exclude names no file in the returns folder: nothing is excluded by it",
                metadata: ["entry": "\(entry)", "folder": "\(config.inputs.returnsFolder.path)"])
        }
        return IngestResult(
            archives: outcomes, ignoredFiles: scan.ignoredFiles,
            unmatchedExcludes: scan.unmatchedExcludes.isEmpty ? nil : scan.unmatchedExcludes,
            unpackSeconds: unpackSeconds + inputs.seconds, normalizeSeconds: normalize)
    }

    /// The order archives are read and handed to `consume` in: the largest first (longest
    /// processing time first), revision order among equal sizes; those in `cached` after the
    /// others, and those in `last` after all of them. A fixed order, so that a run's work does not
    /// depend on which thread finished first. Among a few archives to decompress, an order that
    /// shares them out more evenly over `threads` readers replaces the largest-first one
    /// (`balanced`).
    ///
    /// `cached`: the archives whose cache entry is there. Checking an entry costs a fraction of
    /// decompressing and normalizing its archive (at 10 M transactions, a night checks ~385 MB of
    /// entries in ~0.2 s of each core, where the new 100,000-row archive takes ~0.2 s of one): a
    /// night's new archive started after them was read alone at the end while the other core
    /// waited; started first, the entries are checked on the other core meanwhile.
    ///
    /// `last`: the archives whose transaction rows a kept revision ledger holds, which the cache
    /// gives in a few milliseconds whatever their size. The others, to be decompressed, start
    /// first, while the ledger is read back (`PipelineRunner`).
    static func readingOrder(
        _ candidates: [ArchiveCandidate], cached: Set<Int> = [], last: Set<Int> = [], threads: Int = 1
    ) -> [Int] {
        func key(_ index: Int) -> (Int, Int64, Int) {
            (last.contains(index) ? 2 : (cached.contains(index) ? 1 : 0), -candidates[index].bytes, index)
        }
        let order = candidates.indices.sorted { key($0) < key($1) }
        let toDecompress = order.prefix { !cached.contains($0) && !last.contains($0) }
        return balanced(Array(toDecompress), bytes: { candidates[$0].bytes }, threads: threads)
            + order.dropFirst(toDecompress.count)
    }

    /// Archives to decompress, largest first, reordered when another order ends sooner on
    /// `threads` readers as `OrderedWorkQueue` runs them (`Schedule`: each reader takes the next
    /// archive as it becomes free, while fewer than `threads + 1` are started and not yet taken,
    /// and they are taken in the order), with an archive's time taken as its size, and holds no
    /// more bytes in flight at once than largest first does; the first such order (the nearest to
    /// largest first) when several end as soon. Largest first leaves a reader alone at the end
    /// when the archives are few: the 10 M benchmark's five (26, 33, 41, 52 and 66 MB), read
    /// largest first on two, leave one reading 2021's archive alone while the other waits (the
    /// readers end at 99 and 119 MB read); read 2025, 2024, 2022, 2023, 2021, they end at 107 and
    /// 111. Only up to `maxBalanced` archives (every order is tried); beyond, largest first shares
    /// them out well enough.
    static func balanced(_ largestFirst: [Int], bytes: (Int) -> Int64, threads: Int) -> [Int] {
        let count = largestFirst.count
        guard threads >= 2, count > threads, count <= maxBalanced else { return largestFirst }
        let sizes = largestFirst.map(bytes)
        var positions = Array(0..<count)
        var best = positions
        let largestFirstSchedule = Schedule(positions.map { sizes[$0] }, readers: threads)
        var bestEnd = largestFirstSchedule.end
        // Every order, in lexicographic order from largest first (the next permutation each time).
        while let pivot = positions.indices.dropLast().last(where: { positions[$0] < positions[$0 + 1] }) {
            let successor = positions.indices.last { positions[$0] > positions[pivot] }!
            positions.swapAt(pivot, successor)
            positions[(pivot + 1)...].reverse()
            let schedule = Schedule(positions.map { sizes[$0] }, readers: threads)
            if schedule.end < bestEnd, schedule.mostInFlight <= largestFirstSchedule.mostInFlight {
                best = positions
                bestEnd = schedule.end
            }
        }
        return best.map { largestFirst[$0] }
    }

    /// Archives to decompress in flight at once, read or waiting for `consume`: one more than the
    /// readers, so that a reader done before the larger archive started ahead of it can go on to
    /// the next. What `run` gives `OrderedWorkQueue`, and `Schedule` models.
    static func readingWindow(threads: Int) -> Int { max(1, threads) + 1 }

    /// How `OrderedWorkQueue` runs jobs of the given times, in that order, on `readers` threads
    /// with the ingest's window (`readingWindow`: jobs started and not yet taken), taking each as
    /// soon as it and every job before it are done: when the last ends, and the most time (here,
    /// bytes) in flight at once.
    struct Schedule {
        /// When the last job is taken, which is when the last ends (each is taken once it and
        /// those before it are done).
        let end: Int64
        let mostInFlight: Int64

        init(_ times: [Int64], readers: Int) {
            let window = Ingest.readingWindow(threads: readers)
            var free = [Int64](repeating: 0, count: readers)
            var starts: [Int64] = []
            var taken: [Int64] = []
            for (job, time) in times.enumerated() {
                // The reader free first; no sooner than the job before started (jobs start in
                // order), nor before the job `window` places back was taken.
                let reader = free.indices.min { free[$0] < free[$1] }!
                var start = max(free[reader], starts.last ?? 0)
                if job >= window { start = max(start, taken[job - window]) }
                free[reader] = start + time
                starts.append(start)
                taken.append(max(start + time, taken.last ?? 0))
            }
            end = taken.last ?? 0
            // At each start, the jobs started by then and not yet taken (one taken at that moment
            // has freed its place).
            mostInFlight =
                starts.enumerated().map { job, start in
                    (0...job).reduce(Int64(0)) { $0 + (taken[$1] > start ? times[$1] : 0) }
                }.max() ?? 0
        }
    }

    /// Archives to decompress up to which `balanced` tries every order (8! = 40,320: ~10 ms in a
    /// release build).
    static let maxBalanced = 8

    /// Reads one archive; any fault rejects it as a whole.
    ///
    /// `digest` is the archive's SHA-256 and size from `scan`; nil hashes it here. With an `entry`,
    /// the transaction rows are written to that cache entry as they are read, and an accepted
    /// archive's batches read them from its mapping; the entry is complete, in place, and closed
    /// when this returns, or removed (a rejected archive, a write that failed: the rows are then
    /// in memory, as without an entry).
    static func read(
        _ candidate: ArchiveCandidate, digest known: FileDigest? = nil, config: PipelineConfig,
        classifier: MemberClassifier, limits: UnpackLimits, entry: ArchiveCache.EntryWriter? = nil,
        keepingEveryQuarantined: Bool = true
    ) -> ArchiveOutcome {
        let outcome = readMembers(
            candidate, digest: known, config: config, classifier: classifier, limits: limits, entry: entry,
            keepingEveryQuarantined: keepingEveryQuarantined)
        guard let entry else {
            // Without an entry no row is lost.
            return outcome!
        }
        defer { entry.discard() }
        // Rows that went to the entry alone, which is not kept after all: read again, in memory.
        func readInMemory() -> ArchiveOutcome {
            entry.discard()
            return read(
                candidate, digest: known, config: config, classifier: classifier, limits: limits,
                keepingEveryQuarantined: keepingEveryQuarantined)
        }
        // Whether the members give every quarantined row the snapshot will want.
        func quarantineComplete(_ outcome: ArchiveOutcome) -> Bool {
            !keepingEveryQuarantined || outcome.members.allSatisfy(\.givesEveryQuarantinedRow)
        }
        guard var outcome else {
            // Rows written could not be read back after a write failed, or quarantined rows were in
            // the entry alone.
            return readInMemory()
        }
        guard outcome.status == .accepted else {
            // Nothing of a rejected archive counts, and its rows went with its entry (the report
            // wants its members' first quarantined rows and the counts, which they keep).
            for index in outcome.members.indices {
                outcome.members[index].transactions = TransactionBatch()
                outcome.members[index].quarantineInEntry = nil
            }
            return outcome
        }
        if let file = entry.finish(head: ArchiveCache.head(outcome, identity: entry.identity)) {
            for index in outcome.members.indices { outcome.members[index].transactions.readRowsInPlace(from: file) }
            // The quarantined rows past each member's first wait in the entry for the snapshot,
            // as those of an entry loaded do, once it is in place (a rename that failed leaves
            // it unlinked).
            if entry.failure == nil, let section = entry.quarantineSectionOffset {
                for index in outcome.members.indices {
                    let member = outcome.members[index]
                    guard let summary = member.quarantineSummary, let part = member.quarantineInEntry else { continue }
                    outcome.members[index].cachedQuarantine = CachedQuarantine(
                        path: entry.url.path,
                        range: (section + part.range.lowerBound)..<(section + part.range.upperBound),
                        count: summary.count, checksum: part.checksum, archivePath: outcome.relativePath)
                }
            }
            for index in outcome.members.indices { outcome.members[index].quarantineInEntry = nil }
            return quarantineComplete(outcome) ? outcome : readInMemory()
        }
        guard quarantineComplete(outcome) else { return readInMemory() }
        // Not completed (a full disk): the rows written come back into memory.
        for index in outcome.members.indices where !entry.readBack(into: &outcome.members[index].transactions) {
            return readInMemory()
        }
        for index in outcome.members.indices { outcome.members[index].quarantineInEntry = nil }
        return outcome
    }

    /// `read` but for completing the entry: nil when rows written to it were lost (`RowsLost`).
    private static func readMembers(
        _ candidate: ArchiveCandidate, digest known: FileDigest?, config: PipelineConfig,
        classifier: MemberClassifier, limits: UnpackLimits, entry: ArchiveCache.EntryWriter?,
        keepingEveryQuarantined: Bool
    ) -> ArchiveOutcome? {
        var outcome = ArchiveOutcome(
            relativePath: candidate.relativePath, sha256: "", bytes: candidate.bytes, status: .accepted,
            rejection: nil, members: [], skipped: [])
        var reading: ArchiveIngest?
        do {
            // Hashed and recorded before the sidecar check, so that a mismatch still reports the digest.
            let digest: FileDigest
            do {
                digest = try known ?? FileDigest.sha256(of: candidate.location)
            } catch {
                throw ArchiveRejection.corrupt("cannot read the archive: \(error)")
            }
            outcome.sha256 = digest.hex
            outcome.bytes = digest.bytes
            try candidate.checkSidecar(digest.hex)
            let ingest = ArchiveIngest(
                archivePath: candidate.relativePath, config: config, classifier: classifier, entry: entry,
                keepsEveryQuarantined: keepingEveryQuarantined)
            reading = ingest
            defer { outcome.normalizeSeconds = ingest.normalizeSeconds }
            let reader = ArchiveReader(limits: limits)
            try reader.read(
                candidate.location, relativePath: candidate.relativePath, expecting: digest, visitor: ingest)
            // The bytes read must be those hashed: an archive replaced since (renamed over, or
            // rewritten in place) would go into the snapshot, and the archive cache, under the
            // digest of the file it replaced. Not taken; the next run hashes and reads it anew.
            // (Renamed over once the reader has it open, the file read is still the one hashed: its
            // rows are taken under its own digest, and the next run finds the new file.)
            // The reader hashes what it decodes: a tar, compressed or not, and a single compressed
            // member from the file's start to its end on the way; a zip whole, block by block,
            // before libarchive reads it where its directory points, each block it reads then
            // checked against that pass (`BlockCheckedFile`). Checked by the file's stamp instead,
            // a file rewritten and then put back while the run read it (its times put back too)
            // was taken with the rows of the other bytes (found by an audit).
            let unchanged = reader.readDigest == digest
            if !unchanged {
                throw ArchiveRejection.corrupt(ArchiveReader.changedSinceHashed)
            }
            // A refused header, once every checksum of the archive has passed (see `headerFailure`).
            if let failure = ingest.headerFailure { throw failure }
            outcome.members = ingest.members
            outcome.skipped = ingest.skipped
            if ingest.members.isEmpty {
                throw ArchiveRejection(reason: .emptyArchive, member: nil, detail: "the archive holds no data member")
            }
            // A member over max_quarantine_ratio fails the run (CONTRACT §4.1, §7).
            for index in outcome.members.indices {
                let member = outcome.members[index]
                guard member.rowsRead > 0, member.rowsQuarantined > 0 else { continue }
                let ratio = Rational(Int128(member.rowsQuarantined), Int128(member.rowsRead))
                if Rational(config.quality.maxQuarantineRatio) < ratio {
                    outcome.members[index].rejection = .quarantineRatio
                    if outcome.rejection == nil {
                        outcome.status = .rejected
                        outcome.rejection = ArchiveRejection(
                            reason: .quarantineRatio, member: member.path,
                            detail: "\(member.rowsQuarantined) of \(member.rowsRead) rows quarantined, more than "
                                + "quality.max_quarantine_ratio \(config.quality.maxQuarantineRatio)")
                    }
                }
            }
        } catch let rejection as ArchiveRejection {
            outcome.status = .rejected
            outcome.members = []
            // Faults in member order, the first said; but damage (`corrupt-archive`) explains a
            // header garbled before it, so it wins.
            if let failure = reading?.headerFailure, rejection.reason != .corruptArchive {
                outcome.rejection = ArchiveRejection(failure)
            } else {
                outcome.rejection = rejection
            }
        } catch is ArchiveCache.EntryWriter.RowsLost {
            return nil
        } catch let error as HeaderError {
            outcome.status = .rejected
            outcome.rejection = ArchiveRejection(error)
            outcome.members = []
        } catch {
            outcome.status = .rejected
            outcome.rejection = ArchiveRejection(reason: .corruptArchive, member: nil, detail: "\(error)")
            outcome.members = []
        }
        return outcome
    }
}

extension ArchiveRejection {
    /// The rejection of a data member's refused header (`header-error`), naming the kind it was
    /// read as.
    init(_ failure: HeaderError) {
        self.init(reason: .headerError, member: failure.memberPath, detail: failure.detail, memberKind: failure.kind)
    }
}
