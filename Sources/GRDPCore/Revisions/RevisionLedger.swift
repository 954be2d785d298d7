/// Applies identity and revision order (CONTRACT §4.4): records in (archive order, member path
/// bytewise, line) order; a later record with the same key replaces the earlier one, which is
/// counted as superseded on the member that held it.
///
/// Archives may come in any order (the ingest reads the largest first, or a few in an order
/// that shares them out over its readers): each record is ranked by
/// its archive's position (`MemberRef.archive`), and one from an earlier archive arriving after a
/// later one's is superseded as it arrives. An archive's members must come together, in member path
/// order, so that within an archive arrival order is revision order. The result is the same
/// whatever order the archives come in.
///
/// Enterprise and GRDP records are kept whole (the snapshot lists them); transactions only as
/// sums by `TransactionGroup.Key` plus, per key, what a replacement takes back out
/// (`TransactionLedger`).
struct RevisionLedger {
    struct MemberRef: Hashable {
        var archive: Int
        var member: Int
    }

    private(set) var enterprises: [EnterpriseKey: (EnterpriseRecord, SourceLocation, MemberRef)] = [:]
    private(set) var transactions: TransactionLedger
    private(set) var grdp: [Int: (GRDPRecord, SourceLocation, MemberRef)] = [:]
    private(set) var superseded: [MemberRef: Int] = [:]
    /// Members that held transactions, by the index `TransactionLedger` keeps.
    private(set) var transactionMembers: [TransactionMember] = []

    struct TransactionMember: Equatable {
        var ref: MemberRef
        /// Its accepted transactions.
        var rows: Int
        /// How many of them are superseded (also counted in `superseded`, with its other records).
        var superseded = 0
    }

    /// - Parameters:
    ///   - size: the last run's, if known, to size the transaction ledger from the start.
    ///   - years: when given, only these years' transaction groups are kept (`run --year`).
    init(expecting size: LedgerSize? = nil, keepingYears years: Set<Int>? = nil) {
        transactions =
            size.map { TransactionLedger(expecting: $0, keepingYears: years) }
            ?? TransactionLedger(keepingYears: years)
    }

    /// A ledger whose transactions are those of a state kept by an earlier run (`LedgerStateFile`):
    /// `members` are its members with transactions, by the ledger's index, as this run's archives
    /// number them, with their superseded transactions. Their other records (enterprises, GRDP)
    /// are not in it: their archives are applied with `transactionsKept`.
    init(resuming transactions: TransactionLedger, members: [TransactionMember]) {
        self.transactions = transactions
        takeTransactionMembers(members)
    }

    /// Takes the members with transactions and their superseded rows as a kept state or
    /// `PartitionedRevisions` found them, for a ledger that was given no transactions (each
    /// archive applied with `transactionsKept`).
    mutating func takeTransactionMembers(_ members: [TransactionMember]) {
        precondition(transactionMembers.isEmpty, "the ledger holds transaction members")
        transactionMembers = members
        for member in members where member.superseded > 0 { superseded[member.ref, default: 0] += member.superseded }
    }

    /// How large the transaction ledger is now.
    var size: LedgerSize {
        LedgerSize(
            transactionKeys: transactions.count, transactionGroups: transactions.groupCount,
            texts: transactions.textCount)
    }

    /// The current transactions' groups, for Compute (only `years`' when given); the ledger's
    /// transactions are emptied.
    mutating func takeTransactionGroups(keepingYears years: Set<Int>? = nil) -> TransactionGroupTable {
        transactions.takeCurrentGroups(keepingYears: years)
    }

    /// The years whose figures the members applied with `markingYears` may have changed: the
    /// years of their records, and of the transactions current without them, where a key's
    /// current transaction differs in group or net with them from without them
    /// (`TransactionLedger.marks`). A year's figures depend on that year's records only (CONTRACT
    /// §5), so every other year is as it was before those members came. Nil when a transaction's
    /// year could not be told (a year not kept, under `run --year`).
    var touchedYears: Set<Int>? {
        transactions.touchedYears.map { Set($0.map(Int.init)).union(recordYears) }
    }
    private var recordYears: Set<Int> = []

    /// Takes what the marking members changed once, for `touchedYears`, `touchedSalesKeys` and
    /// `transactionsResentUnchanged` (`TransactionLedger.settleMarks`); after the last member.
    mutating func settleMarks() {
        transactions.settleMarks()
    }

