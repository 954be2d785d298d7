internal import CSQLite
internal import Foundation

/// The `content_sha256` of a snapshot: SHA-256 over a canonical serialisation of every table
/// but `snapshot_meta`, read back from the file itself.
///
/// Publish and verify both call this on the database, so the hash describes what is stored,
/// not what was meant to be stored. The serialisation depends only on the stored values:
///
///     "grdp-content-v1"                          (length-prefixed)
///     for each table, in bytewise order of its name:
///       'T' name  column-count  column-name…     (names length-prefixed)
///       for each row, ORDER BY every column:     (a total order: insertion order cannot matter)
///         'R' then per value: 'N'                          NULL
///                             'I' decimal-text             INTEGER
///                             'F' 8 bytes, big-endian      REAL, its IEEE-754 bit pattern
///                             'S' UTF-8 bytes              TEXT
///                             'B' bytes                    BLOB
///       'E' row-count
///
/// Lengths and counts are 8-byte big-endian. TEXT sorts with SQLite's BINARY collation (memcmp),
/// so the order is the same on every machine and locale.
enum ContentHash {
    static let formatTag = "grdp-content-v1"

    /// - Parameter splitThreshold: a table of at least this many rows is read in two halves at
    ///   once, one on another thread; nil reads every table whole, in one pass.
    static func compute(_ database: Database, splitThreshold: Int? = ContentHash.splitThreshold)
        throws(SnapshotError) -> String
    {
        try computeMarking(database, splitThreshold: splitThreshold).hash
    }

    /// The hash, and where it stood at the start of each year's sales rows (`Marks`); with
    /// `resume`, it goes on from the marks of the snapshot the resume names, at its year, when the
    /// hash reaches the sales table in the state those marks began with (else it reads every row).
    ///
    /// The caller vouches that this database's sales rows before `resume.fromYear` are those of
    /// the snapshot the marks were made on: `run` resumes only from the latest snapshot, in
    /// the rows of the years it copied from that very file, and the rows of `resume.fromYear` before
    /// its `fromMonth`, when given, are those too. `verify` never resumes.
    static func computeMarking(
        _ database: Database, splitThreshold: Int? = ContentHash.splitThreshold, resume: Resume? = nil
    ) throws(SnapshotError) -> (hash: String, marks: Marks?) {
        if let splitThreshold,
            let result = try compute(database, splittingFrom: splitThreshold, resume: resume)
        {
            return result
        }
        return try compute(database, splittingFrom: nil, resume: resume)!
    }

    /// Large enough that the second connection and thread pay for themselves.
    static let splitThreshold = 20_000

    /// The table whose rows are marked by month: its first columns are `year` and `month`.
    static let markedTable = "ecommerce_sales"

    /// Where the hash stood in the sales table (`markedTable`), as one snapshot's hash went.
    struct Marks: Codable, Equatable, Sendable {
        struct Position: Codable, Equatable, Sendable {
            /// The year whose first row comes next; nil after the last row.
            var year: Int?
            /// The month (of `year`) whose first row comes next; nil after the last row, and for a
            /// month that is not an integer (no STRICT table holds one). Builds before 2026-12-07
            /// marked each year alone, under another seal (`sealed(for:)`): their marks are not used.
            var month: Int?
            /// Rows of the table before this point.
            var rowsBefore: Int
            var state: ResumableSHA256

            init(year: Int?, month: Int? = nil, rowsBefore: Int, state: ResumableSHA256) {
                self.year = year
                self.month = month
                self.rowsBefore = rowsBefore
                self.state = state
            }
        }

        /// Just before the table's first row: everything before it, its header included.
        var tableStart: ResumableSHA256
        /// Each month's first row, in order (a year's first month's is the year's), then the end
        /// of the rows (before their count).
        var positions: [Position]
        /// Rows this hash took from the marks it went on from instead of reading them (not kept).
        var rowsResumed = 0
        /// A SHA-256 of the marks and of the content hash of the snapshot they were made on
        /// (`sealed(for:)`): marks damaged in their file, or kept for another snapshot, are not
        /// gone on from. Empty until sealed.
        var seal = ""

        private enum CodingKeys: String, CodingKey {
            case tableStart, positions, seal
        }

        /// The same marks, however many rows were taken from earlier ones and sealed or not.
        static func == (a: Marks, b: Marks) -> Bool {
            a.tableStart == b.tableStart && a.positions == b.positions
        }

        /// These marks sealed as those of the snapshot whose content hash is `contentSHA256`.
        func sealed(for contentSHA256: String) -> Marks {
            var marks = self
            marks.seal = digest(for: contentSHA256)
            return marks
        }

