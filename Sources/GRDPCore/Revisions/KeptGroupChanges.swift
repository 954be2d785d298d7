/// What a night's update of the kept groups changed (`PartitionedRevisions.groups(updating:_:years:)`):
/// each kept group that the new rows, or the rows they replaced, touched, as it was before; and how
/// many groups are new (the updated table's last ones).
///
/// From them, the sales rows that the kept groups made under the sales keys the update touched
/// (`Before.rows`). When the latest snapshot's rows of those years were made from those very groups
/// with the same enterprise records (`RunCache.KeptGroupsBinding`), these are that file's rows of
/// those keys, and the rows of every other key are the same before and after: the publish compares
/// only those keys' rows (`SalesRowsUpdate.diff(_:changedOnlyUnderKeysOf:)`, checked against the
/// file's totals of the years) and reads none from the file. At 10 M transactions and a night's
/// 100,000, ~54,000 keys of 2024's ~700,000 rows, where reading and merging the year's rows from
/// the file took ~0.4 s after Compute.
struct KeptGroupChanges: Sendable {
    /// The kept groups touched, as they were.
    var before: [TransactionGroupTable.Group]
    /// How many of the updated table's groups are new: its last ones.
    var added: Int
    /// How many kept groups lost their last transaction and are gone (the log says it).
    var emptied = 0

    /// A group's sales key (year, month, channel, seller, district): its groups (one a status)
    /// make its one or two sales rows.
    fileprivate struct SalesKey: Hashable, Sendable {
        var texts: UInt64
        var time: UInt64

        init(texts: UInt64, time: UInt64) {
            (self.texts, self.time) = (texts, time)
        }

        init(_ group: TransactionGroupTable.Group) {
            texts = UInt64(group.channel) << 32 | UInt64(group.seller)
            time = UInt64(group.district) << 32 | UInt64(UInt16(bitPattern: group.year)) << 8 | UInt64(group.month)
        }
    }

    /// The groups of the touched sales keys as they were, over texts of their own (those they name),
    /// and those keys: a night's ~100,000 of 2024's ~790,000 groups at 10 M, ~5 MB.
    struct Before: Sendable {
        var texts: [String]
        var groups: [TransactionGroupTable.Group]
        /// In `texts`' numbers.
        fileprivate var keys: [SalesKey]

        /// The first month of the touched sales keys (a new group's among them), nil when there is
        /// none. The rows of the months before it are made from groups the night did not change.
        var firstMonth: (year: Int, month: Int)? {
            keys.lazy.map { key in
                (
                    Int(Int16(bitPattern: UInt16(truncatingIfNeeded: key.time >> 8))),
                    Int(UInt8(truncatingIfNeeded: key.time))
                )
            }.min { $0 < $1 }
        }

        /// The keys (distinct, in the table's order) and the sales rows Compute makes of the groups,
        /// in the table's order.
        func rows(enterprises: [EnterpriseRow], methodology: Methodology) throws
            -> (keys: [SalesRowsUpdate.Key], rows: [EcommerceSalesRow])
        {
            var input = ComputeInput(enterprises: enterprises, transactions: [], grdp: [])
            input.groupTable = TransactionGroupTable(texts: texts, nonEmptyGroups: groups)
            let rows = try IndicatorCalculator.compute(input, methodology: methodology).ecommerceSales
            // Sorted as numbers: each text ranked once (bytewise, as the table orders them), the
            // keys then by (year, month, channel, seller, district) ranks. Sorting them by their
            // texts compared took the publish's diff ~70 ms of CPU at 10 M (~54,000 keys).
            var rank = [Int](repeating: 0, count: texts.count)
            for (position, text) in texts.indices.sorted(by: { bytewiseCompare(texts[$0], texts[$1]) < 0 })
                .enumerated()
            {
                rank[text] = position
            }
            func order(_ key: SalesKey) -> (UInt64, Int, Int, Int) {
                (
                    key.time & 0xFFFF_FFFF, rank[Int(key.texts >> 32)], rank[Int(key.texts & 0xFFFF_FFFF)],
                    rank[Int(key.time >> 32)]
                )
            }
            let keys = keys.sorted { order($0) < order($1) }.map { key in
                SalesRowsUpdate.Key(
                    year: Int(Int16(bitPattern: UInt16(truncatingIfNeeded: key.time >> 8))),
                    month: Int(UInt8(truncatingIfNeeded: key.time)), channel: texts[Int(key.texts >> 32)],
                    seller: texts[Int(key.texts & 0xFFFF_FFFF)], district: texts[Int(key.time >> 32)])
            }
            return (keys, rows)
        }
    }

    /// The groups of the touched sales keys as they were before the update (the touched ones
    /// before it, the others of those keys as they are), and per group of the updated table
    /// whether its sales key is a touched one
    /// (`ComputeInput.flaggedGroups`: Compute then names the rows of those keys). `find` gives the
    /// position of the group with a key (all fields but the sums) in the updated table
    /// (`PartitionedRevisions.finder`): the groups of a touched sales key are found by its
    /// statuses, not by a pass over the table (at 10 M, 2024's ~790,000 groups, of which a night
    /// touches ~100,000).
    func pick(updated table: TransactionGroupTable, find: (TransactionGroupTable.Group) -> Int?)
        -> (before: Before, flags: [Bool])
    {
        let groups = table.groups
        let texts = table.texts
        precondition(added >= 0 && added <= groups.count, "more new groups than groups")
        let firstAdded = groups.count - added
        // Per group: 1, of a touched sales key; 2, touched (its sums before are in `before`).
        var state = [UInt8](repeating: 0, count: groups.count)
        for group in before {
            if let position = find(group) { state[position] |= 2 }
        }
        // Each text the groups before name, numbered anew in the order first named.
        var numbers = [UInt32](repeating: .max, count: texts.count)
        var ownTexts: [String] = []
        func number(_ text: UInt32) -> UInt32 {
            if numbers[Int(text)] != .max { return numbers[Int(text)] }
            let number = UInt32(ownTexts.count)
            numbers[Int(text)] = number
            ownTexts.append(texts[Int(text)])
            return number
        }
        func renumbered(_ group: TransactionGroupTable.Group) -> TransactionGroupTable.Group {
            var group = group
            group.channel = number(group.channel)
            group.seller = number(group.seller)
            group.district = number(group.district)
            return group
        }
        // The groups of those keys as they were: the touched ones before, and the untouched ones of
        // the same keys (another status), which the update left alone.
        var earlier = before.map(renumbered)
        var touchedKeys = Set<SalesKey>()
        touchedKeys.reserveCapacity(before.count + added)
        func visit(_ group: TransactionGroupTable.Group) {
            guard touchedKeys.insert(SalesKey(group)).inserted else { return }
            var probe = group
            for status in TransactionStatus.allCases.indices {
                probe.status = UInt8(status)
                guard let position = find(probe) else { continue }
                state[position] |= 1
                if state[position] & 2 == 0, position < firstAdded { earlier.append(renumbered(groups[position])) }
            }
        }
        for group in before { visit(group) }
        for group in groups[firstAdded...] { visit(group) }
        let keys = touchedKeys.map { key in
            SalesKey(
                texts: UInt64(number(UInt32(key.texts >> 32))) << 32 | UInt64(number(UInt32(key.texts & 0xFFFF_FFFF))),
                time: UInt64(number(UInt32(key.time >> 32))) << 32 | key.time & 0xFFFF_FFFF)
        }
        return (Before(texts: ownTexts, groups: earlier, keys: keys), state.map { $0 & 1 != 0 })
    }
}
