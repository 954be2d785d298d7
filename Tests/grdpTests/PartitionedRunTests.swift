import Foundation
import GRDPCore
import Testing

/// How a run takes its revisions follows the size of its inputs (`PartitionedRevisions.isChosen`):
/// past the threshold, by key partition, a year at a time; below, in the resident ledger. Either
/// way the same snapshot, the same superseded counts, the same exports.
@Suite struct PartitionedRunTests {
    /// Orders sent again across three returns, one of them dated before the others (ranked first
    /// in revision order although read last), over two years.
    private static func orders(
        _ ids: ClosedRange<Int>, year: Int, amount: Int, path: String = "transactions.csv"
    ) -> ArchiveWriter.Entry {
        .init(
            path: path,
            text: "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
                + ids.map { "T\($0),\(year)-0\(1 + $0 % 9)-15,\(amount + $0),completed,marketplace,0101243150,67\n" }
                .joined())
    }

    private struct Outcome: Equatable {
        var hashes: [String]
        var superseded: [String]
        var csv: String
    }

    /// Three runs (a first, a night with a revision, a night with a return dated earlier) under
    /// `environment`: their content hashes, each member's superseded count after the last, and
    /// the exported table.
    private static func nights(_ environment: [String: String], partitioned: Bool) throws -> Outcome {
        let fixture = try Fixture()
        defer { fixture.remove() }
        var hashes: [String] = []
        // `fromKept`: the key pass takes the new archives' keys alone, from what the last one kept.
        // `byYear`: partitioned, the night computes several years, each year's sales rows compared
        // with the latest file's in its copy before the next year's are computed.
        func run(fromKept: Bool, byYear: Bool = false) throws {
            let run = try fixture.grdp(["run", "--verbose"], environment: environment)
            try #require(run.status == 0, "\(run.stderr)")
            #expect(
                run.stderr.contains("compared with the latest snapshot's and hashed a year at a time years=2023,2024")
                    == (partitioned && byYear), "\(run.stderr)")
            #expect(run.stderr.contains("Revisions taken by key partition") == partitioned, "\(run.stderr)")
            #expect(run.stderr.contains("from_kept=true") == (partitioned && fromKept), "\(run.stderr)")
            let report = try #require(try fixture.reportsWritten().last)
            hashes.append(try #require(report["content_sha256"] as? String))
            // CONTRACT §8: the report's stages, each a time (Compute a year at a time runs inside
            // the publish, and is counted as Compute's, not twice).
            let stages = try #require(report["stages"] as? [String: Any])
            for stage in ["unpack", "normalize", "compute", "snapshot"] {
                let seconds = try #require(stages[stage] as? Double, "\(stage) in \(stages)")
                #expect(seconds >= 0, "\(stage): \(seconds)")
            }
        }
        try fixture.write(
            Fixture.firstReturn + [orders(10...60, year: 2023, amount: 1000)], format: .zip, as: "2024-01-10_a.zip")
        try run(fromKept: false)
        // The revision: orders 40-80 again, some into 2024, and the retailer's value added.
        try fixture.write(
            Fixture.revision + [orders(40...80, year: 2024, amount: 7000)], format: .zip, as: "2024-02-01_b.zip")
        try run(fromKept: true, byYear: true)
        // Dated before the first: its orders 1-45 lose to both later returns where they meet.
        try fixture.write([orders(1...45, year: 2023, amount: 3)], format: .zip, as: "2023-12-01_c.zip")
        try run(fromKept: true)
        let report = try #require(try fixture.reportsWritten().last)
        var superseded: [String] = []
        for archive in report["archives"] as? [[String: Any]] ?? [] {
            for member in archive["members"] as? [[String: Any]] ?? [] {
                superseded.append("\(archive["path"] ?? "") \(member["path"] ?? "") \(member["rows_superseded"] ?? "")")
            }
        }
        // The kept ledger is the resident ledger's alone.
        let keptLedger = fixture.outputs.appendingPathComponent("cache/ledger.bin").path
        if partitioned { #expect(!FileManager.default.fileExists(atPath: keptLedger)) }
        let export = try fixture.grdp(["export", "--format", "csv"], environment: environment)
        #expect(export.status == 0)
        #expect(try fixture.grdp(["verify"], environment: environment).status == 0)
        return Outcome(hashes: hashes, superseded: superseded.sorted(), csv: export.stdout)
    }

    @Test func pastTheThresholdTheRevisionsArePartitionedWithTheSameFigures() throws {
        let ledger = try Self.nights(["GRDP_LEDGER": "memory", "GRDP_KEEP_LEDGER_FROM": "0"], partitioned: false)
        let partitioned = try Self.nights(
            ["GRDP_PARTITIONED_FROM": "0", "GRDP_LEDGER_PARTITIONS": "2"], partitioned: true)
        #expect(partitioned == ledger)
        // Not vacuous: each night changed the figures, and rows were superseded.
        #expect(Set(ledger.hashes).count == 3)
        #expect(ledger.superseded.count >= 4)
        #expect(ledger.superseded.contains { !$0.hasSuffix(" 0") })
    }

    /// The night a set grows past the threshold goes by key partition that night: the last run's
    /// key count plus one key per 24 bytes of the archives it did not read (review 48, M3: with the
    /// count alone, a set grown from 0.88 M to 1.76 M keys took that night on the resident ledger).
    @Test func aSetGrowingPastTheThresholdIsPartitionedTheNightItDoes() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(
            Fixture.firstReturn + [Self.orders(1...30, year: 2023, amount: 500)], format: .zip, as: "2024-01-01_a.zip")
        func bytes(_ name: String) throws -> Int {
            try #require(
                try FileManager.default.attributesOfItem(atPath: fixture.returns.appendingPathComponent(name).path)[
                    .size] as? Int)
        }
        // Past what the first archive's bytes count for, cold, and within what the last run's keys
        // and the second archive's bytes count for.
        let first = try bytes("2024-01-01_a.zip")
        let threshold = first / 24 + 1
        let environment = ["GRDP_PARTITIONED_FROM": "\(threshold)"]
        let cold = try fixture.grdp(["run", "--verbose"], environment: environment)
        try #require(cold.status == 0, "\(cold.stderr)")
        #expect(!cold.stderr.contains("Revisions taken by key partition"), "\(cold.stderr)")
        // A small return: the keys counted and its bytes stay under (the bytes of the archives the
        // last run read are not counted again).
        let report = try #require(try fixture.reportsWritten().last)
        let keys = (report["archives"] as? [[String: Any]] ?? []).flatMap { $0["members"] as? [[String: Any]] ?? [] }
            .filter { $0["kind"] as? String == "transaction" }.reduce(0) { $0 + ($1["rows_accepted"] as? Int ?? 0) }
        try fixture.write([Self.orders(31...31, year: 2023, amount: 500)], format: .zip, as: "2024-01-15_t.zip")
        try #require(keys + (try bytes("2024-01-15_t.zip")) / 24 < threshold, "the small return is small")
        try #require(keys + (first + (try bytes("2024-01-15_t.zip"))) / 24 >= threshold, "not vacuous")
        let small = try fixture.grdp(["run", "--verbose"], environment: environment)
        try #require(small.status == 0, "\(small.stderr)")
        #expect(!small.stderr.contains("Revisions taken by key partition"), "\(small.stderr)")
        try fixture.write(
            [Self.orders(31...500, year: 2024, amount: 700, path: "transactions_2024.csv")], format: .zip,
            as: "2024-02-01_b.zip")
        try #require(keys + (try bytes("2024-02-01_b.zip")) / 24 >= threshold, "the large return is large")
        let night = try fixture.grdp(["run", "--verbose"], environment: environment)
        try #require(night.status == 0, "\(night.stderr)")
        #expect(night.stderr.contains("Revisions taken by key partition"), "\(night.stderr)")
        let hash = try #require(try fixture.reportsWritten().last?["content_sha256"] as? String)
        let force = try fixture.grdp(["run", "--force"], environment: environment)
        try #require(force.status == 0)
        #expect(try fixture.reportsWritten().last?["content_sha256"] as? String == hash)
    }

    /// `run --year` of two years with a year between them kept (2022 and 2024 of 2022-2024),
    /// partitioned: each year computed, compared with the latest file's rows in its copy and hashed
    /// before the next, the kept year's rows hashed from that file between them. The snapshot of
    /// the resident ledger's `run --year`, which `verify` reads back to the same content hash; and
    /// 2023 kept as it was, although the new return revised it too.
    @Test func severalYearsRecomputedAYearAtATimeGiveTheLedgersSnapshot() throws {
        func outcome(_ environment: [String: String], partitioned: Bool) throws -> [String] {
            let fixture = try Fixture()
            defer { fixture.remove() }
            try fixture.write(
                Fixture.firstReturn + [Self.orders(1...30, year: 2022, amount: 500)], format: .zip,
                as: "2024-01-01_a.zip")
            try fixture.write(
                [
                    Self.orders(31...60, year: 2023, amount: 600),
                    Self.orders(61...90, year: 2024, amount: 700, path: "transactions_2024.csv"),
                ], format: .zip, as: "2024-01-02_b.zip")
            #expect(try fixture.grdp(["run"], environment: environment).status == 0)
            // Every year revised: 2022 and 2024 recomputed, 2023 kept.
            try fixture.write(
                [
                    Self.orders(20...25, year: 2022, amount: 9000),
                    Self.orders(40...45, year: 2023, amount: 9000, path: "transactions_2023.csv"),
                    Self.orders(70...75, year: 2024, amount: 9000, path: "transactions_2024.csv"),
                ], format: .zip, as: "2024-02-01_c.zip")
            let run = try fixture.grdp(
                ["run", "--verbose", "--year", "2022", "--year", "2024"], environment: environment)
            try #require(run.status == 0, "\(run.stderr)")
            let byYear = "compared with the latest snapshot's and hashed a year at a time years=2022,2024"
            #expect(run.stderr.contains(byYear) == partitioned, "\(run.stderr)")
            // The hash taken as the rows were written, not read back (as the ledger's run, whose
            // hash from memory cannot go past a kept year, does).
            if partitioned { #expect(!run.stderr.contains("Content hash read back"), "\(run.stderr)") }
            let verify = try fixture.grdp(["verify"], environment: environment)
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            let export = try fixture.grdp(["export", "--format", "csv"], environment: environment)
            #expect(export.status == 0)
            let hash = try #require(try fixture.reportsWritten().last?["content_sha256"] as? String)
            return [hash, export.stdout]
        }
        let ledger = try outcome(["GRDP_LEDGER": "memory"], partitioned: false)
        let partitioned = try outcome(["GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "2"], partitioned: true)
        #expect(partitioned == ledger)
    }

    /// Switching ways between nights (inputs growing past the threshold, or an operator choosing):
    /// the partitioned night removes the ledger an earlier run kept, the ledger's night after it
    /// starts without one, and every night has the figures of `run --force`.
    @Test func switchingWaysBetweenNightsKeepsTheFigures() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let keptLedger = fixture.outputs.appendingPathComponent("cache/ledger.bin").path
        let ledger = ["GRDP_LEDGER": "memory", "GRDP_KEEP_LEDGER_FROM": "0"]
        let partitioned = ["GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "2"]
        func night(_ environment: [String: String], _ index: Int) throws {
            try fixture.write(
                [Self.orders((10 * index)...(10 * index + 40), year: 2023 + index % 2, amount: 100 * index)],
                format: .zip, as: "2024-0\(index)-01_n.zip")
            let run = try fixture.grdp(["run"], environment: environment)
            try #require(run.status == 0, "\(run.stderr)")
            let hash = try #require(try fixture.reportsWritten().last?["content_sha256"] as? String)
            #expect(
                try fixture.contentHashFromScratch(environment: ["GRDP_LEDGER": "memory"]) == hash, "night \(index)")
        }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-01_a.zip")
        try night(ledger, 1)
        #expect(FileManager.default.fileExists(atPath: keptLedger))
        try night(partitioned, 2)
        #expect(!FileManager.default.fileExists(atPath: keptLedger))
        try night(ledger, 3)
        #expect(FileManager.default.fileExists(atPath: keptLedger))
        try night(ledger, 4)
        try night(partitioned, 5)
    }

    /// A night looks up the earlier rows of only the returns whose order ids may be its orders'
    /// (each member's least and greatest id number per id prefix, kept by the key pass before:
    /// `StemSpans`): orders numbered past every return's read none of them; a revision reads the
    /// return it revises, not the others. The snapshot is `run --force`'s.
    @Test func aNightLooksUpOnlyTheReturnsItsOrderIdsMayRevise() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let environment = ["GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "2"]
        // T100…T160 beside the first return's T1…T4 (another prefix: one digit), then T200…T260.
        try fixture.write(
            Fixture.firstReturn + [Self.orders(100...160, year: 2023, amount: 1000)], format: .zip,
            as: "2024-01-10_a.zip")
        try fixture.write([Self.orders(200...260, year: 2024, amount: 2000)], format: .zip, as: "2024-01-20_b.zip")
        try #require(try fixture.grdp(["run"], environment: environment).status == 0)
        func night(lookingUp rows: Int) throws {
            let night = try fixture.grdp(["run", "--verbose"], environment: environment)
            try #require(night.status == 0, "\(night.stderr)")
            #expect(night.stderr.contains("from_kept=true kept_rows_looked_up=\(rows) "), "\(night.stderr)")
        }
        try fixture.write([Self.orders(300...310, year: 2024, amount: 3000)], format: .zip, as: "2024-02-01_c.zip")
        try night(lookingUp: 0)
        // Orders 250…255 again: the 61 rows of the second return's member, not the 65 of the
        // first's two nor the third's 11.
        try fixture.write([Self.orders(250...255, year: 2024, amount: 9000)], format: .zip, as: "2024-02-02_d.zip")
        try night(lookingUp: 61)
        let hash = try #require(try fixture.reportsWritten().last?["content_sha256"] as? String)
        try #require(try fixture.grdp(["run", "--force"], environment: environment).status == 0)
        #expect(try fixture.reportsWritten().last?["content_sha256"] as? String == hash)
    }

    /// What the last key pass kept (`cache/current-rows.bin`) is used only when sound: damaged, the
    /// night takes every key again, with the figures of `run --force`; `--force` never uses it.
    @Test func aDamagedKeptStateIsNotUsed() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let environment = ["GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "2"]
        let kept = fixture.outputs.appendingPathComponent("cache/current-rows.bin")
        try fixture.write(
            Fixture.firstReturn + [Self.orders(10...60, year: 2023, amount: 1000)], format: .zip, as: "2024-01-10_a.zip"
        )
        #expect(try fixture.grdp(["run"], environment: environment).status == 0)
        var bytes = try [UInt8](Data(contentsOf: kept))
        bytes[bytes.count / 2] ^= 1
        try Data(bytes).write(to: kept)
        try fixture.write([Self.orders(40...80, year: 2024, amount: 7000)], format: .zip, as: "2024-02-01_b.zip")
        let night = try fixture.grdp(["run", "--verbose"], environment: environment)
        try #require(night.status == 0, "\(night.stderr)")
        #expect(night.stderr.contains("from_kept=false"), "\(night.stderr)")
        let hash = try #require(try fixture.reportsWritten().last?["content_sha256"] as? String)
        // Rewritten whole by that night: sound again.
        #expect(try [UInt8](Data(contentsOf: kept)) != bytes)
        let force = try fixture.grdp(["run", "--force", "--verbose"], environment: environment)
        #expect(force.status == 0)
        #expect(force.stderr.contains("from_kept=false"), "\(force.stderr)")
        #expect(try fixture.reportsWritten().last?["content_sha256"] as? String == hash)
    }

    /// The partition files filling the disk half way through the key pass (here the file-size
    /// limit of `ulimit -f`, whose EFBIG stands for a full disk's ENOSPC; SIGXFSZ ignored, as a full
    /// disk sends none): the keys are taken in memory, the run says so, and it publishes the figures
    /// of a run with room. Once, a failed write left its buffer full and every later key went past
    /// its end: the run died of a corrupted heap (exit 134, no report).
    @Test func partitionFilesThatFillTheDiskHalfWayCostOnlyTime() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let environment = ["GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "2"]
        // 400,000 orders of one seller in one month: each part's file of each partition reaches
        // ~1.6 MB (16 bytes a key), past the limit of 1,280 KiB, while the snapshot, a few sales
        // rows, stays under it (~1,088 KiB: a 64 KiB page or so for each table and index).
        let orders =
            "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
            + (1...400_000).map { "T\($0),2023-06-15,\(1000 + $0 % 97),completed,marketplace,0101243150,67\n" }
            .joined()
        try fixture.write(
            Fixture.firstReturn + [.init(path: "transactions.csv", text: orders)], format: .zip, as: "2024-01-10_a.zip")
        let limited = try Execution.run(
            ["-c", "ulimit -f 1280 && trap '' XFSZ && exec \"$0\" \"$@\"", Execution.binary.path, "run"],
            in: fixture.root, environment: environment, executable: "/bin/bash")
        try #require(limited.status == 0, "\(limited.stderr)")
        #expect(
            limited.stderr.contains("Revision keys taken in memory: their partition files could not be written"),
            "\(limited.stderr)")
        let hash = try #require(try fixture.reportsWritten().last?["content_sha256"] as? String)
        #expect(try fixture.grdp(["run", "--force"], environment: environment).status == 0)
        #expect(try fixture.reportsWritten().last?["content_sha256"] as? String == hash)
    }

    /// What the key pass found cannot be kept (here a folder stands where the file goes, so that
    /// it cannot be replaced): only time is lost. The run publishes the figures of `run --force`
    /// and says why, and the next night takes every key again.
    @Test func currentRowsThatCannotBeKeptCostOnlyTime() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let environment = ["GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "2"]
        let kept = fixture.outputs.appendingPathComponent("cache/current-rows.bin")
        try FileManager.default.createDirectory(
            at: kept.appendingPathComponent("in the way"), withIntermediateDirectories: true)
        try fixture.write(
            Fixture.firstReturn + [Self.orders(10...60, year: 2023, amount: 1000)], format: .zip, as: "2024-01-10_a.zip"
        )
        var hashes: [String] = []
        for next in ["2024-02-01_b.zip", "2024-03-01_c.zip", nil] {
            let run = try fixture.grdp(["run", "--verbose"], environment: environment)
            try #require(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("The current rows could not be kept for the next run"), "\(run.stderr)")
            #expect(run.stderr.contains("from_kept=false"), "\(run.stderr)")
            hashes.append(try #require(try fixture.reportsWritten().last?["content_sha256"] as? String))
            if let next {
                try fixture.write(
                    [Self.orders((40 + hashes.count)...80, year: 2024, amount: 7000 * hashes.count)], format: .zip,
                    as: next)
            }
        }
        #expect(Set(hashes).count == 3, "each night changed the figures")
        #expect(try fixture.grdp(["run", "--force"], environment: environment).status == 0)
        #expect(try fixture.reportsWritten().last?["content_sha256"] as? String == hashes.last)
    }

    /// A night's groups of the year it touches come from those the run before kept
    /// (`cache/kept-groups.bin`, bound to `current-rows.bin`), its new rows added and the rows they
    /// replace taken away: night after night, the figures of `run --force`. Damaged, the groups are
    /// taken from every row; when they cannot be kept, only time is lost.
    @Test func nightsUpdateTheGroupsTheRunBeforeKept() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let environment = ["GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "2"]
        let keptGroups = fixture.outputs.appendingPathComponent("cache/kept-groups.bin")
        /// A night with orders `ids` of 2024 (some sent before): whether its groups came from the
        /// kept ones, after checking its figures, and the sales digests it recorded for the next
        /// run, against `run --force`'s on a copy.
        func night(_ ids: ClosedRange<Int>, amount: Int, as name: String) throws -> String {
            try fixture.write([Self.orders(ids, year: 2024, amount: amount)], format: .zip, as: name)
            let run = try fixture.grdp(["run", "--verbose"], environment: environment)
            try #require(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("from_kept=true"), "the key pass resumed: \(run.stderr)")
            let hash = try #require(try fixture.reportsWritten().last?["content_sha256"] as? String)
            let digests = try #require(try fixture.recordedSalesDigests())
            let scratch = try fixture.fromScratch(environment: environment)
            #expect(scratch.hash == hash, "\(name)")
            #expect(scratch.salesDigests == digests, "\(name)")
            return run.stderr
        }
        // 2023 and 2024 (T3 falls on 2024-01-01 local time): the full run keeps 2024's groups.
        try fixture.write(
            Fixture.firstReturn + [Self.orders(10...60, year: 2024, amount: 1000)], format: .zip,
            as: "2024-01-10_a.zip")
        #expect(try fixture.grdp(["run"], environment: environment).status == 0)
        #expect(FileManager.default.fileExists(atPath: keptGroups.path))
        // Orders 40-60 sent again (their groups' sums change), 61-80 new; then again.
        // The latest file's rows of the touched keys made from the groups as they were, not read:
        // its run kept those groups with the records of this night.
        let made = "compared_with=the touched keys' rows the kept groups made"
        var log = try night(40...80, amount: 7000, as: "2024-02-01_b.zip")
        #expect(log.contains("updated_from_kept=true"), "\(log)")
        #expect(log.contains(made), "\(log)")
        let afterB = try Data(contentsOf: keptGroups)
        log = try night(30...90, amount: 9, as: "2024-03-01_c.zip")
        #expect(log.contains("updated_from_kept=true"), "\(log)")
        #expect(log.contains(made), "\(log)")
        // The groups of a state before (sound, but another token): not used.
        try afterB.write(to: keptGroups)
        log = try night(60...70, amount: 4, as: "2024-03-15_c2.zip")
        #expect(log.contains("updated_from_kept=false"), "\(log)")
        // Damaged: not used, and written again whole.
        var bytes = try [UInt8](Data(contentsOf: keptGroups))
        bytes[bytes.count / 2] ^= 1
        try Data(bytes).write(to: keptGroups)
        log = try night(85...95, amount: 3, as: "2024-04-01_d.zip")
        #expect(log.contains("updated_from_kept=false"), "\(log)")
        #expect(try [UInt8](Data(contentsOf: keptGroups)) != bytes)
        log = try night(11...12, amount: 5, as: "2024-05-01_e.zip")
        #expect(log.contains("updated_from_kept=true"), "\(log)")
        #expect(log.contains(made), "\(log)")
        // Its orders are of March and April: January's and February's digests for the next run
        // are the last run's (checked above against run --force's), not hashed again.
        let taken = "Month digests before the first touched month taken from the last run's record"
        #expect(log.contains("\(taken) first=2024-03 months=2"), "\(log)")
        // Every order of January sent again cancelled: January's completed group loses its last
        // one and is taken out of the kept groups' index (`SlotIndex.remove`), which is written
        // for the night after, which updates the groups kept so.
        let january = (10...95).filter { 1 + $0 % 9 == 1 }
        try fixture.write(
            [
                .init(
                    path: "transactions.csv",
                    text: "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
                        + january.map { "T\($0),2024-01-15,\(100 + $0),cancelled,marketplace,0101243150,67\n" }
                        .joined())
            ], format: .zip, as: "2024-05-02_x.zip")
        let emptied = try fixture.grdp(["run", "--verbose"], environment: environment)
        try #require(emptied.status == 0, "\(emptied.stderr)")
        #expect(emptied.stderr.contains("updated_from_kept=true"), "\(emptied.stderr)")
        #expect(emptied.stderr.contains("emptied=1 "), "\(emptied.stderr)")
        #expect(
            try fixture.contentHashFromScratch(environment: environment)
                == (try fixture.reportsWritten().last?["content_sha256"] as? String))
        log = try night(13...14, amount: 6, as: "2024-05-03_x2.zip")
        #expect(log.contains("updated_from_kept=true"), "\(log)")
        #expect(log.contains(made), "\(log)")
        // A night whose return also brings a 2024 record that seller matching reads (the seller
        // becomes ICT core, its orders no longer counted): its groups still come from the kept
        // ones, but the file's rows are not those the groups made with these records, so the rows
        // are compared with the file's.
        try fixture.write(
            [
                Self.orders(23...24, year: 2024, amount: 4),
                .init(
                    path: "enterprise.csv",
                    text: "tax_code,year,vsic,value_added,name,district_code\n0101243150,2024,62010,1500,Z,660\n"),
            ], format: .zip, as: "2024-05-10_r.zip")
        let records = try fixture.grdp(["run", "--verbose"], environment: environment)
        try #require(records.status == 0, "\(records.stderr)")
        #expect(records.stderr.contains("updated_from_kept=true"), "\(records.stderr)")
        #expect(!records.stderr.contains(made), "\(records.stderr)")
        #expect(try fixture.grdp("verify").status == 0)
        // `run --year` reads a new return and keeps neither state nor groups; the night after it
        // builds on the last full run's snapshot (`last-run.json` does not describe the latest),
        // whose groups it updates, with that return's orders as new; so does the night after.
        try fixture.write([Self.orders(17...18, year: 2024, amount: 8)], format: .zip, as: "2024-05-15_y.zip")
        let year = try fixture.grdp(["run", "--year", "2024", "--verbose"], environment: environment)
        try #require(year.status == 0, "\(year.stderr)")
        #expect(year.stderr.contains("updated_from_kept=false"), "\(year.stderr)")
        log = try night(19...20, amount: 9, as: "2024-05-20_e2.zip")
        #expect(log.contains("Built on the last full run's snapshot"), "\(log)")
        #expect(log.contains("updated_from_kept=true"), "\(log)")
        log = try night(21...22, amount: 9, as: "2024-05-25_e3.zip")
        #expect(!log.contains("Built on the last full run's snapshot"), "\(log)")
        #expect(log.contains("updated_from_kept=true"), "\(log)")
        #expect(log.contains(made), "\(log)")
        // A folder where the file goes: the night says so, and the next groups every row.
        try FileManager.default.removeItem(at: keptGroups)
        try FileManager.default.createDirectory(
            at: keptGroups.appendingPathComponent("in the way"), withIntermediateDirectories: true)
        log = try night(13...14, amount: 6, as: "2024-06-01_f.zip")
        #expect(log.contains("The transaction groups could not be kept for the next run"), "\(log)")
        log = try night(15...16, amount: 7, as: "2024-07-01_g.zip")
        #expect(log.contains("updated_from_kept=false"), "\(log)")
    }

    /// A return sent again whole with a few new orders (its other orders re-sent unchanged: the
    /// same group, the same net): the night computes only the year of the new orders, with the
    /// figures of `run --force` (the ledger built anew may compute every year, and write that one);
    /// partitioned, that year's
    /// groups still come from those the run before kept, the members of the other years let go.
    /// A return of unchanged orders alone touches no year, and leaves the kept groups for the next
    /// night; one order re-sent with another amount touches its year again.
    @Test(arguments: NightlyRandomTests.Revisions.allCases)
    func ordersResentUnchangedTouchNoYear(revisions: NightlyRandomTests.Revisions) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let environment = revisions.environment
        /// A night: the years it wrote and its log, after checking its figures against `run
        /// --force`'s on a copy.
        func night(_ entries: [ArchiveWriter.Entry], as name: String) throws -> (years: String?, log: String) {
            try fixture.write(entries, format: .zip, as: name)
            let run = try fixture.grdp(["run", "--verbose"], environment: environment)
            try #require(run.status == 0, "\(run.stderr)")
            let report = try #require(try fixture.reportsWritten().last)
            let hash = try #require(report["content_sha256"] as? String)
            #expect(try fixture.contentHashFromScratch(environment: environment) == hash, "\(name)")
            #expect(try fixture.grdp(["verify"], environment: environment).status == 0)
            // The years it wrote, the others copied from the latest file: computed alone, or (the
            // ledger built anew may compute every year) found changed.
            let line = run.stderr.split(separator: "\n").first {
                $0.contains("Sales rows of unchanged years copied from the latest snapshot")
            }
            let years = line.flatMap { $0.range(of: "written=") }.map {
                String(line![$0.upperBound...].prefix { $0 != " " })
            }
            let computedAlone = line?.contains("why=only these years are touched by the returns read since") == true
            if revisions != .ledger { #expect(computedAlone, "\(run.stderr)") }
            return (years, run.stderr)
        }
        let year2022 = Self.orders(1...30, year: 2022, amount: 500, path: "transactions_2022.csv")
        let year2023 = Self.orders(31...60, year: 2023, amount: 600, path: "transactions_2023.csv")
        try fixture.write(
            [year2022, year2023, Self.orders(61...90, year: 2024, amount: 700)], format: .zip, as: "2024-01-10_a.zip")
        #expect(try fixture.grdp(["run"], environment: environment).status == 0)
        // 2022's and 2023's orders again as they were, and new orders of 2024.
        var tonight = try night(
            [year2022, year2023, Self.orders(91...95, year: 2024, amount: 800)], as: "2024-02-01_b.zip")
        #expect(tonight.years == "2024", "\(tonight.log)")
        if revisions == .partitioned { #expect(tonight.log.contains("updated_from_kept=true"), "\(tonight.log)") }
        // Nothing but orders re-sent unchanged: no year computed, a snapshot of the same figures
        // (its archives are not the same). (The ledger built anew applies this return first,
        // before the cached ones, whose records it then finds superseded as they arrive: the same
        // comparison.) Partitioned, 2024's groups are kept again for the next night's state.
        tonight = try night([year2023], as: "2024-02-15_c.zip")
        #expect(tonight.years == "", "\(tonight.log)")
        #expect(tonight.log.contains("resent_unchanged=30"), "\(tonight.log)")
        tonight = try night([Self.orders(96...97, year: 2024, amount: 900)], as: "2024-03-01_d.zip")
        #expect(tonight.years == "2024", "\(tonight.log)")
        if revisions == .partitioned { #expect(tonight.log.contains("updated_from_kept=true"), "\(tonight.log)") }
        // 2022's again, order 30 with another amount.
        tonight = try night(
            [
                Self.orders(1...29, year: 2022, amount: 500, path: "transactions_2022.csv"),
                Self.orders(30...30, year: 2022, amount: 501, path: "transactions_2022b.csv"),
            ], as: "2024-03-15_e.zip")
        #expect(tonight.years == "2022", "\(tonight.log)")
    }

    /// The bundled-sample sizes stay with the ledger unless told otherwise.
    @Test func belowTheThresholdTheLedgerIsUsed() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        let run = try fixture.grdp(["run", "--verbose"], environment: ["GRDP_LEDGER": ""])
        #expect(run.status == 0)
        #expect(!run.stderr.contains("Revisions taken by key partition"))
        #expect(run.stderr.contains("Revisions applied"))
    }
}
