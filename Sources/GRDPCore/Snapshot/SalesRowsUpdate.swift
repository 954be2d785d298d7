internal import CSQLite

/// The sales rows of some years in a snapshot file copied from the latest one, brought to the
/// rows a run computed for those years by deleting the rows that are not among them and
/// inserting those that are not in the file, instead of deleting every row of the years and
/// inserting them all again.
///
/// A nightly return changes few of a year's rows: at 10 M transactions plus a return of 100,000,
/// 51,000 of 2024's 709,000 rows are new and 36,000 of the old ones gone; deleting and inserting
/// every row cost ~1.5 s, SQLite's ~1 µs a row each way. `run --year` of a year whose rows did
/// not change now writes none of them.
///
/// The latest file's rows of the years are read in the table's order (its b-tree) and merged with
/// the computed ones, which come in that order too (Compute's canonical order), while that file is
/// copied; the differences are then applied to the copy. The result holds
/// exactly the computed rows for those years, as the full delete and insert did; the file's bytes
/// differ (other pages split), its content and content hash do not.
enum SalesRowsUpdate {
    /// What an update changed.
    struct Changes: Equatable {
        var deleted: Int
        var inserted: Int

        static func + (a: Changes, b: Changes) -> Changes {
            Changes(deleted: a.deleted + b.deleted, inserted: a.inserted + b.inserted)
        }
    }

    /// Of the months a year at a time went through (`YearUpdate`): those merged with the file's
    /// rows, those whose digest let them be, unread, and of the merged ones those replaced whole
    /// (more of the file's rows gone than kept).
    struct Months: Equatable {
        var merged = 0
        var unchanged = 0
        var replaced = 0

        static func + (a: Months, b: Months) -> Months {
            Months(
                merged: a.merged + b.merged, unchanged: a.unchanged + b.unchanged, replaced: a.replaced + b.replaced)
        }
    }

    /// What the computed rows were compared with, as the log says it.
    enum Compared: String, Sendable {
        /// The file's rows of the written years, read as the merge went.
        case file = "the file"
        /// The same rows, read ahead while the kept ledger was read (`FileRows`).
        case readAhead = "rows read ahead"
        /// The file's rows of the keys the night's returns touched alone (`Key`).
        case touchedKeys = "rows of the touched keys"
        /// Those rows as the kept groups made them, none read from the file (`KeptGroupChanges`).
        case keptGroups = "the touched keys' rows the kept groups made"
        /// The file's rows of each written year, read as the merge went, a year at a time as the
        /// years were computed (`SalesByYear`); a month whose rows kept their digest not read.
        case fileByYear = "the file, a year at a time"
    }

    /// What brings a file's rows of some years to the computed ones.
    struct Diff: Sendable {
        /// The file's rows that are not among the computed ones, every column as stored.
        var gone: [[SQLValue]]
        /// The computed rows that are not in the file.
        var added: [EcommerceSalesRow]
        /// When only some keys' rows were compared (`diff(_:changedOnlyUnderKeysOf:)`): how many keys.
        var keys: Int?

        var changes: Changes { Changes(deleted: gone.count, inserted: added.count) }
    }

