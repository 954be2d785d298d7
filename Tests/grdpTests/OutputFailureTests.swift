import Foundation
import Testing

@testable import GRDPCore

#if canImport(Glibc)
    import Glibc
#endif

/// Outputs that cannot be written (CONTRACT §7: exit 73, every earlier snapshot intact, the next run
/// after the cause is fixed completes). The immutable folder and the full disk need root (`chattr`,
/// a tmpfs mount); without it those tests pass without checking anything and say so on stderr.
@Suite(.serialized) struct OutputFailureTests {
    /// Runs a shell command; true when it exits 0.
    static func shell(_ command: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " >/dev/null 2>&1"]
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    static func skip(_ why: String) {
        FileHandle.standardError.write(Data("OutputFailureTests: skipped, \(why)\n".utf8))
    }

    /// A fixture with v0001 published and a revision waiting in returns.
    static func publishedFixture(outputsMount: ((Fixture) throws -> Bool)? = nil) throws -> (Fixture, Data)? {
        let fixture = try Fixture()
        if let outputsMount, try !outputsMount(fixture) {
            fixture.remove()
            return nil
        }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let first = try fixture.grdp("run")
        #expect(first.status == 0, "\(first.stderr)")
        let before = try Data(contentsOf: fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite"))
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        return (fixture, before)
    }

    /// `publishedFixture()` with `place` made immutable (`chattr +i`, `-R` when `recursive`), and
    /// what undoes both (call it in a `defer`); nil, said skipped, where that cannot be done.
    static func publishedFixture(
        immutable place: (Fixture) -> URL, recursive: Bool = false
    ) throws -> (fixture: Fixture, place: URL, release: () -> Void)? {
        guard getuid() == 0 else {
            skip("chattr needs root")
            return nil
        }
        guard let (fixture, _) = try publishedFixture() else { return nil }
        let url = place(fixture)
        let flag = recursive ? "-R " : ""
        let release = {
            _ = shell("chattr \(flag)-i '\(url.path)'")
            fixture.remove()
        }
        guard shell("chattr \(flag)+i '\(url.path)'") else {
            release()
            skip("chattr +i failed on \(url.path)")
            return nil
        }
        return (fixture, url, release)
    }

    /// Whether commands can be run as user `nobody` here (root, and `setpriv`); said skipped if not.
    static func canRunAsNobody() -> Bool {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            skip("running as another user needs root and setpriv")
            return false
        }
        return true
    }

    /// A shell command run as user `nobody`; true when it exits 0.
    static func asNobody(_ command: String) -> Bool {
        shell("setpriv --reuid=65534 --regid=65534 --clear-groups " + command)
    }

