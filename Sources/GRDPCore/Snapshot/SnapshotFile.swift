public import Foundation

/// A published snapshot, opened read-only.
///
/// Published files are immutable, so the connection is opened with `SQLITE_OPEN_READONLY` and
/// `immutable=1`: SQLite takes no lock, looks for no journal and never writes the file (no
/// `-journal`, no `-shm`), so `export`, `verify` and `diff` can run beside a `run`.
/// Not `Sendable`: it owns one SQLite connection.
public final class SnapshotFile {
    public let url: URL
    public let meta: SnapshotMeta
    private let database: Database

    /// Opens the file at `url`; throws `SnapshotError` when it is not a readable grdp snapshot.
    public init(url: URL) throws(SnapshotError) {
        self.url = url
        self.database = try Database(path: url.path, mode: .readOnlyImmutable)
        self.meta = try SnapshotFile.readMeta(database)
    }

    /// Every table back into the row types, rows in key order.
    ///
    /// - Parameters:
    ///   - includingRecords: false leaves out `enterprise`, `ecommerce_sales` and `grdp`, the tables
    ///     that grow with the data and that no export reads.
    ///   - includingSales: false leaves out `ecommerce_sales` alone (`run --year` copies its rows
    ///     file to file instead: `CarriedSales`).
    public func loadContent(includingRecords: Bool = true, includingSales: Bool = true) throws(SnapshotError)
        -> SnapshotContent
    {
        try reading {
            () throws(SnapshotError) in
            try SnapshotContent(
                loadingFrom: database, includingRecords: includingRecords, includingSales: includingSales)
        }
    }

    /// How many `ecommerce_sales` rows are of none of `years`.
    public func salesRowCount(exceptYears years: Set<Int>) throws(SnapshotError) -> Int {
        try reading { () throws(SnapshotError) in
            Int(
                try database.integer(
                    "SELECT count(*) FROM ecommerce_sales WHERE year NOT IN (\(CarriedSales.sqlList(years)))") ?? 0)
        }
    }

    /// Only the `indicator` table, rows by year: enough for `snapshots` and `diff`.
    public func loadIndicators() throws(SnapshotError) -> [IndicatorRow] {
        try reading { () throws(SnapshotError) in try SnapshotContent.loadIndicators(from: database) }
    }

    /// `body`'s result; a table that SQLite cannot read, or that does not hold what grdp wrote,
    /// is a damaged snapshot (`SnapshotStore.damaged`, exit 65), as a file that does not open is.
    private func reading<T>(_ body: () throws(SnapshotError) -> T) throws(SnapshotError) -> T {
        do {
            return try body()
        } catch {
            guard error.code == .sqlite || error.code == .invalidSnapshot else { throw error }
            throw SnapshotStore.damaged(meta.version, error)
        }
    }

    /// The content hash recomputed from the stored tables.
    /// - Parameter inHalves: large tables read as two halves at once, on two threads, the second
    ///   half's rows serialised into memory until the first is hashed (`verify`: at 10 M, ~1.4 s
    ///   and ~190 MiB); false reads them in one pass on this thread, holding none (a run checking
    ///   its latest file beside its own work).
    public func contentSHA256(inHalves: Bool = true) throws(SnapshotError) -> String {
        try ContentHash.compute(database, splitThreshold: inHalves ? ContentHash.splitThreshold : nil)
    }

    /// Runs every check of `grdp verify`; an empty result means the file is sound.
    ///
    /// - Parameter expectedVersion: the version the file name says, checked against the meta.
    public func verify(expectedVersion: Int? = nil) -> [VerifyFailure] {
        var failures: [VerifyFailure] = []

        do {
            let rows = try database.rows("PRAGMA integrity_check")
            let messages = rows.compactMap { row -> String? in
                if case .text(let text) = row.first { return text }
                return nil
            }
            if messages != ["ok"] {
                let shown = messages.prefix(5).joined(separator: "; ")
                failures.append(VerifyFailure(check: .integrity, message: "integrity_check: \(shown)"))
            }
        } catch {
            failures.append(VerifyFailure(check: .integrity, message: error.description))
        }

        do {
            let applicationID = try database.integer("PRAGMA application_id") ?? 0
            if applicationID != SnapshotSchema.applicationID {
                failures.append(
                    VerifyFailure(
                        check: .applicationID,
                        message: "application_id is \(applicationID), expected \(SnapshotSchema.applicationID)"))
            }
            let userVersion = try database.integer("PRAGMA user_version") ?? 0
            if userVersion != SnapshotSchema.version {
                failures.append(
                    VerifyFailure(
                        check: .schemaVersion,
                        message: "user_version is \(userVersion), expected \(SnapshotSchema.version)"))
            }
        } catch {
            failures.append(VerifyFailure(check: .applicationID, message: error.description))
        }

        // Each of grdp's tables as grdp creates it: its columns (names, types, NOT NULL, key) in
        // order, STRICT, and stored as grdp stores it — `ecommerce_sales` also in the layout of the
        // snapshots published before it was stored `WITHOUT ROWID` (no key). Compared by structure,
        // not by the text of its statement, which SQLite rewrites when a table is renamed.
        for table in SnapshotSchema.allTables {
            if let problem = definitionProblem(of: table) {
                failures.append(VerifyFailure(check: .schema, message: problem))
            }
        }
        // No other object: no table, index, view or trigger added (a view or trigger changes what
        // other readers see, and none is in the content hash). An index without SQL is a key's own.
        do {
            let names = Set(SnapshotSchema.allTables.map(\.name))
            for row in try database.rows("SELECT type, name, sql FROM sqlite_master ORDER BY type, name") {
                guard row.count == 3, case .text(let type) = row[0], case .text(let name) = row[1] else { continue }
                if type == "table" && names.contains(name) { continue }
                if type == "index", case .null = row[2] { continue }
                failures.append(
                    VerifyFailure(check: .schema, message: "\(type) \(name) is not one grdp creates (added since)"))
            }
        } catch {
            failures.append(VerifyFailure(check: .schema, message: error.description))
        }

        if let expectedVersion, meta.version != expectedVersion {
            failures.append(
                VerifyFailure(
                    check: .meta,
                    message: "snapshot_meta says version \(meta.version), the file name says \(expectedVersion)"))
        }

        do {
            let recomputed = try contentSHA256()
            if recomputed != meta.contentSHA256 {
                failures.append(
                    VerifyFailure(
                        check: .contentHash,
                        message: "content_sha256 recomputed as \(recomputed), snapshot_meta says \(meta.contentSHA256)"
                    ))
            }
        } catch {
            failures.append(VerifyFailure(check: .contentHash, message: "cannot recompute: \(error.description)"))
        }
        return failures
    }

