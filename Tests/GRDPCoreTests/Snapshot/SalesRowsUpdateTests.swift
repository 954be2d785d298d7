import Foundation
import Testing

@testable import GRDPCore

/// A nightly run or `run --year` that starts from a copy of the latest snapshot brings the
/// written years' sales rows to the computed ones by deleting and inserting only the rows that
/// differ (`SalesRowsUpdate`). The copy must then hold exactly the rows a full delete and insert
/// gives, whatever their order; rows of another year change nothing.
@Suite struct SalesRowsUpdateTests {
    /// The suite's folder (`TemporaryFolder`, removed with the suite).
    let folder: TemporaryFolder
    var root: URL { folder.url }

    init() throws {
        folder = try TemporaryFolder()
    }

    /// `sellers` a month in each of `years`, in the table's order; `transactions(seller)` each.
    private static func sales(
        years: [Int], sellers: [Int] = Array(0..<40), transactions: (Int) -> Int = { _ in 1 }
    ) -> [EcommerceSalesRow] {
        years.flatMap { year in
            (1...12).flatMap { month in
                sellers.map { seller in
                    EcommerceSalesRow(
                        year: year, month: month, channel: "marketplace", sellerTaxCode: String(4_000_000_000 + seller),
                        sellerDistrictCode: "66\(seller % 3)", transactions: transactions(seller),
                        netVND: SnapshotFixtures.decimal("\(1000 + seller)"),
                        vaVND: SnapshotFixtures.decimal("\(80 + seller).5"), counted: seller % 5 != 0)
                }
            }
        }
    }

    /// A file with the snapshot's tables and `rows` as its sales rows.
    private func file(_ name: String, holding rows: [EcommerceSalesRow]) throws -> String {
        let path = root.appendingPathComponent(name).path
        var content = SnapshotContent()
        content.ecommerceSales = rows
        try SnapshotFixtures.writeTables(content, to: path)
        return path
    }

    /// The difference of the file's rows of `years` from `rows`, then applied to the file.
    private func update(_ path: String, to rows: [EcommerceSalesRow], years: Set<Int>) throws
        -> SalesRowsUpdate.Changes?
    {
        guard let diff = try SalesRowsUpdate.diff(rows, years: years, from: path) else { return nil }
        let database = try Database(path: path, mode: .create)
        defer { database.close() }
        try database.execute("BEGIN")
        try SalesRowsUpdate.apply(diff, in: database)
        try database.execute("COMMIT")
        return diff.changes
    }

    private func salesRows(_ path: String) throws -> [EcommerceSalesRow] {
        let database = try Database(path: path, mode: .readOnlyImmutable)
        defer { database.close() }
        return try SnapshotContent(loadingFrom: database).ecommerceSales
    }

    @Test func onlyTheChangedRowsAreDeletedAndInserted() throws {
        let path = try file("copy.sqlite", holding: Self.sales(years: [2022, 2023, 2024]))
        // 2023: sellers 0, 7, …, 35 with 5 transactions (72 rows changed), seller 1 gone (12 rows),
        // seller 99 new (12 rows); 2024: no rows any more (480 gone); 2022 carried, untouched.
        var sellers = Array(0..<40).filter { $0 != 1 }
        sellers.append(99)
        let written = Self.sales(years: [2023], sellers: sellers) { $0 % 7 == 0 ? 5 : 1 }
        let changes = try update(path, to: written, years: [2023, 2024])
        #expect(changes == SalesRowsUpdate.Changes(deleted: 72 + 12 + 480, inserted: 72 + 12))
        #expect(try salesRows(path) == Self.sales(years: [2022]) + written)

        // The same rows again: nothing to do.
        #expect(try update(path, to: written, years: [2023]) == SalesRowsUpdate.Changes(deleted: 0, inserted: 0))
        #expect(try salesRows(path) == Self.sales(years: [2022]) + written)
    }

    /// Amounts compare as their stored text ("10" before "9"), and a row differing only in its
    /// last column (`counted`) is another row.
    @Test func rowsDifferingInAmountTextOrTheFlagAreToldApart() throws {
        var old = Self.sales(years: [2024], sellers: [3])
        old[0].netVND = SnapshotFixtures.decimal("9")
        var written = old
        written[0].netVND = SnapshotFixtures.decimal("10")
        written[1].counted.toggle()
        written.sort { ContentHash.StoredRow.of($0) < ContentHash.StoredRow.of($1) }
        let path = try file("text.sqlite", holding: old)
        #expect(try update(path, to: written, years: [2024]) == SalesRowsUpdate.Changes(deleted: 2, inserted: 2))
        #expect(try salesRows(path) == written)
    }

    /// Out of the table's order, rows are still brought to the computed ones: those the merge
    /// passes by are deleted and inserted again.
    @Test func rowsOutOfOrderStillGiveTheComputedRows() throws {
        let path = try file("reversed.sqlite", holding: Self.sales(years: [2023, 2024]))
        let written = Self.sales(years: [2024]) { $0 % 3 == 0 ? 2 : 1 }
        let changes = try #require(try update(path, to: written.reversed(), years: [2024]))
        #expect(changes.deleted == changes.inserted)
        #expect(changes.inserted >= 14 * 12)
        #expect(try salesRows(path) == Self.sales(years: [2023]) + written)
    }

    @Test func rowsOfAYearNotWrittenChangeNothing() throws {
        let original = Self.sales(years: [2023, 2024])
        let path = try file("refused.sqlite", holding: original)
        #expect(try update(path, to: Self.sales(years: [2023]), years: [2024]) == nil)
        #expect(try salesRows(path) == original)
    }
}

extension ContentHash.StoredRow {
    /// A sales row's stored values, ordered as the table orders them (`<`).
    fileprivate static func of(_ row: EcommerceSalesRow) -> ContentHash.StoredRow {
        var stored = ContentHash.StoredRow(path: "")
        try! row.put(into: &stored)
        return stored
    }

    fileprivate static func < (a: ContentHash.StoredRow, b: ContentHash.StoredRow) -> Bool {
        ContentHash.StoredValue.compare(a.values, b.values) < 0
    }
}
