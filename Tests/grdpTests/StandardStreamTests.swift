import Foundation
import GRDPCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// stdout and stderr that cannot be written: a full disk (`/dev/full`, which fails every write
/// with `ENOSPC`) or a pipe whose reader is gone (`EPIPE`; grdp ignores SIGPIPE).
@Suite struct StandardStreamTests {
    /// `/dev/full`, opened for writing, as a child's stdout or stderr.
    static func full() throws -> FileHandle {
        try #require(FileHandle(forWritingAtPath: "/dev/full"))
    }

    /// The writing end of a pipe whose reading end is already closed: every write fails with
    /// `EPIPE` (and raises SIGPIPE, which grdp ignores).
    static func closedPipe() throws -> FileHandle {
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        return pipe.fileHandleForWriting
    }

    /// The write end of a pipe left non-blocking (as some parents leave a shared one), already
    /// full, whose reader never reads; and the read end, to keep open (else writes fail EPIPE).
    static func fullNonBlockingPipe() throws -> (FileHandle, readEnd: Int32) {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        // The smallest pipe (F_SETPIPE_SZ, not imported by Glibc's module).
        _ = fcntl(ends[0], 1031, 4096)
        try #require(fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK) == 0)
        let filler = [UInt8](repeating: UInt8(ascii: "x"), count: 4096)
        while write(ends[1], filler, filler.count) > 0 {}
        return (FileHandle(fileDescriptor: ends[1], closeOnDealloc: true), ends[0])
    }

    /// A fixture with the first return in its returns folder, not yet run.
    static func fixtureWithReturn() throws -> Fixture {
        let fixture = try Fixture()
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        return fixture
    }

    /// Log lines never stop a run: with stderr on a full disk (the README's cron line appends
    /// stderr to a log file), on a pipe nobody reads any more, or on a full non-blocking pipe,
    /// `run` publishes the snapshot, writes its report and its exports, and exits 0 — before,
    /// `FileHandle.write` trapped (exit 132) after publishing, and the exports and the report were
    /// never written. (Log lines are not waited on when the pipe is full, as data is.)
    @Test(arguments: ["/dev/full", "closed pipe", "full non-blocking pipe"])
    func aRunWhoseStderrCannotBeWrittenFinishes(_ stderr: String) throws {
        let fixture = try Self.fixtureWithReturn()
        defer { fixture.remove() }
        var readEnd: Int32 = -1
        let handle: FileHandle
        switch stderr {
        case "/dev/full": handle = try Self.full()
        case "closed pipe": handle = try Self.closedPipe()
        default: (handle, readEnd) = try Self.fullNonBlockingPipe()
        }
        defer {
            try? handle.close()
            if readEnd >= 0 { close(readEnd) }
        }

        let run = try fixture.grdp(["--verbose", "run", "--force"], standardError: handle)
        #expect(run.status == 0)
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "snapshot")
        let exports = fixture.outputs.appendingPathComponent("exports")
        let csv = try String(contentsOf: exports.appendingPathComponent("target-vs-actual.csv"), encoding: .utf8)
        #expect(csv == (try fixture.grdp("export", "--format", "csv")).stdout)
        #expect(FileManager.default.fileExists(atPath: exports.appendingPathComponent("datapackage.json").path))