    /// grdp run as user `nobody` on `fixture`'s config.
    static func asNobody(_ fixture: Fixture, _ arguments: [String]) throws -> Execution {
        try Execution.run(
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", Execution.binary.path, "--config",
                fixture.config.path,
            ]
                + arguments, in: fixture.root, executable: "/usr/bin/setpriv")
    }

    static func expectIntact(_ fixture: Fixture, _ before: Data) throws {
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
        #expect(try Data(contentsOf: fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite")) == before)
    }

    /// `generate` into a folder it cannot write exits 73 naming the path and the reason; into one
    /// that holds returns already, 64 (the command line's to change: --force or another --out).
    @Test func generateThatCannotWriteExits73() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let file = fixture.root.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let blocked = try Execution.run(["generate", "--out", file.path, "--transactions", "10"], in: fixture.root)
        #expect(blocked.status == 73, "\(blocked.stderr)")
        #expect(
            blocked.stderr.contains("\(file.path)/returns") && blocked.stderr.contains("ENOTDIR"), "\(blocked.stderr)")
        let out = fixture.root.appendingPathComponent("demo")
        let first = try Execution.run(["generate", "--out", out.path, "--transactions", "10"], in: fixture.root)
        #expect(first.status == 0, "\(first.stderr)")
        let again = try Execution.run(["generate", "--out", out.path, "--transactions", "10"], in: fixture.root)
        #expect(again.status == 64, "\(again.stderr)")
        #expect(again.stderr.contains("--force"), "\(again.stderr)")
    }

    /// `generate --force` that cannot remove the returns it replaces (an immutable folder) exits 73
    /// naming the folder and the reason, not 70 with Foundation's error, and writes nothing beside
    /// the old returns; once the folder can be emptied, the same command replaces them.
    @Test func generateForceThatCannotRemoveTheOldReturnsExits73() throws {
        guard getuid() == 0 else { return Self.skip("chattr needs root") }
        let fixture = try Fixture()
        defer { fixture.remove() }
        let out = fixture.root.appendingPathComponent("demo")
        let returns = out.appendingPathComponent("returns")
        let arguments = ["generate", "--out", out.path, "--transactions", "10", "--enterprises", "10"]
        let first = try Execution.run(arguments, in: fixture.root)
        #expect(first.status == 0, "\(first.stderr)")
        let old = try FileManager.default.contentsOfDirectory(atPath: returns.path).sorted()
        guard Self.shell("chattr +i '\(returns.path)'") else {
            return Self.skip("chattr +i is not supported on \(returns.path)")
        }
        defer { _ = Self.shell("chattr -i '\(returns.path)'") }

        let blocked = try Execution.run(arguments + ["--force", "--seed", "2"], in: fixture.root)
        #expect(blocked.status == 73, "\(blocked.stderr)")
        #expect(
            blocked.stderr.contains("cannot remove '\(returns.path)'") && blocked.stderr.contains("EPERM"),
            "\(blocked.stderr)")
        #expect(!blocked.stderr.contains("NSCocoaErrorDomain"), "\(blocked.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: returns.path).sorted() == old)

        #expect(Self.shell("chattr -i '\(returns.path)'"))

        // The returns can go but pipeline.yml cannot: neither goes (the config never names
        // returns that are gone).
        let config = out.appendingPathComponent("pipeline.yml")
        let oldConfig = try Data(contentsOf: config)
        guard Self.shell("chattr +i '\(config.path)'") else { return Self.skip("chattr +i failed") }
        defer { _ = Self.shell("chattr -i '\(config.path)'") }
        let configBlocked = try Execution.run(arguments + ["--force", "--seed", "2"], in: fixture.root)
        #expect(configBlocked.status == 73, "\(configBlocked.stderr)")
        #expect(configBlocked.stderr.contains("cannot remove '\(config.path)'"), "\(configBlocked.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: returns.path).sorted() == old)
        #expect(try Data(contentsOf: config) == oldConfig)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["pipeline.yml", "returns"])
        #expect(Self.shell("chattr -i '\(config.path)'"))

        let replaced = try Execution.run(arguments + ["--force", "--seed", "2"], in: fixture.root)
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["pipeline.yml", "returns"])

        // One file in the returns cannot go: the old set is aside as a unit by then, so the new set
        // is written and the leftover named (73); the next --force removes it.
        let stuck = try #require(try FileManager.default.contentsOfDirectory(atPath: returns.path).sorted().first)
        guard Self.shell("chattr +i '\(returns.appendingPathComponent(stuck).path)'") else {
            return Self.skip("chattr +i failed")
        }
        let partly = try Execution.run(arguments + ["--force", "--seed", "3"], in: fixture.root)
        let leftover = try #require(
            try FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasPrefix(".grdp-replaced-") })
        #expect(Self.shell("chattr -i '\(out.appendingPathComponent(leftover).appendingPathComponent(stuck).path)'"))
        #expect(partly.status == 73, "\(partly.stderr)")
        #expect(
            partly.stderr.contains("cannot remove '\(out.appendingPathComponent(leftover).path)'"), "\(partly.stderr)")
        #expect(partly.stderr.contains("remove it by hand"), "\(partly.stderr)")
        #expect(FileManager.default.fileExists(atPath: config.path))
        #expect(try !FileManager.default.contentsOfDirectory(atPath: returns.path).isEmpty)
        let swept = try Execution.run(arguments + ["--force", "--seed", "2"], in: fixture.root)
        #expect(swept.status == 0, "\(swept.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["pipeline.yml", "returns"])
    }

    /// What the nightly job published under umask 077, read by an analyst as another user: a
    /// snapshot this user may not open is unreadable, exit 66 with the system's reason, never
    /// "damaged" (65, which sends the operator to restore a sound file), and `verify` says NOT
    /// CHECKED; a snapshots folder this user may not list is 66 too, not 70, its errno said once.
    @Test func snapshotsAnotherUserMayNotReadAreUnreadableNotDamaged() throws {
        guard Self.canRunAsNobody() else { return }
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        // The fixture's own folders opened to others (only those: the temporary folder above is
        // left as it is, and must let others through).
        for folder in [fixture.root, fixture.outputs, fixture.snapshots] {
            #expect(chmod(folder.path, 0o755) == 0)
        }
        #expect(chmod(fixture.config.path, 0o644) == 0)
        guard Self.asNobody("test -r '\(fixture.config.path)'"),
            Self.asNobody("test -x '\(Execution.binary.path)'")
        else {
            return Self.skip("another user cannot reach \(fixture.root.path) or run grdp here")
        }
        let snapshot = fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite")
        #expect(chmod(snapshot.path, 0o400) == 0)
        func asNobody(_ arguments: [String]) throws -> Execution { try Self.asNobody(fixture, arguments) }

        for arguments in [["export"], ["verify", "v0001"], ["verify"], ["snapshots"], ["diff", "v0001", "v0001"]] {
            let run = try asNobody(arguments)
            #expect(run.status == 66, "\(arguments): \(run.stderr)")
            #expect(
                run.stderr.contains("cannot be opened for reading: Permission denied (EACCES, errno 13)"),
                "\(run.stderr)")
            #expect(!run.stderr.contains("damaged") && !run.stdout.contains("damaged"), "\(arguments): \(run.stderr)")
        }
        let verify = try asNobody(["verify"])
        #expect(verify.stdout.hasPrefix("v0001: NOT CHECKED [open]"), "\(verify.stdout)")
        #expect(try asNobody(["snapshots"]).stdout.contains("unreadable"))

        #expect(chmod(fixture.snapshots.path, 0o700) == 0)
        for arguments in [["export"], ["verify"], ["snapshots"]] {
            let run = try asNobody(arguments)
            #expect(run.status == 66, "\(arguments): \(run.stderr)")
            #expect(
                run.stderr.contains("cannot list the snapshots folder: Permission denied (EACCES, errno 13)"),
                "\(run.stderr)")
            #expect(run.stderr.components(separatedBy: "errno").count == 2, "\(run.stderr)")
        }
        // As root, every check of the same file holds.
        #expect(try fixture.grdp("verify").status == 0)
    }

    /// The nightly job (another user) after a `sudo grdp run` left the latest snapshot root-only:
    /// a full run publishes past it, as past a damaged one, naming it in a warning (it is not
    /// read); `run --year`, which needs its other years' rows, stops with 66 naming it.
    @Test func aFullRunPublishesPastALatestSnapshotItMayNotOpen() throws {
        guard Self.canRunAsNobody() else { return }
        guard let (fixture, _) = try Self.publishedFixture() else { return }
        defer { fixture.remove() }
        guard Self.shell("chown -R 65534:65534 '\(fixture.root.path)'"),
            Self.asNobody("test -x '\(Execution.binary.path)'")
        else { return Self.skip("another user cannot run grdp here") }
        let latest = fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite")
        #expect(chown(latest.path, 0, 0) == 0 && chmod(latest.path, 0o400) == 0)
        func asNobody(_ arguments: [String]) throws -> Execution { try Self.asNobody(fixture, arguments) }
        let year = try asNobody(["run", "--year", "2024"])
        #expect(year.status == 66, "\(year.stderr)")
        #expect(
            year.stderr.contains("cannot be opened for reading: Permission denied (EACCES, errno 13)"), "\(year.stderr)"
        )
        let run = try asNobody(["run"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("Latest snapshot cannot be read: not used"), "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
    }

    /// A file where the snapshots folder should be is an input that cannot be read (66), for
    /// every command that reads snapshots, not an internal error (70).
    @Test func aFileInPlaceOfTheSnapshotsFolderIsExit66() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try FileManager.default.createDirectory(at: fixture.outputs, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: fixture.snapshots)
        for arguments in [["export"], ["verify"], ["snapshots"]] {
            let run = try fixture.grdp(arguments)
            #expect(run.status == 66, "\(arguments): \(run.stderr)")
            #expect(
                run.stderr.contains("cannot list the snapshots folder: Not a directory (ENOTDIR, errno 20)"),
                "\(run.stderr)")
        }
    }

    /// A snapshot number as high as Int.max, in `.snapshot-sequence` or a stray file's name, is
    /// named so that it can be removed (exit 73, with a report), instead of trapping every run on
    /// the next number's overflow.
    @Test func aSnapshotNumberWithNoneAfterItIsNamedNotTrappedOn() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        try FileManager.default.createDirectory(at: fixture.outputs, withIntermediateDirectories: true)
        let sequence = fixture.outputs.appendingPathComponent(".snapshot-sequence")
        try Data("\(Int.max)\n".utf8).write(to: sequence)
        let run = try fixture.grdp("run")
        #expect(run.status == 73, "\(run.stderr)")
        #expect(run.stderr.contains("\(Int.max), comes from \(sequence.path)"), "\(run.stderr)")
        #expect(try fixture.snapshotFiles().isEmpty)
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "failed")

        try Data("999999998\n".utf8).write(to: sequence)
        let last = try fixture.grdp("run")
        #expect(last.status == 0, "\(last.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v999999999.sqlite"])
        try fixture.write(Fixture.revision, format: .tarGzip, as: "b.tar.gz")
        let past = try fixture.grdp("run")
        #expect(past.status == 73, "\(past.stderr)")
        #expect(past.stderr.contains("grdp-v999999999.sqlite"), "\(past.stderr)")
        // CONTRACT §7: a run that exits non-zero leaves every earlier snapshot as it was.
        #expect(try fixture.snapshotFiles() == ["grdp-v999999999.sqlite"])
        #expect(try fixture.grdp("verify").status == 0)
    }

    @Test func anImmutableSnapshotsFolderExits73AndTheLatestStays() throws {
        guard getuid() == 0 else { return Self.skip("chattr needs root") }
        guard let (fixture, before) = try Self.publishedFixture() else { return }
        defer { fixture.remove() }
        guard Self.shell("chattr +i '\(fixture.snapshots.path)'") else {
            return Self.skip("chattr +i is not supported on \(fixture.snapshots.path)")
        }
        defer { _ = Self.shell("chattr -i '\(fixture.snapshots.path)'") }

        let run = try fixture.grdp("run")
        #expect(run.status == 73, "\(run.stderr)")
        #expect(
            run.stderr.contains(fixture.snapshots.path) && run.stderr.contains("Operation not permitted"),
            "\(run.stderr)")
        try Self.expectIntact(fixture, before)
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "failed")

        #expect(Self.shell("chattr -i '\(fixture.snapshots.path)'"))
        let next = try fixture.grdp("run")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
    }

    /// An export of the quarantine is sorted by SQLite, which spills to its temporary folder past a
    /// few MiB. That folder full (`SQLITE_TMPDIR` on a 64 KiB tmpfs) is a failure to write, exit 73
    /// naming it, not a damaged snapshot (65), which would send an operator to look for damage that
    /// is not there; the file asked for is not written. So it is when the snapshot has no checksum
    /// recorded and `export` checks it in full first (its content hash sorts the same rows), and for
    /// `verify`, which says NOT CHECKED rather than FAILED: then the file could not be checked, and
    /// is called neither damaged nor sound. With room, the same export is whole.
    @Test func aFullSQLiteTemporaryFolderIsExit73NotADamagedSnapshot() throws {
        guard getuid() == 0 else { return Self.skip("mounting a tmpfs needs root") }
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.publishQuarantine(rows: 60_000, padding: 100, line: { 60_000 - $0 })
        let small = fixture.root.appendingPathComponent("sqlite-temporary")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        guard Self.shell("mount -t tmpfs -o size=64k tmpfs '\(small.path)'") else {
            return Self.skip("cannot mount a tmpfs")
        }
        defer { _ = Self.shell("umount '\(small.path)'") }

        let output = fixture.root.appendingPathComponent("quarantine.csv")
        func expectFullTemporaryFolder(_ arguments: [String], saying: String) throws {
            let full = try fixture.grdp(arguments, environment: ["SQLITE_TMPDIR": small.path])
            #expect(full.status == 73, "\(arguments) \(full.stderr)")
            #expect(full.stderr.contains(small.path) && full.stderr.contains(saying), "\(full.stderr)")
            #expect(!full.stdout.contains("FAILED"), "\(full.stdout)")
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
        // No checksum recorded (the fixture publishes as a run would, without recording): checked
        // in full, which cannot be done: nothing is said of the file but that.
        try expectFullTemporaryFolder(
            ["export", "--table", "quarantine", "--output", output.path], saying: "could not be checked")
        try expectFullTemporaryFolder(["verify"], saying: "could not be checked")
        let verify = try fixture.grdp(["verify"], environment: ["SQLITE_TMPDIR": small.path]).stdout
        #expect(verify.contains("v0001: NOT CHECKED [content-hash]") && verify.contains(small.path), "\(verify)")
        // Recorded: the export's own sort.
        let snapshot = fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite")
        try FileManager.default.createDirectory(
            at: fixture.outputs.appendingPathComponent("cache"), withIntermediateDirectories: true)
        try RunCache.Published.record(
            try #require(RunCache.fileChecksum(snapshot)), version: 1, existing: [1],
            in: fixture.outputs.appendingPathComponent("cache"))
        try expectFullTemporaryFolder(
            ["export", "--table", "quarantine", "--output", output.path], saying: "not damaged")

        let roomy = try fixture.grdp(["export", "--table", "quarantine", "--output", output.path])
        #expect(roomy.status == 0, "\(roomy.stderr)")
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 60_001 && lines[1].hasPrefix("a.zip,m.csv,1,"))

        // Edited since: the checksum's check fails (65), and the one that could not be made is
        // still NOT CHECKED, not FAILED.
        try VerifyEndToEndTests.execute("DELETE FROM quarantine WHERE line = 7", on: "v0001", in: fixture)
        let mixed = try fixture.grdp(["verify"], environment: ["SQLITE_TMPDIR": small.path])
        #expect(mixed.status == 65, "\(mixed.stdout)\(mixed.stderr)")
        #expect(mixed.stdout.contains("v0001: FAILED [file-checksum]"), "\(mixed.stdout)")
        #expect(mixed.stdout.contains("v0001: NOT CHECKED [content-hash]"), "\(mixed.stdout)")
    }

    @Test func aFullDiskExits73AndTheLatestStays() throws {
        guard getuid() == 0 else { return Self.skip("mounting a tmpfs needs root") }
        var mounted: String?
        let setup = try Self.publishedFixture { fixture in
            try FileManager.default.createDirectory(at: fixture.outputs, withIntermediateDirectories: true)
            guard Self.shell("mount -t tmpfs -o size=2m tmpfs '\(fixture.outputs.path)'") else { return false }
            mounted = fixture.outputs.path
            return true
        }
        guard let (fixture, before) = setup, let mounted else {
            return Self.skip("cannot mount a tmpfs")
        }
        defer {
            _ = Self.shell("umount '\(mounted)'")
            fixture.remove()
        }
        // Fill the disk, then the revision cannot be published.
        let filler = fixture.outputs.appendingPathComponent("filler")
        _ = Self.shell("dd if=/dev/zero of='\(filler.path)' bs=4k")

        let run = try fixture.grdp("run")
        #expect(run.status == 73, "\(run.stderr)")
        #expect(run.stderr.contains("No space left on device"), "\(run.stderr)")
        try Self.expectIntact(fixture, before)

        try FileManager.default.removeItem(at: filler)
        let next = try fixture.grdp("run")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
        #expect(try fixture.grdp("verify").status == 0)
    }

    /// A disk that the run's own archive cache entry fills: the snapshot cannot be written (73), and
    /// the report, which a run owes (CONTRACT §8), finds no room either, until the run removes the
    /// cache files it wrote (they only save time). Sized so that the entry takes exactly the room
    /// left: measured by a first run on the same tmpfs, whose outputs are then removed.
    @Test func aDiskFilledByTheRunsOwnCacheStillGetsItsReport() throws {
        guard getuid() == 0 else { return Self.skip("mounting a tmpfs needs root") }
        let fixture = try Fixture()
        try FileManager.default.createDirectory(at: fixture.outputs, withIntermediateDirectories: true)
        guard Self.shell("mount -t tmpfs -o size=4m tmpfs '\(fixture.outputs.path)'") else {
            fixture.remove()
            return Self.skip("cannot mount a tmpfs")
        }
        defer {
            _ = Self.shell("umount '\(fixture.outputs.path)'")
            fixture.remove()
        }
        let rows = (1...20_000).map { "T\($0),2023-06-01,\(1000 + $0),completed,marketplace,,67" }
        try fixture.write(
            Fixture.firstReturn + [
                .init(
                    path: "data/transactions-more.csv",
                    text: "transaction_id,date,amount,status,channel,seller_tax_code,seller_province\n"
                        + rows.joined(separator: "\n") + "\n")
            ], format: .zip, as: "2024-01-10_returns.zip")
        let first = try fixture.grdp("run")
        #expect(first.status == 0, "\(first.stderr)")
        let archives = fixture.outputs.appendingPathComponent("cache/archives")
        let entries = try FileManager.default.contentsOfDirectory(atPath: archives.path)
        try #require(entries.count == 1)
        func size(_ url: URL) throws -> Int {
            try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        }
        let entryBytes = try size(archives.appendingPathComponent(entries[0]))
        // The run also writes the archives' digests (`cache/archive-digests.json`) before reading.
        let memoBytes = try size(fixture.outputs.appendingPathComponent("cache/archive-digests.json"))
        for name in ["snapshots", "cache", "reports", "exports"] {
            try? FileManager.default.removeItem(at: fixture.outputs.appendingPathComponent(name))
        }
        let free = try #require(
            try FileManager.default.attributesOfFileSystem(forPath: fixture.outputs.path)[.systemFreeSize] as? Int)
        let page = 4096
        let fillerPages = (free - (entryBytes + page - 1) / page * page - (memoBytes + page - 1) / page * page) / page
        try #require(fillerPages > 0)
        #expect(Self.shell("dd if=/dev/zero of='\(fixture.outputs.path)/filler' bs=4k count=\(fillerPages)"))

        let run = try fixture.grdp("run")
        #expect(run.status == 73, "\(run.stderr)")
        #expect(!run.stderr.contains("Report not written"), "\(run.stderr)")
        let reports = try fixture.reportsWritten()
        #expect(reports.count == 1)
        let errors = (reports.first?["errors"] as? [String]) ?? []
        #expect(errors.contains { $0.contains("removed the 1 cache file(s) this run had written") }, "\(errors)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: archives.path).isEmpty)
        #expect(try fixture.snapshotFiles() == [])

        try FileManager.default.removeItem(at: fixture.outputs.appendingPathComponent("filler"))
        let next = try fixture.grdp("run")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try fixture.grdp("verify").status == 0)
    }

    /// `Outputs/cache/` only saves time: a cache that cannot be written is not a failure to write
    /// outputs (no exit 73); the run publishes, warns, and the next run reads the archives again.
    @Test func anUnwritableCacheOnlyCostsTime() throws {
        guard
            let (fixture, cache, release) = try Self.publishedFixture(
                immutable: { $0.outputs.appendingPathComponent("cache") }, recursive: true)
        else { return }
        defer { release() }
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("Archive not kept in the cache"), "\(run.stderr)")
        #expect(run.stderr.contains("Run cache not written"), "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])

        #expect(Self.shell("chattr -R -i '\(cache.path)'"))
        let next = try fixture.grdp("run")
        #expect(next.status == 0, "\(next.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "up-to-date")
        #expect(report["inputs_unchanged_since"] == nil)
    }

    /// A run that published but could not write its report (an immutable reports folder) says
    /// both: the snapshot published, then the report's failure, exit 73 (it said only the
    /// temporary it could not create).
    @Test func aReportNotWrittenAfterPublishingSaysWhatWasPublished() throws {
        guard let (fixture, _, release) = try Self.publishedFixture(immutable: \.reports) else { return }
        defer { release() }
        let run = try fixture.grdp("run")
        #expect(run.status == 73, "\(run.stderr)")
        #expect(run.stderr.contains("New snapshot v0002 published (now the latest); then:"), "\(run.stderr)")
        #expect(run.stderr.contains("Failed: run report not written: cannot create"), "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
    }

    /// A file where the cache folder should be costs time too, not the run (it failed with 73
    /// before reading anything): said, and the run publishes without the cache; with the file
    /// gone, the next run keeps its cache again.
    @Test func aFileInPlaceOfTheCacheOnlyCostsTime() throws {
        guard let (fixture, _) = try Self.publishedFixture() else { return }
        defer { fixture.remove() }
        let cache = fixture.outputs.appendingPathComponent("cache")
        try FileManager.default.removeItem(at: cache)
        try Data("x".utf8).write(to: cache)
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("Cache folder not usable: the run goes on without it"), "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])

        try FileManager.default.removeItem(at: cache)
        let next = try fixture.grdp("run")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(FileManager.default.fileExists(atPath: cache.appendingPathComponent("last-run.json").path))
    }

    /// A file that cannot be written for want of a temporary beside it is named as the file asked
    /// for, not as the temporary's random name (`.grdp-….tmp`, no file the operator knows).
    @Test func aFileThatCannotBeWrittenIsNamedNotItsTemporary() throws {
        guard getuid() == 0 else { return Self.skip("chattr needs root") }
        let fixture = try Fixture.withFirstReturnPublished()
        let folder = fixture.root.appendingPathComponent("portal")
        defer {
            _ = Self.shell("chattr -i '\(folder.path)'")
            fixture.remove()
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard Self.shell("chattr +i '\(folder.path)'") else { return Self.skip("chattr +i failed") }
        let output = folder.appendingPathComponent("share.csv")
        let export = try fixture.grdp("export", "--output", output.path)
        #expect(export.status == 73, "\(export.stderr)")
        #expect(
            export.stderr.contains("cannot create a temporary for '\(output.path)': Operation not permitted (EPERM"),
            "\(export.stderr)")
        #expect(!export.stderr.contains(".grdp-"), "\(export.stderr)")
    }

    /// A cache entry no longer needed that cannot be removed (an immutable folder) is not said
    /// removed; once it can be, the next run removes it and says so.
    @Test func aCacheEntryThatCouldNotBeRemovedIsNotSaidRemoved() throws {
        guard getuid() == 0 else { return Self.skip("chattr needs root") }
        guard let (fixture, _) = try Self.publishedFixture() else { return }
        let archives = fixture.outputs.appendingPathComponent("cache/archives")
        defer {
            _ = Self.shell("chattr -i '\(archives.path)'")
            fixture.remove()
        }
        #expect(try fixture.grdp("run").status == 0)
        try FileManager.default.removeItem(at: fixture.returns.appendingPathComponent("2024-02-01_revision.tar.gz"))
        let entries = try FileManager.default.contentsOfDirectory(atPath: archives.path).count
        guard Self.shell("chattr +i '\(archives.path)'") else { return Self.skip("chattr +i failed") }
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stderr.contains("no longer matching removed"), "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: archives.path).count == entries)

        #expect(Self.shell("chattr -i '\(archives.path)'"))
        // Inputs other than the last run's (a file the run does not read), so that it goes on.
        try Data("note\n".utf8).write(to: fixture.returns.appendingPathComponent("notes.txt"))
        let next = try fixture.grdp("run")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("1 archive cache entry no longer matching removed"), "\(next.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: archives.path).count == entries - 1)
    }

    /// A run killed while writing the cache leaves `.grdp-*.tmp` files there too; the next run
    /// removes them (CONTRACT §7) and completes.
    @Test func cacheTemporariesLeftByAKilledRunAreRemoved() throws {
        guard let (fixture, _) = try Self.publishedFixture() else { return }
        defer { fixture.remove() }
        let leftovers = [
            fixture.outputs.appendingPathComponent("cache/.grdp-0123456789abcdef.tmp"),
            fixture.outputs.appendingPathComponent("cache/archives/.grdp-fedcba9876543210.tmp"),
        ]
        for url in leftovers { try Data("half an entry".utf8).write(to: url) }
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        for url in leftovers { #expect(!FileManager.default.fileExists(atPath: url.path)) }
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
    }

    /// A report's temporary left by a run killed as it published its report is removed by a later
    /// run once an hour old; a fresh one may be the report of a run that found the lock taken and
    /// is being written right now, and stays.
    @Test func reportTemporariesAnHourOldAreRemoved() throws {
        guard let (fixture, _) = try Self.publishedFixture() else { return }
        defer { fixture.remove() }
        let old = fixture.reports.appendingPathComponent(".grdp-0123456789abcdef.tmp")
        let fresh = fixture.reports.appendingPathComponent(".grdp-fedcba9876543210.tmp")
        try Data("{\"outcome\": \"snapshot\"".utf8).write(to: old)
        try Data("{\"outcome\": \"locked\"".utf8).write(to: fresh)
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: old.path)
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: old.path))
        #expect(FileManager.default.fileExists(atPath: fresh.path))
        #expect(run.stderr.contains("reports/.grdp-0123456789abcdef.tmp"), "\(run.stderr)")
    }

    /// The exit status of `grdp` started by a shell `command` (`"$0"` is the binary) in the
    /// fixture's folder, with every signal's action the default one and none blocked (a test
    /// runner may ignore or block SIGXFSZ, and both last across exec: `CleanlySpawned`); 128 + the
    /// signal when one killed it.
    static func viaShell(_ command: String, in fixture: Fixture) throws -> Int32 {
        let (status, killedBy, _) = try CleanlySpawned(command, in: fixture.root).wait()
        return status ?? 128 + (killedBy ?? 0)
    }

    /// Under a file-size limit (`ulimit -f`) too small for the snapshot, the run is not killed by
    /// SIGXFSZ without a word: the write fails, the run exits 73 with a report, the latest stays.
    @Test func aFileSizeLimitExits73WithAReport() throws {
        guard let (fixture, before) = try Self.publishedFixture() else { return }
        defer { fixture.remove() }
        let reports = try fixture.reportsWritten().count
        // 8 blocks (4 KiB in dash's 512-byte blocks, 8 KiB in bash's): less than any snapshot.
        let status = try Self.viaShell("ulimit -f 8 && exec \"$0\" run --force", in: fixture)
        #expect(status == 73)
        let written = try fixture.reportsWritten()
        #expect(written.count == reports + 1)
        #expect(written.last?["outcome"] as? String == "failed")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
        #expect(try Data(contentsOf: fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite")) == before)
        #expect(try fixture.grdp("run").status == 0)
    }

    /// Started with standard error closed, the run does not write its log into the first file it
    /// opens (the run lock's), which would take descriptor 2.
    @Test func aClosedStandardErrorLeavesTheLockFileEmpty() throws {
        guard let (fixture, _) = try Self.publishedFixture() else { return }
        defer { fixture.remove() }
        #expect(try Self.viaShell("exec \"$0\" run --verbose --force 2>&-", in: fixture) == 0)
        let lock = try Data(contentsOf: fixture.outputs.appendingPathComponent(".lock"))
        #expect(lock.isEmpty, "\(String(decoding: lock, as: UTF8.self))")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
    }

    /// Started with standard output closed, a command whose data goes there fails (73) rather than
    /// write it into the /dev/null put in its place and exit 0 with the data gone; a run, which
    /// writes no data there, is not troubled.
    @Test func dataForAClosedStandardOutputExits73() throws {
        guard let (fixture, _) = try Self.publishedFixture() else { return }
        defer { fixture.remove() }
        let (status, _, stderr) = try CleanlySpawned("exec \"$0\" export --table quarantine >&-", in: fixture.root)
            .wait()
        #expect(status == 73, "\(stderr)")
        #expect(stderr.contains("standard output") && stderr.contains("closed when grdp started"), "\(stderr)")
        #expect(try Self.viaShell("exec \"$0\" snapshots >&-", in: fixture) == 73)
        #expect(try Self.viaShell("exec \"$0\" run >&-", in: fixture) == 0)
        #expect(try Self.viaShell("exec \"$0\" export --output q.csv >&-", in: fixture) == 0)
    }
}

