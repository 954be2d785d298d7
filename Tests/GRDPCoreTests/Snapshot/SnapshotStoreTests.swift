import Foundation
import Testing

@testable import GRDPCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite final class SnapshotStoreTests {
    let root: URL
    let folder: URL
    let store: SnapshotStore

    init() throws {
        root = try SnapshotFixtures.temporaryFolder()
        folder = root.appendingPathComponent("snapshots", isDirectory: true)
        store = SnapshotStore(folder: folder)
    }

    deinit {
        SnapshotFixtures.remove(root)
    }

    private func publishedMeta(_ outcome: PublishOutcome) throws -> SnapshotMeta {
        guard case .published(let meta) = outcome else {
            Issue.record("expected a published snapshot, got \(outcome)")
            throw CancellationError()
        }
        return meta
    }

    private func folderNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    /// A published file that opens but whose tables no longer read (a table dropped by hand) is a
    /// damaged snapshot for every reader (`export`, `diff`, `snapshots`, `run --year`: exit 65),
    /// as one that does not open is.
    @Test func aPublishedFileWhoseTableDoesNotReadIsDamaged() throws {
        _ = try publishedMeta(
            store.publish(SnapshotFixtures.content(), meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
        let path = store.url(for: 1).path
        chmod(path, 0o644)
        let database = try Database(path: path, mode: .create)
        try database.execute("DROP TABLE indicator")
        database.close()
        let file = try store.open(version: 1)
        for read in [{ _ = try file.loadIndicators() }, { _ = try file.loadContent(includingRecords: false) }] {
            do {
                try read()
                Issue.record("a dropped table read back")
            } catch let error as SnapshotError {
                #expect(error.code == .damagedSnapshot)
                #expect(error.message.contains("v0001"), "\(error)")
                #expect(ExitCodes.code(for: error) == 65)
            }
        }
    }

    @Test func publishOpenAndLoadRoundTripsExactly() throws {
        let content = SnapshotFixtures.content()
        let meta = try publishedMeta(store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
        #expect(meta.version == 1)
        #expect(meta.contentSHA256.count == 64)
        #expect(try folderNames() == ["grdp-v0001.sqlite"])

        let file = try store.open(version: 1)
        #expect(file.meta == meta)
        let loaded = try file.loadContent()
        #expect(loaded == content)
        // Exactness: 18 integer digits and 9 decimals survive as TEXT.
        #expect(loaded.enterprises[1].valueAddedMVND.description == "123456789012345678.123456789")
        // Missing figures come back missing.
        #expect(loaded.indicators[2].grdpBVND == nil)
        #expect(loaded.indicators[2].sharePct == nil)
        #expect(loaded.sourceArchives[1].reason == "corrupt-archive")
        #expect(loaded.sourceArchives[0].reason == nil)
        #expect(try file.contentSHA256() == meta.contentSHA256)
        #expect(try file.loadIndicators() == content.indicators)
    }

    /// Large tables go in 64-row INSERTs, then row by row, and large snapshots get 64 KiB pages:
    /// every row still comes back, exactly, and the file verifies.
    @Test(arguments: [63, 64, 130, 50_001]) func batchedInsertsKeepEveryRow(_ count: Int) throws {
        var content = SnapshotFixtures.content()
        content.ecommerceSales = (0..<count).map { index in
            EcommerceSalesRow(
                year: 2023, month: 1 + index % 12, channel: "marketplace", sellerTaxCode: String(100_000 + index),
                sellerDistrictCode: index % 3 == 0 ? "" : "66\(index % 8)", transactions: index + 1,
                netVND: ExactDecimal(mantissa: Int128(index) * 1_000 + 5, scale: index % 4),
                vaVND: ExactDecimal(mantissa: Int128(index), scale: 1), counted: index % 2 == 0)
        }
        content.ecommerceSales.sort { ($0.month, $0.sellerTaxCode) < ($1.month, $1.sellerTaxCode) }
        for index in content.ecommerceSales.indices {
            content.ecommerceSales[index].netVND = content.ecommerceSales[index].netVND.reduced
            content.ecommerceSales[index].vaVND = content.ecommerceSales[index].vaVND.reduced
        }
        let meta = try publishedMeta(store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
        let file = try store.open(version: meta.version)
        #expect(try file.loadContent() == content)
        #expect(file.verify(expectedVersion: meta.version).isEmpty)
    }

    @Test func metaIsStoredWithEveryKey() throws {
        let meta = try publishedMeta(
            store.publish(SnapshotFixtures.content(), meta: SnapshotFixtures.draft(parent: 41), skipIfHashEquals: nil))
        let reopened = try store.open(version: meta.version).meta
        #expect(reopened.parentVersion == 41)
        #expect(reopened.createdAt == "2025-01-02T03:04:05.678901Z")
        #expect(reopened.toolVersion == "0.1.0-test")
        #expect(reopened.command == "grdp run")
        #expect(reopened.configSHA256 == String(repeating: "0f", count: 32))
    }

    @Test func hashDoesNotDependOnInsertionOrder() throws {
        let content = SnapshotFixtures.content()
        var shuffled = content
        shuffled.sourceArchives.reverse()
        shuffled.sourceMembers.reverse()
        shuffled.enterprises.reverse()
        shuffled.ecommerceSales.reverse()
        shuffled.grdp.reverse()
        shuffled.indicators.reverse()
        shuffled.districtIndicators.reverse()
        shuffled.quarantine.reverse()
        shuffled.targetPoints.reverse()
        shuffled.districts.reverse()
        // The same amounts written with other trailing zeros are the same content.
        shuffled.ecommerceSales[0].vaVND = SnapshotFixtures.decimal("60000.000")

        let first = try publishedMeta(store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
        let second = try publishedMeta(
            store.publish(
                shuffled,
                meta: SnapshotMetaDraft(
                    createdAt: "2030-12-31T23:59:59Z", toolVersion: "9.9", configSHA256: "other", parentVersion: 1,
                    command: "grdp run --force"),
                skipIfHashEquals: nil))
        #expect(first.contentSHA256 == second.contentSHA256)
        #expect(second.version == 2)
        // Reloaded in key order whatever the insertion order.
        #expect(try store.open(version: 2).loadContent() == content)
    }

    @Test(arguments: 0..<4) func hashChangesWhenOneValueChanges(_ change: Int) throws {
        let content = SnapshotFixtures.content()
        var changed = content
        switch change {
        case 0: changed.enterprises[0].valueAddedMVND = SnapshotFixtures.decimal("1500.51")
        case 1: changed.indicators[1].sharePct = SnapshotFixtures.decimal("20.0006")
        case 2: changed.quarantine[0].raw += " "
        default: changed.districts[0].name = "Gia Nghia"
        }
        let first = try publishedMeta(store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
        let outcome = try store.publish(changed, meta: SnapshotFixtures.draft(), skipIfHashEquals: first.contentSHA256)
        let second = try publishedMeta(outcome)
        #expect(first.contentSHA256 != second.contentSHA256)
    }

    @Test func emptyContentHasAStableHash() throws {
        let first = try publishedMeta(
            store.publish(SnapshotContent(), meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
        let again = try store.publish(SnapshotContent(), meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        #expect(try publishedMeta(again).contentSHA256 == first.contentSHA256)
        #expect(try store.open(version: 1).loadContent() == SnapshotContent())
    }

    @Test func upToDateWhenTheHashIsEqual() throws {
        let content = SnapshotFixtures.content()
        let first = try publishedMeta(store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
        let before = try Data(contentsOf: store.url(for: 1))
        let outcome = try store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: first.contentSHA256)
        #expect(outcome == .upToDate(contentSHA256: first.contentSHA256))
        // Nothing written, no number used, no temporary left behind.
        #expect(try folderNames() == ["grdp-v0001.sqlite"])
        #expect(try Data(contentsOf: store.url(for: 1)) == before)
        let next = try publishedMeta(store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: "x"))
        #expect(next.version == 2)
    }

    @Test func versionsAreNumberedAndNeverReusedAfterRemovingAnOldOne() throws {
        #expect(try store.versions() == [])
        #expect(try store.latestVersion() == nil)
        var content = SnapshotFixtures.content()
        for expected in 1...2 {
            content.districts[0].name = "v\(expected)"
            let meta = try publishedMeta(store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
            #expect(meta.version == expected)
        }
        #expect(try folderNames() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
        try FileManager.default.removeItem(at: store.url(for: 1))
        let third = try publishedMeta(store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
        #expect(third.version == 3)
        #expect(try store.versions() == [2, 3])
        #expect(try store.latestVersion() == 3)
        #expect(store.url(for: 3).lastPathComponent == "grdp-v0003.sqlite")
        #expect(store.url(for: 12345).lastPathComponent == "grdp-v12345.sqlite")
    }

    @Test func pruneKeepsTheNewestVersions() throws {
        var content = SnapshotFixtures.content()
        for index in 1...4 {
            content.districts[0].name = "v\(index)"
            _ = try store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        }
        #expect(try store.prune(keeping: 0) == [])
        #expect(try store.prune(keeping: 2) == [1, 2])
        #expect(try store.versions() == [3, 4])
        #expect(try store.prune(keeping: 2) == [])
        let next = try publishedMeta(store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: "x"))
        #expect(next.version == 5)
    }

    @Test func aFolderWithSpacesAndReservedCharactersWorks() throws {
        let odd = SnapshotStore(folder: root.appendingPathComponent("Đắk Nông ?#% snapshots", isDirectory: true))
        let meta = try publishedMeta(
            odd.publish(SnapshotFixtures.content(), meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
        #expect(try odd.open(version: meta.version).loadContent() == SnapshotFixtures.content())
        #expect(try odd.verify(version: meta.version) == [])
    }

    @Test func fileNamesParseStrictly() {
        #expect(SnapshotStore.version(fromFileName: "grdp-v0001.sqlite") == 1)
        #expect(SnapshotStore.version(fromFileName: "grdp-v0042.sqlite") == 42)
        #expect(SnapshotStore.version(fromFileName: "grdp-v12345.sqlite") == 12345)
        #expect(SnapshotStore.version(fromFileName: "grdp-v1.sqlite") == nil)
        #expect(SnapshotStore.version(fromFileName: "grdp-v0000.sqlite") == nil)
        #expect(SnapshotStore.version(fromFileName: "grdp-v00001.sqlite") == nil)
        #expect(SnapshotStore.version(fromFileName: "grdp-v+001.sqlite") == nil)
        #expect(SnapshotStore.version(fromFileName: "grdp-v0001.sqlite-journal") == nil)
        #expect(SnapshotStore.version(fromFileName: ".grdp-0001.tmp") == nil)
    }

    @Test func leftoverTemporariesAreRemoved() throws {
        _ = try store.publish(SnapshotFixtures.content(), meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        for name in [".grdp-0123456789abcdef.tmp", ".grdp-0123456789abcdef.tmp-journal", ".grdp-x.tmp", "notes.txt"] {
            try Data("partial".utf8).write(to: folder.appendingPathComponent(name))
        }
        let removed = try store.removeLeftoverTemporaries()
        #expect(removed == [".grdp-0123456789abcdef.tmp", ".grdp-0123456789abcdef.tmp-journal", ".grdp-x.tmp"])
        #expect(try folderNames() == ["grdp-v0001.sqlite", "notes.txt"])
        #expect(try store.removeLeftoverTemporaries() == [])
        // A missing folder has nothing to remove and no versions.
        let missing = SnapshotStore(folder: folder.appendingPathComponent("absent"))
        #expect(try missing.removeLeftoverTemporaries() == [])
        #expect(try missing.versions() == [])
    }

    @Test func openingAMissingVersionIsAMissingSnapshotError() throws {
        _ = try store.publish(SnapshotFixtures.content(), meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        let error = #expect(throws: SnapshotError.self) { try store.open(version: 2) }
        #expect(error?.code == .missingSnapshot)
        #expect(error?.path.hasSuffix("grdp-v0002.sqlite") == true)
        let verifyError = #expect(throws: SnapshotError.self) { try store.verify(version: 9) }
        #expect(verifyError?.code == .missingSnapshot)
    }

    @Test func unroundedFiguresAreRefusedAndLeaveNothingBehind() throws {
        var content = SnapshotFixtures.content()
        content.indicators[0].sharePct = SnapshotFixtures.decimal("0.004321")
        let error = #expect(throws: SnapshotError.self) {
            try store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        }
        #expect(error?.code == .unrepresentableValue)
        #expect(error?.message.contains("share_pct") == true)
        #expect(try folderNames() == [])
    }

    @Test func duplicateKeysAreRefused() throws {
        var content = SnapshotFixtures.content()
        content.indicators.append(content.indicators[0])
        #expect(throws: SnapshotError.self) {
            try store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        }
        #expect(try folderNames() == [])
    }

    @Test func largeContentRoundTrips() throws {
        var content = SnapshotFixtures.content()
        for line in 100..<5100 {
            content.quarantine.append(
                QuarantineRow(
                    archivePath: SnapshotFixtures.archive, memberPath: "transactions.csv", line: line,
                    kind: "transaction", reason: "type-error", detail: "row \(line)",
                    raw: String(repeating: "x", count: line % 300)))
        }
        let meta = try publishedMeta(store.publish(content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil))
        let loaded = try store.open(version: meta.version).loadContent()
        #expect(loaded.quarantine.count == content.quarantine.count)
        #expect(try store.verify(version: meta.version) == [])
    }
}
