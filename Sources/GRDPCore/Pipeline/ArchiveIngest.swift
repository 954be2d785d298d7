/// What one data member yielded: its rows in order, and its counts for the report (CONTRACT §4.4, §8).
public struct MemberResult: Sendable, Codable {
    public var path: String
    public var kind: RecordKind
    public var numberConvention: PipelineConfig.NumberFormat = .en
    /// Accepted rows: physical line and record, in line order. The runner takes them out once the
    /// revision ledger has them; `rowsAccepted` keeps their number.
    public var accepted: [(line: Int, record: Record)] = []
    public var rowsAccepted = 0
    /// Accepted transactions, compact (they are not in `accepted`).
    var transactions = TransactionBatch()
    /// How many transactions the member accepted, also when its batch was left in the cache
    /// (`ArchiveCache.load(…, rows: false)`).
    var transactionRows: Int { kind == .transaction ? rowsAccepted : 0 }
    public var quarantine: [QuarantineEntry] = []
    /// The header's cells that name no column (`HeaderLayout.unreadColumns`); nil when there are
    /// none (and in cache entries written before 2026-12-06).
    public var columnsNotRead: [String]?
    /// With `number_format: auto`, when no value decided the convention: a value the default read
    /// one way and the other convention another (`MemberNormalizer.defaultedOver`).
    public var conventionDefaultedOver: String?
    /// A transaction member's channels (trimmed, lowercased, as Compute looks up their ratio), each
    /// with the statuses its accepted rows have, in `TransactionStatus` order; nil past
    /// `TransactionBatch.channelsKept` of them, for other kinds, and in cache entries written before
    /// 2026-12-06. A new return's channel with counted sales that no counted return had and no
    /// ratio names is said (`new_channels_without_ratio`).
    public var channels: [String: [TransactionStatus]]?
    /// The years of its accepted records, ascending; nil for transactions of a year outside
    /// 1990–2117 (refused before), and in cache entries written before 2026-12-06. Where the ledger
    /// does not count the transactions a new return takes from another year, a year whose figures
    /// a run changes though no new return holds a record of it is said
    /// (`years_changed_by_other_years`).
    public var years: [Int]?
    public var rowsRead = 0
    public var rowsExcluded = 0
    public var excludedByReason: [String: Int] = [:]
    /// Filled in by the revision pass.
    public var rowsSuperseded = 0
    /// `quarantine-ratio` when the member was over `max_quarantine_ratio`.
    public var rejection: ReasonCode?

    /// Set when `quarantine` holds only the first entries (`summarized`, `cachedQuarantine`): the
    /// counts of them all.
    var quarantineSummary: QuarantineSummary?
    /// Every quarantined row, when they were left in the archive's cache entry
    /// (`ArchiveCache.leaveQuarantine`): `quarantine` then holds only the first. Not coded.
    var cachedQuarantine: CachedQuarantine?
    /// While the archive's cache entry is written (`ArchiveIngest`): where this member's rows lie
    /// in the entry's quarantine section, which `Ingest.read` turns into `cachedQuarantine` once
    /// the entry is in place. Not coded.
    var quarantineInEntry: QuarantinePart?

    struct QuarantineSummary: Sendable, Codable {
        var count: Int
        var byReason: [ReasonCode: Int]
    }

    /// A member's rows in its archive entry's quarantine section: their offsets in the section,
    /// and the `ByteChecksum` of their bytes.
    struct QuarantinePart: Sendable, Equatable {
        var range: Range<Int>
        var checksum: UInt64
    }

    /// Whether `quarantine` holds every quarantined row or, past the first, they wait in the
    /// archive's cache entry: what the snapshot can take. A member summarized for a report
    /// (`summarized`) does not.
    var givesEveryQuarantinedRow: Bool {
        cachedQuarantine != nil || quarantine.count == rowsQuarantined
    }

    public var rowsQuarantined: Int { quarantineSummary?.count ?? quarantine.count }

    /// Whether its counts are ones a member can have: none negative, none past 2^40 (a trillion
    /// rows: sums over any number of members stay far from overflowing). What a cache gives back is
    /// checked so (`ArchiveCache`, `RunCache`): a file forged past its checksum is refused rather
    /// than summed into a trap.
    var countsArePlausible: Bool {
        Self.arePlausible([rowsAccepted, rowsRead, rowsExcluded, rowsSuperseded, rowsQuarantined])
            && Self.arePlausible(excludedByReason.values)
            && Self.arePlausible(quarantineSummary?.byReason.values ?? [:].values)
    }

