internal import Foundation

/// The content hash taken from the rows a publish inserts, on another core while they are
/// inserted, instead of reading the finished file back (at 1 M transactions ~0.4 s of two cores
/// after the insert; at 10 M ~1.5 s).
///
/// Both read a row's stored values from one description (`SnapshotTableRow.put`): the statement
/// binds them, this serialises them as `ContentHash` serialises a row read from SQLite, in the
/// order `ORDER BY` every column gives (SQLite's: NULL, then numbers, then text bytewise). Values
/// are taken as SQLite keeps them: a REAL −0.0 reads back as 0.0, a NaN as NULL. `verify` still
/// reads every file back, and the tests compare both ways on every table.
extension ContentHash {
    /// The sales rows of a publish that starts from (or copies rows of) another snapshot file.
    struct Carrying {
        /// The years whose sales rows come from the rows in memory; every other year's come from
        /// the file carried from.
        var exceptYears: Set<Int>
        /// Where the hash of that file stood at each month (nil: no marks, nothing to go on from).
        var resume: Resume?
    }

    /// The hash and marks that `computeMarking(database, resume: carrying?.resume)` gives for the
    /// file holding exactly `content`'s rows (plus, with `carrying`, the carried file's sales rows
    /// of the other years); nil when they cannot be known from memory, and the file is to be read
    /// back instead:
    /// - the sales rows (which are not sorted here: Compute gives them in the table's order) are
    ///   not in that order;
    /// - rows are carried and the hash cannot go on from the carried file's marks past every
    ///   carried row (a carried year after the first year written here, marks that do not fit).
    /// - Parameter path: the file the rows go to (in errors).
    static func computeMarking(of content: SnapshotContent, path: String, carrying: Carrying?)
        throws(SnapshotError) -> (hash: String, marks: Marks?)?
    {
        var serializer = Serializer()
        serializer.string(formatTag)
        var marks: Marks?
        for rows in content.tables.sorted(by: { bytewiseLess($0.table.name, $1.table.name) }) {
            guard rows.table.name == markedTable else {
                try serialize(rows, path: path, into: &serializer)
                continue
            }
            header(rows.table, into: &serializer)
            guard let sales = try salesRows(content.ecommerceSales, path: path, carrying: carrying, into: &serializer)
            else { return nil }
            marks = sales.marks
            serializer.tag("E")
            serializer.count(sales.rowCount)
        }
        return (serializer.finish(), marks)
    }

    /// A table's header as the hash serialises it: its name and its columns' names.
    private static func header(_ table: SnapshotSchema.Table, into serializer: inout Serializer) {
        serializer.tag("T")
        serializer.string(table.name)
        serializer.count(table.columns.count)
        for column in table.columns { serializer.string(column.name) }
    }

    /// A table other than the sales table, whole: its header, its rows sorted, its end.
    private static func serialize(_ rows: TableRows, path: String, into serializer: inout Serializer)
        throws(SnapshotError)
    {
        header(rows.table, into: &serializer)
        let count = try sortedRows(rows, path: path, into: &serializer)
        serializer.tag("E")
        serializer.count(count)
    }

    /// Sales rows in the order they come, each month marked by `marker` (rows numbered from
    /// `first`); false when they are not in the table's order among themselves.
    private static func serialize(
        salesRows rows: ArraySlice<EcommerceSalesRow>, numberedFrom first: Int, marker: inout MonthMarker, path: String,
        into serializer: inout Serializer
    ) throws(SnapshotError) -> Bool {
        // Straight from each row into the serializer, compared with the row before field by
        // field: no `StoredRow` of `StoredValue`s per row (its texts retained, its array filled
        // and emptied). With the serializer's small calls inlined, ~15 % less CPU on this thread
        // (perf, 1 M rebuild); at 10 M a nightly run hashes ~700,000 rows of its year here.
        try withUnsafeMutablePointer(to: &serializer) { (serializer) throws(SnapshotError) -> Bool in
            var sink = SerializingSink(path: path, serializer: serializer)
            return try rows.withUnsafeBufferPointer { (rows) throws(SnapshotError) -> Bool in
                for offset in rows.indices {
                    if offset > 0, EcommerceSalesRow.storedOrder(rows[offset - 1], rows[offset]) > 0 { return false }
                    marker.row(
                        first + offset, year: Int64(rows[offset].year), month: Int64(rows[offset].month),
                        serializer: &serializer.pointee)
                    serializer.pointee.tag("R")
                    try rows[offset].put(into: &sink)
                }
                return true
            }
        }
    }

