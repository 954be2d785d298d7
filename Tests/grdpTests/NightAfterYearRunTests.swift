import Foundation
import GRDPCore
import Testing

/// The night after an analyst's `run --year`: its snapshot keeps the other years from an older
/// one, so `last-run.json` (the last full run's) does not describe it, and the night used to
/// compute every year. It now builds on the last full run's snapshot (`RunScope.base`) while that
/// file is as published, computes the years the returns read since that run touch, and compares
/// its content hash with the latest's. Every night here is checked against `run --force` from
/// scratch (CONTRACT §6), with each way of keeping revisions.
@Suite struct NightAfterYearRunTests {
    static let orders = "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
    static let builtOn = "Built on the last full run's snapshot"
    static let notAsPublished = "The last full run's snapshot is not as published"

    struct Night {
        var stderr: String
        var builtOnLastFullRun: Bool
        /// The years the night computed alone ("" for none); nil: every year.
        var written: String?
        var outcome: String?
        var snapshot: String?
        var contentSHA256: String?
    }

    @Test(arguments: ["memory", "kept", "partitioned"])
    func aNightAfterRunYearBuildsOnTheLastFullRunsSnapshot(ledger: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let environment = try NightlyRunTests.environment(ledger: ledger, fixture: fixture)
        func grdp(_ arguments: String...) throws -> Execution {
            let run = try fixture.grdp(arguments, environment: environment)
            try #require(run.status == 0, "\(arguments): \(run.stderr)")
            return run
        }
        func add(_ name: String, _ rows: String) throws {
            try fixture.write([.init(path: "transactions.csv", text: Self.orders + rows)], format: .zip, as: name)
        }
        /// A plain `run`, checked: its content hash is `run --force`'s from scratch, `verify` passes.
        func night() throws -> Night {
            let run = try grdp("run", "--verbose", "--log-format", "json")
            let report = try #require(try fixture.reportsWritten().last)
            let hash = try #require(report["content_sha256"] as? String)
            #expect(try fixture.contentHashFromScratch(environment: environment) == hash)
            let snapshot = try #require(report["snapshot"] as? String)
            #expect(try fixture.grdp(["verify", snapshot], environment: environment).status == 0)
            #expect(try fixture.snapshotFiles().allSatisfy { !$0.hasSuffix(".tmp") })
            let line = run.stderr.split(separator: "\n").first {
                $0.contains("only these years are touched by the returns read since")
            }
            let written = try line.map { line in
                let entry = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return try #require(entry["written"] as? String)
            }
            return Night(
                stderr: run.stderr, builtOnLastFullRun: run.stderr.contains(Self.builtOn), written: written,
                outcome: report["outcome"] as? String, snapshot: report["snapshot"] as? String, contentSHA256: hash)
        }
        func yearRun(_ year: Int) throws -> [String: Any] {
            _ = try grdp("run", "--year", "\(year)")
            let report = try #require(try fixture.reportsWritten().last)
            #expect(report["outcome"] as? String == "snapshot")
            return report
        }

        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try add(
            "2024-01-20_orders.zip",
            "T20,2022-04-04,7000000,completed,website,,67\nT21,2024-04-04,9000000,completed,website,,67\n")
        _ = try grdp("run")

        // A revised return of 2024's orders, recomputed by the analyst: v0002.
        try add(
            "2024-02-01_revised.zip",
            "T21,2024-04-04,9500000,completed,website,,67\nT22,2024-06-06,3000000,completed,marketplace,,67\n")
        let year = try yearRun(2024)
        #expect(year["snapshot"] as? String == "v0002")
        // The night builds on v0001, computes 2024 alone, and finds v0002's figures.
        let first = try night()
        #expect(first.builtOnLastFullRun, "\(first.stderr)")
        #expect(first.written == "2024", "\(first.stderr)")
        #expect(first.outcome == "up-to-date")
        #expect(first.snapshot == "v0002")
        // It remembered v0002: the next night reads nothing.
        let next = try grdp("run")
        #expect(next.stderr.contains("Up to date: inputs unchanged"), "\(next.stderr)")

        // `run --year 2023` of a 2023 return (v0003), then a 2022 return before the night: the
        // night builds on v0002 (the last full run's, whose 2024 it carries), computes 2022 and
        // 2023, and publishes v0004 after v0003.
        try add("2024-03-01_2023.zip", "T30,2023-09-09,4000000,completed,website,,67\n")
        #expect(try yearRun(2023)["snapshot"] as? String == "v0003")
        try add("2024-03-05_2022.zip", "T20,2022-04-04,7700000,completed,website,,67\n")
        let second = try night()
        #expect(second.builtOnLastFullRun, "\(second.stderr)")
        #expect(second.written == "2022,2023", "\(second.stderr)")
        #expect(second.outcome == "snapshot")
        #expect(second.snapshot == "v0004")
        #expect(try SnapshotStore(folder: fixture.snapshots).open(version: 4).meta.parentVersion == 3)

        // `run --year 2024` under another va ratio (v0005), the config then put back: the night
        // builds on v0004, whose figures those settings gave, and publishes them again (v0006),
        // not v0005's 2024.
        let yaml = try String(contentsOf: fixture.config, encoding: .utf8)
        try fixture.editConfig(yaml, replacing: "website: 0.12", with: "website: 0.20")
        #expect(try yearRun(2024)["snapshot"] as? String == "v0005")
        try yaml.write(to: fixture.config, atomically: true, encoding: .utf8)
        let reverted = try night()
        #expect(reverted.builtOnLastFullRun, "\(reverted.stderr)")
        #expect(reverted.written == "", "\(reverted.stderr)")
        #expect(reverted.outcome == "snapshot")
        #expect(reverted.snapshot == "v0006")
        let v4 = try #require(try fixture.reportsWritten().first { $0["snapshot"] as? String == "v0004" })
        #expect(reverted.contentSHA256 == v4["content_sha256"] as? String)

        // The last full run's file no longer as published (a byte changed): not built on; the
        // night computes every year from the latest, as before, with the same figures.
        try add("2024-04-01_2024.zip", "T40,2024-10-10,1000000,completed,website,,67\n")
        #expect(try yearRun(2024)["snapshot"] as? String == "v0007")
        let v6 = fixture.snapshots.appendingPathComponent("grdp-v0006.sqlite")
        let original = try Data(contentsOf: v6)
        var damaged = original
        damaged[damaged.count / 2] ^= 0xFF
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: v6.path)
        try damaged.write(to: v6)
        let fallback = try night()
        #expect(!fallback.builtOnLastFullRun)
        #expect(fallback.stderr.contains(Self.notAsPublished), "\(fallback.stderr)")
        #expect(fallback.written == nil)
        #expect(fallback.outcome == "up-to-date")
        try original.write(to: v6)