    /// The rule of `countsArePlausible`, for counts read without their member (`IngestOutline`).
    static func arePlausible(_ counts: some Sequence<Int>) -> Bool {
        counts.allSatisfy((0...(1 << 40)).contains)
    }

    /// What the caches keep (`ArchiveCache`, `RunCache`): the counts and quarantine, not the rows.
    enum CodingKeys: String, CodingKey {
        case path, kind, numberConvention, rowsAccepted, quarantine, rowsRead, rowsExcluded, excludedByReason
        case rowsSuperseded, rejection, quarantineSummary, columnsNotRead, conventionDefaultedOver, channels, years
    }

    /// Calls `body` with every quarantined row, in line order: those `quarantine` holds, or all of
    /// those left in the cache (`cachedQuarantine`). A member summarized in memory (`summarized`)
    /// has only its first.
    func forEachQuarantined(_ body: (QuarantineEntry) throws -> Void) throws {
        // A snapshot with some of a member's rows would say nothing of the others: stop instead.
        guard givesEveryQuarantinedRow else {
            throw QuarantinedRowsMissing(
                description: "member \(path) holds \(quarantine.count) of its \(rowsQuarantined) quarantined "
                    + "rows, and the others are in no cache entry: nothing is published")
        }
        if let cachedQuarantine {
            try cachedQuarantine.forEach(member: self, body)
        } else {
            for entry in quarantine { try body(entry) }
        }
    }

    public var quarantinedByReason: [ReasonCode: Int] {
        quarantineSummary?.byReason ?? quarantine.reduce(into: [:]) { $0[$1.reason, default: 0] += 1 }
    }

    /// The member with only its first `limit` quarantined rows, and the counts of all of them: what
    /// a report shows, at a size that does not grow with the rows quarantined.
    func summarized(keepingFirst limit: Int) -> MemberResult {
        guard quarantine.count > limit else { return self }
        var member = self
        member.quarantineSummary = QuarantineSummary(count: rowsQuarantined, byReason: quarantinedByReason)
        member.quarantine = Array(quarantine.prefix(limit))
        return member
    }
}

/// A member asked for every quarantined row holds only its first (a bug: exit 70).
struct QuarantinedRowsMissing: Error, CustomStringConvertible {
    let description: String
}

/// A member that was not read as data: a link, a device, an unrecognized CSV.
public struct SkippedMember: Sendable, Codable {
    public var path: String
    public var reason: ReasonCode
    public var detail: String
    /// For a link or a device, the kind of data member its name matches (`inputs.kinds`): what
    /// should hold rows, and does not (a return made with links, or an entry damaged into one; a
    /// single flipped bit of a zip's file attributes does it). Said in the run's summary, not only
    /// listed, since its rows are not counted.
    public var namedLike: RecordKind?
}

/// Feeds one archive's members to Normalize while Unpack streams them: the visitor between the
/// two stages. Nothing here survives a rejection of the archive.
final class ArchiveIngest: ArchiveVisitor {
    let archivePath: String
    let config: PipelineConfig
    let classifier: MemberClassifier
    private(set) var members: [MemberResult] = []
    private(set) var skipped: [SkippedMember] = []
    private var normalizer: MemberNormalizer?
    private var current: MemberResult?
    /// Time spent in Normalize (the rest of reading an archive is Unpack's).
    private(set) var normalizeSeconds = 0.0
    /// The archive's cache entry being written, if any: each transaction member's accepted rows
    /// go there a chunk at a time instead of waiting in memory for the whole archive.
    private let entry: ArchiveCache.EntryWriter?

