import Foundation
import GRDPCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `grdp export --output PATH` where PATH is not a plain file: a FIFO, a symlink, a device, a
/// descriptor's name. Renaming a temporary over such a node used to replace it with a regular
/// file (as root, `/dev/full` itself), and `/dev/fd/1` failed with 73 (no temporary in `/dev/fd`).
@Suite struct ExportOutputPathTests {
    /// A fixture with v0001 published, and the CSV `export --output -` prints.
    static func published() throws -> (Fixture, String) {
        let fixture = try Fixture()
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let csv = try fixture.runThenExportCSV()
        return (fixture, csv)
    }

    /// The kind of node at `path`, symlinks not followed: `S_IFREG`, `S_IFLNK`, `S_IFIFO`, …
    static func kind(_ path: String) -> mode_t? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return status.st_mode & S_IFMT
    }

    /// Reads a FIFO to its end on a thread of its own, as a consumer process would.
    final class FIFOReader: @unchecked Sendable {
        // @unchecked Sendable: `bytes` is set by the reader thread before it signals `done`, and
        // read only after a wait on `done` succeeded.
        private var bytes = Data()
        private let done = DispatchSemaphore(value: 0)

        init(path: String) {
            Thread.detachNewThread { [self] in
                // Opening a FIFO for reading waits for a writer.
                if let handle = FileHandle(forReadingAtPath: path) {
                    bytes = handle.readDataToEndOfFile()
                    try? handle.close()
                }
                done.signal()
            }
        }

        /// What the reader got, or nil when it did not finish in time.
        func wait(seconds: Double) -> Data? {
            done.wait(timeout: .now() + seconds) == .success ? bytes : nil
        }
    }

    @Test func aFIFOGetsTheBytesAndStaysAFIFO() throws {
        let (fixture, csv) = try Self.published()
        defer { fixture.remove() }
        let fifo = fixture.root.appendingPathComponent("targets.fifo").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let reader = FIFOReader(path: fifo)

        let run = try fixture.grdp("export", "--format", "csv", "--output", fifo)
        #expect(run.status == 0, "\(run.stderr)")
        let received = reader.wait(seconds: 30)
        #expect(received.map { String(decoding: $0, as: UTF8.self) } == csv)
        #expect(Self.kind(fifo) == S_IFIFO)
    }

    /// A symlink stays a symlink: its target is replaced atomically (a temporary beside the target,
    /// not beside the link), and a link to nothing yet gets its target created.
    @Test func aSymlinkStaysASymlinkAndItsTargetGetsTheExport() throws {
        let (fixture, csv) = try Self.published()
        defer { fixture.remove() }
        let published = fixture.root.appendingPathComponent("published")
        try FileManager.default.createDirectory(at: published, withIntermediateDirectories: true)
        let target = published.appendingPathComponent("targets.csv")
        try Data("last month's table\n".utf8).write(to: target)
        let link = fixture.root.appendingPathComponent("targets.csv")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "published/targets.csv")

        let run = try fixture.grdp("export", "--format", "csv", "--output", link.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Self.kind(link.path) == S_IFLNK)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "published/targets.csv")
        #expect(try String(contentsOf: target, encoding: .utf8) == csv)
        #expect(try FileManager.default.contentsOfDirectory(atPath: published.path) == ["targets.csv"])

        // A dangling link, through a second link: the file at the end of the chain is created.
        let dangling = fixture.root.appendingPathComponent("next.csv")
        try FileManager.default.createSymbolicLink(atPath: dangling.path, withDestinationPath: "later/next.csv")
        let chain = fixture.root.appendingPathComponent("chain.csv")
        try FileManager.default.createSymbolicLink(atPath: chain.path, withDestinationPath: "next.csv")
        let second = try fixture.grdp("export", "--format", "csv", "--output", chain.path)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(Self.kind(chain.path) == S_IFLNK && Self.kind(dangling.path) == S_IFLNK)
        let created = fixture.root.appendingPathComponent("later/next.csv")
        #expect(Self.kind(created.path) == S_IFREG)
        #expect(try String(contentsOf: created, encoding: .utf8) == csv)
    }

    /// `/dev/null` takes the export and stays a character device (as root, the rename used to
    /// replace it with a regular file; otherwise the temporary could not be created: exit 73).
    /// An export killed while writing to a file leaves its temporary beside it; a later export
    /// there removes those an hour old, not a fresh one (exports take no lock: another export may
    /// be writing it), and nothing else.
    @Test func aLaterExportRemovesTemporariesAnHourOldBesideItsFile() throws {
        let (fixture, csv) = try Self.published()
        defer { fixture.remove() }
        let folder = fixture.root.appendingPathComponent("portal")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let stale = folder.appendingPathComponent(".grdp-stale.tmp")
        let fresh = folder.appendingPathComponent(".grdp-fresh.tmp")
        let other = folder.appendingPathComponent("notes.tmp")
        for url in [stale, fresh, other] { try Data("partial".utf8).write(to: url) }
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: stale.path)
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: other.path)

        // One that cannot be removed (a folder of that name) no longer keeps the others, sorted
        // after it, from going.
        let stuck = folder.appendingPathComponent(".grdp-0stuck.tmp")
        try FileManager.default.createDirectory(at: stuck, withIntermediateDirectories: true)
        try Data("partial".utf8).write(to: stuck.appendingPathComponent("inside"))
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: stuck.path)

        let output = folder.appendingPathComponent("targets.csv")
        let export = try fixture.grdp("export", "--output", output.path)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try String(contentsOf: output, encoding: .utf8) == csv)
        #expect(FileManager.default.fileExists(atPath: stuck.path))
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: fresh.path))
        #expect(FileManager.default.fileExists(atPath: other.path))
    }

    @Test func devNullWorksAndStaysADevice() throws {
        let (fixture, _) = try Self.published()
        defer { fixture.remove() }
        let run = try fixture.grdp("export", "--output", "/dev/null")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(Self.kind("/dev/null") == S_IFCHR)
    }

    /// `/dev/fd/1` and `/dev/stdout` are the inherited stdout itself (here a captured file, which
    /// must be written through the descriptor, not replaced by a rename).
    @Test(arguments: ["/dev/fd/1", "/dev/stdout"])
    func theNameOfStdoutWritesToStdout(_ path: String) throws {
        let (fixture, csv) = try Self.published()
        defer { fixture.remove() }
        let run = try fixture.grdp("export", "--format", "csv", "--output", path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == csv)
    }

    /// A device that fails the write exits 73 naming the path and the reason, and is left as it was.
    @Test func devFullExits73NamingItAndStaysADevice() throws {
        let (fixture, _) = try Self.published()
        defer { fixture.remove() }
        let run = try fixture.grdp("export", "--output", "/dev/full")
        #expect(run.status == 73, "\(run.stderr)")
        #expect(run.stderr.contains("cannot write '/dev/full': No space left on device (ENOSPC"), "\(run.stderr)")
        #expect(Self.kind("/dev/full") == S_IFCHR)
    }

    /// An export that cannot be written exits 73 and leaves none of the folders it made for it
    /// (export audit 39, L3: `a/b` of `a/b/c/tva.html` stayed when `c` could not be made).
    @Test func aFailedExportLeavesNoFolderItMade() throws {
        let (fixture, _) = try Self.published()
        defer { fixture.remove() }
        let before = try FileManager.default.contentsOfDirectory(atPath: fixture.root.path).sorted()
        let tooLong = String(repeating: "n", count: 300)
        let run = try fixture.grdp("export", "--format", "html", "--output", "reports/2026/\(tooLong)/tva.html")
        #expect(run.status == 73, "\(run.stderr)")
        #expect(run.stderr.contains("File name too long"), "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root.path).sorted() == before)
    }

    /// A path that names a folder (ending in `/`, `/.`, `/..`, an existing folder, a link to one)
    /// is refused with 73 before anything is made: `nosuch/` was written as a file named `nosuch`
    /// with exit 0, and an existing folder failed only at the rename, its temporary written.
    @Test func anOutputNamingAFolderIsRefusedBeforeAnythingIsMade() throws {
        let (fixture, _) = try Self.published()
        defer { fixture.remove() }
        let folder = fixture.root.appendingPathComponent("portal")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: fixture.root.appendingPathComponent("to-portal").path, withDestinationPath: "portal")
        // Links whose target can only be a folder not made yet: `nowhere/` had a file named
        // `nowhere` written, exit 0 (the check looked at the path as typed, not where it leads).
        for (link, target) in [("to-nowhere", "nowhere/"), ("to-nowhere-dot", "nowhere/.")] {
            try FileManager.default.createSymbolicLink(
                atPath: fixture.root.appendingPathComponent(link).path, withDestinationPath: target)
        }
        for output in [
            "nosuch/", "nosuch/.", "new/deeper/..", "portal", "portal/", "to-portal", ".", "to-nowhere",
            "to-nowhere-dot",
        ] {
            let run = try fixture.grdp("export", "--output", output)
            #expect(run.status == 73, "\(output): \(run.stderr)")
            #expect(
                run.stderr.contains("will not write '\(output)': it names a folder; --output takes the path of a file"),
                "\(output): \(run.stderr)")
            #expect(!run.stderr.contains("Operation not permitted"), "\(run.stderr)")
        }
        for made in ["nosuch", "new", "nowhere"] {
            #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent(made).path), "\(made)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [])
        // A file in it is what --output takes.
        let run = try fixture.grdp("export", "--output", "portal/targets.csv")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["targets.csv"])
    }

    /// A loop of symlinks cannot be followed: exit 73 naming the link.
    @Test func aSymlinkLoopExits73() throws {
        let (fixture, _) = try Self.published()
        defer { fixture.remove() }
        let first = fixture.root.appendingPathComponent("a.csv").path
        let second = fixture.root.appendingPathComponent("b.csv").path
        try FileManager.default.createSymbolicLink(atPath: first, withDestinationPath: second)
        try FileManager.default.createSymbolicLink(atPath: second, withDestinationPath: first)
        let run = try fixture.grdp("export", "--output", first)
        #expect(run.status == 73, "\(run.stderr)")
        #expect(run.stderr.contains("Too many levels of symbolic links"), "\(run.stderr)")
    }

    /// A published snapshot is never replaced, nor anything put beside it: `--output` naming a
    /// file in the snapshots folder, directly, through `..` or through a symlink, exits 64 before
    /// any byte is written, and the snapshot stays as published.
    @Test func anExportIntoTheSnapshotsFolderIsRefused() throws {
        let (fixture, _) = try Self.published()
        defer { fixture.remove() }
        let snapshots = fixture.outputs.appendingPathComponent("snapshots")
        let snapshot = snapshots.appendingPathComponent("grdp-v0001.sqlite").path
        let before = try Data(contentsOf: URL(fileURLWithPath: snapshot))
        let link = fixture.root.appendingPathComponent("looks-harmless.csv").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: snapshot)
        for output in [
            snapshot, snapshots.appendingPathComponent("new.csv").path, "Outputs/reports/../snapshots/x.csv", link,
            // Through a folder that does not exist yet (it was made, and the snapshot replaced),
            // and below the folder.
            "nosuch/../Outputs/snapshots/grdp-v0001.sqlite", "Outputs/snapshots/sub/new.csv",
        ] {
            let run = try fixture.grdp("export", "--table", "quarantine", "--output", output)
            #expect(run.status == 64, "\(output): \(run.stderr)")
            #expect(run.stderr.contains("snapshots folder"), "\(run.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: snapshot)) == before)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: snapshots.path).filter { !$0.hasPrefix(".") } == [
                "grdp-v0001.sqlite"
            ])
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("nosuch").path))
        // Through a symlinked folder and `..`: the kernel goes up from the link's target, not
        // back here, and the export is written there (it replaced the snapshot, taken as text).
        let other = fixture.root.appendingPathComponent("other/sub")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: fixture.root.appendingPathComponent("lnk").path, withDestinationPath: "other/sub")
        let through = try fixture.grdp("export", "--output", "lnk/../Outputs/snapshots/grdp-v0001.sqlite")
        #expect(through.status == 0, "\(through.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: snapshot)) == before)
        #expect(
            FileManager.default.fileExists(
                atPath: fixture.root.appendingPathComponent("other/Outputs/snapshots/grdp-v0001.sqlite").path))
        // Beside the folder is fine.
        let run = try fixture.grdp("export", "--output", fixture.outputs.appendingPathComponent("snapshots.csv").path)
        #expect(run.status == 0, "\(run.stderr)")
    }

    /// Nor is any other file grdp keeps or reads: an export renamed over `Outputs/.lock` gave the
    /// next run a lock file of its own while a running one held the old one (both ran, exit 0),
    /// and one over the cache's `published.json`, a return or the config replaced what the next
    /// run reads. Each exits 64 naming the place, and the file stays the same file (inode, bytes).
    @Test func anExportOverTheLockTheCacheAReturnOrTheConfigIsRefused() throws {
        let (fixture, _) = try Self.published()
        defer { fixture.remove() }
        let outputs = fixture.outputs
        let link = fixture.root.appendingPathComponent("report.csv").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "Outputs/.lock")
        let refused: [(output: String, kept: String, names: String)] = [
            ("Outputs/.lock", outputs.appendingPathComponent(".lock").path, "lock"),
            (link, outputs.appendingPathComponent(".lock").path, "lock"),
            ("Outputs/.snapshot-sequence", outputs.appendingPathComponent(".snapshot-sequence").path, "sequence"),
            ("Outputs/cache/published.json", outputs.appendingPathComponent("cache/published.json").path, "the cache"),
            ("Outputs/reports/new.json", outputs.appendingPathComponent("reports/new.json").path, "the reports folder"),
            (
                "returns/2024-01-10_returns.zip", fixture.returns.appendingPathComponent("2024-01-10_returns.zip").path,
                "the returns folder"
            ),
            ("returns/../pipeline.yml", fixture.config.path, "the config"),
        ]
        for (output, kept, names) in refused {
            var before = stat()
            let existed = stat(kept, &before) == 0
            let bytes = existed ? try Data(contentsOf: URL(fileURLWithPath: kept)) : nil
            let run = try fixture.grdp("export", "--output", output)
            #expect(run.status == 64, "\(output): \(run.stderr)")
            #expect(run.stderr.contains(names) && run.stderr.contains("never replaces"), "\(output): \(run.stderr)")
            var after = stat()
            #expect((stat(kept, &after) == 0) == existed, "\(output)")
            if existed {
                #expect(after.st_ino == before.st_ino, "\(output): replaced")
                #expect(try Data(contentsOf: URL(fileURLWithPath: kept)) == bytes, "\(output)")
            }
        }
        #expect(Self.kind(link) == S_IFLNK)
        // The outputs folder itself, and its exports folder, are places for exports.
        for output in ["Outputs/target-vs-actual.csv", "Outputs/exports/mine.csv"] {
            let run = try fixture.grdp("export", "--output", output)
            #expect(run.status == 0, "\(output): \(run.stderr)")
        }
    }
}
