internal import CMemory
internal import Foundation

/// How large a run's transaction ledger grew: the next run's `TransactionLedger(expecting:)`.
/// Only a capacity; any value gives the same results.
struct LedgerSize: Codable, Equatable {
    var transactionKeys: Int
    var transactionGroups: Int
    /// Distinct texts (channels, sellers, districts); nil in a `last-run.json` of an earlier build.
    var texts: Int? = nil
}

/// The current transactions of a run, kept small (CONTRACT §4.4: key (channel, transaction_id),
/// the later record wins; "later" by the rank its member is given, so archives may come in any
/// order). For each key it holds only what a replacement must take back out of the
/// sums — the record's group, its net amount and the member that held it — and the groups hold
/// the sums Compute reads (`TransactionGroup`). Exact: keys and amounts are never hashed or
/// rounded away (a key is an interned stem and a number; see `TransactionBatch`).
///
/// About 40 bytes a key: its slot (the key, 12 bytes; what a replacement takes back out, 20) and the
/// buckets of `SlotIndex` that find it (4 bytes each, at most ⅝ full).
///
/// A large batch is taken in two passes at once, on two threads: one interns the texts and finds
/// each row's group (`GroupIndex`: the texts and the group keys' table, nothing else), a chunk of
/// rows ahead of the other, which follows the keys and updates the groups' sums. The two share no
/// mutable state: the group pass writes each row's group index into a buffer the key pass reads
/// once the chunk is signalled ready, and the key pass creates the group itself when it meets a
/// new index (rows come in the same order to both, so the n-th new group the key pass meets is
/// the n-th the group pass made), naming its texts by the batch's indices until the group pass is
/// over and has given the ledger's.
struct TransactionLedger {
    /// Per slot (a current key): its group (-1 for a year not kept), the member that holds it, its
    /// net amount.
    private var slotGroup: PlainArray<Int32> = []
    private var slotMember: PlainArray<Int32> = []
    private var slotMantissa: PlainArray<Int64> = []
    /// Scale of the net; when negative, `~scale` indexes `wideNets`.
    private var slotScale: PlainArray<Int32> = []
    private var wideNets: [ExactDecimal] = []
    /// Per member: its rank (see `apply`), and whether it was applied with `markingYears`.
    private var members: [(rank: Int32, marksYears: Bool)] = []
    /// Per slot: its key (number, stem), and the index of the slots by key.
    private var slotNumber: PlainArray<UInt64> = []
    private var slotStem: PlainArray<UInt32> = []
    private var keys = SlotIndex()

    /// (channel, id stem, digits) → the stem's number in `keys`; channels by a number of the key
    /// pass's own (a handful of texts).
    private var stems: [TransactionBatch.Stem: UInt32] = [:]
    private var channels: [String: UInt32] = [:]

    /// The texts and group keys: the group pass's own state.
    private var grouping = GroupIndex()
    /// Per group: its key (texts as indices in the group pass's texts), transactions and net sum —
    /// the form Compute reads, so that handing the groups over is a filter, not a conversion.
    private var groups: PlainArray<TransactionGroupTable.Group> = []
    /// The years whose groups are kept (`run --year`); nil keeps every year.
    private var keptYears: [Int16]?
    /// The keys (slots) a record of a batch applied with `markingYears` came to: replacing one,
    /// superseded as it arrived, or new. Only there can the current record differ from the one
    /// current without the marking batches (`touchedYears`).
    private var markedSlots = GroupMarks()
    /// For each key whose record a member applied with `markingYears` took the place of: the rank,
    /// group (-1: a year not kept) and net (as `slotMantissa`, `slotScale` hold it) of the record
    /// that was current without the marked members (of those not marked, the highest ranked, of
    /// equal rank the last noted: the one the run before them published).
    private var displaced: [Int32: Displaced] = [:]
    private struct Displaced {
        var rank: Int32
        var group: Int32
        var mantissa: Int64
        var scale: Int32
    }