    /// How the rows of `years` in the snapshot file at `path` differ from `rows`; nil when `rows`
    /// hold another year (the caller then deletes the years' rows and inserts `rows`). The file is
    /// only read: it is the latest snapshot, which the file being written is a copy of, read on
    /// another thread while that copy is made.
    ///
    /// The difference is right whatever the order of `rows`: each is either equal to the file's
    /// row it is merged with (kept) or added, and each file row either kept or gone. Out of order,
    /// rows equal to the file's are only deleted and inserted again.
    ///
    /// From `rowsPerPart` rows, in `parts` at once, one on each core, by month: each part merges
    /// the rows of its months with the file's, read through a connection of its own (at 10 M, a
    /// night's 708,587 rows of 2024 took ~0.4 s on one core while the other hashed them, and was
    /// the run's longest step).
    static func diff(
        _ rows: [EcommerceSalesRow], years: Set<Int>, from path: String, parts: Int = 2,
        partsFrom rowsPerPart: Int = rowsPerPart
    ) throws(SnapshotError) -> Diff? {
        guard rows.allSatisfy({ years.contains($0.year) }) else { return nil }
        // Where parts begin: the year and month of every `parts`-th share of the rows, each after
        // the one before (a month is never cut), and the first row of each.
        var bounds: [(year: Int, month: Int)] = []
        if rows.count >= rowsPerPart, let first = rows.first {
            for part in 1..<max(parts, 1) {
                let row = rows[rows.count * part / parts]
                if (row.year, row.month) > (bounds.last ?? (first.year, first.month)) {
                    bounds.append((row.year, row.month))
                }
            }
        }
        var starts = [0]
        var index = 0
        for bound in bounds {
            while index < rows.count, (rows[index].year, rows[index].month) < bound { index += 1 }
            starts.append(index)
        }
        starts.append(rows.count)
        let table = SnapshotSchema.ecommerceSales
        let outcomes = InParts.run(bounds.count + 1) { [bounds, starts] part throws(SnapshotError) -> Diff in
            let database = try Database(path: path, mode: .readOnlyImmutable)
            defer { database.close() }
            // A part's months as row values, which bound the primary key's range.
            var months = ""
            if part > 0 { months += " AND (year, month) >= (\(bounds[part - 1].year), \(bounds[part - 1].month))" }
            if part < bounds.count { months += " AND (year, month) < (\(bounds[part].year), \(bounds[part].month))" }
            let select = try database.prepare(
                table.selectAllSQL(where: "year IN (\(CarriedSales.sqlList(years)))\(months)"))
            var cursor = StatementRows(statement: select, columns: table.columns.count)
            return try merge(rows, in: starts[part]..<starts[part + 1], with: &cursor)
        }
        var diff = Diff(gone: [], added: [])
        for outcome in outcomes {
            let part = try outcome.get()
            diff.gone += part.gone
            diff.added += part.added
        }
        return diff
    }

    /// Rows from which `diff(_:years:from:parts:)` takes them in parts.
    static let rowsPerPart = 1 << 15

    /// The file's rows of the years diffed, in the table's order, one at a time: read as the merge
    /// goes (`StatementRows`) or read ahead (`FileRows.Cursor`).
    protocol FileRowCursor: ~Copyable {
        /// Moves to the next row; false past the last.
        mutating func step() throws(SnapshotError) -> Bool
        /// -1, 0 or 1: the current row sorts before, equals or sorts after `rows[index]`.
        mutating func order(against rows: [EcommerceSalesRow], at index: Int) throws(SnapshotError) -> Int
        /// The current row's values as stored, for its DELETE.
        func values() -> [SQLValue]
    }

    /// The merge of the file's rows with `rows` (those in `range`, when given): the computed rows
    /// before a file row are new; one equal to it keeps it; with none, the file's row is gone.
    static func merge<Cursor: FileRowCursor & ~Copyable>(
        _ rows: [EcommerceSalesRow], in range: Range<Int>? = nil, with cursor: inout Cursor
    ) throws(SnapshotError) -> Diff {
        let range = range ?? rows.indices
        var diff = Diff(gone: [], added: [])
        var next = range.lowerBound
        while try cursor.step() {
            var kept = false
            while next < range.upperBound {
                let order = try cursor.order(against: rows, at: next)
                if order < 0 { break }
                kept = order == 0
                if !kept { diff.added.append(rows[next]) }
                next += 1
                if kept { break }
            }
            if !kept { diff.gone.append(cursor.values()) }
        }
        diff.added += rows[next..<range.upperBound]
        return diff
    }

    /// A SELECT's rows, compared column by column with no value made (`FileRowComparison`).
    private struct StatementRows: FileRowCursor {
        let statement: Statement
        let columns: Int

        mutating func step() throws(SnapshotError) -> Bool { try statement.step() }

        mutating func order(against rows: [EcommerceSalesRow], at index: Int) throws(SnapshotError) -> Int {
            var comparison = FileRowComparison(statement: statement)
            try rows[index].put(into: &comparison)
            return comparison.order
        }

