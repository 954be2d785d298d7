internal import Foundation
internal import Logging

/// The run's outputs beside the snapshot: the exports, the report, the result.
extension PipelineRunner {
    /// Writes `outputs.exports` (each file replaced atomically) and `datapackage.json` beside the
    /// CSVs; returns the names written. An export the config no longer names (`<table>.<format>`
    /// of grdp's tables and formats, or `datapackage.json` without a CSV) is removed: left there it
    /// would describe an older snapshot beside the current ones, and a portal that publishes the
    /// folder would publish it as current. Other files in the folder are left alone. An export
    /// that is a symlink (to the file a portal serves) is removed as a link: the file it names,
    /// outside the outputs, is left where it is, said in a warning and the report
    /// (`exportsLeftBehind`), unless a configured export writes it now.
    func writeExports(content: SnapshotContent, meta: SnapshotMeta, into report: inout RunReport) throws {
        let written = try writeConfiguredExports(content: content, meta: meta)
        report.exports = written
        // Where the exports just written landed, links followed: a link no longer configured to
        // one of those files leaves nothing behind.
        let writtenFiles = Set(
            written.compactMap { FileSystem.linkedFile(config.exportsFolder.appendingPathComponent($0).path) })
        let exportNames = Set(
            ExportTable.allCases.flatMap { table in ExportFormat.allCases.map(table.fileName) }
                + [Exporter.dataPackageFileName])
        let present = (try? FileManager.default.contentsOfDirectory(atPath: config.exportsFolder.path)) ?? []
        for name in present.sorted() where exportNames.contains(name) && !written.contains(name) {
            let url = config.exportsFolder.appendingPathComponent(name)
            let linked = FileSystem.isSymbolicLink(url.path) ? FileSystem.linkedFile(url.path) : nil
            guard unlink(url.path) == 0 || errno == ENOENT else {
                throw OutputWriteError(
                    path: url.path, operation: "remove the export no longer configured", errno: errno)
            }
            if let linked, !writtenFiles.contains(linked) {
                logger.warning(
                    "Export no longer configured: its link removed, not the file it names, which no run updates now; take it off the portal if it is published",
                    metadata: ["file": "\(url.path)", "linked_file": "\(linked)"])
                report.exportsLeftBehind.append((url.path, linked))
            } else {
                logger.info("Export no longer configured removed", metadata: ["file": "\(url.path)"])
            }
        }
    }

    func writeConfiguredExports(content: SnapshotContent, meta: SnapshotMeta) throws -> [String] {
        // The quarantine table's export lists every row: read from the snapshot just published (or
        // found up to date) as they are printed, as `grdp export` reads them. Not from the content:
        // the rows that waited in the archive cache would be read from it again, and a cache file
        // changed since cannot fail a run whose snapshot is published. (Every other export shows at
        // most the counts by reason, which the content has.)
        let listing =
            config.outputs.exports.contains { ExportTable(rawValue: $0.table) == .quarantine }
            ? try SnapshotStore(folder: config.snapshotsFolder).open(version: meta.version).quarantineListing()
            : nil
        // Each file is made as it is written to its temporary: a quarantine export of 500,000 rows
        // is never held whole, nor the file it replaces.
        var files: [(url: URL, contents: (_ deliver: ([UInt8]) throws -> Void) throws -> Void)] = []
        var csvTables: [ExportTable] = []
        var places = ExportPlaces(config: config)
        var names: [String] = []
        func destination(_ name: String) throws -> URL {
            names.append(name)
            return try places.place(config.exportsFolder.appendingPathComponent(name).path)
        }
        for spec in config.outputs.exports {
            guard let table = ExportTable(rawValue: spec.table), let format = ExportFormat(rawValue: spec.format)
            else { continue }
            files.append(
                (
                    try destination(table.fileName(format)),
                    { deliver in
                        try Exporter.write(
                            table, format: format, content: content, meta: meta, years: nil, quarantine: listing,
                            to: deliver)
                    }
                ))
            if format == .csv { csvTables.append(table) }
        }
        if !csvTables.isEmpty {
            let package = Array(Exporter.dataPackage(tables: csvTables, meta: meta).utf8)
            files.append((try destination(Exporter.dataPackageFileName), { try $0(package) }))
        }
        // One snapshot's exports as a set (the folder made when missing): all replaced, or (a failure)
        // all as they were, never the CSVs of one snapshot beside the data package of another. Files
        // holding these bytes are left untouched (an up-to-date run refreshes a missing or stale
        // export only).
        try AtomicFile.replaceAll(files)
        return names
    }