    /// What the batches applied with `markingYears` changed, key by key: where the current record
    /// is a marked member's and differs from the one current without them (`displaced`; none: a
    /// new key) in its group or its net (written the same way: a net re-sent as `1000.00` for
    /// `1000` counts as changed), the groups and years of both. A record re-sent unchanged, one
    /// superseded by a later unmarked record, or one that a later unmarked record replaced,
    /// changes nothing. Nil when a group could not be told (a year not kept, `run --year`).
    /// Before `takeCurrentGroups`.
    struct Marks {
        /// The years of the changed groups: every other year's groups are those it had before
        /// the marking batches came (`RevisionLedger.touchedYears`).
        var years: Set<Int16> = []
        /// The changed groups: a sales row none of whose groups is among them is unchanged
        /// (`touchedSalesKeys`).
        var groups = GroupMarks()
        /// Marked records that re-sent the record they replaced unchanged (for the log).
        var resentUnchanged = 0
    }

    var marks: Marks? { settledMarks ?? markChanges() }
    /// `marks`, once the batches are all applied (`settleMarks`): a night reads them three times
    /// (its years, its sales keys, the log), each a pass over the marked keys. Nil: not settled.
    private var settledMarks: Marks??

    /// Takes `marks` once, for the reads that follow (until the next `apply`).
    mutating func settleMarks() {
        settledMarks = .some(markChanges())
    }

    private func markChanges() -> Marks? {
        var marks = Marks()
        for slot in markedSlots.members {
            guard members[Int(slotMember[slot])].marksYears else { continue }
            let now = Int(slotGroup[slot])
            guard now >= 0, now < groups.count else { return nil }
            if let before = displaced[Int32(slot)] {
                guard before.group >= 0, Int(before.group) < groups.count else { return nil }
                if Int(before.group) == now,
                    TransactionBatch.sameNet(
                        scale: before.scale, mantissa: before.mantissa, as: (slotScale[slot], slotMantissa[slot]))
                {
                    marks.resentUnchanged += 1
                    continue
                }
                marks.years.insert(groups[Int(before.group)].year)
                marks.groups.insert(Int(before.group))
            }
            marks.years.insert(groups[now].year)
            marks.groups.insert(now)
        }
        return marks
    }

    /// `marks`' years.
    var touchedYears: Set<Int16>? { marks?.years }

    /// Transactions the members applied with `markingYears` took the place of though dated in
    /// another year, by the year they left: the same channel and transaction_id re-used (a
    /// platform numbering its orders afresh each year; `years_changed_by_other_years`). Of each
    /// key, the record current without the marked members against the record current now, when
    /// that is a marked member's: neither an older record that one had replaced already, nor one
    /// marked member's record replaced by another's, counts (review 43, N1). Not when either year
    /// is one not kept. Before `takeCurrentGroups`.
    var yearsLeft: [Int16: Int] {
        var left: [Int16: Int] = [:]
        for (slot, before) in displaced where before.group >= 0 && Int(before.group) < groups.count {
            let s = Int(slot)
            let now = Int(slotGroup[s])
            let year = groups[Int(before.group)].year
            guard members[Int(slotMember[s])].marksYears, now >= 0, now < groups.count, groups[now].year != year
            else { continue }
            left[year, default: 0] += 1
        }
        return left
    }

    /// Notes that a marked member's record took the place of the unmarked record of `rank` and
    /// `year` at `slot`, keeping the highest ranked such record; of equal rank, the one noted last
    /// (members of equal rank come in revision order, rows in line order: a return holding an
    /// order twice counted the year of its first record).
    private mutating func noteDisplaced(slot: Int32, rank: Int32, group: Int, mantissa: Int64, scale: Int32) {
        if let held = displaced[slot], held.rank > rank { return }
        displaced[slot] = Displaced(rank: rank, group: Int32(group), mantissa: mantissa, scale: scale)
    }
    /// How a batch's two passes are run: at once on two threads from `parallelFrom` rows on,
    /// handing over `chunkRows` rows at a time; one after the other below that.
    private var passes = Passes()
    /// The most distinct keys the ledger follows (slots are 28-bit numbers); a run with more fails
    /// with `ArithmeticOverflow` naming it. Lower only in tests.
    var keyLimit = SlotIndex.maxCount

    struct Passes {
        var parallelFrom = 1 << 16
        var chunkRows = 1 << 14
    }