        func values() -> [SQLValue] { (0..<columns).map { statement.value(at: $0) } }
    }

    /// The rows of one year in a copy of a snapshot file brought to the computed ones as Compute
    /// hands them over in parts (`SalesByYear`), so that no more than a part is held (at 10 M,
    /// half a year's rows, ~40 MB, where the whole year and its copy stood at 157 MB).
    ///
    /// Each month's rows, in the table's order, are digested (`SalesDigests.digest`); when the
    /// file's rows of that month had another digest, or it is not known, they are merged with the
    /// file's rows of the month, read from the file (the copy's source, only read), and the
    /// differences applied to the copy, inside the caller's transaction. The file's rows of months
    /// that have no row any more are deleted. A part's last month waits for the next part, which
    /// may go on with it. Another thread hashes each part meanwhile.
    struct YearUpdate: ~Copyable {
        let year: Int
        /// The file copied (read only, a connection for each month compared), and the copy written.
        let source: String
        let copy: Database
        /// The digests of the file's rows of the year by month (nil: not known, every month is
        /// merged), and where this year's months' digests go.
        let earlier: [Int: String]?
        let digests: SalesDigestsByYear?
        /// The rows of the last month handed over, not yet taken.
        private var pending: [EcommerceSalesRow] = []
        /// The months before this one are taken (nil: none yet).
        private var taken: Int?
        private(set) var changes = Changes(deleted: 0, inserted: 0)
        private(set) var months = Months()

        /// - Parameter earlier: the file's months' digests (`SalesDigests.months`), of every year.
        init(
            year: Int, source path: String, copy: Database, earlier: [Int: String]? = nil,
            digests: SalesDigestsByYear? = nil
        ) throws(SnapshotError) {
            self.year = year
            self.source = path
            self.copy = copy
            self.earlier = earlier.map { months in
                var ofYear: [Int: String] = [:]
                for (key, digest) in months where SalesDigests.year(ofMonthKey: key) == year {
                    ofYear[SalesDigests.month(ofMonthKey: key)] = digest
                }
                return ofYear
            }
            self.digests = digests
        }

        /// The next part of the year's rows, taken while another thread runs `hashing` (them).
        mutating func add(
            _ part: [EcommerceSalesRow], hashing: @escaping @Sendable () throws(SnapshotError) -> Void
        ) throws(SnapshotError) {
            let hashed = OnAnotherThread { () -> SnapshotError? in
                do throws(SnapshotError) { try hashing() } catch { return error }
                return nil
            }
            // Waited for whatever happens: the part is not let go while it is read there.
            defer { _ = hashed.wait() }
            guard let last = part.last else { return }
            guard part.allSatisfy({ $0.year == year }),
                zip(part, part.dropFirst()).allSatisfy({ $0.month <= $1.month }),
                (pending.last?.month ?? taken).map({ part[0].month >= $0 }) != false
            else {
                throw SnapshotError(
                    code: .invalidSnapshot,
                    message: "the computed sales rows of \(year) are not of that year in the table's order",
                    path: copy.path)
            }
            // Complete now: the pending month, and the part's months before its last (a month the
            // pending rows began goes on in this part only if Compute cut a month in two, which
            // it does not).
            var rows = part
            if let month = pending.first?.month {
                if part[0].month == month {
                    rows = pending + part
                } else {
                    try take(pending, [pending.indices])
                }
                pending = []
            }
            let cut = rows.firstIndex { $0.month == last.month }!
            var complete: [Range<Int>] = []
            var start = 0
            while start < cut {
                let month = rows[start].month
                var end = start + 1
                while end < cut, rows[end].month == month { end += 1 }
                complete.append(start..<end)
                start = end
            }
            try take(rows, complete)
            pending = Array(rows[cut...])
            if let error = hashed.wait() { throw error }
        }

        /// After the last part: its last month taken, and the file's rows of later months gone.
        mutating func finish() throws(SnapshotError) {
            if !pending.isEmpty { try take(pending, [pending.indices]) }
            pending = []
            try deleteRows(months: taken, upTo: nil)
        }

