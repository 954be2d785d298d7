internal import CMemory

/// How large a run's transaction ledger grew: the next run's `TransactionLedger(expecting:)`.
/// Only a capacity; any value gives the same results.
struct LedgerSize: Codable, Equatable {
    var transactionKeys: Int
    var transactionGroups: Int
}

/// The current transactions of a run, kept small (CONTRACT §4.4: key (channel, transaction_id),
/// the later record wins; "later" by the rank its member is given, so archives may come in any
/// order). For each key it holds only what a replacement must take back out of the
/// sums — the record's group, its net amount and the member that held it — and the groups hold
/// the sums Compute reads (`TransactionGroup`). Exact: keys and amounts are never hashed or
/// rounded away (a key is an interned stem and a number; see `TransactionBatch`).
///
/// About 46 bytes a key: a bucket of `PairTable` (16 bytes, the table at most ⅝ full) and a slot (20).
struct TransactionLedger {
    /// Per slot (a current key): its group (-1 for a year not kept), the member that holds it, its
    /// net amount.
    private var slotGroup: [Int32] = []
    private var slotMember: [Int32] = []
    private var slotMantissa: [Int64] = []
    /// Scale of the net; when negative, `~scale` indexes `wideNets`.
    private var slotScale: [Int32] = []
    private var wideNets: [ExactDecimal] = []
    /// Per member: its rank (see `apply`).
    private var memberRanks: [Int32] = []
    /// (number, stem) → slot.
    private var keys = PairTable<UInt32>()

    private var stems: [TransactionBatch.Stem: UInt32] = [:]
    private var strings: [String: UInt32] = [:]
    private var stringValues: [String] = []

    private var groupTable = PairTable<UInt64>()
    /// Per group: channel, seller, district (indices in `stringValues`), year, month, status index.
    /// Per group: its key (texts as indices in `stringValues`), transactions and net sum — the
    /// form Compute reads, so that handing the groups over is a filter, not a conversion.
    private var groups: [TransactionGroupTable.Group] = []
    /// The years whose groups are kept (`run --year`); nil keeps every year.
    private var keptYears: [Int16]?

    /// Current keys.
    var count: Int { slotGroup.count }
    /// Groups seen (with current transactions or not).
    var groupCount: Int { groups.count }

    /// - Parameter years: when given, only these years' groups are kept (`run --year`). Every
    /// key is still tracked, whatever its year: a revision may move a transaction into or out of
    /// a kept year, and the superseded counts cover every member.
    init(keepingYears years: Set<Int>? = nil) {
        keptYears = years.map { $0.compactMap { Int16(exactly: $0) } }
    }

    /// Room for `size`'s keys and groups from the start (a size learned from the last run): at
    /// 10 M keys, growing by doubling re-inserts every key once more and touches twice the memory.
    init(expecting size: LedgerSize, keepingYears years: Set<Int>? = nil) {
        self.init(keepingYears: years)
        let keys = min(max(size.transactionKeys, 0), 1 << 28)
        let groups = min(max(size.transactionGroups, 0), 1 << 28)
        self.keys = PairTable(capacity: keys)
        slotGroup.reserveCapacity(keys)
        slotMember.reserveCapacity(keys)
        slotMantissa.reserveCapacity(keys)
        slotScale.reserveCapacity(keys)
        groupTable = PairTable(capacity: groups)
        self.groups.reserveCapacity(groups)
    }

    /// How many rows ahead `apply` asks for a row's buckets: far enough for a miss to DRAM
    /// (~100 ns) to complete, near enough that the lines are still in cache when used.
    private static let prefetchDistance = 16