        /// Whether these marks were sealed, unchanged since, for the snapshot of `contentSHA256`.
        func isSealed(for contentSHA256: String) -> Bool {
            !seal.isEmpty && seal == digest(for: contentSHA256)
        }

        private func digest(for contentSHA256: String) -> String {
            var serializer = Serializer()
            serializer.string("grdp-content-marks-v2")
            serializer.string(contentSHA256)
            Self.add(tableStart, to: &serializer)
            for position in positions {
                if let year = position.year {
                    serializer.tag("Y")
                    serializer.uint64(UInt64(bitPattern: Int64(year)))
                    if let month = position.month {
                        serializer.tag("M")
                        serializer.uint64(UInt64(bitPattern: Int64(month)))
                    }
                } else {
                    serializer.tag("E")
                }
                serializer.count(position.rowsBefore)
                Self.add(position.state, to: &serializer)
            }
            return serializer.finish()
        }

        private static func add(_ state: ResumableSHA256, to serializer: inout Serializer) {
            for word in state.words { serializer.uint64(UInt64(word)) }
            serializer.uint64(state.length)
            state.pending.withUnsafeBytes { serializer.bytes($0) }
        }

        /// Where rows of `year` and later begin: the first position of that year or a later one,
        /// else the end.
        func position(from year: Int) -> Position? {
            positions.first { $0.year.map { $0 >= year } ?? true }
        }

        /// Where rows of `month` of `year` and later begin: the first position of that month or a
        /// later one, else the end; nil when these marks do not mark that year's months (a
        /// position of the year without its month: a guard, which no mark this build makes meets).
        func position(from year: Int, month: Int) -> Position? {
            // Every position of the year must name its month, or an unmarked month could be passed.
            guard positions.allSatisfy({ $0.year != year || $0.month != nil }) else { return nil }
            return positions.first { position in
                guard let positionYear = position.year, let positionMonth = position.month else {
                    return position.year.map { $0 > year } ?? true
                }
                return positionYear != year ? positionYear > year : positionMonth >= month
            }
        }
    }

    /// Going on from `marks` at `fromYear` (at its month `fromMonth`, when given and the marks
    /// mark that year's months).
    struct Resume: Sendable {
        var fromYear: Int
        /// The first month of `fromYear` whose rows may differ from the marked snapshot's: the
        /// caller vouches that every row of `fromYear` before it is that snapshot's (their
        /// digests are the same, `SalesDigests`, or a night's kept groups say no sales key of
        /// those months was touched, `KeptGroupChanges.Before.firstMonth`).
        var fromMonth: Int?
        /// `fromMonth` is the first month of the sales keys a night's kept groups touched, which
        /// holds only when the sales rows' diff is made from those groups
        /// (`SalesRowsUpdate.Compared.keptGroups`): otherwise `SnapshotStore.publishMarking` reads
        /// the file back from `fromYear`.
        var fromMonthByKeptGroups = false
        var marks: Marks

        init(fromYear: Int, fromMonth: Int? = nil, fromMonthByKeptGroups: Bool = false, marks: Marks) {
            self.fromYear = fromYear
            self.fromMonth = fromMonth
            self.fromMonthByKeptGroups = fromMonthByKeptGroups
            self.marks = marks
        }

        /// Where the hash of `rows` (those of `fromYear` on, in the table's order) goes on, and how
        /// many of them lead it, not hashed again: the rows of `fromYear` before `fromMonth`, at
        /// that month's mark, when the marks tell where it begins and the rows before it there are
        /// as many as these; else none, at the start of `fromYear`.
        func start(before rows: [EcommerceSalesRow]) -> (position: Marks.Position, skipped: Int)? {
            start { month in rows.leadingCount(ofYear: fromYear, beforeMonth: month) }
        }

        /// The same, the rows of `fromYear` before a month counted by `rowsBefore` (the rows in
        /// memory, or the file's read back), asked only when the marks mark that month.
        func start<Failure: Error>(rowsBefore: (Int) throws(Failure) -> Int) throws(Failure) -> (
            position: Marks.Position, skipped: Int
        )? {
            guard let yearStart = marks.position(from: fromYear) else { return nil }
            guard let fromMonth, let monthStart = marks.position(from: fromYear, month: fromMonth) else {
                return (yearStart, 0)
            }
            let skipped = try rowsBefore(fromMonth)
            return monthStart.rowsBefore == yearStart.rowsBefore + skipped ? (monthStart, skipped) : (yearStart, 0)
        }
    }

