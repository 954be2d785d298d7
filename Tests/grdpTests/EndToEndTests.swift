import Foundation
import Testing

@testable import GRDPCore

/// Runs of the built `grdp` binary against returns built in the test (CONTRACT §7, §8).
@Suite struct EndToEndTests {
    /// 180,000 transactions of one seller and month, each 999999999999999.999999999999999999 VND:
    /// within the money limit (10¹⁵ VND) and the 18 decimal places a figure may have, but their
    /// exact sum needs 39 digits, one more than grdp computes money in.
    static let rowsWhoseSumOverflows = (0..<180_000).map {
        "S\($0),2023-06-02,999999999999999.999999999999999999,completed,website,,67\n"
    }.joined()

    static let header =
        "year,grdp_bvnd,core_bvnd,ecommerce_bvnd,digitised_bvnd,de_bvnd,share_pct,target_pct,target_kind,gap_pp,status"

    /// Same seed, same bytes (CONTRACT §7), in any time zone: zip entry times are written as
    /// libarchive computes them, in local time, so `generate` pins UTC. Before, a run in Hà Nội
    /// wrote zips (and a sample content hash) unlike the committed ones.
    @Test func generateWritesTheSameBytesInAnyTimeZone() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        var trees: [[String: Data]] = []
        for zone in ["UTC", "Asia/Ho_Chi_Minh", "America/Los_Angeles"] {
            let out = fixture.root.appendingPathComponent("gen-\(trees.count)")
            let made = try fixture.grdp(
                ["--quiet", "generate", "--out", out.path, "--transactions", "300"], environment: ["TZ": zone])
            #expect(made.status == 0, "\(made.stderr)")
            let returns = out.appendingPathComponent("returns")
            let names = try #require(FileManager.default.subpaths(atPath: returns.path))
            var tree: [String: Data] = [:]
            for name in names {
                let url = returns.appendingPathComponent(name)
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue {
                    tree[name] = try Data(contentsOf: url)
                }
            }
            #expect(tree.keys.contains { $0.hasSuffix(".zip") })
            trees.append(tree)
        }
        #expect(trees[1] == trees[0] && trees[2] == trees[0])
    }

    @Test func firstRunPublishesTheHandComputedFigures() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        try Data("not a return".utf8).write(to: fixture.returns.appendingPathComponent("README.txt"))

        let exported = try fixture.runThenExportCSV()
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
        // 2023: core = 1,500 million VND = 1.500 billion.
        //   ecommerce = T1 100,000,000 × 0.08 + T2 50,000,000 × 0.12 = 8,000,000 + 6,000,000 VND = 0.014 billion.
        //   (T3 is 2024 in Vietnam; T4's seller is in province 79: excluded.)
        //   digitised = (2,500.5 million revised → 2.5005 − 0.008 of its own e-commerce) × 0.05 = 0.124625 → 0.125
        //   de = 1.5 + 0.014 + 0.124625 = 1.638625 → 1.639; share = 1.638625 / 51,000 × 100 = 0.0032129… → 0.0032
        //   target = 1.64 + (20 − 1.64) × 3/5 = 12.656; gap = 0.0032129 − 12.656 = −12.6527870… → −12.6528
        // 2024: ecommerce = T3 10,000,000 × 0.08 = 800,000 VND = 0.0008 → 0.001; share 0.0008/55,700 × 100 → 0.0000
        //   target = 1.64 + 18.36 × 4/5 = 16.328; gap → −16.3280
        #expect(
            exported == """
                \(Self.header)
                2023,51000.000,1.500,0.014,0.125,1.639,0.0032,12.6560,interpolated,-12.6528,behind
                2024,55700.000,0.000,0.001,0.000,0.001,0.0000,16.3280,interpolated,-16.3280,behind

                """)

        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "snapshot")
        #expect(report["snapshot"] as? String == "v0001")
        #expect(report["ignored_files"] as? [String] == ["README.txt"])
        let archives = try #require(report["archives"] as? [[String: Any]])
        #expect(archives.map { $0["path"] as? String } == ["2024-01-10_returns.zip", "2024-02-01_revision.tar.gz"])
        let members = try #require(archives[0]["members"] as? [[String: Any]])
        let enterprise = try #require(members.first { $0["path"] as? String == "enterprise.csv" })
        #expect(enterprise["rows_superseded"] as? Int == 1)
        let grdp = try #require(members.first { $0["path"] as? String == "grdp.csv" })
        #expect(
            grdp["rows_read"] as? Int == 3 && grdp["rows_excluded"] as? Int == 1 && grdp["rows_accepted"] as? Int == 2)

        // The configured export was written after the new snapshot, with its datapackage.json.
        let written = try String(
            contentsOf: fixture.outputs.appendingPathComponent("exports/target-vs-actual.csv"), encoding: .utf8)
        #expect(written == exported)
        #expect(
            FileManager.default.fileExists(
                atPath: fixture.outputs.appendingPathComponent("exports/datapackage.json").path))
    }

    /// The snapshot records the config's region (`snapshot_meta` `region_code`, `region_name`,
    /// outside the content hash), the exports name it, and `verify` takes the keys as grdp's own
    /// (export audit 31, L4: no export said which province its figures were of).
    @Test func theSnapshotRecordsItsRegionAndTheExportsNameIt() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let meta = try SnapshotStore(folder: fixture.snapshots).open(version: 1).meta
        #expect(meta.region == SnapshotMeta.Region(code: "67", name: "Đắk Nông"))
        let html = try fixture.grdp("export", "--format", "html")
        #expect(html.status == 0 && html.stdout.contains("<strong>Đắk Nông (province 67)</strong> · Snapshot"))
        #expect(
            try fixture.grdp("export", "--format", "md").stdout.contains(", Đắk Nông (province 67) (snapshot v0001)"))
        let verify = try fixture.grdp("verify")
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        // CONTRACT §6: the content hash is over every table but snapshot_meta, so a new region
        // name alone is no new content (up to date); `run --force` publishes the same content
        // under it.
        let renamed = Fixture.pipelineYAML.replacingOccurrences(of: "name: \"Đắk Nông\"", with: "name: \"Dak Nong\"")
        #expect(renamed != Fixture.pipelineYAML)
        try renamed.write(to: fixture.config, atomically: true, encoding: .utf8)
        let again = try fixture.grdp("run")
        #expect(again.status == 0 && again.stderr.contains("Up to date"), "\(again.stderr)")
        #expect(try fixture.grdp("run", "--force").status == 0)
        let store = SnapshotStore(folder: fixture.snapshots)
        let forced = try store.open(version: 2).meta
        #expect(forced.region == SnapshotMeta.Region(code: "67", name: "Dak Nong"))
        #expect(forced.contentSHA256 == meta.contentSHA256)
    }

    /// A header column that no column of its kind matches, directly or by an alias, is not read;
    /// a misspelled alias leaves one so, and with it a member's refunds went undeducted without a
    /// word (config audit 31, F2b). The report lists such columns per member; under a config other
    /// than the latest snapshot's (a first run, an edit) the run also says so, and of a new return
    /// the columns that no return already counted left unread.
    @Test func headerColumnsThatNoColumnMatchesAreListedAndSaidUnderANewConfig() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.editConfig(
            replacing: "  returns: returns\n",
            with: "  returns: returns\n  columns:\n    transaction: {refund_amount: [\"hoan tien\"]}\n")
        let returns: [ArchiveWriter.Entry] = [
            .init(
                path: "transactions.csv",
                text: "transaction_id,date,amount,status,Hoàn tiền\nT1,2023-06-01,100000000,completed,40000000\n")
        ]
        try fixture.write(returns, format: .zip, as: "2024-01-10_returns.zip")
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "WARNING 2024-01-10_returns.zip: member 'transactions.csv' has columns no transaction column matches, "
                    + "directly or by an alias of inputs.columns, which are not read: 'Hoàn tiền' (an alias spelt otherwise, "
                    + "or a column renamed?)"),
            "\(run.stderr)")
        func members() throws -> [[String: Any]] {
            let report = try #require(try fixture.reportsWritten().last)
            let archives = try #require(report["archives"] as? [[String: Any]])
            return try #require(archives.first?["members"] as? [[String: Any]])
        }
        #expect(try members().first?["columns_not_read"] as? [String] == ["Hoàn tiền"])

        // The same config a night later: listed in the report, not said again.
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        let night = try fixture.grdp("run")
        #expect(night.status == 0 && !night.stderr.contains("which are not read"), "\(night.stderr)")
        #expect(try members().first?["columns_not_read"] as? [String] == ["Hoàn tiền"])

        // A new return with a column no counted return left unread (a column renamed in it: audit
        // 33, A8) is said, also under --quiet; the column the counted returns left unread is not.
        let renamed: [ArchiveWriter.Entry] = [
            .init(
                path: "transactions.csv",
                text: "transaction_id,date,amount,status,Hoàn tiền,kenh\nT2,2023-07-01,5000000,completed,0,web\n")
        ]
        try fixture.write(renamed, format: .zip, as: "2024-03-01_returns.zip")
        let third = try fixture.grdp("--quiet", "run")
        #expect(third.status == 0, "\(third.stderr)")
        #expect(
            third.stderr.contains(
                "warning Header columns that no column of their kind matches, directly or by an alias, are not read "
                    + "archive=2024-03-01_returns.zip columns=kenh member=transactions.csv"), "\(third.stderr)")
        #expect(!third.stderr.contains("Hoàn tiền"), "\(third.stderr)")
    }

    /// A channel of `va_ratio_by_channel` that no transaction has is said (config audit 31, F2: a
    /// misspelled `marketplce` gave marketplace sales `va_ratio_default` without a word, +12 % of
    /// e-commerce value added), with the channels that take the default; the run still publishes,
    /// since a channel may be configured before its first return. Spelt right, nothing is said.
    @Test func aConfiguredChannelThatNoTransactionHasIsSaid() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let sound = try fixture.grdp("run")
        #expect(sound.status == 0 && !sound.stderr.contains("va_ratio_by_channel"), "\(sound.stderr)")
        #expect(try #require(try fixture.reportsWritten().last)["channels_without_sales"] == nil)

        try fixture.editConfig(replacing: "{marketplace: 0.08", with: "{marketplce: 0.08")
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "WARNING: methodology.ecommerce.va_ratio_by_channel names channel(s) no transaction has: 'marketplce' "
                    + "(a misspelling?); channels of the returns with no ratio of their own, which take "
                    + "va_ratio_default: 'marketplace'."), "\(run.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["channels_without_sales"] as? [String] == ["marketplce"])
        #expect(report["channels_without_ratio"] as? [String] == ["marketplace"])
        // Under a changed config, this warning speaks of the returns' channels, not the new ones'.
        #expect(!run.stderr.contains("new in the returns"), "\(run.stderr)")

        // Looked for when the config changed, not on every night: new returns under the same
        // config publish without the lookup.
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        let night = try fixture.grdp("run")
        #expect(night.status == 0 && night.stderr.contains("New snapshot v0003"), "\(night.stderr)")
        #expect(!night.stderr.contains("va_ratio_by_channel"), "\(night.stderr)")
    }

    /// The configured channels are looked for in the returns, not in the snapshot of a `run
    /// --year`, which holds only its years' rows at first (audit 36, F2: `run --year 1999`, a year
    /// without data, said every configured channel missing, a misspelling?).
    @Test func aRunYearWithoutTransactionsSaysNoConfiguredChannelMissing() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let run = try fixture.grdp("run", "--year", "1999")
        #expect(run.status == 0 && run.stderr.contains("Requested year has no data"), "\(run.stderr)")
        #expect(!run.stderr.contains("no transaction has"), "\(run.stderr)")
        #expect(try #require(try fixture.reportsWritten().last)["channels_without_sales"] == nil)
    }

    /// `run --year` keeps the other years' rows as they were (CONTRACT §7), a gone archive's
    /// among them: its warning says they still count there until a full run (audit 36, F1: "their
    /// rows no longer count", while the kept years held them, provenance and all).
    @Test func aGoneArchiveUnderRunYearIsSaidToCountStillInTheKeptYears() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        #expect(try fixture.grdp("run").status == 0)
        try FileManager.default.removeItem(at: fixture.returns.appendingPathComponent("2024-02-01_revision.tar.gz"))
        let run = try fixture.grdp("run", "--year", "2024", "--force")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "WARNING: 1 archive(s) counted in v0001 are no longer in the returns folder, under their name or any "
                    + "other: 2024-02-01_revision.tar.gz. Their rows no longer count in the years recomputed (2024); "
                    + "the years --year kept (2023) keep them until a full run (archives_gone in the report; "),
            "\(run.stderr)")
        // Written over with other bytes (the same entries, tar.gz in place of zip): the kept years
        // keep the earlier file's rows and count none of the new file's (review 37, L6).
        try fixture.write(Fixture.firstReturn, format: .tarGzip, as: "2024-01-10_returns.zip")
        let rewritten = try fixture.grdp("run", "--year", "2024", "--force")
        #expect(rewritten.status == 0, "\(rewritten.stderr)")
        #expect(
            rewritten.stderr.contains(
                "WARNING: 1 archive(s) counted in v0002 hold other bytes now: 2024-01-10_returns.zip. The rows counted "
                    + "are the new file's, the earlier file's no longer in the years recomputed (2024); the years --year "
                    + "kept (2023) keep the earlier file's rows, and none of the new file's, until a full run "
                    + "(archives_rewritten in the report)."), "\(rewritten.stderr)")
        // Every year asked for: nothing kept, nothing more to say.
        let all = try fixture.grdp("run", "--year", "2023", "--year", "2024", "--force")
        #expect(all.status == 0 && !all.stderr.contains("the years --year kept"), "\(all.stderr)")
    }

    /// An archive the latest snapshot counted that is no longer in the returns folder (deleted by
    /// mistake, a share synced halfway) is said, by `validate` and by the run that publishes
    /// without it, and listed in the report (`archives_gone`): its rows left the figures with an
    /// info line alone. Renamed or moved, or listed in `inputs.exclude`, an archive is not gone;
    /// nor is one the latest snapshot had excluded. One written over with other bytes is said too
    /// (`archives_rewritten`).
    @Test func anArchiveTheLatestSnapshotCountedThatIsGoneOrRewrittenIsSaid() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        #expect(try fixture.grdp("run").status == 0)
        func gone(_ report: [String: Any]?) -> [String]? {
            (report?["archives_gone"] as? [[String: Any]])?.map { "\($0["path"] ?? "") \($0["counted_in"] ?? "")" }
        }

        // Moved into a folder under another name: the same bytes, not gone.
        let moved = fixture.returns.appendingPathComponent("2024/2024-02-01_revision-moved.tar.gz")
        try FileManager.default.createDirectory(
            at: moved.deletingLastPathComponent(), withIntermediateDirectories: true)
        let revision = fixture.returns.appendingPathComponent("2024-02-01_revision.tar.gz")
        try FileManager.default.moveItem(at: revision, to: moved)
        let renamed = try fixture.grdp("run")
        #expect(renamed.status == 0 && renamed.stderr.contains("New snapshot v0002"), "\(renamed.stderr)")
        #expect(!renamed.stderr.contains("no longer in the returns folder"), "\(renamed.stderr)")
        #expect(gone(try fixture.reportsWritten().last) == nil)

        // Deleted: validate says so before any run, and the run that publishes without it.
        try FileManager.default.removeItem(at: moved)
        // validate now reads the latest snapshot for it, and still writes nothing (CONTRACT §7, §8):
        // every file under the outputs is as it was, to the byte, and nothing is added.
        func outputFiles() throws -> [String: Data] {
            let paths = FileManager.default.enumerator(atPath: fixture.outputs.path)?.allObjects as? [String] ?? []
            var files: [String: Data] = [:]
            for path in paths {
                let url = fixture.outputs.appendingPathComponent(path)
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                    files[path] = try Data(contentsOf: url)
                }
            }
            return files
        }
        let outputsBefore = try outputFiles()
        let check = try fixture.grdp("validate")
        #expect(try outputFiles() == outputsBefore)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(
            check.stderr.contains(
                "WARNING: 1 archive(s) counted in v0002 are no longer in the returns folder, under their name or any "
                    + "other: 2024/2024-02-01_revision-moved.tar.gz. A run now would no longer count their rows "
                    + "(archives_gone in the report)."), "\(check.stderr)")
        let validated = try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any]
        #expect(gone(validated) == ["2024/2024-02-01_revision-moved.tar.gz v0002"])
        let run = try fixture.grdp("--quiet", "run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "warning Archives counted in the latest snapshot are no longer in the returns folder, under their name "
                    + "or any other archives=2024/2024-02-01_revision-moved.tar.gz counted_in=v0002"), "\(run.stderr)")
        #expect(gone(try fixture.reportsWritten().last) == ["2024/2024-02-01_revision-moved.tar.gz v0002"])
        #expect(try fixture.grdp("snapshots").stdout.contains("v0003*"))

        // Said once: the next night compares with v0003, which no longer counts it.
        let next = try fixture.grdp("run")
        #expect(next.status == 0 && next.stderr.contains("Up to date"), "\(next.stderr)")
        #expect(!next.stderr.contains("no longer in the returns folder"), "\(next.stderr)")

        // Excluded, an archive is there, and saying so is the operator's: not gone. Nor, once
        // deleted, is one the latest snapshot had excluded, whose rows it did not count.
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-03-01_revision.tar.gz")
        #expect(try fixture.grdp("run").status == 0)
        try fixture.editConfig(
            replacing: "  returns: returns\n", with: "  returns: returns\n  exclude: [2024-03-01_revision.tar.gz]\n")
        let excluded = try fixture.grdp("run")
        #expect(excluded.status == 0 && excluded.stderr.contains("New snapshot v0005"), "\(excluded.stderr)")
        try FileManager.default.removeItem(at: fixture.returns.appendingPathComponent("2024-03-01_revision.tar.gz"))
        let afterExcluded = try fixture.grdp("run")
        #expect(
            afterExcluded.status == 0 && afterExcluded.stderr.contains("New snapshot v0006"), "\(afterExcluded.stderr)")
        #expect(!afterExcluded.stderr.contains("no longer in the returns folder"), "\(afterExcluded.stderr)")
        #expect(gone(try fixture.reportsWritten().last) == nil)

        // Written over with other bytes: the rows counted are the new file's, and that is said.
        try fixture.write(Fixture.revision, format: .zip, as: "2024-01-10_returns.zip")
        let rewrittenCheck = try fixture.grdp("validate")
        #expect(
            rewrittenCheck.stderr.contains(
                "WARNING: 1 archive(s) counted in v0006 hold other bytes now: 2024-01-10_returns.zip. A run now would "
                    + "count the new file's rows, the earlier file's no longer (archives_rewritten in the report)."),
            "\(rewrittenCheck.stderr)")
        let rewritten = try fixture.grdp("run")
        #expect(rewritten.status == 0 && rewritten.stderr.contains("New snapshot v0007"), "\(rewritten.stderr)")
        #expect(
            rewritten.stderr.contains(
                "WARNING: 1 archive(s) counted in v0006 hold other bytes now: 2024-01-10_returns.zip. The rows counted "
                    + "are the new file's, the earlier file's no longer"), "\(rewritten.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        let entry = try #require((report["archives_rewritten"] as? [[String: Any]])?.first)
        #expect(entry["path"] as? String == "2024-01-10_returns.zip" && entry["counted_in"] as? String == "v0006")
        #expect((entry["sha256"] as? String) != (entry["counted_sha256"] as? String))
        #expect(gone(report) == nil)
    }

    /// A new return's CSV member that no pattern of `inputs.kinds` matches is said, not only
    /// listed as skipped (audit 33, R1: a platform's file renamed `don-hang_mxh_q4.csv` left a
    /// quarter out with the report alone saying so); one of a return already counted is not said
    /// again. A `digitised_coefficients` written with no value (a map commented out) is none, and
    /// the digitised component 0 in every year: said under that config (E10).
    @Test func anUnrecognizedCSVOfANewReturnAndAnEmptiedCoefficientMapAreSaid() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let renamed: [ArchiveWriter.Entry] = [
            .init(
                path: "don-hang_mxh_q4.csv",
                text: "transaction_id,date,amount,status\nT9,2023-11-01,7000000,completed\n"),
            .init(path: "grdp.csv", text: "year,grdp,province_code,price_basis\n2024,55800,67,current\n"),
        ]
        try fixture.write(renamed, format: .zip, as: "2024-02-01_returns.zip")
        let run = try fixture.grdp("--quiet", "run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "warning CSV members that no pattern of inputs.kinds matches are not read "
                    + "members=2024-02-01_returns.zip: don-hang_mxh_q4.csv"), "\(run.stderr)")
        // A later return whose unmatched CSV has a name a counted return's had (a manifest every
        // return carries) is not said again (review 33, M4).
        let manifest: [ArchiveWriter.Entry] =
            Fixture.revision + [.init(path: "don-hang_mxh_q4.csv", text: "transaction_id,date,amount,status\n")]
        try fixture.write(manifest, format: .tarGzip, as: "2024-03-01_revision.tar.gz")
        let night = try fixture.grdp("run")
        #expect(night.status == 0 && night.stderr.contains("New snapshot v0003"), "\(night.stderr)")
        #expect(!night.stderr.contains("inputs.kinds"), "\(night.stderr)")

        let emptied = try fixture.editConfig(
            replacing: "digitised_coefficients: {G: 0.05}", with: "digitised_coefficients:   # under review: {G: 0.05}")
        let edited = try fixture.grdp("run")
        #expect(edited.status == 0 && edited.stderr.contains("New snapshot v0004"), "\(edited.stderr)")
        #expect(
            edited.stderr.contains(
                "WARNING: methodology.digitised_coefficients names no section: the digitised component is 0 in every "
                    + "year"), "\(edited.stderr)")
        #expect(try fixture.grdp("export").stdout.contains("2023,51000.000,1.500,0.014,0.000,1.514,"))
        // Said when the map emptied takes the component away, not again under a config that never
        // had it (review 33, M5): a comment added, every year's digitised already 0.
        try (emptied + "# reviewed\n").write(to: fixture.config, atomically: true, encoding: .utf8)
        #expect(try fixture.grdp("run", "--force").stderr.contains("digitised_coefficients") == false)
    }

    /// A member whose number convention no value decides is taken in its delimiter's default
    /// (CONTRACT §4.2); when it holds a value the other convention reads 1,000 times larger
    /// (`55.700`), that is said and shown in the report (audit 33, S2: a GRDP return of `55.700`
    /// in a `,` member published a share of 8100 % without a word). A member with a deciding value
    /// says nothing.
    @Test func aConventionTakenByDefaultOverAValueReadBothWaysIsSaid() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let returns: [ArchiveWriter.Entry] = [
            .init(path: "grdp.csv", text: "year,grdp,province_code,price_basis\n2023,51.000,67,current\n"),
            .init(
                path: "transactions.csv",
                text:
                    "transaction_id,date,amount,status\nT1,2023-06-01,1.500.000,completed\nT2,2023-06-02,150.000,completed\n"
            ),
            // Read larger by the default, as their senders mean them (review 34, M1): a `;` member's
            // 150.000 VND is 150,000 to `vi`; a `,` member's "1,500" is 1,500 to `en`.
            .init(
                path: "transactions_vi.csv",
                text: "transaction_id;date;amount;status\nV1;2023-06-03;150.000;completed\n"),
            .init(
                path: "transactions_en.csv",
                text: "transaction_id,date,amount,status\nE1,2023-06-04,\"1,500\",completed\n"),
        ]
        try fixture.write(returns, format: .zip, as: "2024-01-10_returns.zip")
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "WARNING 2024-01-10_returns.zip: member 'grdp.csv': no value decides its number convention, and it was "
                    + "taken as en, its delimiter's default, which reads '51.000' as 51, not 51000: if the mark groups "
                    + "thousands there, the sender writes vi (inputs.number_format: vi reads every member so; "
                    + "number_format_defaulted_over in the report)"), "\(run.stderr)")
        #expect(run.stderr.components(separatedBy: "no value decides").count == 2, "\(run.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        let members = try #require((report["archives"] as? [[String: Any]])?.first?["members"] as? [[String: Any]])
        let grdp = try #require(members.first { $0["path"] as? String == "grdp.csv" })
        #expect(grdp["number_format_defaulted_over"] as? String == "51.000" && grdp["number_format"] as? String == "en")
        #expect(members.filter { $0["number_format_defaulted_over"] != nil }.count == 1)
        let listed = try #require(report["conventions_defaulted"] as? [[String: Any]])
        #expect(listed.map { "\($0["member"] ?? "") \($0["value"] ?? "")" } == ["grdp.csv 51.000"])
    }

    /// Rows excluded as another province's by a value that is no province code (the province's
    /// name for its code) are said as the return arrives, not only counted in the report (audit 33,
    /// P1: 87 % of a platform's return left out so). Another province's code (T4's 79) is not.
    @Test func rowsExcludedByAProvinceThatIsNoCodeAreSaid() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let first = try fixture.grdp("run")
        #expect(first.status == 0 && !first.stderr.contains("no province code"), "\(first.stderr)")
        let named: [ArchiveWriter.Entry] = [
            .init(
                path: "transactions.csv",
                text: "transaction_id,date,amount,status,seller_province\n"
                    + "N1,2023-08-01,100000,completed,Đắk Nông\nN2,2023-08-02,200000,completed,Đắk Nông\n"
                    + "N3,2023-08-03,300000,completed,67\n")
        ]
        try fixture.write(named, format: .zip, as: "2024-02-01_returns.zip")
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "WARNING 2024-02-01_returns.zip: member 'transactions.csv': 2 row(s) excluded as another province's by "
                    + "'Đắk Nông', which is no province code (the region's name for its code?): they do not count"),
            "\(run.stderr)")
    }

    /// A new return's channel that no ratio of `va_ratio_by_channel` names and no counted return
    /// had is said as the return arrives (audit 33, A9: a platform that respelled `marketplace` had
    /// its sales take `va_ratio_default`, 0.10 for 0.08, without a word), and so is a return with no
    /// channel at all, whose sales are `unknown`'s (A6). Once counted, not again; with no ratio by
    /// channel in the config, every channel takes the default by design: nothing said.
    @Test func aNewChannelWithoutARatioIsSaid() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let first = try fixture.grdp("run")
        #expect(first.status == 0 && !first.stderr.contains("va_ratio_by_channel"), "\(first.stderr)")
        let respelled: [ArchiveWriter.Entry] = [
            .init(
                path: "transactions.csv",
                text: "transaction_id,date,amount,status,channel\n"
                    + "R1,2023-08-01,100000,completed,Market Place\nR2,2023-08-02,200000,completed,marketplace\n"
                    + "R3,2023-08-03,300000,completed, MARKET PLACE \nR4,2023-08-04,300000,cancelled,Sàn TMĐT\n"),
            .init(
                path: "more/transactions.csv", text: "transaction_id,date,amount,status\nU1,2023-09-01,5000,completed\n"
            ),
        ]
        try fixture.write(respelled, format: .zip, as: "2024-02-01_returns.zip")
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        // The log line, which --quiet keeps, and the summary's.
        #expect(
            run.stderr.contains(
                "warning Channels new in these returns with no ratio in va_ratio_by_channel: their sales take "
                    + "va_ratio_default archive=2024-02-01_returns.zip channels=market place "
                    + "member=transactions.csv"), "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "WARNING 2024-02-01_returns.zip: member 'transactions.csv': channel(s) 'market place' new "
                    + "in the returns, with no ratio in methodology.ecommerce.va_ratio_by_channel: their sales take "
                    + "va_ratio_default (a channel respelled? new_channels_without_ratio in the report)."),
            "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "WARNING 2024-02-01_returns.zip: member 'more/transactions.csv': channel(s) 'unknown' (no channel "
                    + "given) new in the returns"), "\(run.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        let listed = try #require(report["new_channels_without_ratio"] as? [[String: Any]])
        #expect(listed.map { "\($0["member"] ?? "")" }.sorted() == ["more/transactions.csv", "transactions.csv"])
        let named = listed.first { $0["member"] as? String == "transactions.csv" }
        // R4's channel has a cancelled sale alone: nothing that takes a ratio (review 37, L2).
        #expect(named?["channels"] as? [String] == ["market place"])

        // Counted now: a later return with the same channels is not said again.
        let again: [ArchiveWriter.Entry] = [
            .init(
                path: "transactions.csv",
                text: "transaction_id,date,amount,status,channel\nA1,2023-10-01,100000,completed,market place\n"
                    + "A2,2023-10-02,100000,completed,\n")
        ]
        try fixture.write(again, format: .zip, as: "2024-03-01_returns.zip")
        let later = try fixture.grdp("run")
        #expect(later.status == 0 && !later.stderr.contains("new in the returns"), "\(later.stderr)")
        #expect(try #require(try fixture.reportsWritten().last)["new_channels_without_ratio"] == nil)

        // Arriving with a config edit (a comment), a return's channels are said all the same
        // (review 37, M1): 'sàn tmđt', with a completed sale now, where a cancelled one alone was
        // counted (L2). 'social', named with no value, takes the default as configured (L7).
        let edited = try fixture.editConfig(
            replacing: "{marketplace: 0.08, website: 0.12}", with: "{marketplace: 0.08, website: 0.12, social: }")
        try fixture.editConfig(edited, replacing: "version: 1\n", with: "version: 1  # edited\n")
        let sold: [ArchiveWriter.Entry] = [
            .init(
                path: "transactions.csv",
                text: "transaction_id,date,amount,status,channel\nS1,2023-10-05,100000,completed,Sàn TMĐT\n"
                    + "S2,2023-10-06,100000,completed,social\n")
        ]
        try fixture.write(sold, format: .zip, as: "2024-03-15_returns.zip")
        let editedNight = try fixture.grdp("run")
        #expect(editedNight.status == 0, "\(editedNight.stderr)")
        #expect(
            editedNight.stderr.contains(
                "WARNING 2024-03-15_returns.zip: member 'transactions.csv': channel(s) 'sàn tmđt' new in the returns"),
            "\(editedNight.stderr)")
        #expect(!editedNight.stderr.contains("'social'"), "\(editedNight.stderr)")

        // No ratio by channel: every channel takes the default, nothing to say of a new one.
        try fixture.editConfig(
            replacing: "va_ratio_by_channel: {marketplace: 0.08, website: 0.12}", with: "va_ratio_by_channel: {}")
        #expect(try fixture.grdp("run").status == 0)
        let other: [ArchiveWriter.Entry] = [
            .init(
                path: "transactions.csv",
                text: "transaction_id,date,amount,status,channel\nB1,2023-11-01,100000,completed,livestream\n")
        ]
        try fixture.write(other, format: .zip, as: "2024-04-01_returns.zip")
        let none = try fixture.grdp("run")
        #expect(none.status == 0 && none.stderr.contains("New snapshot"), "\(none.stderr)")
        #expect(!none.stderr.contains("new in the returns"), "\(none.stderr)")
        // Nor when the channels named all take the default (review 38, N2).
        try fixture.editConfig(
            replacing: "va_ratio_by_channel: {marketplace: 0.08, website: 0.12}",
            with: "va_ratio_by_channel: {marketplace: , website: 0.10}")
        #expect(try fixture.grdp("run").status == 0)
        let zalo: [ArchiveWriter.Entry] = [
            .init(
                path: "transactions.csv",
                text: "transaction_id,date,amount,status,channel\nZ1,2023-11-02,100000,completed,zalo\n")
        ]
        try fixture.write(zalo, format: .zip, as: "2024-05-01_returns.zip")
        let defaults = try fixture.grdp("run")
        #expect(defaults.status == 0 && defaults.stderr.contains("New snapshot"), "\(defaults.stderr)")
        #expect(!defaults.stderr.contains("new in the returns"), "\(defaults.stderr)")
    }

    /// A first run has no return before it for a channel to be new against: a channel without a
    /// ratio (`social`) takes `va_ratio_default` as CONTRACT §5 has it, and the run publishes with
    /// nothing said under --quiet.
    @Test func aFirstRunSaysNoChannelNew() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let returns: [ArchiveWriter.Entry] = [
            .init(path: "grdp.csv", text: "year,grdp\n2023,51000\n"),
            .init(
                path: "transactions.csv",
                text: "transaction_id,date,amount,status,channel\nT1,2023-06-01,100000,completed,marketplace\n"
                    + "T2,2023-06-02,100000,completed,website\nT3,2023-06-03,100000,completed,social\n"),
        ]
        try fixture.write(returns, format: .zip, as: "2024-01-10_returns.zip")
        let run = try fixture.grdp("--quiet", "run")
        #expect(run.status == 0 && run.stderr.isEmpty, "\(run.stderr)")
        #expect(try #require(try fixture.reportsWritten().last)["new_channels_without_ratio"] == nil)
    }

    /// The first return's T1 (2023-06-01, 100,000,000 VND, marketplace), sent again dated 2024.
    static let reusedT1: [ArchiveWriter.Entry] = [
        .init(
            path: "transactions.csv",
            text: "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
                + "T1,2024-03-01,100000000,completed,marketplace,0101243150,67\n")
    ]

    /// A fixture whose first return (`2024-01-10_returns.zip`) a run has published as v0001, and
    /// `entries` written as the return after it, `2024-04-01_returns.zip`, not yet read; the
    /// revisions of that run and those after as `ledgers` says (`GRDP_LEDGER`: the first run's,
    /// then the others').
    static func firstReturnPublished(
        then entries: [ArchiveWriter.Entry], ledgers: Ledgers = .inMemory
    ) throws -> Fixture {
        var fixture = try Fixture()
        fixture.environment = ledgers.first
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let first = try fixture.grdp("run")
        #expect(first.status == 0, "\(first.stderr)")
        fixture.environment = ledgers.then
        try fixture.write(entries, format: .zip, as: "2024-04-01_returns.zip")
        return fixture
    }

    /// The revision paths of a first run and the nights after it.
    struct Ledgers: Sendable, CustomTestStringConvertible {
        var first: [String: String]
        var then: [String: String]
        var testDescription: String { "first \(first), then \(then)" }

        static let inMemory = Ledgers(first: [:], then: [:])
        /// By key partition on every run: a night resumes from the key pass the run before kept.
        static let partitioned = Ledgers(first: ["GRDP_LEDGER": "partitioned"], then: ["GRDP_LEDGER": "partitioned"])
        /// The night by key partition after a run in memory: every key taken again, spilled.
        static let partitionedAfterMemory = Ledgers(
            first: ["GRDP_LEDGER": "memory"], then: ["GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "3"])
        /// The ledger kept between runs and resumed by the night (`GRDP_KEEP_LEDGER_FROM=0`).
        static let keptInMemory = Ledgers(
            first: ["GRDP_KEEP_LEDGER_FROM": "0"], then: ["GRDP_KEEP_LEDGER_FROM": "0"])
        static let all = [inMemory, keptInMemory, partitioned, partitionedAfterMemory]
    }

    /// A transaction is keyed by (channel, transaction_id) whatever its date (CONTRACT §4.4): a
    /// new return whose order T1 is dated 2024 takes 2023's T1 out of 2023, whose published figures
    /// fall though no return of 2023 came (audit 33, T1: a platform numbering its orders afresh
    /// each year). Said, with the figures and what may have done it; a return that revises a year
    /// it holds records of is not; returns renamed, which changes which record of a key is the
    /// later, are named as such, and no new return is blamed when there is none (review 42, M1).
    /// Counted by key whether the revisions are taken in memory or by key partition.
    @Test(arguments: Ledgers.all)
    func aNewReturnThatMovesAnotherYearsFiguresIsSaid(ledgers: Ledgers) throws {
        let fixture = try Self.firstReturnPublished(then: Self.reusedT1, ledgers: ledgers)
        defer { fixture.remove() }
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        // 2023 by hand: core 1.5 (0100109106, VSIC 62010, 1,500 million VND). Before, e-commerce
        // T1 100,000,000 × 0.08 + T2 50,000,000 × 0.12 = 14,000,000 VND; digitised (2,000 −
        // 8 million VND of T1 by its seller) × 0.05 (G) = 99.6 million; de 1.6136 billion, share
        // 1.6136 / 51,000 × 100 = 0.0031639 %. After, T2 alone: 0.006; digitised 2,000 × 0.05 =
        // 100 million; de 1.606, share 0.0031490 %.
        let summary: String =
            "WARNING: figures changed since v0001 in years that records dated another year took transactions "
            + "from: 2023 (1 transaction(s) taken) e-commerce 0.014, de 1.614 billion VND, share 0.0032 % → e-commerce 0.006, de 1.606 billion VND, share "
            + "0.0031 %. A record of the same channel and transaction_id replaces a transaction whatever its "
            + "date (a platform numbering its orders afresh each year?), here by way of the new returns "
            + "2024-04-01_returns.zip. grdp diff shows the change (years_changed_by_other_years in "
            + "the report)."
        #expect(run.stderr.contains(summary), "\(run.stderr)")
        let logged: String =
            "warning Figures changed in years that records dated another year took transactions from (the same "
            + "channel and transaction_id) from=the new returns 2024-04-01_returns.zip since=v0001 years=2023"
        #expect(run.stderr.contains(logged), "\(run.stderr)")
        let said = try #require(
            try fixture.reportsWritten().last?["years_changed_by_other_years"] as? [String: Any])
        #expect(said["since"] as? String == "v0001")
        #expect(said["new_returns"] as? [String] == ["2024-04-01_returns.zip"])
        #expect((said["renamed"] as? [String])?.isEmpty == true)
        #expect(said["config_changed"] as? Bool == false)
        let years = try #require(said["years"] as? [[String: Any]])
        #expect(years.map { $0["year"] as? Int } == [2023])
        #expect(years.first?["transactions_moved_out"] as? Int == 1)
        #expect(years.first?["ecommerce_bvnd_before"] as? Double == 0.014)
        #expect(years.first?["ecommerce_bvnd"] as? Double == 0.006)
        #expect(years.first?["digitised_bvnd_before"] as? Double == 0.1)
        #expect(years.first?["core_bvnd_before"] as? Double == 1.5)
        #expect(years.first?["core_bvnd"] as? Double == 1.5)
        #expect(years.first?["grdp_bvnd"] as? Double == 51000)

        // A return that holds a 2023 record revises 2023 as any revision does: nothing said.
        let revised: [ArchiveWriter.Entry] = [
            .init(
                path: "transactions.csv",
                text: "transaction_id,date,amount,status,channel\nT2,15/07/2023,50000000,refunded,website\n")
        ]
        try fixture.write(revised, format: .zip, as: "2024-05-01_returns.zip")
        let same = try fixture.grdp("--quiet", "run")
        #expect(same.status == 0 && same.stderr.isEmpty, "\(same.stderr)")
        #expect(try fixture.reportsWritten().last?["years_changed_by_other_years"] == nil)

        // The first return renamed after the one dated 2024: its T1, dated 2023, is the later
        // record again and takes T1 from 2024 (8.8 million VND of e-commerce there before, T3's
        // 0.8 million after), with no new return at all. 2023 gains it: no year left, not said.
        try FileManager.default.moveItem(
            at: fixture.returns.appendingPathComponent("2024-01-10_returns.zip"),
            to: fixture.returns.appendingPathComponent("2024-04-02_returns.zip"))
        let renamed = try fixture.grdp("run")
        #expect(renamed.status == 0, "\(renamed.stderr)")
        let renamedSummary: String =
            "took transactions from: 2024 (1 transaction(s) taken) e-commerce 0.009, de 0.009 billion VND, share "
            + "0.0000 % → e-commerce 0.001, de 0.001 billion VND, share 0.0000 %. A record of the same channel and "
            + "transaction_id replaces a transaction whatever its date (a platform numbering its orders afresh each "
            + "year?), here by way of returns counted before under new names 2024-04-02_returns.zip. grdp diff"
        #expect(renamed.stderr.contains(renamedSummary), "\(renamed.stderr)")
        let again = try #require(
            try fixture.reportsWritten().last?["years_changed_by_other_years"] as? [String: Any])
        #expect((again["years"] as? [[String: Any]])?.map { $0["year"] as? Int } == [2024])
        #expect((again["new_returns"] as? [String])?.isEmpty == true)
        #expect(again["renamed"] as? [String] == ["2024-04-02_returns.zip"])
        #expect(again["counted_by_key"] as? Bool == true)
        #expect((again["years"] as? [[String: Any]])?.first?["transactions_moved_out"] as? Int == 1)
    }

    /// `run --year 2023` on the night the return with 2024's T1 arrives recomputes 2023 without it,
    /// and the next full run compares with what that run published: said then or never (review 43,
    /// N3). The ledger marks no return under --year: by year, and so worded.
    @Test func aRunOfOneYearSaysThatYearMovedByAnother() throws {
        let fixture = try Self.firstReturnPublished(then: Self.reusedT1)
        defer { fixture.remove() }
        let run = try fixture.grdp("run", "--year", "2023")
        #expect(run.status == 0, "\(run.stderr)")
        let summary: String =
            "in years no new return holds a record of, whose transactions records dated another year may have "
            + "taken: 2023 e-commerce 0.014, de 1.614 billion VND, share 0.0032 % → e-commerce 0.006"
        #expect(run.stderr.contains(summary), "\(run.stderr)")
        let said = try #require(
            try fixture.reportsWritten().last?["years_changed_by_other_years"] as? [String: Any])
        #expect(said["counted_by_key"] as? Bool == false)
        #expect((said["years"] as? [[String: Any]])?.first?["transactions_moved_out"] is NSNull)
    }

    /// A platform's return of this year's orders that also revises last year's holds records of
    /// last year: by year alone, that year's fall went unsaid (review 42, H2). On a night the
    /// revision ledger sees the new return's T1, dated 2024, take the place of 2023's T1: said, as
    /// it is by key partition (from 1 M keys).
    @Test(arguments: Ledgers.all)
    func aReturnThatAlsoRevisesTheYearItTakesFromIsSaid(ledgers: Ledgers) throws {
        let both: [ArchiveWriter.Entry] = [
            .init(
                path: "transactions.csv",
                text: "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
                    + "T1,2024-03-01,100000000,completed,marketplace,0101243150,67\n"
                    + "T2,15/07/2023,50000000,completed,website,,67\n")
        ]
        let fixture = try Self.firstReturnPublished(then: both, ledgers: ledgers)
        defer { fixture.remove() }
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "in years that records dated another year took transactions from: 2023 (1 transaction(s) taken) "
                    + "e-commerce 0.014"), "\(run.stderr)")
        let said = try #require(
            try fixture.reportsWritten().last?["years_changed_by_other_years"] as? [String: Any])
        #expect((said["years"] as? [[String: Any]])?.map { $0["year"] as? Int } == [2023])
        #expect(said["counted_by_key"] as? Bool == true)
        #expect((said["years"] as? [[String: Any]])?.first?["transactions_moved_out"] as? Int == 1)
    }

    /// A new return's years survive its archive cache entry: read on a night another archive was
    /// rejected (no snapshot), it comes from the cache the next night and is said then.
    @Test func aNewReturnFromTheCacheIsSaidMovingAnotherYear() throws {
        let fixture = try Self.firstReturnPublished(then: Self.reusedT1)
        defer { fixture.remove() }
        let broken = fixture.returns.appendingPathComponent("2024-04-02_returns.zip")
        try Data("not a zip archive".utf8).write(to: broken)
        #expect(try fixture.grdp("--quiet", "run").status == 65)
        try FileManager.default.removeItem(at: broken)
        let run = try fixture.grdp("run")
        #expect(run.status == 0 && run.stderr.contains("2 of 2 archive(s) unchanged"), "\(run.stderr)")
        let said = try #require(
            try fixture.reportsWritten().last?["years_changed_by_other_years"] as? [String: Any])
        #expect((said["years"] as? [[String: Any]])?.map { $0["year"] as? Int } == [2023])
    }

    /// What else explains a year's change is not taken for a reused order number: a `run --year`
    /// snapshot's years it did not compute (review 42, H1: the next full run said every other year
    /// changed, from no row), a year whose settings changed with the config, an archive counted
    /// before that is now excluded.
    @Test func aYearsChangeOtherwiseExplainedIsNotSaidMovedByOtherYears() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run", "--year", "2023").status == 0)
        let full = try fixture.grdp("--quiet", "run")
        #expect(full.status == 0 && full.stderr.isEmpty, "\(full.stderr)")

        // T1 moved to 2024 in the same run as a ratio edit: every year's settings changed.
        try fixture.write(Self.reusedT1, format: .zip, as: "2024-04-01_returns.zip")
        try fixture.editConfig(replacing: "va_ratio_default: 0.10", with: "va_ratio_default: 0.11")
        let edited = try fixture.grdp("--quiet", "run")
        #expect(edited.status == 0 && edited.stderr.isEmpty, "\(edited.stderr)")
        #expect(try fixture.reportsWritten().last?["years_changed_by_other_years"] == nil)

        // The first return excluded: its rows no longer count, which the config says.
        try fixture.editConfig(
            fixture.editConfig(replacing: "va_ratio_default: 0.10", with: "va_ratio_default: 0.11"),
            replacing: "returns: returns", with: "returns: returns\n  exclude: [2024-01-10_returns.zip]")
        let excluded = try fixture.grdp("run")
        #expect(excluded.status == 0 && excluded.stderr.contains("New snapshot"), "\(excluded.stderr)")
        #expect(try fixture.reportsWritten().last?["years_changed_by_other_years"] == nil)
    }

    /// Targets written as fractions (`share_pct: 0.20` for 20 %) are said when a config brings
    /// them (audit 33, E13: every year published ahead of a 0.2 % target without a word); the
    /// fixture's percentages are not.
    @Test func targetsWrittenAsFractionsAreSaid() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let sound = try fixture.grdp("run")
        #expect(sound.status == 0 && !sound.stderr.contains("under 1 %"), "\(sound.stderr)")
        var fractions = try fixture.editConfig(replacing: "share_pct: 1.64", with: "share_pct: 0.0164")
        fractions = try fixture.editConfig(fractions, replacing: "share_pct: 20.0", with: "share_pct: 0.20")
        try fixture.editConfig(fractions, replacing: "share_pct: 30.0", with: "share_pct: 0.30")
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "WARNING: every point of targets.points is under 1 %: share_pct is a percentage of GRDP (20.0 for "
                    + "20 %), not a fraction (0.20)"), "\(run.stderr)")
        #expect(try #require(try fixture.reportsWritten().last)["targets_below_one_percent"] as? Bool == true)
        // Said on every publish, not only when the config changes: a config that held them before
        // this check came is told too (review 38, N4).
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        let night = try fixture.grdp("--quiet", "run")
        #expect(
            night.status == 0
                && night.stderr.contains(
                    "warning Every point of targets.points is under 1 %: share_pct is a percentage (20.0 for 20 %), "
                        + "not a fraction"),
            "\(night.stderr)")
    }

    /// Figures no return can make are said when published (`implausible_figures`; audit 33, S1–S3:
    /// a GRDP written in the wrong unit or number format published shares of 8100 % or 0.0081 %
    /// without a word): a share over 100 %, and a GRDP moved by a factor of 2 or more since the
    /// latest snapshot. Here a GRDP revision for 2023 of 1.5 billion VND (51,000 before):
    /// de = core 1.5 + e-commerce 0.014 (T1 100,000,000 × 0.08 + T2 50,000,000 × 0.12 VND) +
    /// digitised (2 − 0.008) × 0.05 = 0.0996, so 1.6136 billion VND, a share of
    /// 1.6136 / 1.5 × 100 = 107.5733 %.
    @Test func implausibleFiguresAreSaid() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let sound = try fixture.grdp("run")
        #expect(sound.status == 0 && !sound.stderr.contains("implausible"), "\(sound.stderr)")
        #expect(try #require(try fixture.reportsWritten().last)["implausible_figures"] == nil)

        let slip: [ArchiveWriter.Entry] = [
            .init(path: "grdp.csv", text: "year,grdp,province_code,price_basis\n2023,1.5,67,current\n")
        ]
        try fixture.write(slip, format: .zip, as: "2024-02-01_grdp.zip")
        let run = try fixture.grdp("run")
        #expect(run.status == 0 && run.stderr.contains("New snapshot v0002"), "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "WARNING: implausible figure published, 2023: digital-economy value added 1.614 billion VND is above "
                    + "GRDP 1.500 billion VND, a share of 107.5733 %: check the GRDP return's unit (billion VND) and "
                    + "number format, and the currencies and fx rates of the transactions"), "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "WARNING: implausible figure published, 2023: GRDP 51000.000 billion VND in v0001 is 1.500 now"),
            "\(run.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        let figures = try #require(report["implausible_figures"] as? [[String: Any]])
        #expect(
            figures.map { "\($0["year"] ?? "") \($0["check"] ?? "")" } == ["2023 share-above-100", "2023 grdp-moved"])
        #expect((figures.first?["share_pct"] as? NSNumber)?.doubleValue == 107.5733)
        #expect((figures.last?["grdp_bvnd_before"] as? NSNumber)?.doubleValue == 51000)
        #expect(try fixture.grdp("--quiet", "run", "--force").stderr.contains("warning Implausible figure published"))
    }

    /// Archives are read largest first, so a revision larger than the return it revises is read
    /// (and handed to the revision ledger) before it. Revision order still decides: the later
    /// archive's enterprise, transaction and GRDP records win, and the earlier ones are counted as
    /// superseded on the first return's members.
    @Test func aRevisionLargerThanTheReturnItRevisesStillWins() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        // Notes that are no data member (skipped silently), and do not compress: the revision
        // becomes the larger archive.
        var state: UInt64 = 5
        let notes = (0..<65_536).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let revision =
            Fixture.revision + [
                .init(
                    path: "transactions_rev.csv",
                    text: """
                        transaction_id,date,amount,status,channel,seller_tax_code,seller_province
                        T1,2023-06-01,200000000,completed,marketplace,0101243150,67

                        """),
                .init(path: "grdp_rev.csv", text: "year,grdp,province_code,price_basis\n2023,52000,67,current\n"),
                .init(path: "notes.bin", data: notes),
            ]
        try fixture.write(revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        func bytes(_ name: String) throws -> Int {
            try #require(
                try FileManager.default.attributesOfItem(atPath: fixture.returns.appendingPathComponent(name).path)[
                    .size]
                    as? Int)
        }
        #expect(try bytes("2024-02-01_revision.tar.gz") > bytes("2024-01-10_returns.zip"))

        let exported = try fixture.runThenExportCSV()
        // 2023, against the first test: T1 is 200,000,000, GRDP 52,000.
        //   ecommerce = 200,000,000 × 0.08 + 50,000,000 × 0.12 = 22,000,000 VND = 0.022 billion.
        //   digitised = (2.5005 − 0.016 of its own e-commerce) × 0.05 = 0.124225 → 0.124
        //   de = 1.5 + 0.022 + 0.124225 = 1.646225 → 1.646; share = 1.646225 / 52,000 × 100
        //   = 0.0031658… → 0.0032; gap = 0.0031658 − 12.656 = −12.6528342… → −12.6528
        #expect(
            exported == """
                \(Self.header)
                2023,52000.000,1.500,0.022,0.124,1.646,0.0032,12.6560,interpolated,-12.6528,behind
                2024,55700.000,0.000,0.001,0.000,0.001,0.0000,16.3280,interpolated,-16.3280,behind

                """)
        let report = try #require(try fixture.reportsWritten().last)
        let archives = try #require(report["archives"] as? [[String: Any]])
        func superseded(_ archive: Int) throws -> [String: Int] {
            let members = try #require(archives[archive]["members"] as? [[String: Any]])
            return Dictionary(
                uniqueKeysWithValues: members.map { ($0["path"] as! String, $0["rows_superseded"] as! Int) })
        }
        #expect(
            try superseded(0) == ["enterprise.csv": 1, "data/transactions.csv": 1, "grdp.csv": 1])
        #expect(
            try superseded(1) == ["enterprise_rev.csv": 0, "transactions_rev.csv": 0, "grdp_rev.csv": 0])
    }

    /// Within one archive too the later record replaces the earlier (CONTRACT §4.4): a later line
    /// of the same member, and a member whose path sorts later (`enterprise.csv` < `enterprise_rev.csv`
    /// bytewise, though the zip stores the revision first). The replaced records are superseded on
    /// the member that held them.
    @Test func aLaterRecordInTheSameArchiveReplacesTheEarlier() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let firstFirms = try #require(Fixture.firstReturn.first { $0.path == "enterprise.csv" })
        try fixture.write(
            [
                .init(path: "enterprise_rev.csv", text: "tax_code,year,vsic,value_added\n0101243150,2023,4711,3000\n"),
                // The first return's two firms (lines 2 and 3), then line 4 revising line 2.
                .init(
                    path: "enterprise.csv",
                    text: String(decoding: firstFirms.data, as: UTF8.self)
                        + "0100109106,2023,62010,1800,Công ty Phần mềm Gia Nghĩa,660\n"),
                .init(path: "grdp.csv", text: "year,grdp\n2023,51000\n2023,50000\n"),
            ], format: .zip, as: "2024-01-10_returns.zip")

        let exported = try fixture.runThenExportCSV()
        // core = 1,800 million VND (line 4 replaces line 2) = 1.800 billion; no transactions: ecommerce 0.
        // digitised = 3,000 million (enterprise_rev.csv replaces enterprise.csv line 3) = 3 × 0.05 = 0.150
        // de = 1.8 + 0 + 0.15 = 1.950; GRDP 50,000 (line 3 replaces line 2)
        // share = 1.95 / 50,000 × 100 = 0.0039; target = 1.64 + (20 − 1.64) × 3/5 = 12.656
        // gap = 0.0039 − 12.656 = −12.6521
        #expect(
            exported == """
                \(Self.header)
                2023,50000.000,1.800,0.000,0.150,1.950,0.0039,12.6560,interpolated,-12.6521,behind

                """)
        let report = try #require(try fixture.reportsWritten().last)
        let archive = "2024-01-10_returns.zip"
        #expect(
            Self.superseded(report)
                == ["\(archive)/enterprise.csv": 2, "\(archive)/enterprise_rev.csv": 0, "\(archive)/grdp.csv": 1])
    }

    /// The years reported are those of the snapshot's rows (README, readings): 2019's only row is
    /// GRDP at constant prices and 2020's only transaction is another province's seller's, both
    /// excluded, so neither year has an indicator row; the excluded rows are counted.
    @Test func aYearWhoseOnlyRowsAreExcludedIsNotReported() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(
            [
                .init(
                    path: "transactions.csv",
                    text: """
                        transaction_id,date,amount,status,seller_province
                        X1,2020-05-05,1000000000,completed,79
                        K1,2023-05-05,1000000000,completed,67

                        """),
                .init(path: "grdp.csv", text: "year,grdp,price_basis\n2019,30000,constant-2010\n2023,50000,\n"),
            ], format: .zip, as: "2024-01-10_returns.zip")

        let exported = try fixture.runThenExportCSV()
        // 2023 alone (its figures are checked elsewhere; the years are what this is about).
        let years = exported.split(separator: "\n").dropFirst().map { $0.prefix(4) }
        #expect(years == ["2023"], "\(exported)")
        let report = try #require(try fixture.reportsWritten().last)
        let archives = try #require(report["archives"] as? [[String: Any]])
        let members = try #require(archives.first?["members"] as? [[String: Any]])
        #expect(
            members.map { "\($0["path"] ?? "") \($0["rows_excluded"] ?? "")" }.sorted()
                == ["grdp.csv 1", "transactions.csv 1"])
    }

    @Test func unchangedInputsAreUpToDateAndForceWritesAnyway() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .tarGzip, as: "2024-01-10_returns.tar.gz")
        #expect(try fixture.grdp("run").status == 0)
        let second = try fixture.grdp("run")
        #expect(second.status == 0)
        #expect(second.stderr.contains("Up to date"))
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "up-to-date")
        #expect(try fixture.grdp("run", "--force").status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
        #expect(try fixture.grdp("verify").status == 0)
    }

    @Test func aCorruptArchiveFailsTheRunAndLeavesTheLatestSnapshot() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let before = try Data(contentsOf: fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite"))

        // A truncated tar.gz: half of a real one.
        let whole = fixture.root.appendingPathComponent("whole.tar.gz")
        try ArchiveWriter.write(Fixture.revision, format: .tarGzip, to: whole)
        let bytes = try Data(contentsOf: whole)
        try bytes.prefix(bytes.count / 2).write(
            to: fixture.returns.appendingPathComponent("2024-02-01_revision.tar.gz"))

        let run = try fixture.grdp("run")
        #expect(run.status == 65)
        #expect(run.stderr.contains("2024-02-01_revision.tar.gz"))
        #expect(run.stderr.contains("corrupt-archive"))
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
        #expect(try Data(contentsOf: fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite")) == before)
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "rejected")
        let archives = try #require(report["archives"] as? [[String: Any]])
        let rejected = try #require(archives.first { $0["status"] as? String == "rejected" })
        #expect(rejected["path"] as? String == "2024-02-01_revision.tar.gz")
        #expect(rejected["reason"] as? String == "corrupt-archive")

        // validate says the same and writes nothing.
        let reportsBefore = try fixture.reportsWritten().count
        let validate = try fixture.grdp("validate")
        #expect(validate.status == 65)
        #expect(validate.stdout.contains("\"corrupt-archive\""))
        #expect(try fixture.reportsWritten().count == reportsBefore)
    }

    /// `validate` prints the report `run` writes (CONTRACT §8), revisions included (§4.4): each
    /// member's superseded rows are counted as `run` counts them.
    @Test func validateCountsSupersededRowsAsRunDoes() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        let validate = try fixture.grdp("validate")
        #expect(validate.status == 0, "\(validate.stderr)")
        let printed = try #require(
            try JSONSerialization.jsonObject(with: Data(validate.stdout.utf8)) as? [String: Any])
        #expect(try fixture.grdp("run").status == 0)
        let written = try #require(try fixture.reportsWritten().last)
        #expect(Self.superseded(printed) == Self.superseded(written))
        #expect(
            Self.superseded(printed)["2024-01-10_returns.zip/enterprise.csv"] == 1, "\(Self.superseded(printed))")
    }

    /// A member with thousands of bad rows (their quarantine section spills past a MiB while the
    /// archive is read): `validate` and `run` report every one by count and the first 20 (CONTRACT
    /// §8), and the snapshot's `quarantine` holds every one (§6), whose content hash `verify`
    /// recomputes from the rows.
    @Test func thousandsOfBadRowsReachTheReportAndTheSnapshot() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let padding = String(repeating: "x", count: 100)
        var csv = "transaction_id,date,amount,status,channel,note\n"
        for index in 0..<10_000 {
            let date = index % 5 == 0 ? "2023-03-1\(index % 10)" : "30/02/2023"
            csv += "B\(index),\(date),\(1_000 + index),completed,marketplace,\(padding)\n"
        }
        try fixture.write(
            Fixture.firstReturn + [.init(path: "transactions_bulk.csv", text: csv)], format: .zip,
            as: "2024-01-10_returns.zip")
        try (String(contentsOf: fixture.config, encoding: .utf8) + "quality: {max_quarantine_ratio: 0.9}\n")
            .write(to: fixture.config, atomically: true, encoding: .utf8)
        func bulk(_ report: [String: Any]) throws -> [String: Any] {
            let members = try #require((report["archives"] as? [[String: Any]])?.first?["members"] as? [[String: Any]])
            return try #require(members.first { $0["path"] as? String == "transactions_bulk.csv" })
        }

        let validate = try fixture.grdp("validate")
        #expect(validate.status == 0, "\(validate.stderr)")
        let printed = try bulk(
            try #require(try JSONSerialization.jsonObject(with: Data(validate.stdout.utf8)) as? [String: Any]))
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        let written = try bulk(try #require(try fixture.reportsWritten().last))
        for member in [printed, written] {
            #expect(member["rows_quarantined"] as? Int == 8_000)
            #expect(member["quarantined_by_reason"] as? [String: Int] == ["type-error": 8_000])
            let first = try #require(member["first_quarantined"] as? [[String: Any]])
            #expect(first.map { $0["line"] as? Int } == (0..<20).map { 2 + $0 / 4 * 5 + $0 % 4 + 1 })
        }
        let exported = try fixture.grdp("export", "--table", "quarantine")
        #expect(exported.status == 0)
        let lines = exported.stdout.split(separator: "\n").filter { $0.contains(",transactions_bulk.csv,") }
        #expect(lines.count == 8_000)
        #expect(lines.last?.contains(",transactions_bulk.csv,10001,") == true, "\(lines.last ?? "")")
        #expect(try fixture.grdp("verify").status == 0)
    }

    /// A fixture whose returns and config are `grdp generate`'s: the benchmark layout (one archive a
    /// year) of `transactions`, then an increment of `increment` rows that revises some of them.
    static func generatedWithAnIncrement(transactions: Int, increment: Int) throws -> Fixture {
        let fixture = try Fixture()
        try FileManager.default.removeItem(at: fixture.returns)
        try FileManager.default.removeItem(at: fixture.config)
        for layout in ["benchmark", "increment"] {
            let generate = try Execution.run(
                [
                    "--quiet", "generate", "--out", fixture.root.path, "--layout", layout, "--transactions",
                    "\(transactions)",
                ]
                    + (layout == "increment" ? ["--increment", "\(increment)"] : []), in: fixture.root)
            guard generate.status == 0 else {
                fixture.remove()
                throw GenerateFailed(stderr: generate.stderr)
            }
        }
        return fixture
    }

    struct GenerateFailed: Error {
        var stderr: String
    }

    /// Two runs from scratch over the same inputs and config write the same snapshot file, byte
    /// for byte, but for its `created_at` (the one thing of the file that is the moment's), with
    /// one thread reading archives or four, in another time zone. (Revisions by key partition,
    /// chosen from 1 M keys, allocate the tables' pages in another order: same rows, same content
    /// hash, another layout; and a night's snapshot is the latest's file with the changes applied.)
    @Test func twoRunsFromScratchWriteTheSameSnapshotFileButForItsTime() throws {
        let fixture = try Self.generatedWithAnIncrement(transactions: 20_000, increment: 2_000)
        defer { fixture.remove() }
        var files: [(bytes: [UInt8], createdAt: String)] = []
        for environment in [["GRDP_THREADS": "1"], ["GRDP_THREADS": "4", "TZ": "Asia/Ho_Chi_Minh"]] {
            try? FileManager.default.removeItem(at: fixture.outputs)
            let run = try fixture.grdp(["run"], environment: environment)
            #expect(run.status == 0, "\(environment): \(run.stderr)")
            let listed = try #require(
                try JSONSerialization.jsonObject(with: Data(fixture.grdp("snapshots", "--json").stdout.utf8))
                    as? [[String: Any]])
            let createdAt = try #require(listed.first?["created_at"] as? String)
            let bytes = try Data(contentsOf: fixture.outputs.appendingPathComponent("snapshots/grdp-v0001.sqlite"))
            files.append((Array(bytes), createdAt))
        }
        #expect(files[0].bytes.count == files[1].bytes.count)
        // The first file with the second's time where its own is.
        var first = files[0].bytes
        let own = Array(files[0].createdAt.utf8)
        let other = Array(files[1].createdAt.utf8)
        try #require(own.count == other.count)
        var places = 0
        var index = 0
        while index + own.count <= first.count {
            if first[index..<index + own.count].elementsEqual(own) {
                first.replaceSubrange(index..<index + own.count, with: other)
                places += 1
            }
            index += 1
        }
        #expect(places == 1)
        let same = first == files[1].bytes
        #expect(same, "the files differ in more than created_at (\(files[0].createdAt), \(files[1].createdAt))")
    }

    /// Same inputs and config, same content hash, whatever the machine (CONTRACT §6): with one
    /// thread reading archives or four (`GRDP_THREADS`; a machine's cores decide it otherwise),
    /// with the revisions taken by key partition or in memory, in any time zone. Each from
    /// scratch, on a generated set with revisions across archives.
    @Test func theContentHashDoesNotDependOnThreadsRevisionsOrTimeZone() throws {
        let fixture = try Self.generatedWithAnIncrement(transactions: 20_000, increment: 2_000)
        defer { fixture.remove() }
        // Four readers take these archives in another order than largest first, which one takes
        // (`Ingest.balanced`): the hash must not follow the order they are read in either. (The
        // archives as a run finds them, in its revision order.)
        let candidates = try ReturnsScanner.scan(folder: fixture.returns, exclude: []).archives
        #expect(Ingest.readingOrder(candidates, threads: 4) != Ingest.readingOrder(candidates, threads: 1))
        let environments: [[String: String]] = [
            ["GRDP_THREADS": "1"], ["GRDP_THREADS": "4"],
            ["GRDP_THREADS": "2", "GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "3"],
            ["TZ": "Asia/Ho_Chi_Minh", "LC_ALL": "C"], ["TZ": "America/Los_Angeles", "GRDP_LEDGER": "memory"],
        ]
        var hashes: [String] = []
        for environment in environments {
            try? FileManager.default.removeItem(at: fixture.outputs)
            let run = try fixture.grdp(["run", "--force"], environment: environment)
            #expect(run.status == 0, "\(environment): \(run.stderr)")
            hashes.append(try #require(try fixture.reportsWritten().last?["content_sha256"] as? String))
        }
        #expect(Set(hashes).count == 1, "\(zip(environments, hashes).map { "\($0): \($1)" })")
    }

    /// Superseded rows by "archive/member" in a report.
    static func superseded(_ report: [String: Any]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for archive in report["archives"] as? [[String: Any]] ?? [] {
            for member in archive["members"] as? [[String: Any]] ?? [] {
                counts["\(archive["path"] as? String ?? "?")/\(member["path"] as? String ?? "?")"] =
                    member["rows_superseded"] as? Int
            }
        }
        return counts
    }

    /// A run stopped by a rejected archive still reports the accepted archives' superseded rows,
    /// as `validate` prints them for the same returns (CONTRACT §8), with the ledger in memory and
    /// by key partition: a night that fails must not look as if its revisions had vanished.
    @Test func aRejectedRunReportsTheSupersededRowsValidateCounts() throws {
        let fixture = try Self.generatedWithAnIncrement(transactions: 5000, increment: 500)
        defer { fixture.remove() }
        try Data("not a zip".utf8).write(to: fixture.returns.appendingPathComponent("2099-04-01_bad.zip"))
        let scratch = fixture.root.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false)
        for environment in [
            ["GRDP_LEDGER": "memory"],
            ["GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "4", "TMPDIR": scratch.path],
        ] {
            let validate = try fixture.grdp(["validate"], environment: environment)
            #expect(validate.status == 65, "\(validate.stderr)")
            let printed = try #require(
                try JSONSerialization.jsonObject(with: Data(validate.stdout.utf8)) as? [String: Any])
            let run = try fixture.grdp(["run"], environment: environment)
            #expect(run.status == 65, "\(run.stderr)")
            let written = try #require(try fixture.reportsWritten().last)
            #expect(written["outcome"] as? String == "rejected")
            let counts = Self.superseded(written)
            #expect(counts == Self.superseded(printed), "\(environment)")
            let transactions = counts.filter { $0.key.contains("transaction") }.values.reduce(0, +)
            #expect(transactions > 0, "\(environment): \(counts)")
            #expect(!run.stderr.contains(" 0 superseded"), "\(run.stderr)")
        }
    }

    /// A run that resumes the revision ledger it kept (`ledger.bin`) and finds an archive rejected:
    /// a new one, and the counts are validate's; one the ledger holds (a `.sha256` that does not
    /// match appeared beside it), and the run is still rejected (65, a report), its superseded rows
    /// not counted from a ledger that holds that archive's revisions. It trapped there (exit 132).
    @Test func aRunResumingItsKeptLedgerIsRejectedCleanly() throws {
        let fixture = try Self.generatedWithAnIncrement(transactions: 5000, increment: 500)
        defer { fixture.remove() }
        let keep = ["GRDP_LEDGER": "memory", "GRDP_KEEP_LEDGER_FROM": "0"]
        #expect(try fixture.grdp(["run"], environment: keep).status == 0)
        let ledger = fixture.outputs.appendingPathComponent("cache/ledger.bin")
        #expect(FileManager.default.fileExists(atPath: ledger.path))

        let bad = fixture.returns.appendingPathComponent("2099-04-01_bad.zip")
        try Data("not a zip".utf8).write(to: bad)
        let validate = try fixture.grdp(["validate"], environment: keep)
        let printed = try #require(
            try JSONSerialization.jsonObject(with: Data(validate.stdout.utf8)) as? [String: Any])
        let newRejected = try fixture.grdp(["--verbose", "run"], environment: keep)
        #expect(newRejected.status == 65, "\(newRejected.stderr)")
        #expect(newRejected.stderr.contains("Revision ledger resumed from the cache"), "\(newRejected.stderr)")
        let counted = try #require(try fixture.reportsWritten().last)
        #expect(Self.superseded(counted) == Self.superseded(printed))
        try FileManager.default.removeItem(at: bad)

        let held = try #require(
            try FileManager.default.contentsOfDirectory(atPath: fixture.returns.path).sorted().first {
                $0.hasSuffix(".tar.gz")
            })
        try Data((String(repeating: "0", count: 64) + "\n").utf8).write(
            to: fixture.returns.appendingPathComponent(held + ".sha256"))
        let heldRejected = try fixture.grdp(["--verbose", "run"], environment: keep)
        #expect(heldRejected.status == 65, "\(heldRejected.stderr)")
        #expect(heldRejected.stderr.contains("Revision ledger resumed from the cache"), "\(heldRejected.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "rejected")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
    }

    /// Files in the returns folder that are not read (a `.rar`, a `.zip.part` still copying, a
    /// link to an archive on a share that is gone) are said on stderr, not only listed in the
    /// report; a folder with no archive at all names what it holds instead.
    @Test func filesNotReadAreSaid() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try FileManager.default.createDirectory(at: fixture.returns, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: fixture.returns.appendingPathComponent("2025-01-01_return.rar"))
        try Data("x".utf8).write(to: fixture.returns.appendingPathComponent("README.txt"))
        let none = try fixture.grdp("run")
        #expect(none.status == 66, "\(none.stderr)")
        #expect(
            none.stderr.contains("(is it mounted?); it holds 2 other file(s): 2025-01-01_return.rar, README.txt"),
            "\(none.stderr)")

        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try Data("x".utf8).write(to: fixture.returns.appendingPathComponent("2025-02-01_return.zip.part"))
        try FileManager.default.createSymbolicLink(
            atPath: fixture.returns.appendingPathComponent("2025-03-01_return.zip").path,
            withDestinationPath: "/mnt/share-gone/2025-03-01_return.zip")
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "4 file(s) in the returns folder not read (no archive, nor an archive's .sha256): "
                    + "2025-01-01_return.rar, 2025-02-01_return.zip.part, 2025-03-01_return.zip and 1 more"),
            "\(run.stderr)")
    }

    /// An archive's `.sha256` that is there but is no file to read (a FIFO, a folder, a link to
    /// nothing: a share half copied) rejects the archive, naming what it is (CONTRACT §3: an
    /// archive with a checksum beside it is checked against it), instead of taking it unchecked;
    /// also when the archive itself comes from the cache. With the checksum sound, the run
    /// publishes.
    @Test func aChecksumBesideAnArchiveThatIsNoFileRejectsIt() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let sidecar = fixture.returns.appendingPathComponent("2024-01-10_returns.zip.sha256")
        let makers: [(String, () throws -> Void)] = [
            ("a FIFO (named pipe)", { #expect(mkfifo(sidecar.path, 0o644) == 0) }),
            ("a folder", { try FileManager.default.createDirectory(at: sidecar, withIntermediateDirectories: false) }),
            (
                "a symbolic link that leads nowhere",
                {
                    try FileManager.default.createSymbolicLink(
                        atPath: sidecar.path, withDestinationPath: "/nonexistent")
                }
            ),
        ]
        for (round, (kind, make)) in makers.enumerated() {
            try make()
            let run = try fixture.grdp("run")
            #expect(run.status == 65, "\(kind): \(run.stderr)")
            #expect(run.stderr.contains("its .sha256 is \(kind), not a file to read"), "\(run.stderr)")
            // Said once, as the archive's rejection: not also as a file not read.
            #expect(!run.stderr.contains("not read"), "\(run.stderr)")
            let report = try #require(try fixture.reportsWritten().last)
            #expect(report["outcome"] as? String == "rejected")
            #expect(try fixture.snapshotFiles() == (round == 0 ? [] : ["grdp-v0001.sqlite"]))
            try FileManager.default.removeItem(at: sidecar)
            if round == 0 {
                // Published once without it: the next rounds take the archive from the cache.
                #expect(try fixture.grdp("run").status == 0)
            }
        }
        let digest = try #require(
            try Execution.run(["-c", "sha256sum 2024-01-10_returns.zip"], in: fixture.returns, executable: "/bin/sh")
                .stdout.split(separator: " ").first)
        try Data("\(digest)  2024-01-10_returns.zip\n".utf8).write(to: sidecar)
        let sound = try fixture.grdp("run")
        #expect(sound.status == 0, "\(sound.stderr)")
    }

    /// From 1 M expected keys `validate` takes revisions by key partition, as `run` does, in a
    /// scratch folder of `TMPDIR` (here forced by `GRDP_LEDGER=partitioned`): the report it prints
    /// is the one the ledger in memory gives, transactions superseded across archives included; the
    /// scratch folder is gone afterwards, as is one a killed validate left, and no outputs folder
    /// is made. A `TMPDIR` where no folder can be made leaves the counting to the ledger in
    /// memory, with a warning.
    @Test func validateTakesRevisionsByPartitionInAScratchFolderItRemoves() throws {
        let fixture = try Self.generatedWithAnIncrement(transactions: 20000, increment: 2000)
        defer { fixture.remove() }
        let scratch = fixture.root.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false)
        /// The printed report but for its times.
        func validate(_ environment: [String: String]) throws -> (report: NSDictionary, stderr: String) {
            let run = try fixture.grdp(["--verbose", "--log-format", "json", "validate"], environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            var report = try #require(
                try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            for key in ["started_at", "finished_at", "stages"] { report[key] = nil }
            return (report as NSDictionary, run.stderr)
        }
        // A validate killed left its scratch folder (removed now: its lock is free); another's,
        // running (its lock held), stays.
        let abandoned = scratch.appendingPathComponent("grdp-validate-abandoned")
        try FileManager.default.createDirectory(at: abandoned, withIntermediateDirectories: false)
        try Data("rows".utf8).write(to: abandoned.appendingPathComponent("entry.bin"))
        let held = scratch.appendingPathComponent("grdp-validate-held")
        try FileManager.default.createDirectory(at: held, withIntermediateDirectories: false)
        let holding = try OutputLock(url: held.appendingPathComponent(".lock"), waitSeconds: 0)
        let inMemory = try validate(["GRDP_LEDGER": "memory"])
        let partitioned = try validate([
            "GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "4", "TMPDIR": scratch.path,
        ])
        withExtendedLifetime(holding) {}
        #expect(partitioned.report == inMemory.report)
        #expect(partitioned.stderr.contains(#""spilled":"true""#), "\(partitioned.stderr)")
        #expect(!inMemory.stderr.contains("Revisions taken by key partition"), "\(inMemory.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["grdp-validate-held"])
        #expect(!FileManager.default.fileExists(atPath: fixture.outputs.path))
        // Transactions were superseded, in the increment's earlier archives.
        let archives = try #require(inMemory.report["archives"] as? [[String: Any]])
        let superseded = archives.flatMap { $0["members"] as? [[String: Any]] ?? [] }
            .filter { ($0["path"] as? String)?.hasPrefix("transaction") == true }
            .reduce(0) { $0 + ($1["rows_superseded"] as? Int ?? 0) }
        #expect(superseded > 0, "\(archives)")
        // A sum too precise to keep exactly fails validate as it fails run (exit 70), either way.
        let rows =
            "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
            + Self.rowsWhoseSumOverflows
        try fixture.write([.init(path: "sales/transactions.csv", text: rows)], format: .zip, as: "2099-03-01_sum.zip")
        for environment in [
            ["GRDP_LEDGER": "memory"],
            ["GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "4", "TMPDIR": scratch.path],
        ] {
            let failed = try fixture.grdp(["validate"], environment: environment)
            #expect(failed.status == 70, "\(environment): \(failed.stderr)")
            #expect(failed.stderr.contains("arithmetic overflow"), "\(environment): \(failed.stderr)")
        }
        // With an archive rejected as well, run stops at the rejection (65) before taking the sums
        // at scale, and so does validate.
        let partitionedEnvironment = [
            "GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "4", "TMPDIR": scratch.path,
        ]
        try Data("not a zip".utf8).write(to: fixture.returns.appendingPathComponent("2099-04-01_bad.zip"))
        let rejected = try fixture.grdp(["validate"], environment: partitionedEnvironment)
        #expect(rejected.status == 65, "\(rejected.stderr)")
        #expect(try fixture.grdp(["run"], environment: partitionedEnvironment).status == 65)
        try FileManager.default.removeItem(at: fixture.returns.appendingPathComponent("2099-04-01_bad.zip"))
        try FileManager.default.removeItem(at: fixture.returns.appendingPathComponent("2099-03-01_sum.zip"))
        // No folder can be made under a regular file.
        let notAFolder = fixture.root.appendingPathComponent("tmp-file")
        try Data().write(to: notAFolder)
        let fallback = try validate(["GRDP_LEDGER": "partitioned", "TMPDIR": notAFolder.path])
        #expect(fallback.report == inMemory.report)
        #expect(fallback.stderr.contains("Revisions counted in memory"), "\(fallback.stderr)")
        #expect(!fallback.stderr.contains("Revisions taken by key partition"), "\(fallback.stderr)")
    }

    /// Money is computed exactly in 38 digits, and each decimal place of an amount uses one up
    /// through Compute (a VA ratio's, then 9 more for billion VND). An amount with 25 decimal
    /// places, valid under CONTRACT §4.2, stopped the run (exit 70) naming no row; past 18 places
    /// it is `out-of-range` with its line (here its member is then rejected for the quarantine
    /// ratio, exit 65, naming it), and the latest snapshot stays. Amounts with the ~17 places of
    /// floating-point exports are fine.
    @Test func anAmountWithMoreThan18DecimalPlacesIsQuarantined() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let header = "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
        try fixture.write(
            [
                .init(
                    path: "transactions.csv", text: header + "F1,2023-06-02,0.30000000000000004,completed,website,,67\n"
                )
            ],
            format: .zip, as: "2024-01-11_float.zip")
        #expect(try fixture.grdp("run").status == 0)
        let published = try fixture.snapshotFiles()
        try fixture.write(
            [
                .init(
                    path: "transactions.csv",
                    text: header + "P1,2023-06-03,1000.1234567890123456789012345,completed,website,,67\n")
            ],
            format: .zip, as: "2024-02-01_precise.zip")
        let run = try fixture.grdp("run")
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("2024-02-01_precise.zip"), "\(run.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        let archives = try #require(report["archives"] as? [[String: Any]])
        let precise = try #require(archives.first { ($0["path"] as? String) == "2024-02-01_precise.zip" })
        let member = try #require((precise["members"] as? [[String: Any]])?.first)
        let first = try #require((member["first_quarantined"] as? [[String: Any]])?.first)
        #expect(first["line"] as? Int == 2)
        #expect(first["reason"] as? String == "out-of-range")
        #expect(
            first["detail"] as? String
                == "amount '1000.1234567890123456789012345' has 25 decimal places, more than the 18 a figure may have")
        #expect(try fixture.snapshotFiles() == published)
    }

    /// The 38 digits met while transactions are summed (`rowsWhoseSumOverflows`, whose exact sum
    /// needs 39 digits): the run stops (exit 70), and the message names the archive and member
    /// being added.
    @Test func aSumTooPreciseToKeepExactlyNamesTheArchiveAndMember() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let rows =
            "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
            + Self.rowsWhoseSumOverflows
        try fixture.write([.init(path: "sales/transactions.csv", text: rows)], format: .zip, as: "2024-03-01_sum.zip")
        let run = try fixture.grdp("run")
        #expect(run.status == 70, "\(run.stderr)")
        #expect(
            run.stderr.contains("arithmetic overflow") && run.stderr.contains("2024-03-01_sum.zip")
                && run.stderr.contains("sales/transactions.csv"), "\(run.stderr)")
        #expect(try fixture.snapshotFiles().isEmpty)
    }

    @Test func aMemberOverTheQuarantineRatioFailsTheRun() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let bad = ArchiveWriter.Entry(
            path: "enterprise.csv",
            text: "tax_code,year,vsic,value_added\n0100109106,2023,62010,1500\n0100109107,2023,62010,1\n")
        try fixture.write([bad], format: .zip, as: "a.zip")
        let run = try fixture.grdp("run")
        #expect(run.status == 65)
        #expect(try fixture.snapshotFiles().isEmpty)
        let report = try #require(try fixture.reportsWritten().last)
        let member = try #require(
            ((report["archives"] as? [[String: Any]])?.first?["members"] as? [[String: Any]])?.first)
        #expect(member["reason"] as? String == "quarantine-ratio")
        #expect(member["rows_quarantined"] as? Int == 1)
        let first = try #require((member["first_quarantined"] as? [[String: Any]])?.first)
        #expect(first["line"] as? Int == 3 && first["reason"] as? String == "invalid-tax-code")
    }

    @Test func configErrorsExit64AndMissingConfigExits66() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try (Fixture.pipelineYAML + "surprise: 1\n").write(to: fixture.config, atomically: true, encoding: .utf8)
        let bad = try fixture.grdp("run")
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("surprise"))
        let missing = try fixture.grdp("--config", "nowhere.yml", "run")
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("nowhere.yml"))
        #expect(try fixture.grdp("export", "--snapshot", "v0009").status != 0)
    }

    /// No command is a bad command line (64), told on stderr with the commands to choose from;
    /// `--help` and `--version` still succeed. Nothing is written either way.
    @Test func noCommandExits64AndHelpExits0() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        for arguments in [[], ["--config", "pipeline.yml"]] {
            let bare = try fixture.grdp(arguments)
            #expect(bare.status == 64, "\(arguments)")
            #expect(bare.stdout.isEmpty)
            #expect(bare.stderr.contains("Missing command") && bare.stderr.contains("validate"), "\(bare.stderr)")
        }
        let help = try fixture.grdp("--help")
        #expect(help.status == 0)
        #expect(help.stdout.contains("SUBCOMMANDS"))
        #expect(try fixture.grdp("--version").status == 0)
        // The commands a cron job and a report run say what their exit codes mean.
        let runHelp = try fixture.grdp("run", "--help").stdout.replacingOccurrences(of: "\n", with: " ")
        for code in [
            " 0 a new", " 64 a bad", " 65 an archive", " 66 the config", " 70 an internal", " 73 the", " 75 another",
        ] {
            #expect(runHelp.contains(code), "\(code)")
        }
        let exportHelp = try fixture.grdp("export", "--help").stdout.replacingOccurrences(of: "\n", with: " ")
        for code in [" 0 written", " 64 a bad", " 65 the snapshot", " 66 no snapshot", " 73 the output"] {
            #expect(exportHelp.contains(code), "\(code)")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.outputs.path))
    }

    @Test func aSecondRunWhileTheLockIsHeldExits75AndReportsLocked() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        try FileManager.default.createDirectory(at: fixture.outputs, withIntermediateDirectories: true)
        let lock = try OutputLock(url: fixture.outputs.appendingPathComponent(".lock"), waitSeconds: 0)
        let run = try fixture.grdp("run")
        #expect(run.status == 75)
        #expect(try fixture.snapshotFiles().isEmpty)
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "locked")
        withExtendedLifetime(lock) {}
    }

    @Test func exportOfAMissingSnapshotExits66() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        #expect(try fixture.grdp("export", "--snapshot", "v0042").status == 66)
        #expect(try fixture.grdp("diff", "v0001", "v0001").status == 0)
    }

    @Test func anEmptyReturnsFolderPublishesNothingAndExits66() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        // An unmounted share looks like an empty folder: an empty snapshot would replace every figure.
        try Data("notes".utf8).write(to: fixture.returns.appendingPathComponent("README.txt"))
        let run = try fixture.grdp("run")
        #expect(run.status == 66)
        #expect(run.stderr.contains("is it mounted?"))
        #expect(try fixture.snapshotFiles().isEmpty)
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "failed")
    }

    /// `inputs.returns` naming a file is a missing returns folder (66, the paths to check), not an
    /// internal error (70), for `run` and `validate` alike.
    @Test func aReturnsFolderThatIsAFileExits66() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try FileManager.default.removeItem(at: fixture.returns)
        try Data("not a folder".utf8).write(to: fixture.returns)
        for command in ["run", "validate"] {
            let result = try fixture.grdp(command)
            #expect(result.status == 66, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("is not a folder"), "\(command): \(result.stderr)")
        }
        #expect(try fixture.snapshotFiles().isEmpty)
    }

    @Test func anExcludedArchiveIsListedButNeverRead() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try Data("not an archive at all".utf8).write(
            to: fixture.returns.appendingPathComponent("2024-02-01_broken.zip"))
        #expect(try fixture.grdp("run").status == 65)
        // The operator lists the broken return under inputs.exclude (CONTRACT §3) and runs again.
        let yaml = Fixture.pipelineYAML.replacingOccurrences(
            of: "  returns: returns\n", with: "  returns: returns\n  exclude: [2024-02-01_broken.zip]\n")
        try yaml.write(to: fixture.config, atomically: true, encoding: .utf8)
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        let archives = try #require(try fixture.reportsWritten().last?["archives"] as? [[String: Any]])
        let excluded = try #require(archives.first { $0["path"] as? String == "2024-02-01_broken.zip" })
        #expect(excluded["status"] as? String == "excluded")

        // An up-to-date run leaves the configured exports untouched: same bytes, same mtime.
        let csv = fixture.outputs.appendingPathComponent("exports/target-vs-actual.csv")
        let before = try FileManager.default.attributesOfItem(atPath: csv.path)[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.05)
        #expect(try fixture.grdp("run").stderr.contains("Up to date"))
        let after = try FileManager.default.attributesOfItem(atPath: csv.path)[.modificationDate] as? Date
        #expect(before != nil && before == after)
    }
}
