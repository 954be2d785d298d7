import Foundation
import Testing

@testable import GRDPCore

/// The content hash reads a large table as two halves at once (one on another thread). These
/// tests hold it to the one-pass reading, byte for byte, on the values that order trickily in
/// SQLite: mixed storage classes in one column, 1 beside 1.0, text beside blobs, affinity, and
/// NULLs (which the halves cannot split on, and must fall back).
@Suite struct ContentHashTests {
    /// The suite's folder (`TemporaryFolder`, removed with the suite).
    let folder: TemporaryFolder
    var root: URL { folder.url }

    init() throws {
        folder = try TemporaryFolder()
    }

    /// A database file holding `sql`, closed again.
    private func database(_ name: String, _ sql: String) throws -> String {
        let path = root.appendingPathComponent(name).path
        let database = try Database(path: path, mode: .create)
        try database.execute(sql)
        database.close()
        return path
    }

    private func hashes(_ path: String) throws -> (oneTable: String?, split: String, onePass: String) {
        let database = try Database(path: path, mode: .readOnlyImmutable)
        defer { database.close() }
        return (
            try ContentHash.compute(database, splittingFrom: 1)?.hash,
            try ContentHash.compute(database, splitThreshold: 1),
            try ContentHash.compute(database, splitThreshold: nil)
        )
    }

    /// Rows `(a, b, c)` with every storage class but NULL, in an order unlike the key order.
    private static let mixedRows: [String] = {
        var rows: [String] = []
        for index in 0..<400 {
            let a: String
            switch index % 7 {
            case 0: a = "\(index % 13)"  // INTEGER
            case 1: a = "\(index % 13).0"  // REAL, equal to an INTEGER above
            case 2: a = "'\(index % 11)'"  // TEXT that looks like a number
            case 3: a = "x'\(String(format: "%02x", index % 256))'"  // BLOB
            case 4: a = "'Đắk Nông \(index % 5)'"  // TEXT, non-ASCII
            case 5: a = "''"  // empty TEXT
            default: a = "-\(index % 17).5"  // negative REAL
            }
            rows.append("(\(a), \((index * 7919) % 23), 'row \(index % 3)')")
        }
        return rows
    }()

    @Test func halvesGiveTheOnePassHashOverMixedStorageClasses() throws {
        let path = try database(
            "mixed.sqlite",
            """
            CREATE TABLE loose(a, b, c);
            INSERT INTO loose VALUES \(Self.mixedRows.joined(separator: ", "));
            CREATE TABLE typed(n INTEGER, t TEXT, r REAL);
            INSERT INTO typed VALUES (5, 'x', 1), ('abc', 'y', 2.5), (5.5, 'x', '3'), (5, 'x', 1),
              (-1, 'é', 0), (x'00ff', 'y', -2), ('7', 'z', 1e300), (7, 'z', -0.0), ('', '', 2);
            CREATE TABLE sorted(k TEXT, v INTEGER, PRIMARY KEY (k, v)) WITHOUT ROWID;
            WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < 3000)
            INSERT INTO sorted SELECT 'k' || (value % 97), value FROM s;
            """)
        let (split, viaDefault, onePass) = try hashes(path)
        // Not nil: every table was read in halves, none fell back.
        #expect(split == onePass)
        #expect(viaDefault == onePass)
    }

