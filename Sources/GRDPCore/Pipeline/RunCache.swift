internal import Foundation

/// What the last full run learned, so that a run over the same inputs need not decompress a byte:
/// `<outputs>/cache/last-run.json`.
///
/// It names the inputs (`ScannedInputs.fingerprint`: tool version, config, every archive's
/// SHA-256) and the snapshot those inputs gave, with the ingest part of that run's report. A run
/// whose fingerprint matches, while that snapshot is still the latest and still holds that content
/// hash, is up to date without reading any archive: grdp is deterministic, so reading them again
/// would give the same snapshot. The file only ever saves time — missing, unreadable, from another
/// version or not matching, the run simply reads everything — and it is written atomically after
/// the snapshot it names is published, so a crash leaves the previous one or none.
struct RunCache: Codable {
    static let format = 1
    static let fileName = "last-run.json"

    var format = RunCache.format
    var fingerprint: String
    var snapshotVersion: Int
    var contentSHA256: String
    /// The archives and ignored files as that run read them (counts, quarantine), for the report.
    var ingest: IngestResult

    /// The cache in `folder`, or nil when there is none or it cannot be used (it is then ignored).
    static func load(from folder: URL) -> RunCache? {
        let url = folder.appendingPathComponent(fileName)
        guard let data = try? Data(contentsOf: url),
            let cache = try? JSONDecoder().decode(RunCache.self, from: data), cache.format == format
        else { return nil }
        return cache
    }

    /// Replaces the cache atomically.
    func write(to folder: URL) throws(OutputWriteError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain values cannot fail; an empty file would only be ignored by `load`.
        let data = (try? encoder.encode(self)) ?? Data()
        try AtomicFile.write(data, to: folder.appendingPathComponent(RunCache.fileName))
    }
}
