import Foundation
import Testing

@testable import GRDPCore

/// A member's quarantined rows past its first 20 wait in its archive's cache entry
/// (`ArchiveCache.leaveQuarantine`, `CachedQuarantine`), for an archive just read as for an entry
/// loaded: the member keeps the first and the counts of all, and gives every row back, exactly as
/// read, when the snapshot takes them. An entry whose later rows do not fit is refused.
@Suite struct CachedQuarantineTests {
    /// 1,000 transactions, 48 of them bad (31 impossible dates, 17 unknown statuses), and an
    /// enterprise member with 3 bad rows (it keeps them all).
    static let entries: [ArchiveWriter.Entry] = {
        var transactions = "transaction_id,date,amount,status,channel\n"
        for index in 0..<1_000 {
            let date = index % 33 == 5 ? "30/02/2023" : "2023-0\(1 + index % 9)-1\(index % 10)"
            let status = index % 60 == 7 ? "Chờ \(index)" : "completed"
            transactions += "T\(index),\(date),\(1_000 + index),\(status),marketplace\n"
        }
        var enterprises = "tax_code,year,vsic,value_added\n"
        for index in 0..<6 {
            enterprises += index % 2 == 0 ? "0100109106,202\(index / 2),J6201,1500\n" : "01001091,2023,J6201,1\n"
        }
        return [
            .init(path: "enterprise.csv", text: enterprises),
            .init(path: "transactions.csv", text: transactions),
        ]
    }()

    /// Every row a member gives, from memory or from the entry.
    static func allRows(_ member: GRDPCore.MemberResult) throws -> [QuarantineEntry] {
        var rows: [QuarantineEntry] = []
        try member.forEachQuarantined { rows.append($0) }
        return rows
    }

    /// `left` is `read` with its rows past the first 20 left in the cache: same rows, same counts.
    static func expectLeftInTheEntry(_ left: ArchiveOutcome, asRead read: ArchiveOutcome) throws {
        #expect(left.members.map(\.path) == read.members.map(\.path))
        for (member, original) in zip(left.members, read.members) {
            #expect(original.cachedQuarantine == nil)
            #expect(member.rowsQuarantined == original.quarantine.count)
            #expect(member.quarantinedByReason == original.quarantinedByReason)
            #expect(try Self.allRows(member) == original.quarantine)
            #expect(member.quarantine == Array(original.quarantine.prefix(RunReport.firstQuarantinedLimit)))
            #expect((member.cachedQuarantine != nil) == (original.quarantine.count > RunReport.firstQuarantinedLimit))
        }
    }