    /// An upper half that would take more memory than its budget (a `quarantine` of millions of
    /// rows) is dropped by its thread and read after the lower half on this one: the hash and the
    /// year marks (a sales table without the month key, as snapshots before `WITHOUT ROWID` hold
    /// it, with its last year in the upper half) are those of one pass, whatever the budget.
    @Test(arguments: [0, 4096, Int.max])
    func anUpperHalfPastItsBudgetIsReadAfterTheLower(budget: Int) throws {
        let path = try database(
            "budget-\(budget).sqlite",
            """
            CREATE TABLE loose(a, b, c);
            INSERT INTO loose VALUES \(Self.mixedRows.joined(separator: ", "));
            CREATE TABLE ecommerce_sales(year INTEGER NOT NULL, month INTEGER NOT NULL, seller TEXT NOT NULL) STRICT;
            WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < 1000)
            INSERT INTO ecommerce_sales
              SELECT 2022, value % 12 + 1, 'a' || value FROM s UNION ALL SELECT 2023, value % 12 + 1, 'b' || value FROM s
              UNION ALL SELECT 2024, value % 12 + 1, 'c' || value FROM s;
            """)
        let database = try Database(path: path, mode: .readOnlyImmutable)
        defer { database.close() }
        let onePass = try #require(try ContentHash.compute(database, splittingFrom: nil))
        let split = try #require(try ContentHash.compute(database, splittingFrom: 1, upperHalfBudget: budget))
        #expect(split.hash == onePass.hash)
        #expect(split.marks == onePass.marks)
        #expect(onePass.marks?.yearStarts.map(\.rowsBefore) == [0, 1000, 2000, 3000])
        // Each month marked at its first row: 1000 rows a year, `value % 12 + 1` its month.
        let monthRows = (1...12).map { month in (1...1000).count { $0 % 12 + 1 == month } }
        var monthStarts: [Int] = []
        for year in 0..<3 {
            var start = year * 1000
            for rows in monthRows {
                monthStarts.append(start)
                start += rows
            }
        }
        #expect(onePass.marks?.positions.map(\.rowsBefore) == monthStarts + [3000])
        let months: [[Int?]] = [2022, 2023, 2024].flatMap { year in (1...12).map { [year, $0] } }
        #expect(onePass.marks?.months == months + [[nil, nil]])
    }

    @Test func aTableWithNullsFallsBackToOnePass() throws {
        let path = try database(
            "nulls.sqlite",
            """
            CREATE TABLE t(a, b);
            INSERT INTO t VALUES (1, NULL), (NULL, 2), (2, 2), (NULL, NULL), (3, 'x'), (2, 1), (1, 1);
            """)
        let (split, viaDefault, onePass) = try hashes(path)
        #expect(split == nil)
        #expect(viaDefault == onePass)
    }

    /// A table with a unique leading key whose middle row has a NULL further on (an enterprise
    /// without `employees`): split on the middle row's columns before the NULL, not read twice.
    /// 999 rows: the middle row (tax code 0000000500) has employees, its neighbours NULL;
    /// 1,000 rows: the middle row (0000000501) has NULL.
    @Test(arguments: [999, 1000])
    func aNullInTheMiddleRowAfterAUniqueKeyStillSplits(rows: Int) throws {
        let path = try database(
            "middle-null-\(rows).sqlite",
            """
            CREATE TABLE enterprise(tax_code TEXT, year INTEGER, employees INTEGER);
            WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < \(rows))
            INSERT INTO enterprise SELECT printf('%010d', value), 2024, CASE WHEN value % 2 THEN NULL ELSE value END
              FROM s;
            """)
        let (split, _, onePass) = try hashes(path)
        #expect(split != nil)
        #expect(split == onePass)
    }

    /// The fixture content with `splitThreshold + 5` sales rows over five years and twelve months
    /// (row 4 is of 2024-05, row 29 of 2024-06), row `markedRow`'s seller `seller` if given: large
    /// enough to be hashed by month (or in halves) at the default threshold.
    private static func largeContent(markedRow: Int = 4, seller: String? = nil) -> SnapshotContent {
        var content = SnapshotFixtures.content()
        let template = content.ecommerceSales[0]
        content.ecommerceSales = (0..<(ContentHash.splitThreshold + 5)).map { index in
            var row = template
            row.year = 2020 + index % 5
            row.month = 1 + index % 12
            row.sellerTaxCode =
                index == markedRow ? seller ?? String(1_000_000_000 + index) : String(1_000_000_000 + index)
            row.transactions = index
            return row
        }
        return content
    }

