/// `TransactionGroup`s with their texts interned: each distinct channel, seller tax code and
/// district is one `String` in `texts`, and a group names them by index. The revision ledger keeps
/// its groups this way, so Compute gets 100,000s of groups without a `String` hash per group and
/// field: it resolves each distinct text once (seller match, va ratio, sort rank).
struct TransactionGroupTable: Sendable {
    struct Group: Sendable {
        /// Indices in `texts`.
        var channel: UInt32
        var seller: UInt32
        var district: UInt32
        var year: Int16
        var month: UInt8
        /// Index in `TransactionStatus.allCases`.
        var status: UInt8
        var transactions: Int
        /// Σ (amount − refund_amount) in VND.
        var netVND: ExactDecimal

        var transactionStatus: TransactionStatus { TransactionStatus.allCases[Int(status)] }
    }

    private var interned = InternedTexts()
    var texts: [String] { interned.texts }
    private(set) var groups: [Group] = []

    init() {}

    /// Groups over texts already interned (the ledger's), each holding transactions.
    init(texts: [String], nonEmptyGroups groups: [Group]) {
        precondition(groups.allSatisfy { $0.transactions > 0 }, "a group without transactions")
        interned = InternedTexts(texts)
        self.groups = groups
    }

    /// Appends groups keyed by strings (small inputs, tests), interning their texts.
    mutating func append(_ added: [TransactionGroup]) {
        for group in added where group.transactions > 0 {
            let key = group.key
            groups.append(
                Group(
                    channel: interned.intern(key.channel), seller: interned.intern(key.sellerTaxCode),
                    district: interned.intern(key.sellerDistrictCode), year: Int16(truncatingIfNeeded: key.year),
                    month: UInt8(truncatingIfNeeded: key.month),
                    status: UInt8(TransactionStatus.allCases.firstIndex(of: key.status)!),
                    transactions: group.transactions, netVND: group.netVND))
        }
    }

    /// Each text's rank in bytewise order: comparing ranks compares the texts.
    ///
    /// Over a million texts at 10 M transactions (sellers and their branches): each is sorted by
    /// its first sixteen bytes as two big-endian integers (zero-padded, which orders like the
    /// bytes themselves), and only texts with the same sixteen first bytes are compared in full.
    ///
    /// Only the texts some group names are ranked (the others get 0): a nightly run computing one
    /// year is handed the ledger's texts of every year, of which that year's groups name a part.
    func bytewiseRanks() -> [UInt32] {
        // Tax codes (10 to 14 bytes: a parent and its branches share the first 8) and district
        // codes differ within 16 bytes, so full comparisons are rare.
        let texts = self.texts
        var named = [Bool](repeating: false, count: texts.count)
        for group in groups {
            named[Int(group.channel)] = true
            named[Int(group.seller)] = true
            named[Int(group.district)] = true
        }
        var order: [(high: UInt64, low: UInt64, index: Int)] = []
        order.reserveCapacity(texts.count)
        for index in texts.indices where named[index] {
            var text = texts[index]
            order.append(
                text.withUTF8 { bytes in
                    var high: UInt64 = 0
                    var low: UInt64 = 0
                    for offset in 0..<8 { high = high << 8 | UInt64(offset < bytes.count ? bytes[offset] : 0) }
                    for offset in 8..<16 { low = low << 8 | UInt64(offset < bytes.count ? bytes[offset] : 0) }
                    return (high, low, index)
                })
        }
        // By the sixteen bytes (a radix sort: at 10 M, a night's 394,000 sellers of 2024 took
        // ~0.05 s of one core in a comparison sort), then texts that share them by all their bytes.
        order.radixSort(wordCount: 2) { entry, word in word == 0 ? entry.high : entry.low }
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count, order[end].high == order[start].high, order[end].low == order[start].low {
                end += 1
            }
            if end - start > 1 {
                order[start..<end].sort { a, b in bytewiseLess(texts[a.index], texts[b.index]) }
            }
            start = end
        }
        var ranks = [UInt32](repeating: 0, count: texts.count)
        for (rank, entry) in order.enumerated() { ranks[entry.index] = UInt32(rank) }
        return ranks
    }
}

extension TransactionGroupTable.Group {
    /// The key of `row`'s group, no transactions in it yet; its texts as `number` numbers them.
    @inline(__always)
    init(keyOf row: TransactionBatch.Row, numbering number: (UInt32) -> UInt32) {
        self.init(
            channel: number(row.channel), seller: number(row.seller), district: number(row.district), year: row.year,
            month: row.month, status: row.status, transactions: 0, netVND: .zero)
    }
}
