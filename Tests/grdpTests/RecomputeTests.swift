import Foundation
import Testing

@testable import GRDPCore

/// `run --year` and `diff` on real runs of the binary (CONTRACT §7).
@Suite struct RecomputeTests {
    static let header = EndToEndTests.header

    /// A revision that moves two years: the retailer's 2023 value added (2,000 → 2,500.5 million
    /// VND) and the 2024 GRDP (55,700 → 60,000 billion VND).
    static let twoYearRevision: [ArchiveWriter.Entry] =
        Fixture.revision + [
            .init(path: "grdp_rev.csv", text: "year,grdp,province_code,price_basis\n2024,60000,67,current\n")
        ]

    // Before the revision:
    // 2023: core 1.500; e-commerce T1 0.008 + T2 0.006 = 0.014; digitised (2.000 − 0.008) × 0.05 = 0.0996
    //   → 0.100; de 1.6136 → 1.614; share 1.6136 / 51,000 × 100 = 0.0031639… → 0.0032;
    //   gap 0.0031639 − 12.656 → −12.6528.
    // After it, 2023 (as in EndToEndTests): digitised (2.5005 − 0.008) × 0.05 = 0.124625 → 0.125; de 1.639.
    // 2024 with GRDP 60,000: share 0.0008 / 60,000 × 100 → 0.0000, gap −16.3280.
    static let before2023 = "2023,51000.000,1.500,0.014,0.100,1.614,0.0032,12.6560,interpolated,-12.6528,behind"
    static let after2023 = "2023,51000.000,1.500,0.014,0.125,1.639,0.0032,12.6560,interpolated,-12.6528,behind"
    static let before2024 = "2024,55700.000,0.000,0.001,0.000,0.001,0.0000,16.3280,interpolated,-16.3280,behind"
    static let after2024 = "2024,60000.000,0.000,0.001,0.000,0.001,0.0000,16.3280,interpolated,-16.3280,behind"