    /// Through the store: a snapshot large enough to be hashed in halves at the default threshold
    /// records the one-pass hash, and `verify` agrees.
    @Test func aLargeSnapshotRecordsTheOnePassHash() throws {
        let content = Self.largeContent()
        let store = SnapshotStore(folder: root.appendingPathComponent("snapshots", isDirectory: true))
        let outcome = try store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        guard case .published(let meta) = outcome else {
            Issue.record("not published")
            return
        }
        let database = try Database(path: store.url(for: meta.version).path, mode: .readOnlyImmutable)
        defer { database.close() }
        #expect(try ContentHash.compute(database, splittingFrom: ContentHash.splitThreshold) != nil)
        #expect(meta.contentSHA256 == (try ContentHash.compute(database, splitThreshold: nil)))
        #expect(try store.verify(version: meta.version) == [])
    }

    /// `verify` still catches one changed byte wherever the sales table's hash reads it: row 4
    /// (2024-05, the 53rd month, read on this thread) or row 29 (2024-06, the 54th, read on the
    /// other and handed over serialised) (CONTRACT §7: exit 65 when a check fails).
    @Test(arguments: [4, 29])
    func aFlippedByteInALargeTableFailsVerify(row: Int) throws {
        let content = Self.largeContent(markedRow: row, seller: "UPPERMARKER")
        let store = SnapshotStore(folder: root.appendingPathComponent("flipped-\(row)", isDirectory: true))
        let outcome = try store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        guard case .published(let meta) = outcome else {
            Issue.record("not published")
            return
        }
        #expect(try store.verify(version: meta.version) == [])
        let url = store.url(for: meta.version)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
        var bytes = try [UInt8](Data(contentsOf: url))
        let marker = Array("UPPERMARKER".utf8)
        let offsets = (0...(bytes.count - marker.count)).filter { Array(bytes[$0..<$0 + marker.count]) == marker }
        try #require(offsets.count == 1)
        bytes[offsets[0] + 5] ^= 0x01  // 'M' → 'L'
        try Data(bytes).write(to: url)
        let failures = try store.verify(version: meta.version)
        #expect(failures.map(\.check).contains(.contentHash), "\(failures)")
    }

    /// A snapshot-like database: a table before the sales table, the sales table (its first
    /// column `year`) with `perYear` rows in each of `years` (`changed` years get other amounts),
    /// and a table after it.
    private func salesDatabase(
        _ name: String, years: [Int], perYear: Int = 7000, changed: Set<Int> = [], district: String = "Gia Nghĩa"
    ) throws -> String {
        let values = years.map { year in
            "SELECT \(year), value % 12 + 1, 'seller ' || (value % 901), '\(changed.contains(year) ? 7 : 3)' || value FROM s"
        }
        return try database(
            name,
            """
            CREATE TABLE district(code TEXT NOT NULL, name TEXT NOT NULL) STRICT;
            INSERT INTO district VALUES ('660', '\(district)'), ('661', 'Đắk Glong');
            CREATE TABLE ecommerce_sales(
              year INTEGER NOT NULL, month INTEGER NOT NULL, seller TEXT NOT NULL, net_vnd TEXT NOT NULL,
              PRIMARY KEY (year, month, seller, net_vnd)) STRICT, WITHOUT ROWID;
            WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < \(perYear))
            INSERT INTO ecommerce_sales \(values.isEmpty ? "SELECT 1, 1, '', '' WHERE 0" : values.joined(separator: " UNION ALL "));
            CREATE TABLE grdp(year INTEGER NOT NULL, grdp_bvnd TEXT NOT NULL) STRICT;
            INSERT INTO grdp VALUES (2022, '47300'), (2023, '51000');
            """)
    }

