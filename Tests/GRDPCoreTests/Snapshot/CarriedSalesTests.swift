import Foundation
import Synchronization
import Testing

@testable import GRDPCore

/// `run --year` copies the other years' `ecommerce_sales` rows from the latest snapshot file into
/// the new one (`CarriedSales`): it starts from a copy of that file when it has this build's
/// schema, and copies the rows one by one otherwise. The result must be the snapshot a full write of the merged rows
/// gives: the same rows, the same content hash, and `verify` passing — also when the latest
/// snapshot stores the table in the earlier layout (an ordinary rowid table).
@Suite struct CarriedSalesTests {
    /// The suite's folder (`TemporaryFolder`, removed with the suite).
    let folder: TemporaryFolder
    var root: URL { folder.url }

    init() throws {
        folder = try TemporaryFolder()
    }

    /// 30 sellers' rows in each of `years`, with `transactions` each.
    private static func sales(years: [Int], transactions: Int) -> [EcommerceSalesRow] {
        let template = SnapshotFixtures.content().ecommerceSales[0]
        return years.flatMap { year in
            (0..<30).map { seller in
                var row = template
                row.year = year
                row.month = 1 + seller % 12
                row.sellerTaxCode = String(4_000_000_000 + seller)
                row.transactions = transactions
                return row
            }
        }
    }

    private func store(_ name: String) -> SnapshotStore {
        SnapshotStore(folder: root.appendingPathComponent(name, isDirectory: true))
    }

    private func published(_ outcome: PublishOutcome) throws -> SnapshotMeta {
        guard case .published(let meta) = outcome else { throw CancellationError() }
        return meta
    }