    /// What is wrong with `table`'s definition in the file, if anything (`verify`'s schema check).
    private func definitionProblem(of table: SnapshotSchema.Table) -> String? {
        let name = table.name
        let rows: [[SQLValue]]
        do {
            rows = try database.rows("PRAGMA table_info(\(ContentHash.quoteIdentifier(name)))")
        } catch {
            return error.description
        }
        guard !rows.isEmpty else { return "table \(name) is missing" }
        // cid, name, type, notnull, dflt_value, pk
        func text(_ value: SQLValue) -> String? { if case .text(let text) = value { text } else { nil } }
        func integer(_ value: SQLValue) -> Int64? { if case .integer(let integer) = value { integer } else { nil } }
        let present = rows.compactMap { $0.count > 1 ? text($0[1]) : nil }
        let missing = table.columnNames.filter { !present.contains($0) }
        if !missing.isEmpty { return "table \(name) lacks column(s) " + missing.joined(separator: ", ") }
        let key = table.storedInHashOrder ? table.columnNames : table.primaryKey
        // Each column as "name TYPE[ NOT NULL][ key N]", N its place in the primary key.
        let found = rows.map { row in
            row.count > 5
                ? "\(text(row[1]) ?? "?") \(text(row[2]) ?? "?")\(integer(row[3]) == 1 ? " NOT NULL" : "")"
                    + ((integer(row[5]) ?? 0) > 0 ? " key \(integer(row[5])!)" : "")
                : "?"
        }
        func wanted(key: [String]) -> [String] {
            table.columns.map { column in
                "\(column.name) \(column.type)\(column.nullable ? "" : " NOT NULL")"
                    + (key.firstIndex(of: column.name).map { " key \($0 + 1)" } ?? "")
            }
        }
        // The earlier layout of the sales table: the same columns, no key, rows by rowid.
        let layouts = table.storedInHashOrder ? [(key, true), ([], false)] : [(key, false)]
        // `PRAGMA table_list` (SQLite 3.37+) says whether it is STRICT and WITHOUT ROWID.
        let listed = (try? database.rows("PRAGMA table_list(\(ContentHash.quoteIdentifier(name)))"))?.first
        let strict = listed.flatMap { $0.count > 5 ? integer($0[5]) : nil }
        let withoutRowID = listed.flatMap { $0.count > 4 ? integer($0[4]) : nil }
        if let strict, strict != 1 { return "table \(name) is not STRICT, as grdp creates it (recreated since)" }
        for (key, storedByKey) in layouts where found == wanted(key: key) {
            if let withoutRowID, (withoutRowID == 1) != storedByKey { continue }
            return nil
        }
        return "table \(name) is not defined as grdp creates it (recreated or altered since): its columns are "
            + found.joined(separator: ", ") + "; grdp's are " + wanted(key: key).joined(separator: ", ")
    }

    static func readMeta(_ database: Database) throws(SnapshotError) -> SnapshotMeta {
        var values: [String: String?] = [:]
        for row in try database.rows("SELECT key, value FROM snapshot_meta") {
            guard row.count == 2, case .text(let key) = row[0] else { continue }
            switch row[1] {
            case .text(let value): values[key] = .some(value)
            case .integer(let value): values[key] = .some(String(value))
            default: values[key] = .some(nil)
            }
        }
        func invalid(_ message: String) -> SnapshotError {
            SnapshotError(code: .invalidSnapshot, message: "snapshot_meta: \(message)", path: database.path)
        }
        func required(_ key: String) throws(SnapshotError) -> String {
            guard let entry = values[key], let value = entry else { throw invalid("\(key) is missing") }
            return value
        }
        let key = SnapshotSchema.MetaKey.self
        guard let version = Int(try required(key.version)), version > 0 else {
            throw invalid("version is not a positive integer")
        }
        var parent: Int?
        if let entry = values[key.parentVersion], let text = entry, !text.isEmpty {
            guard let value = Int(text) else { throw invalid("parent_version '\(text)' is not an integer") }
            parent = value
        }
        return SnapshotMeta(
            version: version, createdAt: try required(key.createdAt), toolVersion: try required(key.toolVersion),
            configSHA256: try required(key.configSHA256), contentSHA256: try required(key.contentSHA256),
            parentVersion: parent, command: try required(key.command))
    }
}
