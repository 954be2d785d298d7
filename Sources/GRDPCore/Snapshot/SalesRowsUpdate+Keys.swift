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

        init(years: Set<Int>, keys: [Key]) {
            (self.years, self.keys) = (years, keys)
        }

        /// The keys in the table's order, each once.
        func sortedDistinct() -> [Key] {
            // Indices sorted, not keys: a key is three strings, and moving it costs their retains.
            keys.withUnsafeBufferPointer { keys in
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
                for index in rows.indices {
                    add(
                        transactions: rows[index].transactions, counted: rows[index].counted,
                        amounts: Self.amountTerm(rows[index].netVND) + Self.amountTerm(rows[index].vaVND), sign: 1)
                }
            }
        }

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

        /// The same of a stored value: a TEXT's longest integer prefix (a sign, digits), an
        /// INTEGER's value; nil for other types.
        static func amountTerm(stored value: SQLValue) -> Int? {
            switch value {
            case .integer(let integer): return Int(integer % amountModulus)
            case .text(let text):
                var bytes = Substring(text).utf8[...]
                let negative = bytes.first == UInt8(ascii: "-")
                if negative || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
                var magnitude: UInt64 = 0
                var saturated = false
                for byte in bytes {
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
                    let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
                    let (plus, o2) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                    if o1 || o2 { saturated = true }
                    magnitude = plus
                }
                let whole: Int64
                if negative {
                    whole = saturated || magnitude > UInt64(Int64.max) ? .min : -Int64(magnitude)
                } else {
                    whole = saturated || magnitude > UInt64(Int64.max) ? .max : Int64(magnitude)
                }
                return Int(whole % amountModulus)
            default: return nil
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
        let years = file.years
        var selected: [EcommerceSalesRow] = []
        let usable: Bool
        if let positions = file.computedRows {
            // Named by Compute: each must be under a key, in order (a walk of those rows and the
            // keys alone); that none is missing, the totals tell below.
            usable = rows.withUnsafeBufferPointer { rows in
                var next = 0
                for (offset, position) in positions.enumerated() {
                    guard position >= 0, position < rows.count, offset == 0 || positions[offset - 1] < position,
                        years.contains(rows[position].year)
                    else { return false }
                    let row = rows[position]
                    if offset > 0, Key.order(selected[offset - 1], row) > 0 { return false }
                    while next < keys.count, Key.order(keys[next], row) < 0 { next += 1 }
                    guard next < keys.count, Key.order(keys[next], row) == 0 else { return false }
                    selected.append(row)
                }
                return true
            }
        } else {
            usable = rows.withUnsafeBufferPointer { rows in
                var next = 0
                for index in rows.indices {
                    if index == 0 || rows[index].year != rows[index - 1].year {
                        guard years.contains(rows[index].year) else { return false }
                    }
                    if index > 0, Key.order(rows[index - 1], rows[index]) > 0 { return false }
                    while next < keys.count {
                        let order = Key.order(keys[next], rows[index])
                        if order == 0 { selected.append(rows[index]) }
                        if order >= 0 { break }
                        next += 1
                    }
                }
                return true
            }
        }
        guard usable else { return .notUsable }
        var cursor = FileRows.Cursor(file: file)
        var diff = try merge(selected, with: &cursor)
        diff.keys = keys.count
        var after = before
        for values in diff.gone {
            guard case .integer(let transactions) = values[transactionsColumn],
                case .integer(let counted) = values[countedColumn],
                let net = Totals.amountTerm(stored: values[netColumn]),
                let va = Totals.amountTerm(stored: values[vaColumn])
            else { return .missed(Missed(file: after, computed: Totals(rows))) }
            after.add(transactions: Int(transactions), counted: counted != 0, amounts: net + va, sign: -1)
        }
        for row in diff.added {
            after.add(
                transactions: row.transactions, counted: row.counted,
                amounts: Totals.amountTerm(row.netVND) + Totals.amountTerm(row.vaVND), sign: 1)
        }
        let computed = Totals(rows)
        guard after == computed else { return .missed(Missed(file: after, computed: computed)) }
        return .diff(diff)
    }

    /// Where a stored sales row's transactions and counted flag are.
    private static let transactionsColumn = SnapshotSchema.ecommerceSales.columnNames.firstIndex(of: "transactions")!
    private static let netColumn = SnapshotSchema.ecommerceSales.columnNames.firstIndex(of: "net_vnd")!
    private static let vaColumn = SnapshotSchema.ecommerceSales.columnNames.firstIndex(of: "va_vnd")!
    private static let countedColumn = SnapshotSchema.ecommerceSales.columnNames.firstIndex(of: "counted")!
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
            "SELECT \(table.columnNames.joined(separator: ", ")) FROM \(table.name) "
                + "WHERE year = ? AND month = ? AND channel = ? AND seller_tax_code = ? AND seller_district_code = ? "
                + "ORDER BY \(table.orderByAll)")
        var rows = SalesRowsUpdate.FileRows(path: path, years: touched.years, keys: keys, touched: touched)
        for key in keys {
            try select.rebind(key.values)
            try rows.append(select, columns: table.columns.count)
        }
        rows.yearTotals = try yearTotals(touched.years, in: database)
        return rows
    }

    /// The rows of `touched`'s keys that the snapshot file at `path` holds when its rows of those
    /// years were made from the groups `rows` were (`KeptGroupChanges.rowsBefore`, in the table's
    /// order), with that file's totals of the years, read from it: the diff checks the rows
    /// against them, as it checks rows read from the file.
    /// `computedRows`: where the computed rows of those keys will be, when Compute named them.
    /// `yearTotals`: the file's totals of the years, when read already (`yearTotals(_:file:)`).
    static func made(
        _ rows: [EcommerceSalesRow], of touched: SalesRowsUpdate.TouchedKeys, file path: String,
        computedRows: [Int]? = nil, yearTotals totals: SalesRowsUpdate.Totals? = nil
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
        if let totals {
            made.yearTotals = totals
        } else {
            made.yearTotals = try yearTotals(touched.years, file: path)
        }
        return made
    }

    /// The totals of the sales rows of `years` in the snapshot file at `path`, read only.
    static func yearTotals(_ years: Set<Int>, file path: String) throws(SnapshotError) -> SalesRowsUpdate.Totals {
        let database = try Database(path: path, mode: .readOnlyImmutable)
        defer { database.close() }
        return try yearTotals(years, in: database)
    }

    /// The totals of the sales rows of `years` in `database`, for the diff's check (a scan of two
    /// columns: ~0.05 s at 10 M).
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
