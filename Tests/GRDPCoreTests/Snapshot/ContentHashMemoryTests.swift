import Foundation
import Testing

@testable import GRDPCore

/// A publish takes the content hash from the rows it inserts (`ContentHash.computeMarking(of:)`)
/// instead of reading the file back. These tests hold it to the hash read back from the file,
/// byte for byte: values SQLite stores differently from how they were bound, SQLite's order
/// against ours, rows given out of order, and the marks a nightly run goes on from.
@Suite struct ContentHashMemoryTests {
    /// The suite's folder (`TemporaryFolder`, removed with the suite).
    let folder: TemporaryFolder
    var root: URL { folder.url }

    init() throws {
        folder = try TemporaryFolder()
    }

    private static func decimal(_ text: String) -> ExactDecimal { SnapshotFixtures.decimal(text) }

    /// A new file with the snapshot's tables holding `content`'s rows, as a publish writes it.
    private func file(_ name: String, holding content: SnapshotContent) throws -> String {
        let path = root.appendingPathComponent(name).path
        try SnapshotFixtures.writeTables(content, to: path)
        return path
    }

    private func readBack(_ path: String, resume: ContentHash.Resume? = nil) throws -> (
        hash: String, marks: ContentHash.Marks?
    ) {
        let database = try Database(path: path, mode: .readOnlyImmutable)
        defer { database.close() }
        return try ContentHash.computeMarking(database, resume: resume)
    }

    /// Rows whose stored order is not the order they are listed in: text bytewise (`Z` < `a` <
    /// `Đ`), numbers as numbers (-1 < 9 < 10), amounts as their text ("10" < "9"), NULLs first,
    /// an empty text, a NUL inside a text, duplicates.
    private static func trickyContent() -> SnapshotContent {
        var content = SnapshotFixtures.content()
        let source = SourceLocation(archivePath: "a.zip", memberPath: "e.csv", line: 1)
        content.enterprises = ["Đ1", "a1", "Z1", "10", "9", "", "a1\u{0}x"].enumerated().flatMap { index, code in
            [10, -1, 9].map { year in
                EnterpriseRow(
                    taxCode: code, year: year, name: "Công ty \(index)", vsic: "62010", section: "J",
                    districtCode: "66\(index % 3)", valueAddedMVND: decimal(["10", "9", "-0.5", "100.25"][index % 4]),
                    isCore: index % 2 == 0, source: source)
            }
        }
        content.sourceArchives = [
            SourceArchiveRow(path: "b.zip", sha256: "00", bytes: 10, status: "accepted", reason: nil),
            SourceArchiveRow(path: "b.zip\u{0}", sha256: "00", bytes: 9, status: "rejected", reason: "corrupt-archive"),
            SourceArchiveRow(path: "B.zip", sha256: "ff", bytes: -3, status: "accepted", reason: ""),
        ]
        let row = content.quarantine[0]
        content.quarantine = [row, content.quarantine[1], row, row]
        content.quarantine[3].detail = "Đắk"
        content.quarantine[2].line = -7
        content.indicators[0].grdpBVND = nil
        content.indicators[1].sharePct = decimal("0")
        content.indicators[2].coreBVND = decimal("-12.5")
        content.districts.reverse()
        content.targetPoints.reverse()
        return content
    }

    @Test func theMemoryHashIsTheFileHashOverTrickyRows() throws {
        for (name, content) in [("fixture", SnapshotFixtures.content()), ("tricky", Self.trickyContent())] {
            let path = try file("\(name).sqlite", holding: content)
            let fromFile = try readBack(path)
            let fromMemory = try #require(try ContentHash.computeMarking(of: content, path: path, carrying: nil))
            #expect(fromMemory.hash == fromFile.hash, "\(name)")
            #expect(fromMemory.marks == fromFile.marks, "\(name)")
        }
    }