    func createFolder(_ url: URL) throws {
        try FileSystem.makeDirectories(url.path)
    }

    /// Writes the report as a new file (never overwriting another) and returns the result.
    ///
    /// - Parameter holdingLock: whether this run holds the lock, so that on a full disk it may
    ///   remove what it wrote to the cache to make room for its report (`writeReport`).
    /// - Parameter cacheWrite: `last-run.json` being written beside the report (`remember`).
    func finish(
        _ report: RunReport, reportFolder: URL?, holdingLock: Bool = false, cacheWrite: OnAnotherThread<String?>? = nil
    ) -> RunResult {
        var report = report
        var reportURL: URL?
        if let reportFolder {
            do {
                reportURL = try writeReport(
                    &report, folder: reportFolder, holdingLock: holdingLock, cacheWrite: cacheWrite)
            } catch {
                // Said as the report's failure, after what the run had done: "New snapshot v0002
                // published (now the latest); then: Failed: run report not written: …" (it named
                // only a temporary, and the snapshot published went unsaid).
                if report.exitCode == 0 {
                    report.fail(error, saying: "run report not written")
                } else {
                    report.errors.append("run report not written: \(error)")
                    if report.outcome == .failed { report.failureExitCode = 73 }
                }
                logger.error("Report not written", metadata: ["error": "\(error)"])
            }
        }
        return RunResult(
            outcome: report.outcome, exitCode: report.exitCode, snapshotVersion: report.snapshot, report: report.json(),
            reportURL: reportURL, summary: report.summaryLines())
    }

    /// The report written as a new file. On a full disk (ENOSPC, EDQUOT), a run holding the lock
    /// first removes the archive cache entries and the kept ledger it wrote (they only save time;
    /// on a disk filled by this run's own cache they took the report's room, and a run owes a
    /// report, CONTRACT §8), says so in the report, and tries once more.
    ///
    /// `last-run.json`, written beside it (`cacheWrite`), may hold the room the report lacks for a
    /// moment: on a full disk, the report waits for it to be written (or its temporary removed)
    /// and tries again before anything is removed.
    func writeReport(
        _ report: inout RunReport, folder: URL, holdingLock: Bool, cacheWrite: OnAnotherThread<String?>? = nil
    ) throws -> URL {
        func write() throws -> URL {
            try createFolder(folder)
            return try RunReport.writeNewFile(
                report.json(), folder: folder, stamp: report.startedAt.compactMicroseconds)
        }
        do {
            return try write()
        } catch {
            guard holdingLock, let failure = error as? OutputWriteError,
                failure.errno == ENOSPC || failure.errno == EDQUOT
            else { throw error }
            if let cacheWrite {
                _ = cacheWrite.wait()
                if let url = try? write() { return url }
            }
            let removed = ArchiveCache.removeFiles(in: config.cacheFolder, writtenSince: report.startedAt)
            guard removed > 0 else { throw error }
            let note =
                "No space left for the run report (\(SystemReason.describe(failure.errno))): removed the \(removed) cache file(s) this "
                + "run had written (they only save time: the next run reads those archives again)"
            report.errors.append(note)
            logger.warning("Cache files removed to make room for the report", metadata: ["removed": "\(removed)"])
            return try write()
        }
    }
}
