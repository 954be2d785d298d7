/// The text of an export as it is made, handed on in pieces of about `chunkBytes` (UTF-8): a
/// table of every quarantined row (500,000 of them in a dirty year's returns) is written out as
/// it is read, never gathered whole in memory, twice over as rows and as text.
struct ExportText {
    static let chunkBytes = 256 * 1024

    private var pending: [UInt8] = []
    private let deliver: ([UInt8]) throws -> Void

    /// - Parameter deliver: takes each piece, in order; what it throws stops the export.
    init(deliver: @escaping ([UInt8]) throws -> Void) {
        self.deliver = deliver
        pending.reserveCapacity(Self.chunkBytes)
    }

    mutating func append(_ text: String) throws {
        pending.append(contentsOf: text.utf8)
        if pending.count >= Self.chunkBytes {
            try deliver(pending)
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// Hands on what is left; call once, after the last `append`.
    mutating func finish() throws {
        if !pending.isEmpty { try deliver(pending) }
        pending = []
    }

    /// The whole text `write` makes, gathered: small tables, and a run's configured exports,
    /// which are compared with the files already there before any is replaced.
    static func gathering(_ write: (inout ExportText) throws -> Void) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var text = ExportText { piece in bytes.append(contentsOf: piece) }
        try write(&text)
        try text.finish()
        return bytes
    }

}

/// The quarantined rows an export lists, in CONTRACT §7's order (archive, member, line), one at
/// a time: sorted in memory from a content's rows, or read from a snapshot file in that order as
/// they are printed (`SnapshotFile.quarantineListing()`).
struct QuarantineListing {
    /// How many rows `forEach` gives.
    let count: Int
    private let rows: (_ body: (QuarantineRow) throws -> Void) throws -> Void

    /// - Parameter rows: calls its argument with every row, in the export's order, each time it
    ///   is called.
    init(count: Int, rows: @escaping (_ body: (QuarantineRow) throws -> Void) throws -> Void) {
        self.count = count
        self.rows = rows
    }

    /// `rows` sorted as the export prints them: archive, member (bytewise), line (numeric), then
    /// reason, detail and kind, so that equal places still print in one order.
    init(sorting rows: [QuarantineRow]) {
        let sorted = rows.sorted(by: Self.printedBefore)
        self.init(count: sorted.count) { body in for row in sorted { try body(row) } }
    }

    /// Calls `body` with every row, in the export's order.
    func forEachRow(_ body: (QuarantineRow) throws -> Void) throws {
        try rows(body)
    }

    static func printedBefore(_ a: QuarantineRow, _ b: QuarantineRow) -> Bool {
        for (x, y) in [(a.archivePath, b.archivePath), (a.memberPath, b.memberPath)] {
            let order = bytewiseCompare(x, y)
            if order != 0 { return order < 0 }
        }
        if a.line != b.line { return a.line < b.line }
        for (x, y) in [(a.reason, b.reason), (a.detail, b.detail), (a.kind, b.kind)] {
            let order = bytewiseCompare(x, y)
            if order != 0 { return order < 0 }
        }
        return false
    }

    /// The same order in SQL: TEXT compares with SQLite's BINARY collation, memcmp of the UTF-8
    /// bytes, as `bytewiseCompare` does.
    static let orderBy = "archive_path, member_path, line, reason, detail, kind"
}
