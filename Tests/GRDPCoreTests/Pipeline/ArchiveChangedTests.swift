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
        archive = returns.appendingPathComponent("2024-01-10_returns.tar")
        try ArchiveWriter.write(Self.entries(amount: 100_000), format: .tar, to: archive)
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

    private static func size(_ url: URL) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? -1
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
                // As large as the file it replaces (a tar pads to 512-byte blocks), its times past
                // the clock's tick (a few ms) that stamped the original: only they tell.
                usleep(20_000)
                let delivered = folder.url.appendingPathComponent("delivery.tmp")
                try ArchiveWriter.write(Self.entries(amount: 999_000), format: .tar, to: delivered)
                #expect(try Self.size(delivered) == Self.size(archive))
                #expect(rename(delivered.path, archive.path) == 0)
            })
    }

    @Test func anArchiveRewrittenInPlaceAfterItsHashIsNotTaken() throws {
        expectNotTaken(
            try readAfter {
                // As large as the original, its modification time put back below: only the
                // status-change time tells, past the clock's tick that stamped the original.
                let scratch = folder.url.appendingPathComponent("new.tar")
                try ArchiveWriter.write(Self.entries(amount: 999_000), format: .tar, to: scratch)
                #expect(try Self.size(scratch) == Self.size(archive))
                usleep(20_000)
                // The same inode, written over (as cp does), with the old modification time put back
                // (as cp -p or rsync --inplace would): the status-change time still moves.
                var before = stat()
                #expect(stat(archive.path, &before) == 0)
                let handle = try FileHandle(forWritingTo: archive)
                try handle.truncate(atOffset: 0)
                try handle.write(contentsOf: try Data(contentsOf: scratch))
                try handle.close()
                // Both times put back to the nanosecond, as `touch -r` would.
                var times = [before.st_atim, before.st_mtim]
                #expect(utimensat(AT_FDCWD, archive.path, &times, 0) == 0)
            })
    }

    /// The file rewritten after its hash and put back, times and all, before the check that
    /// follows the read (found by an audit, with a process rewriting the archive as the run read
    /// it): its stamp tells nothing then, and hashed again it is the file hashed. The digest of the
    /// bytes actually decoded tells. Here the digest names the first bytes under the stamp the file
    /// has now, the state such a run ends in.
    @Test(arguments: [ArchiveWriter.Format.tar, .tarGzip, .zip])
    func anArchiveWhoseBytesReadAreNotThoseHashedIsNotTaken(format: ArchiveWriter.Format) throws {
        try ArchiveWriter.write(Self.entries(amount: 100_000), format: format, to: archive)
        let hashed = try FileDigest.sha256(of: archive)
        let config = try ConfigLoader.parse(
            yaml: ArchiveCacheTests.yaml, fileURL: folder.url.appendingPathComponent("pipeline.yml"))
        let candidate = try #require(try ReturnsScanner.scan(folder: returns, exclude: []).archives.first)
        let scratch = folder.url.appendingPathComponent("other")
        try ArchiveWriter.write(Self.entries(amount: 999_000), format: format, to: scratch)
        try Data(contentsOf: scratch).write(to: archive)
        var digest = FileDigest(hex: hashed.hex, bytes: hashed.bytes)
        digest.stamp = FileStamp(at: candidate.location)
        try #require(digest.stamp != nil)
        expectNotTaken(
            Ingest.read(
                candidate, digest: digest, config: config, classifier: MemberClassifier(kinds: config.inputs.kinds),
                limits: UnpackLimits(
                    maxMemberBytes: config.limits.maxMemberBytes,
                    maxCompressionRatio: config.limits.maxCompressionRatio)))
    }

    /// What a tar, compressed or not, or a single compressed member was decoded from is hashed on
    /// the way, to the file's last byte.
    @Test(arguments: [ArchiveWriter.Format.tar, .tarGzip, .tarXz, .tarBzip2, .zip])
    func theReaderHashesTheBytesItDecodes(format: ArchiveWriter.Format) throws {
        try ArchiveWriter.write(Self.entries(amount: 100_000), format: format, to: archive)
        final class Counting: ArchiveVisitor {
            var members = 0
            func begin(member: MemberHeader) throws -> Bool {
                members += 1
                return true
            }
            func consume(_ bytes: UnsafeRawBufferPointer) throws {}
            func end(member: MemberHeader) throws {}
            func skipped(member: String, reason: ReasonCode, detail: String) {}
        }
        let config = try ConfigLoader.parse(
            yaml: ArchiveCacheTests.yaml, fileURL: folder.url.appendingPathComponent("pipeline.yml"))
        let reader = ArchiveReader(
            limits: UnpackLimits(
                maxMemberBytes: config.limits.maxMemberBytes, maxCompressionRatio: config.limits.maxCompressionRatio))
        let visitor = Counting()
        try reader.read(archive, relativePath: "2024-01-10_returns.tar", visitor: visitor)
        #expect(visitor.members == 2)
        #expect(reader.readDigest == (try FileDigest.sha256(of: archive)))
    }

    /// A zip rewritten in place while libarchive reads it, where its directory points: the blocks
    /// it comes to after the change are not those hashed, and not one of their bytes is decoded.
    /// The same read without the change takes the zip, its digest that of the file.
    @Test(arguments: [false, true])
    func aZipChangedWhileItIsReadGivesNoByteOfTheChange(changing: Bool) throws {
        try ArchiveWriter.write(Self.entries(amount: 100_000), format: .zip, to: archive)
        let other = folder.url.appendingPathComponent("other.zip")
        try ArchiveWriter.write(Self.entries(amount: 999_000), format: .zip, to: other)
        let otherBytes = try Data(contentsOf: other)
        let hashed = try FileDigest.sha256(of: archive)
        final class Rewriting: ArchiveVisitor {
            let archive: URL
            let bytes: Data?
            var members: [String] = []
            var data = Data()
            init(archive: URL, bytes: Data?) {
                self.archive = archive
                self.bytes = bytes
            }
            func begin(member: MemberHeader) throws -> Bool {
                members.append(member.path)
                // At the first member, in place (the same inode, as cp does).
                if members.count == 1, let bytes {
                    let handle = try FileHandle(forWritingTo: archive)
                    try handle.truncate(atOffset: 0)
                    try handle.write(contentsOf: bytes)
                    try handle.close()
                }
                return true
            }
            func consume(_ bytes: UnsafeRawBufferPointer) throws { data.append(contentsOf: bytes) }
            func end(member: MemberHeader) throws {}
            func skipped(member: String, reason: ReasonCode, detail: String) {}
        }
        let reader = ArchiveReader(limits: UnpackLimits())
        // Blocks of 64 bytes: the second member's header and data lie past the block of the first.
        reader.zipBlockSize = 64
        let visitor = Rewriting(archive: archive, bytes: changing ? otherBytes : nil)
        do {
            try reader.read(archive, relativePath: "2024-01-10_returns.zip", visitor: visitor)
            #expect(!changing, "a zip changed while read was taken")
            #expect(visitor.members == ["grdp.csv", "transactions.csv"])
            #expect(reader.readDigest == hashed)
        } catch let rejection as ArchiveRejection {
            #expect(changing, "\(rejection)")
            #expect(rejection.detail.contains("the file changed while this run read it"), "\(rejection.detail)")
        }
        #expect(!String(decoding: visitor.data, as: UTF8.self).contains("999000"))
    }

    /// The same with the change where a reader without the block check would decode it: a stored
    /// zip (its members' bytes as they are in the file) whose second member's amount is written
    /// over in place, the same length, while the first member is read. Unchecked, libarchive
    /// decodes the new amount and hands it on before the CRC at the member's end objects; checked,
    /// the block that holds it is refused before any of its bytes is given out.
    @Test func aStoredZipWrittenOverWhileReadGivesNoByteOfTheChange() throws {
        // The first member long enough (over 16 blocks of 64 bytes) that the second's data lies
        // well past the blocks read, and held, when the first member begins.
        let grdp = "year,grdp\n" + (1900..<2024).map { "\($0),51000\n" }.joined()
        let transactions =
            "transaction_id,date,amount,status,channel,seller_tax_code\n"
            + "MP-000123,2023-06-01,100000,completed,Shopee,0101243150\n"
        let zip = HandMadeZip(entries: [
            .init(name: "grdp.csv", data: Array(grdp.utf8)),
            .init(name: "transactions.csv", data: Array(transactions.utf8)),
        ]).bytes
        let amountAt = try #require(
            zip.indices.first { zip[$0..<min(zip.count, $0 + 7)].elementsEqual(",100000".utf8) })
        #expect(amountAt > 16 * 64)
        var changed = zip
        changed.replaceSubrange((amountAt + 1)...(amountAt + 6), with: Array("999000".utf8))
        final class WritingOver: ArchiveVisitor {
            let archive: URL
            let bytes: [UInt8]
            var members: [String] = []
            var data = Data()
            init(archive: URL, bytes: [UInt8]) {
                self.archive = archive
                self.bytes = bytes
            }
            func begin(member: MemberHeader) throws -> Bool {
                members.append(member.path)
                if members.count == 1 {
                    let handle = try FileHandle(forWritingTo: archive)
                    try handle.write(contentsOf: Data(bytes))
                    try handle.close()
                }
                return true
            }
            func consume(_ bytes: UnsafeRawBufferPointer) throws { data.append(contentsOf: bytes) }
            func end(member: MemberHeader) throws {}
            func skipped(member: String, reason: ReasonCode, detail: String) {}
        }
        let url = returns.appendingPathComponent("2024-01-11_stored.zip")
        try Data(zip).write(to: url)
        let reader = ArchiveReader(limits: UnpackLimits())
        reader.zipBlockSize = 64
        let visitor = WritingOver(archive: url, bytes: changed)
        let rejection = #expect(throws: ArchiveRejection.self) {
            try reader.read(url, relativePath: "2024-01-11_stored.zip", visitor: visitor)
        }
        #expect(
            rejection?.detail.contains("the file changed while this run read it") == true,
            "\(String(describing: rejection))")
        #expect(visitor.members.first == "grdp.csv")
        #expect(try Data(contentsOf: url) == Data(changed))
        let decoded = String(decoding: visitor.data, as: UTF8.self)
        #expect(decoded.contains("1900,51000"))
        #expect(!decoded.contains("999000"), "bytes of the change were decoded")
    }

    /// A zip cut short after its hash is said to have changed, not to be truncated: the fault of
    /// bytes the run never recorded is not the archive's (found by a black-box audit).
    @Test func aZipCutShortAfterItsHashIsSaidToHaveChanged() throws {
        try ArchiveWriter.write(Self.entries(amount: 100_000), format: .zip, to: archive)
        expectNotTaken(
            try readAfter {
                let bytes = try Data(contentsOf: archive)
                try bytes.prefix(bytes.count / 2).write(to: archive)
            })
    }

    /// A nightly run beside a backup that hard-links the returns (`cp -al`, rsnapshot): the link
    /// moves the archive's status-change time, not its bytes. Every archive was rejected as
    /// changed; the same bytes hashed again now say it is the one hashed.
    @Test func anArchiveHardLinkedAfterItsHashIsRead() throws {
        let outcome = try readAfter {
            usleep(20_000)
            #expect(link(archive.path, folder.url.appendingPathComponent("backup.tar").path) == 0)
        }
        #expect(outcome.status == .accepted, "\(String(describing: outcome.rejection))")
        #expect(outcome.members.count == 2)
    }

    @Test func anArchiveWhosePermissionsChangedAfterItsHashIsRead() throws {
        let outcome = try readAfter {
            usleep(20_000)
            #expect(chmod(archive.path, 0o600) == 0)
        }
        #expect(outcome.status == .accepted, "\(String(describing: outcome.rejection))")
    }

    /// The stamp says when the file was hashed, not what it holds: digests of the same bytes are
    /// equal whatever their stamps (the archive cache and the run fingerprint compare digests).
    @Test func digestsOfTheSameBytesAreEqualWhateverTheirStamps() throws {
        let a = try FileDigest.sha256(of: archive)
        usleep(20_000)
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: archive.path)
        let b = try FileDigest.sha256(of: archive)
        #expect(a.stamp != nil && b.stamp != nil && a.stamp != b.stamp)
        #expect(a == b)
        #expect(a == FileDigest(hex: a.hex, bytes: a.bytes))
    }
}