    private func marked(_ path: String, splitThreshold: Int?, resume: ContentHash.Resume? = nil) throws
        -> (hash: String, marks: ContentHash.Marks)
    {
        let database = try Database(path: path, mode: .readOnlyImmutable)
        defer { database.close() }
        let (hash, marks) = try ContentHash.computeMarking(database, splitThreshold: splitThreshold, resume: resume)
        #expect(hash == (try ContentHash.compute(database, splitThreshold: nil)))
        return (hash, try #require(marks))
    }

    /// The marks a hash leaves at each year's sales rows let the next snapshot's hash go on from
    /// its first changed year: whichever years changed, went or came, the hash and the marks are
    /// those of reading every row, in one pass or in halves (whose upper half is marked from
    /// memory), and exactly the rows before that year are taken from the marks.
    @Test func goingOnFromTheMarksGivesTheHashOfEveryRow() throws {
        let years = Array(2020...2024)
        let old = try salesDatabase("old.sqlite", years: years)
        let onePass = try marked(old, splitThreshold: nil)
        let halves = try marked(old, splitThreshold: 1000)
        #expect(halves.marks == onePass.marks)
        #expect(onePass.marks.yearStarts.map(\.year) == years + [nil])
        #expect(onePass.marks.yearStarts.map(\.rowsBefore) == [0, 7000, 14_000, 21_000, 28_000, 35_000])
        let months: [[Int?]] = years.flatMap { year in (1...12).map { [year, $0] } }
        #expect(onePass.marks.months == months + [[nil, nil]])

        // (name, years now, changed, first changed year, rows before it)
        let cases: [(String, [Int], Set<Int>, Int, Int)] = [
            ("2023 changed", years, [2023], 2023, 21_000),
            ("2020 changed", years, [2020, 2022], 2020, 0),
            ("2024 gone", Array(2020...2023), [], 2024, 28_000),
            ("2021 gone", [2020, 2022, 2023, 2024], [], 2021, 7000),
            ("2025 new", Array(2020...2025), [], 2025, 35_000),
            ("2019 new", Array(2019...2024), [], 2019, 0),
            ("nothing changed", years, [], Int.max, 35_000),
            ("every row gone", [], [], 2020, 0),
        ]
        for (name, now, changed, from, before) in cases {
            let path = try salesDatabase("\(name).sqlite", years: now, changed: changed)
            let full = try marked(path, splitThreshold: nil)
            for threshold in [nil, 1000] as [Int?] {
                let resumed = try marked(
                    path, splitThreshold: threshold, resume: ContentHash.Resume(fromYear: from, marks: halves.marks))
                #expect(resumed.hash == full.hash, "\(name) \(threshold ?? 0)")
                #expect(resumed.marks == full.marks, "\(name) \(threshold ?? 0)")
                #expect(resumed.marks.rowsResumed == before, "\(name) \(threshold ?? 0)")
            }
        }
    }

    /// A large sales table keyed by `(year, month, …)` is read a month at a time, the months taken
    /// in turn by two threads: a year whose first month falls to the other thread (five months in
    /// 2020, so 2021 begins on it) is still marked where it begins, and the hash and marks are
    /// those of one pass, with and without going on from earlier marks.
    @Test func monthsTakenInTurnGiveTheOnePassHashAndMarks() throws {
        let path = try database(
            "months.sqlite",
            """
            CREATE TABLE ecommerce_sales(
              year INTEGER NOT NULL, month INTEGER NOT NULL, seller TEXT NOT NULL,
              PRIMARY KEY (year, month, seller)) STRICT, WITHOUT ROWID;
            WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < 3000)
            INSERT INTO ecommerce_sales
              SELECT 2020, value % 5 + 1, 'a' || value FROM s
              UNION ALL SELECT 2021, value % 12 + 1, 'b' || value FROM s
              UNION ALL SELECT 2022, value % 3 + 7, 'c' || value FROM s;
            """)
        let database = try Database(path: path, mode: .readOnlyImmutable)
        defer { database.close() }
        let onePass = try #require(try ContentHash.compute(database, splittingFrom: nil))
        let byMonth = try #require(try ContentHash.compute(database, splittingFrom: 1000))
        #expect(byMonth.hash == onePass.hash)
        #expect(byMonth.marks == onePass.marks)
        #expect(onePass.marks?.yearStarts.map(\.year) == [2020, 2021, 2022, nil])
        #expect(onePass.marks?.yearStarts.map(\.rowsBefore) == [0, 3000, 6000, 9000])
        // Every month marked, those the other thread read too: 2020's five of 600 rows, 2021's
        // twelve of 250, 2022's July to September of 1000.
        let months: [[Int?]] = (1...5).map { [2020, $0] } + (1...12).map { [2021, $0] } + (7...9).map { [2022, $0] }
        #expect(onePass.marks?.months == months + [[nil, nil]])
        let starts: [Int] =
            (0..<5).map { $0 * 600 } + (0..<12).map { 3000 + $0 * 250 } + (0..<3).map { 6000 + $0 * 1000 }
        #expect(onePass.marks?.positions.map(\.rowsBefore) == starts + [9000])
        let marks = try #require(onePass.marks)
        for year in [2021, 2022] {
            let resumed = try #require(
                try ContentHash.compute(database, splittingFrom: 1000, resume: .init(fromYear: year, marks: marks)))
            #expect(resumed.hash == onePass.hash, "\(year)")
            #expect(resumed.marks == onePass.marks, "\(year)")
        }
    }

