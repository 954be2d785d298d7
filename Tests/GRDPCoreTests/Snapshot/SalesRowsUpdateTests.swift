import Foundation
import Synchronization
import Testing

@testable import GRDPCore

/// A nightly run or `run --year` that starts from a copy of the latest snapshot brings the
/// written years' sales rows to the computed ones by deleting and inserting only the rows that
/// differ (`SalesRowsUpdate`). The copy must then hold exactly the rows a full delete and insert
/// gives, whatever their order; rows of another year change nothing. Each test runs with the
/// file's rows read as the merge goes and read ahead into memory.
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
    /// How the diff gets the file's rows: read from the file as it merges, whole or in parts by
    /// month on several threads (as from `SalesRowsUpdate.rowsPerPart` rows), or read ahead into
    /// memory first (`FileRows`, as a nightly run does while its kept ledger is read).
    enum Reading: CaseIterable, Sendable { case file, fileInTwoParts, fileInFiveParts, ahead }

    private func update(_ path: String, to rows: [EcommerceSalesRow], years: Set<Int>, reading: Reading) throws
        -> SalesRowsUpdate.Changes?
    {
        let found =
            switch reading {
            case .file: try SalesRowsUpdate.diff(rows, years: years, from: path, parts: 1)
            case .fileInTwoParts: try SalesRowsUpdate.diff(rows, years: years, from: path, parts: 2, partsFrom: 1)
            case .fileInFiveParts: try SalesRowsUpdate.diff(rows, years: years, from: path, parts: 5, partsFrom: 1)
            case .ahead:
                try SalesRowsUpdate.diff(rows, against: SalesRowsUpdate.FileRows.read(years: years, from: path))
            }
        guard let diff = found else { return nil }
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

    @Test(arguments: Reading.allCases) func onlyTheChangedRowsAreDeletedAndInserted(reading: Reading) throws {
        let path = try file("copy.sqlite", holding: Self.sales(years: [2022, 2023, 2024]))
        // 2023: sellers 0, 7, …, 35 with 5 transactions (72 rows changed), seller 1 gone (12 rows),
        // seller 99 new (12 rows); 2024: no rows any more (480 gone); 2022 carried, untouched.
        var sellers = Array(0..<40).filter { $0 != 1 }
        sellers.append(99)
        let written = Self.sales(years: [2023], sellers: sellers) { $0 % 7 == 0 ? 5 : 1 }
        let changes = try update(path, to: written, years: [2023, 2024], reading: reading)
        #expect(changes == SalesRowsUpdate.Changes(deleted: 72 + 12 + 480, inserted: 72 + 12))
        #expect(try salesRows(path) == Self.sales(years: [2022]) + written)

        // The same rows again: nothing to do.
        #expect(
            try update(path, to: written, years: [2023], reading: reading)
                == SalesRowsUpdate.Changes(deleted: 0, inserted: 0))
        #expect(try salesRows(path) == Self.sales(years: [2022]) + written)
    }

    /// A year's rows handed over in parts as Compute gives them (`YearUpdate`, a run of several
    /// years a year at a time): each part merged with the file's rows of its months, its last
    /// month held for the next part. The copy then holds exactly the computed rows, however the
    /// parts are cut: at a month, inside a month, with months that have no row any more before,
    /// between and after the parts, and with no part at all; the other years untouched.
    @Test func aYearsRowsComparedPartByPartGiveTheComputedRows() throws {
        let before = Self.sales(years: [2022, 2023, 2024])
        // 2023 rows in months 1-12; computed: months 1 and 2 gone, 6 gone, 11 and 12 gone, seller
        // 3 gone everywhere, seller 77 new, sellers 0, 5, … with 4 transactions.
        var sellers = Array(0..<40).filter { $0 != 3 }
        sellers.append(77)
        let computed = Self.sales(years: [2023], sellers: sellers) { $0 % 5 == 0 ? 4 : 1 }
            .filter { ![1, 2, 6, 11, 12].contains($0.month) }
        let gone = 5 * 40 + 7 * 1 + 7 * 8
        let added = 7 * 1 + 7 * 8
        func firstIndex(month: Int, seller: Int = 0) -> Int {
            computed.firstIndex { $0.month == month && $0.sellerTaxCode == String(4_000_000_000 + seller) }!
        }
        let cuts: [(String, [Int])] = [
            ("one part", []),
            ("two halves at a month", [firstIndex(month: 7)]),
            ("inside a month", [firstIndex(month: 5, seller: 20)]),
            (
                "at and inside months, a part of one month",
                [firstIndex(month: 4), firstIndex(month: 4, seller: 9), firstIndex(month: 8)]
            ),
        ]
        for (name, cut) in cuts {
            let path = try file("year-\(name).sqlite", holding: before)
            let bounds = [0] + cut + [computed.count]
            let database = try Database(path: path, mode: .create)
            try database.execute("BEGIN")
            var update = try SalesRowsUpdate.YearUpdate(year: 2023, source: try copyOf(path), copy: database)
            let hashed = Mutex<[EcommerceSalesRow]>([])
            for (start, end) in zip(bounds, bounds.dropFirst()) {
                let part = Array(computed[start..<end])
                try update.add(part) { hashed.withLock { $0 += part } }
            }
            try update.finish()
            try database.execute("COMMIT")
            database.close()
            #expect(hashed.withLock { $0 } == computed, "\(name)")
            #expect(update.changes == SalesRowsUpdate.Changes(deleted: gone, inserted: added), "\(name)")
            #expect(
                try salesRows(path) == Self.sales(years: [2022]) + computed + Self.sales(years: [2024]), "\(name)")
        }
        // No part (the year has no rows any more): its rows gone, the others' kept.
        let path = try file("year-none.sqlite", holding: before)
        let database = try Database(path: path, mode: .create)
        try database.execute("BEGIN")
        var update = try SalesRowsUpdate.YearUpdate(year: 2023, source: try copyOf(path), copy: database)
        try update.finish()
        try database.execute("COMMIT")
        database.close()
        #expect(update.changes == SalesRowsUpdate.Changes(deleted: 480, inserted: 0))
        #expect(try salesRows(path) == Self.sales(years: [2022, 2024]))
    }

    /// With the file's month digests (`SalesDigests.months`): a month whose rows have the same
    /// digest now is not read, the others are merged, months gone are deleted, and the months'
    /// digests taken on the way are those of all the rows at once.
    @Test func monthsWhoseDigestIsUnchangedAreLeftUnread() throws {
        let before = Self.sales(years: [2022, 2023, 2024])
        let earlier = try #require(SalesDigests(build: "b", rows: before)?.everyMonth)
        // 2023: July's seller 9 with 3 transactions, January and December gone, the rest the same.
        let computed = Self.sales(years: [2023]) { _ in 1 }
            .map { row in
                var row = row
                if row.month == 7, row.sellerTaxCode == "4000000009" { row.transactions = 3 }
                return row
            }
            .filter { ![1, 12].contains($0.month) }
        for cut in [[], [computed.firstIndex { $0.month == 7 }!], [computed.firstIndex { $0.month == 7 }! + 5]] {
            let path = try file("digests-\(cut).sqlite", holding: before)
            let database = try Database(path: path, mode: .create)
            try database.execute("BEGIN")
            let digests = SalesDigestsByYear(build: "b")
            var update = try SalesRowsUpdate.YearUpdate(
                year: 2023, source: try copyOf(path), copy: database, earlier: earlier, digests: digests)
            let bounds = [0] + cut + [computed.count]
            for (start, end) in zip(bounds, bounds.dropFirst()) { try update.add(Array(computed[start..<end])) {} }
            try update.finish()
            try database.execute("COMMIT")
            database.close()
            #expect(update.months == SalesRowsUpdate.Months(merged: 1, unchanged: 9), "\(cut)")
            #expect(update.changes == SalesRowsUpdate.Changes(deleted: 2 * 40 + 1, inserted: 1), "\(cut)")
            #expect(try salesRows(path) == Self.sales(years: [2022]) + computed + Self.sales(years: [2024]))
            #expect(digests.digests == SalesDigests(build: "b", rows: computed), "\(cut)")
        }
    }

    /// A month more of whose file rows are gone than kept is replaced whole (its rows deleted in one
    /// statement, the computed ones inserted); one with fewer gone has each gone row deleted. The
    /// same rows either way, and the changes are counted as the diff found them.
    @Test func aMonthMostlyGoneIsReplacedWhole() throws {
        let before = Self.sales(years: [2022, 2023, 2024])
        // 2023: March's sellers 0-24 with 2 transactions (25 of 40 gone, 15 kept); May's sellers
        // 0-19 (20 gone, 20 kept: not more gone than kept); August's all 40, and 5 new sellers.
        let computed = Self.sales(years: [2023], sellers: Array(0..<40) + Array(100..<105))
            .filter { $0.month == 8 || Int($0.sellerTaxCode)! < 4_000_000_100 }
            .map { row in
                var row = row
                let seller = Int(row.sellerTaxCode)! - 4_000_000_000
                if (row.month == 3 && seller < 25) || (row.month == 5 && seller < 20) || row.month == 8 {
                    row.transactions = 2
                }
                return row
            }
        let path = try file("replaced.sqlite", holding: before)
        let database = try Database(path: path, mode: .create)
        try database.execute("BEGIN")
        var update = try SalesRowsUpdate.YearUpdate(
            year: 2023, source: try copyOf(path), copy: database,
            earlier: try #require(SalesDigests(build: "b", rows: before)?.everyMonth))
        try update.add(computed) {}
        try update.finish()
        try database.execute("COMMIT")
        database.close()
        #expect(update.months == SalesRowsUpdate.Months(merged: 3, unchanged: 9, replaced: 2))
        #expect(update.changes == SalesRowsUpdate.Changes(deleted: 25 + 20 + 40, inserted: 25 + 20 + 40 + 5))
        #expect(try salesRows(path) == Self.sales(years: [2022]) + computed + Self.sales(years: [2024]))
    }

    /// A copy whose month does not hold the rows the diff read from its file is not replaced: the
    /// update throws, and the file is not to be published.
    @Test func aMonthReplacedMustHoldTheFilesRows() throws {
        let before = Self.sales(years: [2023])
        let computed = Self.sales(years: [2023]) { _ in 2 }
        let path = try file("replaced-source.sqlite", holding: before)
        let source = try copyOf(path)
        let database = try Database(path: path, mode: .create)
        try database.execute("BEGIN")
        // The copy lost a row of January that its file has.
        try database.execute(
            "DELETE FROM ecommerce_sales WHERE year = 2023 AND month = 1 AND seller_tax_code = '4000000007'")
        var update = try SalesRowsUpdate.YearUpdate(year: 2023, source: source, copy: database)
        #expect(throws: SnapshotError.self) {
            try update.add(computed) {}
            try update.finish()
        }
        try database.execute("ROLLBACK")
        database.close()
    }

    /// Parts out of the table's month order, or of another year, are refused: the merge by months
    /// would not give the computed rows.
    @Test func partsOutOfMonthOrderAreRefused() throws {
        let path = try file("refused.sqlite", holding: Self.sales(years: [2023]))
        let database = try Database(path: path, mode: .create)
        defer { database.close() }
        try database.execute("BEGIN")
        var update = try SalesRowsUpdate.YearUpdate(year: 2023, source: try copyOf(path), copy: database)
        let rows = Self.sales(years: [2023])
        try update.add(rows.filter { $0.month >= 6 }) {}
        #expect(throws: SnapshotError.self) { try update.add(rows.filter { $0.month == 3 }) {} }
        var other = try SalesRowsUpdate.YearUpdate(year: 2023, source: try copyOf(path), copy: database)
        #expect(throws: SnapshotError.self) { try other.add(Self.sales(years: [2024])) {} }
        // A first part of one month, held for the next, then earlier months (review 45, L1: passed,
        // and 80 of 120 rows were lost).
        var held = try SalesRowsUpdate.YearUpdate(year: 2023, source: try copyOf(path), copy: database)
        try held.add(rows.filter { $0.month == 6 }) {}
        #expect(throws: SnapshotError.self) { try held.add(rows.filter { [3, 4].contains($0.month) }) {} }
        // Months out of order inside a part.
        var inside = try SalesRowsUpdate.YearUpdate(year: 2023, source: try copyOf(path), copy: database)
        #expect(throws: SnapshotError.self) {
            try inside.add(rows.filter { $0.month == 6 } + rows.filter { $0.month == 3 }) {}
        }
    }

    /// A copy of the file at `path` beside it, as the publish reads the latest file while it
    /// writes its copy.
    private func copyOf(_ path: String) throws -> String {
        let source = path + ".source"
        try? FileManager.default.removeItem(atPath: source)
        try FileManager.default.copyItem(atPath: path, toPath: source)
        return source
    }

    /// A night's returns touch a few sales keys (`TouchedKeys`, in any order, some more than
    /// once): only those keys' rows are read from the file (point lookups) and compared, and the
    /// file then holds exactly the computed rows. Touched: a seller whose rows changed, one whose
    /// rows are gone, a new one, and one whose rows came out the same.
    @Test func onlyTheRowsOfTheTouchedKeysAreCompared() throws {
        let path = try file("keys.sqlite", holding: Self.sales(years: [2023, 2024]))
        var sellers = Array(0..<40).filter { $0 != 1 }
        sellers.append(99)
        let written = Self.sales(years: [2024], sellers: sellers) { $0 == 7 ? 5 : 1 }
        func keys(_ rows: [EcommerceSalesRow]) -> [SalesRowsUpdate.Key] {
            rows.map {
                .init(
                    year: $0.year, month: $0.month, channel: $0.channel, seller: $0.sellerTaxCode,
                    district: $0.sellerDistrictCode)
            }
        }
        let touchedRows =
            written.filter { [2, 7, 99].contains(Int($0.sellerTaxCode)! - 4_000_000_000) }
            + Self.sales(years: [2024], sellers: [1])
        var generator = SplitMix64(seed: 5)
        let touched = SalesRowsUpdate.TouchedKeys(
            years: [2024], keys: (keys(touchedRows) + keys(Array(touchedRows.prefix(5)))).shuffled(using: &generator))
        let fileRows = try SalesRowsUpdate.FileRows.read(touched, from: path)
        // Keys said to be in order, each once, when they are not: sorted all the same.
        let said = SalesRowsUpdate.TouchedKeys(years: [2024], keys: touched.keys, sortedDistinct: true)
        #expect(said.sortedDistinct().map(\.values) == fileRows.keys?.map(\.values))
        // Sellers 1, 2 and 7 a month each; 99 is not in the file.
        #expect(fileRows.count == 3 * 12)
        #expect(fileRows.keys?.count == 4 * 12)
        #expect(fileRows.yearTotals == SalesRowsUpdate.Totals(Self.sales(years: [2024])))
        // Out of the table's order, or against every row of the year: not used, and the caller
        // diffs against every row of the years instead.
        #expect(try SalesRowsUpdate.diff(written.reversed(), changedOnlyUnderKeysOf: fileRows).isNotUsable)
        #expect(
            try SalesRowsUpdate.diff(
                written, changedOnlyUnderKeysOf: SalesRowsUpdate.FileRows.read(years: [2024], from: path)
            ).isNotUsable)
        // Keys that miss a change (seller 7's, as a mark the ledger failed to make would): found
        // by the totals, not used.
        let short = SalesRowsUpdate.TouchedKeys(
            years: [2024], keys: keys(touchedRows.filter { $0.sellerTaxCode != "4000000007" }))
        let missed = try #require(
            try SalesRowsUpdate.diff(written, changedOnlyUnderKeysOf: SalesRowsUpdate.FileRows.read(short, from: path))
                .missed)
        #expect(missed.file.transactions + 12 * 4 == missed.computed.transactions)
        let diff = try #require(try SalesRowsUpdate.diff(written, changedOnlyUnderKeysOf: fileRows).diff)
        // Seller 7's and seller 1's rows deleted; seller 7's new ones and seller 99's inserted.
        #expect(diff.changes == SalesRowsUpdate.Changes(deleted: 12 + 12, inserted: 12 + 12))
        #expect(diff.keys == 4 * 12)
        let database = try Database(path: path, mode: .create)
        try database.execute("BEGIN")
        try SalesRowsUpdate.apply(diff, in: database)
        try database.execute("COMMIT")
        database.close()
        #expect(try salesRows(path) == Self.sales(years: [2023]) + written)
    }

    /// A key with two rows (counted and not): the one that changed is deleted and inserted, the
    /// other kept, whichever comes first.
    @Test func aKeysCountedAndUncountedRowsAreComparedEach() throws {
        var old = Self.sales(years: [2024], sellers: [5, 6])
        // Seller 5's rows are uncounted (5 % 5 == 0); each gets a counted twin.
        let twins = old.filter { $0.sellerTaxCode == "4000000005" }.map { row -> EcommerceSalesRow in
            var twin = row
            twin.counted = true
            return twin
        }
        old = (old + twins).sorted { ContentHash.StoredRow.of($0) < ContentHash.StoredRow.of($1) }
        let path = try file("twins.sqlite", holding: old)
        for changed in [false, true] {
            // The uncounted row of March, then the counted one, has one more transaction.
            var written = try salesRows(path)
            let index = try #require(
                written.firstIndex { $0.sellerTaxCode == "4000000005" && $0.month == 3 && $0.counted == changed })
            written[index].transactions += 1
            written.sort { ContentHash.StoredRow.of($0) < ContentHash.StoredRow.of($1) }
            let touched = SalesRowsUpdate.TouchedKeys(
                years: [2024],
                keys: [.init(year: 2024, month: 3, channel: "marketplace", seller: "4000000005", district: "662")])
            let diff = try #require(
                try SalesRowsUpdate.diff(
                    written, changedOnlyUnderKeysOf: SalesRowsUpdate.FileRows.read(touched, from: path)
                ).diff)
            #expect(diff.changes == SalesRowsUpdate.Changes(deleted: 1, inserted: 1))
            let database = try Database(path: path, mode: .create)
            try database.execute("BEGIN")
            try SalesRowsUpdate.apply(diff, in: database)
            try database.execute("COMMIT")
            database.close()
            #expect(try salesRows(path) == written)
        }
    }

    /// Amounts compare as their stored text ("10" before "9"), and a row differing only in its
    /// last column (`counted`) is another row.
    @Test(arguments: Reading.allCases) func rowsDifferingInAmountTextOrTheFlagAreToldApart(reading: Reading) throws {
        var old = Self.sales(years: [2024], sellers: [3])
        old[0].netVND = SnapshotFixtures.decimal("9")
        var written = old
        written[0].netVND = SnapshotFixtures.decimal("10")
        written[1].counted.toggle()
        written.sort { ContentHash.StoredRow.of($0) < ContentHash.StoredRow.of($1) }
        let path = try file("text.sqlite", holding: old)
        #expect(
            try update(path, to: written, years: [2024], reading: reading)
                == SalesRowsUpdate.Changes(deleted: 2, inserted: 2))
        #expect(try salesRows(path) == written)
    }

    /// Out of the table's order, rows are still brought to the computed ones: those the merge
    /// passes by are deleted and inserted again.
    @Test(arguments: Reading.allCases) func rowsOutOfOrderStillGiveTheComputedRows(reading: Reading) throws {
        let path = try file("reversed.sqlite", holding: Self.sales(years: [2023, 2024]))
        let written = Self.sales(years: [2024]) { $0 % 3 == 0 ? 2 : 1 }
        let changes = try #require(try update(path, to: written.reversed(), years: [2024], reading: reading))
        #expect(changes.deleted == changes.inserted)
        #expect(changes.inserted >= 14 * 12)
        #expect(try salesRows(path) == Self.sales(years: [2023]) + written)
    }

    @Test(arguments: Reading.allCases) func rowsOfAYearNotWrittenChangeNothing(reading: Reading) throws {
        let original = Self.sales(years: [2023, 2024])
        let path = try file("refused.sqlite", holding: original)
        #expect(try update(path, to: Self.sales(years: [2023]), years: [2024], reading: reading) == nil)
        #expect(try salesRows(path) == original)
    }

    /// The read-ahead rows compare with `memcmp` in the order SQLite's `ORDER BY` gives, whatever
    /// the values: texts that are prefixes of others, bytes above 127 and zero bytes, negative
    /// and large integers. Each decodes to the values stored.
    @Test func encodedRowsSortAsSQLiteDoesAndDecodeToTheirValues() throws {
        let path = root.appendingPathComponent("order.sqlite").path
        let database = try Database(path: path, mode: .create)
        defer { database.close() }
        try database.execute("CREATE TABLE t (a INTEGER NOT NULL, b TEXT NOT NULL, c INTEGER NOT NULL) STRICT")
        let texts = [
            "", "a", "ab", "a\u{0}", "a\u{0}b", "b", "Đắk", "Dak", "z\u{7F}", "é", "0100109106", "0100109106-001",
        ]
        let integers: [Int64] = [
            .min, -1_000_000_000_000, -257, -256, -255, -2, -1, 0, 1, 255, 256, 2024, 1 << 40, .max,
        ]
        let insert = try database.prepare("INSERT INTO t VALUES (?, ?, ?)")
        for (index, text) in texts.enumerated() {
            for integer in integers {
                try insert.run([.integer(integer), .text(text), .integer(Int64(index) - 5)])
            }
        }
        let rows = try SalesRowsUpdate.FileRows.read(
            database.prepare("SELECT a, b, c FROM t ORDER BY 1, 2, 3"), columns: 3, years: [])
        #expect(rows.count == texts.count * integers.count)
        let select = try database.prepare("SELECT a, b, c FROM t ORDER BY 1, 2, 3")
        var index = 0
        while try select.step() {
            #expect(rows.values(index) == [select.value(at: 0), select.value(at: 1), select.value(at: 2)])
            if index > 0 {
                let order = rows.withRow(index - 1) { earlier in
                    rows.withRow(index) { ContentHash.StoredValue.compareBytes(earlier, $0) }
                }
                #expect(order < 0, "row \(index)")
            }
            index += 1
        }
        #expect(index == rows.count)
    }

    /// The touched keys' rows made from kept groups (`FileRows.made`) give the diff that the same
    /// rows read from the file give: rows kept, changed (amounts, transactions, counted), gone and
    /// new, under the touched keys, in every month.
    @Test func madeRowsDiffAsTheFilesRowsRead() throws {
        let fileRows = Self.sales(years: [2024], sellers: Array(0..<12))
        let path = try file("made-diff.sqlite", holding: fileRows)
        // Sellers 1–8 touched: 1 and 2 kept as they were, 3 an amount changed, 4 a transaction more,
        // 5 counted the other way, 6 gone, 7 and 8 kept, and seller 20 new in some of 8's months.
        var written: [EcommerceSalesRow] = []
        for row in fileRows {
            var row = row
            switch Int(row.sellerTaxCode)! - 4_000_000_000 {
            case 3 where row.month % 2 == 0: row.netVND = SnapshotFixtures.decimal("999.125")
            case 4: row.transactions += 1
            case 5 where row.month > 6: row.counted.toggle()
            case 6 where row.month != 7: continue
            default: break
            }
            written.append(row)
            if row.sellerTaxCode == "4000000008", row.month % 3 == 0 {
                var new = row
                new.sellerTaxCode = "4000000020"
                new.sellerDistrictCode = "669"
                written.append(new)
            }
        }
        written.sort { EcommerceSalesRow.storedOrder($0, $1) < 0 }
        func touchedSeller(_ row: EcommerceSalesRow) -> Bool {
            (1...8).contains(Int(row.sellerTaxCode)! - 4_000_000_000) || row.sellerTaxCode == "4000000020"
        }
        let keys = (fileRows + written).filter(touchedSeller).map {
            SalesRowsUpdate.Key(
                year: $0.year, month: $0.month, channel: $0.channel, seller: $0.sellerTaxCode,
                district: $0.sellerDistrictCode)
        }
        let touched = SalesRowsUpdate.TouchedKeys(years: [2024], keys: keys)
        let positions = written.indices.filter { touchedSeller(written[$0]) }
        let totals = try SalesRowsUpdate.FileRows.yearTotals([2024], file: path)
        let made = try SalesRowsUpdate.FileRows.made(
            fileRows.filter(touchedSeller), of: touched, file: path, computedRows: positions, yearTotals: totals)
        var read = try SalesRowsUpdate.FileRows.read(touched, from: path)
        read.computedRows = positions
        let fromMade = try #require(try SalesRowsUpdate.diff(written, changedOnlyUnderKeysOf: made).diff)
        let fromFile = try #require(try SalesRowsUpdate.diff(written, changedOnlyUnderKeysOf: read).diff)
        #expect(fromMade.gone == fromFile.gone)
        #expect(fromMade.added == fromFile.added)
        #expect(fromMade.changes == .init(deleted: 6 + 12 + 6 + 11, inserted: 6 + 12 + 6 + 4))
    }

    /// The file's rows of the touched keys made from kept groups (`FileRows.made`) are trusted, not
    /// read: made rows that are not the file's are caught by the year's totals, the amounts too (a
    /// row whose amounts differ in the file would otherwise be kept as unchanged), and a row to
    /// delete that the file does not hold fails the apply rather than leave a wrong file.
    @Test func madeRowsThatAreNotTheFilesAreCaught() throws {
        let path = try file("made.sqlite", holding: Self.sales(years: [2023, 2024]))
        let written = Self.sales(years: [2024]).map { row in
            var row = row
            if row.sellerTaxCode == "4000000003" { row.netVND = SnapshotFixtures.decimal("7.25") }
            return row
        }
        func touched(_ rows: [EcommerceSalesRow]) -> SalesRowsUpdate.TouchedKeys {
            SalesRowsUpdate.TouchedKeys(
                years: [2024],
                keys: rows.map {
                    .init(
                        year: $0.year, month: $0.month, channel: $0.channel, seller: $0.sellerTaxCode,
                        district: $0.sellerDistrictCode)
                })
        }
        let seller3 = written.filter { $0.sellerTaxCode == "4000000003" }
        let positions = written.indices.filter { written[$0].sellerTaxCode == "4000000003" }
        // The file's totals of the year, as a night reads them beside Compute.
        let totals = try SalesRowsUpdate.FileRows.yearTotals([2024], file: path)
        // The truth: seller 3's rows as the file holds them; the diff then changes them.
        let truth = try SalesRowsUpdate.FileRows.made(
            Self.sales(years: [2024], sellers: [3]), of: touched(seller3), file: path, computedRows: positions,
            yearTotals: totals)
        #expect(
            try SalesRowsUpdate.diff(written, changedOnlyUnderKeysOf: truth).diff?.changes
                == .init(deleted: 12, inserted: 12))
        // A lie: made rows equal to the computed ones, which the file's are not (only amounts differ).
        let lie = try SalesRowsUpdate.FileRows.made(
            seller3, of: touched(seller3), file: path, computedRows: positions, yearTotals: totals)
        let missed = try #require(try SalesRowsUpdate.diff(written, changedOnlyUnderKeysOf: lie).missed)
        #expect(missed.file.rows == missed.computed.rows && missed.file.transactions == missed.computed.transactions)
        #expect(missed.file.amounts != missed.computed.amounts)
        // Positions that are not the touched keys' rows: not used.
        let elsewhere = try SalesRowsUpdate.FileRows.made(
            Self.sales(years: [2024], sellers: [3]), of: touched(seller3), file: path,
            computedRows: positions.map { $0 + 1 }, yearTotals: totals)
        #expect(try SalesRowsUpdate.diff(written, changedOnlyUnderKeysOf: elsewhere).isNotUsable)
        // A row to delete that the copy does not hold: the apply throws.
        var absent = Self.sales(years: [2024], sellers: [3])[0]
        absent.transactions = 99
        var encoder = OrderedRowEncoder()
        try absent.put(into: &encoder)
        let database = try Database(path: path, mode: .create)
        defer { database.close() }
        try database.execute("BEGIN")
        #expect(throws: SnapshotError.self) {
            try SalesRowsUpdate.apply(
                SalesRowsUpdate.Diff(gone: [OrderedRowEncoder.decode(encoder.bytes.withUnsafeBytes { $0 })], added: []),
                in: database)
        }
        try database.execute("ROLLBACK")
    }

    /// The totals' amounts checksum taken from memory is the one SQLite's expression gives over the
    /// stored texts (their integer part): for amounts of every sign, scale and size, also past 64
    /// bits (the cast clamps).
    @Test func theAmountsChecksumIsSQLitesOverTheStoredText() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("amounts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try Database(path: folder.appendingPathComponent("a.sqlite").path, mode: .create)
        defer { database.close() }
        let amounts: [ExactDecimal] = [
            "0", "1", "-1", "0.05", "-0.05", "1234.50", "99999999999.9999", "-1000000007", "1000000008.25",
            "9223372036854775807", "9223372036854775808", "-9223372036854775809", "123456789012345678901234.5",
        ].map { ExactDecimal(canonical: $0)! }
        let modulus = SalesRowsUpdate.Totals.amountModulus
        for amount in amounts {
            let text = amount.storageText
            let sql = try database.integer("SELECT CAST('\(text)' AS INTEGER) % \(modulus)")
            #expect(sql.map(Int.init) == SalesRowsUpdate.Totals.amountTerm(amount), "\(text)")
            #expect(SalesRowsUpdate.Totals.amountTerm(stored: .text(text)) == SalesRowsUpdate.Totals.amountTerm(amount))
        }
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

extension SalesRowsUpdate.KeysDiff {
    /// The difference, when the keys gave one.
    fileprivate var diff: SalesRowsUpdate.Diff? {
        if case .diff(let diff) = self { diff } else { nil }
    }

    /// What did not add up, when the keys missed a change.
    fileprivate var missed: SalesRowsUpdate.Missed? {
        if case .missed(let missed) = self { missed } else { nil }
    }

    fileprivate var isNotUsable: Bool {
        if case .notUsable = self { true } else { false }
    }
}
