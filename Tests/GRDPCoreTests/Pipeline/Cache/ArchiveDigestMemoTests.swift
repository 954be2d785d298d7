import Crypto
import Foundation
import Testing

@testable import GRDPCore

/// Whether files in the temporary folder can be remembered at all (`ArchiveDigestMemo.writesBack`).
private let temporaryFolderWritesBack: Bool = {
    guard let folder = try? TemporaryFolder(), let file = try? InputFile(folder.url) else { return false }
    return ArchiveDigestMemo.writesBack(file)
}()

/// An archive unchanged since two earlier runs hashed it is not hashed again (`ArchiveDigestMemo`),
/// and any change a write can make to it is still seen: the memo's digest is never another
/// content's.
@Suite(
    .enabled(
        if: temporaryFolderWritesBack,
        "the temporary folder is on a file system whose digests are never remembered (tmpfs, ...)")
)
struct ArchiveDigestMemoTests {
    let folder: TemporaryFolder
    let file: URL
    var location: FileLocation { FileLocation(file) }

    init() throws {
        folder = try TemporaryFolder()
        file = folder.url.appendingPathComponent("2024-01-10_returns.tar")
        try Data("first delivery, 32 bytes long...".utf8).write(to: file)
    }

    static func sha256(_ url: URL) throws -> String {
        lowercaseHex(SHA256.hash(data: try Data(contentsOf: url)))
    }

    /// The file's entry once two hashes agreed (no settling time asked here).
    func confirmedEntry() throws -> ArchiveDigestMemo.Entry {
        let first = try ArchiveDigestMemo.digest(of: location, remembered: nil, trusting: true, settle: 0)
        let second = try ArchiveDigestMemo.digest(of: location, remembered: first.entry, trusting: true, settle: 0)
        let entry = try #require(second.entry)
        #expect(entry.confirmed)
        return entry
    }

    /// `body`, once a file written now no longer gets the status-change time `entry` holds (past
    /// the clock's tick, a few ms, that stamped it): a write within the same tick leaves the same
    /// stamp, which is why the memo waits for a second hash.
    func changing(from entry: ArchiveDigestMemo.Entry, _ body: () throws -> Void) throws {
        let probe = folder.url.appendingPathComponent("clock.probe")
        for _ in 0..<200 {
            try Data().write(to: probe)
            var now = stat()
            #expect(stat(probe.path, &now) == 0)
            if [now.st_ctim.tv_sec, now.st_ctim.tv_nsec] != entry.statusChanged { break }
            usleep(5_000)
        }
        try body()
    }

    @Test func aFileIsHashedUntilTwoHashesAgreeThenRemembered() throws {
        let first = try ArchiveDigestMemo.digest(of: location, remembered: nil, trusting: true, settle: 0)
        #expect(!first.fromMemo)
        #expect(first.digest.hex == (try Self.sha256(file)))
        #expect(first.entry?.confirmed == false)
        // Not yet remembered: hashed again, which confirms it.
        let second = try ArchiveDigestMemo.digest(of: location, remembered: first.entry, trusting: true, settle: 0)
        #expect(!second.fromMemo)
        #expect(second.entry?.confirmed == true)
        let third = try ArchiveDigestMemo.digest(of: location, remembered: second.entry, trusting: true, settle: 0)
        #expect(third.fromMemo)
        #expect(third.digest == first.digest)
        #expect(third.digest.stamp != nil)
        #expect(third.entry == second.entry)
    }

    @Test func aSecondHashSoonerThanTheSettlingTimeDoesNotConfirm() throws {
        var clock: Int64 = 1_000_000_000_000
        let first = try ArchiveDigestMemo.digest(
            of: location, remembered: nil, trusting: true, settle: 5, now: { clock })
        clock += 4_999_999
        let soon = try ArchiveDigestMemo.digest(
            of: location, remembered: first.entry, trusting: true, settle: 5, now: { clock })
        #expect(soon.entry?.confirmed == false)
        #expect(!soon.fromMemo)
        // Measured from the first hash that found these bytes under this stamp.
        #expect(soon.entry?.hashedAt == first.entry?.hashedAt)
        clock += 1
        let later = try ArchiveDigestMemo.digest(
            of: location, remembered: soon.entry, trusting: true, settle: 5, now: { clock })
        #expect(later.entry?.confirmed == true)
        #expect(!later.fromMemo)
    }