    /// A sales table whose `year` or `month` holds what a seek or an equality leaves out (NULL) or
    /// values of other types, or one without the key (snapshots from before `WITHOUT ROWID`): the
    /// hash is still that of one pass, and no marks are made from a row without an integer year.
    @Test(arguments: ["PRIMARY KEY (year, month, seller)", "UNIQUE (seller)"])
    func monthsThatDoNotAddUpFallBack(key: String) throws {
        let path = try database(
            "loose-months.sqlite",
            """
            CREATE TABLE ecommerce_sales(year, month, seller, \(key));
            WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < 3000)
            INSERT INTO ecommerce_sales
              SELECT 2020, CASE value % 6 WHEN 0 THEN NULL WHEN 1 THEN '3' WHEN 2 THEN 4.5 WHEN 3 THEN x'04'
                ELSE value % 12 END, 'a' || value FROM s
              UNION ALL SELECT CASE value % 4 WHEN 0 THEN 2021.0 WHEN 1 THEN '2021' ELSE 2021 END, value % 12,
                'b' || value FROM s;
            """)
        let database = try Database(path: path, mode: .readOnlyImmutable)
        defer { database.close() }
        let onePass = try #require(try ContentHash.compute(database, splittingFrom: nil))
        let split = try ContentHash.computeMarking(database, splitThreshold: 1000)
        #expect(split.hash == onePass.hash)
        #expect(split.marks == onePass.marks)
    }

    /// Marks made after other bytes than this hash's (a table before the sales table differs)
    /// are not gone on from: every row is read, and the hash is still that of every row.
    @Test func marksOfAnotherStartAreNotUsed() throws {
        let old = try salesDatabase("old.sqlite", years: [2022, 2023], perYear: 300)
        let marks = try marked(old, splitThreshold: nil).marks
        let renamed = try salesDatabase(
            "renamed.sqlite", years: [2022, 2023], perYear: 300, changed: [2023], district: "Gia Nghia")
        let full = try marked(renamed, splitThreshold: nil)
        let resumed = try marked(renamed, splitThreshold: nil, resume: ContentHash.Resume(fromYear: 2023, marks: marks))
        #expect(resumed.hash == full.hash)
        #expect(resumed.marks.rowsResumed == 0)
    }
}