    /// - Parameter startingEarly: the copy of the latest file is started before the publish (as a
    ///   run starts it before Compute) and handed to it.
    private func checkCarry(from latest: SnapshotStore, startingEarly: Bool = false) throws {
        var fresh = SnapshotFixtures.content()
        fresh.ecommerceSales = Self.sales(years: [2023], transactions: 9)
        // The other tables come whole from the fresh content: a changed row replaces the old one.
        try #require(!fresh.enterprises.isEmpty)
        fresh.enterprises[0].name += " (revised)"
        let file = try latest.open(version: 1)
        let carried = CarriedSales(from: file.url, exceptYears: [2023])
        #expect(try file.salesRowCount(exceptYears: carried.exceptYears) == 60)
        let started = startingEarly ? try latest.startCopy(of: file.url) : nil
        // Only a file of this build's schema is copied.
        #expect((started != nil) == (startingEarly && SnapshotStore.hasCurrentSchema(file.url)))
        let meta = try published(
            try latest.publishMarking(
                fresh, meta: SnapshotFixtures.draft(parent: 1), skipIfHashEquals: nil, carrying: carried,
                startedCopy: started
            ).outcome)
        // The copy became the new snapshot: no temporary is left.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: latest.folder.path).sorted() == [
                "grdp-v0001.sqlite", "grdp-v0002.sqlite",
            ])

        // What a full write of the merged rows gives.
        var merged = fresh
        merged.ecommerceSales =
            Self.sales(years: [2022], transactions: 1) + fresh.ecommerceSales
            + Self.sales(years: [2024], transactions: 1)
        let reference = store("reference")
        let expected = try published(
            try reference.publish(merged, meta: SnapshotFixtures.draft(parent: 1), skipIfHashEquals: nil))

        #expect(meta.contentSHA256 == expected.contentSHA256)
        #expect(
            try latest.open(version: meta.version).loadContent()
                == reference.open(version: expected.version).loadContent())
        #expect(try latest.verify(version: meta.version) == [])
        // The snapshot carried from is untouched.
        #expect(try latest.verify(version: 1) == [])
        #expect(try latest.open(version: 1).loadContent().ecommerceSales.filter { $0.year == 2023 }.count == 30)
    }

    private func firstSnapshot(_ store: SnapshotStore) throws {
        var content = SnapshotFixtures.content()
        content.ecommerceSales = Self.sales(years: [2022, 2023, 2024], transactions: 1)
        _ = try published(try store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
    }

    @Test func theOtherYearsRowsAreCopiedAsAFullWriteWouldStoreThem() throws {
        let latest = store("latest")
        try firstSnapshot(latest)
        // This build's own snapshot: the new one starts from a copy of it.
        #expect(SnapshotStore.hasCurrentSchema(latest.url(for: 1)))
        try checkCarry(from: latest)
    }

    @Test func aCopyStartedBeforeThePublishGivesTheSameSnapshot() throws {
        let latest = store("early")
        try firstSnapshot(latest)
        try checkCarry(from: latest, startingEarly: true)
    }

    @Test func aStartedCopyThatNoPublishTakesLeavesNothing() throws {
        let latest = store("untaken")
        try firstSnapshot(latest)
        let names = ["grdp-v0001.sqlite"]
        // Discarded by the run (Compute failed, say).
        let discarded = try #require(try latest.startCopy(of: latest.url(for: 1)))
        discarded.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: latest.folder.path) == names)
        // Given to a publish that carries nothing: it writes every row itself, and drops the copy.
        let unused = try #require(try latest.startCopy(of: latest.url(for: 1)))
        var content = SnapshotFixtures.content()
        content.ecommerceSales = Self.sales(years: [2024], transactions: 2)
        let meta = try published(
            try latest.publishMarking(
                content, meta: SnapshotFixtures.draft(parent: 1), skipIfHashEquals: nil, startedCopy: unused
            ).outcome)
        let reference = try published(
            try store("untaken-reference").publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
        #expect(meta.contentSHA256 == reference.contentSHA256)
        #expect(try latest.open(version: 2).loadContent().ecommerceSales.count == 30)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: latest.folder.path).sorted() == names + [
                "grdp-v0002.sqlite"
            ])
    }

    /// Rows for the diff are handed over once, before a publish takes the copy: refused, the
    /// caller is told, so that what the rows would have waited for is waited for by the caller.
    @Test func aStartedCopyTakesRowsForTheDiffOnceAndOnlyBeforeAPublish() throws {
        let latest = store("hand-over")
        try firstSnapshot(latest)
        let made = Mutex(0)
        let rows: @Sendable () -> SalesRowsUpdate.FileRows? = {
            made.withLock { $0 += 1 }
            return nil
        }
        let readAhead = OnAnotherThread<SalesRowsUpdate.FileRows?> { nil }
        let withRows = try #require(try latest.startCopy(of: latest.url(for: 1), readAhead: readAhead))
        #expect(!withRows.handOver(making: rows))
        withRows.discard()
        let copy = try #require(try latest.startCopy(of: latest.url(for: 1)))
        #expect(copy.handOver(making: rows))
        #expect(!copy.handOver(making: rows))
        _ = copy.takeReadAhead()?.wait()
        copy.discard()
        let taken = try #require(try latest.startCopy(of: latest.url(for: 1)))
        let path = taken.take()
        #expect(!taken.handOver(making: rows))
        taken.discard()
        FileSystem.removeFile(path)
        #expect(made.withLock { $0 } == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: latest.folder.path) == ["grdp-v0001.sqlite"])
    }

    @Test func aStartedCopyThatFailsSaysWhichFileAndWhy() throws {
        let latest = store("failing")
        try firstSnapshot(latest)
        let missing = root.appendingPathComponent("gone.sqlite")
        let temporary = latest.folder.path + "/" + FileSystem.temporaryName()
        let copy = try SnapshotStore.StartedCopy(source: missing, temporaryPath: temporary)
        let error = try #require(throws: OutputWriteError.self) { try copy.finish() }
        #expect(error.path == missing.path)
        #expect(error.errno == ENOENT)
        copy.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: latest.folder.path) == ["grdp-v0001.sqlite"])
    }

    /// A store whose first snapshot keeps its sales rows in the earlier layout (a rowid table).
    private func earlierLayoutSnapshot(_ name: String) throws -> SnapshotStore {
        let latest = store(name)
        try firstSnapshot(latest)
        let path = latest.url(for: 1).path
        try SnapshotFixtures.storeSalesInTheEarlierLayout(path, insertedOrderedBy: "year DESC, counted")
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        return latest
    }

    @Test(arguments: [false, true]) func fromASnapshotWithTheEarlierSalesLayout(startingEarly: Bool) throws {
        let latest = try earlierLayoutSnapshot(startingEarly ? "earlier-early" : "earlier")
        // Another layout: its rows are carried one by one into a file of this build's schema, and
        // no copy is started.
        #expect(!SnapshotStore.hasCurrentSchema(latest.url(for: 1)))
        try checkCarry(from: latest, startingEarly: startingEarly)
    }
}
