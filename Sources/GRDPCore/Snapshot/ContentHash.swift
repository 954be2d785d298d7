internal import CSQLite
internal import Crypto

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

    static func compute(_ database: Database) throws(SnapshotError) -> String {
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
            let statement = try database.prepare("SELECT * FROM \(quoted) ORDER BY \(order)")
            var rowCount = 0
            while try statement.step() {
                serializer.tag("R")
                for column in 0..<columnCount {
                    switch statement.columnType(at: column) {
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
                        statement.withBytes(at: column) { serializer.bytes($0) }
                    default:
                        serializer.tag("S")
                        statement.withBytes(at: column) { serializer.bytes($0) }
                    }
                }
                rowCount += 1
            }
            serializer.tag("E")
            serializer.count(rowCount)
        }
        return serializer.finish()
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

    /// Feeds SHA-256 through a 64 KiB buffer.
    struct Serializer: ~Copyable {
        private static let capacity = 1 << 16
        private var hasher = SHA256()
        private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Serializer.capacity, alignment: 16)
        private var used = 0

        init() {}

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
                hasher.update(bufferPointer: raw)
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
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
            used = 0
        }

        consuming func finish() -> String {
            flush()
            return lowercaseHex(hasher.finalize())
        }
    }
}