        // The latest (`run --year`'s) damaged instead: the night still builds on the last full
        // run's (v0007, which the night before found up to date), and says so; with no latest to
        // compare with, it publishes.
        try add("2024-04-05_2024.zip", "T41,2024-11-11,2000000,completed,website,,67\n")
        #expect(try yearRun(2024)["snapshot"] as? String == "v0008")
        let v8 = fixture.snapshots.appendingPathComponent("grdp-v0008.sqlite")
        let published = try Data(contentsOf: v8)
        damaged = published
        damaged[damaged.count / 2] ^= 0xFF
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: v8.path)
        try damaged.write(to: v8)
        let latestDamaged = try night()
        #expect(latestDamaged.builtOnLastFullRun, "\(latestDamaged.stderr)")
        #expect(
            latestDamaged.stderr.contains("the new snapshot is built on the last full run's and the returns"),
            "\(latestDamaged.stderr)")
        #expect(latestDamaged.stderr.contains("copied from the last full run's snapshot"), "\(latestDamaged.stderr)")
        #expect(latestDamaged.written == "2024", "\(latestDamaged.stderr)")
        #expect(latestDamaged.snapshot == "v0009")
        #expect(try SnapshotStore(folder: fixture.snapshots).open(version: 9).meta.parentVersion == nil)
        try published.write(to: v8)
    }
    /// `keep_snapshots: 1`: the `run --year` snapshot pruned the last full run's, so the night has
    /// nothing to build on but the latest; it computes every year, with `run --force`'s figures.
    @Test func aNightAfterRunYearThatPrunedTheLastFullRunsSnapshotComputesEveryYear() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try Fixture.pipelineYAML.replacingOccurrences(
            of: "  folder: Outputs\n", with: "  folder: Outputs\n  keep_snapshots: 1\n"
        ).write(to: fixture.config, atomically: true, encoding: .utf8)
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        try fixture.write(
            [.init(path: "transactions.csv", text: Self.orders + "T22,2024-06-06,3000000,completed,marketplace,,67\n")],
            format: .zip, as: "2024-02-01_revised.zip")
        #expect(try fixture.grdp("run", "--year", "2024").status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0002.sqlite"])
        let night = try fixture.grdp("run", "--verbose")
        #expect(night.status == 0, "\(night.stderr)")
        #expect(!night.stderr.contains(Self.builtOn), "\(night.stderr)")
        #expect(!night.stderr.contains("only these years are touched"), "\(night.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "up-to-date")
        #expect(try fixture.contentHashFromScratch() == report["content_sha256"] as? String)
    }
}
