import Foundation
import GRDPCore
import Testing

/// Nightly operation on real runs of the binary: exports, retention, listing, logs, progress (CONTRACT §7).
@Suite struct OperationsTests {
    static let headers: [String: String] = [
        "target-vs-actual": EndToEndTests.header,
        "by-district": "year,district_code,district_name,core_bvnd,ecommerce_bvnd,digitised_bvnd,de_bvnd",
        "quarantine": "archive_path,member_path,line,kind,reason,detail",
    ]
    static let tables = ["target-vs-actual", "by-district", "quarantine"]
    static let formats = ["csv", "json", "md", "html"]

    /// Late sales with two bad rows of five (a quarantine of 40 %, allowed by the config below).
    static let lateSales: [ArchiveWriter.Entry] = [
        .init(
            path: "transactions_late.csv",
            text: """
                transaction_id,date,amount,status,channel,seller_tax_code,seller_province
                X1,2024-05-01,1.2.3,completed,marketplace,,67
                X2,2024-05-02,5000000,lost,marketplace,,67
                X3,2024-05-03,7000000,completed,website,,67
                X4,2024-05-04,9000000,completed,website,,67
                X5,2023-05-05,4000000,completed,website,,67

                """)
    ]

    /// The fixture's config with every export configured (or those of `only`, "table.format"),
    /// some quarantine allowed, and `extra` lines under `outputs:`.
    static func configure(_ fixture: Fixture, outputs extra: String = "", only: [String]? = nil) throws {
        var exports = ""
        for table in tables {
            for format in formats where only?.contains("\(table).\(format)") ?? true {
                exports += "    - {table: \(table), format: \(format)}\n"
            }
        }
        let list = exports.isEmpty ? "  exports: []\n" : "  exports:\n\(exports)"
        let yaml =
            Fixture.pipelineYAML.replacingOccurrences(
                of: "  folder: Outputs\n  exports:\n    - {table: target-vs-actual, format: csv}\n",
                with: "  folder: Outputs\n\(extra)\(list)") + "quality:\n  max_quarantine_ratio: 0.5\n"
        #expect(yaml.contains("format: html") || only != nil)
        try yaml.write(to: fixture.config, atomically: true, encoding: .utf8)
    }

    static func withData() throws -> Fixture {
        let fixture = try Fixture()
        try configure(fixture)
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try fixture.write(lateSales, format: .tarGzip, as: "2024-06-01_late.tar.gz")
        return fixture
    }