    /// Sales rows whose fields tie and differ in every way the stored order tells apart: texts
    /// bytewise (`Z` < `a` < `Đ`, an empty one, a NUL inside), numbers as numbers, amounts as their
    /// canonical text ("10" < "9", "1.50" as "1.5", a negative), counted last.
    private static func trickySales() -> [EcommerceSalesRow] {
        let texts = ["Z", "a", "Đ", "", "a\u{0}x"]
        let amounts = ["10", "9", "-0.5", "1.50", "100.25"].map(decimal)
        return (0..<400).map { index in
            EcommerceSalesRow(
                year: [2024, 2023][index % 2], month: [10, 9][index / 2 % 2], channel: texts[index / 4 % 5],
                sellerTaxCode: texts[index / 3 % 5], sellerDistrictCode: texts[index / 7 % 5],
                transactions: [9, 10, -1][index / 5 % 3], netVND: amounts[index / 11 % 5],
                vaVND: amounts[index / 13 % 5], counted: index / 17 % 2 == 0)
        }
    }

    /// The sales rows' hash is serialised straight from each row (`SerializingSink`) and their
    /// order checked field by field (`storedOrder`): both must be what `StoredRow` gives, pair by
    /// pair and byte for byte, and the hash must be the file's.
    @Test func salesRowsSerialiseAndOrderAsStoredRowsDo() throws {
        let rows = Self.trickySales()
        func stored(_ row: EcommerceSalesRow) throws -> ContentHash.StoredRow {
            var values = ContentHash.StoredRow(path: "memory")
            try row.put(into: &values)
            return values
        }
        let storedRows = try rows.map(stored)
        var decidedByAmounts = 0
        for (a, x) in zip(rows, storedRows) {
            for (b, y) in zip(rows, storedRows) {
                let expected = ContentHash.StoredValue.compare(x.values, y.values)
                #expect(EcommerceSalesRow.storedOrder(a, b) == expected, "\(a) against \(b)")
                if x.values.prefix(6).elementsEqual(
                    y.values.prefix(6), by: { ContentHash.StoredValue.compare($0, $1) == 0 }),
                    expected != 0
                {
                    decidedByAmounts += 1
                }
            }
        }
        #expect(decidedByAmounts > 0, "some pairs tie up to the amounts")

        for (row, values) in zip(rows, storedRows) {
            var direct = ContentHash.Serializer(collecting: true)
            try withUnsafeMutablePointer(to: &direct) { pointer in
                var sink = ContentHash.SerializingSink(path: "memory", serializer: pointer)
                try row.put(into: &sink)
            }
            var viaValues = ContentHash.Serializer(collecting: true)
            values.serialize(into: &viaValues)
            // `StoredRow.serialize` begins with the row's tag; the sink leaves it to its caller.
            let directBytes = [UInt8(ascii: "R")] + direct.collected().joined()
            let valueBytes = Array(viaValues.collected().joined())
            #expect(directBytes == valueBytes)
        }

        var content = SnapshotFixtures.content()
        content.ecommerceSales = zip(rows, storedRows).sorted {
            ContentHash.StoredValue.compare($0.1.values, $1.1.values) < 0
        }.map(\.0)
        let path = try file("tricky-sales.sqlite", holding: content)
        let fromFile = try readBack(path)
        let fromMemory = try #require(try ContentHash.computeMarking(of: content, path: path, carrying: nil))
        #expect(fromMemory.hash == fromFile.hash)
        #expect(fromMemory.marks == fromFile.marks)
    }

