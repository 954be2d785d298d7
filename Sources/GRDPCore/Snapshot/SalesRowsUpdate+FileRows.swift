internal import CSQLite
internal import Foundation

extension SalesRowsUpdate {
    /// The latest file's sales rows of some years, read into memory ahead of the diff, so that
    /// the diff after Compute is a merge in memory rather than a read of the file.
    ///
    /// A nightly run reads them while the kept revision ledger is read back (`PipelineRunner`):
    /// that read keeps one core busy for ~0.4 s at 10 M transactions while the other waits, and
    /// reading 2024's ~700,000 rows through SQLite took ~0.6 s of the ~0.8 s diff, which ran after
    /// Compute and was the snapshot stage's longest part. Read beside Compute instead, it slowed
    /// Compute by as much as it saved.
    ///
    /// Each row is kept as one run of bytes in an order-preserving encoding of its stored values
    /// (`OrderedRowEncoder`), in the table's order: comparing two rows is a `memcmp`, in the order
    /// `ORDER BY` every column gives (SQLite's BINARY collation for text), and equal bytes are equal
    /// stored values. ~75 bytes a row.
    struct FileRows: Sendable {
        /// The snapshot file read, and the years whose rows these are.
        let path: String
        let years: Set<Int>
        /// The keys whose rows these are, sorted (`read(_:from:)`), and what they were read for;
        /// nil: every row of the years.
        let keys: [SalesRowsUpdate.Key]?
        let touched: SalesRowsUpdate.TouchedKeys?
        /// With `keys`: the totals of every row of the years, for the diff's check.
        var yearTotals: SalesRowsUpdate.Totals?
        /// The rows were made from the kept groups (`made(_:of:file:computedRows:)`), not read from
        /// the file.
        var madeFromKeptGroups = false
        /// Where the computed rows of `keys` are among those the diff is given, when Compute named
        /// them (`ComputeOutput.flaggedSalesRows`); nil: the diff finds them by their keys.
        var computedRows: [Int]?
        private(set) var bytes: [UInt8] = []
        /// Where each row ends in `bytes` (at most 2 GiB of rows: more is not read ahead).
        private(set) var ends: [Int32] = []

        var count: Int { ends.count }

        /// No rows yet.
        init(
            path: String, years: Set<Int>, keys: [SalesRowsUpdate.Key]? = nil,
            touched: SalesRowsUpdate.TouchedKeys? = nil
        ) {
            (self.path, self.years, self.keys, self.touched) = (path, years, keys, touched)
        }

        /// The rows of `years` in the snapshot file at `path`, read only.
        static func read(years: Set<Int>, from path: String) throws(SnapshotError) -> FileRows {
            let database = try Database(path: path, mode: .readOnlyImmutable)
            defer { database.close() }
            let table = SnapshotSchema.ecommerceSales
            let select = try database.prepare(table.selectAllSQL(where: "year IN (\(CarriedSales.sqlList(years)))"))
            return try read(select, columns: table.columns.count, years: years)
        }

        /// Every row `select` gives (`columns` values each), encoded, as the rows of `years`.
        static func read(_ select: Statement, columns: Int, years: Set<Int>) throws(SnapshotError) -> FileRows {
            var rows = FileRows(path: select.database.path, years: years)
            try rows.append(select, columns: columns)
            return rows
        }

        /// Appends every row `select` gives from where it stands (`columns` values each), encoded.
        mutating func append(_ select: Statement, columns: Int) throws(SnapshotError) {
            while try select.step() {
                for column in 0..<columns {
                    let type = select.columnType(at: column)
                    switch type {
                    case SQLITE_INTEGER:
                        OrderedRowEncoder.appendInteger(select.int64(at: column), to: &bytes)
                    case SQLITE_TEXT, SQLITE_BLOB:
                        select.withBytes(at: column, type: type) {
                            OrderedRowEncoder.appendBytes($0, tag: type == SQLITE_TEXT ? .text : .blob, to: &bytes)
                        }
                    case SQLITE_NULL:
                        bytes.append(OrderedRowEncoder.Tag.null.rawValue)
                    default:
                        // A REAL: the sales table has none; the diff then reads the file itself.
                        throw SnapshotError(
                            code: .invalidSnapshot, message: "a sales row holds a REAL value", path: path)
                    }
                }
                guard let end = Int32(exactly: bytes.count) else {
                    throw SnapshotError(
                        code: .invalidSnapshot, message: "too many sales rows to read ahead", path: path)
                }
                ends.append(end)
            }
        }

        /// Appends `row`, encoded as the file stores it (rows are appended in the table's order).
        mutating func append(_ row: EcommerceSalesRow) throws(SnapshotError) {
            var encoder = OrderedRowEncoder()
            try row.put(into: &encoder)
            bytes += encoder.bytes
            guard let end = Int32(exactly: bytes.count) else {
                throw SnapshotError(code: .invalidSnapshot, message: "too many sales rows to read ahead", path: path)
            }
            ends.append(end)
        }

        func withRow<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
            let start = index == 0 ? 0 : Int(ends[index - 1])
            return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<Int(ends[index])])) }
        }

        /// The stored values of row `index`, as a DELETE binds them.
        func values(_ index: Int) -> [SQLValue] {
            withRow(index) { OrderedRowEncoder.decode($0) }
        }
    }

    /// How `rows` differ from the file rows read ahead, as `diff(_:years:from:)` gives it from the
    /// file: the same merge, over `rows` encoded as the file's rows are. Nil when `rows` hold a
    /// year `file` does not cover.
    static func diff(_ rows: [EcommerceSalesRow], against file: FileRows) throws(SnapshotError) -> Diff? {
        guard file.keys == nil, rows.allSatisfy({ file.years.contains($0.year) }) else { return nil }
        var cursor = FileRows.Cursor(file: file)
        return try merge(rows, with: &cursor)
    }
}

