import Foundation
import GRDPCore
import Testing

/// `kill -9` during `run --force` at chosen moments (CONTRACT §6, §7): no partial snapshot, the next
/// run cleans up and publishes the same figures. `scripts/kill-test.sh` does this 50+ times at random
/// moments on a larger dataset; this is its small in-suite version.
@Suite struct KillTests {
    /// When to kill a run that took `duration` seconds uninterrupted: early, mid-way and late (the
    /// last two in its second half, where the snapshot is written), as fractions of it, so that the
    /// kills land while the run is going on a fast machine as on a slow one.
    static func moments(within duration: TimeInterval) -> [TimeInterval] {
        [0.05, 0.5, 0.8].map { $0 * duration }
    }

    /// Kills a run at `delay` with `attempt` (true when the kill landed while the run was going);
    /// when the run had finished first, tries again at half the delay, up to three times. The
    /// uninterrupted run that set the moments may have been slower than the ones killed (a loaded
    /// machine, caches still cold): under load, two of three late kills once came too late.
    static func kill(at delay: TimeInterval, _ attempt: (TimeInterval) throws -> Bool) rethrows -> Bool {
        var delay = delay
        for _ in 0..<3 {
            if try attempt(delay) { return true }
            delay /= 2
        }
        return false
    }

    @Test func aRunKilledAtAnyMomentLeavesNoPartialSnapshotAndTheNextRunRecovers() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.generate(transactions: 20_000)
        let started = Date()
        let first = try fixture.grdp("--quiet", "run")
        #expect(first.status == 0, "\(first.stderr)")
        let reference = try #require(try fixture.latestContentHash())

        var killedCount = 0
        // Moments within the run, whatever the machine's speed: fractions of how long it took.
        for moment in Self.moments(within: Date().timeIntervalSince(started)) {
            let killed = try Self.kill(at: moment) { delay in
                let run = try fixture.start("--quiet", "run", "--force")
                Thread.sleep(forTimeInterval: delay)
                run.kill()
                let killed = try run.wait().killed

                // Nothing but published snapshots and temporaries; every published one verifies.
                for name in try fixture.snapshotFiles() {
                    let published = SnapshotStore.version(fromFileName: name) != nil
                    #expect(published || (name.hasPrefix(".grdp-") && name.hasSuffix(".tmp")), "\(name)")
                }
                let verify = try fixture.grdp("verify")
                #expect(verify.status == 0, "after a kill at \(delay) s: \(verify.stdout)")

                let next = try fixture.grdp("--quiet", "run", "--force")
                #expect(next.status == 0, "after a kill at \(delay) s: \(next.stderr)")
                #expect(try fixture.snapshotFiles().allSatisfy { !$0.hasPrefix(".grdp-") })
                #expect(try fixture.latestContentHash() == reference)
                return killed
            }
            if killed { killedCount += 1 }
        }
        #expect(killedCount >= 2, "most kills should land while the run is still going")
    }

    /// The nightly run that copies the unchanged years' sales rows from the latest snapshot
    /// (`SalesDigests`), killed at chosen moments: every snapshot left verifies, and the next run
    /// publishes the figures an uninterrupted run gives, which are those of `run --force`. Also
    /// with the partitioned revisions, whose night takes its key pass and its groups from what the
    /// last run kept (`cache/current-rows.bin`, `cache/kept-groups.bin`) and writes them again.
    @Test(arguments: [false, true])
    func aNightlyRunCopyingUnchangedYearsKilledAtAnyMomentRecovers(partitioned: Bool) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let environment = partitioned ? ["GRDP_LEDGER": "partitioned", "GRDP_LEDGER_PARTITIONS": "2"] : [:]
        func grdp(_ arguments: String...) throws -> Execution {
            try fixture.grdp(arguments, environment: environment)
        }
        try FileManager.default.removeItem(at: fixture.returns)
        try FileManager.default.removeItem(at: fixture.config)
        for layout in ["benchmark", "increment"] {
            if layout == "increment" {
                try #require(try grdp("--quiet", "run").status == 0)
                try FileManager.default.copyItem(at: fixture.outputs, to: fixture.root.appendingPathComponent("before"))
            }
            let generate = try Execution.run(
                ["--quiet", "generate", "--out", fixture.root.path, "--layout", layout, "--transactions", "30000"]
                    + (layout == "increment" ? ["--increment", "3000"] : []), in: fixture.root)
            try #require(generate.status == 0, "\(generate.stderr)")
        }
        func restore() throws {
            try FileManager.default.removeItem(at: fixture.outputs)
            try FileManager.default.copyItem(at: fixture.root.appendingPathComponent("before"), to: fixture.outputs)
        }
        let started = Date()
        let uninterrupted = try grdp("run", "--verbose", "--log-format", "json")
        let duration = Date().timeIntervalSince(started)
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        #expect(uninterrupted.stderr.contains("Sales rows of unchanged years copied"))
        if partitioned {
            #expect(uninterrupted.stderr.contains(#""from_kept":"true""#), "\(uninterrupted.stderr)")
            // And its groups from those the full run kept (`cache/kept-groups.bin`), which it
            // reads, updates and writes again.
            #expect(uninterrupted.stderr.contains(#""updated_from_kept":"true""#), "\(uninterrupted.stderr)")
        }
        let reference = try #require(try fixture.latestContentHash())
        #expect(try grdp("--quiet", "run", "--force").status == 0)
        #expect(try fixture.latestContentHash() == reference)

        var killedCount = 0
        for moment in Self.moments(within: duration) {
            let killed = try Self.kill(at: moment) { delay in
                try restore()
                let run = try fixture.start(["--quiet", "run"], environment: environment)
                Thread.sleep(forTimeInterval: delay)
                run.kill()
                let killed = try run.wait().killed
                let verify = try grdp("verify")
                #expect(verify.status == 0, "after a kill at \(delay) s: \(verify.stdout)")
                let next = try grdp("--quiet", "run")
                #expect(next.status == 0, "after a kill at \(delay) s: \(next.stderr)")
                #expect(try fixture.snapshotFiles().allSatisfy { !$0.hasPrefix(".grdp-") })
                #expect(try fixture.latestContentHash() == reference, "after a kill at \(delay) s")
                return killed
            }
            if killed { killedCount += 1 }
        }
        #expect(killedCount >= 2, "most kills should land while the run is still going")
    }
}