    /// Current keys.
    var count: Int { slotGroup.count }
    /// Groups seen (with current transactions or not).
    var groupCount: Int { groups.count }
    /// Distinct texts interned.
    var textCount: Int { grouping.texts.count }
    /// Whether the keys are used in place from a kept state's file (`PlainArray`; for tests).
    var readsStateInPlace: Bool { slotNumber.isMapped }

    /// - Parameter years: when given, only these years' groups are kept (`run --year`). Every
    /// key is still tracked, whatever its year: a revision may move a transaction into or out of
    /// a kept year, and the superseded counts cover every member.
    init(keepingYears years: Set<Int>? = nil, passes: Passes = Passes()) {
        keptYears = years.map { $0.compactMap { Int16(exactly: $0) } }
        self.passes = passes
    }

    /// Room for `size`'s keys, groups and texts from the start (a size learned from the last run):
    /// at 10 M keys, growing by doubling re-inserts every key once more and touches twice the
    /// memory, and a million texts rehashed as the dictionary doubles cost half of their interning.
    ///
    /// The arrays get an eighth more room, for the keys a nightly run's new archive adds: room
    /// reserved and not written is address space, not memory (large blocks are mapped lazily), and
    /// without it the first key past the last run's count copies every slot to twice the room.
    /// The hash tables are written whole when made (empty buckets), so they get no more than asked.
    init(expecting size: LedgerSize, keepingYears years: Set<Int>? = nil, passes: Passes = Passes()) {
        self.init(keepingYears: years, passes: passes)
        let keys = min(max(size.transactionKeys, 0), SlotIndex.maxCount)
        let groups = min(max(size.transactionGroups, 0), 1 << 28)
        let texts = min(max(size.texts ?? 0, 0), 1 << 28)
        self.keys = SlotIndex(capacity: keys)
        slotNumber.reserveCapacity(keys + keys / 8)
        slotStem.reserveCapacity(keys + keys / 8)
        slotGroup.reserveCapacity(keys + keys / 8)
        slotMember.reserveCapacity(keys + keys / 8)
        slotMantissa.reserveCapacity(keys + keys / 8)
        slotScale.reserveCapacity(keys + keys / 8)
        grouping = GroupIndex(capacity: groups, texts: texts + texts / 8)
        self.groups.reserveCapacity(groups + groups / 8)
    }

    /// How many rows ahead `apply` asks for a row's buckets: far enough for a miss to DRAM
    /// (~100 ns) to complete, near enough that the lines are still in cache when used.
    fileprivate static let prefetchDistance = 16

    /// Takes one member's transactions, in line order; calls `superseded` with the member of each
    /// record that is not current: the one replaced, or this member's own when the key's record
    /// comes from a member of higher rank.
    ///
    /// Ranks order members as revision order does (the ingest gives an archive's position): a
    /// record replaces one of lower or equal rank, so members of equal rank must come in revision
    /// order, while members of different ranks may come in any order and give the same sums.
    ///
    /// With `markingYears`, the keys of this batch's rows are marked, and the record each
    /// replaces, or that its row supersedes as it arrives, noted (`displaced`): `marks` then
    /// compares, key by key, the record current with the marking batches and without them.
    mutating func apply(
        _ batch: TransactionBatch, member: Int32, rank: Int32, markingYears: Bool = false,
        superseded: (Int32) -> Void
    ) throws(ArithmeticOverflow) {
        if members.count <= Int(member) {
            members += repeatElement((rank: 0, marksYears: false), count: Int(member) + 1 - members.count)
        }
        members[Int(member)] = (rank, markingYears)
        settledMarks = nil
        let strings = batch.strings
        let stemMap = batch.stems.map { stem -> UInt32 in
            let channelText = strings[Int(stem.channel)]
            let channel = channels[channelText] ?? UInt32(channels.count)
            if channel == channels.count { channels[channelText] = channel }
            let global = TransactionBatch.Stem(channel: channel, prefix: stem.prefix, width: stem.width)
            if let found = stems[global] { return found }
            let index = UInt32(stems.count)
            stems[global] = index
            return index
        }
        keys.reserve(keys.count + batch.count) { [slotNumber, slotStem] slot in
            SlotIndex.hash(slotNumber[Int(slot)], UInt64(slotStem[Int(slot)]))
        }
        guard batch.count > 0 else { return }
        // Read where they are: a cached batch's rows in its entry's mapping.
        try batch.withRows { rows throws(ArithmeticOverflow) in
            try apply(
                rows, of: batch, member: member, rank: rank, markingYears: markingYears, stemMap: stemMap,
                superseded: superseded)
        }
    }

