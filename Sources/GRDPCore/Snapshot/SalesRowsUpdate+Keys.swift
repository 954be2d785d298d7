extension SalesRowsUpdate {
    /// A sales row's key but its `counted` flag: year, month, channel, seller and district, the
    /// grain the revision ledger's groups have but their status. The groups of one key make its
    /// one or two rows (counted and not).
    struct Key: Sendable, SalesKeyFields {
        var year: Int
        var month: Int
        var channel: String
        var seller: String
        var district: String

        /// -1, 0 or 1 as `a` sorts before, with or after `b` in the table's order (`ORDER BY`
        /// every column; texts bytewise, as SQLite's BINARY collation), whose first columns these are.
        @inline(__always)
        static func order(_ a: some SalesKeyFields, _ b: some SalesKeyFields) -> Int {
            if a.year != b.year { return a.year < b.year ? -1 : 1 }
            if a.month != b.month { return a.month < b.month ? -1 : 1 }
            let channel = bytewiseCompare(a.channel, b.channel)
            if channel != 0 { return channel }
            let seller = bytewiseCompare(a.seller, b.seller)
            if seller != 0 { return seller }
            return bytewiseCompare(a.district, b.district)
        }

        /// The values bound to the key's five `?` in `FileRows.read(keys:from:)`.
        var values: [SQLValue] {
            [.integer(Int64(year)), .integer(Int64(month)), .text(channel), .text(seller), .text(district)]
        }
    }

    /// The keys under which the computed rows of some years may differ from the latest file's
    /// (`RevisionLedger.touchedSalesKeys`), in any order, repeats allowed. One object, known by
    /// its identity: the file's rows of these keys read ahead (`FileRows.read(_:from:)`) are
    /// those of the keys the publish is given.
    final class TouchedKeys: Sendable, Equatable {
        let years: Set<Int>
        let keys: [Key]
        /// Whether `keys` were given in the table's order, each once (`KeptGroupChanges.Before.rows`).
        private let given: Bool

        /// - Parameter sortedDistinct: `keys` are in the table's order, each once (checked).
        init(years: Set<Int>, keys: [Key], sortedDistinct: Bool = false) {
            (self.years, self.keys, given) = (years, keys, sortedDistinct)
        }

        /// The keys in the table's order, each once.
        func sortedDistinct() -> [Key] {
            // Given so: checked in one pass, the keys compared as they are sorted below.
            if given, keys.indices.dropFirst().allSatisfy({ Key.order(keys[$0 - 1], keys[$0]) < 0 }) {
                return keys
            }
            // Indices sorted, not keys: a key is three strings, and moving it costs their retains.
            return keys.withUnsafeBufferPointer { keys in
                let order = keys.indices.sorted { Key.order(keys[$0], keys[$1]) < 0 }
                var distinct: [Key] = []
                distinct.reserveCapacity(order.count)
                for index in order where distinct.last.map({ Key.order($0, keys[index]) != 0 }) ?? true {
                    distinct.append(keys[index])
                }
                return distinct
            }
        }

        static func == (a: TouchedKeys, b: TouchedKeys) -> Bool { a === b }
    }

    /// A year's sales rows counted: how many, their transactions, how many are counted, and a
    /// checksum of their amounts. Exact integers, so that the file's after a diff is its totals
    /// before, less the gone rows', plus the added rows'.
    ///
    /// `amounts` is Σ over the rows of `amountTerm` of `net_vnd` and of `va_vnd`: the integer part
    /// of the stored text, as SQLite's `CAST(... AS INTEGER)` reads it, modulo a prime. A row kept
    /// because the diff took it for unchanged, whose amounts in the file differ from the computed
    /// ones by a VND or more, would make the sums differ (the counts alone would not see it).
    struct Totals: Equatable, Sendable, CustomStringConvertible {
        var rows = 0
        var transactions = 0
        var counted = 0
        var amounts = 0

        init(rows: Int = 0, transactions: Int = 0, counted: Int = 0, amounts: Int = 0) {
            (self.rows, self.transactions, self.counted, self.amounts) = (rows, transactions, counted, amounts)
        }

        init(_ rows: [EcommerceSalesRow]) {
            rows.withUnsafeBufferPointer { rows in
                for index in rows.indices { add(rows[index], sign: 1) }
            }
        }

        /// Adds (`sign` 1) or takes away (-1) a computed row.
        mutating func add(_ row: borrowing EcommerceSalesRow, sign: Int) {
            add(
                transactions: row.transactions, counted: row.counted,
                amounts: Self.amountTerm(row.netVND) + Self.amountTerm(row.vaVND), sign: sign)
        }

        /// Adds or takes away a row as stored (every column, in the table's order); false when its
        /// values are not of a sales row's types.
        mutating func add(stored values: [SQLValue], sign: Int) -> Bool {
            guard case .integer(let transactions) = values[Self.transactionsColumn],
                case .integer(let counted) = values[Self.countedColumn],
                let net = Self.amountTerm(stored: values[Self.netColumn]),
                let va = Self.amountTerm(stored: values[Self.vaColumn])
            else { return false }
            add(transactions: Int(transactions), counted: counted != 0, amounts: net + va, sign: sign)
            return true
        }

        /// Where a stored sales row's columns are.
        private static let columns = SnapshotSchema.ecommerceSales.columnNames
        private static let transactionsColumn = columns.firstIndex(of: "transactions")!
        private static let countedColumn = columns.firstIndex(of: "counted")!
        private static let netColumn = columns.firstIndex(of: "net_vnd")!
        private static let vaColumn = columns.firstIndex(of: "va_vnd")!

        mutating func add(transactions: Int, counted: Bool, amounts: Int, sign: Int) {
            rows += sign
            self.transactions &+= sign * transactions
            self.counted += counted ? sign : 0
            self.amounts += sign * amounts
        }

        /// The prime the amount terms are taken modulo (each below it: no sum over billions of
        /// rows overflows).
        static let amountModulus: Int64 = 1_000_000_007

        /// `CAST(text AS INTEGER) % amountModulus` of an amount's stored text
        /// (`ExactDecimal.storageText`): its integer part (toward zero), clamped to 64 bits as the
        /// cast does, remainder with the dividend's sign as SQLite's `%`. The integer part, not every
        /// digit: SQLite reads it in a third of the time `replace` then `CAST` takes, and the scan runs
        /// beside Compute, which wants both cores.
        static func amountTerm(_ amount: ExactDecimal) -> Int {
            let reduced = amount.reduced
            let whole: Int64
            if reduced.scale <= 0 {
                whole = Int64(clamping: reduced.mantissa)
            } else if reduced.scale <= 18, let small = Int64(exactly: reduced.mantissa) {
                var power: Int64 = 1
                for _ in 0..<reduced.scale { power *= 10 }
                whole = small / power
            } else {
                var value = reduced.mantissa
                for _ in 0..<reduced.scale { value /= 10 }
                whole = Int64(clamping: value)
            }
            return Int(whole % amountModulus)
        }

        /// The same of a stored value: an amount's canonical TEXT (as `storageText` writes it), an
        /// INTEGER; nil for anything else (the diff then compares every row).
        static func amountTerm(stored value: SQLValue) -> Int? {
            switch value {
            case .integer(let integer): Int(integer % amountModulus)
            case .text(let text): ExactDecimal(canonical: text).map(amountTerm)
            default: nil
            }
        }

        var description: String {
            "\(rows) rows, \(transactions) transactions, \(counted) counted, amounts checksum \(amounts)"
        }
    }

    /// A diff of the touched keys that did not add up: the file's totals of the written years
    /// with the difference applied, and the computed rows'.
    struct Missed: Equatable, Sendable, CustomStringConvertible {
        var file: Totals
        var computed: Totals

        var description: String { "the file's rows would be \(file), the computed ones are \(computed)" }
    }

    /// What `diff(_:changedOnlyUnderKeysOf:)` found.
    enum KeysDiff {
        /// The difference.
        case diff(Diff)
        /// Not to be had from those keys: `rows` hold a year not the file's or are out of the
        /// table's order, or the file's rows are every row of its years.
        case notUsable
        /// The keys missed a change: the file's rows of the years, with the difference applied,
        /// would not add up to `rows`' (a row gone or added, a transaction or a counted flag
        /// elsewhere). A mark the revision ledger failed to make; the caller compares every row.
        case missed(Missed)
    }

    /// How `rows` differ from the rows of the snapshot file that `file` holds the rows of some keys
    /// of (`FileRows.read(_:from:)`), when they can differ only under those keys: `rows`' rows of
    /// those keys merged with the file's. At 10 M transactions and a night's 100,000, ~44,000 keys'
    /// rows of 2024's ~700,000, read by as many lookups.
    ///
    /// Checked, because it trusts the revision ledger's marks: with the difference applied, the
    /// file's totals of the years (`FileRows.yearTotals`, read with the keys' rows) must be
    /// `rows`' totals; else `missed`.
    static func diff(_ rows: [EcommerceSalesRow], changedOnlyUnderKeysOf file: FileRows) throws(SnapshotError)
        -> KeysDiff
    {
        guard let keys = file.keys, let before = file.yearTotals else { return .notUsable }
        // Named by Compute, each must be under a key (that none is missing, the totals tell
        // below); else the rows under the keys are picked from every row.
        guard let selected = selecting(rows, underKeys: keys, years: file.years, at: file.computedRows)
        else { return .notUsable }
        var cursor = FileRows.Cursor(file: file)
        var diff = try merge(selected, with: &cursor)
        diff.keys = keys.count
        var after = before
        for values in diff.gone where !after.add(stored: values, sign: -1) {
            return .missed(Missed(file: after, computed: Totals(rows)))
        }
        for row in diff.added { after.add(row, sign: 1) }
        let computed = Totals(rows)
        guard after == computed else { return .missed(Missed(file: after, computed: computed)) }
        return .diff(diff)
    }

    /// The rows among `rows` (those at `positions`, ascending, when given; else every one) that
    /// are under one of `keys` (sorted, each once), in order; nil when one of them is not of
    /// `years`, they are out of the table's order, or, given `positions`, one is under none.
    private static func selecting(
        _ rows: [EcommerceSalesRow], underKeys keys: [Key], years: Set<Int>, at positions: [Int]?
    ) -> [EcommerceSalesRow]? {
        var selected: [EcommerceSalesRow] = []
        let ordered = rows.withUnsafeBufferPointer { rows in
            var next = 0
            var previous: Int?
            for step in 0..<(positions?.count ?? rows.count) {
                let index = positions?[step] ?? step
                guard index >= 0, index < rows.count else { return false }
                if let previous {
                    guard previous < index, rows[previous].year == rows[index].year || years.contains(rows[index].year),
                        Key.order(rows[previous], rows[index]) <= 0
                    else { return false }
                } else {
                    guard years.contains(rows[index].year) else { return false }
                }
                previous = index
                while next < keys.count, Key.order(keys[next], rows[index]) < 0 { next += 1 }
                if next < keys.count, Key.order(keys[next], rows[index]) == 0 {
                    selected.append(rows[index])
                } else if positions != nil {
                    return false
                }
            }
            return true
        }
        return ordered ? selected : nil
    }

}

