internal import CMemory
internal import Foundation

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// The revision order of transactions (CONTRACT §4.4) without a resident table of every key:
/// the other way to get what `TransactionLedger` gives a full run, for inputs whose keys would
/// not fit in memory (docs/BENCHMARK.md, "The partitioned ledger", step 2).
///
/// The members' batches are kept as the ingest hands them (read in place from their cache entries
/// when they come from there), and the revisions are taken after the ingest, in two passes:
/// - **keys** (`currentRows`): every row's key (id digits, the id's stem numbered across members)
///   and its position in revision order (members in archive order, then member path bytewise;
///   rows in line order) are scattered by a hash of the key into partitions spilled to unlinked
///   files, then each partition alone keeps the largest position of each key: that row is current.
///   Memory: one partition's keys and their table (at 9 M rows and 32 partitions, ~36 MiB), and a
///   bit per row.
/// - **groups** (`groups`): one pass over the rows, taking the current ones (of the kept years)
///   into their `TransactionGroupTable.Group`s, texts interned across members.
///
/// The result equals the ledger's: the same rows are current (a key's row with the largest
/// position is the one the ledger keeps, whatever order archives arrive in), the same superseded
/// count per member, and groups with the same keys, counts and exact net sums (the ledger's sums
/// may keep a larger scale, taken from a row it subtracted; Compute reduces them). The tests run
/// whole pipelines both ways and compare content hashes.
struct PartitionedRevisions {
    struct Member {
        var ref: RevisionLedger.MemberRef
        var archivePath: String
        var archiveSHA256: String
        var memberPath: String
        var batch: TransactionBatch
    }

    /// Members with transactions, as added; in revision order once `currentRows` has run.
    private(set) var members: [Member] = []
    private var ordered = false

    /// Whether a run takes its revisions partitioned rather than in the resident ledger
    /// (`TransactionLedger`, kept between runs from `LedgerStateFile.minimumKeys`).
    ///
    /// From `fromKeys` transaction keys expected: the last run's count when it left one
    /// (`RunCache.ledgerHint`) plus one per `compressedBytesPerKey` bytes of the archives it did not
    /// read (`newArchiveBytes`: a set that grows past the threshold is partitioned on the night it
    /// does, not one night later), else one per `compressedBytesPerKey` bytes of archives. Below, the
    /// ledger is a little faster for a rebuild (1 M transactions, 0.88 M keys, on 2026-12-07:
    /// `run --force` 1.60–1.92 s against 1.71–2.02 s) and small enough (146 MiB peak; its nights
    /// 0.96–1.04 s at 155 MiB against 0.75–0.96 s at 104). Above, it holds every key and group at
    /// once: 2 M transactions (1.76 M keys) already peaked at 207–215 MiB for a rebuild and 223 MiB
    /// for a night, where the partitioned revisions, holding one partition's keys and one year's
    /// groups, took 106–108 and 117 MiB in the same time for a rebuild (medians of six, 3.45 s
    /// against 3.49 s) and less for a night (0.88–1.09 s against 1.17–1.34 s); 10 M: 686 and 510 MiB
    /// against 181 and 189–192. Until 2026-12-07 the ledger went on to 3 M keys, from a time when
    /// the partitioned night was the slower. `GRDP_LEDGER=partitioned` or `memory` chooses whatever
    /// the size; the result is the same either way.
    static func isChosen(expectedKeys: Int?, archiveBytes: Int64, newArchiveBytes: Int64 = 0) -> Bool {
        switch ProcessInfo.processInfo.environment["GRDP_LEDGER"] {
        case "partitioned": return true
        case "memory": return false
        default:
            let perKey = Int64(compressedBytesPerKey)
            let keys =
                expectedKeys.map { $0 &+ Int(clamping: max(0, newArchiveBytes) / perKey) }
                ?? Int(clamping: archiveBytes / perKey)
            return keys >= fromKeys
        }
    }

    /// See `isChosen`; `GRDP_PARTITIONED_FROM` overrides it (tests).
    static var fromKeys: Int {
        ProcessInfo.processInfo.environment["GRDP_PARTITIONED_FROM"].flatMap(Int.init).flatMap { $0 >= 0 ? $0 : nil }
            ?? 1_000_000
    }

    /// The benchmark's gzip archives hold a key per ~24.8 bytes (10 M: 208 MiB for 8.8 M keys);
    /// zip and uncompressed archives hold fewer a byte, and so count as more keys: the partitioned
    /// revisions from somewhat smaller inputs, never from larger ones.
    static let compressedBytesPerKey = 24

    /// `GRDP_LEDGER_PARTITIONS=N`: the keys in N partitions whatever their number (tests, the
    /// benchmark); nil: one per `rowsPerPartition` rows.
    static var chosenPartitions: Int? {
        ProcessInfo.processInfo.environment["GRDP_LEDGER_PARTITIONS"].flatMap(Int.init).flatMap { $0 >= 1 ? $0 : nil }
    }

    /// Keeps the transaction batches of an accepted archive's members (`scanned`: its index among
    /// the scanned archives, `MemberRef.archive`); call before its rows are let go.
    mutating func add(_ archive: ArchiveOutcome, scanned: Int) {
        for (index, member) in archive.members.enumerated() where member.transactions.count > 0 {
            member.transactions.releaseMappedPages()
            members.append(
                Member(
                    ref: .init(archive: scanned, member: index), archivePath: archive.relativePath,
                    archiveSHA256: archive.sha256, memberPath: member.path, batch: member.transactions))
        }
        ordered = false
    }

    /// A row current before the new archives came (`currentRows(…, newArchives:)`), and the new
    /// row current in its place: positions in revision order.
    struct Replacement: Equatable {
        var before: UInt32
        var now: UInt32
        /// The two rows' years, read after the key pass (`noteYears`): 12 bytes a replacement in
        /// all, a backfill's millions of them included (review 44, L3).
        var beforeYear: Int16 = 0
        var nowYear: Int16 = 0
    }

    /// Every row's key pass result: which rows are current, by position in revision order.
    struct CurrentRows {
        /// Per member (in `members`' order): its first row's position.
        fileprivate var starts: [Int]
        /// One bit per row by position: set when current.
        fileprivate var bits: [UInt64]
        /// Per member (in `members`' order): the least and greatest year of its rows.
        fileprivate var yearSpans: [ClosedRange<Int16>?]
        /// Per member (in `members`' order): its stems' spans of numbers, nil when unknown.
        fileprivate var stemSpans: [StemSpans?] = []
        /// The years of the rows, current or not, ascending.
        var years: [Int]
        /// Distinct keys.
        var keys: Int
        /// The most key records one partition held (all of them when not spilled).
        var largestPartition = 0
        /// As `currentRows` was given them.
        fileprivate var newArchives: Set<Int>?
        /// With `newArchives`: each row that was current before those archives' rows came and no
        /// longer is, with the new row current in its place and their years; ascending by the row
        /// replaced (`noteYears` leaves them so).
        fileprivate(set) var replaced: [Replacement] = []
        /// One bit per `replaced` row, in its order: set when the new row is the one it replaced
        /// again, every value a group takes alike (`noteYears`): it changes no group, and its year
        /// is not touched for it. All clear when there were too many to compare
        /// (`comparedReplacementsLimit`).
        fileprivate var resentUnchanged: [UInt64] = []

        /// Whether `replaced[index]` re-sent the row it replaced unchanged.
        func isResentUnchanged(_ index: Int) -> Bool {
            index >> 6 < resentUnchanged.count && resentUnchanged[index >> 6] & (1 << UInt64(index & 63)) != 0
        }