    /// The hash, or nil when a table read in halves did not give back every row once (a NULL in
    /// its columns, which the halves' comparisons leave out): the caller then reads it whole.
    /// - Parameter upperHalfBudget: bytes an upper half may take in memory (`upperHalfBudget`).
    static func compute(
        _ database: Database, splittingFrom splitThreshold: Int?, resume: Resume? = nil,
        upperHalfBudget: Int = ContentHash.upperHalfBudget
    ) throws(SnapshotError) -> (hash: String, marks: Marks?)? {
        var serializer = Serializer()
        serializer.string(formatTag)
        var marks: Marks?
        for table in try tableNames(database) {
            let quoted = quoteIdentifier(table)
            let probe = try database.prepare("SELECT * FROM \(quoted)")
            let columnCount = probe.columnCount
            let columnNames = (0..<columnCount).map { probe.columnName(at: $0) }
            serializer.tag("T")
            serializer.string(table)
            serializer.count(columnCount)
            for name in columnNames { serializer.string(name) }

            let order = (1...max(columnCount, 1)).map(String.init).joined(separator: ", ")
            var rowCount = 0
            // The sales table's rows are marked at each month; with a resume that fits, those
            // before its year are not read again, and their marks are the resumed ones.
            var marker: MonthMarker?
            var tableStart: ResumableSHA256?
            var resumedPositions: [Marks.Position] = []
            var resumedFrom: (year: Int, month: Int?)?
            if table == markedTable, columnNames.first == "year" {
                let start = serializer.state()
                // From the mark of `fromMonth` when the file's rows of the year before it are as
                // many as the marked file's (which the caller vouches they are), as the hash from
                // memory goes on; else from the year's.
                var monthResume = resume
                if columnNames.dropFirst().first != "month" { monthResume?.fromMonth = nil }
                if let resume = monthResume, resume.marks.tableStart == start,
                    let from = try resume.start(rowsBefore: { (month) throws(SnapshotError) in
                        Int(
                            try database.integer(
                                "SELECT count(*) FROM \(quoted) WHERE year = \(resume.fromYear) AND month < \(month)")
                                ?? -1)
                    })
                {
                    serializer.resume(from.position.state)
                    rowCount = from.position.rowsBefore
                    resumedPositions = resume.marks.positions.filter { $0.rowsBefore < from.position.rowsBefore }
                    resumedFrom = (resume.fromYear, from.skipped > 0 ? resume.fromMonth : nil)
                }
                tableStart = start
                marker = MonthMarker(rowsBefore: rowCount)
            }
            let resumedRows = rowCount
            let filter = resumedFrom.map { from in
                from.month.map { "year >= \(from.year) AND NOT (year = \(from.year) AND month < \($0))" }
                    ?? "year >= \(from.year)"
            }
            let whereClause = filter.map { " WHERE \($0)" } ?? ""
            if let splitThreshold, columnCount > 0,
                let total = try database.integer("SELECT count(*) FROM \(quoted)\(whereClause)"),
                total >= splitThreshold
            {
                // The sales table by month, on both threads in turn (its rows are most of a large
                // snapshot: in halves, one half waited in memory, ~150 MiB at 10 M transactions).
                var byMonth = false
                if marker != nil { byMonth = try keyStartsWithYearAndMonth(database, table: table) }
                guard
                    let count =
                        try byMonth
                        ? serializeByMonth(
                            database, table: quoted, from: resumedFrom, columnCount: columnCount, order: order,
                            total: Int(total), marker: &marker, into: &serializer)
                        : serializeInHalves(
                            database, table: quoted, filter: filter, columns: columnNames, order: order,
                            total: Int(total), upperHalfBudget: upperHalfBudget, marker: &marker, into: &serializer)
                else { return nil }
                rowCount += count
            } else {
                let statement = try database.prepare("SELECT * FROM \(quoted)\(whereClause) ORDER BY \(order)")
                rowCount += try serializeRows(statement, columnCount: columnCount, marker: &marker, into: &serializer)
            }
            // A marker dropped on the way met a row without a year: no marks for this table.
            if let marker, let tableStart {
                let end = Marks.Position(year: nil, rowsBefore: rowCount, state: serializer.state())
                marks = Marks(
                    tableStart: tableStart, positions: resumedPositions + marker.positions + [end],
                    rowsResumed: resumedRows)
            }
            serializer.tag("E")
            serializer.count(rowCount)
        }
        return (serializer.finish(), marks)
    }

