import Foundation
import Logging
import Testing

@testable import GRDPCore

/// An archive's transaction rows written to its cache entry while the archive is read
/// (`ArchiveCache.EntryWriter`): the batches then read them from the entry's mapping, and nothing
/// a run computes can tell them from rows kept in memory. A rejected archive leaves no entry, and
/// a damaged or old entry is not used: the archive is read again.
@Suite struct ArchiveCacheStreamingTests {
    /// A member of `count` transactions, over 16,000 rows a chunk: sellers, channels and districts
    /// that repeat, ids with two stems, a net too wide for 64 bits every 7,919th row, one year.
    static func transactions(_ count: Int, idPrefix: String) -> String {
        var text = "transaction_id,date,amount,status,channel,seller_tax_code,seller_district_code,refund_amount\n"
        let sellers = ["0100109106", "0101243150", ""]
        let channels = ["marketplace", "website", "Sàn Đắk Nông"]
        for index in 0..<count {
            let amount = index % 7_919 == 0 ? "123456789012345.678901234" : "\(1_000 + index % 977)"
            let refund = index % 11 == 0 ? "1" : ""
            let stem = index % 2 == 0 ? idPrefix : idPrefix + "R-"
            let month = 1 + index % 12
            text +=
                "\(stem)\(index),2023-\(month < 10 ? "0" : "")\(month)-\(10 + index % 18),\(amount),completed,"
                + "\(channels[index % 3]),\(sellers[index % 3]),66\(index % 4),\(refund)\n"
        }
        return text
    }

    static let entries: [ArchiveWriter.Entry] = [
        .init(path: "enterprise.csv", text: "tax_code,year,vsic,value_added\n0100109106,2023,J6201,1500.25\n"),
        .init(path: "transactions_a.csv", text: transactions(40_000, idPrefix: "A-")),
        .init(path: "grdp.csv", text: "year,grdp\n2023,51000\n"),
        .init(path: "transactions_b.csv", text: transactions(3, idPrefix: "B-")),
    ]

    struct Setup {
        let folder: URL
        let config: PipelineConfig
        let cache: ArchiveCache
        let candidate: ArchiveCandidate
        let digest: FileDigest

        var classifier: MemberClassifier { MemberClassifier(kinds: config.inputs.kinds) }
        var limits: UnpackLimits {
            UnpackLimits(
                maxMemberBytes: config.limits.maxMemberBytes, maxCompressionRatio: config.limits.maxCompressionRatio)
        }
        var entryURL: URL {
            cache.folder.appendingPathComponent(cache.fileName(relativePath: candidate.relativePath, digest: digest))
        }