    /// `apply`'s pass over the batch's rows.
    private mutating func apply(
        _ rows: UnsafeBufferPointer<TransactionBatch.Row>, of batch: TransactionBatch, member: Int32, rank: Int32,
        markingYears: Bool, stemMap: [UInt32], superseded: (Int32) -> Void
    ) throws(ArithmeticOverflow) {
        let strings = batch.strings

        // Each row's group index (-1 for a year not kept), written by the group pass.
        let rowGroups = UnsafeMutableBufferPointer<Int32>.allocate(capacity: rows.count)
        defer { rowGroups.deallocate() }
        let job = GroupPass(
            index: grouping, rows: rows, strings: strings, keptYears: keptYears, out: rowGroups,
            chunkRows: max(1, passes.chunkRows))
        grouping = GroupIndex()
        // The groups this batch makes name their texts by the batch's indices until the group
        // pass, which interns the texts, is over; then by the ledger's.
        let firstNewGroup = groups.count
        // Whatever happens below, the group pass has finished, its state is back and the new
        // groups name the ledger's texts when this returns.
        defer {
            grouping = job.finish()
            let textMap = job.textMap
            for index in firstNewGroup..<groups.count {
                groups[index].channel = textMap[Int(groups[index].channel)]
                groups[index].seller = textMap[Int(groups[index].seller)]
                groups[index].district = textMap[Int(groups[index].district)]
            }
        }
        if rows.count >= passes.parallelFrom {
            job.start()
        } else {
            job.run()
        }

        var chunkEnd = 0
        let wide = batch.wide
        for index in rows.indices {
            if index == chunkEnd {
                chunkEnd = job.waitForChunk(containing: index)
            }
            // Each row costs two probes far apart in memory (its key's bucket, its group): ask for
            // a later row's ones now, so that the misses overlap instead of stalling the loop one
            // after another (at 10 M keys, 3× faster). A group index is read only once its chunk
            // is ready.
            if index + Self.prefetchDistance < rows.count {
                let ahead = rows[index + Self.prefetchDistance]
                keys.prefetch(hash: SlotIndex.hash(ahead.number, UInt64(stemMap[Int(ahead.stem)])))
            }
            if index + Self.prefetchDistance / 2 < chunkEnd {
                let group = Int(rowGroups[index + Self.prefetchDistance / 2])
                if group >= 0 && group < groups.count {
                    groups.withUnsafeBufferPointer { grdp_prefetch_for_write($0.baseAddress! + group) }
                }
            }
            let row = rows[index]
            let g = Int(rowGroups[index])
            if g == groups.count {
                // The group pass made this group at this row: the n-th new index is the n-th group.
                groups.append(TransactionGroupTable.Group(keyOf: row) { $0 })
            }
            precondition(g < groups.count, "a group index ahead of the groups")
            let net = try row.net(wide: wide)
            var scale = row.scale
            if row.scale < 0 {
                scale = ~Int32(wideNets.count)
                wideNets.append(net)
            }
            let stem = stemMap[Int(row.stem)]
            let hash = SlotIndex.hash(row.number, UInt64(stem))
            let slot: (slot: Int32, inserted: Bool)
            if keys.count < keyLimit {
                slot = keys.findOrInsert(hash: hash, next: Int32(slotGroup.count)) {
                    slotNumber[Int($0)] == row.number && slotStem[Int($0)] == stem
                }
            } else if let found = keys.find(
                hash: hash,
                matches: {
                    slotNumber[Int($0)] == row.number && slotStem[Int($0)] == stem
                })
            {
                slot = (found, false)
            } else {
                throw ArithmeticOverflow(
                    operation:
                        "a place for more than \(keyLimit) distinct transaction keys (the revision ledger's limit)")
            }
            if slot.inserted {
                if markingYears { markedSlots.insert(slotGroup.count) }
                slotNumber.append(row.number)
                slotStem.append(stem)
                if g >= 0 {
                    groups[g].transactions += 1
                    groups[g].netVND = try groups[g].netVND + net
                }
                slotGroup.append(Int32(g))
                slotMember.append(member)
                slotMantissa.append(row.mantissa)
                slotScale.append(scale)
                continue
            }
            let s = Int(slot.slot)
            let holder = members[Int(slotMember[s])]
            if holder.rank > rank {
                // A later archive's record of this key came first: this one is superseded as it
                // arrives (its group, new or not, is left as it was). When that record is of a
                // marking member, this one may have been current before that member came: its
                // year may change too.
                if markingYears {
                    markedSlots.insert(Int(slot.slot))
                } else if holder.marksYears {
                    noteDisplaced(slot: slot.slot, rank: rank, group: g, mantissa: row.mantissa, scale: scale)
                }
                superseded(member)
                continue
            }
            // A later record of the same key: take the earlier one out of its group.
            if g >= 0 {
                groups[g].transactions += 1
                groups[g].netVND = try groups[g].netVND + net
            }
            let old = Int(slotGroup[s])
            if markingYears {
                markedSlots.insert(s)
                if !holder.marksYears {
                    noteDisplaced(
                        slot: slot.slot, rank: holder.rank, group: old, mantissa: slotMantissa[s], scale: slotScale[s])
                }
            }
            if old >= 0 {
                let oldNet =
                    slotScale[s] >= 0
                    ? ExactDecimal(mantissa: Int128(slotMantissa[s]), scale: Int(slotScale[s]))
                    : wideNets[Int(~slotScale[s])]
                groups[old].transactions -= 1
                groups[old].netVND = try groups[old].netVND - oldNet
            }
            superseded(slotMember[s])
            slotGroup[s] = Int32(g)
            slotMember[s] = member
            slotMantissa[s] = row.mantissa
            slotScale[s] = scale
        }
    }