    /// A memo whose first hash's time is no time (Int64.min, forged past the file's seal)
    /// confirms nothing, where the time since it overflowed and trapped the run.
    @Test func aFirstHashAtNoTimeConfirmsNothing() throws {
        let first = try ArchiveDigestMemo.digest(of: location, remembered: nil, trusting: true, settle: 5)
        var forged = try #require(first.entry)
        forged.hashedAt = .min
        let next = try ArchiveDigestMemo.digest(of: location, remembered: forged, trusting: true, settle: 5)
        #expect(next.entry?.confirmed == false)
        #expect(!next.fromMemo)
    }

    /// `--force` hashes a remembered file; agreeing, the memo still vouches for it, whenever.
    @Test func forceHashesARememberedFile() throws {
        let entry = try confirmedEntry()
        let forced = try ArchiveDigestMemo.digest(
            of: location, remembered: entry, trusting: false, settle: 5, now: { entry.hashedAt })
        #expect(!forced.fromMemo)
        #expect(forced.digest.hex == entry.sha256)
        #expect(forced.entry == entry)
    }

    /// The same size, the modification time put back to the nanosecond (`cp -p`, `rsync
    /// --inplace`, `touch -r`): the status-change time still moves, and the new bytes are hashed.
    @Test func aFileRewrittenInPlaceWithItsTimesPutBackIsHashedAgain() throws {
        let entry = try confirmedEntry()
        try changing(from: entry) {
            var before = stat()
            #expect(stat(file.path, &before) == 0)
            let handle = try FileHandle(forWritingTo: file)
            try handle.write(contentsOf: Data("REVISED delivery, 32 bytes long.".utf8))
            try handle.close()
            var times = [before.st_atim, before.st_mtim]
            #expect(utimensat(AT_FDCWD, file.path, &times, 0) == 0)
        }
        let after = try ArchiveDigestMemo.digest(of: location, remembered: entry, trusting: true, settle: 0)
        #expect(!after.fromMemo)
        #expect(after.digest.hex == (try Self.sha256(file)))
        #expect(after.digest.hex != entry.sha256)
        #expect(after.entry?.confirmed == false)
    }

    /// Another file of the same size renamed over, its modification time that of the first.
    @Test func aFileRenamedOverIsHashedAgain() throws {
        let entry = try confirmedEntry()
        try changing(from: entry) {
            let delivery = folder.url.appendingPathComponent("delivery.tmp")
            try Data("second delivery, 32 bytes long..".utf8).write(to: delivery)
            var before = stat()
            #expect(stat(file.path, &before) == 0)
            var times = [before.st_atim, before.st_mtim]
            #expect(utimensat(AT_FDCWD, delivery.path, &times, 0) == 0)
            #expect(rename(delivery.path, file.path) == 0)
        }
        let after = try ArchiveDigestMemo.digest(of: location, remembered: entry, trusting: true, settle: 0)
        #expect(!after.fromMemo)
        #expect(after.digest.hex == (try Self.sha256(file)))
        #expect(after.digest.hex != entry.sha256)
    }

    /// A process that keeps the archive mapped for writing: once a page is dirty, Linux moves the
    /// file's times only at the first write to a clean page, so later writes through the mapping
    /// change the bytes under the same stamp until the page is written back (found by an audit:
    /// the memo then served the old digest, the cache the old rows). The confirming hash writes the
    /// pages back first; every write after it moves the times.
    @Test func aWriteThroughAMappingMadeBeforeTheConfirmingHashIsSeen() throws {
        let descriptor = open(file.path, O_RDWR)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let length = 32
        let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        try #require(mapped != MAP_FAILED)
        let page = try #require(mapped)
        defer { munmap(page, length) }
        // The page dirtied through the mapping: the times move here, once.
        page.storeBytes(of: UInt8(ascii: "F"), toByteOffset: 0, as: UInt8.self)
        let first = try ArchiveDigestMemo.digest(of: location, remembered: nil, trusting: true, settle: 0)
        let second = try ArchiveDigestMemo.digest(of: location, remembered: first.entry, trusting: true, settle: 0)
        let entry = try #require(second.entry)
        #expect(entry.confirmed)
        try changing(from: entry) {
            page.storeBytes(of: UInt8(ascii: "M"), toByteOffset: 0, as: UInt8.self)
        }
        let after = try ArchiveDigestMemo.digest(of: location, remembered: entry, trusting: true, settle: 0)
        #expect(!after.fromMemo)
        #expect(after.digest.hex == (try Self.sha256(file)))
        #expect(after.digest.hex != entry.sha256)
    }

