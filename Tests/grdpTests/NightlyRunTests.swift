import Foundation
import GRDPCore
import Testing

/// The nightly run over inputs that did not change (issue 5): every archive is hashed, none is
/// decompressed, and the answer is the one a full run would give (`RunCache`).
@Suite struct NightlyRunTests {
    /// The report's `archives`, as canonical JSON, to compare two runs' views of the inputs.
    static func archivesJSON(_ report: [String: Any]) throws -> String {
        let archives = try #require(report["archives"])
        let data = try JSONSerialization.data(withJSONObject: archives, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func isShortcut(_ report: [String: Any]?) -> Bool {
        report?["inputs_unchanged_since"] != nil
    }

    var cacheFile: (Fixture) -> URL = { $0.outputs.appendingPathComponent("cache/last-run.json") }

    @Test func unchangedInputsAreUpToDateWithoutDecompressing() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        try Data("not a return".utf8).write(to: fixture.returns.appendingPathComponent("README.txt"))
        #expect(try fixture.grdp("run").status == 0)
        let first = try #require(try fixture.reportsWritten().last)
        #expect(!Self.isShortcut(first))
        #expect(FileManager.default.fileExists(atPath: cacheFile(fixture).path))

        let second = try fixture.grdp("run")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("no archive decompressed"))
        #expect(second.stderr.contains("Up to date: v0001 already holds these figures."))
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "up-to-date")
        #expect(report["snapshot"] as? String == "v0001")
        #expect(report["inputs_unchanged_since"] as? String == "v0001")
        #expect(report["content_sha256"] as? String == first["content_sha256"] as? String)
        #expect((report["stages"] as? [String: Double])?["normalize"] == 0)
        // The report still describes every archive, member and count, as the reading run saw them.
        #expect(try Self.archivesJSON(report) == Self.archivesJSON(first))
        #expect(report["ignored_files"] as? [String] == ["README.txt"])
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
    }

    @Test func anyChangeToTheInputsReadsEverythingAgain() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)

        // A new archive: read, a new snapshot, and that snapshot is the one a run from scratch gives.
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        #expect(try fixture.grdp("run").status == 0)
        var report = try #require(try fixture.reportsWritten().last)
        #expect(!Self.isShortcut(report))
        #expect(report["snapshot"] as? String == "v0002")

        // The file changes, not a setting (a comment): still the shortcut, as the figures cannot
        // have changed (`PipelineConfig.figuresSHA256`).
        let yaml = try String(contentsOf: fixture.config, encoding: .utf8)
        try (yaml + "# reviewed\n").write(to: fixture.config, atomically: true, encoding: .utf8)
        #expect(try fixture.grdp("run").status == 0)
        report = try #require(try fixture.reportsWritten().last)
        #expect(Self.isShortcut(report) && report["snapshot"] as? String == "v0002")
        // A setting changes, not the figures (the va ratio of a channel no return uses): computed
        // again, up to date by content hash; the next run is a shortcut again.
        try yaml.replacingOccurrences(of: "website: 0.12}", with: "website: 0.12, social: 0.2}")
            .write(to: fixture.config, atomically: true, encoding: .utf8)
        #expect(try fixture.grdp("run").status == 0)
        report = try #require(try fixture.reportsWritten().last)
        #expect(!Self.isShortcut(report) && report["outcome"] as? String == "up-to-date")
        #expect(report["snapshot"] as? String == "v0002")
        #expect(try fixture.grdp("run").status == 0)
        #expect(Self.isShortcut(try fixture.reportsWritten().last))

        // The same archive rewritten with other bytes (one more, non-data member) is another archive.
        try fixture.write(
            Fixture.firstReturn + [.init(path: "notes.txt", text: "checked\n")], format: .zip,
            as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        report = try #require(try fixture.reportsWritten().last)
        #expect(!Self.isShortcut(report) && report["snapshot"] as? String == "v0003")

        // A file the run ignores still shows in the report, so it counts too.
        try Data("notes".utf8).write(to: fixture.returns.appendingPathComponent("NOTES.txt"))
        #expect(try fixture.grdp("run").status == 0)
        report = try #require(try fixture.reportsWritten().last)
        #expect(!Self.isShortcut(report) && report["ignored_files"] as? [String] == ["NOTES.txt"])
        let incremental = try #require(report["content_sha256"] as? String)

        // From scratch, in a fresh outputs folder: the same content as the incremental runs.
        try FileManager.default.removeItem(at: fixture.outputs)
        #expect(try fixture.grdp("run", "--force").status == 0)
        #expect(try fixture.reportsWritten().last?["content_sha256"] as? String == incremental)
    }

    @Test func forceAndYearRunsReadEverything() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        #expect(try fixture.grdp("run", "--force").status == 0)
        #expect(!Self.isShortcut(try fixture.reportsWritten().last))
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])

        // `run --year` publishes a snapshot that keeps other years from an older one: it is not what
        // the inputs give, so the next run must read them and publish the full figures.
        try fixture.write(RecomputeTests.twoYearRevision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        #expect(try fixture.grdp("run", "--year", "2023").status == 0)
        #expect(!Self.isShortcut(try fixture.reportsWritten().last))
        let run = try fixture.grdp("run")
        #expect(run.status == 0)
        let report = try #require(try fixture.reportsWritten().last)
        #expect(!Self.isShortcut(report))
        #expect(report["snapshot"] as? String == "v0004")
        #expect(
            try fixture.grdp("export").stdout
                == [EndToEndTests.header, RecomputeTests.after2023, RecomputeTests.after2024, ""].joined(
                    separator: "\n"))
    }

    /// An archive that two earlier runs, at least the memo's settling time (5 s) apart, found
    /// unchanged with the same SHA-256 is not hashed again (`ArchiveDigestMemo`); one rewritten in
    /// place since, its size and times put back, is, and the night gives what `run --force` from
    /// scratch gives.
    @Test func anArchiveHashedOnTwoEarlierRunsIsNotHashedAgainUnlessItChanged() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        // A tar: its size does not move when an amount is rewritten with as many digits.
        try fixture.write(Fixture.firstReturn, format: .tar, as: "2024-01-10_returns.tar")
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        func run(_ arguments: String...) throws -> [String: Any] {
            let run = try fixture.grdp(arguments)
            #expect(run.status == 0, "\(run.stderr)")
            return try #require(try fixture.reportsWritten().last)
        }
        // Only on a file system that writes pages back (ext4, XFS, Btrfs, NFS): on tmpfs, say,
        // every run hashes every archive.
        let remembering = OutputFailureTests.shell(
            "stat -f -c %t '\(fixture.returns.path)' | grep -qxE 'ef53|58465342|9123683e|6969'")
        #expect(try run("run")["archive_digests_remembered"] == nil)
        // Sooner than the settling time, a second hash does not vouch for the first.
        #expect(try run("run")["archive_digests_remembered"] == nil)
        #expect(try run("run")["archive_digests_remembered"] == nil)
        sleep(5)
        #expect(try run("run")["archive_digests_remembered"] == nil)
        var report = try run("run")
        #expect(report["archive_digests_remembered"] as? Int == (remembering ? 2 : nil))
        #expect(Self.isShortcut(report) && report["snapshot"] as? String == "v0001")
        // --force hashes every archive.
        report = try run("run", "--force")
        #expect(report["archive_digests_remembered"] == nil)
        #expect(report["snapshot"] as? String == "v0002")

        // Rewritten in place (as `cp` or `rsync --inplace` do), as large as before, both times put
        // back to the nanosecond (as `touch -r` would): only the status-change time tells.
        let tar = fixture.returns.appendingPathComponent("2024-01-10_returns.tar")
        var before = stat()
        #expect(stat(tar.path, &before) == 0)
        let scratch = fixture.root.appendingPathComponent("rewritten.tar")
        let rewritten = Fixture.firstReturn.map { entry in
            ArchiveWriter.Entry(
                path: entry.path,
                text: String(decoding: entry.data, as: UTF8.self).replacingOccurrences(
                    of: "T1,2023-06-01,100000000", with: "T1,2023-06-01,900000000"))
        }
        try ArchiveWriter.write(rewritten, format: .tar, to: scratch)
        let bytes = try Data(contentsOf: scratch)
        #expect(bytes.count == Int(before.st_size))
        let handle = try FileHandle(forWritingTo: tar)
        try handle.write(contentsOf: bytes)
        try handle.close()
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, tar.path, &times, 0) == 0)

        report = try run("run")
        #expect(report["archive_digests_remembered"] as? Int == (remembering ? 1 : nil))
        #expect(report["snapshot"] as? String == "v0003")
        // The snapshot's source_archive names each archive by the SHA-256 of its bytes now, the
        // remembered one's as the rewritten one's (checked by another tool than grdp's).
        let sources = try SnapshotStore(folder: fixture.snapshots).open(version: 3).loadContent().sourceArchives
        #expect(sources.map(\.path) == ["2024-01-10_returns.tar", "2024-02-01_revision.tar.gz"])
        for source in sources {
            #expect(
                OutputFailureTests.shell(
                    "cd '\(fixture.returns.path)' && echo '\(source.sha256)  \(source.path)' | sha256sum -c --status"),
                "\(source.path): \(source.sha256)")
        }
        func digests(_ report: [String: Any]) -> [String] {
            (report["archives"] as? [[String: Any]] ?? []).map { "\($0["path"] ?? "") \($0["sha256"] ?? "")" }
        }
        let night = digests(report)
        let hash = report["content_sha256"] as? String
        // From scratch, in a fresh outputs folder: the same archives' digests, the same figures.
        try FileManager.default.removeItem(at: fixture.outputs)
        let scratchReport = try run("run", "--force")
        #expect(night.count == 2 && digests(scratchReport) == night)
        #expect(scratchReport["content_sha256"] as? String == hash)
    }

    /// A remembered digest the archive's bytes do not give (a forged or otherwise wrong memo): a
    /// tar read from the cache-less outputs is hashed as it is decoded, rejected, and forgotten, so
    /// that the next run hashes it and takes it.
    @Test func anArchiveWhoseRememberedDigestItsBytesDoNotGiveIsRejectedAndForgotten() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .tarGzip, as: "2024-01-10_returns.tar.gz")
        #expect(try fixture.grdp("run").status == 0)
        guard
            OutputFailureTests.shell(
                "stat -f -c %t '\(fixture.returns.path)' | grep -qxE 'ef53|58465342|9123683e|6969'")
        else { return }
        // The memo made to vouch for another digest, its checksum line made to match.
        let memo = fixture.outputs.appendingPathComponent("cache/archive-digests.json")
        var stored = try fixture.sealedObject(at: memo)
        var entries = try #require(stored["entries"] as? [[String: Any]])
        try #require(entries.count == 1)
        entries[0]["sha256"] = String(repeating: "ab", count: 32)
        entries[0]["confirmed"] = true
        stored["entries"] = entries
        try fixture.writeSealed(stored, to: memo)
        try FileManager.default.removeItem(at: fixture.outputs.appendingPathComponent("cache/archives"))

        let rejected = try fixture.grdp("run")
        #expect(rejected.status == 65, "\(rejected.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["archive_digests_remembered"] as? Int == 1)
        let archive = try #require((report["archives"] as? [[String: Any]])?.first)
        #expect((archive["detail"] as? String)?.contains("changed after this run hashed it") == true)
        let next = try fixture.grdp("run")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try fixture.reportsWritten().last?["archive_digests_remembered"] == nil)
    }

    @Test func aDamagedOrStaleCacheIsIgnored() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)

        // Garbage in the cache: the run reads everything, and writes a good cache again.
        try Data("{\"format\": 1, \"fingerprint\": tru".utf8).write(to: cacheFile(fixture))
        #expect(try fixture.grdp("run").status == 0)
        #expect(!Self.isShortcut(try fixture.reportsWritten().last))
        #expect(try fixture.grdp("run").status == 0)
        #expect(Self.isShortcut(try fixture.reportsWritten().last))

        // The cache names v0002 but v0002 was removed by hand: v0001 is the latest, not what the cache
        // vouches for, so the run reads everything (and finds v0001 up to date by content hash).
        let cache = try Data(contentsOf: cacheFile(fixture))
        #expect(try fixture.grdp("run", "--force").status == 0)
        try FileManager.default.removeItem(at: fixture.snapshots.appendingPathComponent("grdp-v0002.sqlite"))
        #expect(try fixture.grdp("run").status == 0)
        let report = try #require(try fixture.reportsWritten().last)
        #expect(!Self.isShortcut(report) && report["snapshot"] as? String == "v0001")

        // A cache copied from elsewhere, for a snapshot of other content, is not believed either
        // (sealed again, so that the file checks out).
        try cache.write(to: cacheFile(fixture))
        var edited = try fixture.sealedObject(at: cacheFile(fixture))
        edited["contentSHA256"] = String(repeating: "0", count: 64)
        try fixture.writeSealed(edited, to: cacheFile(fixture))
        #expect(try fixture.grdp("run").status == 0)
        #expect(!Self.isShortcut(try fixture.reportsWritten().last))
    }

    /// `last-run.json` is sealed (a line of JSON, then its SHA-256): its `ingest` becomes the
    /// report of a night found up to date, and is checked against nothing else. Edited (an archive
    /// dropped from it, a count changed) without its seal, it is not used: the run reads the
    /// archives and reports them as they are.
    @Test func anEditedLastRunIsNotReportedAsTheNight() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        #expect(try fixture.grdp("run").status == 0)
        #expect(try fixture.grdp("run").status == 0)
        let shortcut = try #require(try fixture.reportsWritten().last)
        #expect(Self.isShortcut(shortcut))

        let url = cacheFile(fixture)
        /// `last-run.json` with its ingest's archives changed by `edit`, sealed anew or not.
        func editArchives(resealing: Bool, _ edit: (inout [[String: Any]]) throws -> Void) throws {
            var cache = try fixture.sealedObject(at: url)
            var ingest = try #require(cache["ingest"] as? [String: Any])
            var archives = try #require(ingest["archives"] as? [[String: Any]])
            try edit(&archives)
            ingest["archives"] = archives
            cache["ingest"] = ingest
            try fixture.writeSealed(cache, to: url, keepingSeal: !resealing)
        }
        try editArchives(resealing: false) { archives in
            try #require(archives.count == 2)
            archives.removeLast()
        }

        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        // Both archives, as the night found up to date reported them (now taken from the cache).
        var report = try #require(try fixture.reportsWritten().last)
        #expect(!Self.isShortcut(report))
        let read = try #require(report["archives"] as? [[String: Any]])
        #expect(read.map { $0["from_cache"] as? Bool } == [true, true])
        report["archives"] = read.map { $0.filter { $0.key != "from_cache" } }
        #expect(try Self.archivesJSON(report) == Self.archivesJSON(shortcut))

        // Sealed again, with counts no member has (their sum overflowed and trapped the summary):
        // not used either.
        #expect(try fixture.grdp("run").status == 0)
        try editArchives(resealing: true) { archives in
            var members = try #require(archives[0]["members"] as? [[String: Any]])
            for index in members.indices { members[index]["rowsRead"] = Int.max }
            archives[0]["members"] = members
        }
        let forged = try fixture.grdp("run")
        #expect(forged.status == 0, "\(forged.stderr)")
        #expect(!Self.isShortcut(try fixture.reportsWritten().last))
    }

    @Test func missingExportsAreRepairedWithoutReading() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let exports = fixture.outputs.appendingPathComponent("exports")
        let names = try FileManager.default.contentsOfDirectory(atPath: exports.path).sorted()
        #expect(!names.isEmpty)
        let before = try names.map { try Data(contentsOf: exports.appendingPathComponent($0)) }
        for name in names { try FileManager.default.removeItem(at: exports.appendingPathComponent(name)) }

        #expect(try fixture.grdp("run").status == 0)
        #expect(Self.isShortcut(try fixture.reportsWritten().last))
        #expect(try FileManager.default.contentsOfDirectory(atPath: exports.path).sorted() == names)
        #expect(try names.map { try Data(contentsOf: exports.appendingPathComponent($0)) } == before)
    }

    /// The environment that makes `grdp run` keep its revisions as `ledger` says: "memory" (the
    /// ledger in memory, not kept), "kept" (`ledger.bin`, from any size) or "partitioned" (by key
    /// partition, its scratch files in the fixture's `tmp`).
    static func environment(ledger: String, fixture: Fixture) throws -> [String: String] {
        switch ledger {
        case "kept": return ["GRDP_LEDGER": "memory", "GRDP_KEEP_LEDGER_FROM": "0"]
        case "partitioned":
            let scratchFolder = fixture.root.appendingPathComponent("tmp")
            try FileManager.default.createDirectory(at: scratchFolder, withIntermediateDirectories: true)
            return ["GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "4", "TMPDIR": scratchFolder.path]
        default: return ["GRDP_LEDGER": "memory"]
        }
    }

    static func fromCache(_ report: [String: Any]?) -> [String: Bool] {
        let archives = (report?["archives"] as? [[String: Any]]) ?? []
        return Dictionary(
            uniqueKeysWithValues: archives.map { ($0["path"] as? String ?? "", $0["from_cache"] as? Bool ?? false) })
    }

    @Test func aNewArchiveIsReadAndTheOthersComeFromTheCache() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let cacheFolder = fixture.outputs.appendingPathComponent("cache/archives")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path).count == 1)

        try fixture.write(RecomputeTests.twoYearRevision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("1 of 2 archive(s) unchanged since an earlier run"))
        let incremental = try #require(try fixture.reportsWritten().last)
        #expect(Self.fromCache(incremental) == ["2024-01-10_returns.zip": true, "2024-02-01_revision.tar.gz": false])
        #expect(incremental["snapshot"] as? String == "v0002")
        // The counts of the archive taken from the cache are those of reading it, superseded included.
        let first = try #require(try fixture.reportsWritten().first)
        func members(_ report: [String: Any]) -> [[String: Any]] {
            ((report["archives"] as? [[String: Any]])?.first?["members"] as? [[String: Any]]) ?? []
        }
        #expect(members(incremental).map { $0["rows_read"] as? Int } == members(first).map { $0["rows_read"] as? Int })
        #expect(
            members(incremental).map { $0["first_quarantined"] as? [[String: Any]] }.map { $0?.count }
                == members(first).map { $0["first_quarantined"] as? [[String: Any]] }.map { $0?.count })
        #expect(try fixture.grdp("verify").status == 0)

        // `run --year` takes unchanged archives from the cache too.
        #expect(try fixture.grdp("run", "--year", "2023").status == 0)
        #expect(Self.fromCache(try fixture.reportsWritten().last).values.allSatisfy { $0 })

        // --force reads every archive again; the figures are the same.
        #expect(try fixture.grdp("run", "--force").status == 0)
        let forced = try #require(try fixture.reportsWritten().last)
        #expect(Self.fromCache(forced).values.allSatisfy { !$0 })

        // From scratch in a fresh outputs folder: the same content as the incremental run.
        let hash = try #require(incremental["content_sha256"] as? String)
        try FileManager.default.removeItem(at: fixture.outputs)
        #expect(try fixture.grdp("run").status == 0)
        #expect(try fixture.reportsWritten().last?["content_sha256"] as? String == hash)
    }

    /// Issue 5: an archive already processed with the same normalization settings is not
    /// decompressed again. A new target, va ratio or export in `pipeline.yml` changes the figures,
    /// not what reading an archive gives (`PipelineConfig.readingSHA256`): the archives come from
    /// the cache, and the snapshot is the one a run from scratch with that config gives. A setting
    /// that reading depends on (an fx rate, the number format) reads every archive again. With the
    /// ledger in memory, kept between runs (`ledger.bin`, bound to the whole file) and by key
    /// partition (`current-rows.bin`, `kept-groups.bin`, bound to the whole file too).
    @Test(arguments: ["memory", "kept", "partitioned"])
    func aConfigEditThatReadingDoesNotDependOnTakesTheArchivesFromTheCache(ledger: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let environment = try Self.environment(ledger: ledger, fixture: fixture)
        func grdp(_ arguments: String...) throws -> Execution { try fixture.grdp(arguments, environment: environment) }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        #expect(try grdp("run").status == 0)
        let kept = ["kept": "cache/ledger.bin", "partitioned": "cache/current-rows.bin"][ledger]
        if let kept {
            #expect(FileManager.default.fileExists(atPath: fixture.outputs.appendingPathComponent(kept).path))
        }
        let everyArchive = ["2024-01-10_returns.zip": true, "2024-02-01_revision.tar.gz": true]
        let noArchive = everyArchive.mapValues { _ in false }
        #expect(Self.fromCache(try fixture.reportsWritten().last) == noArchive)
        let before = try grdp("export").stdout

        func edit(_ from: String, _ to: String) throws {
            let yaml = try String(contentsOf: fixture.config, encoding: .utf8)
            try #require(yaml.contains(from))
            try yaml.replacingOccurrences(of: from, with: to).write(
                to: fixture.config, atomically: true, encoding: .utf8)
        }
        /// A run after an edit (`--verbose`: its log is returned): what it took from the cache, its
        /// content hash, whether that is the hash a run from scratch gives (in a fresh outputs
        /// folder, then put back), and whether it was up to date without reading (`isShortcut`).
        func runAfterEdit() throws -> (
            fromCache: [String: Bool], hash: String?, asFromScratch: Bool, shortcut: Bool, log: String
        ) {
            let run = try grdp("run", "--verbose", "--log-format", "json")
            #expect(run.status == 0, "\(run.stderr)")
            let report = try #require(try fixture.reportsWritten().last)
            // Entries of other reading settings are removed, and the summary says why archives were read.
            let removed = report["cache_entries_removed"] as? Int
            let shortcut = Self.isShortcut(report)
            // (Of the two archives every run has read: a new one is read for the first time.)
            let readAgain = !shortcut && Self.fromCache(report).contains { everyArchive[$0.key] != nil && !$0.value }
            #expect(removed == (readAgain ? 2 : nil))
            #expect(
                run.stderr.contains(
                    "2 archive cache entries no longer matching removed (archives gone or rewritten, another grdp "
                        + "build, other reading settings).") == readAgain)
            let hash = report["content_sha256"] as? String
            let kept = fixture.outputs.deletingLastPathComponent().appendingPathComponent("Outputs.kept")
            try FileManager.default.moveItem(at: fixture.outputs, to: kept)
            defer {
                try? FileManager.default.removeItem(at: fixture.outputs)
                try? FileManager.default.moveItem(at: kept, to: fixture.outputs)
            }
            let scratch = try grdp("run", "--force")
            #expect(scratch.status == 0, "\(scratch.stderr)")
            let scratchHash = try fixture.reportsWritten().last?["content_sha256"] as? String
            return (Self.fromCache(report), hash, hash != nil && hash == scratchHash, shortcut, run.stderr)
        }

        // A target, a va ratio and the exports: every archive from the cache, new figures.
        try edit("{year: 2025, share_pct: 20.0,", "{year: 2025, share_pct: 25.0,")
        try edit("va_ratio_default: 0.10", "va_ratio_default: 0.11")
        try edit("format: csv}", "format: csv}\n    - {table: by-district, format: json}")
        var after = try runAfterEdit()
        #expect(after.fromCache == everyArchive)
        #expect(after.asFromScratch)
        #expect(!after.shortcut)
        #expect(try fixture.reportsWritten().last?["snapshot"] as? String == "v0002")
        // CONTRACT §6: `config_sha256` is the file's, as edited (not the reading settings' digest).
        let store = SnapshotStore(folder: fixture.snapshots)
        let recorded = try store.open(version: 2).meta.configSHA256
        #expect(recorded == (try ConfigLoader.load(from: fixture.config)).sha256)
        #expect(recorded != (try store.open(version: 1).meta.configSHA256))
        let edited = try grdp("export").stdout
        #expect(edited != before)
        #expect(
            FileManager.default.fileExists(
                atPath: fixture.outputs.appendingPathComponent("exports/by-district.json").path))

        // An fx rate (the fixture's amounts are in VND: the figures stay) is a reading setting.
        try edit("  returns: returns\n", "  returns: returns\n  fx: {USD: {2024: 25000}}\n")
        after = try runAfterEdit()
        #expect(after.fromCache == noArchive)
        #expect(after.asFromScratch)
        #expect(try grdp("export").stdout == edited)

        // So is the number format (the revision's "2.500,5" reads the same as `vi`); with the same
        // figures, up to date.
        try edit("  returns: returns\n", "  returns: returns\n  number_format: vi\n")
        after = try runAfterEdit()
        #expect(after.fromCache == noArchive)
        #expect(after.asFromScratch)
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "up-to-date")

        // A district's name: the `district` table changes, not what an archive reads as.
        try edit("\"663\": \"Đắk Mil\"", "\"663\": \"Huyện Đắk Mil\"")
        after = try runAfterEdit()
        #expect(after.fromCache == everyArchive)
        #expect(after.asFromScratch)
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "snapshot")

        // A comment, the region's name (which no run reads) and an export added: no setting the
        // figures depend on changed (`PipelineConfig.figuresSHA256`), so up to date without reading
        // any archive; the new export is written all the same.
        try edit("version: 1\n", "version: 1\n# reviewed by the statistics office\n")
        try edit("name: \"Đắk Nông\"", "name: \"Tỉnh Đắk Nông\"")
        try edit("format: csv}", "format: csv}\n    - {table: target-vs-actual, format: html}")
        let html = fixture.outputs.appendingPathComponent("exports/target-vs-actual.html")
        #expect(!FileManager.default.fileExists(atPath: html.path))
        after = try runAfterEdit()
        #expect(after.shortcut)
        #expect(after.fromCache == noArchive)
        #expect(after.asFromScratch)
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "up-to-date")
        #expect(FileManager.default.fileExists(atPath: html.path))
        #expect(try grdp("export").stdout == edited)

        // An exclusion that names no file changes no figure, but the report lists it
        // (`exclude_not_found`), so the run reads the report's inputs again rather than repeat
        // the last run's.
        try edit("  returns: returns\n", "  returns: returns\n  exclude: [2023-12-31_missing.zip]\n")
        after = try runAfterEdit()
        #expect(!after.shortcut)
        #expect(after.fromCache == everyArchive)
        #expect(after.asFromScratch)
        let excludes = try fixture.reportsWritten().last?["exclude_not_found"] as? [String]
        #expect(excludes == ["2023-12-31_missing.zip"])
        #expect(try grdp("run").status == 0)
        #expect(Self.isShortcut(try fixture.reportsWritten().last))
        #expect(try fixture.reportsWritten().last?["exclude_not_found"] as? [String] == excludes)

        // The night after: a new return of 2024 alone computes 2024 alone, the latest snapshot's
        // 2023 carried, as any night (its settings are those of the latest snapshot's figures,
        // though its file's SHA-256 is not the one that snapshot records).
        let orders = "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
        try fixture.write(
            [.init(path: "transactions.csv", text: orders + "T30,2024-03-03,7000000,completed,website,,67\n")],
            format: .zip, as: "2024-03-01_orders.zip")
        after = try runAfterEdit()
        #expect(!after.shortcut)
        #expect(after.fromCache == everyArchive.merging(["2024-03-01_orders.zip": false]) { $1 })
        #expect(after.asFromScratch)
        #expect(try fixture.reportsWritten().last?["snapshot"] as? String == "v0004")
        let carried = after.log.split(separator: "\n").first {
            $0.contains("only these years are touched by the returns read since")
        }
        let written = try carried.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["written"]
        }
        #expect(written as? String == "2024", "\(after.log)")
    }

    /// Issue 5: "an archive already processed (same sha256, same normalization settings) is not
    /// decompressed again", whatever it is called now. An archive moved into a folder (which also
    /// moves it after the revision in the order of revisions, CONTRACT §3) comes from the cache
    /// under its new name; the snapshot is the one a run from scratch gives, and its rows, the
    /// quarantined one too, name the new path. With each ledger, as the config edits above.
    @Test(arguments: ["memory", "kept", "partitioned"])
    func aRenamedArchiveComesFromTheCacheUnderItsNewName(ledger: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let environment = try Self.environment(ledger: ledger, fixture: fixture)
        func grdp(_ arguments: String...) throws -> Execution { try fixture.grdp(arguments, environment: environment) }
        // 150 sales and one dated 30 February (quarantined: 1 of 151, under the default 1 %).
        let sales = (1...150).map { "R\($0),2023-08-\(String(format: "%02d", $0 % 28 + 1)),1000000,completed,web,,67" }
        let bulk = ArchiveWriter.Entry(
            path: "transactions_bulk.csv",
            text: (["transaction_id,date,amount,status,channel,seller_tax_code,seller_province"] + sales
                + ["R0,30/02/2023,1000000,completed,web,,67", ""]).joined(separator: "\n"))
        try fixture.write(Fixture.firstReturn + [bulk], format: .zip, as: "2024-01-10_returns.zip")
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        #expect(try grdp("run").status == 0)

        let moved = "2024/2024-01-10_returns.zip"
        try FileManager.default.createDirectory(
            at: fixture.returns.appendingPathComponent("2024"), withIntermediateDirectories: false)
        try FileManager.default.moveItem(
            at: fixture.returns.appendingPathComponent("2024-01-10_returns.zip"),
            to: fixture.returns.appendingPathComponent(moved))
        let run = try grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        #expect(Self.fromCache(report) == [moved: true, "2024-02-01_revision.tar.gz": true])
        // The entry is the renamed archive's: none removed.
        #expect(report["cache_entries_removed"] == nil)
        let hash = try #require(report["content_sha256"] as? String)
        let version = try #require(report["snapshot"] as? String)
        let content = try SnapshotStore(folder: fixture.snapshots).open(version: Int(version.dropFirst())!)
            .loadContent()
        #expect(
            content.quarantine.map { "\($0.archivePath) \($0.memberPath):\($0.line) \($0.reason)" }
                == ["\(moved) transactions_bulk.csv:152 type-error"])
        let paths = Set(
            content.enterprises.map(\.source.archivePath) + content.grdp.map(\.source.archivePath)
                + content.sourceMembers.map(\.archivePath) + content.sourceArchives.map(\.path))
        #expect(paths == [moved, "2024-02-01_revision.tar.gz"])

        // From scratch, in a fresh outputs folder: the same snapshot.
        try FileManager.default.removeItem(at: fixture.outputs)
        let scratch = try grdp("run", "--force")
        #expect(scratch.status == 0, "\(scratch.stderr)")
        #expect(try fixture.reportsWritten().last?["content_sha256"] as? String == hash)
    }

    /// A new return that touches one year: the other years' `ecommerce_sales` rows are copied from
    /// the latest snapshot file (`SalesDigests`), the content hash goes on from where the latest
    /// snapshot's stood at the first year written (`ContentHash.Marks`), and the snapshot is the
    /// one `run --force`, which writes and hashes every row, gives. A digest of another build is
    /// not trusted, nor are marks damaged in `last-run.json`.
    @Test func unchangedYearsSalesRowsAreCopiedAndGiveTheSameSnapshot() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let header = "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
        let copied = "Sales rows of unchanged years copied from the latest snapshot"
        let resumed = "Content hash went on from the latest snapshot's"

        /// The log entry of `run` that says `message`, if any.
        func entry(_ run: Execution, _ message: String) throws -> [String: Any]? {
            try run.stderr.split(separator: "\n").first { $0.contains(message) }.map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }
        /// Adds `archive` holding `rows`, runs, and returns the years written (nil: nothing
        /// copied), the hash's resumed year and rows (nil: every row hashed) and whether the hash
        /// was read back from the file (not taken from the rows in memory), after checking that
        /// `run --force` then gives the same content hash.
        func night(_ archive: String, _ rows: String?) throws -> (written: String?, resumed: String?, readBack: Bool) {
            if let rows {
                try fixture.write([.init(path: "transactions.csv", text: header + rows)], format: .zip, as: archive)
            } else {
                try FileManager.default.removeItem(at: fixture.returns.appendingPathComponent(archive))
            }
            let run = try fixture.grdp("run", "--verbose", "--log-format", "json")
            try #require(run.status == 0, "\(run.stderr)")
            // The copy of the latest file was published or removed: no temporary is left.
            #expect(try fixture.snapshotFiles().allSatisfy { !$0.hasSuffix(".tmp") })
            let hash = try #require(try fixture.reportsWritten().last?["content_sha256"] as? String)
            #expect(try fixture.grdp("run", "--force").status == 0)
            #expect(try fixture.reportsWritten().last?["content_sha256"] as? String == hash)
            #expect(try fixture.grdp("verify").status == 0)
            let written = try entry(run, copied).map { try #require($0["written"] as? String) }
            let went = try entry(run, resumed).map {
                "\($0["year"] ?? "") \($0["rows"] ?? "")" + (($0["month"] as? String).map { " from month \($0)" } ?? "")
            }
            return (written, went, try entry(run, "Content hash read back") != nil)
        }
        // A new order of May 2024: 2023's rows are copied, and hashed no more (2 of them), nor is
        // 2024's January row (T3's, 2024 in local time): the hash goes on from May's mark.
        let first = try night("2024-03-01_more.zip", "T5,2024-05-05,30000000,completed,website,,67\n")
        #expect(first.written == "2024")
        #expect(first.resumed == "2024 3 from month 5")
        #expect(!first.readBack)
        // A December order: from December's mark, past January's and May's rows.
        let december = try night("2024-03-10_december.zip", "T7,2024-12-12,2000000,completed,website,,67\n")
        #expect(december.written == "2024")
        #expect(december.resumed == "2024 4 from month 12")
        // A November order and T5 revised: from May, the first month whose rows changed.
        let revised = try night(
            "2024-03-20_revised.zip",
            "T5,2024-05-05,31000000,completed,website,,67\nT13,2024-11-11,1000000,completed,website,,67\n")
        #expect(revised.written == "2024")
        #expect(revised.resumed == "2024 3 from month 5")
        // The December return removed (nil: taken away), so a full run: it too copies 2023's rows
        // and goes on from December's mark, past 2024's January, May and November rows.
        let removed = try night("2024-03-10_december.zip", nil)
        #expect(removed.written == "2024")
        #expect(removed.resumed == "2024 5 from month 12")
        // Two August orders of one group, then both revised with the same total: the night
        // computes 2024 (their records changed), whose rows are all as they were, so the hash
        // goes on past them all (no changed month), from the end of 2024's rows.
        let pair = try night(
            "2024-03-25_pair.zip",
            "T20,2024-08-08,1000000,completed,website,,67\nT21,2024-08-09,1000000,completed,website,,67\n")
        #expect(pair.resumed == "2024 4 from month 8")
        let evened = try night(
            "2024-03-26_evened.zip",
            "T20,2024-08-08,1500000,completed,website,,67\nT21,2024-08-09,500000,completed,website,,67\n")
        #expect(evened.written == "2024")
        #expect(evened.resumed == "2024 6 from month none changed")
        // T1 revised (2023): 2024's rows are copied; the hash goes on from the first row.
        let second = try night("2024-04-01_fix.zip", "T1,2023-06-01,120000000,completed,marketplace,0101243150,67\n")
        #expect(second.written == "2023")
        #expect(second.resumed == nil)
        // 2024's rows, carried after the written 2023, are not in memory: the file is read back.
        #expect(second.readBack)
        // A first order of 2022: a year that was not there before is written, the others copied.
        let third = try night("2024-05-01_late.zip", "T6,2022-02-02,1000000,completed,website,,67\n")
        #expect(third.written == "2022")
        #expect(third.resumed == nil)
        // Orders of every year: nothing to copy.
        let every = try night(
            "2024-05-05_every.zip",
            "T10,2022-03-03,1000000,completed,website,,67\nT11,2023-03-03,1000000,completed,website,,67\n"
                + "T12,2024-03-03,1000000,completed,website,,67\n")
        #expect(every.written == nil)
        #expect(every.resumed == nil)
        #expect(!every.readBack)

        // A file the run ignores changes the inputs, not the figures: every year is copied, the
        // hash goes on from the end of the rows, and the run is up to date (CONTRACT §6): no new
        // snapshot, no temporary left.
        let before = try fixture.snapshotFiles()
        try Data("checked".utf8).write(to: fixture.returns.appendingPathComponent("NOTES.txt"))
        let unchanged = try fixture.grdp("run", "--verbose", "--log-format", "json")
        #expect(unchanged.status == 0, "\(unchanged.stderr)")
        #expect(try entry(unchanged, copied)?["written"] as? String == "", "\(unchanged.stderr)")
        #expect(try entry(unchanged, resumed)?["year"] as? String == "none changed", "\(unchanged.stderr)")
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "up-to-date")
        #expect(try fixture.snapshotFiles() == before)

        // Marks damaged in last-run.json (a bit of each state), the file sealed again: not gone on
        // from, every row hashed.
        let cacheURL = cacheFile(fixture)
        var cache = try fixture.sealedObject(at: cacheURL)
        var marks = try #require(cache["contentMarks"] as? [String: Any])
        var positions = try #require(marks["positions"] as? [[String: Any]])
        for index in positions.indices {
            var state = try #require(positions[index]["state"] as? [String: Any])
            var words = try #require(state["words"] as? [Int])
            words[0] ^= 1
            state["words"] = words
            positions[index]["state"] = state
        }
        marks["positions"] = positions
        cache["contentMarks"] = marks
        try fixture.writeSealed(cache, to: cacheURL)
        let damaged = try night("2024-05-15_more.zip", "T8,2024-08-08,4000000,completed,website,,67\n")
        #expect(damaged.written == "2024")
        #expect(damaged.resumed == nil)
        #expect(damaged.readBack)

        // `run --year 2024` carries the other years from the latest snapshot: its hash goes on
        // from 2024, and is that of every row (nothing changed: up to date; verify agrees).
        let year = try fixture.grdp("run", "--year", "2024", "--verbose", "--log-format", "json")
        #expect(year.status == 0, "\(year.stderr)")
        #expect(try entry(year, resumed)?["year"] as? String == "2024", "\(year.stderr)")
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "up-to-date")
        #expect(try fixture.grdp("verify").status == 0)
        // A new 2024 order recomputed by `run --year 2024`: a new snapshot whose stored content hash,
        // gone on from 2024, is the one `verify` recomputes from every row (CONTRACT §6) and the
        // one `run --force` gives.
        try fixture.write(
            [.init(path: "transactions.csv", text: header + "T9,2024-09-09,3000000,completed,website,,67\n")],
            format: .zip, as: "2024-05-20_more.zip")
        let recomputed = try fixture.grdp("run", "--year", "2024", "--verbose", "--log-format", "json")
        #expect(recomputed.status == 0, "\(recomputed.stderr)")
        #expect(try entry(recomputed, resumed)?["year"] as? String == "2024", "\(recomputed.stderr)")
        let yearReport = try #require(try fixture.reportsWritten().last)
        #expect(yearReport["outcome"] as? String == "snapshot")
        #expect(try fixture.grdp("verify").status == 0)
        #expect(try fixture.grdp("run", "--force").status == 0)
        #expect(
            try fixture.reportsWritten().last?["content_sha256"] as? String
                == yearReport["content_sha256"] as? String)

        // last-run.json written by another build (sealed): every row is written.
        cache = try fixture.sealedObject(at: cacheURL)
        var sales = try #require(cache["sales"] as? [String: Any])
        sales["build"] = "0.9.0 another build"
        cache["sales"] = sales
        try fixture.writeSealed(cache, to: cacheURL)
        let foreign = try night("2024-06-01_more.zip", "T7,2024-07-07,2000000,completed,website,,67\n")
        #expect(foreign.written == nil)
        #expect(foreign.resumed == nil)
        #expect(!foreign.readBack)
    }

    /// A nightly run whose new returns touch some years computes only those (`onlyTouchedYears`):
    /// the years of their records and of the transactions they replace, wherever those were. Every
    /// night's snapshot is checked against `run --force`, which computes every year from scratch,
    /// and against `verify`.
    @Test func onlyTheYearsTheNewReturnsTouchAreComputed() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let orders = "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
        try fixture.write(
            [
                .init(
                    path: "transactions.csv",
                    text: orders + "T20,2022-04-04,7000000,completed,website,,67\n"
                        + "T21,2024-04-04,9000000,completed,website,,67\n")
            ],
            format: .zip, as: "2024-01-20_more.zip")
        #expect(try fixture.grdp("run").status == 0)

        /// Runs (no --force) and returns the years it computed alone ("" for none), or nil when
        /// it computed every year; checks `run --force` gives the same content hash, and `verify`.
        func night() throws -> String? {
            let run = try fixture.grdp("run", "--verbose", "--log-format", "json")
            try #require(run.status == 0, "\(run.stderr)")
            let line = run.stderr.split(separator: "\n").first {
                $0.contains("only these years are touched by the returns read since")
            }
            let written = try line.map { line in
                let entry = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return try #require(entry["written"] as? String)
            }
            let report = try #require(try fixture.reportsWritten().last)
            let hash = try #require(report["content_sha256"] as? String)
            // A full run, whatever it computed: its report names no recomputed years (that field
            // is `run --year`'s).
            #expect(report["recomputed_years"] == nil)
            #expect(try fixture.grdp("verify").status == 0)
            #expect(try fixture.grdp("run", "--force").status == 0)
            #expect(try fixture.reportsWritten().last?["content_sha256"] as? String == hash)
            return written
        }
        func add(_ name: String, _ entries: [ArchiveWriter.Entry]) throws {
            try fixture.write(entries, format: .zip, as: name)
        }

        // T1 moves from 2023 to 2024: both years, and not 2022.
        try add(
            "2024-02-01_moved.zip",
            [
                .init(
                    path: "transactions.csv",
                    text: orders + "T1,2024-02-02,90000000,completed,marketplace,0101243150,67\n")
            ])
        #expect(try night() == "2023,2024")
        // A later return larger than the one holding T20 (2022), so read and applied before it
        // (largest first), moving T20 into 2023: that archive's T20 is superseded as it arrives,
        // and 2022 changes with it.
        let padding = (0..<60).map { "P\($0),2023-07-07,\(1000 + $0),completed,website,,67\n" }.joined()
        try add(
            "2024-02-10_big.zip",
            [.init(path: "transactions.csv", text: orders + "T20,2023-08-08,5000000,completed,website,,67\n" + padding)]
        )
        #expect(try night() == "2022,2023")
        // A return dated before the others, revising T20 (2023) into 2024: the later return's T20
        // supersedes it, so nothing changes, and no year is computed.
        try add(
            "2023-12-01_early.zip",
            [.init(path: "transactions.csv", text: orders + "T20,2024-03-03,1000,completed,website,,67\n")])
        #expect(try night() == "")
        // An enterprise record alone: its year. The retailer becomes an ICT-core enterprise in 2024.
        try add(
            "2024-03-01_firms.zip",
            [
                .init(
                    path: "enterprise.csv",
                    text: "tax_code,year,vsic,value_added,name,district_code\n"
                        + "0101243150,2024,62010,3000,Cửa hàng Bách hóa Đắk Mil,663\n")
            ])
        #expect(try night() == "2024")
        // GRDP of 2022 alone.
        try add(
            "2024-03-05_grdp.zip",
            [.init(path: "grdp.csv", text: "year,grdp,province_code,price_basis\n2022,47300,67,current\n")])
        #expect(try night() == "2022")
        // Rows all excluded (a seller of another province): no year; a new snapshot all the same
        // (its source_archive and source_member tables).
        try add(
            "2024-03-10_other.zip",
            [.init(path: "transactions.csv", text: orders + "T30,2024-01-01,1000,completed,website,,79\n")])
        #expect(try night() == "")
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "snapshot")
        // An archive withdrawn: the latest snapshot holds its rows, so every year is computed.
        try FileManager.default.removeItem(at: fixture.returns.appendingPathComponent("2024-01-20_more.zip"))
        #expect(try night() == nil)
        // Rows of every year: every year is computed.
        try add(
            "2024-04-01_every.zip",
            [
                .init(
                    path: "transactions.csv",
                    text: orders + "T40,2022-05-05,1000,completed,website,,67\n"
                        + "T41,2023-05-05,1000,completed,website,,67\nT42,2024-05-05,1000,completed,website,,67\n")
            ])
        #expect(try night() == nil)
        // One more year's order after that: that year alone again.
        try add(
            "2024-04-02_more.zip",
            [.init(path: "transactions.csv", text: orders + "T43,2023-06-06,1000,completed,website,,67\n")])
        #expect(try night() == "2023")
    }

    /// A run resumes the revision ledger that the last full run kept (`cache/ledger.bin`) and
    /// applies only the new archives' transactions: a revision, one dated before every other
    /// archive (so ranked first, and superseded as it arrives), and `run --year` over the same
    /// archives. What a night changes is kept as a journal, which the next night reads back with
    /// the base. Each run gives the content hash and every member's counts (superseded included)
    /// of `run --force` over a copy of its outputs, which applies every archive; a damaged file is
    /// not used, and is written whole again.
    @Test func theKeptLedgerGivesTheSnapshotAndCountsOfReadingEverything() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        // Kept whatever its size (by default only from 3 M transaction keys).
        let always = ["GRDP_KEEP_LEDGER_FROM": "0"]
        let header = "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        // Enough orders that a night's few change a small part of the ledger (a journal).
        let orders = (0..<3000).map {
            "B\($0),202\(3 + $0 % 2)-0\(1 + $0 % 9)-1\($0 % 10),\(1000 + $0),completed,website,,67\n"
        }
        try fixture.write(
            [.init(path: "transactions.csv", text: header + orders.joined())], format: .zip, as: "2024-01-05_bulk.zip")
        let state = fixture.outputs.appendingPathComponent("cache/ledger.bin")
        let journal = fixture.outputs.appendingPathComponent("cache/ledger.journal")
        // A ledger this small is not kept by default.
        #expect(try fixture.grdp("run").status == 0)
        #expect(!FileManager.default.fileExists(atPath: state.path))
        #expect(try fixture.grdp(["run", "--force"], environment: always).status == 0)
        #expect(FileManager.default.fileExists(atPath: state.path))

        /// Each member's counts by archive, as canonical JSON, without what says where they came from.
        func counts(_ report: [String: Any]) throws -> String {
            let archives = try #require(report["archives"] as? [[String: Any]]).map { archive in
                archive.filter { $0.key != "from_cache" }
            }
            let data = try JSONSerialization.data(withJSONObject: archives, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        /// Runs with `arguments`; returns whether the kept ledger was resumed and how it was kept
        /// ("journal", "whole" or nil), after checking that `run --force` (with the same years), in a
        /// copy of the outputs, gives the same content hash and counts.
        var warnings: [String] = []
        // What the written years' sales rows were compared with: "rows read ahead" (while the kept
        // ledger was read) or "the file"; nil when no copy was updated.
        var comparedWith: String?
        // With "rows of the touched keys": how many keys.
        var comparedKeys: Int?
        func run(_ arguments: String...) throws -> (resumed: Bool, kept: String?) {
            let run = try fixture.grdp(["run", "--verbose", "--log-format", "json"] + arguments, environment: always)
            warnings = run.stderr.split(separator: "\n").filter { $0.contains("\"warning\"") }.map(String.init)
            try #require(run.status == 0, "\(run.stderr)")
            // The copy of the latest snapshot the run began is published or removed by the end of it.
            let files = try fixture.snapshotFiles()
            #expect(files.allSatisfy { $0.hasPrefix("grdp-v") }, "\(files)")
            let report = try #require(try fixture.reportsWritten().last)
            let kept = fixture.root.appendingPathComponent("kept")
            try FileManager.default.copyItem(at: fixture.outputs, to: kept)
            let force = try fixture.grdp(["run", "--force", "--verbose", "--log-format", "json"] + arguments)
            #expect(force.status == 0)
            // --force reads every archive: it never resumes a kept ledger.
            #expect(!force.stderr.contains("Revision ledger resumed from the cache"))
            let forced = try #require(try fixture.reportsWritten().last)
            #expect(report["content_sha256"] as? String == forced["content_sha256"] as? String)
            #expect(try counts(report) == counts(forced))
            #expect(try fixture.grdp("verify").status == 0)
            try FileManager.default.removeItem(at: fixture.outputs)
            try FileManager.default.moveItem(at: kept, to: fixture.outputs)
            let lines = run.stderr.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            let saved = lines.first { $0["message"] as? String == "Revision ledger kept for the next run" }
            let updated = lines.first {
                ($0["message"] as? String)?.hasPrefix("Sales rows of the written years updated") == true
            }
            comparedWith = updated?["compared_with"] as? String
            comparedKeys = (updated?["keys"] as? String).flatMap { Int($0) }
            return (
                lines.contains { $0["message"] as? String == "Revision ledger resumed from the cache" },
                saved?["as"] as? String
            )
        }

        // T1 revised: the first return's T1 is superseded.
        try fixture.write(
            [
                .init(
                    path: "transactions.csv",
                    text: header + "T1,2023-06-01,120000000,completed,marketplace,0101243150,67\n")
            ],
            format: .zip, as: "2024-02-01_fix.zip")
        #expect(try run() == (true, "journal"))
        // 2023 written: of its rows, only those of the keys the new archive touches are compared:
        // T1's, whose sale stays in June 2023 with the same seller, one key.
        #expect(comparedWith == "rows of the touched keys")
        #expect(comparedKeys == 1)
        // An enterprise record (a seller's 2024 record decides how its 2024 sales count) and a
        // sale: every row of 2024, the year the archive names, read ahead beside the kept ledger.
        try fixture.write(
            [
                .init(
                    path: "enterprise.csv",
                    text: "tax_code,year,vsic,value_added,name,district_code\n"
                        + "0101243150,2024,4711,2500,Cửa hàng Bách hóa Đắk Mil,663\n"),
                .init(
                    path: "transactions.csv",
                    text: header + "F1,2024-06-01,3000000,completed,marketplace,0101243150,67\n"),
            ],
            format: .zip, as: "2024-02-02_firm.zip")
        #expect(try run() == (true, "journal"))
        #expect(comparedWith == "rows read ahead")
        // Dated before every other archive: ranked first, its T2 is superseded as it arrives, and
        // the others' ranks move up by one. The base and the last night's journal are read back.
        try fixture.write(
            [
                .init(
                    path: "transactions.csv",
                    text: header + "T2,2023-07-15,1,completed,website,,67\nT9,2024-01-02,5,completed,website,,67\n")
            ],
            format: .zip, as: "2023-12-01_early.zip")
        #expect(try run() == (true, "journal"))
        let superseded = try #require(try fixture.reportsWritten().last?["archives"] as? [[String: Any]]).map {
            ($0["members"] as? [[String: Any]] ?? []).map { $0["rows_superseded"] as? Int ?? -1 }
        }
        // The early T2 and the first return's T1.
        #expect(superseded.first == [1])
        #expect(superseded.joined().reduce(0, +) == 2)
        // Its T2, superseded as it arrives, changes nothing: 2024 alone computed (T9, a new key),
        // and only that key's rows compared.
        #expect(comparedWith == "rows of the touched keys")
        #expect(comparedKeys == 1)
        // `run --year` over the same archives: nothing new to apply, nothing kept.
        #expect(try run("--year", "2023") == (true, nil))
        #expect(comparedWith == "the file")

        // A damaged journal: the base alone, the archives it does not hold applied again.
        var bytes = try Data(contentsOf: journal)
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: journal)
        try fixture.write(
            [.init(path: "transactions.csv", text: header + "T3,2023-12-30,20000000,completed,marketplace,,67\n")],
            format: .zip, as: "2024-03-01_more.zip")
        #expect(try run() == (true, "journal"))
        // Found only once its arrays were read, beside the new archive: the run started again.
        #expect(
            warnings.contains { $0.contains("is damaged: not used") && $0.contains("ledger.journal") }, "\(warnings)")
        // A damaged base: not used at all; every archive applied, and the ledger written whole.
        bytes = try Data(contentsOf: state)
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: state)
        try fixture.write(
            [.init(path: "transactions.csv", text: header + "T10,2024-02-02,7,completed,website,,67\n")],
            format: .zip, as: "2024-03-02_more.zip")
        #expect(try run() == (false, "whole"))
        #expect(warnings.contains { $0.contains("is damaged: not used") }, "\(warnings)")
        #expect(try Data(contentsOf: state) != bytes)
        #expect(!FileManager.default.fileExists(atPath: journal.path))
        try fixture.write(
            [.init(path: "transactions.csv", text: header + "T11,2024-02-03,8,completed,website,,67\n")],
            format: .zip, as: "2024-03-03_more.zip")
        #expect(try run() == (true, "journal"))
        // A full run whose ledger is below the size kept removes the kept one.
        #expect(try fixture.grdp("run", "--force").status == 0)
        #expect(!FileManager.default.fileExists(atPath: state.path))
        #expect(!FileManager.default.fileExists(atPath: journal.path))
    }

    /// A `.sha256` file put beside an archive already read and cached must still match it
    /// (CONTRACT §4): a run that takes the archive from the cache checks it as a run reading the
    /// archive does, rejects it (exit 65) when it does not match, and publishes nothing.
    @Test func aSidecarAddedBesideACachedArchiveIsChecked() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let before = try fixture.snapshotFiles()
        let sidecar = fixture.returns.appendingPathComponent("2024-01-10_returns.zip.sha256")
        try Data((String(repeating: "ab", count: 32) + "  2024-01-10_returns.zip\n").utf8).write(to: sidecar)
        let run = try fixture.grdp("run")
        #expect(run.status == 65, "\(run.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "rejected")
        let archives = try #require(report["archives"] as? [[String: Any]])
        let archive = try #require(archives.first)
        #expect(archive["reason"] as? String == "corrupt-archive", "\(archive)")
        #expect((archive["detail"] as? String)?.contains("does not match") == true, "\(archive)")
        #expect(try fixture.snapshotFiles() == before)
        // The right digest: taken from the cache again, and up to date.
        let digest = try FileDigest.sha256(of: fixture.returns.appendingPathComponent("2024-01-10_returns.zip"))
        try Data((digest.hex + "  2024-01-10_returns.zip\n").utf8).write(to: sidecar)
        #expect(try fixture.grdp("run").status == 0)
        #expect(Self.fromCache(try fixture.reportsWritten().last) == ["2024-01-10_returns.zip": true])
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "up-to-date")
    }

    @Test func aDamagedCacheEntryIsReadAgainAndARemovedArchiveLeavesTheCache() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        #expect(try fixture.grdp("run").status == 0)
        let hash = try #require(try fixture.reportsWritten().last?["content_sha256"] as? String)
        let cacheFolder = fixture.outputs.appendingPathComponent("cache/archives")
        let entries = try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path).sorted()
        #expect(entries.count == 2)

        // One flipped byte in every entry; without last-run.json the run cannot stop early.
        for name in entries {
            let url = cacheFolder.appendingPathComponent(name)
            var bytes = try [UInt8](Data(contentsOf: url))
            bytes[bytes.count / 2] ^= 0x01
            try Data(bytes).write(to: url)
        }
        try FileManager.default.removeItem(at: cacheFile(fixture))
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        // Said, archive by archive: a night that took longer says why.
        for archive in ["2024-01-10_returns.zip", "2024-02-01_revision.tar.gz"] {
            #expect(
                run.stderr.split(separator: "\n").contains {
                    $0.contains("Archive cache entry not used") && $0.contains(archive)
                }, "\(run.stderr)")
        }
        let report = try #require(try fixture.reportsWritten().last)
        #expect(Self.fromCache(report).values.allSatisfy { !$0 })
        #expect(report["content_sha256"] as? String == hash)

        // The revision is withdrawn: its entry goes; the other stays and is used.
        try FileManager.default.removeItem(at: fixture.returns.appendingPathComponent("2024-02-01_revision.tar.gz"))
        #expect(try fixture.grdp("run").status == 0)
        #expect(Self.fromCache(try fixture.reportsWritten().last) == ["2024-01-10_returns.zip": true])
        #expect(try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path).count == 1)
    }

    @Test func theNightlyReportCountsEveryQuarantinedRowFromASmallCache() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        // 2,998 good orders and 27 bad ones (0.9 %, under the 1 % limit): 16 impossible dates, 11
        // unknown statuses.
        var csv = "transaction_id,date,amount,status,channel\n"
        for index in 0..<3_025 {
            let date = index % 200 == 7 ? "31/02/2023" : "2023-0\(1 + index % 9)-1\(index % 10)"
            let status = index % 300 == 11 ? "lost" : "completed"
            csv += "T\(index),\(date),\(1_000 + index),\(status),marketplace\n"
        }
        try fixture.write(
            Fixture.firstReturn + [.init(path: "transactions_bulk.csv", text: csv)], format: .zip,
            as: "2024-01-10_returns.zip")
        // The quarantine table exported by every run too: written from the snapshot published, not
        // from the cache entries the rows waited in.
        let yaml = try String(contentsOf: fixture.config, encoding: .utf8)
        try yaml.replacingOccurrences(
            of: "- {table: target-vs-actual, format: csv}",
            with: "- {table: target-vs-actual, format: csv}\n    - {table: quarantine, format: csv}"
        ).write(to: fixture.config, atomically: true, encoding: .utf8)
        let exported = fixture.outputs.appendingPathComponent("exports/quarantine.csv")
        #expect(try fixture.grdp("run").status == 0)
        let first = try #require(try fixture.reportsWritten().last)
        // The report keeps the first 20 (the run lets go of the others once the content has them);
        // the snapshot keeps every one of them (CONTRACT §6: `quarantine`).
        let quarantine = try fixture.grdp("export", "--table", "quarantine")
        #expect(quarantine.status == 0)
        #expect(quarantine.stdout.split(separator: "\n").filter { $0.contains(",transactions_bulk.csv,") }.count == 27)
        #expect(try String(contentsOf: exported, encoding: .utf8) == quarantine.stdout)
        #expect(try fixture.grdp("run").status == 0)
        let nightly = try #require(try fixture.reportsWritten().last)
        #expect(Self.isShortcut(nightly))
        #expect(try Self.archivesJSON(nightly) == Self.archivesJSON(first))
        let members = try #require((nightly["archives"] as? [[String: Any]])?.first?["members"] as? [[String: Any]])
        let bulk = try #require(members.first { $0["path"] as? String == "transactions_bulk.csv" })
        #expect(bulk["rows_quarantined"] as? Int == 27)
        #expect(bulk["quarantined_by_reason"] as? [String: Int] == ["type-error": 16, "unknown-status": 11])
        #expect((bulk["first_quarantined"] as? [[String: Any]])?.count == 20)
        // The cache keeps the first 20 of them and the counts, not all 27 rows.
        let cache = try fixture.sealedObject(at: cacheFile(fixture))
        let cachedArchives = try #require((cache["ingest"] as? [String: Any])?["archives"] as? [[String: Any]])
        let cachedMembers = try #require(cachedArchives.first?["members"] as? [[String: Any]])
        let cachedBulk = try #require(cachedMembers.first { $0["path"] as? String == "transactions_bulk.csv" })
        #expect((cachedBulk["quarantine"] as? [Any])?.count == 20)

        // A revision arrives: the bulk archive comes from its cache entry, where its rows past the
        // first 20 waited since the first run, and the new snapshot has every one as it was read.
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        #expect(try fixture.grdp("run").status == 0)
        let revised = try #require(try fixture.reportsWritten().last)
        #expect(Self.fromCache(revised) == ["2024-01-10_returns.zip": true, "2024-02-01_revision.tar.gz": false])
        let again = try fixture.grdp("export", "--table", "quarantine")
        #expect(again.status == 0)
        func bulkLines(_ csv: String) -> [Substring] {
            csv.split(separator: "\n").filter { $0.contains(",transactions_bulk.csv,") }
        }
        #expect(bulkLines(again.stdout) == bulkLines(quarantine.stdout))
        #expect(bulkLines(again.stdout).count == 27)
        #expect(try String(contentsOf: exported, encoding: .utf8) == again.stdout)
    }
}