    /// Notes the hash's state at each month's first row of the marked table (a year's first
    /// month's is the year's): right away on the thread that hashes, or, for rows serialised into
    /// memory to be hashed later, as the byte offset where the state is to be taken
    /// (`Serializer.raw`).
    struct MonthMarker {
        /// Rows of the table before the first one this marker sees.
        var rowsBefore: Int
        private(set) var positions: [Marks.Position] = []
        /// For collected rows: the year, month, rows before and offset in the collected bytes.
        private(set) var offsets: [(year: Int, month: Int?, rowsBefore: Int, offset: Int)] = []
        /// The year and month of the last row seen.
        private(set) var last: (year: Int64, month: Int64?)?

        init(rowsBefore: Int) {
            self.rowsBefore = rowsBefore
        }

        /// Before serialising row `row` (counted from this marker's first) of `month` of `year`
        /// (nil: a month that is not an integer, and the year alone is marked).
        mutating func row(_ row: Int, year: Int64, month: Int64?, serializer: inout Serializer) {
            guard !continues(year: year, month: month) else { return }
            last = (year, month)
            let month = month.map { Int($0) }
            if serializer.isCollecting {
                offsets.append((Int(year), month, rowsBefore + row, serializer.collectedCount))
            } else {
                positions.append(
                    Marks.Position(
                        year: Int(year), month: month, rowsBefore: rowsBefore + row, state: serializer.state()))
            }
        }

        /// Whether a row of `month` of `year` goes on with the last row seen: not a new mark.
        func continues(year: Int64, month: Int64?) -> Bool {
            guard let last else { return false }
            return last.year == year && (month == nil || last.month == month)
        }

        mutating func append(_ positions: [Marks.Position]) { self.positions += positions }
    }

    /// The rows of `statement` as the hash serialises them; returns how many. With a `marker`, each
    /// row's first column is its year, and the marker notes where each year begins, counting
    /// `rowsBefore` rows of the marker's before the statement's first. A collecting serializer
    /// with `collectingAtMost` stops once it holds more than that many bytes (the caller sees it by
    /// `collectedCount`, and drops what was read).
    static func serializeRows(
        _ statement: Statement, columnCount: Int, rowsBefore: Int = 0, marker: inout MonthMarker?,
        into serializer: inout Serializer, collectingAtMost budget: Int = .max
    ) throws(SnapshotError) -> Int {
        var rowCount = 0
        while try statement.step() {
            if _slowPath(serializer.collectedCount > budget) { break }
            if marker != nil {
                if statement.columnType(at: 0) == SQLITE_INTEGER {
                    // The month is the second column (`ecommerce_sales(year, month, …)`).
                    let month =
                        columnCount > 1 && statement.columnType(at: 1) == SQLITE_INTEGER ? statement.int64(at: 1) : nil
                    marker!.row(
                        rowsBefore + rowCount, year: statement.int64(at: 0), month: month, serializer: &serializer)
                } else {
                    // Not a year: no mark can be trusted for this table (a STRICT table never has one).
                    marker = nil
                }
            }
            serializer.tag("R")
            for column in 0..<columnCount {
                let type = statement.columnType(at: column)
                switch type {
                case SQLITE_NULL:
                    serializer.tag("N")
                case SQLITE_INTEGER:
                    serializer.tag("I")
                    serializer.decimal(statement.int64(at: column))
                case SQLITE_FLOAT:
                    serializer.tag("F")
                    serializer.uint64(statement.double(at: column).bitPattern)
                case SQLITE_BLOB:
                    serializer.tag("B")
                    statement.withBytes(at: column, type: type) { serializer.bytes($0) }
                default:
                    serializer.tag("S")
                    statement.withBytes(at: column, type: type) { serializer.bytes($0) }
                }
            }
            rowCount += 1
        }
        return rowCount
    }