    @Test func everyTableExportsInEveryFormatWithTheYearFilter() throws {
        let fixture = try Self.withData()
        defer { fixture.remove() }
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        for table in Self.tables {
            let header = try #require(Self.headers[table])
            let columns = header.split(separator: ",").map(String.init)
            for format in Self.formats {
                let all = try fixture.grdp("export", "--table", table, "--format", format)
                let only2024 = try fixture.grdp("export", "--table", table, "--format", format, "--year", "2024")
                #expect(all.status == 0 && only2024.status == 0, "\(table) \(format): \(all.stderr)")
                #expect(!all.stdout.isEmpty, "\(table) \(format)")
                switch format {
                case "csv":
                    let lines = all.stdout.split(separator: "\n").map(String.init)
                    #expect(lines.first == header)
                    #expect(lines.count > 1, "\(table) has rows")
                    let filtered = only2024.stdout.split(separator: "\n").dropFirst()
                    #expect(!filtered.isEmpty)
                    if table != "quarantine" {
                        #expect(filtered.allSatisfy { $0.hasPrefix("2024,") }, "\(table)")
                        #expect(filtered.count < lines.count - 1)
                    } else {
                        // The quarantine has no year: the filter leaves it whole.
                        #expect(only2024.stdout == all.stdout)
                    }
                case "json":
                    let object = try RecomputeTests.object(all.stdout)
                    #expect(object["table"] as? String == table)
                    #expect(object["columns"] as? [String] == columns)
                    #expect(object["snapshot"] as? String == "v0001")
                    let rows = try #require(object["rows"] as? [[String: Any]])
                    #expect(!rows.isEmpty)
                    #expect(rows.allSatisfy { Set($0.keys) == Set(columns) })
                    let filtered = try #require(try RecomputeTests.object(only2024.stdout)["rows"] as? [[String: Any]])
                    if table != "quarantine" {
                        #expect(!filtered.isEmpty && filtered.allSatisfy { $0["year"] as? Int == 2024 })
                    }
                case "md":
                    let lines = all.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                    #expect(lines[0].hasPrefix("# ") && lines[0].hasSuffix("(snapshot v0001)"))
                    #expect(lines[2] == "| " + columns.joined(separator: " | ") + " |")
                    #expect(lines[4].hasPrefix("| "))
                    if table != "quarantine" {
                        let rows = only2024.stdout.split(separator: "\n").filter { $0.hasPrefix("| 20") }
                        #expect(!rows.isEmpty && rows.allSatisfy { $0.hasPrefix("| 2024 |") })
                    }
                default:
                    #expect(all.stdout.hasPrefix("<!DOCTYPE html>") && all.stdout.hasSuffix("</html>\n"))
                    #expect(all.stdout.contains("<table") && all.stdout.contains("v0001"))
                    #expect(all.stdout.contains("Gia Nghĩa") || table == "quarantine")
                    if table != "quarantine" {
                        #expect(all.stdout.contains("<td>2023</td>") || all.stdout.contains(">2023</td>"))
                        #expect(only2024.stdout.contains(">2024</td>"))
                        #expect(!only2024.stdout.contains(">2023</td>"))
                    } else {
                        #expect(all.stdout.contains("type-error") && all.stdout.contains("unknown-status"))
                    }
                }
            }
        }
        // --output writes the same bytes to a file.
        let file = fixture.root.appendingPathComponent("by-district.md")
        #expect(
            try fixture.grdp("export", "--table", "by-district", "--format", "md", "--output", file.path).status == 0)
        #expect(
            try String(contentsOf: file, encoding: .utf8)
                == (try fixture.grdp("export", "--table", "by-district", "--format", "md").stdout))
    }

    @Test func configuredExportsAreReplacedAfterEachNewSnapshotWithADataPackage() throws {
        let fixture = try Self.withData()
        defer { fixture.remove() }
        let exports = fixture.outputs.appendingPathComponent("exports")
        #expect(try fixture.grdp("run").status == 0)
        let expected = Set(
            Self.tables.flatMap { table in Self.formats.map { "\(table).\($0)" } } + ["datapackage.json"])
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: exports.path)) == expected)
        for table in Self.tables {
            for format in Self.formats {
                let written = try String(
                    contentsOf: exports.appendingPathComponent("\(table).\(format)"), encoding: .utf8)
                #expect(written == (try fixture.grdp("export", "--table", table, "--format", format).stdout))
            }
        }
        let report = try #require(try fixture.reportsWritten().last)
        #expect((report["exports"] as? [String]).map(Set.init) == expected)

        func package() throws -> [String: Any] {
            try RecomputeTests.object(
                String(contentsOf: exports.appendingPathComponent("datapackage.json"), encoding: .utf8))
        }
        let listed = try RecomputeTests.object("{\"s\":" + (try fixture.grdp("snapshots", "--json").stdout) + "}")
        let hash = try #require(((listed["s"] as? [[String: Any]])?.last)?["content_sha256"] as? String)
        var described = try package()
        let snapshot = try #require(described["grdp_snapshot"] as? [String: Any])
        #expect(snapshot["label"] as? String == "v0001" && snapshot["content_sha256"] as? String == hash)
        let resources = try #require(described["resources"] as? [[String: Any]])
        #expect(resources.map { $0["path"] as? String } == Self.tables.map { "\($0).csv" })
        for resource in resources {
            let name = try #require(resource["name"] as? String)
            let fields = try #require((resource["schema"] as? [String: Any])?["fields"] as? [[String: Any]])
            #expect(fields.map { $0["name"] as? String ?? "" }.joined(separator: ",") == Self.headers[name])
        }
        let share = try #require(
            ((resources[0]["schema"] as? [String: Any])?["fields"] as? [[String: Any]])?.first {
                $0["name"] as? String == "share_pct"
            })
        #expect(share["type"] as? String == "number" && share["unit"] as? String == "%")

        // Up to date: nothing is rewritten. A new snapshot replaces every file; no temporary is left.
        #expect(try fixture.grdp("run").stderr.contains("Up to date"))
        #expect((try package()["grdp_snapshot"] as? [String: Any])?["label"] as? String == "v0001")
        #expect(try fixture.grdp("run", "--force").status == 0)
        described = try package()
        #expect((described["grdp_snapshot"] as? [String: Any])?["label"] as? String == "v0002")
        #expect(
            try String(contentsOf: exports.appendingPathComponent("target-vs-actual.html"), encoding: .utf8).contains(
                "v0002"))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: exports.path)) == expected)
    }

    /// An export the config stops naming is removed at the next run, up to date or not, and the
    /// data package with the last CSV: left there, it would describe an older snapshot beside the
    /// current files, and a portal publishing the folder would publish it as current. Files that
    /// are not grdp's exports stay.
    @Test func exportsNoLongerConfiguredAreRemoved() throws {
        let fixture = try Self.withData()
        defer { fixture.remove() }
        let exports = fixture.outputs.appendingPathComponent("exports")
        func listed() throws -> Set<String> { Set(try FileManager.default.contentsOfDirectory(atPath: exports.path)) }
        #expect(try fixture.grdp("run").status == 0)
        try Data("the office's own".utf8).write(to: exports.appendingPathComponent("notes.txt"))
        try Data("by hand".utf8).write(to: exports.appendingPathComponent("target-vs-actual.csv.bak"))

        try Self.configure(fixture, only: ["target-vs-actual.html", "by-district.csv"])
        let fewer = try fixture.grdp("run")
        #expect(fewer.status == 0, "\(fewer.stderr)")
        #expect(fewer.stderr.contains("Up to date"), "\(fewer.stderr)")
        #expect(fewer.stderr.contains("Export no longer configured removed"), "\(fewer.stderr)")
        #expect(
            try listed()
                == [
                    "target-vs-actual.html", "by-district.csv", "datapackage.json", "notes.txt",
                    "target-vs-actual.csv.bak",
                ])
        let package = try RecomputeTests.object(
            String(contentsOf: exports.appendingPathComponent("datapackage.json"), encoding: .utf8))
        #expect((package["resources"] as? [[String: Any]])?.map { $0["path"] as? String } == ["by-district.csv"])

        try Self.configure(fixture, only: ["target-vs-actual.html"])
        #expect(try fixture.grdp("run", "--force").status == 0)
        #expect(try listed() == ["target-vs-actual.html", "notes.txt", "target-vs-actual.csv.bak"])

        try Self.configure(fixture, only: [])
        #expect(try fixture.grdp("run").status == 0)
        #expect(try listed() == ["notes.txt", "target-vs-actual.csv.bak"])
    }

    /// An export that is a symlink to the file a portal serves is written through the link; when
    /// the config stops naming it, the link is removed, not the portal's file (outside the
    /// outputs), and a warning, the summary and the report (`exports_left_behind`) name that
    /// file: it is no longer updated, and only the operator can take it off the portal. Not when
    /// a configured export now writes that very file, nor for a link to nothing.
    @Test func aLinkedExportNoLongerConfiguredLeavesThePortalsFileWithAWarning() throws {
        let fixture = try Self.withData()
        defer { fixture.remove() }
        let exports = fixture.outputs.appendingPathComponent("exports")
        #expect(try fixture.grdp("run").status == 0)
        let portal = fixture.root.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: portal, withIntermediateDirectories: true)
        func link(_ name: String, to target: String) throws {
            let url = exports.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: url)
            try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
        }
        // Relative, as `ln -s ../../www/de.csv` writes it.
        try link("target-vs-actual.csv", to: "../../www/de.csv")
        try link("by-district.csv", to: portal.appendingPathComponent("districts.csv").path)
        try link("by-district.json", to: portal.appendingPathComponent("gone.json").path)
        #expect(try fixture.grdp("run", "--force").status == 0)
        let served = portal.appendingPathComponent("de.csv")
        let table = try String(contentsOf: served, encoding: .utf8)
        #expect(table.hasPrefix("year,grdp_bvnd,"))
        try FileManager.default.removeItem(at: portal.appendingPathComponent("gone.json"))

        // by-district.csv now written through the link target-vs-actual.csv had: nothing left
        // behind there. by-district.json's link leads to nothing: nothing left behind either.
        try Self.configure(fixture, only: ["target-vs-actual.html", "by-district.csv"])
        try link("by-district.csv", to: served.path)
        let fewer = try fixture.grdp("run")
        #expect(fewer.status == 0, "\(fewer.stderr)")
        #expect(!fewer.stderr.contains("its link removed"), "\(fewer.stderr)")
        #expect(try fixture.reportsWritten().last?["exports_left_behind"] == nil)
        #expect(!FileManager.default.fileExists(atPath: exports.appendingPathComponent("target-vs-actual.csv").path))
        let districts = try String(contentsOf: served, encoding: .utf8)
        #expect(districts.hasPrefix("year,district_code,"))

        try Self.configure(fixture, only: ["target-vs-actual.html"])
        let none = try fixture.grdp("run")
        #expect(none.status == 0, "\(none.stderr)")
        #expect(
            none.stderr.contains(
                "Export no longer configured: its link removed, not the file it names, which no run updates now"),
            "\(none.stderr)")
        // Named where it is, `..` resolved.
        let realServed = try #require(realpath(served.path, nil))
        defer { free(realServed) }
        let servedPath = String(cString: realServed)
        #expect(none.stderr.contains("linked_file=\(servedPath)"), "\(none.stderr)")
        #expect(none.stderr.contains("\(servedPath), which it named, is no longer updated"), "\(none.stderr)")
        let left = try #require(try fixture.reportsWritten().last?["exports_left_behind"] as? [[String: String]])
        #expect(left.map { $0["linked_file"] } == [servedPath])
        #expect(left.map { $0["link"] } == [exports.appendingPathComponent("by-district.csv").path])
        #expect(try String(contentsOf: served, encoding: .utf8) == districts)
    }

    /// The report's stages (CONTRACT §8): the archives' reading and decompressing (unpack) is told
    /// apart from the CSV work (normalize), each summed over the archives' worker threads. Unpack
    /// was the wall time less that sum, and on two threads came to 0.
    @Test func theReportTimesEveryStage() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.generate(transactions: 20_000)
        #expect(try fixture.grdp("run").status == 0)
        let stages = try #require(try fixture.reportsWritten().last?["stages"] as? [String: Double])
        for stage in ["unpack", "normalize", "compute", "snapshot"] {
            #expect((stages[stage] ?? 0) > 0, "\(stage): \(stages)")
        }
    }

    /// The latest file and `.snapshot-sequence` gone while an older snapshot stays (an outputs
    /// folder restored from a backup without its hidden file): the reports still name the latest's
    /// number, and it is not used again (CONTRACT §6).
    @Test func aNumberTheReportsNameIsNotReusedWhenTheSequenceFileIsLost() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        #expect(try fixture.grdp("run", "--force").status == 0)
        try FileManager.default.removeItem(at: fixture.snapshots.appendingPathComponent("grdp-v0002.sqlite"))
        try FileManager.default.removeItem(at: fixture.outputs.appendingPathComponent(".snapshot-sequence"))
        // v0001 holds these figures: up to date, and the sequence file is written again, from the reports.
        #expect(try fixture.grdp("run").status == 0)
        let sequence = fixture.outputs.appendingPathComponent(".snapshot-sequence")
        #expect(try String(contentsOf: sequence, encoding: .utf8) == "2\n")
        let run = try fixture.grdp("run", "--force")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0003.sqlite"])
    }

    /// Every snapshot file, `.snapshot-sequence` and the reports deleted by hand, the cache left:
    /// what the last run kept there (its snapshot's number, the published snapshots' checksums)
    /// still names v0002, and the next snapshot is v0003, not v0001 again (CONTRACT §6).
    @Test func aNumberTheCacheNamesIsNotReusedWhenEverythingElseIsGone() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        #expect(try fixture.grdp("run", "--force").status == 0)
        for name in try fixture.snapshotFiles() {
            try FileManager.default.removeItem(at: fixture.snapshots.appendingPathComponent(name))
        }
        try FileManager.default.removeItem(at: fixture.outputs.appendingPathComponent(".snapshot-sequence"))
        try FileManager.default.removeItem(at: fixture.outputs.appendingPathComponent("reports"))
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0003.sqlite"])
        let sequence = fixture.outputs.appendingPathComponent(".snapshot-sequence")
        #expect(try String(contentsOf: sequence, encoding: .utf8) == "3\n")
    }

    /// A run killed while publishing leaves `.snapshot-publishing` (the number and the temporary
    /// being renamed to it); the next run tells from what else is left how far it got (CONTRACT §6:
    /// numbers never reused, and a run that writes no snapshot uses no number). Each state is the
    /// one a SIGKILL at that moment leaves, made by hand: the moments are milliseconds apart.
    @Test func aRunKilledWhilePublishingNeitherReusesNorUsesUpANumber() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        let sequence = fixture.outputs.appendingPathComponent(".snapshot-sequence")
        let marker = fixture.outputs.appendingPathComponent(".snapshot-publishing")
        #expect(!FileManager.default.fileExists(atPath: marker.path), "a publish leaves no marker")
        #expect(try String(contentsOf: sequence, encoding: .utf8) == "1\n")

        // Killed before the rename: the temporary is still there, v0002 never existed, and the
        // next run publishes v0002.
        let temporary = fixture.snapshots.appendingPathComponent(".grdp-killedbefore.tmp")
        try Data("partial".utf8).write(to: temporary)
        try "2 .grdp-killedbefore.tmp\n".write(to: marker, atomically: true, encoding: .utf8)
        var run = try fixture.grdp("run", "--force")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
        #expect(!FileManager.default.fileExists(atPath: temporary.path))
        #expect(!FileManager.default.fileExists(atPath: marker.path))

        // Killed after the rename, before the number was recorded, and the file then deleted by
        // hand before any run: v0003 was visible, so it is not given to another file.
        try "3 .grdp-killedafter.tmp\n".write(to: marker, atomically: true, encoding: .utf8)
        run = try fixture.grdp("run", "--force")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite", "grdp-v0004.sqlite"])
        #expect(try String(contentsOf: sequence, encoding: .utf8) == "4\n")
        #expect(!FileManager.default.fileExists(atPath: marker.path))

        // Killed after the rename, the file still there: recorded, and the run is up to date.
        try "3\n".write(to: sequence, atomically: true, encoding: .utf8)
        try "4 .grdp-killedafter.tmp\n".write(to: marker, atomically: true, encoding: .utf8)
        run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try String(contentsOf: sequence, encoding: .utf8) == "4\n")
        #expect(!FileManager.default.fileExists(atPath: marker.path))
        run = try fixture.grdp("run", "--force")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try fixture.snapshotFiles().last == "grdp-v0005.sqlite")
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }

    /// More snapshots than `keep_snapshots` with nothing new to publish: `keep_snapshots` lowered
    /// (a setting no figure depends on, so every night after it is up to date), or a run killed
    /// between its publish and its prune. The up-to-date run removes the oldest, as it repairs
    /// the exports, on both of its paths: the inputs found unchanged without reading an archive,
    /// and the archives read and the content found the latest's.
    @Test func anUpToDateRunRemovesSnapshotsBeyondKeepSnapshots() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try Self.configure(fixture, outputs: "  keep_snapshots: 0\n")
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        #expect(try fixture.grdp("run").status == 0)
        for _ in 0..<3 { #expect(try fixture.grdp("run", "--force").status == 0) }
        #expect(try fixture.snapshotFiles().count == 4)

        try Self.configure(fixture, outputs: "  keep_snapshots: 3\n")
        let unchanged = try fixture.grdp("run")
        #expect(unchanged.status == 0, "\(unchanged.stderr)")
        #expect(unchanged.stderr.contains("Inputs unchanged since v0004"))
        #expect(
            unchanged.stderr.contains("Up to date: v0004 already holds these figures.\nRemoved old snapshots: v0001."))
        #expect(try fixture.snapshotFiles() == ["grdp-v0002.sqlite", "grdp-v0003.sqlite", "grdp-v0004.sqlite"])
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "up-to-date")
        #expect(report["pruned_snapshots"] as? [String] == ["v0001"])

        // The last run's record gone: the archives are read, and the content is the latest's.
        try Self.configure(fixture, outputs: "  keep_snapshots: 1\n")
        try FileManager.default.removeItem(at: fixture.outputs.appendingPathComponent("cache/last-run.json"))
        let read = try fixture.grdp("run")
        #expect(read.status == 0, "\(read.stderr)")
        #expect(!read.stderr.contains("Inputs unchanged since"))
        #expect(read.stderr.contains("Removed old snapshots: v0002, v0003."))
        #expect(try fixture.snapshotFiles() == ["grdp-v0004.sqlite"])
        #expect(try fixture.reportsWritten().last?["pruned_snapshots"] as? [String] == ["v0002", "v0003"])
        // Nothing more to remove: none said.
        let again = try fixture.grdp("run")
        #expect(again.status == 0)
        #expect(!again.stderr.contains("Removed old snapshots"))
        #expect(try fixture.grdp("verify").stdout == "v0004: ok\n")
    }

    @Test func keepSnapshotsRemovesTheOldestAfterANewSnapshotNeverTheLatest() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try Self.configure(fixture, outputs: "  keep_snapshots: 2\n")
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        #expect(try fixture.grdp("run").status == 0)
        #expect(try fixture.grdp("run", "--force").status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
        let third = try fixture.grdp("run", "--force")
        #expect(third.status == 0)
        #expect(third.stderr.contains("Removed old snapshots: v0001."))
        #expect(try fixture.snapshotFiles() == ["grdp-v0002.sqlite", "grdp-v0003.sqlite"])
        #expect(try fixture.reportsWritten().last?["pruned_snapshots"] as? [String] == ["v0001"])
        // An up-to-date run writes no snapshot, and removes none while they are no more than N.
        #expect(try fixture.grdp("run").status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0002.sqlite", "grdp-v0003.sqlite"])
        #expect(try fixture.grdp("export", "--snapshot", "v0001").status == 66)

        // keep_snapshots: 1 keeps the new one alone; numbers are never reused.
        try Self.configure(fixture, outputs: "  keep_snapshots: 1\n")
        #expect(try fixture.grdp("run", "--force").status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0004.sqlite"])
        #expect(try fixture.grdp("verify").stdout == "v0004: ok\n")
        #expect(try fixture.grdp("run", "--force").status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0005.sqlite"])

        // The latest deleted by hand: its number is still not used again (CONTRACT §6), and the
        // next run, which finds no snapshot to compare with, publishes v0006.
        try FileManager.default.removeItem(at: fixture.snapshots.appendingPathComponent("grdp-v0005.sqlite"))
        #expect(try fixture.grdp("run").status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0006.sqlite"])
        // What records it is only a guard: without it, the files alone give the next number.
        try FileManager.default.removeItem(at: fixture.outputs.appendingPathComponent(".snapshot-sequence"))
        #expect(try fixture.grdp("run", "--force").status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0007.sqlite"])

        // A run that writes no snapshot uses no number (CONTRACT §6): here the publish fails at
        // its rename (a folder where the file must go), and the next run takes that number.
        let sequence = fixture.outputs.appendingPathComponent(".snapshot-sequence")
        let blocked = fixture.snapshots.appendingPathComponent("grdp-v0008.sqlite")
        try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: false)
        #expect(try fixture.grdp("run", "--force").status != 0)
        try FileManager.default.removeItem(at: blocked)
        #expect(try String(contentsOf: sequence, encoding: .utf8) == "7\n")
        #expect(
            !FileManager.default.fileExists(atPath: fixture.outputs.appendingPathComponent(".snapshot-publishing").path)
        )
        #expect(try fixture.grdp("run", "--force").status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0008.sqlite"])
        // A number that could not be recorded (here: a folder in the way) is recorded by the next
        // run, so that deleting the latest file by hand still does not free it.
        try FileManager.default.removeItem(at: sequence)
        try FileManager.default.createDirectory(at: sequence, withIntermediateDirectories: false)
        let unrecorded = try fixture.grdp("run", "--force")
        #expect(unrecorded.status == 0, "\(unrecorded.stderr)")
        #expect(unrecorded.stderr.contains(".snapshot-sequence"), "\(unrecorded.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0009.sqlite"])
        try FileManager.default.removeItem(at: sequence)
        #expect(try fixture.grdp("run").status == 0)
        #expect(try String(contentsOf: sequence, encoding: .utf8) == "9\n")
        try FileManager.default.removeItem(at: fixture.snapshots.appendingPathComponent("grdp-v0009.sqlite"))
        #expect(try fixture.grdp("run").status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0010.sqlite"])
        // The latest and the sequence file both gone (an outputs folder restored without its hidden
        // file): the reports, which name each snapshot published, still keep v0010 from being reused.
        try FileManager.default.removeItem(at: fixture.snapshots.appendingPathComponent("grdp-v0010.sqlite"))
        try FileManager.default.removeItem(at: sequence)
        #expect(try fixture.grdp("run").status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0011.sqlite"])
    }

    @Test func snapshotsListsVersionsWithCommandYearsAndLatestShare() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let empty = try fixture.grdp("snapshots")
        #expect(empty.status == 0 && empty.stdout.hasPrefix("No snapshots yet"))
        #expect(try fixture.grdp("snapshots", "--json").stdout == "[]\n")

        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        #expect(try fixture.grdp("run").status == 0)
        try fixture.write(Fixture.revision, format: .zip, as: "b.zip")
        #expect(try fixture.grdp("run", "--year", "2023").status == 0)

        let text = try fixture.grdp("snapshots").stdout.split(separator: "\n").map(String.init)
        #expect(text.count == 4)
        #expect(text[0].hasPrefix("version  created_at"))
        #expect(text[0].contains("years") && text[0].contains("latest share") && text[0].contains("status"))
        #expect(text[1].hasPrefix("v0001   ") && text[1].hasSuffix("grdp run"))
        #expect(text[2].hasPrefix("v0002*  ") && text[2].hasSuffix("grdp run --year 2023"))
        // 2024 is the latest year with GRDP: share 0.0008 / 55,700 × 100 → 0.0000 %, behind its target.
        #expect(text[2].contains("  2023–2024  0.0000 % (2024)  behind  "))
        // Columns line up: every row has its command at the same place.
        #expect(Set(text[1...2].map { $0.range(of: "grdp run")?.lowerBound.utf16Offset(in: $0) ?? -1 }).count == 1)

        let json = try #require(
            try JSONSerialization.jsonObject(with: Data((try fixture.grdp("snapshots", "--json")).stdout.utf8))
                as? [[String: Any]])
        #expect(json.map { $0["version"] as? String } == ["v0001", "v0002"])
        #expect(json.map { $0["command"] as? String } == ["grdp run", "grdp run --year 2023"])
        #expect(json.map { $0["is_latest"] as? Bool } == [false, true])
        #expect(json[1]["years"] as? [Int] == [2023, 2024])
        #expect(json[1]["latest_year"] as? Int == 2024)
        #expect((json[1]["latest_share_pct"] as? NSNumber)?.doubleValue == 0)
        #expect(json[1]["latest_status"] as? String == "behind")
        #expect(json[1]["parent_version"] as? String == "v0001")
        #expect((json[1]["created_at"] as? String)?.hasSuffix("Z") == true)
        #expect((json[1]["content_sha256"] as? String)?.count == 64)
    }

    /// A return's file name is its sender's choice, and the command the operator's: `diff` and
    /// `snapshots` write their control characters out as the log does, so that ESC drives no
    /// terminal and a line break forges no line (export audit 39, M1). The JSON keeps the text.
    @Test func diffAndSnapshotsWriteControlCharactersOut() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        #expect(try fixture.grdp("run").status == 0)
        let named = "b_\u{1B}[31mred\u{07}\nFORGED.zip"
        try fixture.write(Fixture.revision, format: .zip, as: named)
        let config = "p\u{1B}[7m\nFAKE.yml"
        try FileManager.default.createSymbolicLink(
            atPath: fixture.root.appendingPathComponent(config).path, withDestinationPath: "pipeline.yml")
        #expect(try fixture.grdp("--config", config, "run").status == 0)

        let diff = try fixture.grdp("diff", "v0001", "v0002")
        #expect(
            diff.status == 0 && !diff.stdout.contains("\u{1B}") && !diff.stdout.contains("\u{07}"), "\(diff.stdout)")
        #expect(diff.stdout.contains("  added    b_\\u001b[31mred\\u0007\\nFORGED.zip  ("), "\(diff.stdout)")
        #expect(diff.stdout.contains("p\\u001b[7m\\nFAKE.yml run\n"), "\(diff.stdout)")
        let list = try fixture.grdp("snapshots")
        #expect(list.status == 0 && !list.stdout.contains("\u{1B}"), "\(list.stdout)")
        #expect(list.stdout.split(separator: "\n").count == 4, "\(list.stdout)")
        #expect(list.stdout.contains("p\\u001b[7m\\nFAKE.yml run\n"), "\(list.stdout)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data((try fixture.grdp("snapshots", "--json")).stdout.utf8))
                as? [[String: Any]])
        #expect((json.last?["command"] as? String)?.contains("\u{1B}[7m\nFAKE.yml") == true)
    }

    @Test func jsonLogsAreOneObjectALineAndPlainLogsHaveNoTerminalCodes() throws {
        let fixture = try Self.withData()
        defer { fixture.remove() }
        let run = try fixture.grdp("--log-format", "json", "run")
        #expect(run.status == 0)
        #expect(run.stdout.isEmpty)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count >= 2)
        var objects: [[String: Any]] = []
        for line in lines {
            let object = try RecomputeTests.object(line)
            #expect(object["time"] is String && object["level"] is String && object["message"] is String, "\(line)")
            objects.append(object)
        }
        #expect(
            objects.contains {
                $0["message"] as? String == "Snapshot published" && $0["snapshot"] as? String == "v0001"
            })
        let finished = try #require(objects.last)
        #expect(finished["message"] as? String == "Run finished")
        #expect(finished["outcome"] as? String == "snapshot" && finished["exit_code"] as? String == "0")
        #expect((finished["report"] as? String)?.hasSuffix(".json") == true)
        #expect((finished["summary"] as? String)?.contains("2 quarantined") == true)

        // Failures too: a missing snapshot (66) and a lock held by another run (75).
        let missing = try fixture.grdp("export", "--snapshot", "v0009", "--log-format", "json")
        #expect(missing.status == 66)
        let error = try RecomputeTests.object(missing.stderr.trimmingCharacters(in: .newlines))
        #expect(error["level"] as? String == "error" && error["exit_code"] as? String == "66")
        #expect((error["error"] as? String)?.contains("v0009") == true)
        // `v0000` is a version's label too, of one no run ever publishes: missing (66), not a bad
        // command line (64), to every command that names a snapshot.
        for arguments in [["export", "--snapshot", "v0000"], ["verify", "v0000"], ["diff", "v0000", "v0001"]] {
            let none = try fixture.grdp(arguments)
            #expect(
                none.status == 66 && none.stderr.contains("snapshot v0000 not found"), "\(arguments): \(none.stderr)")
        }
        do {
            let lock = try OutputLock(url: fixture.outputs.appendingPathComponent(".lock"), waitSeconds: 0)
            defer { withExtendedLifetime(lock) {} }
            let locked = try fixture.grdp("run", "--log-format", "json")
            #expect(locked.status == 75)
            for line in locked.stderr.split(separator: "\n") {
                #expect((try? RecomputeTests.object(String(line))) != nil, "\(line)")
            }
            #expect(locked.stderr.contains("\"outcome\":\"locked\""))
        }

        // Text logs with stderr not a terminal: log lines and the summary, no progress bar.
        let plain = try fixture.grdp("run", "--force")
        #expect(plain.status == 0)
        #expect(
            !plain.stderr.contains("\r") && !plain.stderr.contains("\u{1B}") && !plain.stderr.contains("archive 1/"))
        #expect(plain.stderr.contains(" info Snapshot published snapshot=v0002\n"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func onATerminalTheProgressLineIsRedrawnWithinTheWidthAndCleared() throws {
        let fixture = try Self.withData()
        defer { fixture.remove() }
        /// util-linux `script` runs the binary with `options` on a pseudo-terminal `columns` wide:
        /// its exit status and everything it wrote there.
        func onATerminal(_ options: String, columns: Int = 60) throws -> (status: Int32, text: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            process.arguments = [
                "-qec", "stty cols \(columns); '\(Execution.binary.path)' \(options)", "/dev/null",
            ]
            process.currentDirectoryURL = fixture.root
            let output = fixture.root.appendingPathComponent(".pty")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            try handle.close()
            return (process.terminationStatus, String(decoding: try Data(contentsOf: output), as: UTF8.self))
        }
        let (status, text) = try onATerminal("run")
        #expect(status == 0)
        #expect(text.contains("archive 1/2"))
        #expect(text.contains("\u{1B}[K"))
        // Each redraw starts with a carriage return and stays within 59 columns, so it never wraps.
        let redraws = text.split(separator: "\r").filter { $0.contains("archive ") }
        #expect(!redraws.isEmpty)
        for redraw in redraws {
            let line = redraw.replacingOccurrences(of: "\u{1B}[K", with: "").split(separator: "\n").first ?? ""
            #expect(line.count <= 59, "\(line)")
        }
        // The bar is cleared before the summary.
        #expect(text.contains("\r\u{1B}[K"))
        #expect(text.contains("New snapshot v0001."))

        // No bar among JSON log lines, each one object, nor under --quiet, on the same terminal.
        for options in ["--log-format json run --force", "--quiet run --force"] {
            let (status, text) = try onATerminal(options)
            #expect(status == 0)
            #expect(!text.contains("archive 1/2") && !text.contains("\u{1B}"), "\(options): \(text)")
            if options.hasPrefix("--log-format") {
                let lines = text.split(whereSeparator: \.isNewline)
                #expect(!lines.isEmpty)
                for line in lines { #expect((try? RecomputeTests.object(String(line))) != nil, "\(line)") }
            }
        }

        // An archive named with an escape sequence and a right-to-left override: the progress
        // line writes them out as the log does (review 44, M1: it wrote them raw).
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-05-01_x\u{1B}[31m\u{202E}.zip")
        let (named, shown) = try onATerminal("run", columns: 200)
        #expect(named == 0)
        #expect(shown.contains(#"x\u001b[31m\u202e.zip"#), "\(shown)")
        #expect(!shown.contains("\u{1B}[31m") && !shown.unicodeScalars.contains { $0.value == 0x202E }, "\(shown)")
    }
}