    /// Every storage class, as bound and as SQLite gives it back (a NaN as NULL), 300 rows mixing
    /// them, in SQLite's `ORDER BY` and in ours (no integer equals a real here: `ORDER BY` ties
    /// them in no set order, and a STRICT column never holds both); then a STRICT REAL column,
    /// whose −0.0 comes back 0.0 (stored as the integer 0).
    @Test func storedValuesSerialiseAndOrderAsSQLiteGivesThemBack() throws {
        let values: [SQLValue] = [
            .null, .integer(.min), .integer(.max), .integer(-1), .integer(1), .integer(10), .integer(9),
            .real(.nan), .real(1e300), .real(-2.5), .real(3.0), .real(9.5), .text(""),
            .text("a\u{0}b"), .text("Đắk"), .text("Z"), .text("a"), .text("10"), .text("9"), .blob([]),
            .blob([0, 255]), .blob([0]),
        ]
        let path = root.appendingPathComponent("values.sqlite").path
        let database = try Database(path: path, mode: .create)
        defer { database.close() }
        try database.execute("CREATE TABLE loose(a, b)")
        let insert = try database.prepare("INSERT INTO loose VALUES (?, ?)")
        var expected: [ContentHash.StoredRow] = []
        for index in 0..<300 {
            let row = [values[index % values.count], values[(index * 7 + 3) % values.count]]
            try insert.run(row)
            var stored = ContentHash.StoredRow(path: path)
            for value in row { stored.value(value) }
            expected.append(stored)
        }
        expected.sort { ContentHash.StoredValue.compare($0.values, $1.values) < 0 }

        // The hash read back (the code publish used to run, and verify runs) against ours.
        let fromFile = try ContentHash.compute(database, splitThreshold: nil)
        var fromMemory = ContentHash.Serializer()
        fromMemory.string(ContentHash.formatTag)
        fromMemory.tag("T")
        fromMemory.string("loose")
        fromMemory.count(2)
        for name in ["a", "b"] { fromMemory.string(name) }
        for row in expected { row.serialize(into: &fromMemory) }
        fromMemory.tag("E")
        fromMemory.count(expected.count)
        let memoryHash = fromMemory.finish()
        #expect(memoryHash == fromFile)

        try database.execute("CREATE TABLE reals(x REAL) STRICT")
        let reals: [Double] = [-0.0, 3.0, .nan, 1e300, -2.5, 0.125, -1e-300]
        let insertReal = try database.prepare("INSERT INTO reals VALUES (?)")
        for real in reals { try insertReal.run([.real(real)]) }
        let selectReal = try database.prepare("SELECT x FROM reals ORDER BY 1")
        var readBack: [SQLValue] = []
        while try selectReal.step() { readBack.append(selectReal.value(at: 0)) }
        var stored = ContentHash.StoredRow(path: path)
        for real in reals { stored.value(.real(real)) }
        let sorted = stored.values.sorted { ContentHash.StoredValue.compare($0, $1) < 0 }
        #expect(sorted.count == readBack.count)
        for (memory, file) in zip(sorted, readBack) {
            switch (memory, file) {
            case (.null, .null): break
            case (.real(let x), .real(let y)): #expect(x.bitPattern == y.bitPattern, "\(x) against \(y)")
            default: Issue.record("\(memory) against \(file)")
            }
        }
    }