    @Test func recomputingOneYearMovesOnlyThatYear() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        #expect(
            try fixture.grdp("export").stdout
                == [Self.header, Self.before2023, Self.before2024, ""].joined(separator: "\n"))

        try fixture.write(Self.twoYearRevision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        let recompute = try fixture.grdp("run", "--year", "2023")
        #expect(recompute.status == 0, "\(recompute.stderr)")
        #expect(recompute.stderr.contains("New snapshot v0002 (recomputed 2023)."))
        // Only 2023 moved; 2024 keeps v0001's GRDP although the inputs now say 60,000.
        #expect(
            try fixture.grdp("export").stdout
                == [Self.header, Self.after2023, Self.before2024, ""].joined(separator: "\n"))

        // Every per-year table keeps 2024's rows exactly; source_archive describes the current inputs.
        let store = SnapshotStore(folder: fixture.snapshots)
        let v1 = try store.open(version: 1).loadContent()
        let v2 = try store.open(version: 2).loadContent()
        #expect(v2.grdp.filter { $0.year == 2024 } == v1.grdp.filter { $0.year == 2024 })
        #expect(v2.ecommerceSales.filter { $0.year == 2024 } == v1.ecommerceSales.filter { $0.year == 2024 })
        #expect(v2.districtIndicators.filter { $0.year == 2024 } == v1.districtIndicators.filter { $0.year == 2024 })
        #expect(v2.indicators.filter { $0.year == 2024 } == v1.indicators.filter { $0.year == 2024 })
        #expect(
            v2.enterprises.filter { $0.year == 2023 }.map(\.source.archivePath).contains("2024-02-01_revision.tar.gz"))
        #expect(v2.sourceArchives.map(\.path) == ["2024-01-10_returns.zip", "2024-02-01_revision.tar.gz"])
        #expect(try store.open(version: 2).meta.command == "grdp run --year 2023")
        #expect(try store.open(version: 2).meta.parentVersion == 1)
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["recomputed_years"] as? [Int] == [2023])

        // diff: the two changed cells of 2023, and the new archive.
        let text = try fixture.grdp("diff", "v0001", "v0002")
        #expect(text.status == 0)
        #expect(text.stdout.contains("v0002  created "))
        #expect(text.stdout.contains("grdp run --year 2023"))
        #expect(text.stdout.contains("  year  column            old    new  change\n"))
        #expect(text.stdout.contains("  2023  digitised_bvnd  0.100  0.125  +0.025\n"))
        #expect(text.stdout.contains("  2023  de_bvnd         1.614  1.639  +0.025\n"))
        #expect(!text.stdout.contains("  2024  "))
        #expect(text.stdout.contains("  added    2024-02-01_revision.tar.gz  ("))
        let csv = try fixture.grdp("diff", "v1", "v2", "--format", "csv")
        #expect(
            csv.stdout == """
                year,column,old,new,change
                2023,digitised_bvnd,0.100,0.125,0.025
                2023,de_bvnd,1.614,1.639,0.025

                """)
        let json = try Self.object(try fixture.grdp("diff", "v1", "v2", "--format", "json").stdout)
        #expect(json["from"] as? String == "v0001" && json["to"] as? String == "v0002")
        let changes = try #require(json["changes"] as? [[String: Any]])
        #expect(changes.map { $0["column"] as? String } == ["digitised_bvnd", "de_bvnd"])
        #expect(changes.first?["old"] as? String == "0.100" && changes.first?["new"] as? String == "0.125")
        #expect((changes.first?["change"] as? NSNumber)?.doubleValue == 0.025)
        let archives = try #require(json["archives_changed"] as? [[String: Any]])
        #expect(archives.count == 1 && archives[0]["path"] as? String == "2024-02-01_revision.tar.gz")
        #expect(archives[0]["old_sha256"] is NSNull && (archives[0]["new_sha256"] as? String)?.count == 64)

        // Recomputing the same year again changes nothing.
        let again = try fixture.grdp("run", "--year", "2023")
        #expect(again.status == 0 && again.stderr.contains("Up to date"))

        // A full run brings 2024 up to date; only 2024 moves, and no archive differs. It says so,
        // since 2024 is a year the --year run kept (audit 33, F1: silent before).
        let caughtUp = try fixture.grdp("run")
        #expect(caughtUp.status == 0, "\(caughtUp.stderr)")
        #expect(
            caughtUp.stderr.contains(
                "WARNING: v0002 was made by run --year, which kept other years as they were; this run recomputes every "
                    + "year from the current returns and config, and changes years it kept: 2024 GRDP 55700.000, de "
                    + "0.001 billion VND, share 0.0000 % → GRDP 60000.000, de 0.001 billion VND, share 0.0000 % "
                    + "(kept_years_recomputed in the report)."), "\(caughtUp.stderr)")
        let recomputed = try #require(
            try fixture.reportsWritten().last?["kept_years_recomputed"] as? [[String: Any]])
        #expect(recomputed.count == 1 && recomputed[0]["year"] as? Int == 2024)
        #expect(recomputed[0]["kept_in"] as? String == "v0002")
        #expect((recomputed[0]["grdp_bvnd"] as? NSNumber)?.doubleValue == 60000)
        #expect(
            try fixture.grdp("export").stdout
                == [Self.header, Self.after2023, Self.after2024, ""].joined(separator: "\n"))
        let full = try fixture.grdp("diff", "v0002", "v0003", "--format", "csv")
        #expect(
            full.stdout == """
                year,column,old,new,change
                2024,grdp_bvnd,55700.000,60000.000,4300.000

                """)
        #expect(
            try fixture.grdp("diff", "v0002", "v0003").stdout.contains("Archives: the same files (SHA-256) in both."))

        // A --year run whose kept years the next full run leaves as they are: nothing said.
        #expect(try fixture.grdp("run", "--year", "2023", "--force").status == 0)
        let quiet = try fixture.grdp("run", "--force")
        #expect(quiet.status == 0 && !quiet.stderr.contains("kept_years_recomputed"), "\(quiet.stderr)")
    }

    /// `run --year` after an edit of the settings figures are computed with (a VA ratio) keeps
    /// the other years' figures as they were, computed with the earlier ratio: said, with the
    /// years (audit 33, F2: two methodologies mixed without a word, a target edit alone said).
    /// A target edit alone is not said so: its own warning names it.
    @Test func recomputingOneYearAfterAMethodologyEditSaysWhichYearsKeepTheOldSettings() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let retargeted = try fixture.editConfig(
            replacing: "{year: 2030, share_pct: 30.0", with: "{year: 2030, share_pct: 31.0")
        let targetsOnly = try fixture.grdp("run", "--year", "2024")
        #expect(
            targetsOnly.status == 0 && !targetsOnly.stderr.contains("computed with other settings"),
            "\(targetsOnly.stderr)")
        // The full run after it moves the kept years' targets, not their figures: only the targets'
        // own warning had anything to say (review 33, M1).
        let full = try fixture.grdp("run")
        #expect(full.status == 0 && !full.stderr.contains("changes years it kept"), "\(full.stderr)")
        // A limit is no setting a figure is computed with (review 33, M3).
        try fixture.editConfig(
            retargeted, replacing: "outputs:\n", with: "limits:\n  max_compression_ratio: 300\noutputs:\n")
        let limitsOnly = try fixture.grdp("run", "--year", "2024")
        #expect(
            limitsOnly.status == 0 && !limitsOnly.stderr.contains("computed with other settings"),
            "\(limitsOnly.stderr)")
        try retargeted.write(to: fixture.config, atomically: true, encoding: .utf8)
        #expect(try fixture.grdp("run").status == 0)
        try fixture.editConfig(retargeted, replacing: "va_ratio_default: 0.10", with: "va_ratio_default: 0.12")
        let run = try fixture.grdp("--quiet", "run", "--year", "2024")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "warning Years kept by --year were computed with other settings than the config's now: their figures "
                    + "are kept as they were years=2023"), "\(run.stderr)")
        #expect(try fixture.reportsWritten().last?["kept_years_other_settings"] as? [Int] == [2023])
    }

    /// Which settings each year was computed with is the snapshot's to say
    /// (`settings_sha256_by_year`), not only the last full run's: a second `run --year` after the
    /// first keeps saying which years have the earlier settings, and so does one with `cache/`
    /// removed (review 33, H1: both said nothing, the latest snapshot being a `--year` run's).
    /// The full run after it computes every year with the config's: nothing more to say.
    /// Also with the revisions by key partition, whose full run, computing a year at a time,
    /// recorded no year at all (`{}`) until 2026-12-06.
    @Test(arguments: [[:], ["GRDP_PARTITIONED_FROM": "0"]])
    func everyRunYearSaysWhichKeptYearsHaveOtherSettingsFromTheSnapshotItself(environment: [String: String]) throws {
        var fixture = try Fixture()
        fixture.environment = environment
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        func settings(_ version: String) throws -> [String: String] {
            let url = fixture.snapshots.appendingPathComponent("grdp-\(version).sqlite")
            let database = try Database(path: url.path, mode: .readOnlyImmutable)
            defer { database.close() }
            let rows = try database.rows(
                "SELECT value FROM snapshot_meta WHERE key = 'settings_sha256_by_year'")
            guard case .text(let text)? = rows.first?.first else { return [:] }
            let record = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(record["scheme"] as? String == "grdp-year-settings-v1")
            return try #require(record["years"] as? [String: String])
        }
        let first = try settings("v0001")
        #expect(first.keys.sorted() == ["2023", "2024"])

        // 2024's one sale (T3, local 2024-01-01) is a marketplace's.
        try fixture.editConfig(replacing: "marketplace: 0.08", with: "marketplace: 0.09")
        let once = try fixture.grdp("run", "--year", "2024")
        #expect(once.status == 0 && once.stderr.contains("years=2023"), "\(once.stderr)")
        let second = try settings("v0002")
        #expect(second["2023"] == first["2023"] && second["2024"] != first["2024"])
        // Again, the latest being that --year run's: 2023 still has the earlier settings.
        let again = try fixture.grdp("--quiet", "run", "--year", "2024", "--force")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            again.stderr.contains(
                "warning Years kept by --year were computed with other settings than the config's now: their figures "
                    + "are kept as they were years=2023"), "\(again.stderr)")
        #expect(try fixture.reportsWritten().last?["kept_years_other_settings"] as? [Int] == [2023])
        #expect(try settings("v0003") == second)
        // With no cache of any run: the snapshot alone tells.
        try FileManager.default.removeItem(at: fixture.outputs.appendingPathComponent("cache"))
        let uncached = try fixture.grdp("run", "--year", "2024", "--force")
        #expect(uncached.status == 0 && uncached.stderr.contains("years=2023"), "\(uncached.stderr)")
        // 2023 recomputed with the config's settings: nothing kept has others.
        let other = try fixture.grdp("run", "--year", "2023")
        #expect(other.status == 0 && !other.stderr.contains("other settings"), "\(other.stderr)")
        let mended = try settings("v0005")
        // No fx: the two years' settings are the same settings.
        #expect(mended["2024"] == second["2024"] && mended["2023"] == mended["2024"])
        #expect(try fixture.grdp("verify").status == 0)
        // Back to the first settings, a full run: every year computed with them, nothing said after.
        try Fixture.pipelineYAML.write(to: fixture.config, atomically: true, encoding: .utf8)
        #expect(try fixture.grdp("run").status == 0)
        #expect(try settings("v0006") == first)
        let after = try fixture.grdp("run", "--year", "2024", "--force")
        #expect(after.status == 0 && !after.stderr.contains("other settings"), "\(after.stderr)")
    }

    /// An fx rate applies to its year's transactions alone: adding 2024's rate, or correcting it,
    /// then `run --year 2024`, says nothing of 2023, computed as the config's settings compute it
    /// (review 37, M2: every kept year was said computed with other settings, on every `run --year`
    /// after). Correcting 2023's rate is said of 2023 when 2024 is asked for.
    @Test func anFXRateOfOneYearIsNoOtherSettingForTheOthers() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let withRate = try fixture.editConfig(
            replacing: "  returns: returns\n", with: "  returns: returns\n  fx:\n    USD: {2023: 23800}\n")
        #expect(try fixture.grdp("run").status == 0)
        let nextYear = try fixture.editConfig(
            withRate, replacing: "USD: {2023: 23800}", with: "USD: {2023: 23800, 2024: 24900}")
        let added = try fixture.grdp("run", "--year", "2024", "--force")
        #expect(added.status == 0 && !added.stderr.contains("other settings"), "\(added.stderr)")
        try fixture.editConfig(nextYear, replacing: "2024: 24900", with: "2024: 25000")
        let corrected = try fixture.grdp("run", "--year", "2024", "--force")
        #expect(corrected.status == 0 && !corrected.stderr.contains("other settings"), "\(corrected.stderr)")
        try fixture.editConfig(nextYear, replacing: "2023: 23800", with: "2023: 23900")
        let earlier = try fixture.grdp("run", "--year", "2024", "--force")
        #expect(earlier.status == 0 && earlier.stderr.contains("other settings"), "\(earlier.stderr)")
        #expect(try fixture.reportsWritten().last?["kept_years_other_settings"] as? [Int] == [2023])
    }

    /// `run --year` keeps the other years' rows as they were (CONTRACT §7), their targets too: when
    /// the config's targets changed since, the run says which years keep which target, the report
    /// lists them, and the HTML export draws the table's targets off the new trajectory (export
    /// audit 31, H1: the chart showed 2024 at the new target while the table said the old).
    @Test func recomputingOneYearAfterATargetEditSaysWhichYearsKeepTheOldTarget() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let edited = Fixture.pipelineYAML.replacingOccurrences(of: "share_pct: 20.0", with: "share_pct: 40.0")
        #expect(edited != Fixture.pipelineYAML)
        try edited.write(to: fixture.config, atomically: true, encoding: .utf8)

        let recompute = try fixture.grdp("run", "--year", "2023")
        #expect(recompute.status == 0, "\(recompute.stderr)")
        // 2023 takes the new trajectory: 1.64 + (40 − 1.64) × 3/5 = 24.656; 2024 keeps 16.3280
        // where the config now gives 1.64 + 38.36 × 4/5 = 32.328.
        #expect(
            recompute.stderr.contains(
                "WARNING: targets in the config differ from those these years were computed with: 2024 (16.3280 % "
                    + "interpolated; now 32.3280 % interpolated). --year keeps their rows as they were"),
            "\(recompute.stderr)")
        let csv = try fixture.grdp("export").stdout
        #expect(csv.contains("\n2023,51000.000,1.500,0.014,0.100,1.614,0.0032,24.6560,interpolated,-24.6528,behind\n"))
        #expect(csv.contains("\n" + Self.before2024 + "\n"))
        let report = try #require(try fixture.reportsWritten().last)
        let kept = try #require(report["targets_not_recomputed"] as? [[String: Any]])
        #expect(kept.count == 1)
        #expect(kept.first?["year"] as? Int == 2024)
        #expect((kept.first?["target_pct"] as? NSNumber)?.doubleValue == 16.328)
        #expect(kept.first?["target_kind"] as? String == "interpolated")
        #expect((kept.first?["config_target_pct"] as? NSNumber)?.doubleValue == 32.328)
        #expect(kept.first?["config_target_kind"] as? String == "interpolated")
        let html = try fixture.grdp("export", "--format", "html").stdout
        #expect(html.contains("<title>Target 2024 in the table: 16.3280 % (interpolated), from other target points"))
        #expect(!html.contains("<title>Target 2023 in the table"))
        #expect(html.contains("The table's targets for 2024 are not on the trajectory drawn"))

        // A full run recomputes every year: nothing kept, nothing said.
        let full = try fixture.grdp("run")
        #expect(full.status == 0 && !full.stderr.contains("WARNING: targets"), "\(full.stderr)")
        #expect(try #require(try fixture.reportsWritten().last)["targets_not_recomputed"] == nil)
        #expect(!(try fixture.grdp("export", "--format", "html").stdout.contains("target-kept")))
    }

    /// The same after `targets.interpolation` changed from none to linear: the chart draws the
    /// trajectory as the snapshot's config sets it (`target_interpolation`), and names the kept
    /// year, 2023, not the recomputed one. Inferred from the rows, which `--year` had mixed, the
    /// page named 2024 and dropped the line (review 31, M1).
    @Test func recomputingOneYearAfterAnInterpolationEditNamesTheKeptYear() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let none = Fixture.pipelineYAML.replacingOccurrences(
            of: "targets:\n", with: "targets:\n  interpolation: none\n")
        #expect(none != Fixture.pipelineYAML)
        try none.write(to: fixture.config, atomically: true, encoding: .utf8)
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let before = try fixture.grdp("export", "--format", "html").stdout
        #expect(!before.contains("class=\"target-line\"") && !before.contains("not on the trajectory"))

        try Fixture.pipelineYAML.write(to: fixture.config, atomically: true, encoding: .utf8)
        let recompute = try fixture.grdp("run", "--year", "2024")
        #expect(recompute.status == 0, "\(recompute.stderr)")
        #expect(recompute.stderr.contains("2023 (no target; now 12.6560 % interpolated)"), "\(recompute.stderr)")
        let html = try fixture.grdp("export", "--format", "html").stdout
        #expect(html.contains("class=\"target-line\""))
        #expect(html.contains("The table's targets for 2023 are not on the trajectory drawn"))
        #expect(!html.contains("class=\"target-kept\""))
    }

    /// Also with the revisions by key partition, whose `run --year` of two years goes a year at a
    /// time: 2024's rows deleted from the copy as a year with no row now, and the warnings said
    /// once the publish computed the years.
    @Test(arguments: [[:], ["GRDP_PARTITIONED_FROM": "0"]])
    func aRequestedYearWithoutDataLosesItsRowsAndAFirstRecomputeHasOnlyThoseYears(
        environment: [String: String]
    ) throws {
        var fixture = try Fixture()
        fixture.environment = environment
        defer { fixture.remove() }
        // No snapshot yet: `run --year 2023` writes 2023 alone.
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        #expect(try fixture.grdp("run", "--year", "2023").status == 0)
        #expect(try fixture.grdp("export").stdout == [Self.header, Self.before2023, ""].joined(separator: "\n"))
        #expect(try fixture.grdp("run").status == 0)
        #expect(
            try fixture.grdp("export").stdout
                == [Self.header, Self.before2023, Self.before2024, ""].joined(separator: "\n"))

        // The returns are replaced by ones without any 2024 row: T3 and the 2024 GRDP are gone.
        try FileManager.default.removeItem(at: fixture.returns.appendingPathComponent("a.zip"))
        let without2024 = Fixture.firstReturn.map { entry -> ArchiveWriter.Entry in
            let kept = String(decoding: entry.data, as: UTF8.self).split(
                separator: "\n", omittingEmptySubsequences: false
            )
            .filter { !$0.hasPrefix("T3,") && !$0.hasPrefix("2024,") }
            return .init(path: entry.path, text: kept.joined(separator: "\n"))
        }
        try fixture.write(without2024, format: .zip, as: "b.zip")
        let run = try fixture.grdp("run", "--year", "2024", "--year", "2031")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("Requested year has no data any more: its rows are dropped year=2024"))
        #expect(run.stderr.contains("Requested year has no data year=2031"))
        #expect(try fixture.grdp("export").stdout == [Self.header, Self.before2023, ""].joined(separator: "\n"))
        let content = try SnapshotStore(folder: fixture.snapshots).open(version: 3).loadContent()
        #expect(content.grdp.map(\.year) == [2023])
        #expect(!content.ecommerceSales.contains { $0.year == 2024 })
        #expect(try fixture.grdp("diff", "v0002", "v0003").stdout.contains("Years removed: 2024"))
        #expect(try fixture.grdp("diff", "v0002", "v0003", "--format", "csv").stdout.contains("2024,year,removed,,\n"))
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}
