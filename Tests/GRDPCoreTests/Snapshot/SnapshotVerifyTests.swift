import Foundation
import Testing

@testable import GRDPCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite final class SnapshotVerifyTests {
    let root: URL
    let folder: URL
    let store: SnapshotStore

    init() throws {
        root = try SnapshotFixtures.temporaryFolder()
        folder = root.appendingPathComponent("snapshots", isDirectory: true)
        store = SnapshotStore(folder: folder)
        _ = try store.publish(SnapshotFixtures.content(), meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
    }

    deinit {
        SnapshotFixtures.remove(root)
    }

    private func patch(_ body: (inout [UInt8]) throws -> Void) throws {
        // Published files are read-only; a test that damages one makes it writable first.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: store.url(for: 1).path)
        var bytes = try [UInt8](Data(contentsOf: store.url(for: 1)))
        try body(&bytes)
        try Data(bytes).write(to: store.url(for: 1))
    }

    @Test func aGoodFilePassesEveryCheck() throws {
        #expect(try store.verify(version: 1) == [])
        let file = try store.open(version: 1)
        #expect(file.verify(expectedVersion: 1) == [])
        // The header carries the application id and the schema version (big-endian at 68 and 60).
        let bytes = try [UInt8](Data(contentsOf: store.url(for: 1)))
        #expect(Array(bytes[68..<72]) == Array("GRDP".utf8))
        #expect(Array(bytes[60..<64]) == [0, 0, 0, 1])
    }

    /// Snapshots published before `ecommerce_sales` was stored `WITHOUT ROWID` (an ordinary table,
    /// rows in insertion order) still verify, and hash the same: the content hash reads rows in
    /// canonical order whatever the storage.
    @Test func aSnapshotWithTheEarlierSalesTableLayoutVerifiesAndHashesAlike() throws {
        let hash = try store.open(version: 1).meta.contentSHA256
        let path = store.url(for: 1).path
        try SnapshotFixtures.storeSalesInTheEarlierLayout(path, insertedOrderedBy: "counted DESC, year DESC")
        do {
            let database = try Database(path: path, mode: .create)
            defer { database.close() }
            let sql = try database.rows("SELECT sql FROM sqlite_master WHERE name = 'ecommerce_sales'")
            #expect(sql.first.map { "\($0)" }?.contains("WITHOUT ROWID") == false)
        }
        #expect(try store.verify(version: 1) == [])
        #expect(try store.open(version: 1).contentSHA256() == hash)
        #expect(try store.open(version: 1).loadContent() == SnapshotFixtures.content())
    }

    /// Sales rows keep their year in 16 bits and month in 8: a file holding one beyond is
    /// refused as damaged, naming the table, column and value, not read into a row (which would
    /// trap).
    @Test func aSalesYearBeyondWhatARowHoldsIsRefused() throws {
        let path = store.url(for: 1).path
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        do {
            let database = try Database(path: path, mode: .create)
            defer { database.close() }
            try database.execute(
                "UPDATE ecommerce_sales SET year = 40000 WHERE year = (SELECT min(year) FROM ecommerce_sales)")
        }
        let error = try #require(throws: SnapshotError.self) { try self.store.open(version: 1).loadContent() }
        #expect(error.code == .damagedSnapshot, "\(error)")
        #expect(error.message.contains("ecommerce_sales.year holds integer(40000)"), "\(error.message)")
    }

    @Test func oneFlippedByteInARowValueFailsTheContentHash() throws {
        try patch { bytes in
            // The enterprise name "MARKERXYZ Coffee…" is stored once, in a table b-tree leaf page.
            let marker = Array("MARKERXYZ".utf8)
            let offsets = (0...(bytes.count - marker.count)).filter { Array(bytes[$0..<$0 + marker.count]) == marker }
            try #require(offsets.count == 1)
            bytes[offsets[0] + 3] ^= 0x01  // 'K' → 'J'
        }
        let failures = try store.verify(version: 1)
        #expect(failures.map(\.check).contains(.contentHash), "\(failures)")
        #expect(!failures.map(\.check).contains(.applicationID))
    }

    @Test func aWrongApplicationIDFails() throws {
        try patch { bytes in
            bytes[68..<72] = [0, 0, 0, 7]
        }
        let failures = try store.verify(version: 1)
        #expect(failures.map(\.check) == [.applicationID], "\(failures)")
    }

    @Test func aWrongSchemaVersionFails() throws {
        try patch { bytes in
            bytes[60..<64] = [0, 0, 0, 2]
        }
        let failures = try store.verify(version: 1)
        #expect(failures.map(\.check) == [.schemaVersion], "\(failures)")
    }

    @Test func theSameContentAndMetaGiveTheSameBytes() throws {
        let otherRoot = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(otherRoot) }
        let other = SnapshotStore(folder: otherRoot.appendingPathComponent("snapshots", isDirectory: true))
        _ = try other.publish(SnapshotFixtures.content(), meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        #expect(try Data(contentsOf: other.url(for: 1)) == Data(contentsOf: store.url(for: 1)))
    }

    @Test func aFileRenamedToAnotherVersionFailsTheMetaCheck() throws {
        try FileManager.default.copyItem(at: store.url(for: 1), to: store.url(for: 5))
        let failures = try store.verify(version: 5)
        #expect(failures.map(\.check) == [.meta], "\(failures)")
    }

    @Test func aFileThatIsNotASnapshotFailsToOpen() throws {
        try Data("not a database at all".utf8).write(to: store.url(for: 2))
        let failures = try store.verify(version: 2)
        #expect(failures.map(\.check) == [.open], "\(failures)")
        #expect(throws: SnapshotError.self) { try store.open(version: 2) }
    }

    @Test func aTruncatedFileFails() throws {
        try patch { bytes in
            bytes.removeLast(bytes.count / 2)
        }
        let failures = try store.verify(version: 1)
        #expect(!failures.isEmpty)
    }

    @Test func readingNeverModifiesTheFile() throws {
        let url = store.url(for: 1)
        let before = try Data(contentsOf: url)
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        let modified = attributes[.modificationDate] as? Date
        // Older than anything this test could write.
        let past = Date(timeIntervalSince1970: 1_600_000_000)
        try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: url.path)
        _ = modified

        do {
            let file = try store.open(version: 1)
            _ = try file.loadContent()
            #expect(file.verify() == [])
            _ = try file.contentSHA256()
        }
        #expect(try Data(contentsOf: url) == before)
        let after = try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date
        #expect(after == past)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["grdp-v0001.sqlite"])
    }

    @Test func publishedFilesAreReadOnlyAndOpenAsSuch() throws {
        let url = store.url(for: 1)
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(mode == 0o444)
        let file = try store.open(version: 1)
        #expect(try file.loadContent() == SnapshotFixtures.content())
    }
}