        /// How many of `replaced` re-sent the row they replaced unchanged.
        var resentUnchangedCount: Int { resentUnchanged.reduce(0) { $0 + $1.nonzeroBitCount } }
        /// Whether the keys went through spill files (false: one table in memory, for few rows or
        /// when a spill file could not be written or read, as `spillFailure` says).
        var spilled: Bool
        var spillFailure: String?
        /// Whether the rows were taken from the state the run before kept (`currentRows(…, kept:)`):
        /// only the new archives' keys went into a table.
        var fromKept = false
        /// From the kept state: how many earlier rows were gone through to look the current ones up
        /// among the new keys: every row, current or not, of the members one of whose stems' spans
        /// holds a new key's number (`StemSpans`) or that have no spans; the others' rows cannot be
        /// of a new key.
        var keptRowsLookedUp: Int?

        func isCurrent(_ position: Int) -> Bool { bits[position >> 6] & (1 << UInt64(position & 63)) != 0 }

        /// Transactions the new archives' rows took the place of though dated in another year, by
        /// the year they left (`years_changed_by_other_years`): of each key, the row current before
        /// those archives came against the one current now, as `TransactionLedger.yearsLeft`
        /// counts them (an older row that one had replaced already, or a new row replaced by
        /// another new one, counts nothing). Nil when the new archives were not given.
        var transactionsMovedOut: [Int: Int]? {
            guard newArchives != nil else { return nil }
            var left: [Int: Int] = [:]
            for row in replaced where row.beforeYear != row.nowYear { left[Int(row.beforeYear), default: 0] += 1 }
            return left
        }

        /// Current rows among `count` from `start`.
        func currentCount(from start: Int, count: Int) -> Int {
            var n = 0
            var position = start
            let end = start + count
            while position < end {
                if position & 63 == 0 && end - position >= 64 {
                    n += bits[position >> 6].nonzeroBitCount
                    position += 64
                } else {
                    if isCurrent(position) { n += 1 }
                    position += 1
                }
            }
            return n
        }
    }

    /// Rows per partition aimed at (16 bytes each as spilled, a 4-byte table slot per 2 rows).
    static let rowsPerPartition = 1 << 18

    /// Puts the members in revision order and finds the current row of every key.
    ///
    /// - Parameter spillFolder: where the partitions' unlinked files go (the cache folder: the
    ///   outputs' disk). When one cannot be written (a full disk), the keys are taken in one table
    ///   in memory instead, as `spilled` says.
    /// - Parameter partitions: only for tests; by default one per `rowsPerPartition` rows.
    ///
    /// - Parameter newArchives: the archives (`MemberRef.archive`) new since the last full run,
    ///   when this run may recompute only the years they touch (`touchedYears`).
    /// - Parameter kept: what the key pass of a run before found (`kept(_:)`, `CurrentRowsFile`).
    ///   When it holds exactly this run's members but the new archives' (those of `newArchives`
    ///   when given), only those archives' keys are taken (`fromKept`); otherwise it is not used.
    mutating func currentRows(
        spillFolder: URL, partitions: Int? = nil, newArchives: Set<Int>? = nil, kept: CurrentRowsState? = nil
    ) throws(KeyLimit) -> CurrentRows {
        members.sort { a, b in
            if a.ref.archive != b.ref.archive { return a.ref.archive < b.ref.archive }
            if a.memberPath != b.memberPath { return bytewiseLess(a.memberPath, b.memberPath) }
            return a.ref.member < b.ref.member
        }
        ordered = true
        var starts: [Int] = []
        starts.reserveCapacity(members.count)
        var total = 0
        for member in members {
            starts.append(total)
            total += member.batch.count
        }
        guard total < Int(UInt32.max) else { throw KeyLimit(rows: total) }
        let stems = globalStems()
        if let kept,
            var resumed = currentRows(
                resuming: kept, starts: starts, total: total, stems: stems, newArchives: newArchives)
        {
            resumed.years = Self.years(of: resumed.yearSpans)
            resumed.resentUnchanged = noteYears(&resumed.replaced, starts: starts)
            return resumed
        }
        let count = partitions ?? Self.partitionCount(rows: total)
        var result = CurrentRows(
            starts: starts, bits: [UInt64](repeating: 0, count: (total + 63) / 64), yearSpans: [], years: [], keys: 0,
            spilled: false)
        var spillFailure: String?
        // A bit per row of the new archives' members.
        let newRows = newArchives.map { newArchives in
            var bits = [UInt64](repeating: 0, count: (total + 63) / 64)
            for (index, member) in members.enumerated() where newArchives.contains(member.ref.archive) {
                for position in starts[index]..<(starts[index] + member.batch.count) {
                    bits[position >> 6] |= 1 << UInt64(position & 63)
                }
            }
            return bits
        }
        result.newArchives = newArchives
        if count > 1 {
            do {
                let (spilled, spans) = try spillKeys(
                    starts: starts, total: total, stems: stems, partitions: count, folder: spillFolder)
                result.yearSpans = spans.map(\.years)
                result.stemSpans = spans.map(\.numbers)
                // The partitions resolved in parts at once, part q taking every `keyParts`-th from
                // q, each into bits of its own (a word holds rows of any partition), then joined.
                let parts = min(Self.keyParts, count)
                let words = result.bits.count
                let resolved = InParts.run(parts) { part throws(any Error) in
                    var bits = [UInt64](repeating: 0, count: words)
                    var replaced: [Replacement] = []
                    var keys = 0
                    var largestPartition = 0
                    for partition in stride(from: part, to: count, by: parts) {
                        try SpillFiles.withRecords(of: spilled, partition: partition) {
                            largestPartition = max(largestPartition, $0.count)
                            keys += Self.resolve($0, into: &bits, newRows: newRows, replaced: &replaced)
                        }
                    }
                    return (bits: bits, replaced: replaced, keys: keys, largestPartition: largestPartition)
                }
                for outcome in resolved {
                    let part = try outcome.get()
                    for word in part.bits.indices where part.bits[word] != 0 { result.bits[word] |= part.bits[word] }
                    result.replaced += part.replaced
                    result.keys += part.keys
                    result.largestPartition = max(result.largestPartition, part.largestPartition)
                }
                result.spilled = true
            } catch {
                // Taken again below in one table: the partitions resolved so far are set again.
                result.bits = [UInt64](repeating: 0, count: result.bits.count)
                result.replaced = []
                result.keys = 0
                result.largestPartition = 0
                spillFailure = "\(error)"
            }
        }
        if !result.spilled {
            var records: [KeyRecord] = []
            records.reserveCapacity(total)
            let spans = forEachKey(positions: 0..<total, starts: starts, stems: stems, spanningNumbers: true) {
                records.append($0)
            }
            result.yearSpans = spans.map(\.years)
            result.stemSpans = spans.map(\.numbers)
            result.largestPartition = records.count
            result.keys = records.withUnsafeMutableBufferPointer {
                Self.resolve(UnsafeBufferPointer($0), into: &result.bits, newRows: newRows, replaced: &result.replaced)
            }
        }
        result.spillFailure = spillFailure
        result.years = Self.years(of: result.yearSpans)
        result.resentUnchanged = noteYears(&result.replaced, starts: starts)
        return result
    }

