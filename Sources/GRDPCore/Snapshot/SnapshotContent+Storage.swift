internal import CSQLite

/// SnapshotContent ⇄ rows of the snapshot tables.
extension SnapshotContent {
    /// Inserts every row. The caller holds the transaction.
    func insert(into database: Database) throws(SnapshotError) {
        typealias S = SnapshotSchema
        let money = S.moneyDecimals
        let percent = S.percentDecimals

        try insertRows(sourceArchives, into: S.sourceArchive, database) { row, bind throws(SnapshotError) in
            try bind.text(row.path)
            try bind.text(row.sha256)
            try bind.value(.integer(row.bytes))
            try bind.text(row.status)
            try bind.value(.optionalText(row.reason))
        }
        try insertRows(sourceMembers, into: S.sourceMember, database) { row, bind throws(SnapshotError) in
            try bind.text(row.archivePath)
            try bind.text(row.memberPath)
            try bind.text(row.kind)
            try bind.int(row.rowsRead)
            try bind.int(row.rowsAccepted)
            try bind.int(row.rowsQuarantined)
            try bind.int(row.rowsSuperseded)
            try bind.int(row.rowsExcluded)
        }
        try insertRows(enterprises, into: S.enterprise, database) { row, bind throws(SnapshotError) in
            try bind.text(row.taxCode)
            try bind.int(row.year)
            try bind.text(row.name)
            try bind.text(row.vsic)
            try bind.text(row.section)
            try bind.text(row.districtCode)
            try bind.exact(row.valueAddedMVND)
            try bind.bool(row.isCore)
            try bind.text(row.source.archivePath)
            try bind.text(row.source.memberPath)
            try bind.int(row.source.line)
        }
        try insertRows(ecommerceSales, into: S.ecommerceSales, database) { row, bind throws(SnapshotError) in
            try bind.int(row.year)
            try bind.int(row.month)
            try bind.text(row.channel)
            try bind.text(row.sellerTaxCode)
            try bind.text(row.sellerDistrictCode)
            try bind.int(row.transactions)
            try bind.exact(row.netVND)
            try bind.exact(row.vaVND)
            try bind.bool(row.counted)
        }
        try insertRows(grdp, into: S.grdp, database) { row, bind throws(SnapshotError) in
            try bind.int(row.year)
            try bind.exact(row.grdpBVND)
            try bind.text(row.source.archivePath)
            try bind.text(row.source.memberPath)
            try bind.int(row.source.line)
        }
        let insertIndicator = try database.prepare(S.indicator.insertSQL)
        for row in indicators {
            func real(_ value: ExactDecimal?, _ column: String, _ decimals: Int) throws(SnapshotError) -> SQLValue {
                try .published(value, decimals: decimals, at: "indicator.\(column), year \(row.year)", database.path)
            }
            let values: [SQLValue] = [
                .int(row.year), try real(row.grdpBVND, "grdp_bvnd", money), try real(row.coreBVND, "core_bvnd", money),
                try real(row.ecommerceBVND, "ecommerce_bvnd", money),
                try real(row.digitisedBVND, "digitised_bvnd", money), try real(row.deBVND, "de_bvnd", money),
                try real(row.sharePct, "share_pct", percent), try real(row.targetPct, "target_pct", percent),
                .text(row.targetKind.rawValue), try real(row.gapPp, "gap_pp", percent), .text(row.status.rawValue),
            ]
            try insertIndicator.run(values)
        }
        let insertDistrict = try database.prepare(S.indicatorByDistrict.insertSQL)
        for row in districtIndicators {
            let place = "indicator_by_district, year \(row.year), district \(row.districtCode)"
            let values: [SQLValue] = [
                .int(row.year), .text(row.districtCode),
                try .published(row.coreBVND, decimals: money, at: place + ", core_bvnd", database.path),
                try .published(row.ecommerceBVND, decimals: money, at: place + ", ecommerce_bvnd", database.path),
                try .published(row.digitisedBVND, decimals: money, at: place + ", digitised_bvnd", database.path),
                try .published(row.deBVND, decimals: money, at: place + ", de_bvnd", database.path),
            ]
            try insertDistrict.run(values)
        }
        try insertRows(quarantine, into: S.quarantine, database) { row, bind throws(SnapshotError) in
            try bind.text(row.archivePath)
            try bind.text(row.memberPath)
            try bind.int(row.line)
            try bind.text(row.kind)
            try bind.text(row.reason)
            try bind.text(row.detail)
            try bind.text(row.raw)
        }
        try insertRows(targetPoints, into: S.targetPoint, database) { row, bind throws(SnapshotError) in
            try bind.int(row.year)
            try bind.exact(row.sharePct)
            try bind.text(row.source)
        }
        try insertRows(districts, into: S.district, database) { row, bind throws(SnapshotError) in
            try bind.text(row.code)
            try bind.text(row.name)
        }
    }

