/// A snapshot could not be read, written or found.
///
/// Modelled on GRDB's `DatabaseError`: an extensible `code`, a `message` naming the file, the SQL
/// involved and SQLite's own result code and errno. Failures to *write* output (disk full,
/// permission denied) are thrown as `OutputWriteError` instead, so that the executable can map
/// them to exit 73.
public struct SnapshotError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in a form the executable can map to an exit code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The requested snapshot version does not exist (exit 66).
        public static let missingSnapshot = Code("missing-snapshot")
        /// SQLite reported an error (the file is damaged, not a snapshot, or an internal fault).
        public static let sqlite = Code("sqlite")
        /// The file opened but is not a well-formed grdp snapshot (missing meta, wrong schema).
        public static let invalidSnapshot = Code("invalid-snapshot")
        /// A published snapshot file cannot be read: damaged on disk or edited (exit 65, as
        /// `verify` finding it so).
        public static let damagedSnapshot = Code("damaged-snapshot")
        /// A figure cannot be stored exactly in its column (a bug in the stage that produced it).
        public static let unrepresentableValue = Code("unrepresentable-value")
        /// The snapshots folder exists but cannot be listed (exit 66: an input that cannot be
        /// read, like a returns folder in that state).
        public static let unreadableFolder = Code("unreadable-folder")
        /// A published snapshot file the system will not open for this user (exit 66): its
        /// permissions, not damage; nothing is said of its content.
        public static let unreadableSnapshot = Code("unreadable-snapshot")
        /// Another process published the version number this run meant to use.
        public static let versionConflict = Code("version-conflict")
        /// Rows a run left in its archive cache to read at the publish (`CachedQuarantine`) no
        /// longer read as they did: a cache file was written to during the run (exit 70).
        public static let cacheChanged = Code("cache-changed")
    }

    public var code: Code
    /// A sentence naming what failed.
    public var message: String
    /// The snapshot file (or folder) involved.
    public var path: String
    /// The SQL statement that failed, if any.
    public var sql: String?
    /// SQLite's extended result code, if SQLite reported the error.
    public var sqliteCode: Int32?
    /// The operating system's errno behind SQLite's error, if any (0 is reported as nil).
    public var systemErrno: Int32?

    public init(
        code: Code, message: String, path: String, sql: String? = nil, sqliteCode: Int32? = nil,
        systemErrno: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.sql = sql
        self.sqliteCode = sqliteCode
        self.systemErrno = systemErrno
    }

    public var description: String {
        var text = "\(path): \(message)"
        if let sqliteCode { text += " (SQLite code \(sqliteCode))" }
        if let systemErrno { text += ": \(SystemReason.describe(systemErrno))" }
        if let sql { text += " while executing: \(sql)" }
        return text
    }
}