    /// Notes the years of the rows `replaced` names: read once, before any member is let go, for
    /// `touchedYears` and `CurrentRows.transactionsMovedOut`. Leaves them in the order of the rows
    /// replaced, and returns which re-sent the row they replaced unchanged
    /// (`CurrentRows.resentUnchanged`), when they are at most `comparedReplacementsLimit`.
    private func noteYears(_ replaced: inout [Replacement], starts: [Int]) -> [UInt64] {
        replaced.sort { $0.now < $1.now }
        guard replaced.count <= Self.comparedReplacementsLimit else {
            noteYears(&replaced, starts: starts, at: \.now, into: \.nowYear) { _, _ in }
            replaced.sort { $0.before < $1.before }
            noteYears(&replaced, starts: starts, at: \.before, into: \.beforeYear) { _, _ in }
            return []
        }
        // The new rows, in the order of their positions; then, taken in the order of the rows
        // replaced, compared with those rows: their groups (texts numbered in one `LedgerTexts`)
        // and nets.
        var texts = LedgerTexts()
        var numbers = [TextNumbers?](repeating: nil, count: members.count)
        func group(of row: TransactionBatch.Row, member: Int) -> TransactionGroupTable.Group {
            if numbers[member] == nil { numbers[member] = TextNumbers(members[member].batch.strings) }
            return TransactionGroupTable.Group(keyOf: row) { numbers[member]!.number($0, in: &texts) }
        }
        var now: [(member: Int, row: TransactionBatch.Row)] = []
        now.reserveCapacity(replaced.count)
        noteYears(&replaced, starts: starts, at: \.now, into: \.nowYear) { now.append(($0, $1)) }
        let order = replaced.indices.sorted { replaced[$0].before < replaced[$1].before }
        replaced = order.map { replaced[$0] }
        var unchanged = [UInt64](repeating: 0, count: (replaced.count + 63) / 64)
        var next = 0
        noteYears(&replaced, starts: starts, at: \.before, into: \.beforeYear) { member, row in
            // The same group, the same net written the same way.
            let new = now[order[next]]
            if TransactionBatch.sameNet(
                scale: new.row.scale, mantissa: new.row.mantissa, as: (row.scale, row.mantissa)),
                GroupTable.sameKey(group(of: row, member: member), group(of: new.row, member: new.member))
            {
                unchanged[next >> 6] |= 1 << UInt64(next & 63)
            }
            next += 1
        }
        return unchanged
    }

    /// Replacements compared with the rows they replaced (`noteYears`): ~70 bytes each while
    /// compared, so at most ~18 MB; more (a backfill's) are all taken as changes, as before.
    static let comparedReplacementsLimit = 1 << 18

    /// The year of the row at each replacement's `position` (`replaced` ascending by it) into its
    /// `year`, member by member, the rows read in position order; `body` is given each row, in
    /// that order, with its member's index.
    private func noteYears(
        _ replaced: inout [Replacement], starts: [Int], at position: KeyPath<Replacement, UInt32>,
        into year: WritableKeyPath<Replacement, Int16>, _ body: (Int, TransactionBatch.Row) -> Void
    ) {
        var cursor = 0
        for index in members.indices where cursor < replaced.count {
            let start = starts[index]
            let end = start + members[index].batch.count
            var last = cursor
            while last < replaced.count && Int(replaced[last][keyPath: position]) < end { last += 1 }
            guard last > cursor else { continue }
            var years: [Int16] = []
            years.reserveCapacity(last - cursor)
            replaced.withUnsafeBufferPointer { rows in
                let positions = rows[cursor..<last].lazy.map { Int($0[keyPath: position]) - start }
                members[index].batch.forEachRow(at: positions) { row in
                    years.append(row.year)
                    body(index, row)
                }
            }
            for (offset, found) in years.enumerated() { replaced[cursor + offset][keyPath: year] = found }
            cursor = last
        }
    }

    /// The years of the rows, ascending, from each member's span of them.
    private static func years(of spans: [ClosedRange<Int16>?]) -> [Int] {
        var seen = Set<Int16>()
        for span in spans.compactMap({ $0 }) { seen.formUnion(span) }
        return seen.map(Int.init).sorted()
    }

    /// What `current` leaves for the next run's key pass (`currentRows(…, kept:)`); before any
    /// member is let go.
    func kept(_ current: CurrentRows) -> CurrentRowsState {
        precondition(ordered, "currentRows first")
        return CurrentRowsState(
            members: members.indices.map { index in
                let member = members[index]
                return CurrentRowsState.Member(
                    archivePath: member.archivePath, archiveSHA256: member.archiveSHA256, member: member.ref.member,
                    memberPath: member.memberPath, rows: member.batch.count,
                    years: current.yearSpans[index].map { [$0.lowerBound, $0.upperBound] },
                    stemSpans: index < current.stemSpans.count ? current.stemSpans[index]?.flattened : nil)
            }, keys: current.keys, bits: current.bits)
    }