    /// The sales table's rows (`markedTable`), serialised in the order they come, marked at each
    /// month; nil when they are out of the table's order or the carried rows cannot be gone past.
    /// With a resume at a month (`Resume.fromMonth`), the rows of its year before that month are
    /// taken as the marked file's (the caller compared their digests, or its kept groups) and not
    /// serialised.
    private static func salesRows(
        _ rows: [EcommerceSalesRow], path: String, carrying: Carrying?, into serializer: inout Serializer
    ) throws(SnapshotError) -> (rowCount: Int, marks: Marks)? {
        let tableStart = serializer.state()
        var rowCount = 0
        var resumedPositions: [Marks.Position] = []
        // Rows of the resume's year before its month: the marked file's, not hashed again.
        var skipped = 0
        if let carrying {
            // The file's rows from the resume's year on must all be these: no carried year at or
            // after it (the marks list every year of the carried file), none of these before it.
            guard let resume = carrying.resume, resume.marks.tableStart == tableStart else { return nil }
            let carriedYears = Set(resume.marks.positions.compactMap(\.year)).subtracting(carrying.exceptYears)
            guard carriedYears.allSatisfy({ $0 < resume.fromYear }),
                rows.everyYear({ $0.year }, { carrying.exceptYears.contains($0) && $0 >= resume.fromYear }),
                let start = resume.start(before: rows)
            else { return nil }
            let from = start.position
            skipped = start.skipped
            serializer.resume(from.state)
            rowCount = from.rowsBefore
            resumedPositions = resume.marks.positions.filter { $0.rowsBefore < from.rowsBefore }
        }
        let resumedRows = rowCount
        var marker = MonthMarker(rowsBefore: rowCount)
        guard
            try serialize(
                salesRows: rows[skipped...], numberedFrom: 0, marker: &marker, path: path, into: &serializer)
        else { return nil }
        rowCount += rows.count - skipped
        let end = Marks.Position(year: nil, rowsBefore: rowCount, state: serializer.state())
        return (
            rowCount,
            Marks(
                tableStart: tableStart, positions: resumedPositions + marker.positions + [end], rowsResumed: resumedRows
            )
        )
    }

    /// Any other table's rows, sorted here: their order in memory is not the table's.
    private static func sortedRows(_ rows: TableRows, path: String, into serializer: inout Serializer)
        throws(SnapshotError) -> Int
    {
        // One pass first: each row's stored values made once, compared with the row before and
        // serialised. Rows already in the table's order, as the quarantine's come (by archive,
        // member and line), are then hashed with no row kept (10 M transactions, 1 % quarantined:
        // ~100,000 rows, ~20 MB at the publish, the run's peak), and rows given from the archive
        // cache (`StreamedRows`) read once here. At the first row out of order, the hash goes back
        // to where the rows began, and they are all made, sorted and serialised.
        let start = serializer.state()
        var previous: StoredRow?
        var count = 0
        var inOrder = true
        // `TableRows.forEach` is its own (typed throws), not `Sequence`'s: there is no for-in to use.
        // swift-format-ignore: ReplaceForEachWithForLoop
        try rows.forEach { row throws(SnapshotError) in
            guard inOrder else { return }
            var values = StoredRow(path: path)
            try row.put(into: &values)
            if let previous, StoredValue.compare(previous.values, values.values) > 0 {
                inOrder = false
                return
            }
            values.serialize(into: &serializer)
            previous = values
            count += 1
        }
        if inOrder { return count }
        serializer.resume(start)
        var stored: [StoredRow] = []
        stored.reserveCapacity(rows.count)
        // swift-format-ignore: ReplaceForEachWithForLoop
        try rows.forEach { row throws(SnapshotError) in
            var values = StoredRow(path: path)
            try row.put(into: &values)
            stored.append(values)
        }
        stored.sort { StoredValue.compare($0.values, $1.values) < 0 }
        for row in stored { row.serialize(into: &serializer) }
        return stored.count
    }

    /// A value as SQLite stores it and gives it back.
    enum StoredValue {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
        /// Stored as its canonical text.
        case exact(ExactDecimal)
        case blob([UInt8])