    @Test func rowsPastTheFirstWaitInTheEntryAndComeBackAsRead() throws {
        let setup = try ArchiveCacheStreamingTests.setUp(Self.entries)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let read = try setup.read(streaming: false)
        #expect(read.status == .accepted, "\(String(describing: read.rejection))")
        #expect(read.members.map(\.quarantine.count) == [3, 48])
        #expect(read.members[1].quarantinedByReason == [.typeError: 31, .unknownStatus: 17])

        // Just read, its entry written: the rows past the first 20 are let go from memory.
        let streamed = try setup.read(streaming: true)
        try Self.expectLeftInTheEntry(streamed, asRead: read)
        #expect(streamed.members[1].cachedQuarantine?.count == 48)
        // Loaded, with and without the transaction rows.
        for rows in [true, false] {
            let loaded = try #require(
                setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest, rows: rows))
            try Self.expectLeftInTheEntry(loaded, asRead: read)
        }
        // What waits is where the rows are in the entry: the member's part of its quarantine
        // section, at the end of the file before its head checksum, head offset and checksum.
        let entry = [UInt8](try Data(contentsOf: setup.entryURL))
        let loaded = try #require(
            setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest))
        for outcome in [streamed, loaded] {
            let cached = try #require(outcome.members[1].cachedQuarantine)
            #expect(cached.path == setup.entryURL.path)
            #expect(cached.range.upperBound == entry.count - 24)
        }
        // Twice, and from two threads at once (the insert and the hash read them side by side).
        let member = streamed.members[1]
        let twice = try (0..<2).map { _ in try Self.allRows(member) }
        #expect(twice[0] == twice[1])
        let other = OnAnotherThread { try? Self.allRows(member) }
        let here = try Self.allRows(member)
        #expect(other.wait() == here)
    }

    /// A row past the first 20 that does not fit (its raw line's length past the section) refuses
    /// the entry at load, as one among the first does: every row is gone through.
    @Test func aLaterRowThatDoesNotFitRefusesTheEntry() throws {
        let setup = try ArchiveCacheStreamingTests.setUp(Self.entries)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        _ = try setup.read(streaming: true)
        #expect(setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest) != nil)

        let whole = [UInt8](try Data(contentsOf: setup.entryURL))
        var body = Array(whole.prefix(whole.count - 8))
        // The last bad row's raw line, and the 4-byte length before it.
        let raw = Array("T995,30/02/2023,1995,completed,marketplace".utf8)
        let last = try #require(Self.lastBadRow(in: body, raw: raw))
        #expect(
            UInt32(littleEndian: body[(last - 4)..<last].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
                == UInt32(raw.count))
        /// Writes `body` as the entry, both checksums sealed again (the head's own and the file's).
        func write(_ body: [UInt8]) throws {
            var body = body
            Self.resealHead(&body)
            var checksum = ByteChecksum()
            checksum.update(body)
            try Data(body + checksum.bytes).write(to: setup.entryURL)
        }
        try write(body)
        #expect(setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest) != nil)
        withUnsafeBytes(of: UInt32(raw.count + 1).littleEndian) { body.replaceSubrange((last - 4)..<last, with: $0) }
        try write(body)
        for rows in [true, false] {
            #expect(
                setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest, rows: rows) == nil)
        }
    }

    private static func lastBadRow(in body: [UInt8], raw: [UInt8]) -> Int? {
        guard body.count >= raw.count else { return nil }
        for start in stride(from: body.count - raw.count, through: 0, by: -1)
        where body[start..<(start + raw.count)].elementsEqual(raw) {
            return start
        }
        return nil
    }

    /// Seals the head of `body` (an entry without its last checksum) with its own checksum again.
    private static func resealHead(_ body: inout [UInt8]) {
        let headOffset = Int(
            body.withUnsafeBytes {
                UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: body.count - 8, as: UInt64.self))
            })
        let checksumAt = body.count - 16
        var head = ByteChecksum()
        head.update(Array(body[headOffset..<checksumAt]))
        body.replaceSubrange(checksumAt..<(checksumAt + 8), with: head.bytes)
    }

    /// Rows left in an entry are read again at each pass over them, and must be the bytes gone
    /// through when they were left: an entry written to in place, cut short or removed during the
    /// run makes the pass throw `cache-changed` (the publish then fails: nothing is published),
    /// never give other rows, nor fault.
    @Test func anEntryChangedDuringTheRunIsNotReadAsItsRows() throws {
        let setup = try ArchiveCacheStreamingTests.setUp(Self.entries)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let read = try setup.read(streaming: false)
        let member = try setup.read(streaming: true).members[1]
        let sound = try Data(contentsOf: setup.entryURL)
        #expect(try Self.allRows(member) == read.members[1].quarantine)

        func expectChanged(_ what: Comment) {
            #expect(throws: SnapshotError.self, what) { try Self.allRows(member) }
            do {
                _ = try Self.allRows(member)
            } catch let error as SnapshotError {
                #expect(error.code == .cacheChanged)
                #expect(error.message.contains("transactions.csv"))
            } catch {
                Issue.record("not a SnapshotError: \(error)")
            }
        }
        // One digit of the last row's raw line, in place (its length and layout unchanged).
        let raw = Data("T995,30/02/2023,1995,completed,marketplace".utf8)
        let at = try #require(sound.lastRange(of: raw)).lowerBound + 6
        let handle = try FileHandle(forWritingTo: setup.entryURL)
        try handle.seek(toOffset: UInt64(at))
        try handle.write(contentsOf: Data("1".utf8))
        try handle.close()
        expectChanged("a digit changed in place")
        // The same bytes written back: read as they were.
        try sound.write(to: setup.entryURL)
        #expect(try Self.allRows(member) == read.members[1].quarantine)
        // Cut short, then gone.
        try sound.prefix(sound.count / 2).write(to: setup.entryURL)
        expectChanged("cut short")
        try FileManager.default.removeItem(at: setup.entryURL)
        expectChanged("removed")
    }

    /// An entry names the archive, config and build it is of, and is checked against them at
    /// load: another archive's sound entry copied under this one's name is not taken for it.
    @Test func anotherArchivesEntryUnderThisOnesNameIsNotTaken() throws {
        let setup = try ArchiveCacheStreamingTests.setUp(Self.entries)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        _ = try setup.read(streaming: true)
        let other = FileDigest(hex: String(repeating: "cd", count: 32), bytes: setup.digest.bytes)
        let renamed = try setup.read(streaming: false)
        try setup.cache.store(renamed, digest: other)
        let otherURL = setup.cache.folder.appendingPathComponent(
            setup.cache.fileName(relativePath: setup.candidate.relativePath, digest: other))
        #expect(setup.cache.load(relativePath: setup.candidate.relativePath, digest: other) != nil)
        // This archive's entry over the other's name: sound bytes, checksums and all.
        try FileManager.default.removeItem(at: otherURL)
        try FileManager.default.copyItem(at: setup.entryURL, to: otherURL)
        for rows in [true, false] {
            #expect(setup.cache.load(relativePath: setup.candidate.relativePath, digest: other, rows: rows) == nil)
        }
        #expect(setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest) != nil)
    }
}