    /// Sales rows out of the table's order are not hashed from memory (they are never sorted
    /// here): the publish reads the file back, and its hash is the one `verify` recomputes.
    @Test func salesRowsOutOfOrderAreReadBack() throws {
        var content = SnapshotFixtures.content()
        content.ecommerceSales.reverse()
        let path = try file("reversed.sqlite", holding: content)
        #expect(try ContentHash.computeMarking(of: content, path: path, carrying: nil) == nil)

        let store = SnapshotStore(folder: root.appendingPathComponent("reversed", isDirectory: true))
        let (outcome, details) = try store.publishMarking(
            content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        guard case .published(let meta) = outcome else { throw CancellationError() }
        #expect(details.hashReadBack)
        #expect(meta.contentSHA256 == (try readBack(path).hash))
        #expect(try store.verify(version: meta.version).isEmpty)
    }

    /// 40 sellers a month in each of `years`, in the table's order.
    private static func sales(years: [Int], transactions: Int) -> [EcommerceSalesRow] {
        years.flatMap { year in
            (1...12).flatMap { month in
                (0..<40).map { seller in
                    EcommerceSalesRow(
                        year: year, month: month, channel: "marketplace", sellerTaxCode: String(4_000_000_000 + seller),
                        sellerDistrictCode: "66\(seller % 3)", transactions: transactions,
                        netVND: decimal("\(1000 + seller)"), vaVND: decimal("\(80 + seller).5"),
                        counted: seller % 5 != 0)
                }
            }
        }
    }

    /// A night whose first changed month of its year is past the year's first (`Resume.fromMonth`,
    /// which the runner takes from the months' digests): the memory hash goes on from the latest
    /// file's mark at that month, past the year's rows before it, and gives the hash and marks of
    /// reading the file. Marks of a year without its months (a guard: none this build makes), or
    /// a month whose mark is not where the rows before it end, go on from the year's start
    /// instead; a month past the year's last goes on from its end.
    @Test func goingOnFromAMonthOfTheLatestFilesMarks() throws {
        var first = SnapshotFixtures.content()
        first.ecommerceSales = Self.sales(years: [2023, 2024], transactions: 1)
        let marks = try #require(try readBack(try file("months-first.sqlite", holding: first)).marks)
        var yearsOnly = marks
        yearsOnly.positions = marks.yearStarts.map { position in
            var position = position
            position.month = nil
            return position
        }

        /// 2024's rows from `month` on with another count, without those of `dropping` months.
        func next(changedFrom month: Int, dropping: Set<Int> = []) -> SnapshotContent {
            var next = first
            next.ecommerceSales = Self.sales(years: [2024], transactions: 1).compactMap { row in
                guard !dropping.contains(row.month) else { return nil }
                var row = row
                if row.month >= month { row.transactions = 2 }
                return row
            }
            return next
        }
        // (case, 2024's rows, the resume's month and marks, rows taken from the marks)
        let cases: [(String, SnapshotContent, Int?, ContentHash.Marks, Int)] = [
            ("October", next(changedFrom: 10), 10, marks, 480 + 9 * 40),
            ("January", next(changedFrom: 1), 1, marks, 480),
            ("no month", next(changedFrom: 10), nil, marks, 480),
            ("marks without months", next(changedFrom: 10), 10, yearsOnly, 480),
            ("a month gone before it", next(changedFrom: 10, dropping: [3]), 10, marks, 480),
            ("past the last month, nothing changed", next(changedFrom: 13), 13, marks, 960),
        ]
        for (name, next, fromMonth, marks, resumed) in cases {
            var merged = next
            merged.ecommerceSales = first.ecommerceSales.filter { $0.year != 2024 } + next.ecommerceSales
            let fromFile = try readBack(try file("months-\(name).sqlite", holding: merged))
            let carrying = ContentHash.Carrying(
                exceptYears: [2024], resume: ContentHash.Resume(fromYear: 2024, fromMonth: fromMonth, marks: marks))
            let result = try #require(try ContentHash.computeMarking(of: next, path: "unused", carrying: carrying))
            #expect(result.hash == fromFile.hash, "\(name)")
            #expect(result.marks?.rowsResumed == resumed, "\(name)")
            // The marks of 2024 are the file's, month by month (2023's are those resumed).
            #expect(
                result.marks?.positions.filter { $0.year != 2023 }
                    == fromFile.marks?.positions.filter { $0.year != 2023 },
                "\(name)")
            if name != "marks without months" { #expect(result.marks == fromFile.marks, "\(name)") }
        }
    }

    /// The file read back (when memory cannot give the hash: a carried year after the one
    /// written) goes on from the mark of the resume's month, as the memory hash does, when the
    /// file's rows of that year before it are as many as the marks say: the hash and positions of
    /// reading every row, the rows before the month not read. Else from the year's start. In one
    /// pass and by month on two threads.
    @Test(arguments: [nil, 100] as [Int?])
    func theReadBackGoesOnFromTheResumesMonth(splitThreshold: Int?) throws {
        func read(_ path: String, resume: ContentHash.Resume? = nil) throws -> (
            hash: String, marks: ContentHash.Marks?
        ) {
            let database = try Database(path: path, mode: .readOnlyImmutable)
            defer { database.close() }
            return try ContentHash.computeMarking(database, splitThreshold: splitThreshold, resume: resume)
        }
        let suffix = splitThreshold.map(String.init) ?? "whole"
        var first = SnapshotFixtures.content()
        first.ecommerceSales = Self.sales(years: [2023, 2024], transactions: 1)
        let marks = try #require(try read(try file("month-first-\(suffix).sqlite", holding: first)).marks)
        let yearStart = try #require(marks.position(from: 2023)).rowsBefore
        // 2023's rows from October on changed; 2024's as they were (carried).
        var next = first
        next.ecommerceSales = first.ecommerceSales.map { row in
            var row = row
            if row.year == 2023, row.month >= 10 { row.transactions = 2 }
            return row
        }
        let path = try file("month-next-\(suffix).sqlite", holding: next)
        let whole = try read(path)
        let fromMonth = try read(path, resume: ContentHash.Resume(fromYear: 2023, fromMonth: 10, marks: marks))
        #expect(fromMonth.hash == whole.hash)
        #expect(fromMonth.marks?.positions == whole.marks?.positions)
        #expect(fromMonth.marks?.rowsResumed == yearStart + 9 * 40)
        let fromYear = try read(path, resume: ContentHash.Resume(fromYear: 2023, marks: marks))
        #expect(fromYear.hash == whole.hash)
        #expect(fromYear.marks?.rowsResumed == yearStart)
        // A month with no row in the marked file: from the next month's mark.
        var gap = first
        gap.ecommerceSales.removeAll { $0.year == 2023 && $0.month == 10 }
        let gapMarks = try #require(try read(try file("month-gap-\(suffix).sqlite", holding: gap)).marks)
        var filled = gap
        filled.ecommerceSales += first.ecommerceSales.filter { $0.year == 2023 && $0.month == 10 }
        let filledPath = try file("month-filled-\(suffix).sqlite", holding: filled)
        let filledFromMonth = try read(
            filledPath, resume: ContentHash.Resume(fromYear: 2023, fromMonth: 10, marks: gapMarks))
        #expect(filledFromMonth.hash == (try read(filledPath)).hash)
        #expect(filledFromMonth.marks?.rowsResumed == yearStart + 9 * 40)
        // The file's rows before October are not as many as the marks say (a row added in
        // March, against what the caller vouches): read from the year's start, the file's hash.
        var more = next
        var march = first.ecommerceSales.first { $0.year == 2023 && $0.month == 3 }!
        march.sellerTaxCode = "4999999999"
        more.ecommerceSales.append(march)
        let morePath = try file("month-more-\(suffix).sqlite", holding: more)
        let moreFromMonth = try read(morePath, resume: ContentHash.Resume(fromYear: 2023, fromMonth: 10, marks: marks))
        #expect(moreFromMonth.hash == (try read(morePath)).hash)
        #expect(moreFromMonth.marks?.rowsResumed == yearStart)
    }

    /// A nightly run copies the latest file and writes the changed years: the memory hash goes on
    /// from that file's marks, as the read-back does, when every carried year comes before the
    /// first written one, and gives way to the read-back when one does not.
    @Test func goingOnFromTheLatestFilesMarks() throws {
        let store = SnapshotStore(folder: root.appendingPathComponent("nightly", isDirectory: true))
        var first = SnapshotFixtures.content()
        first.ecommerceSales = Self.sales(years: [2022, 2023, 2024], transactions: 1)
        let (outcome, firstDetails) = try store.publishMarking(
            first, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        guard case .published(let latest) = outcome else { throw CancellationError() }
        #expect(!firstDetails.hashReadBack)
        let marks = try #require(firstDetails.marks)
        #expect(marks.yearStarts.compactMap(\.year) == [2022, 2023, 2024])
        let latestURL = store.url(for: latest.version)

        for written in [[2024], [2023, 2024], [2023], [2021]] {
            var next = first
            next.ecommerceSales = Self.sales(years: written, transactions: 2)
            let resume = ContentHash.Resume(fromYear: written.min()!, marks: marks)
            let carrying = ContentHash.Carrying(exceptYears: Set(written), resume: resume)
            // The file that publish writes: the latest one's rows of the other years, and these.
            var merged = next
            merged.ecommerceSales = first.ecommerceSales.filter { !written.contains($0.year) } + next.ecommerceSales
            let path = try file("merged-\(written).sqlite", holding: merged)
            let fromFile = try readBack(path, resume: resume)
            #expect(fromFile.hash == (try readBack(path).hash))
            let fromMemory = try ContentHash.computeMarking(of: next, path: path, carrying: carrying)
            let carriedAfter = [2022, 2023, 2024].contains { !written.contains($0) && $0 > written.min()! }
            if carriedAfter {
                // A carried year after the first written one: its rows are not in memory.
                #expect(fromMemory == nil, "\(written)")
            } else {
                let result = try #require(fromMemory, "\(written)")
                #expect(result.hash == fromFile.hash, "\(written)")
                #expect(result.marks == fromFile.marks, "\(written)")
                #expect(result.marks?.rowsResumed == fromFile.marks?.rowsResumed, "\(written)")
            }

            // And through publish, carrying the latest file.
            let carried = CarriedSales(from: latestURL, exceptYears: Set(written))
            let (published, details) = try store.publishMarking(
                next, meta: SnapshotFixtures.draft(parent: latest.version), skipIfHashEquals: nil, carrying: carried,
                resume: resume)
            guard case .published(let meta) = published else { throw CancellationError() }
            #expect(meta.contentSHA256 == fromFile.hash, "\(written)")
            #expect(details.marks == fromFile.marks, "\(written)")
            #expect(details.hashReadBack == carriedAfter, "\(written)")
            // Every written row differs from the latest file's (2 transactions against 1).
            let writtenBefore = written.filter { [2022, 2023, 2024].contains($0) }.count
            #expect(
                details.salesChanges
                    == SalesRowsUpdate.Changes(deleted: 480 * writtenBefore, inserted: 480 * written.count),
                "\(written)")
            #expect(try store.verify(version: meta.version).isEmpty)
        }

        // Marks that do not fit what comes before the sales table (another district list): the
        // read-back reads every row, which memory cannot.
        var other = first
        other.districts.removeLast()
        other.ecommerceSales = Self.sales(years: [2024], transactions: 3)
        let carrying = ContentHash.Carrying(
            exceptYears: [2024], resume: ContentHash.Resume(fromYear: 2024, marks: marks))
        #expect(try ContentHash.computeMarking(of: other, path: "unused", carrying: carrying) == nil)
        #expect(
            try ContentHash.computeMarking(
                of: other, path: "unused", carrying: ContentHash.Carrying(exceptYears: [2024], resume: nil)) == nil)
    }