        /// `value` as SQLite stores it and gives it back: a NaN binds as NULL, a −0.0 comes back as
        /// 0.0 (a REAL with no fraction is stored as an integer); a value read from SQLite is itself.
        init(storing value: SQLValue) {
            switch value {
            case .null: self = .null
            case .integer(let integer): self = .integer(integer)
            case .real(let real): self = real.isNaN ? .null : .real(real == 0 ? 0 : real)
            case .text(let text): self = .text(text)
            case .blob(let bytes): self = .blob(bytes)
            }
        }

        /// SQLite's order of storage classes: NULL, numbers, TEXT, BLOB.
        private var classRank: Int {
            switch self {
            case .null: 0
            case .integer, .real: 1
            case .text, .exact: 2
            case .blob: 3
            }
        }

        /// -1, 0 or 1 as `ORDER BY` orders `a` and `b` (BINARY collation: text bytewise).
        static func compare(_ a: StoredValue, _ b: StoredValue) -> Int {
            let (rankA, rankB) = (a.classRank, b.classRank)
            if rankA != rankB { return rankA < rankB ? -1 : 1 }
            switch (a, b) {
            case (.null, .null):
                return 0
            case (.integer(let x), .integer(let y)):
                return x == y ? 0 : (x < y ? -1 : 1)
            case (.real(let x), .real(let y)):
                return x == y ? 0 : (x < y ? -1 : 1)
            case (.integer(let x), .real(let y)):
                // A STRICT column never holds both; compared as SQLite does for what fits a Double.
                return Double(x) == y ? 0 : (Double(x) < y ? -1 : 1)
            case (.real(let x), .integer(let y)):
                return x == Double(y) ? 0 : (x < Double(y) ? -1 : 1)
            default:
                return a.withBytes { x in b.withBytes { y in Self.compareBytes(x, y) } }
            }
        }

        /// -1, 0 or 1 comparing rows column by column.
        static func compare(_ a: [StoredValue], _ b: [StoredValue]) -> Int {
            for (x, y) in zip(a, b) {
                let order = compare(x, y)
                if order != 0 { return order }
            }
            return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
        }

        static func compareBytes(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
            let common = min(x.count, y.count)
            if common > 0 {
                let order = memcmp(x.baseAddress!, y.baseAddress!, common)
                if order != 0 { return order < 0 ? -1 : 1 }
            }
            return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
        }

        /// The bytes of a TEXT, an amount's text or a BLOB (empty for the others).
        private func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
            switch self {
            case .text(var text): return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
            case .exact(let amount): return amount.withCanonicalText(body)
            case .blob(let bytes): return bytes.withUnsafeBytes(body)
            case .null, .integer, .real: return body(UnsafeRawBufferPointer(start: nil, count: 0))
            }
        }

        /// As `ContentHash.serializeRows` serialises the value read back.
        func serialize(into serializer: inout Serializer) {
            switch self {
            case .null:
                serializer.tag("N")
            case .integer(let integer):
                serializer.tag("I")
                serializer.decimal(integer)
            case .real(let real):
                serializer.tag("F")
                serializer.uint64(real.bitPattern)
            case .text(let text):
                serializer.tag("S")
                serializer.string(text)
            case .exact(let amount):
                serializer.tag("S")
                amount.withCanonicalText { serializer.bytes($0) }
            case .blob(let bytes):
                serializer.tag("B")
                bytes.withUnsafeBytes { serializer.bytes($0) }
            }
        }
    }

    /// Serialises the values a row puts as `StoredRow.serialize` serialises them, without keeping
    /// them (`serializer` must outlive the sink).
    struct SerializingSink: RowValueSink {
        let path: String
        let serializer: UnsafeMutablePointer<Serializer>

        func int(_ value: Int) {
            serializer.pointee.tag("I")
            serializer.pointee.decimal(Int64(value))
        }

        func text(_ value: String) {
            serializer.pointee.tag("S")
            serializer.pointee.string(value)
        }

        func exact(_ value: ExactDecimal) {
            // The pointer alone in the closure, not the sink (its path retained and released for
            // each of a night's ~1.4 M amounts).
            let serializer = serializer
            serializer.pointee.tag("S")
            value.reduced.withCanonicalText { serializer.pointee.bytes($0) }
        }

        func value(_ value: SQLValue) {
            StoredValue(storing: value).serialize(into: &serializer.pointee)
        }
    }

    /// One row's values, as a `RowValueSink` puts them.
    struct StoredRow: RowValueSink {
        let path: String
        var values: [StoredValue] = []

        init(path: String) {
            self.path = path
        }

        mutating func int(_ value: Int) {
            values.append(.integer(Int64(value)))
        }

        mutating func text(_ value: String) {
            values.append(.text(value))
        }

        mutating func exact(_ value: ExactDecimal) {
            values.append(.exact(value.reduced))
        }

        mutating func value(_ value: SQLValue) {
            values.append(StoredValue(storing: value))
        }

        func serialize(into serializer: inout Serializer) {
            serializer.tag("R")
            for value in values { value.serialize(into: &serializer) }
        }
    }
}

