public import Foundation

/// Writes a whole file atomically: a temporary `.grdp-<random>.tmp` in the same folder, fsync,
/// rename, fsync of the folder. Readers see the old file or the new one, never half of one.
/// Used for exports and run reports. Failures throw `OutputWriteError` (exit 73) and leave no
/// temporary behind.
public enum AtomicFile {
    /// Writes `bytes` to `url`, creating missing folders.
    ///
    /// - Parameter replacing: when false, fails with `EEXIST` rather than replace an existing
    ///   file (run reports are never overwritten).
    public static func write(_ bytes: [UInt8], to url: URL, replacing: Bool = true) throws(OutputWriteError) {
        try write(to: url, replacing: replacing) { file throws(OutputWriteError) in try file.write(contentsOf: bytes) }
    }

    /// Like `write(_:to:replacing:)`, with the file's bytes written in pieces by `contents` (a large
    /// file need not be gathered in memory first).
    ///
    /// - Parameter durable: when false, no fsync: for files that only ever save time and check
    ///   themselves when read (`ArchiveCache`). After a crash such a file may be missing or torn,
    ///   and is then not used.
    static func write(
        to url: URL, replacing: Bool = true, durable: Bool = true,
        contents: (FileSystem.NewFile) throws(OutputWriteError) -> Void
    ) throws(OutputWriteError) {
        let path = url.path
        let folder = FileSystem.parentDirectory(of: path)
        try FileSystem.makeDirectories(folder)
        let temporaryPath = folder + "/" + FileSystem.temporaryName()
        var temporaryExists = false
        defer { if temporaryExists { FileSystem.removeFile(temporaryPath) } }
        temporaryExists = true
        try FileSystem.writeNewFile(at: temporaryPath, sync: durable, contents: contents)
        if replacing {
            FileSystem.keepPermissions(of: path, on: temporaryPath)
            try FileSystem.renameReplacing(temporaryPath, to: path)
        } else {
            try FileSystem.moveNoReplace(temporaryPath, to: path)
        }
        temporaryExists = false
        if durable { try FileSystem.syncDirectory(folder) }
    }

    /// Replaces several files of one folder as a set: those whose bytes changed are each written to a
    /// temporary first (synced), then renamed into place in the order given. Readers may see some
    /// renamed before others for an instant, but never a set that stays mixed: when a write fails
    /// (a full disk), no file is touched; when a rename fails (a file that cannot be replaced), those
    /// already renamed get their old bytes back (or are removed when they did not exist). Either way
    /// the first failure is thrown. The exports of one snapshot are such a set: CSVs beside a
    /// `datapackage.json` that names another snapshot would be published as that one's.
    ///
    /// A file that already holds its bytes is left untouched (same bytes, same mtime): up-to-date
    /// nightly runs refresh a missing or stale export without making every portal that syncs by
    /// modification time fetch an unchanged file.
    ///
    /// - Returns: whether each file was written (false: it held these bytes already).
    @discardableResult
    public static func replaceAll(_ files: [(bytes: [UInt8], url: URL)]) throws(OutputWriteError) -> [Bool] {
        var old: [[UInt8]?] = []
        var temporaries: [String?] = []
        defer { for case let path? in temporaries { FileSystem.removeFile(path) } }
        for (bytes, url) in files {
            let existing = FileManager.default.contents(atPath: url.path).map { [UInt8]($0) }
            // A file there that cannot be read could not be put back: nothing is touched.
            if existing == nil, FileManager.default.fileExists(atPath: url.path) {
                throw OutputWriteError(path: url.path, operation: "read the file to replace", errno: EACCES)
            }
            old.append(existing)
            guard existing != bytes else {
                temporaries.append(nil)
                continue
            }
            let folder = FileSystem.parentDirectory(of: url.path)
            try FileSystem.makeDirectories(folder)
            let temporaryPath = folder + "/" + FileSystem.temporaryName()
            temporaries.append(temporaryPath)
            try FileSystem.writeNewFile(at: temporaryPath, sync: true) { file throws(OutputWriteError) in
                try file.write(contentsOf: bytes)
            }
        }
        for index in files.indices {
            guard let temporaryPath = temporaries[index] else { continue }
            let path = files[index].url.path
            FileSystem.keepPermissions(of: path, on: temporaryPath)
            do {
                try FileSystem.renameReplacing(temporaryPath, to: path)
                temporaries[index] = nil
            } catch {
                // The ones before this, back as they were; one that cannot be is removed rather than
                // left beside files of another set, and the error says so.
                var notPutBack: [String] = []
                for earlier in 0..<index where temporaries[earlier] == nil && old[earlier] != files[earlier].bytes {
                    let url = files[earlier].url
                    if let bytes = old[earlier] {
                        do throws(OutputWriteError) { try write(bytes, to: url) } catch {
                            FileSystem.removeFile(url.path)
                            notPutBack.append(url.path)
                        }
                    } else {
                        FileSystem.removeFile(url.path)
                    }
                }
                guard notPutBack.isEmpty else {
                    var failure = error
                    failure.detail =
                        (error.detail.map { $0 + "; " } ?? "")
                        + "removed, as their earlier bytes could not be put back: " + notPutBack.joined(separator: ", ")
                    throw failure
                }
                throw error
            }
        }
        for folder in Set(files.map { FileSystem.parentDirectory(of: $0.url.path) }) {
            try FileSystem.syncDirectory(folder)
        }
        return files.indices.map { old[$0] != files[$0].bytes }
    }

    public static func write(_ data: Data, to url: URL, replacing: Bool = true) throws(OutputWriteError) {
        try write([UInt8](data), to: url, replacing: replacing)
    }

    public static func write(_ text: String, to url: URL, replacing: Bool = true) throws(OutputWriteError) {
        try write(Array(text.utf8), to: url, replacing: replacing)
    }

    /// Removes `.grdp-*.tmp` leftovers of an interrupted write in `folder`; returns their names.
    /// With `olderThan`, only those not modified for that many seconds: a folder that processes
    /// not holding the run lock also write to (the reports of runs that found it taken).
    public static func removeLeftoverTemporaries(in folder: URL, olderThan seconds: Double? = nil) throws -> [String] {
        try SnapshotStore(folder: folder).removeLeftoverTemporaries(olderThan: seconds)
    }
}
