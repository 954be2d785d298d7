internal import struct Foundation.URL

#if canImport(Glibc)
    import Glibc
#endif

/// Where a run's configured exports go (`<outputs>/exports/<table>.<format>`): through a symlink,
/// the file the link names (the link stays, as with `export --output`), so that an export linked
/// into a portal's folder is the one brought up to date, not replaced by a file of its own beside
/// a stale one. Each is written where it was checked to land (`FileSystem.resolvedLocation`), not
/// at its path as text, whose folders (a dangling link, made by another export) may lead elsewhere.
///
/// Refused (73, before any export of the set is replaced): anything there but a regular file (a
/// FIFO would be opened and wait for a writer, the lock held); a place in grdp's snapshots, cache,
/// reports or returns folder, or for a link anywhere in its outputs folder, or the config (a
/// return, `published.json` or a snapshot would be replaced by an export); two exports landing on
/// one file (they would take turns in it).
struct ExportPlaces {
    /// The folders no export lands in, resolved once; the last one only for links (the exports
    /// folder itself is in the outputs folder).
    private let guarded: [(what: String, path: String, root: String)]
    private let configLocation: String
    /// Where each export placed so far lands, by its path.
    private var taken: [String: String] = [:]

    init(config: PipelineConfig) {
        guarded = (config.keptFolders + [("the outputs folder", config.outputs.folder)])
            .map { ($0.what, $0.folder.path, FileSystem.resolvedLocation($0.folder.path)) }
        configLocation = FileSystem.resolvedLocation(config.fileURL.path)
    }

    /// Where the export at `path` is written.
    mutating func place(_ path: String) throws(OutputWriteError) -> URL {
        func refused(_ errno: Int32, _ why: String) -> OutputWriteError {
            OutputWriteError.refusal(path: path, operation: "replace", errno: errno, reason: why)
        }
        let (target, namesFolder) = try FileSystem.fileTarget(of: path)
        let linked = target != path
        if namesFolder {
            throw refused(EISDIR, "it is a symlink to '\(target)', which names a folder: an export replaces a file")
        }
        // Where it lands, as the system resolves it (also through folders not made yet).
        let location = FileSystem.resolvedLocation(target)
        if let kind = FileSystem.nodeKind(followingLinks: location), kind != S_IFREG {
            let what =
                switch kind {
                case S_IFDIR: "a folder"
                case S_IFIFO: "a FIFO"
                case S_IFCHR, S_IFBLK: "a device"
                case S_IFSOCK: "a socket"
                default: "not a file"
                }
            throw refused(
                kind == S_IFDIR ? EISDIR : EPERM,
                "it is not a regular file but \(what) ('\(location)'): an export replaces a file")
        }
        for (index, folder) in guarded.enumerated()
        where (linked || index < guarded.count - 1) && FileSystem.isResolved(location, within: folder.root) {
            throw refused(
                EPERM,
                (linked
                    ? "it is a symlink to '\(target)', in \(folder.what)"
                    : "it is in \(folder.what), where the exports folder leads")
                    + " (\(folder.path)): an export never replaces a file grdp keeps or reads; link it to a file outside them"
            )
        }
        if location == configLocation {
            throw refused(EPERM, "it lands on the config file ('\(location)')")
        }
        if let other = taken[location] {
            throw refused(EPERM, "it lands at '\(location)', as '\(other)' does: two exports cannot be one file")
        }
        taken[location] = path
        guard linked else { return URL(fileURLWithPath: path) }
        // A run killed while replacing it left its temporary beside the file (`.grdp-*.tmp`).
        AtomicFile.removeStaleTemporaries(beside: location)
        return URL(fileURLWithPath: location)
    }
}

extension PipelineConfig {
    /// The folders of files grdp keeps or reads, where no export lands.
    var keptFolders: [(what: String, folder: URL)] {
        [
            ("the snapshots folder", snapshotsFolder), ("the cache", cacheFolder),
            ("the reports folder", reportsFolder),
            ("the returns folder", inputs.returnsFolder),
        ]
    }

    /// What grdp keeps or reads that a file written at `path` would replace, named with its path;
    /// nil when there is none. `export --output` refuses such a path (exit 64): the snapshots,
    /// cache, reports or returns folder, the outputs folder's lock or snapshot sequence, or the
    /// config. The path's symlinks are followed to the file they name, and places are compared
    /// as the system resolves them (`FileSystem.resolvedLocation`). An export renamed over
    /// `.lock` gave the next run a new lock file while a running one held the old one: both ran.
    public func keptPlace(replacedByWritingTo path: String) -> String? {
        let target = (try? FileSystem.resolvingSymbolicLinks(path)) ?? path
        for (what, folder) in keptFolders where FileSystem.isWithin(target, folder: folder.path) {
            return "\(what) (\(folder.path))"
        }
        let location = FileSystem.resolvedLocation(target)
        let files = [
            ("the outputs folder's lock", lockFile),
            ("the outputs folder's snapshot sequence", outputs.folder.appendingPathComponent(".snapshot-sequence")),
            ("the config", fileURL),
        ]
        for (what, file) in files where location == FileSystem.resolvedLocation(file.path) {
            return "\(what) (\(file.path))"
        }
        return nil
    }
}