    /// A resume month taken from a night's kept groups (`Resume.fromMonthByKeptGroups`) is used only
    /// when the publish's diff is made from those groups: here the rows changed from January, the
    /// month says October, and the diff is the file's, so the file is read back from the year's
    /// start and the published hash is the file's. Without the flag, that month is trusted and
    /// the hash is not the file's (`verify` says so): what a wrong month would cost.
    @Test func aResumeMonthFromKeptGroupsHoldsOnlyWithTheirDiff() throws {
        for trusted in [false, true] {
            let store = SnapshotStore(folder: root.appendingPathComponent("kept-month-\(trusted)", isDirectory: true))
            var first = SnapshotFixtures.content()
            first.ecommerceSales = Self.sales(years: [2023, 2024], transactions: 1)
            let (outcome, firstDetails) = try store.publishMarking(
                first, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
            guard case .published(let latest) = outcome else { throw CancellationError() }
            var next = first
            next.ecommerceSales = Self.sales(years: [2024], transactions: 2)
            let resume = ContentHash.Resume(
                fromYear: 2024, fromMonth: 10, fromMonthByKeptGroups: !trusted, marks: try #require(firstDetails.marks))
            let (published, details) = try store.publishMarking(
                next, meta: SnapshotFixtures.draft(parent: latest.version), skipIfHashEquals: nil,
                carrying: CarriedSales(from: store.url(for: latest.version), exceptYears: [2024]), resume: resume)
            guard case .published(let meta) = published else { throw CancellationError() }
            #expect(details.salesCompared == .file)
            #expect(details.hashReadBack == !trusted)
            #expect(try store.verify(version: meta.version).isEmpty == !trusted, "month trusted: \(trusted)")
        }
    }
}
