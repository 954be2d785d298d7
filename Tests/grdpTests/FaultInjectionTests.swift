import Foundation
import GRDPCore
import Testing

/// A folder listing that fails part way (a disk or a network share giving EIO after some entries),
/// injected into the real `grdp` by an `LD_PRELOAD` library built here with the toolchain's clang:
/// a listing cut short must fail the command, never pass for the whole folder. A run that took
/// a partial listing of the returns for all of them would publish figures without the archives
/// it did not see; a partial listing of the snapshots would make an older snapshot the latest.
@Suite struct FaultInjectionTests {
    /// `opendir`, `readdir`, `readdir64` and `closedir` over glibc's: listings of the folder
    /// `GRDP_TEST_READDIR_EIO_IN` give `GRDP_TEST_READDIR_EIO_AFTER` entries (`.` and `..`
    /// included), then NULL with errno EIO.
    static let source = #"""
        #define _GNU_SOURCE
        #include <dirent.h>
        #include <dlfcn.h>
        #include <errno.h>
        #include <limits.h>
        #include <stdlib.h>
        #include <string.h>

        #define WATCHED 64
        static DIR *watched[WATCHED];
        static int given[WATCHED];

        static int watches(const char *path) {
            const char *in = getenv("GRDP_TEST_READDIR_EIO_IN");
            char a[PATH_MAX], b[PATH_MAX];
            return in && realpath(path, a) && realpath(in, b) && strcmp(a, b) == 0;
        }

        DIR *opendir(const char *path) {
            DIR *(*real)(const char *) = (DIR *(*)(const char *))dlsym(RTLD_NEXT, "opendir");
            DIR *dir = real(path);
            if (dir && watches(path))
                for (int i = 0; i < WATCHED; i++)
                    if (!watched[i]) { watched[i] = dir; given[i] = 0; break; }
            return dir;
        }

        static int fails(DIR *dir) {
            for (int i = 0; i < WATCHED; i++)
                if (watched[i] == dir) {
                    const char *after = getenv("GRDP_TEST_READDIR_EIO_AFTER");
                    if (given[i] >= (after ? atoi(after) : 0)) return 1;
                    given[i]++;
                    return 0;
                }
            return 0;
        }

        struct dirent *readdir(DIR *dir) {
            struct dirent *(*real)(DIR *) = (struct dirent *(*)(DIR *))dlsym(RTLD_NEXT, "readdir");
            if (fails(dir)) { errno = EIO; return NULL; }
            return real(dir);
        }

        struct dirent64 *readdir64(DIR *dir) {
            struct dirent64 *(*real)(DIR *) = (struct dirent64 *(*)(DIR *))dlsym(RTLD_NEXT, "readdir64");
            if (fails(dir)) { errno = EIO; return NULL; }
            return real(dir);
        }

        int closedir(DIR *dir) {
            int (*real)(DIR *) = (int (*)(DIR *))dlsym(RTLD_NEXT, "closedir");
            for (int i = 0; i < WATCHED; i++) if (watched[i] == dir) watched[i] = NULL;
            return real(dir);
        }
        """#

    /// The library built into `folder` with clang (part of every Swift toolchain on Linux).
    static func library(in folder: URL) throws -> String {
        let source = folder.appendingPathComponent("failing-readdir.c")
        let library = folder.appendingPathComponent("failing-readdir.so")
        try Data(Self.source.utf8).write(to: source)
        let built = try Execution.run(
            ["-c", "clang -shared -fPIC -o \"$0\" \"$1\" -ldl", library.path, source.path], in: folder,
            executable: "/bin/sh")
        try #require(built.status == 0, "clang: \(built.stderr)")
        return library.path
    }

    /// The environment that makes listings of `folder` fail after `entries` entries.
    static func failing(_ folder: URL, after entries: Int, library: String) -> [String: String] {
        [
            "LD_PRELOAD": library, "GRDP_TEST_READDIR_EIO_IN": folder.path,
            "GRDP_TEST_READDIR_EIO_AFTER": "\(entries)",
        ]
    }

    /// The returns folder's listing fails after its first archive: the run fails (66) naming the
    /// folder and EIO, and publishes nothing; the latest stays the latest. Given the whole listing
    /// (the library loaded, nothing failing), the same run publishes both returns.
    @Test func aReturnsFolderListingCutShortFailsTheRun() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        try fixture.write(Fixture.revision, format: .tarGzip, as: "b.tar.gz")
        let library = try Self.library(in: fixture.root)

        // ".", "..", and one of the two archives.
        let cut = try fixture.grdp(["run"], environment: Self.failing(fixture.returns, after: 3, library: library))
        #expect(cut.status == 66, "\(cut.stderr)")
        #expect(
            cut.stderr.contains(
                "cannot read \(fixture.returns.path): Input/output error (EIO, errno 5); an archive of the returns "
                    + "folder could be missed, so none was read"), "\(cut.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "failed")
        let validate = try fixture.grdp(
            ["validate"], environment: Self.failing(fixture.returns, after: 3, library: library))
        #expect(validate.status == 66, "\(validate.stderr)")

        let whole = try fixture.grdp(["run"], environment: Self.failing(fixture.returns, after: 100, library: library))
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
        let archives = try #require(try fixture.reportsWritten().last?["archives"] as? [[String: Any]])
        #expect(archives.map { $0["path"] as? String } == ["a.zip", "b.tar.gz"])
    }

    /// The snapshots folder's listing fails after its first snapshot: no command takes that one
    /// for the latest (or all there is). `snapshots`, `export`, `verify` and `diff` exit 66, and
    /// a run 73, publishing nothing (a new number from a partial listing could reuse one).
    @Test func aSnapshotsFolderListingCutShortFailsEveryCommand() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        #expect(try fixture.grdp("run", "--force").status == 0)
        let snapshots = fixture.outputs.appendingPathComponent("snapshots")
        let library = try Self.library(in: fixture.root)
        let failing = Self.failing(snapshots, after: 3, library: library)
        for arguments in [["snapshots"], ["export"], ["verify"], ["diff", "v0001", "v0002"]] {
            let command = try fixture.grdp(arguments, environment: failing)
            #expect(command.status == 66, "\(arguments): \(command.stderr)")
            #expect(
                command.stderr.contains("cannot list the snapshots folder: Input/output error (EIO, errno 5)"),
                "\(arguments): \(command.stderr)")
        }
        let run = try fixture.grdp(["run", "--force"], environment: failing)
        #expect(run.status == 73, "\(run.stderr)")
        #expect(run.stderr.contains("Input/output error (EIO, errno 5)"), "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite", "grdp-v0002.sqlite"])
        #expect(try fixture.grdp("verify").status == 0)
    }
}