    /// Transactions of the members applied with `markingYears` that re-sent the record they
    /// replaced unchanged: they touched no year (`TransactionLedger.Marks.resentUnchanged`).
    var transactionsResentUnchanged: Int { transactions.marks?.resentUnchanged ?? 0 }

    /// Transactions the members applied with `markingYears` took the place of though dated in
    /// another year, by the year they left (`TransactionLedger.yearsLeft`).
    var transactionsMovedOut: [Int: Int] {
        Dictionary(uniqueKeysWithValues: transactions.yearsLeft.map { (Int($0.key), $0.value) })
    }

    /// The sales keys under which the rows of `years` may differ from before the members applied
    /// with `markingYears` came (`TransactionLedger.touchedSalesKeys`), each once, in no order;
    /// every other row of those years is as it was. Nil when those members held records (an
    /// enterprise record decides how all its year's sales of its seller count, CONTRACT §5) or the
    /// groups could not be told; nil too when they are more than a fifth of those years' groups:
    /// each key costs its strings, its place in their sort and a lookup in the latest file, where
    /// reading every row of the years costs ~1 µs a row (at 1 M transactions and a night's
    /// 100,000 orders, ~30 % of 2024's groups touched: 0.2–0.3 s more CPU than reading the year;
    /// at 10 M, ~10 %: 0.3–0.5 s less). Call before `takeTransactionGroups`.
    func touchedSalesKeys(inYears years: Set<Int>) -> [SalesRowsUpdate.Key]? {
        guard recordYears.isEmpty, let keys = transactions.touchedSalesKeys(inYears: years),
            keys.count * 5 <= transactions.groupCount(inYears: years)
        else { return nil }
        return keys
    }

    /// Takes one member's accepted rows, in line order. With `markingYears`, the years the member
    /// touches go to `touchedYears`. With `transactionsKept`, its transactions are not taken: the
    /// ledger was resumed from a state that holds them (`init(resuming:members:)`).
    mutating func apply(
        _ member: MemberResult, archivePath: String, ref: MemberRef, markingYears: Bool = false,
        transactionsKept: Bool = false
    ) throws(ArithmeticOverflow) {
        for (line, record) in member.accepted {
            let location = SourceLocation(archivePath: archivePath, memberPath: member.path, line: line)
            let loser: MemberRef?
            switch record {
            case .enterprise(let e):
                let key = EnterpriseKey(taxCode: e.taxCode, year: e.year)
                loser = Self.keep((e, location, ref), at: key, in: &enterprises)
                if markingYears { recordYears.insert(e.year) }
            case .transaction:
                preconditionFailure("transactions come in member.transactions")
            case .grdp(let g):
                loser = Self.keep((g, location, ref), at: g.year, in: &grdp)
                if markingYears { recordYears.insert(g.year) }
            }
            if let loser { superseded[loser, default: 0] += 1 }
        }
        guard member.transactions.count > 0, !transactionsKept else { return }
        let index = Int32(transactionMembers.count)
        transactionMembers.append(TransactionMember(ref: ref, rows: member.transactions.count))
        var replaced: [Int32: Int] = [:]
        do throws(ArithmeticOverflow) {
            try transactions.apply(
                member.transactions, member: index, rank: Int32(ref.archive), markingYears: markingYears
            ) {
                replaced[$0, default: 0] += 1
            }
        } catch {
            // The sums overflowed while this member's rows were added: name it, where to look first.
            throw ArithmeticOverflow(
                operation: "\(error.operation), adding the transactions of \(archivePath), member \(member.path)")
        }
        for (old, count) in replaced {
            superseded[transactionMembers[Int(old)].ref, default: 0] += count
            transactionMembers[Int(old)].superseded += count
        }
    }

    /// Keeps `value` under `key` unless a record of a later archive holds it; returns the member
    /// whose record is superseded, if any.
    private static func keep<Key: Hashable, Record>(
        _ value: (Record, SourceLocation, MemberRef), at key: Key,
        in table: inout [Key: (Record, SourceLocation, MemberRef)]
    ) -> MemberRef? {
        guard let old = table[key] else {
            table[key] = value
            return nil
        }
        if old.2.archive > value.2.archive { return value.2 }
        table[key] = value
        return old.2
    }
}
