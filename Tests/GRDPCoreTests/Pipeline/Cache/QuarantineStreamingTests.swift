import Foundation
import Testing

@testable import GRDPCore

/// An archive's quarantined rows go to its cache entry as they are read (`ArchiveIngest`,
/// `ArchiveCache.EntryWriter.appendQuarantine`): each member holds its first 20 and the counts,
/// whatever the number of bad rows (a return whose every date is in the wrong format has as many
/// as it has rows: at 10 M transactions, half of them bad, a run held 1.7 GB before). The entry
/// gives every row back exactly as read; should it fail half way, the archive is read again in
/// memory and no row is lost.
@Suite(.serialized) struct QuarantineStreamingTests {
    /// An enterprise member with 3 bad rows (kept in memory: fewer than 20), a transaction member
    /// of `rows` rows of which `bad` in every 10 are bad (long raw lines, so that the section passes
    /// the spill's MiB; at most 9, the test config's `max_quarantine_ratio`), and a small one with
    /// 25 bad rows of 100.
    static func entries(rows: Int, bad: Int) -> [ArchiveWriter.Entry] {
        var enterprises = "tax_code,year,vsic,value_added\n"
        for index in 0..<6 {
            enterprises += index % 2 == 0 ? "0100109106,202\(index / 2),J6201,1500\n" : "01001091,2023,J6201,1\n"
        }
        let padding = String(repeating: "x", count: 60)
        var large = "transaction_id,date,amount,status,channel,note\n"
        for index in 0..<rows {
            let date = index % 10 < bad ? "30/02/2023" : "2023-0\(1 + index % 9)-1\(index % 10)"
            large += "T\(index),\(date),\(1_000 + index),completed,marketplace,\(padding)\n"
        }
        var small = "transaction_id,date,amount,status,channel\n"
        for index in 0..<100 {
            small += "S\(index),\(index % 4 == 0 ? "2023-13-01" : "2023-05-05"),5,completed,web\n"
        }
        return [
            .init(path: "enterprise.csv", text: enterprises),
            .init(path: "transactions_large.csv", text: large),
            .init(path: "transactions_small.csv", text: small),
        ]
    }