        /// The files in the cache folder (none when it does not exist).
        func cacheFiles() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: cache.folder.path)) ?? []).sorted()
        }

        func read(streaming: Bool) throws -> ArchiveOutcome {
            let entry =
                streaming
                ? try ArchiveCache.EntryWriter(
                    cache: cache, relativePath: candidate.relativePath, digest: digest) : nil
            return Ingest.read(
                candidate, digest: digest, config: config, classifier: classifier, limits: limits, entry: entry)
        }

        /// `Ingest.run` over the returns with the cache: each archive's outcome as `consume` got it,
        /// its rows copied out.
        func ingest() throws -> [(outcome: ArchiveOutcome, rows: [[UInt8]])] {
            var taken: [(ArchiveOutcome, [[UInt8]])] = []
            _ = try Ingest.run(
                config: config, cache: cache, readCached: true, logger: Logger(label: "test"), threads: 2
            ) { _, outcome in
                taken.append(
                    (outcome, outcome.members.map { $0.transactions.withRows { Array(UnsafeRawBufferPointer($0)) } }))
            }
            return taken
        }
    }

    static func setUp(_ entries: [ArchiveWriter.Entry] = entries, format: ArchiveWriter.Format = .tarGzip) throws
        -> Setup
    {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-stream-\(UUID().uuidString)")
        let returns = folder.appendingPathComponent("returns")
        try FileManager.default.createDirectory(at: returns, withIntermediateDirectories: true)
        try ArchiveWriter.write(entries, format: format, to: returns.appendingPathComponent("2024-01-10_a.tar.gz"))
        let config = try ConfigLoader.parse(
            yaml: ArchiveCacheTests.yaml, fileURL: folder.appendingPathComponent("pipeline.yml"))
        let candidate = try #require(try ReturnsScanner.scan(folder: returns, exclude: []).archives.first)
        let digest = try FileDigest.sha256(of: candidate.location)
        let cache = ArchiveCache(
            folder: folder.appendingPathComponent("cache/archives"), build: "test", readingSHA256: config.readingSHA256)
        return Setup(folder: folder, config: config, cache: cache, candidate: candidate, digest: digest)
    }

    static func expectEqual(_ a: ArchiveOutcome, _ b: ArchiveOutcome) {
        #expect(a.status == b.status && a.members.count == b.members.count)
        for (x, y) in zip(a.members, b.members) {
            #expect(x.path == y.path && x.rowsRead == y.rowsRead && x.rowsAccepted == y.rowsAccepted)
            #expect(x.accepted.map(\.record) == y.accepted.map(\.record))
            #expect(x.transactions.count == y.transactions.count)
            #expect(x.transactions.strings == y.transactions.strings)
            #expect(x.transactions.stems == y.transactions.stems)
            #expect(x.transactions.wide.map(\.amount) == y.transactions.wide.map(\.amount))
            #expect(
                x.transactions.withRows { Array(UnsafeRawBufferPointer($0)) }
                    == y.transactions.withRows { Array(UnsafeRawBufferPointer($0)) })
        }
    }

    /// Streamed, the rows are those read in memory, byte for byte, now read in place from the
    /// entry, which is complete under its name (no temporary left) and loads as they were.
    @Test func rowsStreamedToTheEntryAreThoseReadInMemory() throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let inMemory = try setup.read(streaming: false)
        #expect(inMemory.status == .accepted, "\(String(describing: inMemory.rejection))")
        #expect(setup.cacheFiles().isEmpty)
        let streamed = try setup.read(streaming: true)
        Self.expectEqual(streamed, inMemory)
        // 40,003 rows in two members, several chunks each for the first; wide nets among them.
        #expect(streamed.members.map(\.transactions.count) == [0, 40_000, 0, 3])
        #expect(streamed.members.contains { !$0.transactions.wide.isEmpty })
        #expect(streamed.members.allSatisfy { $0.transactions.count == 0 || $0.transactions.readsInPlace })
        #expect(inMemory.members.allSatisfy { !$0.transactions.readsInPlace })
        #expect(setup.cacheFiles() == [setup.entryURL.lastPathComponent])

        let loaded = try #require(setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest))
        Self.expectEqual(loaded, inMemory)
        let head = try #require(
            setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest, rows: false))
        #expect(head.members.map(\.rowsAccepted) == inMemory.members.map(\.rowsAccepted))
        #expect(head.members.allSatisfy { $0.transactions.count == 0 })

        // `store`, from rows in memory, writes the same bytes as the entry streamed.
        let streamedBytes = try Data(contentsOf: setup.entryURL)
        try FileManager.default.removeItem(at: setup.entryURL)
        try setup.cache.store(inMemory, digest: setup.digest)
        #expect(try Data(contentsOf: setup.entryURL) == streamedBytes)
    }

    /// A run reads the archive once and keeps it; the next run takes it from the entry, rows and
    /// all, equal to the first run's.
    @Test func aSecondRunTakesTheStreamedEntry() throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let first = try setup.ingest()
        let second = try setup.ingest()
        #expect(first.map(\.outcome.fromCache) == [false] && second.map(\.outcome.fromCache) == [true])
        #expect(first.map(\.rows) == second.map(\.rows))
        #expect(first.first?.rows.map(\.count) == [0, 40_000 * 40, 0, 3 * 40])
        #expect(setup.cacheFiles() == [setup.entryURL.lastPathComponent])
    }

    /// A night's new archive is read first, even when smaller than the cached ones: those are only
    /// checked, on the other thread meanwhile. `consume` gets them in that order, and the outcomes
    /// come back in revision order as before.
    @Test func aNewArchiveIsReadBeforeTheCachedOnes() throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        _ = try setup.ingest()
        try ArchiveWriter.write(
            [.init(path: "transactions_c.csv", text: Self.transactions(50, idPrefix: "C-"))], format: .tarGzip,
            to: setup.folder.appendingPathComponent("returns/2024-02-10_b.tar.gz"))
        var order: [(index: Int, fromCache: Bool)] = []
        let result = try Ingest.run(
            config: setup.config, cache: setup.cache, readCached: true, logger: Logger(label: "test"), threads: 2
        ) { index, outcome in
            order.append((index, outcome.fromCache))
        }
        #expect(order.map(\.index) == [1, 0] && order.map(\.fromCache) == [false, true])
        #expect(result.archives.map(\.relativePath) == ["2024-01-10_a.tar.gz", "2024-02-10_b.tar.gz"])
        // Without reading the cache, the largest first.
        var cold: [Int] = []
        _ = try Ingest.run(config: setup.config, logger: Logger(label: "test"), threads: 2) { index, _ in
            cold.append(index)
        }
        #expect(cold == [0, 1])
    }

    /// A rejected archive leaves nothing in the cache folder, also when its rows had begun to be
    /// written: over `max_quarantine_ratio` in its last member, or cut short after its first.
    @Test func aRejectedArchiveLeavesNoTemporary() throws {
        let overRatio = try Self.setUp([
            .init(path: "transactions_a.csv", text: Self.transactions(40_000, idPrefix: "A-")),
            .init(
                path: "transactions_z.csv",
                text: "transaction_id,date,amount,status\nZ1,yesterday,1,completed\nZ2,2023-01-01,x,completed\n"),
        ])
        defer { try? FileManager.default.removeItem(at: overRatio.folder) }
        let rejected = try overRatio.read(streaming: true)
        #expect(rejected.rejection?.reason == .quarantineRatio)
        #expect(rejected.members.allSatisfy { $0.transactions.count == 0 })
        #expect(overRatio.cacheFiles().isEmpty, "\(overRatio.cacheFiles())")

        let cut = try Self.setUp([
            .init(path: "transactions_a.csv", text: Self.transactions(60_000, idPrefix: "A-")),
            .init(path: "transactions_b.csv", text: Self.transactions(60_000, idPrefix: "B-")),
        ])
        defer { try? FileManager.default.removeItem(at: cut.folder) }
        let whole = try Data(contentsOf: cut.candidate.url)
        try whole.prefix(whole.count * 3 / 4).write(to: cut.candidate.url)
        let truncated = try #require(
            try ReturnsScanner.scan(folder: cut.candidate.url.deletingLastPathComponent(), exclude: []).archives.first)
        let digest = try FileDigest.sha256(of: truncated.location)
        let entry = try ArchiveCache.EntryWriter(cache: cut.cache, relativePath: truncated.relativePath, digest: digest)
        let outcome = Ingest.read(
            truncated, digest: digest, config: cut.config, classifier: cut.classifier, limits: cut.limits, entry: entry)
        #expect(outcome.rejection?.reason == .corruptArchive)
        #expect(cut.cacheFiles().isEmpty, "\(cut.cacheFiles())")
    }

    /// A damaged entry — cut short, a byte of its rows flipped, a byte of its head flipped — is not
    /// used: the archive is read again, with the same rows, and its entry written anew.
    @Test func aDamagedEntryIsIgnoredAndTheArchiveReadAgain() throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let first = try setup.ingest()
        let sound = try Data(contentsOf: setup.entryURL)
        // The head's offset, 8 bytes before the final checksum.
        let headOffset = sound.withUnsafeBytes {
            Int(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: sound.count - 16, as: UInt64.self)))
        }
        #expect(headOffset == 40_003 * 40)
        var cutShort = sound
        cutShort.removeLast()
        var rowFlipped = sound
        rowFlipped[1_000] ^= 0x10
        var headFlipped = sound
        headFlipped[headOffset + 20] ^= 0x10
        for damaged in [cutShort, rowFlipped, headFlipped] {
            try damaged.write(to: setup.entryURL)
            let again = try setup.ingest()
            #expect(again.map(\.outcome.fromCache) == [false])
            #expect(again.map(\.rows) == first.map(\.rows))
            #expect(try Data(contentsOf: setup.entryURL) == sound)
        }
        // Damaged rows are refused only to a run that needs them; a damaged head to any.
        try rowFlipped.write(to: setup.entryURL)
        #expect(setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest) == nil)
        #expect(setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest, rows: false) != nil)
        try headFlipped.write(to: setup.entryURL)
        #expect(setup.cache.load(relativePath: setup.candidate.relativePath, digest: setup.digest, rows: false) == nil)
    }

    /// An entry of the format before (v6: head first, rows after) is under another name: never
    /// found, the archive read and kept anew, and the old entry pruned with the others no run names.
    @Test func anOldEntryIsNotFound() throws {
        let setup = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let oldName = setup.cache.fileName(
            relativePath: setup.candidate.relativePath, digest: setup.digest, format: "grdp-archive-cache-v6")
        #expect(oldName != setup.entryURL.lastPathComponent)
        try FileManager.default.createDirectory(at: setup.cache.folder, withIntermediateDirectories: true)
        let oldEntry = setup.cache.folder.appendingPathComponent(oldName)
        try Data("an entry of grdp-archive-cache-v6".utf8).write(to: oldEntry)
        let run = try setup.ingest()
        #expect(run.map(\.outcome.fromCache) == [false])
        #expect(setup.cacheFiles() == [oldName, setup.entryURL.lastPathComponent].sorted())
        #expect(setup.cache.prune(keeping: [setup.entryURL.lastPathComponent]) == 1)
        #expect(setup.cacheFiles() == [setup.entryURL.lastPathComponent])
    }
}