extension SalesRowsUpdate.FileRows {
    /// The rows in order, each compared by `memcmp` with a computed row encoded once, however many
    /// file rows it is compared with.
    struct Cursor: SalesRowsUpdate.FileRowCursor {
        let file: SalesRowsUpdate.FileRows
        private var index = -1
        private var encoder = OrderedRowEncoder()
        private var encoded = -1

        init(file: SalesRowsUpdate.FileRows) {
            self.file = file
        }

        mutating func step() -> Bool {
            index += 1
            return index < file.count
        }

        mutating func order(against rows: [EcommerceSalesRow], at row: Int) throws(SnapshotError) -> Int {
            if encoded != row {
                encoder.bytes.removeAll(keepingCapacity: true)
                try rows[row].put(into: &encoder)
                encoded = row
            }
            return file.withRow(index) { stored in
                encoder.bytes.withUnsafeBytes { ContentHash.StoredValue.compareBytes(stored, $0) }
            }
        }

        func values() -> [SQLValue] { file.values(index) }
    }
}

/// A row's stored values as bytes whose `memcmp` order is `ORDER BY` every column's (each column
/// holding one type, as in a STRICT table), and equal bytes equal values:
/// - an INTEGER as its significant bytes, big endian, after a tag that gives their count and
///   sign (0x20 + n for n bytes of a value ≥ 0, 0x1F − n for a negative one, whose bytes are those
///   of the value, ones above them dropped): a longer positive value is larger, a longer negative
///   one smaller (2024 takes 3 bytes, 0 one);
/// - a TEXT or BLOB as a tag, its bytes with each 0 written 0 255, ended by 0 0 (so a shorter text
///   that is a prefix of a longer one sorts first, as in SQLite);
/// - NULL as its tag alone, first.
struct OrderedRowEncoder: RowValueSink {
    enum Tag: UInt8 {
        case null = 0
        case text = 0x30
        case blob = 0x40
    }
    /// Tags of integers: `negativeBase − n` and `positiveBase + n` for n significant bytes.
    static let negativeBase: UInt8 = 0x1F
    static let positiveBase: UInt8 = 0x20

    var bytes: [UInt8] = []
    var path: String { "" }

    mutating func int(_ value: Int) {
        Self.appendInteger(Int64(value), to: &bytes)
    }

    mutating func text(_ value: String) {
        var text = value
        text.withUTF8 { Self.appendBytes(UnsafeRawBufferPointer($0), tag: .text, to: &bytes) }
    }

    mutating func exact(_ value: ExactDecimal) {
        value.reduced.withCanonicalText { Self.appendBytes($0, tag: .text, to: &bytes) }
    }

    mutating func value(_ value: SQLValue) throws(SnapshotError) {
        switch value {
        case .null: bytes.append(Tag.null.rawValue)
        case .integer(let integer): Self.appendInteger(integer, to: &bytes)
        case .text(let text): self.text(text)
        case .blob(let blob): blob.withUnsafeBytes { Self.appendBytes($0, tag: .blob, to: &bytes) }
        case .real:
            throw SnapshotError(code: .invalidSnapshot, message: "a sales row holds a REAL value", path: path)
        }
    }

    static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        let pattern = UInt64(bitPattern: value)
        // Bytes that are not all sign: those of the value (≥ 0) or of its complement (< 0).
        let magnitude = value < 0 ? ~pattern : pattern
        let count = (64 - magnitude.leadingZeroBitCount + 7) / 8
        bytes.append(value < 0 ? negativeBase - UInt8(count) : positiveBase + UInt8(count))
        for index in stride(from: count - 1, through: 0, by: -1) {
            bytes.append(UInt8(truncatingIfNeeded: pattern >> (8 * index)))
        }
    }

    static func appendBytes(_ value: UnsafeRawBufferPointer, tag: Tag, to bytes: inout [UInt8]) {
        bytes.append(tag.rawValue)
        for byte in value {
            bytes.append(byte)
            if byte == 0 { bytes.append(255) }
        }
        bytes.append(0)
        bytes.append(0)
    }

    /// The values `bytes` encode.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> [SQLValue] {
        var values: [SQLValue] = []
        var at = 0
        while at < bytes.count {
            let byte = bytes[at]
            at += 1
            if byte >= positiveBase - 8 - 1 && byte <= positiveBase + 8 {
                let negative = byte <= negativeBase
                let count = Int(negative ? negativeBase - byte : byte - positiveBase)
                var pattern: UInt64 = 0
                for _ in 0..<count {
                    pattern = pattern << 8 | UInt64(bytes[at])
                    at += 1
                }
                if negative && count < 8 { pattern |= UInt64.max << (8 * count) }
                values.append(.integer(Int64(bitPattern: pattern)))
                continue
            }
            let tag = Tag(rawValue: byte)
            switch tag {
            case .text, .blob:
                var raw: [UInt8] = []
                while !(bytes[at] == 0 && bytes[at + 1] == 0) {
                    raw.append(bytes[at])
                    at += bytes[at] == 0 ? 2 : 1
                }
                at += 2
                values.append(tag == .text ? .text(String(decoding: raw, as: UTF8.self)) : .blob(raw))
            case .null, nil:
                values.append(.null)
            }
        }
        return values
    }
}