    /// Reads every table back, rows in key order (`ORDER BY` every column, natural key first);
    /// without `includingRecords`, all but `enterprise`, `ecommerce_sales` and `grdp`; without
    /// `includingSales`, all but `ecommerce_sales`.
    init(loadingFrom database: Database, includingRecords: Bool = true, includingSales: Bool = true)
        throws(SnapshotError)
    {
        typealias S = SnapshotSchema
        let money = S.moneyDecimals
        self.init()
        sourceArchives = try loadRows(S.sourceArchive, database) { (row: inout RowDecoder) throws(SnapshotError) in
            SourceArchiveRow(
                path: try row.text(), sha256: try row.text(), bytes: try row.int64(), status: try row.text(),
                reason: try row.optionalText())
        }
        sourceMembers = try loadRows(S.sourceMember, database) { (row: inout RowDecoder) throws(SnapshotError) in
            SourceMemberRow(
                archivePath: try row.text(), memberPath: try row.text(), kind: try row.text(),
                rowsRead: try row.int(), rowsAccepted: try row.int(), rowsQuarantined: try row.int(),
                rowsSuperseded: try row.int(), rowsExcluded: try row.int())
        }
        if includingRecords { try loadRecords(from: database, includingSales: includingSales) }
        indicators = try SnapshotContent.loadIndicators(from: database)
        districtIndicators = try loadRows(S.indicatorByDistrict, database) {
            (row: inout RowDecoder) throws(SnapshotError) in
            DistrictIndicatorRow(
                year: try row.int(), districtCode: try row.text(), coreBVND: try row.published(money),
                ecommerceBVND: try row.published(money), digitisedBVND: try row.published(money),
                deBVND: try row.published(money))
        }
        quarantine = try loadRows(S.quarantine, database) { (row: inout RowDecoder) throws(SnapshotError) in
            QuarantineRow(
                archivePath: try row.text(), memberPath: try row.text(), line: try row.int(), kind: try row.text(),
                reason: try row.text(), detail: try row.text(), raw: try row.text())
        }
        targetPoints = try loadRows(S.targetPoint, database) { (row: inout RowDecoder) throws(SnapshotError) in
            TargetPointRow(year: try row.int(), sharePct: try row.exact(), source: try row.text())
        }
        districts = try loadRows(S.district, database) { (row: inout RowDecoder) throws(SnapshotError) in
            DistrictRow(code: try row.text(), name: try row.text())
        }
    }
}

extension SnapshotContent {
    /// `enterprise`, `ecommerce_sales` (unless not `includingSales`) and `grdp`, rows in key order.
    fileprivate mutating func loadRecords(from database: Database, includingSales: Bool) throws(SnapshotError) {
        typealias S = SnapshotSchema
        enterprises = try loadRows(S.enterprise, database) { (row: inout RowDecoder) throws(SnapshotError) in
            EnterpriseRow(
                taxCode: try row.text(), year: try row.int(), name: try row.text(), vsic: try row.text(),
                section: try row.text(), districtCode: try row.text(), valueAddedMVND: try row.exact(),
                isCore: try row.bool(),
                source: SourceLocation(archivePath: try row.text(), memberPath: try row.text(), line: try row.int()))
        }
        if includingSales { try loadSales(from: database) }
        grdp = try loadRows(S.grdp, database) { (row: inout RowDecoder) throws(SnapshotError) in
            GRDPRow(
                year: try row.int(), grdpBVND: try row.exact(),
                source: SourceLocation(archivePath: try row.text(), memberPath: try row.text(), line: try row.int()))
        }
    }

    private mutating func loadSales(from database: Database) throws(SnapshotError) {
        ecommerceSales = try loadRows(SnapshotSchema.ecommerceSales, database) {
            (row: inout RowDecoder) throws(SnapshotError) in
            EcommerceSalesRow(
                year: try row.int(), month: try row.int(), channel: try row.text(), sellerTaxCode: try row.text(),
                sellerDistrictCode: try row.text(), transactions: try row.int(), netVND: try row.exact(),
                vaVND: try row.exact(), counted: try row.bool())
        }
    }
}

extension SnapshotContent {
    /// The `indicator` table alone, rows by year (for `snapshots` and `diff`, which need no more).
    static func loadIndicators(from database: Database) throws(SnapshotError) -> [IndicatorRow] {
        let money = SnapshotSchema.moneyDecimals
        let percent = SnapshotSchema.percentDecimals
        return try loadRows(SnapshotSchema.indicator, database) { (row: inout RowDecoder) throws(SnapshotError) in
            IndicatorRow(
                year: try row.int(), grdpBVND: try row.optionalPublished(money), coreBVND: try row.published(money),
                ecommerceBVND: try row.published(money), digitisedBVND: try row.published(money),
                deBVND: try row.published(money), sharePct: try row.optionalPublished(percent),
                targetPct: try row.optionalPublished(percent), targetKind: try row.enumeration(),
                gapPp: try row.optionalPublished(percent), status: try row.enumeration())
        }
    }
}