extension SalesRowsUpdate.FileRows {
    /// The rows of `touched`'s keys in the snapshot file at `path`, in the table's order, read
    /// only; `keys` then holds those keys sorted, each once.
    static func read(_ touched: SalesRowsUpdate.TouchedKeys, from path: String) throws(SnapshotError)
        -> SalesRowsUpdate.FileRows
    {
        let keys = touched.sortedDistinct()
        let database = try Database(path: path, mode: .readOnlyImmutable)
        defer { database.close() }
        let table = SnapshotSchema.ecommerceSales
        // The key's columns are the primary key's first five: each lookup is a seek in its b-tree.
        let select = try database.prepare(
            table.selectAllSQL(
                where: "year = ? AND month = ? AND channel = ? AND seller_tax_code = ? AND seller_district_code = ?"))
        var rows = SalesRowsUpdate.FileRows(path: path, years: touched.years, keys: keys, touched: touched)
        for key in keys {
            try select.rebind(key.values)
            try rows.append(select, columns: table.columns.count)
        }
        rows.yearTotals = try yearTotals(touched.years, in: database)
        return rows
    }

    /// The rows of `touched`'s keys that the snapshot file at `path` holds when its rows of those
    /// years were made from the groups `rows` were (`KeptGroupChanges.Before.rows`, in the table's
    /// order), with that file's totals of the years, read from it: the diff checks the rows
    /// against them, as it checks rows read from the file.
    /// `computedRows`: where the computed rows of those keys will be, when Compute named them.
    /// `yearTotals`: the file's totals of the years (`yearTotals(_:file:)`, read beside Compute).
    static func made(
        _ rows: [EcommerceSalesRow], of touched: SalesRowsUpdate.TouchedKeys, file path: String,
        computedRows: [Int]? = nil, yearTotals totals: SalesRowsUpdate.Totals
    ) throws(SnapshotError) -> SalesRowsUpdate.FileRows {
        var made = SalesRowsUpdate.FileRows(
            path: path, years: touched.years, keys: touched.sortedDistinct(), touched: touched)
        made.madeFromKeptGroups = true
        made.computedRows = computedRows
        for (index, row) in rows.enumerated() {
            guard touched.years.contains(row.year),
                index == 0 || EcommerceSalesRow.storedOrder(rows[index - 1], row) < 0
            else {
                throw SnapshotError(
                    code: .invalidSnapshot, message: "the kept groups' rows are not of the years or not in order",
                    path: path)
            }
            try made.append(row)
        }
        made.yearTotals = totals
        return made
    }