    /// The sales keys of the touched groups of `years` (`touchedGroups`), each once, in no
    /// order: the only keys under which those years' sales rows may differ from what they were
    /// before the marking batches came. Nil when the groups could not be told. Call before
    /// `takeCurrentGroups`.
    ///
    /// The groups of one key (its statuses) are told apart from others by their texts' numbers,
    /// which are one per text: at 10 M and a night's 100,000 orders, ~44,000 keys of ~100,000
    /// groups get their strings made.
    func touchedSalesKeys(inYears years: Set<Int>) -> [SalesRowsUpdate.Key]? {
        guard let touchedGroups = marks?.groups else { return nil }
        var numbered: [(year: Int16, month: UInt8, channel: UInt32, seller: UInt32, district: UInt32)] = []
        for index in touchedGroups.members {
            // Marked before its group was made, and the apply failed: not to be told.
            guard index < groups.count else { return nil }
            let group = groups[index]
            guard years.contains(Int(group.year)) else { continue }
            numbered.append((group.year, group.month, group.channel, group.seller, group.district))
        }
        numbered.sort { $0 < $1 }
        let texts = grouping.texts
        var keys: [SalesRowsUpdate.Key] = []
        for (position, key) in numbered.enumerated() where position == 0 || numbered[position - 1] != key {
            keys.append(
                SalesRowsUpdate.Key(
                    year: Int(key.year), month: Int(key.month), channel: texts.string(Int(key.channel)),
                    seller: texts.string(Int(key.seller)), district: texts.string(Int(key.district))))
        }
        return keys
    }

    /// How many groups `years` have (with current transactions or not).
    func groupCount(inYears years: Set<Int>) -> Int {
        let wanted = years.compactMap { Int16(exactly: $0) }
        return groups.withUnsafeBufferPointer { groups in
            var count = 0
            for group in groups where wanted.contains(group.year) { count += 1 }
            return count
        }
    }

