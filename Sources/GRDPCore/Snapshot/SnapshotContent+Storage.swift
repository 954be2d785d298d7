internal import CSQLite

/// One row of a snapshot table, put column by column into a `RowValueSink`: the statement that
/// inserts it, or the content hash taken from memory (`ContentHash.computeMarking(of:)`). Both
/// read a row's stored values from this one description, so the hash of what was bound is the
/// hash of what the file holds.
protocol SnapshotTableRow: Sendable {
    static var table: SnapshotSchema.Table { get }
    /// Every column's value, in the table's column order.
    func put<Sink: RowValueSink & ~Copyable>(into sink: inout Sink) throws(SnapshotError)
}

/// Takes a row's values left to right, as SQLite stores them.
protocol RowValueSink: ~Copyable {
    /// The snapshot file the values are for (in errors).
    var path: String { get }
    mutating func int(_ value: Int) throws(SnapshotError)
    mutating func text(_ value: String) throws(SnapshotError)
    /// An exact amount, stored as its canonical text (`ExactDecimal.reduced`'s).
    mutating func exact(_ value: ExactDecimal) throws(SnapshotError)
    mutating func value(_ value: SQLValue) throws(SnapshotError)
}

extension RowValueSink where Self: ~Copyable {
    mutating func bool(_ value: Bool) throws(SnapshotError) {
        try int(value ? 1 : 0)
    }

    /// A published figure as REAL (`SQLValue.published`).
    mutating func published(
        _ figure: ExactDecimal?, decimals: Int, at place: @autoclosure () -> String
    ) throws(SnapshotError) {
        try value(.published(figure, decimals: decimals, at: place(), path))
    }
}

extension SourceArchiveRow: SnapshotTableRow {
    static var table: SnapshotSchema.Table { SnapshotSchema.sourceArchive }
    func put<Sink: RowValueSink & ~Copyable>(into sink: inout Sink) throws(SnapshotError) {
        try sink.text(path)
        try sink.text(sha256)
        try sink.value(.integer(bytes))
        try sink.text(status)
        try sink.value(.optionalText(reason))
    }
}

extension SourceMemberRow: SnapshotTableRow {
    static var table: SnapshotSchema.Table { SnapshotSchema.sourceMember }
    func put<Sink: RowValueSink & ~Copyable>(into sink: inout Sink) throws(SnapshotError) {
        try sink.text(archivePath)
        try sink.text(memberPath)
        try sink.text(kind)
        try sink.int(rowsRead)
        try sink.int(rowsAccepted)
        try sink.int(rowsQuarantined)
        try sink.int(rowsSuperseded)
        try sink.int(rowsExcluded)
    }
}

extension EnterpriseRow: SnapshotTableRow {
    static var table: SnapshotSchema.Table { SnapshotSchema.enterprise }
    func put<Sink: RowValueSink & ~Copyable>(into sink: inout Sink) throws(SnapshotError) {
        try sink.text(taxCode)
        try sink.int(year)
        try sink.text(name)
        try sink.text(vsic)
        try sink.text(section)
        try sink.text(districtCode)
        try sink.exact(valueAddedMVND)
        try sink.bool(isCore)
        try sink.text(source.archivePath)
        try sink.text(source.memberPath)
        try sink.int(source.line)
    }
}

extension EcommerceSalesRow: SnapshotTableRow {
    static var table: SnapshotSchema.Table { SnapshotSchema.ecommerceSales }
    func put<Sink: RowValueSink & ~Copyable>(into sink: inout Sink) throws(SnapshotError) {
        try sink.int(year)
        try sink.int(month)
        try sink.text(channel)
        try sink.text(sellerTaxCode)
        try sink.text(sellerDistrictCode)
        try sink.int(transactions)
        try sink.exact(netVND)
        try sink.exact(vaVND)
        try sink.bool(counted)
    }
}

extension GRDPRow: SnapshotTableRow {
    static var table: SnapshotSchema.Table { SnapshotSchema.grdp }
    func put<Sink: RowValueSink & ~Copyable>(into sink: inout Sink) throws(SnapshotError) {
        try sink.int(year)
        try sink.exact(grdpBVND)
        try sink.text(source.archivePath)
        try sink.text(source.memberPath)
        try sink.int(source.line)
    }
}