extension EcommerceSalesRow {
    /// -1, 0 or 1 as `ORDER BY` every column orders the values `put` stores for `a` and `b`
    /// (`ContentHash.StoredValue.compare` of their `StoredRow`s, without making them): numbers by
    /// value, texts and amounts (their canonical text) bytewise, column by column in `put`'s order.
    static func storedOrder(_ a: borrowing EcommerceSalesRow, _ b: borrowing EcommerceSalesRow) -> Int {
        func numbers(_ x: Int, _ y: Int) -> Int { x == y ? 0 : (x < y ? -1 : 1) }
        func amounts(_ x: ExactDecimal, _ y: ExactDecimal) -> Int {
            x.reduced.withCanonicalText { x in
                y.reduced.withCanonicalText { y in ContentHash.StoredValue.compareBytes(x, y) }
            }
        }
        var order = numbers(a.year, b.year)
        if order == 0 { order = numbers(a.month, b.month) }
        if order == 0 { order = bytewiseCompare(a.channel, b.channel) }
        if order == 0 { order = bytewiseCompare(a.sellerTaxCode, b.sellerTaxCode) }
        if order == 0 { order = bytewiseCompare(a.sellerDistrictCode, b.sellerDistrictCode) }
        if order == 0 { order = numbers(a.transactions, b.transactions) }
        if order == 0 { order = amounts(a.netVND, b.netVND) }
        if order == 0 { order = amounts(a.vaVND, b.vaVND) }
        if order == 0 { order = numbers(a.counted ? 1 : 0, b.counted ? 1 : 0) }
        return order
    }
}

extension ContentHash {
    /// The content hash `computeMarking(of:path:carrying:)` takes, with the sales rows handed
    /// over a year at a time as they are computed (`SnapshotStore.SalesByYear`) instead of all in
    /// one array: the tables before the sales table are serialised first, then each year's rows
    /// as it comes, then the tables after it. Only one thread at a time may call it.
    ///
    /// With rows carried from another snapshot file (`Carrying`: every year but the computed
    /// ones), the hash goes on from that file's marks at the first computed year when they fit,
    /// and the carried years it still has to go past (all of them when the marks do not fit) are
    /// read from that file as their turn comes, between the computed years.
    final class SalesByYear: @unchecked Sendable {
        // @unchecked Sendable: handed from thread to thread, one at a time (the publish waits for
        // each year's hashing before the next).
        private var serializer = Serializer()
        private var marker: MonthMarker
        private let tableStart: ResumableSHA256
        /// Rows of the table so far, those gone on from included.
        private var rowCount = 0
        /// Rows the marks of the carried file gave (not read).
        private let rowsResumed: Int
        private let resumedPositions: [Marks.Position]
        private var last: EcommerceSalesRow?
        /// False once a year's rows did not follow the last's in the table's order: the file is
        /// read back instead.
        private(set) var ordered = true
        private let path: String
        /// The carried file and the years whose rows are not its (`Carrying.exceptYears`), when
        /// rows are carried; and the first year whose carried rows are still to be read.
        private let carried: (path: String, exceptYears: Set<Int>)?
        private var carriedFrom = Int.min
        private var carriedFile: Database?