    /// `outcome` gives every quarantined row of `reference` (read in memory, every row held), in
    /// order, with the same counts, and holds at most the first 20 unless `inMemory`.
    static func expectEveryRow(of reference: ArchiveOutcome, in outcome: ArchiveOutcome, inMemory: Bool) throws {
        #expect(outcome.status == .accepted, "\(String(describing: outcome.rejection))")
        #expect(outcome.members.map(\.path) == reference.members.map(\.path))
        for (member, original) in zip(outcome.members, reference.members) {
            #expect(member.rowsQuarantined == original.quarantine.count)
            #expect(member.quarantinedByReason == original.quarantinedByReason)
            #expect(try CachedQuarantineTests.allRows(member) == original.quarantine)
            if inMemory {
                #expect(member.quarantine == original.quarantine)
                #expect(member.cachedQuarantine == nil)
            } else {
                #expect(member.quarantine == Array(original.quarantine.prefix(RunReport.firstQuarantinedLimit)))
                #expect(
                    (member.cachedQuarantine != nil) == (original.quarantine.count > RunReport.firstQuarantinedLimit))
            }
        }
        ArchiveCacheStreamingTests.expectEqual(outcome, reference)
    }

    @Test func manyQuarantinedRowsWaitInTheEntryFromTheirRead() throws {
        let setup = try ArchiveCacheStreamingTests.setUp(Self.entries(rows: 90_000, bad: 7))
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let reference = try setup.read(streaming: false)
        #expect(reference.members.map(\.quarantine.count) == [3, 63_000, 25])

        let streamed = try setup.read(streaming: true)
        try Self.expectEveryRow(of: reference, in: streamed, inMemory: false)
        // The section (~11 MB) went through the spill file, which is gone: only the entry is left.
        // Loading it lets its section go in several pieces (`leaveQuarantine`), each checksummed.
        let entryBytes = try Data(contentsOf: setup.entryURL)
        #expect(
            entryBytes.count > ArchiveCache.quarantineReleaseBytes + 2 * ArchiveCache.EntryWriter.quarantineSpillBytes)
        #expect(setup.cacheFiles() == [setup.entryURL.lastPathComponent])
        // Each member's rows are its part of the section, which ends before the head checksum,
        // head offset and checksum.
        let large = try #require(streamed.members[1].cachedQuarantine)
        let small = try #require(streamed.members[2].cachedQuarantine)
        #expect(large.range.upperBound == small.range.lowerBound)
        #expect(small.range.upperBound == entryBytes.count - 24)
        // Loaded, it is what was read; and written from the rows in memory, it is the same bytes.
        let loaded = try #require(setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest))
        try Self.expectEveryRow(of: reference, in: loaded, inMemory: false)
        let head = try #require(
            setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest, rows: false))
        #expect(try CachedQuarantineTests.allRows(head.members[1]) == reference.members[1].quarantine)
        try FileManager.default.removeItem(at: setup.entryURL)
        try setup.cache.store(reference, digest: setup.digest)
        #expect(try Data(contentsOf: setup.entryURL) == entryBytes)
    }

    /// Without an entry a run holds every row (the snapshot wants them); `validate` keeps the
    /// first and the counts, and a member that holds only its first cannot give its rows to a
    /// snapshot: it throws rather than give some.
    @Test func withoutAnEntryValidateKeepsTheFirstRowsAndTheCounts() throws {
        let setup = try ArchiveCacheStreamingTests.setUp(Self.entries(rows: 3_000, bad: 3))
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let reference = try setup.read(streaming: false)
        #expect(reference.members.map(\.quarantine.count) == [3, 900, 25])
        #expect(reference.members.allSatisfy { $0.quarantineSummary == nil })

        let counted = Ingest.read(
            setup.candidate, digest: setup.digest, config: setup.config, classifier: setup.classifier,
            limits: setup.limits, keepingEveryQuarantined: false)
        #expect(counted.members.map(\.quarantine.count) == [3, 20, 20])
        #expect(counted.members.map(\.rowsQuarantined) == [3, 900, 25])
        #expect(counted.members.map(\.quarantinedByReason) == reference.members.map(\.quarantinedByReason))
        #expect(counted.members[1].quarantine == Array(reference.members[1].quarantine.prefix(20)))
        #expect(throws: QuarantinedRowsMissing.self) { try CachedQuarantineTests.allRows(counted.members[1]) }
        #expect(try CachedQuarantineTests.allRows(counted.members[0]) == reference.members[0].quarantine)
        #expect(setup.cacheFiles().isEmpty)
    }

    /// The spill gives its blocks back as it is copied into the entry: a 7 MiB cache folder keeps
    /// the entry of a ~4.4 MB quarantine section, which held twice over would not fit. (Root
    /// only, as below.)
    @Test func aSpillCopiedIntoItsEntryDoesNotHoldTheSectionTwice() throws {
        let setup = try ArchiveCacheStreamingTests.setUp(Self.entries(rows: 30_000, bad: 9))
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let reference = try setup.read(streaming: false)
        try Self.onSmallTmpfs(setup, kib: 7 << 10) { cache in
            let (outcome, entry) = try Self.read(setup, into: cache)
            #expect(entry.failure == nil)
            try Self.expectEveryRow(of: reference, in: outcome, inMemory: false)
            let section = try #require(outcome.members[1].cachedQuarantine).range.count
            // Twice over, more than the folder holds.
            #expect(2 * section > 7 << 20)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: cache.folder.path) == [entry.url.lastPathComponent])
        }
    }

    /// `body` given a cache in a tmpfs of `kib` KiB, mounted for it (root only; recorded as a known
    /// issue where one cannot be mounted).
    static func onSmallTmpfs(
        _ setup: ArchiveCacheStreamingTests.Setup, kib: Int, _ body: (ArchiveCache) throws -> Void
    ) throws {
        let mountPoint = setup.folder.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        guard getuid() == 0,
            runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kib)k", "tmpfs", mountPoint.path])
        else {
            withKnownIssue("cannot mount a small tmpfs here") { Issue.record("skipped") }
            return
        }
        defer { _ = runTool("/bin/umount", [mountPoint.path]) }
        try body(
            ArchiveCache(
                folder: mountPoint.appendingPathComponent("archives"), build: "test",
                readingSHA256: setup.config.readingSHA256))
    }

    /// The archive read with its entry written to `cache`, and that entry's writer.
    static func read(
        _ setup: ArchiveCacheStreamingTests.Setup, into cache: ArchiveCache, keepingEveryQuarantined: Bool = true
    ) throws -> (ArchiveOutcome, ArchiveCache.EntryWriter) {
        let entry = try ArchiveCache.EntryWriter(
            cache: cache, relativePath: setup.candidate.relativePath, digest: setup.digest)
        let outcome = Ingest.read(
            setup.candidate, digest: setup.digest, config: setup.config, classifier: setup.classifier,
            limits: setup.limits, entry: entry, keepingEveryQuarantined: keepingEveryQuarantined)
        return (outcome, entry)
    }

    /// The cache folder on a small tmpfs that fills while the archive is read: while its
    /// transaction rows are written (bad rows already in the entry alone), while the quarantine
    /// section spills, and as the entry is completed. Each time the archive is read again in
    /// memory: every row is there, and nothing is left in the folder. (Root only; recorded as a
    /// known issue where a tmpfs cannot be mounted.)
    @Test(arguments: [
        (rows: 60_000, bad: 1, kib: 256),  // the rows' first chunk does not fit
        (rows: 30_000, bad: 9, kib: 512),  // the spill's first MiB does not fit
        (rows: 12_000, bad: 9, kib: 2_048),  // the spill fits, the entry's copy of it does not
    ])
    func aCacheFolderThatFillsLosesNoQuarantinedRow(rows: Int, bad: Int, kib: Int) throws {
        let setup = try ArchiveCacheStreamingTests.setUp(Self.entries(rows: rows, bad: bad))
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let reference = try setup.read(streaming: false)
        #expect(reference.members[1].quarantine.count == rows / 10 * bad)
        try Self.onSmallTmpfs(setup, kib: kib) { cache in
            let (outcome, entry) = try Self.read(setup, into: cache)
            #expect(entry.failure?.errno == ENOSPC)
            try Self.expectEveryRow(of: reference, in: outcome, inMemory: true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: cache.folder.path) == [])

            // `validate`'s read (its scratch entries fill too): the first rows, the counts, every
            // transaction.
            let (counted, _) = try Self.read(setup, into: cache, keepingEveryQuarantined: false)
            #expect(counted.members.map(\.rowsQuarantined) == reference.members.map(\.quarantine.count))
            #expect(counted.members.map(\.quarantinedByReason) == reference.members.map(\.quarantinedByReason))
            #expect(counted.members.map(\.quarantine) == reference.members.map { Array($0.quarantine.prefix(20)) })
            ArchiveCacheStreamingTests.expectEqual(counted, reference)
            #expect(try FileManager.default.contentsOfDirectory(atPath: cache.folder.path) == [])
        }
    }
}