        /// Months of rows, `rows[range]` for each range (every row of its month, in order): the
        /// file's rows of the months before each that have none any more deleted, and its own
        /// merged unless their digest is the one the file's rows of that month had.
        ///
        /// Each month's rows are compared with the file's on another thread, the next month's
        /// while this thread applies the differences of the one before (a run that changes a
        /// third of every year's rows, at 10 M: 60 months, ~800,000 rows each way).
        private mutating func take(_ rows: [EcommerceSalesRow], _ ranges: [Range<Int>]) throws(SnapshotError) {
            // What to do, month by month: the months before it emptied, then it merged, or not.
            var steps: [(emptied: (first: Int?, end: Int), merged: Range<Int>?)] = []
            for range in ranges {
                let month = rows[range.lowerBound].month
                let digest = SalesDigests.digest(rows[range])
                digests?.add(year: year, month: month, rows: range.count, digest: digest)
                let unchanged = earlier.map { $0[month] == digest } ?? false
                if unchanged { months.unchanged += 1 }
                steps.append(((taken, month), unchanged ? nil : range))
                taken = month + 1
            }
            let (source, year) = (self.source, self.year)
            var toCompare = steps.compactMap(\.merged).makeIterator()
            func compareNext() -> OnAnotherThread<Result<Diff, SnapshotError>>? {
                toCompare.next().map { range in
                    OnAnotherThread {
                        Result { () throws(SnapshotError) in
                            try YearUpdate.diff(rows, range, year: year, source: source)
                        }
                    }
                }
            }
            var next = compareNext()
            // Waited for whatever happens: no thread is left reading the file.
            defer { _ = next?.wait() }
            for step in steps {
                try deleteRows(months: step.emptied.first, upTo: step.emptied.end)
                guard let range = step.merged, let comparing = next else { continue }
                let diff = try comparing.wait().get()
                next = compareNext()
                // The computed rows the file kept: those not added.
                let kept = range.count - diff.added.count
                if diff.gone.count > kept {
                    try replaceMonth(with: rows, range, fileRows: diff.gone.count + kept)
                    months.replaced += 1
                } else {
                    try apply(diff, in: copy)
                }
                changes = changes + diff.changes
                months.merged += 1
            }
        }

        /// The file's rows of the month of `rows[range]` (every row of it) deleted in one statement
        /// and those rows inserted, when more of the file's rows are gone than kept: one range
        /// delete instead of a lookup for each gone row (2 M transactions, the 1 M set's archives
        /// replaced by the 2 M set's: ~540,000 rows gone in 60 months, each found and deleted).
        /// The same rows either way; the diff still counts the changes. Throws when the copy's
        /// month did not hold the `fileRows` rows the diff read from the file it was copied from.
        private mutating func replaceMonth(
            with rows: [EcommerceSalesRow], _ range: Range<Int>, fileRows: Int
        ) throws(SnapshotError) {
            let month = rows[range.lowerBound].month
            try copy.execute(
                "DELETE FROM \(SnapshotSchema.ecommerceSales.name) WHERE year = \(year) AND month = \(month)")
            guard copy.changes == fileRows else {
                throw SnapshotError(
                    code: .invalidSnapshot,
                    message:
                        "the copy held \(copy.changes) sales rows of \(year)-\(month), not the \(fileRows) its file had",
                    path: copy.path)
            }
            try insertRows(rows[range], copy)
        }

        /// How `rows[range]`, every row of one month, differ from the file's rows of that month.
        private static func diff(
            _ rows: [EcommerceSalesRow], _ range: Range<Int>, year: Int, source path: String
        ) throws(SnapshotError) -> Diff {
            let table = SnapshotSchema.ecommerceSales
            let month = rows[range.lowerBound].month
            let source = try Database(path: path, mode: .readOnlyImmutable)
            defer { source.close() }
            let select = try source.prepare(table.selectAllSQL(where: "year = \(year) AND month = \(month)"))
            var cursor = StatementRows(statement: select, columns: table.columns.count)
            return try SalesRowsUpdate.merge(rows, in: range, with: &cursor)
        }

