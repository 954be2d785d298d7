import Foundation
import GRDPCore
import Testing

/// Archive cache entries are written while the archives are read, their transaction rows first
/// (`ArchiveCache.EntryWriter`): a run gives the same snapshot whether the entries are written,
/// read back, or could not be written at all.
@Suite struct CacheStreamingTests {
    /// `count` completed sales of one channel and no seller, over the months of 2023 (a dozen
    /// `ecommerce_sales` rows: a small snapshot for many rows).
    static func transactions(_ count: Int, prefix: String) -> String {
        var text = "transaction_id,date,amount,status,channel,seller_province\n"
        for index in 0..<count {
            let month = 1 + index % 12
            text +=
                "\(prefix)\(index),2023-\(month < 10 ? "0" : "")\(month)-15,\(1_000 + index % 997),completed,marketplace,67\n"
        }
        return text
    }

    /// Two members of transactions (25,000 and 50,000 rows: 1.0 MB and 2.0 MB of rows in the entry)
    /// beside the small first return.
    static func writeReturns(in fixture: Fixture) throws {
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try fixture.write(
            [
                .init(path: "transactions_a.csv", text: transactions(25_000, prefix: "A")),
                .init(path: "transactions_b.csv", text: transactions(50_000, prefix: "B")),
            ], format: .tarGzip, as: "2024-02-01_sales.tar.gz")
    }

    /// The files of `Outputs/cache/archives`.
    static func cacheEntries(of fixture: Fixture) throws -> [String] {
        try FileManager.default.contentsOfDirectory(
            atPath: fixture.outputs.appendingPathComponent("cache/archives").path
        ).sorted()
    }

    /// Under a 2 MiB file-size limit (`prlimit --fsize`; grdp ignores SIGXFSZ, so a write past it
    /// fails with EFBIG, as on a full disk), the large archive's entry fails part way: its first
    /// member's rows and a chunk of the second's are written, the next chunk is not. Those rows are
    /// read back into memory, the run goes on and publishes the snapshot a run with a working cache
    /// publishes, says once that the archive was not kept, and leaves no temporary; the small
    /// archive's entry is kept.
    @Test func aCacheWriteFailingPartWayFallsBackToMemory() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else {
            return OutputFailureTests.skip("no /usr/bin/prlimit")
        }
        let normal = try Fixture()
        let limited = try Fixture()
        defer {
            normal.remove()
            limited.remove()
        }
        try Self.writeReturns(in: normal)
        try Self.writeReturns(in: limited)
        let reference = try normal.grdp("run")
        #expect(reference.status == 0, "\(reference.stderr)")
        #expect(try Self.cacheEntries(of: normal).count == 2)

        let (status, killedBy, stderr) = try CleanlySpawned(
            "exec /usr/bin/prlimit --fsize=2097152 \"$0\" run", in: limited.root
        ).wait()
        #expect(status == 0 && killedBy == nil, "\(stderr)")
        let warnings = stderr.components(separatedBy: "Archive not kept in the cache")
        #expect(warnings.count == 2, "\(stderr)")
        #expect(stderr.contains("2024-02-01_sales.tar.gz"), "\(stderr)")
        let entries = try Self.cacheEntries(of: limited)
        #expect(entries.count == 1 && entries.allSatisfy { $0.hasSuffix(".bin") }, "\(entries)")
        #expect(try limited.latestContentHash() == normal.latestContentHash())
        #expect(try limited.latestContentHash() != nil)

        // Without the limit, the large archive is read again and kept; the figures stay.
        let next = try limited.grdp("run", "--force")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try Self.cacheEntries(of: limited).count == 2)
        #expect(try limited.latestContentHash() == normal.latestContentHash())
    }

    /// A run whose archives all come from their entries, rows read in place from them (neither the
    /// last run's record nor its kept revision ledger left to spare reading them), computes the
    /// snapshot the run that wrote them published: up to date.
    @Test func entriesWrittenWhileReadingGiveTheSameSnapshot() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try Self.writeReturns(in: fixture)
        let first = try fixture.grdp("run")
        #expect(first.status == 0, "\(first.stderr)")
        let cache = fixture.outputs.appendingPathComponent("cache")
        for name in ["last-run.json", "ledger.bin", "ledger.journal"] {
            try? FileManager.default.removeItem(at: cache.appendingPathComponent(name))
        }
        let second = try fixture.grdp("run")
        #expect(second.status == 0, "\(second.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "up-to-date")
        let archives = try #require(report["archives"] as? [[String: Any]])
        #expect(archives.count == 2 && archives.allSatisfy { $0["from_cache"] as? Bool == true }, "\(archives)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
    }
}