    /// `currentRows` from `kept` (but its `years`), when it holds exactly these members but the new
    /// archives' (in the same order, with the same rows), and those hold at most `keptNewRowsLimit`
    /// rows; nil otherwise.
    ///
    /// An earlier row is current now when it was then and no new row with its key comes later; a
    /// new row when it is its key's latest among the new rows and no earlier current row with its
    /// key comes later. So only the new rows' keys go into a table (each key's latest new row), and
    /// each earlier current row is looked up there, in parts on both cores: the rows of the
    /// earlier members that may hold a new key (`StemSpans`; a 10 M night with a return of 2024's
    /// orders reads 2.7 M of 10.3 M rows).
    private func currentRows(
        resuming kept: CurrentRowsState, starts: [Int], total: Int, stems: [[UInt32]], newArchives: Set<Int>?
    ) -> CurrentRows? {
        // Per member, the state's member it is and where its rows begin among the state's (nil: a
        // new archive's member).
        let keptArchives = Set(kept.members.map(\.archive))
        var keptStarts: [(member: Int, start: Int)?] = []
        var held = 0
        var keptStart = 0
        for member in members {
            let archive = ArchiveIdentity(relativePath: member.archivePath, sha256: member.archiveSHA256)
            let isNew = !keptArchives.contains(archive)
            if let newArchives, newArchives.contains(member.ref.archive) != isNew { return nil }
            if isNew {
                keptStarts.append(nil)
                continue
            }
            guard held < kept.members.count else { return nil }
            let keptMember = kept.members[held]
            guard keptMember.archive == archive, keptMember.member == member.ref.member,
                keptMember.memberPath == member.memberPath, keptMember.rows == member.batch.count
            else { return nil }
            keptStarts.append((held, keptStart))
            keptStart += keptMember.rows
            held += 1
        }
        guard held == kept.members.count, kept.bits.count == (keptStart + 63) / 64 else { return nil }
        let newRowCount = members.indices.reduce(0) { $0 + (keptStarts[$1] == nil ? members[$1].batch.count : 0) }
        guard newRowCount <= Self.keptNewRowsLimit else { return nil }

        var result = CurrentRows(
            starts: starts, bits: [UInt64](repeating: 0, count: (total + 63) / 64),
            yearSpans: Array(repeating: nil, count: members.count), years: [], keys: kept.keys, spilled: false)
        result.stemSpans = Array(repeating: nil, count: members.count)
        result.newArchives = newArchives
        result.fromKept = true
        for index in members.indices {
            guard let (keptMember, from) = keptStarts[index] else { continue }
            Self.copyBits(
                kept.bits, from: from, count: members[index].batch.count, into: &result.bits, at: starts[index])
            result.yearSpans[index] = kept.members[keptMember].years.map { $0[0]...$0[1] }
            // Spans for another count of stems than the batch's are not its (never used).
            result.stemSpans[index] = kept.members[keptMember].stemSpans.flatMap(StemSpans.init(flattened:))
                .flatMap { $0.stems == members[index].batch.stems.count ? $0 : nil }
        }

        // Each key's latest row among the new archives' rows (members in revision order).
        let newMembers = members.indices.filter { keptStarts[$0] == nil }
        var table = SlotIndex(capacity: max(newRowCount, 1))
        var latest: [KeyRecord] = []
        for index in newMembers {
            let start = starts[index]
            let spans = forEachKey(
                positions: start..<(start + members[index].batch.count), starts: starts, stems: stems,
                spanningNumbers: true
            ) { record in
                let found = table.findOrInsert(
                    hash: SlotIndex.hash(record.number, UInt64(record.stem)), next: Int32(latest.count)
                ) { slot in
                    latest[Int(slot)].number == record.number && latest[Int(slot)].stem == record.stem
                }
                if found.inserted {
                    latest.append(record)
                } else if record.position > latest[Int(found.slot)].position {
                    latest[Int(found.slot)] = record
                }
            }
            result.yearSpans[index] = spans[index].years
            result.stemSpans[index] = spans[index].numbers
        }

        // Each earlier current row looked up among them: replaced by a later new row, or later
        // than the new rows of its key (a new archive that sorts before an earlier one). Only the
        // rows of the earlier members that may hold a new key: one with spans (`StemSpans`) none of
        // which holds a new key's number under its stem has none of their keys.
        var beaten = [Bool](repeating: false, count: latest.count)
        result.keptRowsLookedUp = 0
        if !latest.isEmpty {
            var newNumbers: [UInt32: [UInt64]] = [:]
            for record in latest { newNumbers[record.stem, default: []].append(record.number) }
            for stem in newNumbers.keys { newNumbers[stem]!.sort() }
            let lookedUpMembers = members.indices.filter { index in
                guard keptStarts[index] != nil else { return false }
                guard let spans = result.stemSpans[index] else { return true }
                return spans.holdsAny(of: newNumbers, globalStems: stems[index])
            }
            let lookedUp = lookedUpMembers.map { starts[$0]..<(starts[$0] + members[$0].batch.count) }
            let lookedUpRows = lookedUp.reduce(0) { $0 + $1.count }
            result.keptRowsLookedUp = lookedUpRows
            let parts = Self.keyParts
            let (bits, keys, newest) = (result.bits, table, latest)
            let outcomes = InParts.run(parts) { part throws(Never) in
                var replaced: [Replacement] = []
                var beaten: [Int32] = []
                let share = (lookedUpRows * part / parts)..<(lookedUpRows * (part + 1) / parts)
                // Each slice within one member: only that member's rows are gone through (a pass
                // over every member per slice cost time growing with the square of their count).
                for slice in Self.slices(of: lookedUp, rows: share) {
                    let member = lookedUpMembers[slice.range]
                    let rows =
                        (slice.positions.lowerBound - starts[member])..<(slice.positions.upperBound - starts[member])
                    var noNumbers: StemSpans?
                    forEachKey(ofMember: member, rows: rows, starts: starts, stems: stems, noting: &noNumbers) {
                        record in
                        let position = Int(record.position)
                        guard bits[position >> 6] & (1 << UInt64(position & 63)) != 0,
                            let slot = keys.find(
                                hash: SlotIndex.hash(record.number, UInt64(record.stem)),
                                matches: {
                                    newest[Int($0)].number == record.number && newest[Int($0)].stem == record.stem
                                })
                        else { return }
                        if newest[Int(slot)].position > record.position {
                            replaced.append(Replacement(before: record.position, now: newest[Int(slot)].position))
                        } else {
                            beaten.append(slot)
                        }
                    }
                }
                return (replaced: replaced, beaten: beaten)
            }
            for outcome in outcomes {
                let part = outcome.get()
                for position in part.replaced.lazy.map(\.before) {
                    result.bits[Int(position) >> 6] &= ~(1 << UInt64(position & 63))
                }
                if newArchives != nil { result.replaced += part.replaced }
                for slot in part.beaten { beaten[Int(slot)] = true }
                // An earlier key has one current row: each new key is matched once at most.
                result.keys -= part.replaced.count + part.beaten.count
            }
        }
        for slot in latest.indices where !beaten[slot] {
            let position = latest[slot].position
            result.bits[Int(position) >> 6] |= 1 << UInt64(position & 63)
        }
        result.keys += latest.count
        return result
    }

    /// The most new rows whose keys a run takes in one table beside the kept state (`currentRows(…,
    /// kept:)`): 16 bytes a key and a 4-byte slot per ~1.6 keys, ~45 MB at this many, while the key
    /// pass is far from the run's peak. More (a backfill of years at once) go through the partitions.
    static let keptNewRowsLimit = 1 << 21

    /// The positions of `rows` (offsets into `ranges` laid end to end), as parts of `ranges`: each
    /// with the index of the range it is in.
    static func slices(of ranges: [Range<Int>], rows: Range<Int>) -> [(range: Int, positions: Range<Int>)] {
        var slices: [(range: Int, positions: Range<Int>)] = []
        var offset = 0
        for (index, range) in ranges.enumerated() {
            let from = max(rows.lowerBound - offset, 0)
            let to = min(rows.upperBound - offset, range.count)
            if from < to { slices.append((index, (range.lowerBound + from)..<(range.lowerBound + to))) }
            offset += range.count
        }
        return slices
    }

    /// Copies `count` bits from `from` in `source` to `at` in `target`, whose bits there are clear;
    /// a word at a time where both are at a word's start.
    private static func copyBits(_ source: [UInt64], from: Int, count: Int, into target: inout [UInt64], at: Int) {
        var offset = 0
        while offset < count {
            let (s, t) = (from + offset, at + offset)
            if s & 63 == 0, t & 63 == 0, count - offset >= 64 {
                target[t >> 6] = source[s >> 6]
                offset += 64
                continue
            }
            if source[s >> 6] & (1 << UInt64(s & 63)) != 0 { target[t >> 6] |= 1 << UInt64(t & 63) }
            offset += 1
        }
    }

    /// More rows than positions of 32 bits can number.
    struct KeyLimit: Error, CustomStringConvertible {
        var rows: Int
        var description: String { "\(rows) transactions: more than the 4,294,967,294 a run can take" }
    }

    /// The years whose transaction groups the new archives (`currentRows(…, newArchives:)`)
    /// changed, key by key as `TransactionLedger.marks` tells them: the year of each of their
    /// current rows but those that re-sent the row they replaced unchanged
    /// (`CurrentRows.isResentUnchanged`: the same group and net), and the year of each other row
    /// they replaced. A new row superseded (by a later new row, or by an earlier archive's ranked
    /// after it) changes nothing. Every other year's groups are those it had before they came (a
    /// year's figures depend on its own rows alone, CONTRACT §5). Nil when the new archives were
    /// not given.
    func touchedYears(_ current: CurrentRows) -> Set<Int>? {
        precondition(ordered, "currentRows first")
        guard let newArchives = current.newArchives else { return nil }
        var years = Set<Int>()
        var resent: [Int] = []
        for (index, replaced) in current.replaced.enumerated() {
            if current.isResentUnchanged(index) {
                resent.append(Int(replaced.now))
            } else {
                years.insert(Int(replaced.beforeYear))
            }
        }
        resent.sort()
        // Members in position order (`currentRows` sorted them), so `resent` is gone through once.
        var cursor = 0
        for (index, member) in members.enumerated() where newArchives.contains(member.ref.archive) {
            guard let span = current.yearSpans[index] else { continue }
            let start = current.starts[index]
            let count = member.batch.count
            while cursor < resent.count && resent[cursor] < start { cursor += 1 }
            if cursor == resent.count || resent[cursor] >= start + count {
                // No row of it re-sent unchanged: nothing to read when its span's years are all
                // touched already, or are one year (touched if any of its rows is current).
                let spanYears = Int(span.lowerBound)...Int(span.upperBound)
                if spanYears.allSatisfy(years.contains) { continue }
                if spanYears.count == 1 {
                    if current.currentCount(from: start, count: count) > 0 { years.formUnion(spanYears) }
                    continue
                }
            }
            // Else the years of its current rows, but those re-sent unchanged.
            member.batch.forEachChunk { chunk, firstRow in
                for (offset, row) in chunk.enumerated() {
                    let position = start + firstRow + offset
                    if cursor < resent.count && position == resent[cursor] {
                        cursor += 1
                    } else if current.isCurrent(position) {
                        years.insert(Int(row.year))
                    }
                }
            }
        }
        return years
    }

