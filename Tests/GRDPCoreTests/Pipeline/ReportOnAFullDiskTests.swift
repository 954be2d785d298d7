import Foundation
import Logging
import Testing

@testable import GRDPCore

/// A run owes a report (CONTRACT §8). On a full disk, `last-run.json` being written beside the
/// report (`PipelineRunner.remember`) may hold the room the report lacks for a moment: the report
/// waits for that write and tries again before it removes what the run wrote to the cache.
@Suite(.serialized) struct ReportOnAFullDiskTests {
    @Test func theReportWaitsForTheCacheWriteBeforeRemovingTheRunsCacheFiles() throws {
        let folder = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(folder) }
        let outputs = folder.appendingPathComponent("Outputs")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        guard getuid() == 0, runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", outputs.path]) else {
            withKnownIssue("cannot mount a small tmpfs here") { Issue.record("skipped") }
            return
        }
        defer { _ = runTool("/bin/umount", [outputs.path]) }
        let config = try ConfigLoader.parse(
            yaml: ArchiveCacheTests.yaml, fileURL: folder.appendingPathComponent("pipeline.yml"))
        try #require(config.outputs.folder.standardizedFileURL.path == outputs.standardizedFileURL.path)

        let started = Timestamp.now()
        // A cache entry this run wrote, and the rest of the disk taken by what holds it for now.
        let archives = config.cacheFolder.appendingPathComponent("archives")
        try FileManager.default.createDirectory(at: archives, withIntermediateDirectories: true)
        let entry = archives.appendingPathComponent("entry.bin")
        try Data(count: 16 << 10).write(to: entry)
        let filler = outputs.appendingPathComponent("filler")
        _ = runTool("/bin/dd", ["if=/dev/zero", "of=\(filler.path)", "bs=4k"])
        #expect(throws: (any Error).self) { try Data(count: 64 << 10).write(to: outputs.appendingPathComponent("x")) }

        // The cache write: its room given back a moment after the report first fails.
        let cacheWrite = OnAnotherThread<String?> {
            Thread.sleep(forTimeInterval: 0.3)
            try? FileManager.default.removeItem(at: filler)
            return nil
        }
        var report = RunReport(startedAt: started)
        let runner = PipelineRunner(config: config, logger: Logger(label: "test"))
        let url = try runner.writeReport(
            &report, folder: config.reportsFolder, holdingLock: true, cacheWrite: cacheWrite)
        #expect(FileManager.default.fileExists(atPath: url.path))
        #expect(FileManager.default.fileExists(atPath: entry.path))
        #expect(report.errors.isEmpty, "\(report.errors)")
    }
}