    /// A large table's rows in key order (those `filter` keeps, if given), read as two halves at
    /// once: the rows before the middle row (`(c1, …, ck) < (m1, …, mk)`, its columns up to the
    /// first NULL; this thread, hashed as they come) and the others (`>=`, another connection on
    /// another thread, serialised into memory and hashed after). SQLite's row-value comparison
    /// orders exactly as `ORDER BY 1, …, n`, so the halves follow each other; a NULL compares to
    /// nothing and would fall in neither half, so the counts are checked: nil when the halves do
    /// not add up to `total`.
    private static func serializeInHalves(
        _ database: Database, table: String, filter: String?, columns: [String], order: String, total: Int,
        upperHalfBudget budget: Int, marker: inout MonthMarker?, into serializer: inout Serializer
    ) throws(SnapshotError) -> Int? {
        let whereClause = filter.map { " WHERE \($0)" } ?? ""
        let middle = try database.prepare(
            "SELECT * FROM \(table)\(whereClause) ORDER BY \(order) LIMIT 1 OFFSET \(total / 2)")
        guard try middle.step() else { return nil }
        // The middle row's columns up to its first NULL: a NULL in the pivot would leave the pivot
        // row itself in neither half, and the whole hash would be read again in one pass (an
        // enterprise without `employees` in the middle of 20,000). With a unique leading key, as
        // every large snapshot table has, the prefix splits as well as the whole row.
        let pivot = Array((0..<columns.count).map { middle.value(at: $0) }.prefix { $0 != .null })
        guard !pivot.isEmpty else {
            let statement = try database.prepare("SELECT * FROM \(table)\(whereClause) ORDER BY \(order)")
            return try serializeRows(statement, columnCount: columns.count, marker: &marker, into: &serializer)
        }
        let tuple = "(" + columns.prefix(pivot.count).map(quoteIdentifier).joined(separator: ", ") + ")"
        let parameters = "(" + Array(repeating: "?", count: pivot.count).joined(separator: ", ") + ")"
        func query(_ comparison: String) -> String {
            let kept = filter.map { "(\($0)) AND " } ?? ""
            return "SELECT * FROM \(table) WHERE \(kept)\(tuple) \(comparison) \(parameters) ORDER BY \(order)"
        }

        let (path, upperSQL, columnCount, marking) = (database.path, query(">="), columns.count, marker != nil)
        let upper = OnAnotherThread {
            readUpperHalf(
                path: path, sql: upperSQL, pivot: pivot, columnCount: columnCount, marking: marking, budget: budget)
        }
        // Whatever happens here, the other thread is waited for before returning.
        defer { _ = upper.wait() }

        let lower = try database.prepare(query("<"))
        try lower.bind(pivot)
        let lowerCount = try serializeRows(lower, columnCount: columns.count, marker: &marker, into: &serializer)
        let upperHalf = upper.wait()
        if case .overBudget = upperHalf {
            // The upper half read here, after the lower, hashed as it comes.
            let upperRows = try database.prepare(query(">="))
            try upperRows.bind(pivot)
            let upperCount = try serializeRows(
                upperRows, columnCount: columns.count, rowsBefore: lowerCount, marker: &marker, into: &serializer)
            return lowerCount + upperCount == total ? total : nil
        }
        guard case .read(let bytes, let upperCount, let upperMarker) = upperHalf, lowerCount + upperCount == total
        else { return nil }
        if marker != nil, let upperMarker {
            // The upper half's first row may go on with the lower half's last month: not a new one.
            let starts = upperMarker.offsets.filter {
                !($0.offset == 0 && marker!.continues(year: Int64($0.year), month: $0.month.map { Int64($0) }))
            }
            let states = serializer.raw(bytes, statesAt: starts.map(\.offset))
            marker!.append(
                zip(starts, states).map { start, state in
                    Marks.Position(
                        year: start.year, month: start.month,
                        rowsBefore: marker!.rowsBefore + lowerCount + start.rowsBefore, state: state)
                })
        } else {
            // The upper half met a row without a year: no marks for this table.
            marker = nil
            serializer.raw(bytes)
        }
        return total
    }

    /// Serialised bytes the upper half of a table may take in memory while the lower half is
    /// hashed: past them the other thread stops, and the upper half is read after the lower one
    /// (a `quarantine` table of millions of rows, which has no key to go by month).
    static let upperHalfBudget = 48 << 20

    /// What `readUpperHalf` gives back.
    private enum UpperHalf {
        /// The serialised rows, their count and, when marking, where each year begins in them.
        case read([[UInt8]], count: Int, marker: MonthMarker?)
        /// They came to more than the budget's bytes; none are kept.
        case overBudget
        /// The connection or the query failed (the caller then reads the table whole on its own
        /// connection, and meets the error there).
        case failed
    }

    /// The upper half of a table, read through its own read-only connection (on another thread).
    private static func readUpperHalf(
        path: String, sql: String, pivot: [SQLValue], columnCount: Int, marking: Bool, budget: Int
    ) -> UpperHalf {
        do {
            let database = try Database(path: path, mode: .readOnlyImmutable)
            defer { database.close() }
            let statement = try database.prepare(sql)
            try statement.bind(pivot)
            var serializer = Serializer(collecting: true)
            var marker = marking ? MonthMarker(rowsBefore: 0) : nil
            let count = try serializeRows(
                statement, columnCount: columnCount, marker: &marker, into: &serializer,
                collectingAtMost: budget)
            guard serializer.collectedCount <= budget else { return .overBudget }
            return .read(serializer.collected(), count: count, marker: marker)
        } catch {
            return .failed
        }
    }