    /// The rows `current` found replaced (`replaced`, ascending) of the years `isOfYear` takes, by
    /// member: the member's index in `members` and the rows' indices in it, ascending; members in
    /// position order.
    private func replacedRows(_ current: CurrentRows, ofYears isOfYear: (Int16) -> Bool)
        -> [(member: Int, rows: [Int])]
    {
        var byMember: [(member: Int, rows: [Int])] = []
        for replaced in current.replaced where isOfYear(replaced.beforeYear) {
            let position = replaced.before
            // The member holding it: the last that starts at or before it.
            var low = 0
            var high = current.starts.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if current.starts[middle] <= Int(position) { low = middle } else { high = middle - 1 }
            }
            let row = Int(position) - current.starts[low]
            if byMember.last?.member == low {
                byMember[byMember.count - 1].rows.append(row)
            } else {
                byMember.append((low, [row]))
            }
        }
        return byMember
    }

    /// The superseded rows of each member, as `RevisionLedger.TransactionMember`s.
    func transactionMembers(_ current: CurrentRows) -> [RevisionLedger.TransactionMember] {
        precondition(ordered, "currentRows first")
        return members.indices.map { index in
            let rows = members[index].batch.count
            return RevisionLedger.TransactionMember(
                ref: members[index].ref, rows: rows,
                superseded: rows - current.currentCount(from: current.starts[index], count: rows))
        }
    }

    /// The current rows' groups, only `years`' when given; the members' batches are let go.
    ///
    /// - Parameter kept: the groups a run before kept (`KeptGroupsFile`) with the state this key
    ///   pass resumed from. When they can be (`groups(updating:_:years:)`), the groups of `years`
    ///   come from them and the new archives' rows, not from every row of those years; `kept` is
    ///   then what to keep for the next run, and nil otherwise (the groups came from every row).
    /// - Parameter changes: with `kept` used, what the update changed (`KeptGroupChanges`); else nil.
    mutating func takeGroups(
        _ current: CurrentRows, keepingYears years: Set<Int>?, updating kept: inout KeptGroups?,
        changes: inout KeptGroupChanges?
    ) throws(ArithmeticOverflow) -> TransactionGroupTable {
        defer { members = [] }
        changes = nil
        if var updating = kept, let years {
            kept = nil
            if let (table, changed) = groups(updating: &updating, current, years: years) {
                kept = updating
                changes = changed
                return table
            }
        }
        kept = nil
        return try groups(current, keepingYears: years)
    }

    /// The current rows' groups, only `years`' when given; the members' batches are let go.
    mutating func takeGroups(_ current: CurrentRows, keepingYears years: Set<Int>?) throws(ArithmeticOverflow)
        -> TransactionGroupTable
    {
        var none: KeptGroups?
        var changes: KeptGroupChanges?
        return try takeGroups(current, keepingYears: years, updating: &none, changes: &changes)
    }

    /// The groups of `years` from `kept`, the groups of those years that the state this key pass
    /// resumed from held (`currentRows(…, kept:)` with `newArchives`): the new archives' current
    /// rows added, and the rows they replaced taken away. An earlier row stays current unless a
    /// new row replaces it, so these are the groups of every current row of those years. `kept`
    /// then holds them, for the next run; its arrays are updated in place (at 10 M transactions,
    /// 2024's ~790,000 groups and their index, 46 MB).
    ///
    /// Nil when they cannot be had so, and `kept` is then not to be used: the pass did not resume
    /// from a state with the new archives named; `kept` holds other years (more would stand on the
    /// night's peak beside the years it computes); or it does not add up with the rows (a replaced
    /// row's group missing or left below none, a sum that overflows, a member let go that holds
    /// replaced rows).
    ///
    /// The caller then takes the groups from every row, which says the same or throws what they throw.
    ///
    /// A group keeps the largest scale of the rows ever added to or taken from it, where one
    /// taken from every row has its rows' largest: the same value, and Compute reduces sums before
    /// it multiplies them (`IndicatorCalculator`).
    ///
    /// With the table, what changed: each kept group the rows touched as it was before, and how
    /// many groups are new (`KeptGroupChanges`).
    func groups(updating kept: inout KeptGroups, _ current: CurrentRows, years: Set<Int>)
        -> (TransactionGroupTable, KeptGroupChanges)?
    {
        precondition(ordered, "currentRows first")
        guard current.fromKept, let newArchives = current.newArchives, years == kept.years else {
            return nil
        }
        // Moved out, so that they are changed in place.
        var texts = LedgerTexts()
        swap(&texts, &kept.texts)
        var groups: [TransactionGroupTable.Group] = []
        swap(&groups, &kept.groups)
        var table = GroupTable(index: kept.index)
        kept.index = SlotIndex()
        // The kept groups the rows touch, each as it was when first touched; the groups from
        // `keptCount` on are new.
        let keptCount = groups.count
        var touched = [Bool](repeating: false, count: keptCount)
        var before: [TransactionGroupTable.Group] = []
        // The rows of those years (a night's new and replaced rows are all of the years it
        // computes, `touchedYears`).
        var isKept = [Bool](repeating: false, count: 1 << 16)
        for year in years {
            if let year = Int16(exactly: year) { isKept[Int(UInt16(bitPattern: year))] = true }
        }
        /// Adds (`sign` 1) or takes away (-1) the given rows of member `index` (positions in its
        /// rows, ascending); false when a row taken away has no kept group.
        func take(_ index: Int, sign: Int, rows positions: some Sequence<Int>) throws(ArithmeticOverflow) -> Bool {
            let batch = members[index].batch
            let wide = batch.wide
            var numbers = TextNumbers(batch.strings)
            var added = true
            try batch.forEachRow(at: positions) { (row) throws(ArithmeticOverflow) in
                guard added, isKept[Int(UInt16(bitPattern: row.year))] else { return }
                let key = TransactionGroupTable.Group(keyOf: row) { numbers.number($0, in: &texts) }
                let count = groups.count
                let group = table.find(key, hash: GroupTable.hash(key), in: &groups)
                // A replaced row was current: its group is a kept one.
                if sign < 0, groups.count != count {
                    added = false
                    return
                }
                let net = try row.net(wide: wide)
                if group < keptCount, !touched[group] {
                    touched[group] = true
                    before.append(groups[group])
                }
                groups[group].transactions += sign
                groups[group].netVND = try sign > 0 ? groups[group].netVND + net : groups[group].netVND - net
            }
            return added
        }
        do throws(ArithmeticOverflow) {
            // The replaced rows of these years first, member by member, each from a kept group;
            // those of other years (re-sent unchanged, `touchedYears`) are in members that may
            // be let go. (A member let go as holding none of these years, by a state that lied
            // about its years: not used.)
            for (member, rows) in replacedRows(current, ofYears: { isKept[Int(UInt16(bitPattern: $0))] }) {
                guard let last = rows.last, last < members[member].batch.count,
                    try take(member, sign: -1, rows: rows)
                else { return nil }
            }
            for index in members.indices where newArchives.contains(members[index].ref.archive) {
                let start = current.starts[index]
                let rows = (0..<members[index].batch.count).lazy.filter { current.isCurrent(start + $0) }
                _ = try take(index, sign: 1, rows: rows)
            }
        } catch {
            return nil
        }
        // A group whose transactions were all replaced is gone (its sums must be none too), from
        // the index and the groups alike: one array for Compute and the file, not a copy beside it.
        var emptied: [Int32] = []
        for (position, group) in groups.enumerated() where group.transactions <= 0 {
            guard group.transactions == 0, group.netVND.isZero else { return nil }
            emptied.append(Int32(position))
        }
        let emptiedCount = emptied.count
        if emptiedCount > 0 {
            guard table.remove(emptied, of: groups) else { return nil }
            groups.removeAll { $0.transactions == 0 }
        }
        let updated = TransactionGroupTable(texts: texts.strings, nonEmptyGroups: groups)
        kept.texts = texts
        kept.groups = groups
        kept.index = table.slots
        // The new groups, never emptied (rows are only added to them), are still the last ones.
        return (
            updated,
            KeptGroupChanges(before: before, added: groups.count - keptCount + emptiedCount, emptied: emptiedCount)
        )
    }

    /// A `find` for `KeptGroupChanges.pick` over kept groups and their index (`KeptGroups`): the
    /// position of the group with a key, if any.
    static func finder(of kept: KeptGroups) -> (TransactionGroupTable.Group) -> Int? {
        let (index, groups) = (kept.index, kept.groups)
        return { key in
            index.find(hash: GroupTable.hash(key)) { GroupTable.sameKey(groups[Int($0)], key) }.map(Int.init)
        }
    }

    /// `table`'s groups, those of `years`, as a run keeps them (`KeptGroupsFile`): their texts and
    /// an index of them made here (on another thread than Compute's, which has the table).
    /// Nil when its texts or keys are not each once (never so of the tables `groups` makes).
    static func keptGroups(years: Set<Int>, table: TransactionGroupTable) -> KeptGroups? {
        var texts = LedgerTexts(capacity: table.texts.count)
        for (number, text) in table.texts.enumerated() where texts.intern(text) != UInt32(number) { return nil }
        let groups = table.groups
        guard let index = GroupTable(indexing: groups)?.slots else { return nil }
        return KeptGroups(years: years, texts: texts, groups: groups, index: index)
    }

    /// Lets go of the batches (rows and texts) of the members whose rows are all of years before
    /// `year`: a run that takes the years in order needs them no more. At 10 M transactions the
    /// members' interned texts are ~80 MB, of which the last and largest year needs a quarter.
    mutating func releaseMembers(before year: Int, _ current: CurrentRows) {
        releaseMembers(current) { Int($0.upperBound) < year }
    }

    /// Lets go of the batches of the members with no row of `years` (`run --year`, a night's
    /// touched years): only the others' groups are taken.
    mutating func releaseMembers(notHolding years: Set<Int>, _ current: CurrentRows) {
        releaseMembers(current) { !Self.span($0, holdsAnyOf: years) }
    }

    private mutating func releaseMembers(_ current: CurrentRows, where done: (ClosedRange<Int16>) -> Bool) {
        for index in members.indices {
            guard let span = current.yearSpans[index], done(span) else { continue }
            members[index].batch = TransactionBatch()
        }
    }

    /// Whether a member whose rows' years span `span` may hold rows of `years`.
    private static func span(_ span: ClosedRange<Int16>, holdsAnyOf years: Set<Int>) -> Bool {
        years.contains { Int(span.lowerBound) <= $0 && $0 <= Int(span.upperBound) }
    }

    /// The current rows' groups, only `years`' when given (a pass over the members holding rows
    /// of those years).
    ///
    /// Taken in `parts` at once, one on each core: part p takes the rows whose month is p modulo
    /// `parts` (odd and even months: about half each), so no group is in two parts. Each part
    /// numbers its own texts; the others' are then numbered in the first's, and their groups
    /// appended to its groups.
    func groups(_ current: CurrentRows, keepingYears years: Set<Int>?, parts: Int = 2) throws(ArithmeticOverflow)
        -> TransactionGroupTable
    {
        precondition(ordered, "currentRows first")
        precondition(parts >= 1 && parts <= 12, "1 to 12 parts")
        var isKept = [Bool](repeating: years == nil, count: 1 << 16)
        for year in years ?? [] {
            if let year = Int16(exactly: year) { isKept[Int(UInt16(bitPattern: year))] = true }
        }
        let kept = members.indices.filter { index in
            guard let years else { return true }
            guard let span = current.yearSpans[index] else { return false }
            return Self.span(span, holdsAnyOf: years)
        }
        let keptMembers = kept.map { members[$0] }
        let starts = kept.map { current.starts[$0] }
        let outcomes = InParts.run(parts) { [isKept] part throws(ArithmeticOverflow) in
            try Self.groups(
                of: keptMembers, starts: starts, current: current, isKept: isKept,
                months: { Int($0) % parts == part })
        }
        var (texts, groups) = try outcomes[0].get()
        for outcome in outcomes.dropFirst() {
            let (partTexts, partGroups) = try outcome.get()
            let numbers = partTexts.strings.map { texts.intern($0) }
            groups.reserveCapacity(groups.count + partGroups.count)
            for var group in partGroups {
                group.channel = numbers[Int(group.channel)]
                group.seller = numbers[Int(group.seller)]
                group.district = numbers[Int(group.district)]
                groups.append(group)
            }
        }
        return TransactionGroupTable(texts: texts.strings, nonEmptyGroups: groups)
    }

    /// The groups of the current rows of `members` (each first at its position in `starts`) whose
    /// year is kept and whose month `months` takes, over texts of their own.
    private static func groups(
        of members: [Member], starts: [Int], current: CurrentRows, isKept: [Bool], months: (UInt8) -> Bool
    ) throws(ArithmeticOverflow) -> (LedgerTexts, [TransactionGroupTable.Group]) {
        var isTaken = [Bool](repeating: false, count: 256)
        for month in 0..<256 where months(UInt8(month)) { isTaken[month] = true }
        var texts = LedgerTexts()
        var groups: [TransactionGroupTable.Group] = []
        var table = GroupTable()
        for (member, start) in zip(members, starts) {
            var numbers = TextNumbers(member.batch.strings)
            do throws(ArithmeticOverflow) {
                let wide = member.batch.wide
                try member.batch.forEachChunk { rows, first throws(ArithmeticOverflow) in
                    // The table and groups are far larger than the caches (a year at 10 M: ~400,000
                    // groups a part): a row's key is made `distance` rows ahead and its bucket
                    // asked for then, its likely group half way, so that the misses overlap
                    // (`TransactionLedger` does the same). Keys wait in a ring until used.
                    let distance = GroupTable.prefetchDistance
                    func keyAhead(_ offset: Int) -> (key: TransactionGroupTable.Group, hash: UInt64)? {
                        guard offset < rows.count else { return nil }
                        let row = rows[offset]
                        guard isKept[Int(UInt16(bitPattern: row.year))], isTaken[Int(row.month)],
                            current.isCurrent(start + first + offset)
                        else { return nil }
                        let key = TransactionGroupTable.Group(keyOf: row) { numbers.number($0, in: &texts) }
                        return (key, GroupTable.hash(key))
                    }
                    var ring = [(key: TransactionGroupTable.Group, hash: UInt64)?](repeating: nil, count: distance)
                    for offset in 0..<min(distance, rows.count) {
                        ring[offset] = keyAhead(offset)
                        if let ahead = ring[offset] { table.prefetch(hash: ahead.hash) }
                    }
                    for offset in rows.indices {
                        let own = ring[offset % distance]
                        let next = keyAhead(offset + distance)
                        ring[offset % distance] = next
                        if let next { table.prefetch(hash: next.hash) }
                        if offset + distance / 2 < rows.count, let half = ring[(offset + distance / 2) % distance] {
                            table.prefetchGroup(hash: half.hash, in: groups)
                        }
                        guard let own else { continue }
                        let net = try rows[offset].net(wide: wide)
                        let group = table.find(own.key, hash: own.hash, in: &groups)
                        groups[group].transactions += 1
                        groups[group].netVND = try groups[group].netVND + net
                    }
                }
            } catch {
                // Where to look first, as the ledger names it.
                throw ArithmeticOverflow(
                    operation:
                        "\(error.operation), adding the transactions of \(member.archivePath), member \(member.memberPath)"
                )
            }
        }
        table = GroupTable()
        return (texts, groups)
    }

    // MARK: - Keys

    /// A key as spilled: the id's digits, its stem numbered across members, and the row's position.
    fileprivate struct KeyRecord {
        var number: UInt64
        var stem: UInt32
        var position: UInt32
    }

    /// A stem by its channel's text (members number texts each their own way).
    private struct GlobalStem: Hashable {
        var channel: String
        var prefix: [UInt8]
        var width: UInt8
    }

    /// Per member, its stems' numbers across all members.
    private func globalStems() -> [[UInt32]] {
        var numbers: [GlobalStem: UInt32] = [:]
        return members.map { member in
            let strings = member.batch.strings
            return member.batch.stems.map { stem in
                let global = GlobalStem(channel: strings[Int(stem.channel)], prefix: stem.prefix, width: stem.width)
                if let found = numbers[global] { return found }
                let number = UInt32(numbers.count)
                numbers[global] = number
                return number
            }
        }
    }

    /// Of the rows of one member a pass read (`forEachKey`): the span of their years, and with
    /// `spanningNumbers` the spans of their numbers by stem (nil for a member of too many stems).
    struct MemberSpans {
        var years: ClosedRange<Int16>?
        var numbers: StemSpans?

        /// These and `other`'s, of other rows of the same member.
        mutating func merge(_ other: MemberSpans) {
            if let span = other.years {
                years = years.map { min($0.lowerBound, span.lowerBound)...max($0.upperBound, span.upperBound) } ?? span
            }
            if let spans = other.numbers { numbers?.merge(spans) }
        }
    }

    /// The key record of each row of member `index` at `rows` (its indices in line order), in order;
    /// the span of those rows' years, their numbers noted in `numbers` when given.
    @discardableResult
    private func forEachKey(
        ofMember index: Int, rows: Range<Int>, starts: [Int], stems: [[UInt32]], noting numbers: inout StemSpans?,
        _ body: (KeyRecord) -> Void
    ) -> ClosedRange<Int16>? {
        let map = stems[index]
        let start = starts[index]
        var low = Int16.max
        var high = Int16.min
        members[index].batch.forEachChunk(rows: rows) { chunk, first in
            for offset in chunk.indices {
                let row = chunk[offset]
                low = min(low, row.year)
                high = max(high, row.year)
                body(KeyRecord(number: row.number, stem: map[Int(row.stem)], position: UInt32(start + first + offset)))
            }
            numbers?.note(chunk)
        }
        return low <= high ? low...high : nil
    }

    /// The key record of every row at `positions`, in revision order; and the spans of each
    /// member's rows among them (a member with none there: no years, and stems without numbers).
    private func forEachKey(
        positions: Range<Int>, starts: [Int], stems: [[UInt32]], spanningNumbers: Bool, _ body: (KeyRecord) -> Void
    ) -> [MemberSpans] {
        members.indices.map { index in
            let from = max(positions.lowerBound - starts[index], 0)
            let to = min(positions.upperBound - starts[index], members[index].batch.count)
            var numbers = spanningNumbers ? StemSpans(stems: stems[index].count) : nil
            let years =
                from < to
                ? forEachKey(ofMember: index, rows: from..<to, starts: starts, stems: stems, noting: &numbers, body)
                : nil
            return MemberSpans(years: years, numbers: numbers)
        }
    }

    static func partitionCount(rows: Int) -> Int {
        var count = 1
        while count * rowsPerPartition < rows && count < 1024 { count <<= 1 }
        return count
    }

    /// The key pass runs in this many parts at once, one on each core.
    static let keyParts = 2

    /// Scatters every key into `partitions` unlinked files by the high bits of its hash: in
    /// `keyParts` parts at once, each over its share of the positions into files of its own.
    private func spillKeys(
        starts: [Int], total: Int, stems: [[UInt32]], partitions: Int, folder: URL
    ) throws -> (files: [SpillFiles], spans: [MemberSpans]) {
        let parts = Self.keyParts
        let outcomes = InParts.run(parts) { part throws(any Error) in
            let files = try SpillFiles(folder: folder, partitions: partitions)
            var failure: (any Error)?
            let positions = (total * part / parts)..<(total * (part + 1) / parts)
            let spans = forEachKey(positions: positions, starts: starts, stems: stems, spanningNumbers: true) {
                record in
                // Bits 16–47 of the index's own hash scaled to 0..<partitions (shifts bind tighter
                // than `&*`): apart from the low bits a partition's index probes with and the top 4
                // it keeps in its buckets.
                let hash = UInt64(UInt32(truncatingIfNeeded: SlotIndex.hash(record.number, UInt64(record.stem)) >> 16))
                let target = Int((hash &* UInt64(partitions)) >> 32)
                // After a write failed (a full disk), nothing more is scattered: the caller takes
                // every key in memory instead.
                guard failure == nil else { return }
                do { try files.append(record, to: target) } catch { failure = error }
            }
            if let failure { throw failure }
            try files.flush()
            return (files, spans)
        }
        var spilled: [SpillFiles] = []
        var memberSpans: [MemberSpans] = []
        for outcome in outcomes {
            let (files, spans) = try outcome.get()
            spilled.append(files)
            if memberSpans.isEmpty {
                memberSpans = spans
            } else {
                for index in spans.indices { memberSpans[index].merge(spans[index]) }
            }
        }
        return (spilled, memberSpans)
    }

    /// Sets the bit of each key's latest position among `records`; returns the distinct keys.
    /// With `newRows` (a bit per position: the rows of archives new since the last full run), also
    /// appends to `replaced` the position of each key's latest row among the others when a new row
    /// is now later (the row that was current before the new archives came, and no longer is),
    /// with that new row's position (their years are noted after, `noteYears`).
    private static func resolve(
        _ records: UnsafeBufferPointer<KeyRecord>, into bits: inout [UInt64], newRows: [UInt64]?,
        replaced: inout [Replacement]
    ) -> Int {
        // Per key (a slot of the index): its latest record, and the latest of those not new.
        var index = SlotIndex(capacity: records.count)
        var latest: [Int32] = []
        var older: [Int32] = []
        func isNew(_ position: UInt32) -> Bool {
            guard let newRows else { return false }
            return newRows[Int(position) >> 6] & (1 << UInt64(position & 63)) != 0
        }
        for offset in records.indices {
            let record = records[offset]
            let found = index.findOrInsert(
                hash: SlotIndex.hash(record.number, UInt64(record.stem)), next: Int32(latest.count)
            ) { slot in
                let held = records[Int(latest[Int(slot)])]
                return held.number == record.number && held.stem == record.stem
            }
            let slot = Int(found.slot)
            if found.inserted {
                latest.append(Int32(offset))
                older.append(-1)
            } else if record.position > records[Int(latest[slot])].position {
                latest[slot] = Int32(offset)
            }
            if newRows != nil, !isNew(record.position),
                older[slot] < 0 || record.position > records[Int(older[slot])].position
            {
                older[slot] = Int32(offset)
            }
        }
        for slot in latest.indices {
            let position = records[Int(latest[slot])].position
            bits[Int(position) >> 6] |= 1 << UInt64(position & 63)
            if newRows != nil, isNew(position), older[slot] >= 0 {
                replaced.append(Replacement(before: records[Int(older[slot])].position, now: position))
            }
        }
        return latest.count
    }

    // MARK: - Groups

    /// The groups' index by key, over the groups array it finds them in (`SlotIndex`).
    private struct GroupTable {
        private var index = SlotIndex()

        init() {}

        /// A table whose index is `index` (of the groups it is then asked with).
        init(index: SlotIndex) { self.index = index }

        /// Its index, to be kept with its groups.
        var slots: SlotIndex { index }

        /// A table of `groups` as they are, or nil when a key is in two.
        init?(indexing groups: [TransactionGroupTable.Group]) {
            index = SlotIndex(capacity: groups.count + groups.count / 4 + 16)
            for position in groups.indices {
                let found = index.findOrInsert(hash: Self.hash(groups[position]), next: Int32(position)) {
                    Self.sameKey(groups[Int($0)], groups[position])
                }
                guard found.inserted else { return nil }
            }
        }

        /// The groups at `positions` (ascending) taken out of the index, the others numbered
        /// as `groups` numbers them once those are taken out of it too (`SlotIndex.remove`).
        mutating func remove(_ positions: [Int32], of groups: [TransactionGroupTable.Group]) -> Bool {
            index.remove(slots: positions) { Self.hash(groups[Int($0)]) }
        }

        /// How many rows ahead a pass asks for a row's bucket (see `TransactionLedger`'s).
        static let prefetchDistance = 16

        /// The index of the group with `key`'s fields in `groups` (`hash`: `hash(key)`), appended
        /// when new.
        mutating func find(
            _ key: TransactionGroupTable.Group, hash: UInt64, in groups: inout [TransactionGroupTable.Group]
        ) -> Int {
            if groups.count == index.capacity {
                index.reserve(2 * (groups.count + 1)) { [groups] in Self.hash(groups[Int($0)]) }
            }
            let found = index.findOrInsert(hash: hash, next: Int32(groups.count)) {
                Self.sameKey(groups[Int($0)], key)
            }
            if found.inserted { groups.append(key) }
            return Int(found.slot)
        }

        /// Asks the memory system for the bucket a probe for `hash` starts at (only a hint).
        @inline(__always)
        func prefetch(hash: UInt64) { index.prefetch(hash: hash) }

        /// Asks the memory system for the group that bucket likely holds (only a hint).
        @inline(__always)
        func prefetchGroup(hash: UInt64, in groups: [TransactionGroupTable.Group]) {
            guard let slot = index.likelySlot(hash: hash), slot < groups.count else { return }
            groups.withUnsafeBufferPointer { grdp_prefetch_for_write($0.baseAddress! + Int(slot)) }
        }

        @inline(__always)
        static func hash(_ group: TransactionGroupTable.Group) -> UInt64 {
            SlotIndex.hash(
                UInt64(group.seller) << 32 | UInt64(group.district),
                UInt64(group.channel) << 32 | UInt64(UInt16(bitPattern: group.year)) << 16 | UInt64(group.month) << 8
                    | UInt64(group.status))
        }

        @inline(__always)
        static func sameKey(_ a: TransactionGroupTable.Group, _ b: TransactionGroupTable.Group) -> Bool {
            a.seller == b.seller && a.district == b.district && a.channel == b.channel && a.year == b.year
                && a.month == b.month && a.status == b.status
        }
    }
}