extension IndicatorRow: SnapshotTableRow {
    static var table: SnapshotSchema.Table { SnapshotSchema.indicator }
    func put<Sink: RowValueSink & ~Copyable>(into sink: inout Sink) throws(SnapshotError) {
        let money = SnapshotSchema.moneyDecimals
        let percent = SnapshotSchema.percentDecimals
        let year = self.year
        try sink.int(year)
        try sink.published(grdpBVND, decimals: money, at: "indicator.grdp_bvnd, year \(year)")
        try sink.published(coreBVND, decimals: money, at: "indicator.core_bvnd, year \(year)")
        try sink.published(ecommerceBVND, decimals: money, at: "indicator.ecommerce_bvnd, year \(year)")
        try sink.published(digitisedBVND, decimals: money, at: "indicator.digitised_bvnd, year \(year)")
        try sink.published(deBVND, decimals: money, at: "indicator.de_bvnd, year \(year)")
        try sink.published(sharePct, decimals: percent, at: "indicator.share_pct, year \(year)")
        try sink.published(targetPct, decimals: percent, at: "indicator.target_pct, year \(year)")
        try sink.text(targetKind.rawValue)
        try sink.published(gapPp, decimals: percent, at: "indicator.gap_pp, year \(year)")
        try sink.text(status.rawValue)
    }
}

extension DistrictIndicatorRow: SnapshotTableRow {
    static var table: SnapshotSchema.Table { SnapshotSchema.indicatorByDistrict }
    func put<Sink: RowValueSink & ~Copyable>(into sink: inout Sink) throws(SnapshotError) {
        let money = SnapshotSchema.moneyDecimals
        let place = "indicator_by_district, year \(year), district \(districtCode)"
        try sink.int(year)
        try sink.text(districtCode)
        try sink.published(coreBVND, decimals: money, at: place + ", core_bvnd")
        try sink.published(ecommerceBVND, decimals: money, at: place + ", ecommerce_bvnd")
        try sink.published(digitisedBVND, decimals: money, at: place + ", digitised_bvnd")
        try sink.published(deBVND, decimals: money, at: place + ", de_bvnd")
    }
}

extension QuarantineRow: SnapshotTableRow {
    static var table: SnapshotSchema.Table { SnapshotSchema.quarantine }
    func put<Sink: RowValueSink & ~Copyable>(into sink: inout Sink) throws(SnapshotError) {
        try sink.text(archivePath)
        try sink.text(memberPath)
        try sink.int(line)
        try sink.text(kind)
        try sink.text(reason)
        try sink.text(detail)
        try sink.text(raw)
    }
}

extension TargetPointRow: SnapshotTableRow {
    static var table: SnapshotSchema.Table { SnapshotSchema.targetPoint }
    func put<Sink: RowValueSink & ~Copyable>(into sink: inout Sink) throws(SnapshotError) {
        try sink.int(year)
        try sink.exact(sharePct)
        try sink.text(source)
    }
}

extension DistrictRow: SnapshotTableRow {
    static var table: SnapshotSchema.Table { SnapshotSchema.district }
    func put<Sink: RowValueSink & ~Copyable>(into sink: inout Sink) throws(SnapshotError) {
        try sink.text(code)
        try sink.text(name)
    }
}

/// The rows of one content table, whatever their type: what the insert and the memory hash walk.
struct TableRows: Sendable {
    let table: SnapshotSchema.Table
    let count: Int
    /// Calls `body` with every row, in the content's order.
    let forEach: @Sendable ((any SnapshotTableRow) throws(SnapshotError) -> Void) throws(SnapshotError) -> Void
    let insert: @Sendable (Database) throws(SnapshotError) -> Void

    init<Row: SnapshotTableRow>(_ rows: [Row]) {
        table = Row.table
        count = rows.count
        forEach = { body throws(SnapshotError) in
            for row in rows { try body(row) }
        }
        insert = { database throws(SnapshotError) in try insertRows(rows, database) }
    }

    init<Row: SnapshotTableRow>(_ rows: StreamedRows<Row>) {
        table = Row.table
        count = rows.count
        forEach = { body throws(SnapshotError) in try snapshotErrors { try rows.forEach(body) } }
        insert = { database throws(SnapshotError) in
            try RowInserter<Row>(database, rows: rows.count).insert(rows)
        }
    }
}

/// SnapshotContent ⇄ rows of the snapshot tables.
extension SnapshotContent {
    /// Every content table's rows, in `SnapshotSchema.contentTables`' order.
    var tables: [TableRows] {
        [
            TableRows(sourceArchives), TableRows(sourceMembers), TableRows(enterprises), TableRows(ecommerceSales),
            TableRows(grdp), TableRows(indicators), TableRows(districtIndicators),
            streamedQuarantine.map { TableRows($0) } ?? TableRows(quarantine),
            TableRows(targetPoints), TableRows(districts),
        ]
    }

    /// Inserts every row. The caller holds the transaction.
    func insert(into database: Database) throws(SnapshotError) {
        for rows in tables {
            try rows.insert(database)
        }
    }

