import Foundation

@testable import GRDPCore

/// A small, hand-built snapshot content used by the Snapshot and Export tests.
///
/// Rows are listed in key order (the order `loadContent` returns them in), so that a published
/// and reloaded content compares equal as a whole.
enum SnapshotFixtures {
    static func decimal(_ text: String) -> ExactDecimal {
        guard let value = ExactDecimal(canonical: text) else { fatalError("bad decimal \(text)") }
        return value
    }

    static let archive = "2024-03-01_giaphat.zip"

    static func content() -> SnapshotContent {
        var content = SnapshotContent()
        content.sourceArchives = [
            SourceArchiveRow(
                path: archive, sha256: String(repeating: "ab", count: 32), bytes: 1234, status: "accepted", reason: nil),
            SourceArchiveRow(
                path: "2024-04-01_broken.tar.gz", sha256: String(repeating: "cd", count: 32), bytes: 99,
                status: "rejected", reason: "corrupt-archive"),
        ].sorted { $0.path < $1.path }
        content.sourceMembers = [
            SourceMemberRow(
                archivePath: archive, memberPath: "enterprise.csv", kind: "enterprise", rowsRead: 3, rowsAccepted: 3,
                rowsQuarantined: 0, rowsSuperseded: 0, rowsExcluded: 0),
            SourceMemberRow(
                archivePath: archive, memberPath: "grdp.csv", kind: "grdp", rowsRead: 2, rowsAccepted: 2,
                rowsQuarantined: 0, rowsSuperseded: 0, rowsExcluded: 0),
            SourceMemberRow(
                archivePath: archive, memberPath: "transactions.csv", kind: "transaction", rowsRead: 5,
                rowsAccepted: 3, rowsQuarantined: 2, rowsSuperseded: 1, rowsExcluded: 0),
        ]
        content.enterprises = [
            EnterpriseRow(
                taxCode: "0100109106", year: 2023, name: "Công ty Gia Phát", vsic: "62010", section: "J",
                districtCode: "660", valueAddedMVND: decimal("1500.5"), isCore: true,
                source: SourceLocation(archivePath: archive, memberPath: "enterprise.csv", line: 2)),
            EnterpriseRow(
                taxCode: "0100109106", year: 2024, name: "Công ty Gia Phát", vsic: "62010", section: "J",
                districtCode: "660", valueAddedMVND: decimal("123456789012345678.123456789"), isCore: true,
                source: SourceLocation(archivePath: archive, memberPath: "enterprise.csv", line: 3)),
            EnterpriseRow(
                taxCode: "0101234567-001", year: 2024, name: "MARKERXYZ Coffee, \"Đắk Glong\"", vsic: "10790",
                section: "C", districtCode: "661", valueAddedMVND: decimal("-20.25"), isCore: false,
                source: SourceLocation(archivePath: archive, memberPath: "enterprise.csv", line: 4)),
        ]
        content.ecommerceSales = [
            EcommerceSalesRow(
                year: 2024, month: 1, channel: "marketplace", sellerTaxCode: "", sellerDistrictCode: "unknown",
                transactions: 2, netVND: decimal("1000000"), vaVND: decimal("80000.00"), counted: true),
            EcommerceSalesRow(
                year: 2024, month: 1, channel: "website", sellerTaxCode: "0101234567-001", sellerDistrictCode: "661",
                transactions: 1, netVND: decimal("500000"), vaVND: decimal("60000"), counted: false),
        ]
        content.grdp = [
            GRDPRow(
                year: 2023, grdpBVND: decimal("34567.8"),
                source: SourceLocation(archivePath: archive, memberPath: "grdp.csv", line: 2)),
            GRDPRow(
                year: 2024, grdpBVND: decimal("37000"),
                source: SourceLocation(archivePath: archive, memberPath: "grdp.csv", line: 3)),
        ]
        content.indicators = [
            IndicatorRow(
                year: 2023, grdpBVND: decimal("34567.800"), coreBVND: decimal("1.501"), ecommerceBVND: decimal("0"),
                digitisedBVND: decimal("0.000"), deBVND: decimal("1.501"), sharePct: decimal("0.0043"),
                targetPct: decimal("12.6560"), targetKind: .interpolated, gapPp: decimal("-12.6517"),
                status: .behind),
            IndicatorRow(
                year: 2024, grdpBVND: decimal("37000.000"), coreBVND: decimal("7400.125"),
                ecommerceBVND: decimal("0.080"), digitisedBVND: decimal("0.000"), deBVND: decimal("7400.205"),
                sharePct: decimal("20.0005"), targetPct: decimal("16.3280"), targetKind: .interpolated,
                gapPp: decimal("3.6725"), status: .met),
            IndicatorRow(
                year: 2025, grdpBVND: nil, coreBVND: decimal("12.5"), ecommerceBVND: decimal("0"),
                digitisedBVND: decimal("0.3"), deBVND: decimal("12.8"), sharePct: nil, targetPct: decimal("20"),
                targetKind: .explicit, gapPp: nil, status: .noGRDP),
        ]
        content.districtIndicators = [
            DistrictIndicatorRow(
                year: 2023, districtCode: "660", coreBVND: decimal("1.501"), ecommerceBVND: decimal("0"),
                digitisedBVND: decimal("0"), deBVND: decimal("1.501")),
            DistrictIndicatorRow(
                year: 2024, districtCode: "660", coreBVND: decimal("7400.125"), ecommerceBVND: decimal("0"),
                digitisedBVND: decimal("0"), deBVND: decimal("7400.125")),
            DistrictIndicatorRow(
                year: 2024, districtCode: "661", coreBVND: decimal("0"), ecommerceBVND: decimal("0"),
                digitisedBVND: decimal("0"), deBVND: decimal("0")),
            DistrictIndicatorRow(
                year: 2024, districtCode: "unknown", coreBVND: decimal("0"), ecommerceBVND: decimal("0.080"),
                digitisedBVND: decimal("0"), deBVND: decimal("0.080")),
        ]
        content.quarantine = [
            QuarantineRow(
                archivePath: archive, memberPath: "transactions.csv", line: 7, kind: "transaction",
                reason: "type-error", detail: "amount '1.234,5.6' is not a number", raw: "T7,2024-01-05,\"1.234,5.6\""),
            QuarantineRow(
                archivePath: archive, memberPath: "transactions.csv", line: 12, kind: "transaction",
                reason: "unknown-status", detail: "status \"lost\" is unknown", raw: "T12,2024-01-09,5,lost"),
        ]
        content.targetPoints = [
            TargetPointRow(year: 2020, sharePct: decimal("1.64"), source: "2020 baseline (Resolution 09/NQ-TU)"),
            TargetPointRow(year: 2025, sharePct: decimal("20.0"), source: "Decision 411/QĐ-TTg"),
            TargetPointRow(year: 2030, sharePct: decimal("30"), source: "Decision 411/QĐ-TTg"),
        ]
        content.districts = [
            DistrictRow(code: "660", name: "Gia Nghĩa"),
            DistrictRow(code: "661", name: "Đắk Glong, huyện"),
        ]
        return content
    }