    /// The groups of the current transactions (those still holding one), in first-seen order,
    /// over the ledger's interned texts. Empties the ledger, freeing its per-key slots first: at the
    /// end of a run they are the largest thing in memory, and the groups are all Compute needs.
    ///
    /// With `years`, or else the years the ledger keeps, only those years' groups are handed over.
    mutating func takeCurrentGroups(keepingYears years: Set<Int>? = nil) -> TransactionGroupTable {
        keys = SlotIndex()
        (slotNumber, slotStem) = ([], [])
        let texts = grouping.texts.strings
        grouping = GroupIndex()
        (slotGroup, slotMember, slotMantissa, slotScale, wideNets, members) = ([], [], [], [], [], [])
        (stems, channels) = ([:], [:])
        MemoryRelease.returnFreedMemory()
        // A ledger read from a state holds every year's groups, also when it keeps only some.
        let handed = years ?? keptYears.map { Set($0.map(Int.init)) }
        // Room for every group from the start: a filter grows its array by doubling, each time
        // copying the groups so far into fresh pages. Room not written is address space only (a
        // large block is mapped lazily), so handing a year of 2.9 M groups costs that year's pages.
        // The handed years as a table by year, not a `Set` hashed once per group (2.9 M at 10 M).
        var isHanded = [Bool](repeating: handed == nil, count: 1 << 16)
        for year in handed ?? [] {
            if let year = Int16(exactly: year) { isHanded[Int(UInt16(bitPattern: year))] = true }
        }
        var current: [TransactionGroupTable.Group] = []
        current.reserveCapacity(groups.count)
        for group in groups where group.transactions != 0 && isHanded[Int(UInt16(bitPattern: group.year))] {
            current.append(group)
        }
        groups = []
        let table = TransactionGroupTable(texts: texts, nonEmptyGroups: current)
        let kept = keptYears
        self = TransactionLedger(passes: passes)
        keptYears = kept
        return table
    }

}

extension TransactionLedger {
    /// Whether the ledger holds every year's groups (not `run --year`'s): only such a ledger is
    /// kept for the next run (`LedgerStateFile`).
    var keepsEveryYear: Bool { keptYears == nil }

    /// The ledger's state for the next run (`LedgerStateFile`): everything but the members' ranks,
    /// which that run gives by its own archive order, and the years this run marked.
    func write(to writer: inout LedgerStateWriter) throws(OutputWriteError) {
        precondition(keptYears == nil, "a ledger of some years only is not kept")
        try writer.array(slotGroup)
        try writer.array(slotMember)
        try writer.array(slotMantissa)
        try writer.array(slotScale)
        try writer.array(slotNumber)
        try writer.array(slotStem)
        try keys.write(to: &writer)
        try writer.array(wideNets)
        var stemList = [TransactionBatch.Stem?](repeating: nil, count: stems.count)
        for (stem, index) in stems { stemList[Int(index)] = stem }
        let orderedStems = stemList.map { $0! }
        try writer.array(orderedStems.map(\.channel))
        try writer.array(orderedStems.map(\.width))
        try writer.blobs(orderedStems.map(\.prefix))
        var channelList = [String](repeating: "", count: channels.count)
        for (channel, index) in channels { channelList[Int(index)] = channel }
        try writer.strings(channelList)
        try grouping.write(to: &writer)
        try writer.array(groups)
        try writer.int(members.count)
    }