/// SIGTERM, SIGINT: a run asked to stop does so at its next safe point, before publishing, with a
/// report that says so and exit 128 + the signal; also while it waits for the lock. A second
/// signal kills it at once. A SIGHUP the parent ignores (`nohup`) stays ignored. Nothing is
/// published and no temporary is left when it stops; the next run completes.
@Suite struct StopSignalTests {
    /// `grdp run --force` on a generated set, started cleanly, once it holds the lock (its handlers
    /// are installed before it takes it).
    private static func startedRun(_ fixture: Fixture, shell prefix: String = "") throws -> CleanlySpawned {
        let run = try CleanlySpawned(prefix + "exec \"$0\" run --force", in: fixture.root)
        let lock = fixture.outputs.appendingPathComponent(".lock")
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: lock.path) && Date() < deadline && run.isRunning {
            usleep(5_000)
        }
        return run
    }

    private static func expectNextRunPublishes(_ fixture: Fixture, _ files: [String]) throws {
        let next = try fixture.grdp("run")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try fixture.snapshotFiles() == files)
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aStoppedRunWritesItsReportAndPublishesNothing(_ signal: Int32) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.generate(transactions: 150_000)
        let run = try Self.startedRun(fixture)
        run.send(signal)
        let (status, killedBy, stderr) = run.wait()
        #expect(killedBy == nil && status == 128 + signal, "\(stderr)")
        let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
        #expect(stderr.contains("stopped by \(name)"), "\(stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "failed")
        #expect((report["errors"] as? [String])?.first?.contains("stopped by \(name)") == true)
        #expect(try fixture.snapshotFiles().isEmpty)
        try Self.expectNextRunPublishes(fixture, ["grdp-v0001.sqlite"])
    }

    /// `grdp export --output FILE` asked to stop while it writes (a quarantine of 300,000 rows,
    /// seconds of writing) stops at its next piece: exit 128 + the signal, saying so; the file is
    /// as it was and its temporary is gone. (Killed instead, its temporary would wait an hour for
    /// the next export beside it to remove it.)
    @Test func aStoppedExportLeavesTheFileAsItWasAndNoTemporary() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.publishQuarantine(rows: 300_000, padding: 200, line: { $0 + 2 })
        let exports = fixture.root.appendingPathComponent("exports")
        try FileManager.default.createDirectory(at: exports, withIntermediateDirectories: true)
        let output = exports.appendingPathComponent("quarantine.html")
        try Data("before\n".utf8).write(to: output)
        let export = try CleanlySpawned(
            "exec \"$0\" export --table quarantine --format html --output exports/quarantine.html", in: fixture.root)
        // The temporary appears once the first piece is written: the handlers are in place by then.
        func temporaries() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: exports.path)) ?? []).filter { $0.hasSuffix(".tmp") }
        }
        let deadline = Date().addingTimeInterval(60)
        while temporaries().isEmpty && Date() < deadline && export.isRunning { usleep(2_000) }
        export.send(SIGTERM)
        let (status, killedBy, stderr) = export.wait()
        try #require(status != 0, "finished before the signal: \(stderr)")
        #expect(killedBy == nil && status == 128 + SIGTERM, "\(stderr)")
        #expect(stderr.contains("stopped by SIGTERM before writing"), "\(stderr)")
        #expect(try String(contentsOf: output, encoding: .utf8) == "before\n")
        #expect(temporaries().isEmpty)
    }

    /// `grdp validate` asked to stop while it reads the returns stops before its next archive and
    /// still prints its report (outcome failed, naming the signal), exit 128 + the signal; it
    /// writes nothing, stopped or not.
    @Test func aStoppedValidatePrintsItsReport() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        // 45 archives: the stop comes with most of them still to read.
        try fixture.generate(transactions: 150_000)
        let validate = try CleanlySpawned(
            "exec \"$0\" validate --verbose --log-format json > validate.json", in: fixture.root)
        let deadline = Date().addingTimeInterval(60)
        while !validate.stderrSoFar.contains("Archive read") && Date() < deadline && validate.isRunning {
            usleep(5_000)
        }
        // Paused while the stop is sent, so that it lands with archives still to read however
        // busy the machine is: it is handled once the process goes on.
        validate.send(SIGSTOP)
        validate.send(SIGTERM)
        validate.send(SIGCONT)
        let (status, killedBy, stderr) = validate.wait()
        #expect(killedBy == nil && status == 143, "\(stderr)")
        let printed = try Data(contentsOf: fixture.root.appendingPathComponent("validate.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: printed) as? [String: Any])
        #expect(report["outcome"] as? String == "failed")
        #expect((report["errors"] as? [String])?.first?.contains("stopped by SIGTERM") == true, "\(report)")
        let archives = try #require(report["archives"] as? [[String: Any]])
        #expect(archives.count < 45, "\(archives.count) archives read")
        #expect(!FileManager.default.fileExists(atPath: fixture.outputs.path))
    }

    /// Waiting for another run's lock (`--wait-lock`), a stop ends the wait at once; a second
    /// signal, here a SIGINT right behind the SIGTERM, kills.
    @Test func aStopEndsTheWaitForTheLockAndASecondSignalKills() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try FileManager.default.createDirectory(at: fixture.outputs, withIntermediateDirectories: true)
        // Held here, as another run would hold it, until released below.
        var held: OutputLock? = try OutputLock(url: fixture.outputs.appendingPathComponent(".lock"), waitSeconds: 0)
        for second in [false, true] {
            let waiting = try CleanlySpawned("exec \"$0\" run --wait-lock 60", in: fixture.root)
            // Its log says when the wait begins: the stop handlers are in place well before.
            let deadline = Date().addingTimeInterval(60)
            while !waiting.stderrSoFar.contains("Waiting for another run to release the lock")
                && waiting.isRunning && Date() < deadline
            {
                usleep(20_000)
            }
            #expect(waiting.isRunning)
            let sent = Date()
            waiting.send(SIGTERM)
            if second { waiting.send(SIGINT) }
            let (status, killedBy, stderr) = waiting.wait()
            #expect(Date().timeIntervalSince(sent) < 5)
            if second {
                #expect(killedBy == SIGINT || killedBy == SIGTERM, "\(String(describing: status)) \(stderr)")
            } else {
                #expect(killedBy == nil && status == 143, "\(stderr)")
                #expect(stderr.contains("stopped by SIGTERM"), "\(stderr)")
                #expect(try fixture.reportsWritten().last?["outcome"] as? String == "failed")
            }
        }
        withExtendedLifetime(held) {}
        held = nil
        try Self.expectNextRunPublishes(fixture, ["grdp-v0001.sqlite"])
    }

    /// `export --output FIFO` waits for a reader as a shell's `>` does, but a stop ends the wait
    /// (the handlers restart a blocking open, so a SIGTERM once did nothing and only a SIGKILL
    /// ended it): exit 143 saying nothing was written; with a reader, the whole table goes through.
    @Test func aStopEndsTheWaitForAFIFOsReader() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        let fifo = fixture.root.appendingPathComponent("portal.fifo")
        try #require(mkfifo(fifo.path, 0o600) == 0)
        let export = try CleanlySpawned("exec \"$0\" export --output portal.fifo", in: fixture.root)
        // Its handlers installed (sent before, SIGTERM's default action kills), then a moment in
        // the wait for a reader.
        let deadline = Date().addingTimeInterval(30)
        while !export.catches(SIGTERM) && export.isRunning && Date() < deadline { usleep(10_000) }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(export.isRunning, "the export waits for a reader")
        let sent = Date()
        export.send(SIGTERM)
        let (status, killedBy, stderr) = export.wait(killingAfter: 10)
        #expect(Date().timeIntervalSince(sent) < 5)
        #expect(killedBy == nil && status == 143, "\(stderr)")
        #expect(stderr.contains("stopped by SIGTERM before a reader of portal.fifo came: nothing written"), "\(stderr)")

        let read = try CleanlySpawned("exec cat portal.fifo > read.csv", in: fixture.root)
        // A reader left waiting for a writer (an export that failed first) is not left behind.
        defer { _ = read.wait(killingAfter: 0) }
        let written = try fixture.grdp("export", "--output", "portal.fifo")
        #expect(written.status == 0, "\(written.stderr)")
        _ = read.wait(killingAfter: 10)
        let table = try String(contentsOf: fixture.root.appendingPathComponent("read.csv"), encoding: .utf8)
        #expect(table == (try fixture.grdp("export").stdout))
    }

    /// A reader of a new FIFO at `path` that never reads, its pipe cut to the smallest size the
    /// kernel gives (a page; returned): a paused consumer, whose pipe a small table fills.
    static func stalledReader(of path: String) throws -> (descriptor: Int32, capacity: Int) {
        try #require(mkfifo(path, 0o600) == 0)
        let reader = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        try #require(reader >= 0)
        // F_SETPIPE_SZ (Linux's fcntl.h under _GNU_SOURCE, which Glibc's module does not import).
        let setPipeSize: Int32 = 1031
        let capacity = Int(fcntl(reader, setPipeSize, 4096))
        try #require(capacity > 0)
        return (reader, capacity)
    }

    /// Waits until `reader`'s pipe holds `capacity` bytes (a writer blocked, or waiting for room)
    /// while `writer` runs, then a moment more.
    static func waitUntilFull(_ reader: Int32, capacity: Int, writer: CleanlySpawned) {
        var queued: Int32 = 0
        let deadline = Date().addingTimeInterval(30)
        while queued < Int32(capacity) && writer.isRunning && Date() < deadline {
            usleep(10_000)
            _ = ioctl(reader, UInt(FIONREAD), &queued)
        }
        Thread.sleep(forTimeInterval: 0.3)
    }

    /// A FIFO whose reader stopped reading (a paused consumer) fills, and the export's write waits
    /// for room: a stop ends that wait too (a blocking write(2) was restarted by the handlers and
    /// waited for a SIGKILL), exit 143 saying the reader has part of the table.
    @Test func aStopEndsTheWaitForRoomInAFIFOWhoseReaderStopped() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        let table = try fixture.grdp("export", "--format", "html").stdout
        let reader = try Self.stalledReader(of: fixture.root.appendingPathComponent("portal.fifo").path)
        defer { close(reader.descriptor) }
        try #require(table.utf8.count > reader.capacity, "the table must not fit in the pipe")
        let export = try CleanlySpawned("exec \"$0\" export --format html --output portal.fifo", in: fixture.root)
        Self.waitUntilFull(reader.descriptor, capacity: reader.capacity, writer: export)
        #expect(export.isRunning && export.catches(SIGTERM), "the export waits for room in the pipe")
        let sent = Date()
        export.send(SIGTERM)
        let (status, killedBy, stderr) = export.wait(killingAfter: 10)
        #expect(Date().timeIntervalSince(sent) < 5)
        #expect(killedBy == nil && status == 143, "\(stderr)")
        #expect(
            stderr.contains(
                "stopped by SIGTERM before writing all of portal.fifo: its reader had not taken the rest, and holds part of the table"
            ),
            "\(stderr)")
        // What the reader got is the table's beginning, as much as the pipe holds.
        var got = [UInt8](repeating: 0, count: reader.capacity * 2)
        let count = read(reader.descriptor, &got, got.count)
        #expect(count == reader.capacity)
        #expect(Array(table.utf8.prefix(reader.capacity)) == Array(got.prefix(max(count, 0))))
    }

    /// `export --output /dev/stdout` is standard output itself, written as `-` is: without the
    /// stop handlers, so that SIGTERM ends a write blocked on a pipe whose reader stopped (after a
    /// handler, the write was restarted and waited on, the stop notice printed and ignored).
    @Test func aStopEndsAnExportToStandardOutputByNameBlockedOnAPipe() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        let reader = try Self.stalledReader(of: fixture.root.appendingPathComponent("portal.fifo").path)
        defer { close(reader.descriptor) }
        let export = try CleanlySpawned(
            "exec \"$0\" export --format html --output /dev/stdout > portal.fifo", in: fixture.root)
        Self.waitUntilFull(reader.descriptor, capacity: reader.capacity, writer: export)
        #expect(export.isRunning, "the export waits for room in the pipe")
        export.send(SIGTERM)
        let (_, killedBy, stderr) = export.wait(killingAfter: 10)
        #expect(killedBy == SIGTERM, "\(stderr)")
        #expect(!stderr.contains("Stop asked"), "\(stderr)")
    }

    /// With `--log-format json`, the notice a stop prints at once is a JSON object like every
    /// other line on stderr.
    @Test func theStopNoticeIsJSONWithJSONLogs() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try FileManager.default.createDirectory(at: fixture.outputs, withIntermediateDirectories: true)
        let held = try OutputLock(url: fixture.outputs.appendingPathComponent(".lock"), waitSeconds: 0)
        let waiting = try CleanlySpawned("exec \"$0\" --log-format json run --wait-lock 60", in: fixture.root)
        let deadline = Date().addingTimeInterval(60)
        while !waiting.stderrSoFar.contains("Waiting for another run to release the lock") && waiting.isRunning
            && Date() < deadline
        {
            usleep(20_000)
        }
        waiting.send(SIGTERM)
        let (status, _, stderr) = waiting.wait(killingAfter: 10)
        withExtendedLifetime(held) {}
        #expect(status == 143, "\(stderr)")
        let lines = stderr.split(separator: "\n")
        #expect(lines.contains { $0.contains("Stop asked") }, "\(stderr)")
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) != nil, "\(line)")
        }
    }

    /// `nohup grdp run`: the SIGHUP of a closed terminal does not stop it.
    @Test func anIgnoredHangupStaysIgnored() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.generate(transactions: 150_000)
        let run = try Self.startedRun(fixture, shell: "trap '' HUP; ")
        run.send(SIGHUP)
        let (status, killedBy, stderr) = run.wait()
        #expect(killedBy == nil && status == 0, "\(stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
    }
}