        // The same with JSON log lines, and on an up-to-date run.
        let again = try fixture.grdp(["--log-format", "json", "run"], standardError: handle)
        #expect(again.status == 0)
        #expect(try fixture.reportsWritten().last?["outcome"] as? String == "up-to-date")
    }

    /// Command output that cannot be written exits 73 (cannot write outputs) and says so on stderr,
    /// naming standard output and the reason — before, `export` trapped (exit 132) and
    /// `snapshots`, `validate`, `diff` and `verify` exited 0 with their output lost in stdio's buffer.
    @Test(arguments: [
        ["export"], ["export", "--output", "-"], ["export", "--format", "html"], ["snapshots"],
        ["snapshots", "--json"], ["validate"], ["diff", "v0001", "v0001"], ["verify"],
    ])
    func outputOnAFullDiskExits73(_ arguments: [String]) throws {
        let fixture = try Self.fixtureWithReturn()
        defer { fixture.remove() }
        #expect(try fixture.grdp("run").status == 0)
        let full = try Self.full()
        defer { try? full.close() }

        let run = try fixture.grdp(arguments, standardOutput: full)
        #expect(run.status == 73, "\(run.stderr)")
        #expect(
            run.stderr.contains("Error: cannot write 'standard output': No space left on device (ENOSPC"),
            "\(run.stderr)")
    }

    /// With `--log-format json` the failure is a JSON line like every other on stderr.
    @Test func outputOnAFullDiskExits73WithAJSONLine() throws {
        let fixture = try Self.fixtureWithReturn()
        defer { fixture.remove() }
        #expect(try fixture.grdp("run").status == 0)
        let full = try Self.full()
        defer { try? full.close() }

        let run = try fixture.grdp(["--log-format", "json", "export"], standardOutput: full)
        #expect(run.status == 73, "\(run.stderr)")
        let line = try #require(run.stderr.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["exit_code"] as? String == "73")
        #expect((object["error"] as? String)?.contains("'standard output': No space left on device") == true)
    }

    /// A standard output its parent left non-blocking (a pipe shared with a tool that set
    /// O_NONBLOCK on it) is waited on when full, as a blocking one is: before, the first full pipe
    /// failed the export (exit 73, "Resource temporarily unavailable").
    @Test func aNonBlockingStandardOutputIsWaitedOnWhenFull() throws {
        let fixture = try Self.fixtureWithReturn()
        defer { fixture.remove() }
        #expect(try fixture.grdp("run").status == 0)
        let table = try fixture.grdp("export", "--format", "html").stdout
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        // The smallest pipe (F_SETPIPE_SZ, not imported by Glibc's module), which the table fills.
        let capacity = Int(fcntl(ends[0], 1031, 4096))
        try #require(capacity > 0 && table.utf8.count > capacity)
        try #require(fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK) == 0)
        final class Drained: @unchecked Sendable {
            var bytes: [UInt8] = []
            let done = DispatchSemaphore(value: 0)
        }
        let drained = Drained()
        let readEnd = ends[0]
        Thread.detachNewThread {
            // A slow reader: the export finds the pipe full first.
            Thread.sleep(forTimeInterval: 0.5)
            var buffer = [UInt8](repeating: 0, count: 1024)
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count <= 0 { break }
                drained.bytes += buffer[0..<count]
            }
            drained.done.signal()
        }
        let writeEnd = FileHandle(fileDescriptor: ends[1], closeOnDealloc: false)
        let run = try fixture.grdp(["export", "--format", "html"], standardOutput: writeEnd)
        close(ends[1])
        drained.done.wait()
        close(ends[0])
        #expect(run.status == 0, "\(run.stderr)")
        let whole = drained.bytes == Array(table.utf8)
        #expect(whole, "\(drained.bytes.count) bytes read, the table has \(table.utf8.count)")
    }

    /// A reader that stops reading (`grdp export --table quarantine | head -1` on a large snapshot)
    /// makes the next write fail with `EPIPE`. grdp ignores SIGPIPE (a dead log reader must not
    /// kill a run), so `export` sees the error and exits 73 — the output is incomplete, which a
    /// `set -o pipefail` script should see — but says nothing: the reader stopped on purpose, or
    /// failed and says so itself, and an `Error: … Broken pipe` line after `head`'s output would
    /// only alarm. (A small table fits in the pipe's buffer and exits 0 before the reader leaves.)
    @Test func aClosedPipeExits73Quietly() throws {
        let fixture = try Self.fixtureWithReturn()
        defer { fixture.remove() }
        #expect(try fixture.grdp("run").status == 0)
        let pipe = try Self.closedPipe()
        defer { try? pipe.close() }

        let run = try fixture.grdp(["export", "--table", "quarantine"], standardOutput: pipe)
        #expect(run.status == 73)
        #expect(run.stderr.isEmpty, "\(run.stderr)")
    }

    /// Names come from the returns: a member named with a line break forged a log line of its own
    /// ("… info Snapshot published snapshot=v9999") in the text log and the summary, and escape
    /// sequences reached the terminal. Control characters are written out there (`\n`, `\u001b`);
    /// the JSON lines escaped them already.
    @Test func controlCharactersInANameDoNotForgeLogLines() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let forged = "2026-01-01T00:00:00Z info Snapshot published snapshot=v9999"
        let name = "transactions_x\n\(forged)\n\u{1B}[2J.csv"
        // A data member without its required columns: the archive is rejected, naming it.
        try fixture.write(
            Fixture.firstReturn + [.init(path: name, text: "id,amount\n1,2\n")], format: .tar, as: "2024-01-10_x.tar")
        let run = try fixture.grdp("run")
        #expect(run.status == 65, "\(run.stderr)")
        let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(!lines.contains { $0.hasPrefix(forged) }, "\(run.stderr)")
        #expect(!run.stderr.contains("\u{1B}"))
        #expect(run.stderr.contains("transactions_x\\n\(forged)\\n\\u001b[2J.csv"), "\(run.stderr)")
    }
}