    /// The totals of the sales rows of `years` in the snapshot file at `path`, read only.
    static func yearTotals(_ years: Set<Int>, file path: String) throws(SnapshotError) -> SalesRowsUpdate.Totals {
        let database = try Database(path: path, mode: .readOnlyImmutable)
        defer { database.close() }
        return try yearTotals(years, in: database)
    }

    /// The totals of the sales rows of `years` in `database`, for the diff's check: a scan of four
    /// columns, the amounts' integer parts cast (at 10 M, ~0.1–0.2 s of one core, beside Compute).
    private static func yearTotals(_ years: Set<Int>, in database: Database) throws(SnapshotError)
        -> SalesRowsUpdate.Totals
    {
        let modulus = SalesRowsUpdate.Totals.amountModulus
        let totals = try database.prepare(
            "SELECT count(*), coalesce(sum(transactions), 0), coalesce(sum(counted), 0), "
                + "coalesce(sum(CAST(net_vnd AS INTEGER) % \(modulus) + CAST(va_vnd AS INTEGER) % \(modulus)), 0) "
                + "FROM \(SnapshotSchema.ecommerceSales.name) WHERE year IN (\(CarriedSales.sqlList(years)))")
        guard try totals.step() else {
            throw SnapshotError(code: .invalidSnapshot, message: "no totals of the sales rows", path: database.path)
        }
        return SalesRowsUpdate.Totals(
            rows: Int(totals.int64(at: 0)), transactions: Int(totals.int64(at: 1)), counted: Int(totals.int64(at: 2)),
            amounts: Int(totals.int64(at: 3)))
    }
}

/// What `SalesRowsUpdate.Key.order` compares: a key, or a row by its key's columns.
protocol SalesKeyFields {
    var year: Int { get }
    var month: Int { get }
    var channel: String { get }
    var seller: String { get }
    var district: String { get }
}

extension EcommerceSalesRow: SalesKeyFields {
    var seller: String { sellerTaxCode }
    var district: String { sellerDistrictCode }
}
