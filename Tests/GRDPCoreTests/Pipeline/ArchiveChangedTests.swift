import Foundation
import Testing

@testable import GRDPCore

/// A run hashes every archive first and reads some of them later. An archive replaced in between —
/// renamed over (rsync, scp) or rewritten in place (cp) — must not be read under the digest of the
/// file it replaced: that published the new rows under the old file's SHA-256, size and sidecar
/// check, and kept them in the archive cache under that digest, so that putting the old file back
/// gave the wrong figures again (found by an audit, with strace delaying the read).
@Suite struct ArchiveChangedTests {
    static func entries(amount: Int) -> [ArchiveWriter.Entry] {
        [
            .init(path: "grdp.csv", text: "year,grdp\n2023,51000\n"),
            .init(
                path: "transactions.csv",
                text: "transaction_id,date,amount,status,channel,seller_tax_code\n"
                    + "MP-000123,2023-06-01,\(amount),completed,Shopee,0101243150\n"),
        ]
    }

    let folder: TemporaryFolder
    let returns: URL
    let archive: URL

    init() throws {
        folder = try TemporaryFolder()
        returns = folder.url.appendingPathComponent("returns")
        try FileManager.default.createDirectory(at: returns, withIntermediateDirectories: true)
        archive = returns.appendingPathComponent("2024-01-10_returns.tar.gz")
        try ArchiveWriter.write(Self.entries(amount: 100_000), format: .tarGzip, to: archive)
    }

    /// The scan's digest of the archive as it is now, then `change`, then the read.
    private func readAfter(_ change: () throws -> Void) throws -> ArchiveOutcome {
        let config = try ConfigLoader.parse(
            yaml: ArchiveCacheTests.yaml, fileURL: folder.url.appendingPathComponent("pipeline.yml"))
        let candidate = try #require(try ReturnsScanner.scan(folder: returns, exclude: []).archives.first)
        let digest = try FileDigest.sha256(of: candidate.location)
        #expect(digest.stamp != nil)
        try change()
        return Ingest.read(
            candidate, digest: digest, config: config, classifier: MemberClassifier(kinds: config.inputs.kinds),
            limits: UnpackLimits(
                maxMemberBytes: config.limits.maxMemberBytes, maxCompressionRatio: config.limits.maxCompressionRatio))
    }

    private func expectNotTaken(_ outcome: ArchiveOutcome) {
        #expect(outcome.status == .rejected)
        #expect(outcome.rejection?.reason == .corruptArchive)
        #expect(outcome.rejection?.detail.contains("changed after this run hashed it") == true)
        #expect(outcome.members.isEmpty)
    }

    @Test func anArchiveLeftAloneIsRead() throws {
        let outcome = try readAfter {}
        #expect(outcome.status == .accepted, "\(String(describing: outcome.rejection))")
        #expect(outcome.members.count == 2)
    }

    @Test func anArchiveRenamedOverAfterItsHashIsNotTaken() throws {
        expectNotTaken(
            try readAfter {
                let delivered = folder.url.appendingPathComponent("delivery.tmp")
                try ArchiveWriter.write(Self.entries(amount: 999_000), format: .tarGzip, to: delivered)
                #expect(rename(delivered.path, archive.path) == 0)
            })
    }

    @Test func anArchiveRewrittenInPlaceAfterItsHashIsNotTaken() throws {
        expectNotTaken(
            try readAfter {
                let scratch = folder.url.appendingPathComponent("new.tar.gz")
                try ArchiveWriter.write(Self.entries(amount: 999_000), format: .tarGzip, to: scratch)
                // The same inode, written over (as cp does), with the old modification time put back
                // (as cp -p or rsync --inplace would): the status-change time still moves.
                let old = try FileManager.default.attributesOfItem(atPath: archive.path)[.modificationDate]
                let handle = try FileHandle(forWritingTo: archive)
                try handle.truncate(atOffset: 0)
                try handle.write(contentsOf: try Data(contentsOf: scratch))
                try handle.close()
                try FileManager.default.setAttributes([.modificationDate: old as Any], ofItemAtPath: archive.path)
            })
    }

    /// The stamp says which file was hashed, not what it holds: two digests of the same bytes are
    /// equal whatever their stamps (the archive cache and the run fingerprint compare digests).
    @Test func digestsOfTheSameBytesAreEqualWhateverTheFile() throws {
        let copy = folder.url.appendingPathComponent("copy.tar.gz")
        try FileManager.default.copyItem(at: archive, to: copy)
        let a = try FileDigest.sha256(of: archive)
        let b = try FileDigest.sha256(of: copy)
        #expect(a.stamp != b.stamp)
        #expect(a == b)
        #expect(a == FileDigest(hex: a.hex, bytes: a.bytes))
    }
}
