internal import CSQLite

/// A value as SQLite stores it.
enum SQLValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A prepared statement; `deinit` finalizes it (GRDB's `Statement` does the same).
///
/// Holds a strong reference to its `Database`, so the connection outlives every statement.
final class Statement {
    let database: Database
    let sql: String
    private let handle: OpaquePointer

    /// The texts `ParameterBinder` binds, copied into chunks that never move and bound with
    /// SQLITE_STATIC: SQLite keeps the pointer instead of allocating and copying each cell (at
    /// 1 M transactions, ~3 M texts). Reused from one `insertRow` to the next, whose reset
    /// releases them; every parameter is bound again before the next step.
    /// (Unchecked: changed for every text bound, each change was a dynamic exclusivity check; a
    /// statement is used by the one thread that prepared it.)
    @exclusivity(unchecked) private var arena: [UnsafeMutableRawPointer] = []
    @exclusivity(unchecked) private var arenaChunk = 0
    @exclusivity(unchecked) private var arenaUsed = 0
    private static let arenaChunkBytes = 1 << 16
    private static let emptyText: StaticString = ""

    init(database: Database, sql: String) throws(SnapshotError) {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v2(database.rawHandle, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw database.error(status: status, sql: sql)
        }
        self.database = database
        self.sql = sql
        self.handle = statement
    }

    deinit {
        sqlite3_finalize(handle)
        for chunk in arena { chunk.deallocate() }
    }

    var columnCount: Int { Int(sqlite3_column_count(handle)) }

    func columnName(at index: Int) -> String {
        sqlite3_column_name(handle, Int32(index)).map { String(cString: $0) } ?? ""
    }

    /// Binds `values` to parameters 1…n.
    func bind(_ values: [SQLValue]) throws(SnapshotError) {
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    func bind(_ value: SQLValue, at index: Int32) throws(SnapshotError) {
        let status: Int32
        switch value {
        case .null:
            status = sqlite3_bind_null(handle, index)
        case .integer(let integer):
            status = sqlite3_bind_int64(handle, index, integer)
        case .real(let real):
            status = sqlite3_bind_double(handle, index, real)
        case .text(let text):
            status = bindText(text, at: index)
        case .blob(let bytes):
            status = bytes.withUnsafeBytes { buffer in
                sqlite3_bind_blob(handle, index, buffer.baseAddress, Int32(buffer.count), grdp_sqlite_transient())
            }
        }
        if status != SQLITE_OK { throw database.error(status: status, sql: sql) }
    }

    /// Binds a text with an explicit byte length, so that a NUL inside it is kept, copied by SQLite.
    fileprivate func bindText(_ text: String, at index: Int32) -> Int32 {
        var copy = text
        return copy.withUTF8 { bindTextBytes(UnsafeRawBufferPointer($0), at: index, inArena: false) }
    }

    /// Binds `bytes` as text at `index`: from the arena when `inArena` (a text larger than a chunk
    /// is copied by SQLite all the same), else copied by SQLite. An empty text binds a real empty
    /// string: a NULL pointer would bind SQL NULL.
    fileprivate func bindTextBytes(_ bytes: UnsafeRawBufferPointer, at index: Int32, inArena: Bool) -> Int32 {
        if bytes.isEmpty {
            return Self.emptyText.withUTF8Buffer { empty in
                empty.withMemoryRebound(to: CChar.self) { sqlite3_bind_text(handle, index, $0.baseAddress, 0, nil) }
            }
        }
        guard inArena, bytes.count <= Self.arenaChunkBytes else {
            return sqlite3_bind_text(
                handle, index, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count),
                grdp_sqlite_transient())
        }
        if arena.isEmpty || arenaUsed + bytes.count > Self.arenaChunkBytes {
            if !arena.isEmpty { arenaChunk += 1 }
            if arenaChunk == arena.count {
                arena.append(.allocate(byteCount: Self.arenaChunkBytes, alignment: 16))
            }
            arenaUsed = 0
        }
        let destination = arena[arenaChunk] + arenaUsed
        destination.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        arenaUsed += bytes.count
        return sqlite3_bind_text(
            handle, index, destination.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
    }

    /// Binds parameters 1…n through `bind`, in order, and runs the statement: the insert path for
    /// tables of 100,000s of rows, without an array of values per row.
    func insertRow(_ bind: (inout ParameterBinder) throws(SnapshotError) -> Void) throws(SnapshotError) {
        sqlite3_reset(handle)
        (arenaChunk, arenaUsed) = (0, 0)
        var binder = ParameterBinder(statement: self)
        try bind(&binder)
        while try step() {}
    }

    /// Binds parameters left to right.
    struct ParameterBinder: RowValueSink, ~Copyable {
        let statement: Statement
        private var index: Int32 = 1

        init(statement: Statement) {
            self.statement = statement
        }

        var path: String { statement.database.path }

        mutating func int(_ value: Int) throws(SnapshotError) {
            try check(sqlite3_bind_int64(statement.handle, index, Int64(value)))
        }

        mutating func text(_ value: String) throws(SnapshotError) {
            var text = value
            let index = self.index
            try check(text.withUTF8 { statement.bindTextBytes(UnsafeRawBufferPointer($0), at: index, inArena: true) })
        }

        /// An exact amount as its stored text (`storageText`), formatted without a String.
        mutating func exact(_ value: ExactDecimal) throws(SnapshotError) {
            let index = self.index
            try check(
                value.reduced.withCanonicalText {
                    statement.bindTextBytes(UnsafeRawBufferPointer($0), at: index, inArena: true)
                })
        }

        mutating func value(_ value: SQLValue) throws(SnapshotError) {
            try statement.bind(value, at: index)
            index += 1
        }

        private mutating func check(_ status: Int32) throws(SnapshotError) {
            if status != SQLITE_OK { throw statement.database.error(status: status, sql: statement.sql) }
            index += 1
        }
    }

    /// Steps once: true when a row is available, false when done.
    func step() throws(SnapshotError) -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error(status: status, sql: sql)
        }
    }

    /// Resets and binds `values` to parameters 1…n, for the statement's rows again under new
    /// values (a lookup repeated per key).
    func rebind(_ values: [SQLValue]) throws(SnapshotError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        try bind(values)
    }

    /// Binds, runs to completion and resets, for repeated inserts.
    func run(_ values: [SQLValue]) throws(SnapshotError) {
        try rebind(values)
        while try step() {}
    }

    func columnType(at index: Int) -> Int32 {
        sqlite3_column_type(handle, Int32(index))
    }

    func int64(at index: Int) -> Int64 {
        sqlite3_column_int64(handle, Int32(index))
    }

    func double(at index: Int) -> Double {
        sqlite3_column_double(handle, Int32(index))
    }

    /// The raw bytes of a TEXT or BLOB column, as stored (no conversion).
    func withBytes<R>(at index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        withBytes(at: index, type: columnType(at: index), body)
    }

    /// `withBytes` when the column's type (`columnType`) is known already: one call less a value.
    func withBytes<R>(at index: Int, type: Int32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let i = Int32(index)
        // Ask for the pointer first, then the length (SQLite's documented order).
        let pointer =
            type == SQLITE_BLOB
            ? sqlite3_column_blob(handle, i) : UnsafeRawPointer(sqlite3_column_text(handle, i))
        let count = Int(sqlite3_column_bytes(handle, i))
        return body(UnsafeRawBufferPointer(start: count == 0 ? nil : pointer, count: count))
    }

    func value(at index: Int) -> SQLValue {
        switch columnType(at: index) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(int64(at: index))
        case SQLITE_FLOAT: return .real(double(at: index))
        case SQLITE_BLOB: return .blob(withBytes(at: index) { Array($0) })
        default: return .text(withBytes(at: index) { String(decoding: $0, as: UTF8.self) })
        }
    }
}