        /// Deletes the file's rows of the months from `first` up to `end` (excluded; nil: no
        /// bound), which have no row now, in one statement; nothing when those months are empty,
        /// or the file had no row in them (its digests say so).
        private mutating func deleteRows(months first: Int?, upTo end: Int?) throws(SnapshotError) {
            if let first, let end, first >= end { return }
            if let earlier, !earlier.keys.contains(where: { $0 >= (first ?? .min) && $0 < (end ?? .max) }) {
                return
            }
            var bounds = "year = \(year)"
            if let first { bounds += " AND month >= \(first)" }
            if let end { bounds += " AND month < \(end)" }
            try copy.execute("DELETE FROM \(SnapshotSchema.ecommerceSales.name) WHERE \(bounds)")
            changes.deleted += copy.changes
        }
    }

    /// Deletes the gone rows and inserts the added ones, inside the caller's transaction: first
    /// every delete, so that a row deleted and added again is never there twice.
    ///
    /// Throws when a gone row is not in the file (no row deleted, or more than one): the diff was
    /// not of this file, and the file is not to be published.
    static func apply(_ diff: Diff, in database: Database) throws(SnapshotError) {
        let table = SnapshotSchema.ecommerceSales
        let key = table.columnNames.map { "\($0) = ?" }.joined(separator: " AND ")
        let delete = try database.prepare("DELETE FROM \(table.name) WHERE \(key)")
        for values in diff.gone {
            try delete.run(values)
            guard database.changes == 1 else {
                throw SnapshotError(
                    code: .invalidSnapshot,
                    message: "a sales row to delete was \(database.changes) rows of the copy, not one: \(values)",
                    path: database.path)
            }
        }
        try insertRows(diff.added, database)
    }

    /// Compares the file's row a statement is on with a computed row put into it, column by
    /// column as `ORDER BY` does, up to the first that differs; no value of either is made.
    private struct FileRowComparison: RowValueSink, ~Copyable {
        let statement: Statement
        private var column = 0
        /// -1, 0 or 1: the file's row before, equal to or after the computed one (so far).
        private(set) var order = 0

        init(statement: Statement) {
            self.statement = statement
        }

        var path: String { statement.database.path }

        mutating func int(_ value: Int) {
            if order == 0 {
                if statement.columnType(at: column) == SQLITE_INTEGER {
                    let stored = statement.int64(at: column)
                    order = stored == Int64(value) ? 0 : (stored < Int64(value) ? -1 : 1)
                } else {
                    order = storedOrder(.integer(Int64(value)))
                }
            }
            column += 1
        }

        mutating func text(_ value: String) {
            if order == 0 {
                var text = value
                order = text.withUTF8 { storedOrder(text: UnsafeRawBufferPointer($0)) ?? storedOrder(.text(value)) }
            }
            column += 1
        }

        mutating func exact(_ value: ExactDecimal) {
            if order == 0 {
                order =
                    value.reduced.withCanonicalText { storedOrder(text: $0) } ?? storedOrder(.exact(value.reduced))
            }
            column += 1
        }

        mutating func value(_ value: SQLValue) {
            if order == 0 { order = storedOrder(ContentHash.StoredValue(storing: value)) }
            column += 1
        }

        /// The order of a TEXT column and `text`'s bytes; nil when the column is not TEXT.
        private func storedOrder(text: UnsafeRawBufferPointer) -> Int? {
            guard statement.columnType(at: column) == SQLITE_TEXT else { return nil }
            return statement.withBytes(at: column, type: SQLITE_TEXT) {
                ContentHash.StoredValue.compareBytes($0, text)
            }
        }

        /// The order of the column, whatever its type, and `value`.
        private func storedOrder(_ value: ContentHash.StoredValue) -> Int {
            ContentHash.StoredValue.compare(ContentHash.StoredValue(storing: statement.value(at: column)), value)
        }
    }
}