    /// A new file at `path` with the snapshot's tables holding `content`'s rows, as a publish
    /// inserts them (without `snapshot_meta`'s rows).
    static func writeTables(_ content: SnapshotContent, to path: String) throws {
        let database = try Database(path: path, mode: .create)
        defer { database.close() }
        try database.execute("BEGIN")
        for table in SnapshotSchema.allTables { try database.execute(table.createSQL) }
        try content.insert(into: database)
        try database.execute("COMMIT")
    }

    /// The store of `folder`'s `snapshots` folder. (A store writes its `.snapshot-sequence` beside
    /// its folder: in `folder`, not in the system's temporary folder, which every test shares.)
    static func store(in folder: URL) -> SnapshotStore {
        SnapshotStore(folder: folder.appendingPathComponent("snapshots", isDirectory: true))
    }

    /// `content` published as a new snapshot in `store(in: folder)`, and opened.
    static func publishedFile(_ content: SnapshotContent, in folder: URL) throws -> SnapshotFile {
        struct NotPublished: Error {}
        let store = store(in: folder)
        guard case .published(let meta) = try store.publish(content, meta: draft(), skipIfHashEquals: nil) else {
            throw NotPublished()
        }
        return try store.open(version: meta.version)
    }

    static func draft(parent: Int? = nil) -> SnapshotMetaDraft {
        SnapshotMetaDraft(
            createdAt: "2025-01-02T03:04:05.678901Z", toolVersion: "0.1.0-test",
            configSHA256: String(repeating: "0f", count: 32), parentVersion: parent, command: "grdp run")
    }

    static func meta(version: Int = 7) -> SnapshotMeta {
        SnapshotMeta(
            version: version, createdAt: "2025-01-02T03:04:05.678901Z", toolVersion: "0.1.0-test",
            configSHA256: String(repeating: "0f", count: 32), contentSHA256: String(repeating: "e3", count: 32),
            parentVersion: nil, command: "grdp run")
    }

    /// Rewrites the published snapshot at `path` (made writable) with `ecommerce_sales` as an
    /// ordinary rowid table holding the same rows, inserted `ORDER BY order`: the layout of
    /// snapshots published before the table was stored `WITHOUT ROWID`.
    static func storeSalesInTheEarlierLayout(_ path: String, insertedOrderedBy order: String) throws {
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let database = try Database(path: path, mode: .create)
        defer { database.close() }
        // Created by the statement grdp ran then (a table renamed into place would carry SQLite's
        // rewritten statement instead).
        try database.execute(
            "ALTER TABLE ecommerce_sales RENAME TO sales_by_key;" + SnapshotSchema.earlierSalesTable.createSQL + ";"
                + "INSERT INTO ecommerce_sales SELECT * FROM sales_by_key ORDER BY \(order);"
                + "DROP TABLE sales_by_key; VACUUM;")
    }

    /// Removes a folder made by `temporaryFolder()`, read-only files and all.
    static func remove(_ folder: URL) {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A fresh, empty folder under the system temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("grdp-tests-" + UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

extension ContentHash.Marks {
    /// The positions at each year's first row, then the end (the marks' positions are at each
    /// month's first row).
    var yearStarts: [Position] {
        positions.enumerated().filter { index, position in index == 0 || position.year != positions[index - 1].year }
            .map(\.element)
    }

    /// Each position's year and month, the end's as nil and nil.
    var months: [[Int?]] { positions.map { [$0.year, $0.month] } }
}