    /// A ledger as `write` kept it, its members ranked by `ranks` (none marking years), keeping
    /// `years`' groups from here on when given (those it read are all kept; `takeCurrentGroups`
    /// hands over only `years`').
    init(
        reading reader: inout LedgerStateReader, ranks: [Int32], keepingYears years: Set<Int>? = nil,
        passes: Passes = Passes()
    ) throws {
        self.init(keepingYears: years, passes: passes)
        typealias Malformed = LedgerStateReader.Malformed
        // The slots are used in place (mapped): a night's archive reads a few of them and
        // rewrites fewer. Each slot page a revision rewrites is copied in a fault that also
        // flushes the other core's TLB (~0.1 s for 5,000 revisions at 10 M keys, measured); reading
        // the four rewritten arrays instead took as long, on the resume's thread, and ~150 MB more.
        slotGroup = try reader.plainArray(growing: true)
        let count = slotGroup.count
        guard count <= SlotIndex.maxCount else { throw Malformed() }
        slotMember = try reader.plainArray(growing: true)
        slotMantissa = try reader.plainArray(growing: true)
        slotScale = try reader.plainArray(growing: true)
        slotNumber = try reader.plainArray(growing: true)
        slotStem = try reader.plainArray(growing: true)
        guard
            [slotMember.count, slotMantissa.count, slotScale.count, slotNumber.count, slotStem.count, slotGroup.count]
                .allSatisfy({ $0 == count })
        else { throw Malformed() }
        keys = try SlotIndex(reading: &reader)
        wideNets = try reader.array()
        let stemChannels = try reader.array(UInt32.self)
        let stemWidths = try reader.array(UInt8.self)
        let stemPrefixes = try reader.blobs()
        guard stemChannels.count == stemWidths.count, stemPrefixes.count == stemWidths.count, keys.count == count
        else { throw Malformed() }
        stems.reserveCapacity(stemChannels.count)
        for index in stemChannels.indices {
            let stem = TransactionBatch.Stem(
                channel: stemChannels[index], prefix: Array(stemPrefixes[index]), width: stemWidths[index])
            stems[stem] = UInt32(index)
        }
        for (index, channel) in try reader.strings().enumerated() { channels[channel] = UInt32(index) }
        grouping = try GroupIndex(reading: &reader)
        groups = try reader.plainArray(growing: true, mapping: false)
        guard grouping.count == groups.count, try reader.int() == ranks.count else {
            throw Malformed()
        }
        // Each slot's values as `write` wrote them, checked once (a checksum does not tell a file
        // forged past it, and the applying indexes with them): its member one of `ranks`, its group
        // none (-1) or one of `groups`, a wide net one of `wideNets`. This reads every page of the
        // three mapped arrays, which then stay resident: at 10 M keys (GRDP_LEDGER=memory) a night
        // peaked at 589 MB against 517, in the same wall time. Checking the values in the
        // checksum's pass instead would need `groups` and `wideNets`, which come after the slots.
        let memberCount = Int32(clamping: ranks.count)
        let groupCount = Int32(clamping: groups.count)
        let wideCount = Int32(clamping: wideNets.count)
        for s in 0..<count {
            let scale = slotScale[s]
            guard (0..<memberCount).contains(slotMember[s]), (-1..<groupCount).contains(slotGroup[s]),
                scale >= 0 || ~scale < wideCount
            else { throw Malformed() }
        }
        members = ranks.map { (rank: $0, marksYears: false) }
    }
}

/// The group side of the ledger: the texts (channels, sellers, districts), each interned once, and
/// each group's key (channel, seller, district, year, month, status, texts by their index) → its
/// index, in the order groups are first met.
private struct GroupIndex {
    private var table: NumberedPairs
    var count: Int { table.count }
    var texts: LedgerTexts

    init(capacity: Int = 16, texts: Int = 0) {
        table = NumberedPairs(capacity: capacity)
        self.texts = LedgerTexts(capacity: texts)
    }

    /// Writes the group of each row of `rows[range]` into `out` (-1 for a year not kept), giving
    /// a group met for the first time the next index. The batch's texts (`strings`) are interned
    /// as rows first need them, their index kept in `textMap` (`UInt32.max`: not yet), so that the
    /// key pass can start on the first chunk without waiting for every text of the batch.
    mutating func assign(
        _ rows: UnsafeBufferPointer<TransactionBatch.Row>, _ range: Range<Int>, strings: [String],
        textMap: inout [UInt32],
        keptYears: [Int16]?, into out: UnsafeMutableBufferPointer<Int32>
    ) {
        func isKept(_ row: TransactionBatch.Row) -> Bool { keptYears?.contains(row.year) ?? true }
        func text(_ local: UInt32) -> UInt64 {
            var index = textMap[Int(local)]
            if index == .max {
                index = texts.intern(strings[Int(local)])
                textMap[Int(local)] = index
            }
            return UInt64(index)
        }
        func key(_ row: TransactionBatch.Row) -> Key {
            let seller = text(row.seller)
            let district = text(row.district)
            let channel = text(row.channel)
            return Key(
                a: seller << 32 | district,
                b: channel << 32 | UInt64(UInt16(bitPattern: row.year)) << 16 | UInt64(row.month) << 8
                    | UInt64(row.status)
            )
        }
        // The table is far larger than the caches at 10 M transactions: a row's bucket is asked
        // for `distance` rows ahead and the key it holds half way, so that the misses overlap.
        // Keys are made once, when a row is first looked ahead at, and kept in a ring until used.
        let distance = TransactionLedger.prefetchDistance
        var ahead = [Key?](repeating: nil, count: distance)
        func keyAhead(_ index: Int) -> Key? {
            guard index < range.upperBound, isKept(rows[index]) else { return nil }
            return key(rows[index])
        }
        for index in range.lowerBound..<min(range.lowerBound + distance, range.upperBound) {
            ahead[index % distance] = keyAhead(index)
            if let k = ahead[index % distance] { table.prefetch(k.a, k.b) }
        }
        for index in range {
            let slot = index % distance
            let own = ahead[slot]
            let next = keyAhead(index + distance)
            ahead[slot] = next
            if let next { table.prefetch(next.a, next.b) }
            if let half = ahead[(index + distance / 2) % distance], index + distance / 2 < range.upperBound {
                table.prefetchKey(half.a, half.b)
            }
            guard let own else {
                out[index] = -1
                continue
            }
            out[index] = table.number(own.a, own.b).number
        }
    }

