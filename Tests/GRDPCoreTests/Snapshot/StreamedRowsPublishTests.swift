import Foundation
import Testing

@testable import GRDPCore

/// A table's rows given one at a time (`StreamedRows`, as a run gives its quarantined rows from
/// the archive cache) publish what the same rows held in memory do, in whatever order they come;
/// rows that cannot be read fail the publish, which then publishes nothing (CONTRACT §6: a
/// snapshot is whole or absent).
@Suite struct StreamedRowsPublishTests {
    /// The fixture's two quarantined rows and a third of an earlier line: out of the table's order
    /// after two rows in it.
    static let rows: [QuarantineRow] =
        SnapshotFixtures.content().quarantine + [
            QuarantineRow(
                archivePath: SnapshotFixtures.content().quarantine[0].archivePath, memberPath: "transactions.csv",
                line: 3, kind: "transaction", reason: "type-error", detail: "date '30/02/2024' is not a date",
                raw: "T3,30/02/2024,5,completed")
        ]

    static func streamed(_ rows: [QuarantineRow], failingAfter limit: Int? = nil) -> StreamedRows<QuarantineRow> {
        StreamedRows(count: rows.count) { body in
            for (index, row) in rows.enumerated() {
                if index == limit {
                    throw SnapshotError(code: .cacheChanged, message: "no longer reads as it did", path: "entry")
                }
                try body(row)
            }
        }
    }

    /// Publishes `content` into a fresh folder; its content hash, after `verify` found the file's
    /// rows give it.
    static func publishedHash(_ content: SnapshotContent) throws -> String {
        let root = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(root) }
        let store = SnapshotStore(folder: root.appendingPathComponent("snapshots"))
        guard
            case .published(let meta) = try store.publish(
                content, meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        else { throw SnapshotError(code: .invalidSnapshot, message: "not published", path: root.path) }
        #expect(try store.verify(version: 1) == [])
        #expect(try store.open(version: 1).loadContent().quarantine == rows.sorted { $0.line < $1.line })
        return meta.contentSHA256
    }

    @Test func rowsGivenOneAtATimePublishWhatTheSameRowsInMemoryDo() throws {
        var inMemory = SnapshotFixtures.content()
        inMemory.quarantine = Self.rows
        let expected = try Self.publishedHash(inMemory)
        // In the table's order (hashed as they come), and out of it (the hash goes back and sorts).
        for order in [Self.rows.sorted { $0.line < $1.line }, Self.rows] {
            var streamed = SnapshotFixtures.content()
            streamed.quarantine = []
            streamed.streamedQuarantine = Self.streamed(order)
            #expect(try Self.publishedHash(streamed) == expected)
        }
    }

    @Test func rowsThatCannotBeReadFailThePublishAndPublishNothing() throws {
        let root = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(root) }
        let folder = root.appendingPathComponent("snapshots")
        let store = SnapshotStore(folder: folder)
        _ = try store.publish(SnapshotFixtures.content(), meta: SnapshotFixtures.draft(), skipIfHashEquals: nil)
        let before = try Data(contentsOf: store.url(for: 1))
        for limit in [0, 2] {
            var content = SnapshotFixtures.content()
            content.quarantine = []
            content.streamedQuarantine = Self.streamed(Self.rows, failingAfter: limit)
            let error = #expect(throws: SnapshotError.self) {
                try store.publish(content, meta: SnapshotFixtures.draft(parent: 1), skipIfHashEquals: nil)
            }
            #expect(error?.code == .cacheChanged)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["grdp-v0001.sqlite"])
            #expect(try Data(contentsOf: store.url(for: 1)) == before)
        }
    }
}