    /// Whether a member's quarantined rows past its first `RunReport.firstQuarantinedLimit` are
    /// held in memory when there is no cache entry to leave them in: a run publishes them,
    /// `validate` only counts them.
    let keepsEveryQuarantined: Bool
    /// The current member's quarantined rows: how many of each reason (memory holds the first only
    /// when the rest go to the entry), those not yet handed to the entry, the checksum of those
    /// handed, and where they start in the entry's quarantine section.
    private var quarantinedByReason: [ReasonCode: Int] = [:]
    private var quarantineRows = ArchiveCache.QuarantineRows.Writer()
    private var quarantineChecksum = ByteChecksum()
    private var quarantineStart = 0
    /// Some member's row past its first, which a snapshot will want, is in the entry alone: should
    /// the entry fail, that row is lost, and the archive is read again in memory (`RowsLost`).
    private var rowsOnlyInEntry = false
    /// The first data member whose header could not be used (`header-error`), held until the
    /// reader has read the archive to its end: every later member is read through, unnormalized,
    /// so that damage a checksum finds further on (a zip entry's CRC at its end, a gzip, xz or
    /// bzip2 stream's trailer) is reported as the `corrupt-archive` it is, not as the missing
    /// column its garbled header bytes look like (the mutation campaign's F2). `Ingest` throws it
    /// once the read has succeeded.
    private(set) var headerFailure: HeaderError?

    /// The rows a member's batch gathers before they are written to the entry: ~640 KB, a few
    /// blocks of the member (a block yields ~3,000 rows), few enough writes to cost nothing.
    static let chunkRows = 16_000
    /// The quarantined rows' bytes gathered before they are handed to the entry.
    static let quarantineChunkBytes = 256 << 10

    init(
        archivePath: String, config: PipelineConfig, classifier: MemberClassifier,
        entry: ArchiveCache.EntryWriter? = nil, keepsEveryQuarantined: Bool = true
    ) {
        self.archivePath = archivePath
        self.config = config
        self.classifier = classifier
        self.entry = entry
        self.keepsEveryQuarantined = keepsEveryQuarantined
    }

    func begin(member: MemberHeader) throws -> Bool {
        // The archive is rejected already: its later members are only read through.
        guard headerFailure == nil else { return false }
        switch classifier.classify(memberPath: member.path) {
        case .data(let kind):
            let normalizer = MemberNormalizer(kind: kind, config: config, memberPath: member.path)
            if kind == .transaction { normalizer.collectedTransactions = TransactionBatch() }
            self.normalizer = normalizer
            current = MemberResult(path: member.path, kind: kind)
            quarantinedByReason = [:]
            quarantineChecksum = ByteChecksum()
            quarantineStart = entry?.quarantineBytes ?? 0
            return true
        case .unrecognizedCSV:
            skipped.append(
                SkippedMember(
                    path: member.path, reason: .unrecognizedMember,
                    detail: "no pattern of inputs.kinds matches this CSV member's name"))
            return false
        case .other:
            return false
        }
    }

    func consume(_ bytes: UnsafeRawBufferPointer) throws {
        guard let normalizer else { return }
        do {
            try timed { try normalizer.feed(bytes) { row in take(row) } }
        } catch let failure as HeaderError {
            return giveUp(failure)
        }
        // Writing the entry is the cache's time, which the report counts with Unpack's, as before.
        try writeRows(atLeast: Self.chunkRows)
        try writeQuarantine(atLeast: Self.quarantineChunkBytes)
    }

    func end(member: MemberHeader) throws {
        guard let normalizer, current != nil else { return }
        do {
            try timed { try normalizer.finish { row in take(row) } }
        } catch let failure as HeaderError {
            return giveUp(failure)
        }
        try writeRows(atLeast: 1)
        try writeQuarantine(atLeast: 1)
        let quarantined = quarantinedByReason.values.reduce(0, +)
        if quarantined > current!.quarantine.count {
            current!.quarantineSummary = MemberResult.QuarantineSummary(
                count: quarantined, byReason: quarantinedByReason)
        }
        if quarantined > 0, let entry, entry.isWriting {
            current!.quarantineInEntry = MemberResult.QuarantinePart(
                range: quarantineStart..<entry.quarantineBytes, checksum: quarantineChecksum.value)
        }
        let start = Timestamp.monotonic()
        defer { normalizeSeconds += Timestamp.monotonic() - start }
        current!.numberConvention = normalizer.numberConvention
        current!.conventionDefaultedOver = normalizer.defaultedOver
        if let unread = normalizer.layout?.unreadColumns, !unread.isEmpty { current!.columnsNotRead = unread }
        if var collected = normalizer.collectedTransactions {
            // The accepted transactions Normalize kept in the batch rather than emitting them.
            normalizer.collectedTransactions = nil
            current!.rowsRead += collected.count
            current!.rowsAccepted += collected.count
            current!.channels = collected.channels()
            current!.years = collected.years()
            collected.seal()
            current!.transactions = collected
        } else {
            current!.years = Set(current!.accepted.map(\.record.year)).sorted()
        }
        members.append(current!)
        current = nil
        self.normalizer = nil
    }