    /// The sales table's rows in key order (those of `fromYear` and later, if given), one month at
    /// a time, the months taken in turn by this thread (hashed as they are read) and by another
    /// connection on another thread (serialised into memory, at most `MonthHandoff.capacity`
    /// months ahead of the hash, and hashed when their turn comes). Both cores read, as with
    /// halves, but what waits in memory is a month or two of rows, not half the table. Each month
    /// is marked as a whole at its first row when its year is a new one. Nil when the months do
    /// not add up to `total` rows (a NULL or a value of another type in `year` or `month`, which
    /// a seek or an equality leaves out), or the other thread failed: the caller then reads the
    /// table whole.
    private static func serializeByMonth(
        _ database: Database, table: String, from: (year: Int, month: Int?)?, columnCount: Int, order: String,
        total: Int, marker: inout MonthMarker?, into serializer: inout Serializer
    ) throws(SnapshotError) -> Int? {
        // (The months of `from.year` before `from.month` dropped: `total` counts none of their rows.)
        let months = try self.months(database, table: table, fromYear: from?.year).filter { month in
            guard let from, let first = from.month, case .integer(let year) = month[0], year == from.year,
                case .integer(let number) = month[1]
            else { return true }
            return number >= first
        }
        let sql = "SELECT * FROM \(table) WHERE year = ? AND month = ? ORDER BY \(order)"
        let theirs = stride(from: 1, to: months.count, by: 2).map { months[$0] }
        let handoff = MonthHandoff()
        let path = database.path
        let other = OnAnotherThread {
            readMonths(theirs, path: path, sql: sql, columnCount: columnCount, into: handoff)
        }
        // Whatever happens here, the other thread is stopped and waited for before returning.
        defer {
            handoff.abandon()
            other.wait()
        }
        let statement = try database.prepare(sql)
        var rowCount = 0
        for (index, month) in months.enumerated() {
            if index % 2 == 0 {
                try statement.rebind(month)
                rowCount += try serializeRows(
                    statement, columnCount: columnCount, rowsBefore: rowCount, marker: &marker, into: &serializer)
                continue
            }
            guard let read = handoff.take() else { return nil }
            if marker != nil, read.count > 0 {
                // A month is of one year: marked at its first row.
                if case .integer(let year) = month[0], read.yearsAreIntegers {
                    let number: Int64? = if case .integer(let number) = month[1] { number } else { nil }
                    marker!.row(rowCount, year: year, month: number, serializer: &serializer)
                } else {
                    marker = nil
                }
            }
            serializer.raw(read.bytes)
            rowCount += read.count
        }
        return rowCount == total ? total : nil
    }

    /// The `(year, month)` values of the sales table (of `fromYear` and later, if given), in key
    /// order, found by B-tree seeks: the next month of the same year (`year = ? AND month > ?`),
    /// else the first of a later year (`year > ?`; a row value `(year, month) > (?, ?)` would seek
    /// on the year alone and scan the rest of it: seconds at 10 M transactions).
    private static func months(_ database: Database, table: String, fromYear: Int?) throws(SnapshotError)
        -> [[SQLValue]]
    {
        var months: [[SQLValue]] = []
        let first = try database.prepare(
            "SELECT year, month FROM \(table)\(fromYear.map { " WHERE year >= \($0)" } ?? "") "
                + "ORDER BY year, month LIMIT 1")
        // Every month after the first is of a year at least `fromYear`: no filter past here.
        let sameYear = try database.prepare(
            "SELECT month FROM \(table) WHERE year = ? AND month > ? ORDER BY month LIMIT 1")
        let laterYear = try database.prepare(
            "SELECT year, month FROM \(table) WHERE year > ? ORDER BY year, month LIMIT 1")
        var found = try first.step() ? [first.value(at: 0), first.value(at: 1)] : nil
        while let month = found {
            months.append(month)
            try sameYear.rebind(month)
            if try sameYear.step() {
                found = [month[0], sameYear.value(at: 0)]
            } else {
                try laterYear.rebind([month[0]])
                found = try laterYear.step() ? [laterYear.value(at: 0), laterYear.value(at: 1)] : nil
            }
        }
        return months
    }

