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

    /// `error` on `temporary` said of the file the caller named, `target` (the temporary's random
    /// name is no file the operator knows): "cannot create a temporary for '…/target-vs-actual.csv'".
    static func naming(_ target: String, for error: OutputWriteError, temporary: String) -> OutputWriteError {
        guard error.path == temporary, !error.isRefusal else { return error }
        var named = error
        named.path = target
        named.operation = "\(error.operation) a temporary for"
        return named
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
        // Folders made for a file that then could not be written are removed with its temporary.
        let madeFolders = try FileSystem.makeDirectories(folder)
        var written = false
        defer { if !written { FileSystem.removeFolders(madeFolders) } }
        let temporaryPath = folder + "/" + FileSystem.temporaryName()
        var temporaryExists = false
        defer { if temporaryExists { FileSystem.removeFile(temporaryPath) } }
        temporaryExists = true
        do {
            try FileSystem.writeNewFile(at: temporaryPath, sync: durable) { file throws(OutputWriteError) in
                // The file's permission bits before any byte is written: a file kept from other
                // readers is not readable by them in its temporary either.
                if replacing { FileSystem.keepPermissions(of: path, on: temporaryPath) }
                try contents(file)
            }
        } catch {
            throw naming(path, for: error, temporary: temporaryPath)
        }
        if replacing {
            try FileSystem.renameReplacing(temporaryPath, to: path)
        } else {
            try FileSystem.moveNoReplace(temporaryPath, to: path)
        }
        temporaryExists = false
        written = true
        if durable { try FileSystem.syncDirectory(folder) }
    }

    /// Replaces several files of one folder as a set: each is written to a temporary first (made
    /// by its `contents`, piece by piece, and synced), then those whose bytes changed are renamed
    /// into place in the order given. Readers may see some renamed before others for an instant,
    /// but never a set that stays mixed: when a write fails (a full disk, or `contents` throws), no
    /// file is touched; when a rename fails (a file that cannot be replaced), those already
    /// renamed get their old bytes back (or are removed when they did not exist). Either way the
    /// first failure is thrown. The exports of one snapshot are such a set: CSVs beside a
    /// `datapackage.json` that names another snapshot would be published as that one's.
    ///
    /// A file that already holds its bytes is left untouched (same bytes, same mtime): up-to-date
    /// nightly runs refresh a missing or stale export without making every portal that syncs by
    /// modification time fetch an unchanged file.
    ///
    /// No file is held in memory, old or new: the new bytes are compared with the old in the
    /// files, and the old are kept for putting back by a hard link to them (a copy where the file
    /// system has none) until every rename is done. A quarantine export of 500,000 rows is 110 MB
    /// of HTML.
    ///
    /// - Returns: whether each file was written (false: it held these bytes already).
    @discardableResult
    public static func replaceAll(
        _ files: [(url: URL, contents: (_ deliver: ([UInt8]) throws -> Void) throws -> Void)]
    ) throws -> [Bool] {
        // Per file: its temporary until renamed; whether its bytes changed; its old bytes, kept.
        var temporaries: [String?] = []
        var changed: [Bool] = []
        var backups: [String?] = Array(repeating: nil, count: files.count)
        // Folders made for the set, removed (once empty: after the temporaries) when it fails.
        var madeFolders: [String] = []
        var renamed = false
        defer { if !renamed { FileSystem.removeFolders(madeFolders) } }
        defer {
            for case let path? in temporaries { FileSystem.removeFile(path) }
            for case let path? in backups { FileSystem.removeFile(path) }
        }
        // Something there that cannot be read could not be put back: nothing is touched. (A symlink
        // to nothing is replaced, and put back as it was.)
        for (url, _) in files
        where FileSystem.nodeKind(followingLinks: url.path) != nil && !FileSystem.isReadableFile(url.path) {
            throw OutputWriteError(path: url.path, operation: "read the file to replace", errno: EACCES)
        }
        for (url, contents) in files {
            let folder = FileSystem.parentDirectory(of: url.path)
            madeFolders += try FileSystem.makeDirectories(folder)
            let temporaryPath = folder + "/" + FileSystem.temporaryName()
            temporaries.append(temporaryPath)
            // Synced only when it is to replace the file: a nightly run that finds its exports
            // up to date writes each to a temporary and removes it, and waits for no disk.
            try carrying(contents) { writer throws(OutputWriteError) in
                do throws(OutputWriteError) {
                    try FileSystem.writeNewFile(at: temporaryPath, sync: false) { file throws(OutputWriteError) in
                        FileSystem.keepPermissions(of: url.path, on: temporaryPath)
                        try writer(file)
                    }
                } catch {
                    throw naming(url.path, for: error, temporary: temporaryPath)
                }
            }
            let same = try FileSystem.sameBytes(temporaryPath, url.path)
            changed.append(!same)
            if same {
                FileSystem.removeFile(temporaryPath)
                temporaries[temporaries.count - 1] = nil
            } else {
                try FileSystem.syncFile(temporaryPath)
            }
        }
        for index in files.indices where changed[index] {
            let path = files[index].url.path
            do {
                if FileSystem.exists(path) { backups[index] = try FileSystem.keepAside(path) }
                try FileSystem.renameReplacing(temporaries[index]!, to: path)
                temporaries[index] = nil
            } catch {
                // The ones before this, back as they were; one that cannot be is removed rather than
                // left beside files of another set, and the error says so.
                var notPutBack: [String] = []
                for earlier in 0..<index where changed[earlier] {
                    let path = files[earlier].url.path
                    guard let backup = backups[earlier] else {
                        FileSystem.removeFile(path)
                        continue
                    }
                    do throws(OutputWriteError) {
                        try FileSystem.renameReplacing(backup, to: path)
                        backups[earlier] = nil
                    } catch {
                        FileSystem.removeFile(path)
                        notPutBack.append(path)
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
        renamed = true
        // The renames made durable; a set found in place needs none (its temporaries came and went).
        for folder in Set(
            files.indices.filter { changed[$0] }.map { FileSystem.parentDirectory(of: files[$0].url.path) })
        {
            try FileSystem.syncDirectory(folder)
        }
        return changed
    }

    /// `body` given a writer that runs `contents` into a file, its bytes handed in pieces to the
    /// `deliver` it is given. The writers here throw only `OutputWriteError`: an error of
    /// `contents` of another kind (the snapshot read of an export) is carried out beside, and
    /// thrown once `body` has cleaned up (its temporary removed).
    static func carrying(
        _ contents: (_ deliver: ([UInt8]) throws -> Void) throws -> Void,
        into body: ((FileSystem.NewFile) throws(OutputWriteError) -> Void) throws(OutputWriteError) -> Void
    ) throws {
        var failure: (any Error)?
        do {
            try withoutActuallyEscaping(contents) { contents throws(OutputWriteError) in
                try body { file throws(OutputWriteError) in
                    do {
                        try contents { bytes throws(OutputWriteError) in try file.write(contentsOf: bytes) }
                    } catch let error as OutputWriteError {
                        throw error
                    } catch {
                        failure = error
                        throw OutputWriteError(path: file.path, operation: "write", errno: ECANCELED)
                    }
                }
            }
        } catch {
            throw failure ?? error
        }
    }

    public static func write(_ data: Data, to url: URL, replacing: Bool = true) throws(OutputWriteError) {
        try write([UInt8](data), to: url, replacing: replacing)
    }

    public static func write(_ text: String, to url: URL, replacing: Bool = true) throws(OutputWriteError) {
        try write(Array(text.utf8), to: url, replacing: replacing)
    }

    /// Removes the `.grdp-*.tmp` an interrupted write left beside the file at `location` an hour
    /// ago or more, not a fresh one: outside grdp's own folders no lock is held, and another
    /// export may be writing one now. Best effort: one that cannot go is left.
    static func removeStaleTemporaries(beside location: String) {
        _ = try? removeLeftoverTemporaries(
            in: URL(fileURLWithPath: FileSystem.parentDirectory(of: location), isDirectory: true), olderThan: 3600)
    }

    /// Removes `.grdp-*.tmp` leftovers of an interrupted write in `folder`; returns their names.
    /// With `olderThan`, only those not modified for that many seconds: a folder that processes
    /// not holding the run lock also write to (the reports of runs that found it taken).
    public static func removeLeftoverTemporaries(in folder: URL, olderThan seconds: Double? = nil) throws -> [String] {
        try SnapshotStore(folder: folder).removeLeftoverTemporaries(olderThan: seconds)
    }
}