    /// Reads every table back, rows in key order (`ORDER BY` every column, natural key first);
    /// without `includingRecords`, all but `enterprise`, `ecommerce_sales` and `grdp`; without
    /// `includingSales`, all but `ecommerce_sales`; without `includingQuarantine`, all but
    /// `quarantine`.
    init(
        loadingFrom database: Database, includingRecords: Bool = true, includingSales: Bool = true,
        includingQuarantine: Bool = true
    ) throws(SnapshotError) {
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
        if includingQuarantine {
            quarantine = try loadRows(S.quarantine, database) { (row: inout RowDecoder) throws(SnapshotError) in
                QuarantineRow(
                    archivePath: try row.text(), memberPath: try row.text(), line: try row.int(),
                    kind: try row.text(), reason: try row.text(), detail: try row.text(), raw: try row.text())
            }
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
                year: try row.int(in: EcommerceSalesRow.years), month: try row.int(in: EcommerceSalesRow.months),
                channel: try row.text(), sellerTaxCode: try row.text(),
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

/// `rows` (an array, or a slice of one, not copied) inserted into their table.
func insertRows<Row: SnapshotTableRow, Rows: RandomAccessCollection<Row>>(_ rows: Rows, _ database: Database)
    throws(SnapshotError) where Rows.Index == Int
{
    let inserter = try RowInserter<Row>(database, rows: rows.count)
    var start = rows.startIndex
    while rows.endIndex - start >= RowInserter<Row>.batch {
        try inserter.insertBatch(rows[start..<start + RowInserter<Row>.batch])
        start += RowInserter<Row>.batch
    }
    try inserter.insertOneByOne(rows[start...])
}

/// Inserts a table's rows: `batch` rows a statement (at most 64 × 11 parameters, far below
/// SQLite's limit), the last few one by one.
struct RowInserter<Row: SnapshotTableRow> {
    static var batch: Int { 64 }
    private let database: Database
    private let batchStatement: Statement?

    /// - Parameter rows: how many rows will be inserted (a batch statement is prepared only for
    ///   `batch` or more).
    init(_ database: Database, rows: Int) throws(SnapshotError) {
        self.database = database
        batchStatement = rows >= Self.batch ? try database.prepare(Row.table.insertSQL(rows: Self.batch)) : nil
    }

    /// Exactly `batch` rows, with one statement.
    func insertBatch<Rows: Collection<Row>>(_ rows: Rows) throws(SnapshotError) {
        precondition(rows.count == Self.batch, "a batch statement takes \(Self.batch) rows")
        try batchStatement!.insertRow { (binder: inout Statement.ParameterBinder) throws(SnapshotError) in
            for row in rows { try row.put(into: &binder) }
        }
    }

    func insertOneByOne<Rows: Collection<Row>>(_ rows: Rows) throws(SnapshotError) {
        guard !rows.isEmpty else { return }
        let statement = try database.prepare(Row.table.insertSQL)
        for row in rows {
            try statement.insertRow { (binder: inout Statement.ParameterBinder) throws(SnapshotError) in
                try row.put(into: &binder)
            }
        }
    }

    /// Inserts rows given one at a time (`StreamedRows`), a batch held at a time.
    func insert(_ rows: StreamedRows<Row>) throws(SnapshotError) {
        var pending: [Row] = []
        pending.reserveCapacity(Self.batch)
        try snapshotErrors {
            // (`StreamedRows.forEach` is its own: there is no for-in to use.)
            // swift-format-ignore: ReplaceForEachWithForLoop
            try rows.forEach { row in
                pending.append(row)
                guard pending.count == Self.batch, batchStatement != nil else { return }
                try insertBatch(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        try insertOneByOne(pending)
    }
}

/// `body`'s error as a `SnapshotError`: its own, or (from where streamed rows are kept) one that
/// names it.
private func snapshotErrors(_ body: () throws -> Void) throws(SnapshotError) {
    do {
        try body()
    } catch let error as SnapshotError {
        throw error
    } catch {
        throw SnapshotError(code: .cacheChanged, message: "rows to insert could not be read: \(error)", path: "")
    }
}

private func loadRows<Row>(
    _ table: SnapshotSchema.Table, _ database: Database,
    _ decode: (inout RowDecoder) throws(SnapshotError) -> Row
) throws(SnapshotError) -> [Row] {
    let statement = try database.prepare(table.selectAllSQL())
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
        _ value: ExactDecimal?, decimals: Int, at place: @autoclosure () -> String, _ path: String
    ) throws(SnapshotError) -> SQLValue {
        guard let value else { return .null }
        let double = value.doubleValue
        guard let back = ExactDecimal(storedDouble: double, decimals: decimals), back == value else {
            throw SnapshotError(
                code: .unrepresentableValue,
                message: "\(place()): \(value) is not a figure rounded to \(decimals) decimals that a REAL column "
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

    /// An integer within `range` (a sales row's year and month, kept in 16 and 8 bits).
    mutating func int(in range: ClosedRange<Int>) throws(SnapshotError) -> Int {
        let (value, column) = next()
        guard case .integer(let integer) = value, range.contains(Int(integer)) else {
            throw invalid(column, value, expected: "an INTEGER from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(integer)
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
