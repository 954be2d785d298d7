extension SalesRowsUpdate {
    /// A sales row's key but its `counted` flag: year, month, channel, seller and district, the
    /// grain the revision ledger's groups have but their status. The groups of one key make its
    /// one or two rows (counted and not).
    struct Key: Sendable, Equatable, SalesKeyFields {
        var year: Int
        var month: Int
        var channel: String
        var seller: String
        var district: String

        init(year: Int, month: Int, channel: String, seller: String, district: String) {
            (self.year, self.month, self.channel, self.seller, self.district) = (year, month, channel, seller, district)
        }

        /// -1, 0 or 1 as `a` sorts before, with or after `b` in the table's order (`ORDER BY`
        /// every column; texts bytewise, as SQLite's BINARY collation), whose first columns these are.
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
    /// (`RevisionLedger.touchedSalesKeys`), in no order, some more than once. One object, known by
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
            let order = keys.indices.sorted { Key.order(keys[$0], keys[$1]) < 0 }
            var distinct: [Key] = []
            distinct.reserveCapacity(order.count)
            for index in order where distinct.last.map({ Key.order($0, keys[index]) != 0 }) ?? true {
                distinct.append(keys[index])
            }
            return distinct
        }

        static func == (a: TouchedKeys, b: TouchedKeys) -> Bool { a === b }
    }

    /// How `rows` differ from the rows of the snapshot file that `file` holds the rows of some keys
    /// of (`FileRows.read(_:from:)`), when they can differ only under those keys: `rows`' rows of
    /// those keys merged with the file's. At 10 M transactions and a night's 100,000, ~70,000 keys'
    /// rows of 2024's ~700,000, read by as many lookups. Nil when `rows` hold a year not `file`'s,
    /// or are not in the table's order, or `file` holds every row of its years (the caller then
    /// diffs against every row of the years).
    static func diff(_ rows: [EcommerceSalesRow], changedOnlyUnderKeysOf file: FileRows) throws(SnapshotError)
        -> Diff?
    {
        guard let keys = file.keys else { return nil }
        let years = file.years
        var selected: [EcommerceSalesRow] = []
        let usable = rows.withUnsafeBufferPointer { rows in
            var next = 0
            for index in rows.indices {
                let row = rows[index]
                if index == 0 || row.year != rows[index - 1].year {
                    guard years.contains(row.year) else { return false }
                }
                if index > 0, Key.order(rows[index - 1], row) > 0 { return false }
                while next < keys.count {
                    let order = Key.order(keys[next], row)
                    if order == 0 { selected.append(row) }
                    if order >= 0 { break }
                    next += 1
                }
            }
            return true
        }
        guard usable else { return nil }
        var cursor = FileRows.Cursor(file: file)
        var diff = try merge(selected, with: &cursor)
        diff.keys = keys.count
        return diff
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
            "SELECT \(table.columnNames.joined(separator: ", ")) FROM \(table.name) "
                + "WHERE year = ? AND month = ? AND channel = ? AND seller_tax_code = ? AND seller_district_code = ? "
                + "ORDER BY \(table.orderByAll)")
        var rows = SalesRowsUpdate.FileRows(path: path, years: touched.years, keys: keys, touched: touched)
        for key in keys {
            try select.rebind(key.values)
            try rows.append(select, columns: table.columns.count)
        }
        return rows
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
