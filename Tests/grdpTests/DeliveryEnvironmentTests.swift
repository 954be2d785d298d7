import Foundation
import GRDPCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The environment a real office runs grdp in: returns folders that Macs, desktops and rsync
/// write into, and outputs a team shares through a group. Real files, the real binary.
@Suite struct DeliveryEnvironmentTests {
    /// CONTRACT §3: every regular file whose name ends in an archive's suffix is an archive, a hidden
    /// one too. A Mac's AppleDouble `._a.zip` (not a zip) is rejected, loudly, rather than passed
    /// over; rsync's `.name.XXXXXX` temporaries end in no archive suffix and are listed as ignored.
    /// README "Readings of the contract" says how to keep such files out.
    @Test func hiddenNamesAreReadAsAnyOther() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }

        let appleDouble: [UInt8] = [0x00, 0x05, 0x16, 0x07, 0x00, 0x02, 0x00, 0x00] + Array("Mac OS X        ".utf8)
        try Data(appleDouble).write(to: fixture.returns.appendingPathComponent("._a.zip"))
        try fixture.write(Fixture.revision, format: .tarGzip, as: ".b.tar.gz.Ab12Cd")

        let run = try fixture.grdp("run")
        #expect(run.status == 65, "\(run.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        let archives = try #require(report["archives"] as? [[String: Any]])
        #expect(archives.map { $0["path"] as? String } == ["._a.zip", "a.zip"], "\(archives)")
        #expect(archives.first?["reason"] as? String == "corrupt-archive", "\(archives)")
        #expect(report["ignored_files"] as? [String] == [".b.tar.gz.Ab12Cd"])
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
    }

    /// A `.sha256` file written on Windows starts with a byte-order mark: Notepad's UTF-8 (EF BB BF),
    /// or PowerShell 5's UTF-16 from `sha256sum a.zip > a.zip.sha256`. The mark is not part of the
    /// digest: the archive is accepted (it was rejected every night, as a digest "not matching" the
    /// same 64 digits).
    @Test(arguments: ["utf-8 BOM", "utf-16le", "utf-16be"])
    func aChecksumFileWrittenOnWindowsIsRead(_ encoding: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        let hex = try FileDigest.sha256(of: fixture.returns.appendingPathComponent("a.zip")).hex
        let line = "\u{FEFF}\(hex.uppercased()) *a.zip\r\n"
        let bytes: [UInt8] =
            switch encoding {
            case "utf-16le": line.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            case "utf-16be": line.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            default: Array(line.utf8)
            }
        try Data(bytes).write(to: fixture.returns.appendingPathComponent("a.zip.sha256"))
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(encoding): \(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])

        // Still checked: another digest behind the mark rejects the archive.
        let other = String(hex.reversed())
        try Data(Array("\u{FEFF}\(other)  a.zip\n".utf8)).write(
            to: fixture.returns.appendingPathComponent("a.zip.sha256"))
        let rejected = try fixture.grdp("run")
        #expect(rejected.status == 65, "\(rejected.stderr)")
        #expect(rejected.stderr.contains("does not match '\(other)' in its .sha256 file"), "\(rejected.stderr)")
    }

    /// `certutil -hashfile a.zip SHA256 > a.zip.sha256` starts with "SHA256 hash of a.zip:": its first word is
    /// no digest, and the rejection says so rather than show the two as merely different.
    @Test func aChecksumFileThatDoesNotStartWithADigestIsNamedSo() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        let hex = try FileDigest.sha256(of: fixture.returns.appendingPathComponent("a.zip")).hex
        try Data("SHA256 hash of a.zip:\r\n\(hex)\r\nCertUtil: -hashfile command completed successfully.\r\n".utf8)
            .write(to: fixture.returns.appendingPathComponent("a.zip.sha256"))
        let run = try fixture.grdp("run")
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("whose first word 'sha256' is not a SHA-256 (64 hex digits)"), "\(run.stderr)")
    }

    /// The outputs folder is a symlink to a share that is not mounted tonight: the run fails with 73
    /// naming the link and its missing target (it said "cannot open the lock file …: No such file or
    /// directory", which sent the operator looking for a lock), and creates nothing in its place.
    @Test func anOutputsSymlinkToAMissingFolderIsNamed() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        let target = fixture.root.appendingPathComponent("share/grdp-outputs")
        try FileManager.default.createSymbolicLink(atPath: fixture.outputs.path, withDestinationPath: target.path)
        let run = try fixture.grdp("run")
        #expect(run.status == 73, "\(run.stderr)")
        #expect(
            run.stderr.contains("it is a symlink to '\(target.path)', which does not exist (a share not mounted?)"),
            "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target.deletingLastPathComponent().path))
    }

    /// Files and folders a run creates take their permissions from the umask, as `touch` and `mkdir`
    /// do: a team sharing the outputs by a group (umask 002) can each run `grdp run --year`, and an
    /// umask of 077 keeps the snapshots, which hold enterprises' returns, to the owner. A snapshot is
    /// still read-only for everyone who may read it.
    @Test(arguments: [(0o002, 0o664, 0o775, 0o444), (0o077, 0o600, 0o700, 0o400), (0o022, 0o644, 0o755, 0o444)])
    func filesARunCreatesFollowTheUmask(umask: Int, file: Int, folder: Int, snapshot: Int) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        let run = try Self.grdp(["run"], in: fixture, umask: umask)
        #expect(run.status == 0, "\(run.stderr)")

        func mode(_ url: URL) throws -> Int {
            try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int)
        }
        let report = try #require(try FileManager.default.contentsOfDirectory(atPath: fixture.reports.path).first)
        for url in [
            fixture.outputs.appendingPathComponent(".lock"), fixture.reports.appendingPathComponent(report),
            fixture.outputs.appendingPathComponent("exports/target-vs-actual.csv"),
            fixture.outputs.appendingPathComponent("exports/datapackage.json"),
        ] {
            let found = try mode(url)
            #expect(found == file, "\(url.lastPathComponent): \(String(found, radix: 8))")
        }
        for url in [fixture.outputs, fixture.snapshots, fixture.reports] {
            let found = try mode(url)
            #expect(found == folder, "\(url.lastPathComponent): \(String(found, radix: 8))")
        }
        let published = try mode(fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite"))
        #expect(published == snapshot, "\(String(published, radix: 8))")
        #expect(try Self.grdp(["verify"], in: fixture, umask: umask).status == 0)
    }

    /// A `.lock` the nightly user created read-only for others (an older grdp made it 0644, and it is
    /// never deleted) does not stop another user's run: `flock` needs no write access, so the run
    /// locks through a read-only descriptor. Needs root, to run grdp as `nobody`.
    @Test(.enabled(if: geteuid() == 0, "runs grdp as nobody: needs root"))
    func aLockFileAnotherUserCreatedReadOnlyStillLocks() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        try FileManager.default.createDirectory(at: fixture.outputs, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: fixture.outputs.path)
        let lock = fixture.outputs.appendingPathComponent(".lock")
        #expect(
            FileManager.default.createFile(atPath: lock.path, contents: nil, attributes: [.posixPermissions: 0o644]))
        // A copy of the binary `nobody` can reach: the build folder may sit below a folder only its
        // owner may enter (CI clones into a `mktemp -d` folder, mode 0700). `cp` writes it in a
        // process of its own: a copy written here would leave its descriptor, open for writing, in
        // any child another test forks meanwhile, and exec would fail with "Text file busy".
        let binary = fixture.root.appendingPathComponent("grdp")
        let copy = try Execution.run([Execution.binary.path, binary.path], in: fixture.root, executable: "/bin/cp")
        try #require(copy.status == 0, "\(copy.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary.path)
        let run = try Execution.run(
            ["--reuid=65534", "--regid=65534", "--clear-groups", binary.path, "run"], in: fixture.root,
            executable: "/usr/bin/setpriv")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
    }

    /// An export the operator gave other permissions (readable by the portal's web server under an
    /// umask of 077, or kept from others) keeps them when a run or `export --output` replaces it,
    /// as `sed -i` and rsync keep a file's mode; a new file takes the umask's. Its owner and group
    /// (the web server's) are kept too, where grdp may set them (as root here).
    @Test func aReplacedExportKeepsItsPermissions() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        #expect(try Self.grdp(["run"], in: fixture, umask: 0o077).status == 0)
        let configured = fixture.outputs.appendingPathComponent("exports/target-vs-actual.csv")
        let portal = fixture.root.appendingPathComponent("portal.csv")
        #expect(try Self.grdp(["export", "--output", portal.path], in: fixture, umask: 0o077).status == 0)
        func mode(_ url: URL) throws -> Int? {
            try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        }
        #expect(try mode(configured) == 0o600)
        #expect(try mode(portal) == 0o600)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: configured.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: portal.path)
        func owners(_ url: URL) throws -> [Int?] {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            return [attributes[.ownerAccountID] as? Int, attributes[.groupOwnerAccountID] as? Int]
        }
        let asRoot = geteuid() == 0
        if asRoot {
            #expect(chown(configured.path, 4_242, 4_343) == 0 && chown(portal.path, 4_244, 4_345) == 0)
        }
        let owned = (configured: try owners(configured), portal: try owners(portal))

        try fixture.write(Fixture.revision, format: .zip, as: "b.zip")
        let run = try Self.grdp(["run"], in: fixture, umask: 0o077)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
        #expect(try Self.grdp(["export", "--output", portal.path], in: fixture, umask: 0o077).status == 0)
        #expect(try mode(configured) == 0o644)
        #expect(try mode(portal) == 0o640)
        #expect(try owners(configured) == owned.configured && owners(portal) == owned.portal)
        if asRoot { #expect(owned.configured == [4_242, 4_343] && owned.portal == [4_244, 4_345]) }
        #expect(try String(contentsOf: portal, encoding: .utf8) == String(contentsOf: configured, encoding: .utf8))
    }

    /// A configured export that is a symlink (into a portal's folder, as an office links the file
    /// its web server serves): the run brings the file the link names up to date and the link
    /// stays (the link was replaced by a file of its own, leaving the portal's stale). Refused
    /// with 73, naming the link, the file there left as it was: a link into the snapshots folder,
    /// the returns or the reports, two links to one file, a link to a FIFO (which was opened and
    /// waited on, the lock held); the summary then says the snapshot was published first.
    @Test func aConfiguredExportThroughASymlinkUpdatesTheFileItNames() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        #expect(try fixture.grdp("run").status == 0)
        let exports = fixture.outputs.appendingPathComponent("exports")
        let portal = fixture.root.appendingPathComponent("portal/www")
        try FileManager.default.createDirectory(at: portal, withIntermediateDirectories: true)
        // The CSV moved into the portal's folder and linked back, relatively; the data package
        // linked to a file not there yet.
        let csv = exports.appendingPathComponent("target-vs-actual.csv")
        try FileManager.default.moveItem(at: csv, to: portal.appendingPathComponent("de.csv"))
        try FileManager.default.createSymbolicLink(atPath: csv.path, withDestinationPath: "../../portal/www/de.csv")
        let package = exports.appendingPathComponent("datapackage.json")
        try FileManager.default.removeItem(at: package)
        try FileManager.default.createSymbolicLink(
            atPath: package.path, withDestinationPath: portal.appendingPathComponent("datapackage.json").path)
        func isLink(_ url: URL) -> Bool {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) != nil
        }

        try fixture.write(Fixture.revision, format: .zip, as: "b.zip")
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
        #expect(isLink(csv) && isLink(package))
        let latest = try fixture.grdp("export", "--format", "csv")
        #expect(latest.status == 0)
        #expect(try String(contentsOf: portal.appendingPathComponent("de.csv"), encoding: .utf8) == latest.stdout)
        let described = try String(contentsOf: portal.appendingPathComponent("datapackage.json"), encoding: .utf8)
        #expect(described.contains("snapshot v0002"))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: portal.path).sorted() == ["datapackage.json", "de.csv"])
        let reported = try #require(fixture.reportsWritten().last)
        #expect(
            reported["exports"] as? [String] == ["target-vs-actual.csv", "datapackage.json"])

        // Linked to a published snapshot: refused before any export is replaced; the snapshot
        // keeps its bytes, and the run says which file and why.
        try FileManager.default.removeItem(at: csv)
        let published = fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite")
        let bytes = try Data(contentsOf: published)
        try FileManager.default.createSymbolicLink(atPath: csv.path, withDestinationPath: published.path)
        try fixture.write(Fixture.revision, format: .zip, as: "c.zip")
        let refused = try fixture.grdp("run", "--force")
        #expect(refused.status == 73, "\(refused.stderr)")
        #expect(refused.stderr.contains(csv.path) && refused.stderr.contains("in the snapshots folder"))
        #expect(try Data(contentsOf: published) == bytes)
        #expect(isLink(csv))

        // Linked to a return, to an earlier run's report, or to the file another export is linked
        // to: refused the same way, naming the link, the file left as it was.
        let archive = fixture.returns.appendingPathComponent("a.zip")
        let reports = fixture.outputs.appendingPathComponent("reports")
        let report = reports.appendingPathComponent(
            try #require(FileManager.default.contentsOfDirectory(atPath: reports.path).sorted().first))
        // A folder that does not exist, then `..`, is no way round: the kernel makes the folder,
        // then goes up (the snapshot was replaced so, with exit 0).
        let throughMissing =
            fixture.root.appendingPathComponent("nosuch").path + "/../Outputs/snapshots/grdp-v0001.sqlite"
        for (target, file, named, why) in [
            (archive.path, archive, csv, "in the returns folder"), (report.path, report, csv, "in the reports folder"),
            (throughMissing, published, csv, "in the snapshots folder"),
            (
                portal.appendingPathComponent("datapackage.json").path,
                portal.appendingPathComponent("datapackage.json"),
                package, "as '\(csv.path)' does"
            ),
        ] {
            let before = try Data(contentsOf: file)
            try FileManager.default.removeItem(at: csv)
            try FileManager.default.createSymbolicLink(atPath: csv.path, withDestinationPath: target)
            let linked = try fixture.grdp("run", "--force")
            #expect(linked.status == 73, "\(linked.stderr)")
            #expect(linked.stderr.contains("'\(named.path)'") && linked.stderr.contains(why), "\(linked.stderr)")
            // grdp's reason, not the errno's text (read as a permission problem to look for).
            #expect(
                linked.stderr.contains("will not replace") && !linked.stderr.contains("Operation not permitted"),
                "\(linked.stderr)")
            #expect(try Data(contentsOf: file) == before, "\(why)")
        }

        // Linked to a name that can only be a folder (`/.` after one not made yet): refused before
        // the folder is made (it was made, then the export failed).
        let missing = portal.appendingPathComponent("nosuch")
        for target in [missing.path + "/.", missing.path + "/deeper/.."] {
            try FileManager.default.removeItem(at: csv)
            try FileManager.default.createSymbolicLink(atPath: csv.path, withDestinationPath: target)
            let toFolder = try fixture.grdp("run", "--force")
            #expect(toFolder.status == 73, "\(toFolder.stderr)")
            #expect(toFolder.stderr.contains("which names a folder"), "\(toFolder.stderr)")
            #expect(!FileManager.default.fileExists(atPath: missing.path), "\(target)")
        }

        // Linked to a FIFO (a portal's pipe): refused at once, not opened (it would wait for a
        // writer with the lock held, every later run exiting 75).
        let fifo = portal.appendingPathComponent("pipe")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        try FileManager.default.removeItem(at: csv)
        try FileManager.default.createSymbolicLink(atPath: csv.path, withDestinationPath: fifo.path)
        let spawned = try Spawned(["run", "--force"], in: fixture.root)
        let deadline = Date().addingTimeInterval(60)
        while spawned.process.isRunning, Date() < deadline { usleep(50_000) }
        if spawned.process.isRunning {
            spawned.kill()
            Issue.record("a run with an export linked to a FIFO did not end")
        }
        let ended = try spawned.wait().execution
        #expect(ended.status == 73 && ended.stderr.contains("not a regular file"), "\(ended.stderr)")
        // Published before its exports failed: the summary says so (with --quiet, "Failed" alone
        // read as if nothing had been published).
        let newest = try #require(try fixture.snapshotFiles().last).dropFirst("grdp-".count).prefix(5)
        #expect(ended.stderr.contains("New snapshot \(newest) published (now the latest); then:"), "\(ended.stderr)")
        // And so does the report, which names the snapshot either way.
        func lastReport() throws -> (outcome: String?, before: String?, snapshot: String?) {
            let report = try #require(try fixture.reportsWritten().last)
            return (
                report["outcome"] as? String, report["outcome_before_failure"] as? String,
                report["snapshot"] as? String
            )
        }
        #expect(try lastReport() == ("failed", "snapshot", String(newest)))
        let quiet = try fixture.grdp("--quiet", "run")
        #expect(quiet.status == 73)
        #expect(quiet.stderr.contains("Up to date: \(newest) already holds these figures; then:"), "\(quiet.stderr)")
        #expect(try lastReport() == ("failed", "up-to-date", String(newest)))
    }

    /// Outputs on a FAT file system (a USB disk, as small offices use for the outputs a portal
    /// machine picks up), which has no Unix permissions: a snapshot cannot be made read-only, and it
    /// is published all the same (every run failed with 73, "cannot make read-only"). Needs root,
    /// FUSE and the fusefat and dosfstools packages, to mount a real FAT image.
    @Test(
        .enabled(
            if: geteuid() == 0 && FileManager.default.fileExists(atPath: "/dev/fuse")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/fusefat")
                && FileManager.default.isExecutableFile(atPath: "/usr/sbin/mkfs.vfat"),
            "mounts a FAT image with fusefat: needs root, /dev/fuse, fusefat and dosfstools"))
    func snapshotsArePublishedOnAFileSystemWithoutPermissions() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let image = fixture.root.appendingPathComponent("usb.img")
        let mount = fixture.root.appendingPathComponent("usb")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: image.path, contents: nil))
        try FileHandle(forWritingTo: image).truncate(atOffset: 16 << 20)
        // system(3), not Process: Foundation's Process waits on the daemon fusefat leaves behind.
        let mounted = system(
            "/usr/sbin/mkfs.vfat '\(image.path)' >/dev/null && /usr/bin/fusefat -o rw+ '\(image.path)' '\(mount.path)' "
                + "</dev/null >/dev/null 2>&1")
        try #require(mounted == 0)
        defer { _ = system("/bin/umount '\(mount.path)'") }

        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        let outputs = mount.appendingPathComponent("Outputs").path
        try Fixture.pipelineYAML.replacingOccurrences(of: "folder: Outputs", with: "folder: \(outputs)")
            .write(to: fixture.config, atomically: true, encoding: .utf8)
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: outputs + "/snapshots/grdp-v0001.sqlite"))
        #expect(try fixture.grdp("verify").status == 0)
        #expect(try fixture.grdp("run").stderr.contains("Up to date"))
    }

    /// `grdp ARGUMENTS` in the fixture's folder under `umask`, set by a shell that then becomes grdp
    /// (the test process's own umask is shared by every test running beside it).
    static func grdp(_ arguments: [String], in fixture: Fixture, umask: Int) throws -> Execution {
        let script = "umask \(String(umask, radix: 8)); exec \"$0\" \"$@\""
        return try Execution.run(
            ["-c", script, Execution.binary.path] + arguments, in: fixture.root, executable: "/bin/sh")
    }
}