    /// Whether `table`'s primary key begins with `year, month`, so that a month's rows are a
    /// range of it: snapshots published before the sales table was stored `WITHOUT ROWID` have no
    /// key there, and each month would be a scan of the whole table.
    private static func keyStartsWithYearAndMonth(_ database: Database, table: String) throws(SnapshotError)
        -> Bool
    {
        let key = try database.rows(
            "SELECT name FROM pragma_table_info('\(table.replacingOccurrences(of: "'", with: "''"))') "
                + "WHERE pk > 0 ORDER BY pk LIMIT 2")
        return key == [[.text("year")], [.text("month")]]
    }

    /// The months `serializeByMonth` gives this thread, each read through a connection of its own
    /// and handed over serialised; stops at the first failure (`MonthHandoff.fail`) or when the
    /// hashing thread has abandoned the read.
    private static func readMonths(
        _ months: [[SQLValue]], path: String, sql: String, columnCount: Int, into handoff: MonthHandoff
    ) {
        do {
            let database = try Database(path: path, mode: .readOnlyImmutable)
            defer { database.close() }
            let statement = try database.prepare(sql)
            for month in months {
                try statement.rebind(month)
                var serializer = Serializer(collecting: true)
                var marker: MonthMarker? = MonthMarker(rowsBefore: 0)
                let count = try serializeRows(statement, columnCount: columnCount, marker: &marker, into: &serializer)
                let read = MonthHandoff.Month(
                    bytes: serializer.collected(), count: count, yearsAreIntegers: marker != nil)
                guard handoff.put(read) else { return }
            }
        } catch {
            handoff.fail()
        }
    }

    /// Every table but `snapshot_meta` and SQLite's own, in bytewise order of the name.
    static func tableNames(_ database: Database) throws(SnapshotError) -> [String] {
        let rows = try database.rows(
            """
            SELECT name FROM sqlite_master
            WHERE type = 'table' AND name <> 'snapshot_meta' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
            """)
        let names = rows.compactMap { row -> String? in
            if case .text(let name) = row.first { return name }
            return nil
        }
        return names.sorted(by: bytewiseLess)
    }

    static func quoteIdentifier(_ name: String) -> String {
        var quoted = "\""
        for character in name {
            quoted += character == "\"" ? "\"\"" : String(character)
        }
        return quoted + "\""
    }

    /// Feeds SHA-256 through a 64 KiB buffer, or, collecting, keeps the bytes for a later `raw`.
    struct Serializer: ~Copyable {
        private static let capacity = 1 << 16
        private var hasher = ResumableSHA256()
        private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Serializer.capacity, alignment: 16)
        private var used = 0
        private let collecting: Bool
        /// A collecting serializer's bytes, a full buffer at a time (no copying as they grow).
        private var kept: [[UInt8]] = []
        private var keptCount = 0

        init(collecting: Bool = false) {
            self.collecting = collecting
        }

        deinit {
            buffer.deallocate()
        }

        var isCollecting: Bool { collecting }

        /// Bytes a collecting serializer has taken so far.
        var collectedCount: Int { keptCount + used }

        /// The hash's state after everything serialised so far.
        mutating func state() -> ResumableSHA256 {
            precondition(!collecting, "a collecting serializer does not hash")
            flush()
            return hasher
        }

        /// Goes on from `state` instead of the bytes serialised so far.
        mutating func resume(_ state: ResumableSHA256) {
            precondition(!collecting, "a collecting serializer does not hash")
            flush()
            hasher = state
        }

        @inline(__always)
        mutating func tag(_ character: Unicode.Scalar) {
            reserve(1)
            buffer[used] = UInt8(ascii: character)
            used += 1
        }

        @inline(__always)
        mutating func uint64(_ value: UInt64) {
            reserve(8)
            buffer.storeBytes(of: value.bigEndian, toByteOffset: used, as: UInt64.self)
            used += 8
        }

        @inline(__always)
        mutating func count(_ value: Int) {
            uint64(UInt64(value))
        }

        /// A string as its 8-byte length, then its UTF-8 bytes.
        mutating func string(_ text: String) {
            utf8(of: text, shortLength: false)
        }

        /// `value` in as few bytes as it needs (LEB128: seven bits a byte, the high bit set on every
        /// byte but the last), which tell where they end: a sequence of them reads back one way.
        /// For digests that only this build compares (`SalesDigests`); the content hash's own
        /// serialisation keeps its 8-byte counts (`count`), which every snapshot was hashed with.
        @inline(__always)
        mutating func varint(_ value: UInt64) {
            reserve(10)
            var rest = value
            while rest >= 0x80 {
                buffer[used] = UInt8(truncatingIfNeeded: rest) | 0x80
                used += 1
                rest >>= 7
            }
            buffer[used] = UInt8(truncatingIfNeeded: rest)
            used += 1
        }

        /// A signed integer as `varint` writes its zigzag form (0, -1, 1, -2… as 0, 1, 2, 3…): a
        /// small negative number in a byte or two too.
        @inline(__always)
        mutating func varint(signed value: Int64) {
            varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
        }

        /// A string as its `varint` length, then its UTF-8 bytes.
        @inline(__always)
        mutating func shortString(_ text: String) {
            utf8(of: text, shortLength: true)
        }

        /// `string` and `shortString`: a native string's bytes in place, a bridged or lazy one
        /// copied first, after their length (8 bytes, or `varint`).
        @inline(__always)
        private mutating func utf8(of text: String, shortLength: Bool) {
            if text.utf8.withContiguousStorageIfAvailable({ lengthAndBytes(UnsafeRawBufferPointer($0), shortLength) })
                == nil
            {
                var text = text
                text.withUTF8 { lengthAndBytes(UnsafeRawBufferPointer($0), shortLength) }
            }
        }

        @inline(__always)
        private mutating func lengthAndBytes(_ raw: UnsafeRawBufferPointer, _ shortLength: Bool) {
            if shortLength {
                varint(UInt64(raw.count))
                payload(raw)
            } else {
                bytes(raw)
            }
        }

        /// An integer as its length-prefixed decimal text, as `string(String(value))` writes it.
        mutating func decimal(_ value: Int64) {
            withUnsafeTemporaryAllocation(byteCount: 20, alignment: 1) { digits in
                var end = 20
                var magnitude = value.magnitude
                repeat {
                    end -= 1
                    digits[end] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                } while magnitude != 0
                if value < 0 {
                    end -= 1
                    digits[end] = UInt8(ascii: "-")
                }
                bytes(UnsafeRawBufferPointer(rebasing: digits[end..<20]))
            }
        }

        @inline(__always)
        mutating func bytes(_ raw: UnsafeRawBufferPointer) {
            count(raw.count)
            payload(raw)
        }

        /// Bytes after their length (`bytes`, `shortString`): into the buffer, or past it when they
        /// would not fit in it whole.
        @inline(__always)
        private mutating func payload(_ raw: UnsafeRawBufferPointer) {
            if _slowPath(raw.count >= Serializer.capacity) {
                large(raw)
                return
            }
            reserve(raw.count)
            if let base = raw.baseAddress {
                (buffer.baseAddress! + used).copyMemory(from: base, byteCount: raw.count)
            }
            used += raw.count
        }

        /// Bytes past the buffer's capacity, hashed (or kept) without it.
        @inline(never)
        private mutating func large(_ raw: UnsafeRawBufferPointer) {
            flush()
            if collecting {
                kept.append(Array(raw))
                keptCount += raw.count
            } else {
                hasher.update(raw)
            }
        }

        /// Room for `count` more bytes (at most the capacity).
        @inline(__always)
        private mutating func reserve(_ count: Int) {
            if _slowPath(used + count > Serializer.capacity) { flush() }
        }

        private mutating func flush() {
            let filled = UnsafeRawBufferPointer(rebasing: buffer[0..<used])
            if collecting {
                if used > 0 {
                    kept.append(Array(filled))
                    keptCount += used
                }
            } else {
                hasher.update(filled)
            }
            used = 0
        }

        /// Bytes serialised elsewhere (a collecting serializer's), taken as they are.
        mutating func raw(_ chunks: [[UInt8]]) {
            _ = raw(chunks, statesAt: [])
        }

        /// Bytes serialised elsewhere, taken as they are; returns the hash's state after each of
        /// `offsets` bytes of them (ascending, at most their count).
        mutating func raw(_ chunks: [[UInt8]], statesAt offsets: [Int]) -> [ResumableSHA256] {
            flush()
            var states: [ResumableSHA256] = []
            states.reserveCapacity(offsets.count)
            var next = offsets.makeIterator()
            var wanted = next.next()
            var taken = 0
            for chunk in chunks {
                chunk.withUnsafeBytes { bytes in
                    var start = 0
                    while let offset = wanted, offset - taken <= bytes.count {
                        hasher.update(UnsafeRawBufferPointer(rebasing: bytes[start..<(offset - taken)]))
                        start = offset - taken
                        states.append(hasher)
                        wanted = next.next()
                    }
                    hasher.update(UnsafeRawBufferPointer(rebasing: bytes[start...]))
                }
                taken += chunk.count
            }
            precondition(wanted == nil, "a state asked for past the bytes")
            return states
        }

        /// A collecting serializer's bytes, in order.
        consuming func collected() -> [[UInt8]] {
            flush()
            return kept
        }

        consuming func finish() -> String {
            flush()
            return lowercaseHex(hasher.digest())
        }
    }
}