/// Exports that could not be written after a snapshot was published, and their leftovers.
@Suite(.serialized) struct ExportRecoveryTests {
    @Test func exportsThatFailedAfterPublishingAreWrittenByTheNextRun() throws {
        guard getuid() == 0 else { return OutputFailureTests.skip("chattr needs root") }
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let exports = fixture.outputs.appendingPathComponent("exports")
        // Exports cannot be replaced, as on a disk that fills up after the snapshot.
        guard OutputFailureTests.shell("chattr +i '\(exports.path)'") else {
            return OutputFailureTests.skip("chattr +i is not supported")
        }
        defer { _ = OutputFailureTests.shell("chattr -i '\(exports.path)'") }
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")

        let run = try fixture.grdp("run")
        #expect(run.status == 73, "\(run.stderr)")
        #expect(run.stderr.contains(exports.path), "\(run.stderr)")
        // The snapshot itself is complete and published; only its exports are stale.
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
        let failed = try #require(try fixture.reportsWritten().last)
        #expect(failed["outcome"] as? String == "failed")
        #expect(failed["snapshot"] as? String == "v0002")

        // Cause fixed: nothing new to publish, but the exports of v0002 are written.
        #expect(OutputFailureTests.shell("chattr -i '\(exports.path)'"))
        let next = try fixture.grdp("run")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "up-to-date")
        let csv = try String(contentsOf: exports.appendingPathComponent("target-vs-actual.csv"), encoding: .utf8)
        let export = try fixture.grdp("export", "--format", "csv", "--output", "-")
        #expect(csv == export.stdout)
        #expect(csv.contains("2023,51000.000,1.500,0.014,0.125,1.639,"), "\(csv)")
        let package = try String(contentsOf: exports.appendingPathComponent("datapackage.json"), encoding: .utf8)
        #expect(package.contains("v0002"), "\(package)")
    }

    /// An export the config no longer names that cannot be removed (an immutable folder) is a
    /// failure to write the outputs (exit 73, the file named), not a stale file left silently;
    /// once the cause is fixed, the next run removes it.
    @Test func anExportNoLongerConfiguredThatCannotBeRemovedExits73() throws {
        guard getuid() == 0 else { return OutputFailureTests.skip("chattr needs root") }
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let exports = fixture.outputs.appendingPathComponent("exports")
        let stale = exports.appendingPathComponent("target-vs-actual.csv")
        #expect(FileManager.default.fileExists(atPath: stale.path))
        let yaml = try String(contentsOf: fixture.config, encoding: .utf8)
        let unexported = yaml.replacingOccurrences(
            of: "  exports:\n    - {table: target-vs-actual, format: csv}\n", with: "  exports: []\n")
        try #require(unexported != yaml)
        try unexported.write(to: fixture.config, atomically: true, encoding: .utf8)
        guard OutputFailureTests.shell("chattr +i '\(exports.path)'") else {
            return OutputFailureTests.skip("chattr +i is not supported")
        }
        defer { _ = OutputFailureTests.shell("chattr -i '\(exports.path)'") }

        let run = try fixture.grdp("run")
        #expect(run.status == 73, "\(run.stderr)")
        // The first it could not remove is named (the data package, in name order).
        #expect(
            run.stderr.contains("export no longer configured '\(exports.path)/datapackage.json'"), "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: stale.path))

        #expect(OutputFailureTests.shell("chattr -i '\(exports.path)'"))
        let next = try fixture.grdp("run")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: exports.path).isEmpty)
    }

    /// One export that cannot be replaced (a folder where the file goes) leaves every export of the
    /// latest published snapshot as it was, none of the new one's beside them: the portal that
    /// publishes the folder never labels new figures with the old snapshot's version. The run exits
    /// 73 naming it; the next run, the cause fixed, writes them all.
    @Test func exportsAreReplacedAsASetOrNotAtAll() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let yaml = try String(contentsOf: fixture.config, encoding: .utf8)
        let both = yaml.replacingOccurrences(
            of: "    - {table: target-vs-actual, format: csv}\n",
            with: "    - {table: target-vs-actual, format: csv}\n    - {table: target-vs-actual, format: md}\n")
        try #require(both != yaml)
        try both.write(to: fixture.config, atomically: true, encoding: .utf8)
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let exports = fixture.outputs.appendingPathComponent("exports")
        let csv = exports.appendingPathComponent("target-vs-actual.csv")
        let package = exports.appendingPathComponent("datapackage.json")
        let (csvBefore, packageBefore) = (try Data(contentsOf: csv), try Data(contentsOf: package))
        let md = exports.appendingPathComponent("target-vs-actual.md")
        try FileManager.default.removeItem(at: md)
        try FileManager.default.createDirectory(
            at: md.appendingPathComponent("in-the-way"), withIntermediateDirectories: true)
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")

        let run = try fixture.grdp("run")
        #expect(run.status == 73, "\(run.stderr)")
        #expect(run.stderr.contains(md.path), "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
        #expect(try Data(contentsOf: csv) == csvBefore)
        #expect(try Data(contentsOf: package) == packageBefore)
        #expect(String(decoding: packageBefore, as: UTF8.self).contains("v0001"))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: exports.path).sorted() == [
                "datapackage.json", "target-vs-actual.csv", "target-vs-actual.md",
            ])

        try FileManager.default.removeItem(at: md)
        let next = try fixture.grdp("run")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try fixture.grdp("export", "--format", "csv").stdout == String(contentsOf: csv, encoding: .utf8))
        #expect(try fixture.grdp("export", "--format", "md").stdout == String(contentsOf: md, encoding: .utf8))
        #expect(try String(contentsOf: package, encoding: .utf8).contains("v0002"))
        // Up to date, the run's report lists the exports it wrote for the latest snapshot.
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "up-to-date")
        #expect(
            report["exports"] as? [String] == ["target-vs-actual.csv", "target-vs-actual.md", "datapackage.json"],
            "\(report)")
        // And so does the next, up to date without reading anything.
        #expect(try fixture.grdp("run").status == 0)
        #expect(try fixture.reportsWritten().last?["exports"] as? [String] == report["exports"] as? [String])
    }

    @Test func anExportsFolderThatIsAFileExits73BeforePublishing() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        #expect(try fixture.grdp("run").status == 0)
        let before = try Data(contentsOf: fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite"))
        let exports = fixture.outputs.appendingPathComponent("exports")
        try FileManager.default.removeItem(at: exports)
        try Data("in the way\n".utf8).write(to: exports)
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")

        let run = try fixture.grdp("run")
        #expect(run.status == 73, "\(run.stderr)")
        #expect(run.stderr.contains(exports.path), "\(run.stderr)")
        try OutputFailureTests.expectIntact(fixture, before)

        try FileManager.default.removeItem(at: exports)
        #expect(try fixture.grdp("run").status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
    }

    @Test func aRunRemovesExportTemporariesLeftByAKilledRun() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        let exports = fixture.outputs.appendingPathComponent("exports")
        let leftover = exports.appendingPathComponent(".grdp-00000000deadbeef.tmp")
        try Data("half an export".utf8).write(to: leftover)
        let snapshotLeftover = fixture.snapshots.appendingPathComponent(".grdp-00000000cafebabe.tmp")
        try Data("half a snapshot".utf8).write(to: snapshotLeftover)

        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        #expect(!FileManager.default.fileExists(atPath: snapshotLeftover.path))
        #expect(run.stderr.contains("exports/.grdp-00000000deadbeef.tmp"), "\(run.stderr)")
    }
}