    /// Takes one member's transactions, in line order; calls `superseded` with the member of each
    /// record that is not current: the one replaced, or this member's own when the key's record
    /// comes from a member of higher rank.
    ///
    /// Ranks order members as revision order does (the ingest gives an archive's position): a
    /// record replaces one of lower or equal rank, so members of equal rank must come in revision
    /// order, while members of different ranks may come in any order and give the same sums.
    mutating func apply(_ batch: TransactionBatch, member: Int32, rank: Int32, superseded: (Int32) -> Void)
        throws(ArithmeticOverflow)
    {
        if memberRanks.count <= Int(member) {
            memberRanks += repeatElement(0, count: Int(member) + 1 - memberRanks.count)
        }
        memberRanks[Int(member)] = rank
        let stringMap = batch.strings.map { intern($0) }
        let stemMap = batch.stems.map { stem -> UInt32 in
            let global = TransactionBatch.Stem(
                channel: stringMap[Int(stem.channel)], prefix: stem.prefix, width: stem.width)
            if let found = stems[global] { return found }
            let index = UInt32(stems.count)
            stems[global] = index
            return index
        }
        keys.reserve(keys.count + batch.count)
        // The key of a row's group and of its slot, as `PairTable` keys.
        func groupKey(_ row: TransactionBatch.Row) -> (UInt64, UInt64) {
            let seller = UInt64(stringMap[Int(row.seller)])
            let district = UInt64(stringMap[Int(row.district)])
            let channel = UInt64(stringMap[Int(row.channel)])
            return (
                seller << 32 | district,
                channel << 32 | UInt64(UInt16(bitPattern: row.year)) << 16 | UInt64(row.month) << 8
                    | UInt64(row.status)
            )
        }
        func slotKey(_ row: TransactionBatch.Row) -> (UInt64, UInt32) {
            (row.number, stemMap[Int(row.stem)])
        }
        let rows = batch.rows
        let keptYears = self.keptYears
        func isKept(_ row: TransactionBatch.Row) -> Bool { keptYears?.contains(row.year) ?? true }
        for index in rows.indices {
            // Each row costs three probes far apart in memory (its group's bucket, the group, its
            // key's bucket): ask for a later row's ones now, so that the misses overlap instead of
            // stalling the loop one after another (at 10 M keys, 3× faster).
            if index + Self.prefetchDistance < rows.count {
                let ahead = rows[index + Self.prefetchDistance]
                if isKept(ahead) {
                    let (g1, g2) = groupKey(ahead)
                    groupTable.prefetch(g1, g2)
                }
                let (k1, k2) = slotKey(ahead)
                keys.prefetch(k1, k2)
            }
            if index + Self.prefetchDistance / 2 < rows.count, isKept(rows[index + Self.prefetchDistance / 2]) {
                let (g1, g2) = groupKey(rows[index + Self.prefetchDistance / 2])
                if let group = groupTable.find(g1, g2) {
                    groups.withUnsafeBufferPointer { grdp_prefetch_for_write($0.baseAddress! + Int(group)) }
                }
            }
            let row = rows[index]
            // The row's group, or -1 for a year not kept.
            var g = -1
            if isKept(row) {
                let (g1, g2) = groupKey(row)
                let group = groupTable.findOrInsert(g1, g2) { Int32(groups.count) }
                if group.inserted {
                    groups.append(
                        TransactionGroupTable.Group(
                            channel: UInt32(g2 >> 32), seller: UInt32(g1 >> 32),
                            district: UInt32(truncatingIfNeeded: g1), year: row.year, month: row.month,
                            status: row.status, transactions: 0, netVND: .zero))
                }
                g = Int(group.value)
            }
            let net: ExactDecimal
            var scale = row.scale
            if row.scale >= 0 {
                net = ExactDecimal(mantissa: Int128(row.mantissa), scale: Int(row.scale))
            } else {
                let pair = batch.wide[Int(~row.scale)]
                net = try pair.amount - pair.refund
                scale = ~Int32(wideNets.count)
                wideNets.append(net)
            }
            let (k1, k2) = slotKey(row)
            let slot = keys.findOrInsert(k1, k2) { Int32(slotGroup.count) }
            if slot.inserted {
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
            let s = Int(slot.value)
            if memberRanks[Int(slotMember[s])] > rank {
                // A later archive's record of this key came first: this one is superseded as it
                // arrives (its group, new or not, is left as it was).
                superseded(member)
                continue
            }
            // A later record of the same key: take the earlier one out of its group.
            if g >= 0 {
                groups[g].transactions += 1
                groups[g].netVND = try groups[g].netVND + net
            }
            let old = Int(slotGroup[s])
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

    /// The groups of the current transactions (those still holding one), in first-seen order,
    /// over the ledger's interned texts. Empties the ledger, freeing its per-key slots first: at the
    /// end of a run they are the largest thing in memory, and the groups are all Compute needs.
    mutating func takeCurrentGroups() -> TransactionGroupTable {
        keys = PairTable()
        groupTable = PairTable()
        (slotGroup, slotMember, slotMantissa, slotScale, wideNets, memberRanks) = ([], [], [], [], [], [])
        (stems, strings) = ([:], [:])
        MemoryRelease.returnFreedMemory()
        var current = groups
        groups = []
        current.removeAll { $0.transactions == 0 }
        let table = TransactionGroupTable(texts: stringValues, nonEmptyGroups: current)
        let kept = keptYears
        self = TransactionLedger()
        keptYears = kept
        return table
    }

    private mutating func intern(_ text: String) -> UInt32 {
        if let id = strings[text] { return id }
        let id = UInt32(stringValues.count)
        strings[text] = id
        stringValues.append(text)
        return id
    }
}