    /// On tmpfs pages are never written back, so a write through a mapping moves the times once at
    /// most: nothing there is remembered, every run hashes.
    @Test func aFileOnTmpfsIsNeverRemembered() throws {
        let shared = URL(fileURLWithPath: "/dev/shm/grdp-memo-\(UUID().uuidString).tar")
        guard (try? Data("on tmpfs".utf8).write(to: shared)) != nil else { return }
        defer { try? FileManager.default.removeItem(at: shared) }
        guard let opened = try? InputFile(shared), opened.fileSystemType == 0x0102_1994 else { return }
        let first = try ArchiveDigestMemo.digest(of: FileLocation(shared), remembered: nil, trusting: true, settle: 0)
        #expect(first.entry == nil)
        #expect(!ArchiveDigestMemo.writesBack(opened))
        // Not even an entry made elsewhere and put there.
        var entry = try confirmedEntry()
        entry.path = ArchiveDigestMemo.key(of: FileLocation(shared))
        let second = try ArchiveDigestMemo.digest(
            of: FileLocation(shared), remembered: entry, trusting: true, settle: 0)
        #expect(!second.fromMemo && second.entry == nil)
    }

    /// A hard link made by a backup moves the status-change time alone: hashed again, the same
    /// digest, remembered again after one more hash.
    @Test func aFileHardLinkedIsHashedAgainWithTheSameDigest() throws {
        let entry = try confirmedEntry()
        try changing(from: entry) {
            #expect(link(file.path, folder.url.appendingPathComponent("backup.tar").path) == 0)
        }
        let after = try ArchiveDigestMemo.digest(of: location, remembered: entry, trusting: true, settle: 0)
        #expect(!after.fromMemo)
        #expect(after.digest.hex == entry.sha256)
        #expect(after.entry?.confirmed == false)
    }

    @Test func anEntryOfAnotherPathIsNotThisFiles() throws {
        let entry = try confirmedEntry()
        let other = folder.url.appendingPathComponent("other.tar")
        try FileManager.default.copyItem(at: file, to: other)
        let memo = ArchiveDigestMemo([entry])
        #expect(memo.entry(for: FileLocation(other)) == nil)
        #expect(memo.entry(for: location) == entry)
    }

    @Test func theMemoIsReadBackAsWritten() throws {
        let entry = try confirmedEntry()
        var unconfirmed = entry
        unconfirmed.path = folder.url.appendingPathComponent("a\nname\twith \"quotes\".zip").path
        unconfirmed.confirmed = false
        let memo = ArchiveDigestMemo([entry, unconfirmed])
        try memo.write(to: folder.url)
        #expect(ArchiveDigestMemo.load(from: folder.url) == memo)
    }

    /// A memo torn by a crash, or edited, is not used: every archive is then hashed.
    @Test func aDamagedMemoIsNotUsed() throws {
        let memo = ArchiveDigestMemo([try confirmedEntry()])
        try memo.write(to: folder.url)
        let url = folder.url.appendingPathComponent(ArchiveDigestMemo.fileName)
        let bytes = try Data(contentsOf: url)
        #expect(ArchiveDigestMemo.load(from: folder.url) == memo)

        // A digest edited: the checksum line no longer matches.
        let text = String(decoding: bytes, as: UTF8.self)
        let edited = text.replacingOccurrences(
            of: memo.entry(for: location)!.sha256, with: String(repeating: "0", count: 64))
        #expect(edited != text)
        try Data(edited.utf8).write(to: url)
        #expect(ArchiveDigestMemo.load(from: folder.url) == ArchiveDigestMemo())

        // Torn anywhere.
        for length in [0, 1, bytes.count / 2, bytes.count - 66, bytes.count - 1] {
            try bytes.prefix(length).write(to: url)
            #expect(ArchiveDigestMemo.load(from: folder.url) == ArchiveDigestMemo(), "length \(length)")
        }
        // None at all.
        try FileManager.default.removeItem(at: url)
        #expect(ArchiveDigestMemo.load(from: folder.url) == ArchiveDigestMemo())
    }
}
