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

    /// Like `write`, but leaves the file untouched (same bytes, same mtime) when it already holds
    /// exactly `bytes`: up-to-date nightly runs refresh a missing or stale export without making
    /// every portal that syncs by modification time fetch an unchanged file. Returns whether it wrote.
    @discardableResult
    public static func writeIfChanged(_ bytes: [UInt8], to url: URL) throws(OutputWriteError) -> Bool {
        if let existing = FileManager.default.contents(atPath: url.path), existing.elementsEqual(bytes) {
            return false
        }
        try write(bytes, to: url)
        return true
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