    /// Keeps `failure` for `Ingest` and lets go of everything the archive gave: it will not be
    /// taken, whatever the rest of it holds.
    private func giveUp(_ failure: HeaderError) {
        headerFailure = failure
        normalizer = nil
        current = nil
        members = []
        quarantineRows.removeAll()
        entry?.discard()
    }

    /// Runs `body`, Normalize's work, adding its time to `normalizeSeconds`.
    private func timed(_ body: () throws -> Void) rethrows {
        let start = Timestamp.monotonic()
        defer { normalizeSeconds += Timestamp.monotonic() - start }
        try body()
    }

    func skipped(member: String, reason: ReasonCode, detail: String) {
        var namedLike: RecordKind?
        if reason == .link || reason == .device, case .data(let kind) = classifier.classify(memberPath: member) {
            namedLike = kind
        }
        skipped.append(SkippedMember(path: member, reason: reason, detail: detail, namedLike: namedLike))
    }

    /// Writes the current member's rows gathered since the last write to the entry, when there are
    /// at least `minimum`. When the write fails (a full disk), every row written so far, this
    /// member's and the earlier members', is read back into memory and the entry is given up: the
    /// archive goes on as without a cache. Throws `RowsLost` when they cannot be read back.
    private func writeRows(atLeast minimum: Int) throws {
        // Not bound to a local: a copy of the batch would make its rows' buffer shared, and copied
        // on the next change.
        guard let entry, entry.isWriting, let normalizer,
            (normalizer.collectedTransactions?.builtRowCount ?? 0) >= minimum
        else { return }
        if normalizer.collectedTransactions!.writeBuiltRows({ entry.append($0) }) { return }
        for index in members.indices where !entry.readBack(into: &members[index].transactions) {
            throw ArchiveCache.EntryWriter.RowsLost()
        }
        guard entry.readBack(into: &normalizer.collectedTransactions!) else {
            throw ArchiveCache.EntryWriter.RowsLost()
        }
        entry.discard()
    }

    /// Hands the current member's quarantined rows gathered since the last time to the entry,
    /// when they are at least `minimum` bytes. Throws `RowsLost` when the entry no longer takes
    /// them and some are in it alone: the rest of the archive need not be read into an entry that
    /// will not be kept (`Ingest.read` reads it again in memory whatever the point it failed at).
    private func writeQuarantine(atLeast minimum: Int) throws {
        if let entry, quarantineRows.bytes.count >= minimum {
            quarantineRows.bytes.withUnsafeBytes { bytes in
                quarantineChecksum.update(bytes)
                _ = entry.appendQuarantine(bytes)
            }
            quarantineRows.removeAll()
        }
        if rowsOnlyInEntry, entry?.isWriting != true { throw ArchiveCache.EntryWriter.RowsLost() }
    }

    private func take(_ row: NormalizedRow) {
        current!.rowsRead += 1
        switch row.outcome {
        case .accepted(let record):
            if case .transaction = record {
                preconditionFailure("a transaction member's accepted rows are collected into its batch")
            }
            current!.accepted.append((row.line, record))
            current!.rowsAccepted += 1
        case .excluded(let reason):
            current!.rowsExcluded += 1
            current!.excludedByReason[reason, default: 0] += 1
        case .quarantined(let reason, let detail):
            let bad = QuarantineEntry(
                location: SourceLocation(archivePath: archivePath, memberPath: current!.path, line: row.line),
                kind: current!.kind, reason: reason, detail: detail, raw: row.raw)
            quarantinedByReason[reason, default: 0] += 1
            // Every row to the entry's quarantine section; the first also kept in memory, for the
            // report, and the rest too when there is no entry and the snapshot will want them.
            let inEntry = entry?.isWriting == true
            if inEntry { quarantineRows.append(bad, archivePath: archivePath, member: current!) }
            if current!.quarantine.count < RunReport.firstQuarantinedLimit || (!inEntry && keepsEveryQuarantined) {
                current!.quarantine.append(bad)
            } else if inEntry && keepsEveryQuarantined {
                rowsOnlyInEntry = true
            }
        }
    }
}
