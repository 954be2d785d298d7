import Foundation
import Testing

@testable import GRDPCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite struct ExportAtomicFileTests {
    @Test func writesAndReplacesWithoutLeavingTemporaries() throws {
        let folder = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(folder) }
        let url = folder.appendingPathComponent("exports/target-vs-actual.csv")
        try AtomicFile.write("first\n", to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "first\n")
        try AtomicFile.write(Data("second\n".utf8), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "second\n")
        try AtomicFile.write([UInt8](), to: url)
        #expect(try Data(contentsOf: url).isEmpty)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path) == [
                "target-vs-actual.csv"
            ])
    }

    @Test func neverOverwritesWhenAskedNotTo() throws {
        let folder = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(folder) }
        let url = folder.appendingPathComponent("run-20250102T030405.678901Z.json")
        try AtomicFile.write("{}\n", to: url, replacing: false)
        let error = #expect(throws: OutputWriteError.self) {
            try AtomicFile.write("{\"other\": 1}\n", to: url, replacing: false)
        }
        #expect(error?.errno == EEXIST)
        #expect(try String(contentsOf: url, encoding: .utf8) == "{}\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [url.lastPathComponent])
    }

    @Test func anUnwritableFolderIsAnOutputWriteErrorNamingThePath() throws {
        let folder = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(folder) }
        let url = folder.appendingPathComponent("report.html")
        try AtomicFile.write("old", to: url)
        guard let restore = try makeUnwritable(folder) else {
            withKnownIssue("cannot make a folder unwritable for this user here") { Issue.record("skipped") }
            return
        }
        defer { restore() }
        let error = #expect(throws: OutputWriteError.self) { try AtomicFile.write("new", to: url) }
        #expect(error?.errno == EACCES || error?.errno == EPERM)
        #expect(error?.description.contains(folder.path) == true)
        restore()
        #expect(try String(contentsOf: url, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["report.html"])
    }

    @Test func errorsReadAsSentences() {
        let error = OutputWriteError(path: "/x/Outputs/exports/a.csv", operation: "write", errno: ENOSPC)
        #expect(error.description.hasPrefix("cannot write '/x/Outputs/exports/a.csv': "))
        #expect(error.description.contains("(ENOSPC, errno \(ENOSPC))"))
    }
}