private func insertRows<Row>(
    _ rows: [Row], into table: SnapshotSchema.Table, _ database: Database,
    _ bind: (Row, inout Statement.ParameterBinder) throws(SnapshotError) -> Void
) throws(SnapshotError) {
    // 64 rows a statement (at most 64 × 11 parameters, far below SQLite's limit), then one by one.
    let batch = 64
    var start = rows.startIndex
    if rows.count >= batch {
        let statement = try database.prepare(table.insertSQL(rows: batch))
        while rows.endIndex - start >= batch {
            try statement.insertRow { (binder: inout Statement.ParameterBinder) throws(SnapshotError) in
                for row in rows[start..<start + batch] { try bind(row, &binder) }
            }
            start += batch
        }
    }
    let statement = try database.prepare(table.insertSQL)
    for row in rows[start...] {
        try statement.insertRow { (binder: inout Statement.ParameterBinder) throws(SnapshotError) in
            try bind(row, &binder)
        }
    }
}

private func loadRows<Row>(
    _ table: SnapshotSchema.Table, _ database: Database,
    _ decode: (inout RowDecoder) throws(SnapshotError) -> Row
) throws(SnapshotError) -> [Row] {
    let sql =
        "SELECT " + table.columnNames.joined(separator: ", ") + " FROM \(table.name) ORDER BY \(table.orderByAll)"
    let statement = try database.prepare(sql)
    var rows: [Row] = []
    while try statement.step() {
        var decoder = RowDecoder(statement: statement, table: table, path: database.path)
        rows.append(try decode(&decoder))
    }
    return rows
}

extension SQLValue {
    static func int(_ value: Int) -> SQLValue { .integer(Int64(value)) }
    static func bool(_ value: Bool) -> SQLValue { .integer(value ? 1 : 0) }
    static func optionalText(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }

    /// A published figure as REAL, after checking that it reads back exactly at `decimals` places:
    /// a figure that cannot (too many digits, or not rounded) is a bug upstream and is not stored.
    static func published(
        _ value: ExactDecimal?, decimals: Int, at place: String, _ path: String
    ) throws(SnapshotError) -> SQLValue {
        guard let value else { return .null }
        let double = value.doubleValue
        guard let back = ExactDecimal(storedDouble: double, decimals: decimals), back == value else {
            throw SnapshotError(
                code: .unrepresentableValue,
                message: "\(place): \(value) is not a figure rounded to \(decimals) decimals that a REAL column "
                    + "holds exactly; refusing to store it",
                path: path)
        }
        return .real(double)
    }
}

/// Reads the columns of one row left to right, with errors naming table and column.
struct RowDecoder {
    let statement: Statement
    let table: SnapshotSchema.Table
    let path: String
    private var index = 0

    init(statement: Statement, table: SnapshotSchema.Table, path: String) {
        self.statement = statement
        self.table = table
        self.path = path
    }

    private mutating func next() -> (SQLValue, String) {
        defer { index += 1 }
        return (statement.value(at: index), table.columns[index].name)
    }

    private func invalid(_ column: String, _ value: SQLValue, expected: String) -> SnapshotError {
        SnapshotError(
            code: .invalidSnapshot, message: "\(table.name).\(column) holds \(value), expected \(expected)",
            path: path)
    }

    mutating func text() throws(SnapshotError) -> String {
        let (value, column) = next()
        guard case .text(let text) = value else { throw invalid(column, value, expected: "TEXT") }
        return text
    }

    mutating func optionalText() throws(SnapshotError) -> String? {
        let (value, column) = next()
        switch value {
        case .null: return nil
        case .text(let text): return text
        default: throw invalid(column, value, expected: "TEXT or NULL")
        }
    }

    mutating func int64() throws(SnapshotError) -> Int64 {
        let (value, column) = next()
        guard case .integer(let integer) = value else { throw invalid(column, value, expected: "INTEGER") }
        return integer
    }

    mutating func int() throws(SnapshotError) -> Int {
        Int(try int64())
    }

    mutating func bool() throws(SnapshotError) -> Bool {
        let (value, column) = next()
        switch value {
        case .integer(0): return false
        case .integer(1): return true
        default: throw invalid(column, value, expected: "0 or 1")
        }
    }

    mutating func exact() throws(SnapshotError) -> ExactDecimal {
        let (value, column) = next()
        guard case .text(let text) = value, let decimal = ExactDecimal(canonical: text) else {
            throw invalid(column, value, expected: "a canonical decimal as TEXT")
        }
        return decimal
    }

    mutating func published(_ decimals: Int) throws(SnapshotError) -> ExactDecimal {
        let (value, column) = next()
        guard case .real(let double) = value, let decimal = ExactDecimal(storedDouble: double, decimals: decimals)
        else { throw invalid(column, value, expected: "a finite REAL") }
        return decimal
    }

    mutating func optionalPublished(_ decimals: Int) throws(SnapshotError) -> ExactDecimal? {
        if statement.columnType(at: index) == SQLITE_NULL {
            index += 1
            return nil
        }
        return try published(decimals)
    }

    mutating func enumeration<T: RawRepresentable<String>>() throws(SnapshotError) -> T {
        let (value, column) = next()
        guard case .text(let text) = value, let result = T(rawValue: text) else {
            throw invalid(column, value, expected: "one of the \(T.self) values")
        }
        return result
    }
}