    private struct Key {
        var a: UInt64
        var b: UInt64
    }

    /// For the ledger state (`LedgerStateFile`).
    func write(to writer: inout LedgerStateWriter) throws(OutputWriteError) {
        try table.write(to: &writer)
        try texts.write(to: &writer)
    }

    init(reading reader: inout LedgerStateReader) throws {
        table = try NumberedPairs(reading: &reader)
        texts = try LedgerTexts(reading: &reader)
    }
}

/// The group pass of one batch (`GroupIndex.assign` over every row, a chunk at a time), run on
/// the caller's thread before the key pass (`run`) or on its own thread beside it (`start`).
private final class GroupPass: @unchecked Sendable {
    // @unchecked Sendable: `index` and `textMap` are used by one thread at a time (the pass's thread
    // from `start` until it signals `done`, the caller after `finish` has waited for that); each
    // chunk of `out`
    // is written by the pass before it signals `chunkReady` and read by the caller only after
    // waiting for that signal; `readyEnd` and `started` are the caller's alone; the rest is
    // immutable.
    private var index: GroupIndex
    /// Valid until `finish` returns: the caller's batch holds them.
    private let rows: UnsafeBufferPointer<TransactionBatch.Row>
    private let strings: [String]
    /// The batch's texts by the ledger's index, once the pass is over (`UInt32.max` for a text no
    /// kept row names).
    private(set) var textMap: [UInt32] = []
    private let keptYears: [Int16]?
    private let out: UnsafeMutableBufferPointer<Int32>
    private let chunkRows: Int
    private let chunkReady = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private var started = false
    private var readyEnd = 0

    init(
        index: GroupIndex, rows: UnsafeBufferPointer<TransactionBatch.Row>, strings: [String], keptYears: [Int16]?,
        out: UnsafeMutableBufferPointer<Int32>, chunkRows: Int
    ) {
        self.index = index
        self.rows = rows
        self.strings = strings
        self.keptYears = keptYears
        self.out = out
        self.chunkRows = chunkRows
    }

    /// Every row's group, on this thread, now.
    func run() {
        textMap = Array(repeating: .max, count: strings.count)
        index.assign(rows, rows.indices, strings: strings, textMap: &textMap, keptYears: keptYears, into: out)
        readyEnd = rows.count
    }

    /// Every row's group, on a thread of its own, a chunk at a time.
    func start() {
        started = true
        let thread = Thread { [self] in
            textMap = Array(repeating: .max, count: strings.count)
            var start = 0
            while start < rows.count {
                let end = min(start + chunkRows, rows.count)
                index.assign(
                    rows, start..<end, strings: strings, textMap: &textMap, keptYears: keptYears, into: out)
                chunkReady.signal()
                start = end
            }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Waits until the group of row `row` is written; returns the end of the rows ready.
    func waitForChunk(containing row: Int) -> Int {
        while readyEnd <= row {
            chunkReady.wait()
            readyEnd = min(readyEnd + chunkRows, rows.count)
        }
        return readyEnd
    }

    /// The group index, once the pass is over (waits for its thread).
    func finish() -> GroupIndex {
        if started {
            done.wait()
            started = false
        }
        return index
    }
}
