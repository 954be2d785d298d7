internal import CSQLite

/// One SQLite connection: our thin wrapper over the system libsqlite3.
///
/// Not `Sendable`: a connection is used by one task at a time (opened with `SQLITE_OPEN_NOMUTEX`).
/// `deinit` closes the handle, also after a failed `sqlite3_open_v2` — SQLite's documentation:
/// "Whether or not an error occurs when it is opened, resources associated with the database
/// connection handle should be released by passing it to sqlite3_close() when it is no longer
/// required." (sqlite-nio forgets this; GRDB does not.)
final class Database {
    enum Mode {
        /// Read and write, creating the file when missing.
        case create
        /// Read-only on an immutable file: no locks, no journal, no `-shm`; the file is never modified.
        case readOnlyImmutable
    }

    let path: String
    private var handle: OpaquePointer?

    /// Set once, before the first connection initializes SQLite (`sqlite3_config` must come first).
    private static let configured: Bool = grdp_sqlite_disable_memory_statistics() == SQLITE_OK

    init(path: String, mode: Mode) throws(SnapshotError) {
        _ = Database.configured
        self.path = path
        self.handle = nil
        var connection: OpaquePointer?
        let status: Int32
        switch mode {
        case .create:
            // URI filenames for ATTACH (`CarriedSales` attaches a published snapshot immutable); the
            // paths opened here are absolute, never `file:` URIs.
            let flags =
                SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
                | SQLITE_OPEN_URI
            status = sqlite3_open_v2(path, &connection, flags, nil)
        case .readOnlyImmutable:
            let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
            status = sqlite3_open_v2(Database.immutableURI(path), &connection, flags, nil)
        }
        // Stored before checking: from here on, deinit closes it whatever happens.
        self.handle = connection
        if status != SQLITE_OK {
            throw error(status: status, sql: nil)
        }
        sqlite3_extended_result_codes(connection, 1)
    }

    deinit {
        // close_v2 accepts NULL and defers the close until every statement is finalized.
        sqlite3_close_v2(handle)
    }

    /// Closes the connection now. Statements hold a strong reference to their database, so none
    /// is alive here unless the caller keeps one.
    func close() {
        sqlite3_close_v2(handle)
        handle = nil
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws(SnapshotError) {
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        if status != SQLITE_OK { throw error(status: status, sql: sql) }
    }

    func prepare(_ sql: String) throws(SnapshotError) -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// The first column of the first row of `sql`, as an integer (PRAGMA application_id, …).
    func integer(_ sql: String) throws(SnapshotError) -> Int64? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.int64(at: 0)
    }

    /// Every row of a query, each as values (for small catalogue queries).
    func rows(_ sql: String) throws(SnapshotError) -> [[SQLValue]] {
        let statement = try prepare(sql)
        var result: [[SQLValue]] = []
        while try statement.step() {
            result.append((0..<statement.columnCount).map { statement.value(at: $0) })
        }
        return result
    }

    var rawHandle: OpaquePointer? { handle }

    /// How many rows the last INSERT, UPDATE or DELETE changed.
    var changes: Int { Int(sqlite3_changes64(handle)) }

    /// An error from the connection's current state, naming the file and the SQL.
    func error(status: Int32, sql: String?) -> SnapshotError {
        let message: String
        if let handle, let text = sqlite3_errmsg(handle) {
            message = String(cString: text)
        } else if let text = sqlite3_errstr(status) {
            message = String(cString: text)
        } else {
            message = "SQLite error \(status)"
        }
        // The system's errno only where SQLite took it for this error (an I/O error, a file it
        // could not open): it stays on the connection after, and would name a stale cause.
        let primary = status & 0xFF
        let systemErrno =
            primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN ? handle.map { sqlite3_system_errno($0) } ?? 0 : 0
        return SnapshotError(
            code: .sqlite, message: message, path: path, sql: sql, sqliteCode: status,
            systemErrno: systemErrno == 0 ? nil : systemErrno)
    }

    /// `file:` URI for a read-only, immutable open; `%`, `?`, `#` and non-ASCII bytes are percent-encoded.
    static func immutableURI(_ path: String) -> String {
        var uri = "file:"
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "%"), UInt8(ascii: "?"), UInt8(ascii: "#"), 0x80...0xFF:
                let hex = String(byte, radix: 16, uppercase: true)
                uri += "%" + (hex.count == 1 ? "0" + hex : hex)
            default:
                uri.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return uri + "?mode=ro&immutable=1"
    }
}
