internal import CSQLite
internal import Crypto
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
        if let splitThreshold, let hash = try compute(database, splittingFrom: splitThreshold) { return hash }
        return try compute(database, splittingFrom: nil)!
    }

    /// Large enough that the second connection and thread pay for themselves.
    static let splitThreshold = 20_000

    /// The hash, or nil when a table read in halves did not give back every row once (a NULL in
    /// its columns, which the halves' comparisons leave out): the caller then reads it whole.
    static func compute(_ database: Database, splittingFrom splitThreshold: Int?) throws(SnapshotError)
        -> String?
    {
        var serializer = Serializer()
        serializer.string(formatTag)
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
            let rowCount: Int
            if let splitThreshold, columnCount > 0,
                let total = try database.integer("SELECT count(*) FROM \(quoted)"), total >= splitThreshold
            {
                guard
                    let count = try serializeInHalves(
                        database, table: quoted, columns: columnNames, order: order, total: Int(total),
                        into: &serializer)
                else { return nil }
                rowCount = count
            } else {
                let statement = try database.prepare("SELECT * FROM \(quoted) ORDER BY \(order)")
                rowCount = try serializeRows(statement, columnCount: columnCount, into: &serializer)
            }
            serializer.tag("E")
            serializer.count(rowCount)
        }
        return serializer.finish()
    }

    /// The rows of `statement` as the hash serialises them; returns how many.
    private static func serializeRows(_ statement: Statement, columnCount: Int, into serializer: inout Serializer)
        throws(SnapshotError) -> Int
    {
        var rowCount = 0
        while try statement.step() {
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

    /// A large table's rows in key order, read as two halves at once: the rows before the middle
    /// row (`(c1, …, ck) < (m1, …, mk)`, its columns up to the first NULL; this thread, hashed as
    /// they come) and the others
    /// (`>=`, another connection on another thread, serialised into memory and hashed after).
    /// SQLite's row-value comparison orders exactly as `ORDER BY 1, …, n`, so the halves follow
    /// each other; a NULL compares to nothing and would fall in neither half, so the counts are
    /// checked: nil when the halves do not add up to `total`.
    private static func serializeInHalves(
        _ database: Database, table: String, columns: [String], order: String, total: Int,
        into serializer: inout Serializer
    ) throws(SnapshotError) -> Int? {
        let middle = try database.prepare("SELECT * FROM \(table) ORDER BY \(order) LIMIT 1 OFFSET \(total / 2)")
        guard try middle.step() else { return nil }
        // The middle row's columns up to its first NULL: a NULL in the pivot would leave the pivot
        // row itself in neither half, and the whole hash would be read again in one pass (an
        // enterprise without `employees` in the middle of 20,000). With a unique leading key, as
        // every large snapshot table has, the prefix splits as well as the whole row.
        let pivot = Array((0..<columns.count).map { middle.value(at: $0) }.prefix { $0 != .null })
        guard !pivot.isEmpty else {
            let statement = try database.prepare("SELECT * FROM \(table) ORDER BY \(order)")
            return try serializeRows(statement, columnCount: columns.count, into: &serializer)
        }
        let tuple = "(" + columns.prefix(pivot.count).map(quoteIdentifier).joined(separator: ", ") + ")"
        let parameters = "(" + Array(repeating: "?", count: pivot.count).joined(separator: ", ") + ")"
        func query(_ comparison: String) -> String {
            "SELECT * FROM \(table) WHERE \(tuple) \(comparison) \(parameters) ORDER BY \(order)"
        }

        let upper = UpperHalf(path: database.path, sql: query(">="), pivot: pivot, columnCount: columns.count)
        let thread = Thread { upper.run() }
        thread.stackSize = 1 << 20
        thread.start()
        // Whatever happens here, the other thread is waited for before returning.
        defer { upper.wait() }

        let lower = try database.prepare(query("<"))
        try lower.bind(pivot)
        let lowerCount = try serializeRows(lower, columnCount: columns.count, into: &serializer)
        upper.wait()
        guard let (bytes, upperCount) = upper.result, lowerCount + upperCount == total else { return nil }
        serializer.raw(bytes)
        return total
    }

    /// The upper half of a table, read on its own thread through its own read-only connection.
    private final class UpperHalf: @unchecked Sendable {
        // @unchecked Sendable: `result` is written by the reading thread before it signals `done`
        // and read by the caller only after waiting for it; the `let`s are immutable.
        private let path: String
        private let sql: String
        private let pivot: [SQLValue]
        private let columnCount: Int
        private let done = DispatchSemaphore(value: 0)
        private var waited = false
        /// The serialised rows and their count; nil when the connection or the query failed (the
        /// caller then reads the table whole on its own connection, and meets the error there).
        private(set) var result: ([[UInt8]], Int)?

        init(path: String, sql: String, pivot: [SQLValue], columnCount: Int) {
            self.path = path
            self.sql = sql
            self.pivot = pivot
            self.columnCount = columnCount
        }

        func run() {
            defer { done.signal() }
            do {
                let database = try Database(path: path, mode: .readOnlyImmutable)
                defer { database.close() }
                let statement = try database.prepare(sql)
                try statement.bind(pivot)
                var serializer = Serializer(collecting: true)
                let count = try ContentHash.serializeRows(statement, columnCount: columnCount, into: &serializer)
                result = (serializer.collected(), count)
            } catch {
                result = nil
            }
        }

        /// Returns once `run` has finished (any number of calls).
        func wait() {
            guard !waited else { return }
            done.wait()
            waited = true
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
        private var hasher = SHA256()
        private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Serializer.capacity, alignment: 16)
        private var used = 0
        private let collecting: Bool
        /// A collecting serializer's bytes, a full buffer at a time (no copying as they grow).
        private var kept: [[UInt8]] = []

        init(collecting: Bool = false) {
            self.collecting = collecting
        }

        deinit {
            buffer.deallocate()
        }

        mutating func tag(_ character: Unicode.Scalar) {
            reserve(1)
            buffer[used] = UInt8(ascii: character)
            used += 1
        }

        mutating func uint64(_ value: UInt64) {
            reserve(8)
            buffer.storeBytes(of: value.bigEndian, toByteOffset: used, as: UInt64.self)
            used += 8
        }

        mutating func count(_ value: Int) {
            uint64(UInt64(value))
        }

        mutating func string(_ text: String) {
            var text = text
            text.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
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

        mutating func bytes(_ raw: UnsafeRawBufferPointer) {
            count(raw.count)
            if raw.count >= Serializer.capacity {
                flush()
                if collecting {
                    kept.append(Array(raw))
                } else {
                    hasher.update(bufferPointer: raw)
                }
                return
            }
            reserve(raw.count)
            if let base = raw.baseAddress {
                (buffer.baseAddress! + used).copyMemory(from: base, byteCount: raw.count)
            }
            used += raw.count
        }

        /// Room for `count` more bytes (at most the capacity).
        private mutating func reserve(_ count: Int) {
            if used + count > Serializer.capacity { flush() }
        }

        private mutating func flush() {
            let filled = UnsafeRawBufferPointer(rebasing: buffer[0..<used])
            if collecting {
                if used > 0 { kept.append(Array(filled)) }
            } else {
                hasher.update(bufferPointer: filled)
            }
            used = 0
        }

        /// Bytes serialised elsewhere (a collecting serializer's), taken as they are.
        mutating func raw(_ chunks: [[UInt8]]) {
            flush()
            for chunk in chunks {
                chunk.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            }
        }

        /// A collecting serializer's bytes, in order.
        consuming func collected() -> [[UInt8]] {
            flush()
            return kept
        }

        consuming func finish() -> String {
            flush()
            return lowercaseHex(hasher.finalize())
        }
    }
}