/// A file of key records per partition, each unlinked as soon as it is created (nothing is left
/// behind, even by a run that is killed), written through a buffer of its own and read back whole.
/// One part of the key pass appends through one reference held for the whole pass: records go to
/// their partition's buffer without retaining anything per record.
// @unchecked Sendable: written by one thread (a part of the key pass), then read by another once
// every part is done (`InParts.run` returns after all have).
private final class SpillFiles: @unchecked Sendable {
    private var descriptors: [Int32] = []
    /// Per partition, `bufferRecords` records from `partition * bufferRecords`.
    private let buffers: UnsafeMutablePointer<PartitionedRevisions.KeyRecord>
    private let buffered: UnsafeMutablePointer<Int>
    /// Per partition, the bytes written to its file.
    private var written: [Int]
    private static let bufferRecords = 2048

    struct WriteFailed: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { "a partition file of the revision keys: \(SystemReason.describe(errno))" }
    }

    init(folder: URL, partitions: Int) throws {
        buffers = .allocate(capacity: partitions * Self.bufferRecords)
        buffered = .allocate(capacity: partitions)
        buffered.initialize(repeating: 0, count: partitions)
        written = Array(repeating: 0, count: partitions)
        for index in 0..<partitions {
            let name = ".grdp-keys-\(index)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
            let path = folder.appendingPathComponent(name).path
            let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw WriteFailed(errno: errno) }
            unlink(path)
            descriptors.append(descriptor)
        }
    }

    deinit {
        for descriptor in descriptors { close(descriptor) }
        buffers.deallocate()
        buffered.deallocate()
    }

    @inline(__always)
    func append(_ record: PartitionedRevisions.KeyRecord, to partition: Int) throws {
        let count = buffered[partition]
        buffers[partition * Self.bufferRecords + count] = record
        buffered[partition] = count + 1
        if count + 1 == Self.bufferRecords { try flush(partition) }
    }

    /// Writes what every partition's buffer holds.
    func flush() throws {
        for partition in descriptors.indices { try flush(partition) }
    }

    /// Writes `partition`'s buffer and empties it, whether or not the write succeeds: a buffer
    /// is never filled past its `bufferRecords` (after a failed write, its records are dropped; the
    /// files are then not used).
    private func flush(_ partition: Int) throws {
        let bytes = UnsafeRawBufferPointer(
            start: buffers + partition * Self.bufferRecords,
            count: buffered[partition] * MemoryLayout<PartitionedRevisions.KeyRecord>.stride)
        defer { buffered[partition] = 0 }
        var done = 0
        while done < bytes.count {
            let n = pwrite(
                descriptors[partition], bytes.baseAddress! + done, bytes.count - done,
                off_t(written[partition] + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw WriteFailed(errno: n == 0 ? ENOSPC : errno) }
            done += n
        }
        written[partition] += bytes.count
    }

    /// The records written to `partition`'s file of each of `parts`, one after the other, read
    /// back into memory freed when `body` returns.
    static func withRecords<R>(
        of parts: [SpillFiles], partition: Int, _ body: (UnsafeBufferPointer<PartitionedRevisions.KeyRecord>) -> R
    ) throws -> R {
        let stride = MemoryLayout<PartitionedRevisions.KeyRecord>.stride
        let count = parts.reduce(0) { $0 + $1.written[partition] / stride }
        let records = UnsafeMutableBufferPointer<PartitionedRevisions.KeyRecord>.allocate(capacity: max(count, 1))
        defer { records.deallocate() }
        var at = UnsafeMutableRawPointer(records.baseAddress!)
        for part in parts {
            let bytes = part.written[partition]
            var done = 0
            while done < bytes {
                let n = pread(part.descriptors[partition], at + done, bytes - done, off_t(done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw WriteFailed(errno: n == 0 ? EIO : errno) }
                done += n
            }
            at += bytes
        }
        return body(UnsafeBufferPointer(rebasing: records[0..<count]))
    }
}