        /// - Parameters:
        ///   - content: every table but the sales rows, whose own rows are ignored.
        ///   - carrying: the carried rows, from the file at `carriedPath` (which must hold no
        ///     sales row of a REAL or other type the table's rows do not hold).
        init(before content: SnapshotContent, path: String, carrying: Carrying? = nil, carriedPath: String? = nil)
            throws(SnapshotError)
        {
            precondition((carrying == nil) == (carriedPath == nil), "carried rows need their file")
            self.path = path
            serializer.string(formatTag)
            for rows in content.tables.sorted(by: { bytewiseLess($0.table.name, $1.table.name) })
            where bytewiseLess(rows.table.name, markedTable) {
                try serialize(rows, path: path, into: &serializer)
            }
            header(SnapshotSchema.ecommerceSales, into: &serializer)
            tableStart = serializer.state()
            carried = carrying.map { (path: carriedPath!, exceptYears: $0.exceptYears) }
            var resumed = 0
            var positions: [Marks.Position] = []
            if let resume = carrying?.resume, resume.marks.tableStart == tableStart,
                let from = resume.marks.position(from: resume.fromYear)
            {
                // The carried file's rows before the resume's year are its marks' (`Resume`).
                serializer.resume(from.state)
                resumed = from.rowsBefore
                positions = resume.marks.positions.filter { $0.rowsBefore < from.rowsBefore }
                carriedFrom = resume.fromYear
            }
            (rowsResumed, resumedPositions, rowCount) = (resumed, positions, resumed)
            marker = MonthMarker(rowsBefore: resumed)
        }

        /// The next rows of the sales table (a year's, in Compute's order): after them, with rows
        /// carried, the carried years before theirs.
        func add(_ rows: [EcommerceSalesRow]) throws(SnapshotError) {
            guard ordered, let first = rows.first else { return }
            if let carried, !carried.exceptYears.contains(first.year) || first.year < carriedFrom {
                // A computed row of a carried year, or of a year already gone past.
                ordered = false
                return
            }
            try addCarried(before: first.year)
            if let last, EcommerceSalesRow.storedOrder(last, first) > 0 {
                ordered = false
                return
            }
            ordered = try serialize(
                salesRows: rows[...], numberedFrom: rowCount - rowsResumed, marker: &marker, path: path,
                into: &serializer)
            rowCount += rows.count
            last = rows.last
        }

        /// The carried file's rows of the years from `carriedFrom` up to `year` (excluded; nil:
        /// all of them), read from that file in the table's order.
        private func addCarried(before year: Int?) throws(SnapshotError) {
            guard let carried, carriedFrom < (year ?? .max) else { return }
            if carriedFile == nil { carriedFile = try Database(path: carried.path, mode: .readOnlyImmutable) }
            let table = SnapshotSchema.ecommerceSales
            var range = carriedFrom == .min ? [] : ["year >= \(carriedFrom)"]
            if let year { range.append("year < \(year)") }
            if !carried.exceptYears.isEmpty {
                range.append("year NOT IN (\(CarriedSales.sqlList(carried.exceptYears)))")
            }
            let select = try carriedFile!.prepare(
                table.selectAllSQL(where: range.isEmpty ? nil : range.joined(separator: " AND ")))
            var monthMarker: MonthMarker? = marker
            let count = try ContentHash.serializeRows(
                select, columnCount: table.columns.count, rowsBefore: rowCount - rowsResumed, marker: &monthMarker,
                into: &serializer)
            guard let monthMarker else {
                // Not a year in the first column: no STRICT table of this schema holds one.
                throw SnapshotError(
                    code: .invalidSnapshot, message: "a sales row's year is not an integer", path: carried.path)
            }
            marker = monthMarker
            rowCount += count
            if count > 0 { last = nil }
            carriedFrom = year ?? .max
        }

        /// The hash and marks, once every year's rows are added; nil when they came out of order.
        /// - Parameter content: every table but the sales rows (indicators included), as inserted.
        func finish(after content: SnapshotContent) throws(SnapshotError) -> (hash: String, marks: Marks)? {
            guard ordered else { return nil }
            try addCarried(before: nil)
            carriedFile?.close()
            carriedFile = nil
            let end = Marks.Position(year: nil, rowsBefore: rowCount, state: serializer.state())
            let marks = Marks(
                tableStart: tableStart, positions: resumedPositions + marker.positions + [end],
                rowsResumed: rowsResumed)
            serializer.tag("E")
            serializer.count(rowCount)
            for rows in content.tables.sorted(by: { bytewiseLess($0.table.name, $1.table.name) })
            where bytewiseLess(markedTable, rows.table.name) {
                try serialize(rows, path: path, into: &serializer)
            }
            var finished = Serializer()
            swap(&finished, &serializer)
            return (finished.finish(), marks)
        }
    }
}
