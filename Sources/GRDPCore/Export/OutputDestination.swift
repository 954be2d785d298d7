internal import struct Foundation.URL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where `grdp export --output PATH` writes, and how: the path names a place to put the bytes,
/// and what already lies there decides how they get there.
///
/// - nothing, or a regular file: `AtomicFile` (a temporary beside it, renamed over it), so that
///   a reader sees the old export or the new one, never half of one;
/// - a symlink to a regular file (or to nothing yet): the same, at the end of the link chain, so
///   the link stays a link and keeps pointing where it did;
/// - a FIFO, a terminal, `/dev/null`, any other device (symlinks followed): opened and written as
///   it is. Renaming a temporary over it would replace the node with a regular file (as root,
///   even `/dev/null` or `/dev/full`), and a temporary cannot even be created in `/dev/fd`;
/// - `/dev/stdout`, `/dev/stderr`, `/dev/fd/1`, `/dev/fd/2` (and `/proc/self/fd/1`, `…/2`): the
///   inherited descriptor itself, as bash treats these names in redirections. Reopening the file
///   behind them would write from offset 0 into a file opened with `>>`, and renaming over it
///   would clobber it.
///
/// Every failure is an `OutputWriteError` naming the path and the errno (exit 73).
public enum OutputDestination {
    public static func write(_ bytes: [UInt8], toPath path: String) throws(OutputWriteError) {
        try writing(toPath: path, stopAsked: nil) { file throws(OutputWriteError) in
            try file.write(contentsOf: bytes)
        }
    }

    /// Like `write(_:toPath:)`, with the bytes made by `contents` and handed to the `deliver` it is
    /// given, in pieces: a large export is written as it is made. When `contents` throws, its error
    /// is thrown and a file is left as it was (the temporary removed, nothing renamed); a stream or
    /// a device keeps what was delivered before, as with any program stopped half way. A FIFO
    /// waits for its reader, and for room while its reader has not taken what came before; when
    /// `stopAsked` says a stop was asked meanwhile, either wait ends with an `OutputWriteError`
    /// whose `stop` says which (nil: a command that asks for no stop; its signals end it).
    public static func write(
        toPath path: String, stopAsked: (() -> Bool)? = nil,
        contents: (_ deliver: ([UInt8]) throws -> Void) throws -> Void
    ) throws {
        try AtomicFile.carrying(contents) { writer throws(OutputWriteError) in
            try writing(toPath: path, stopAsked: stopAsked, writer)
        }
    }

    /// `contents` given the place `path` names, as the type says: the inherited descriptor, the
    /// node opened as it is, or a temporary renamed over the file once written.
    private static func writing(
        toPath path: String, stopAsked: (() -> Bool)?,
        _ contents: (FileSystem.NewFile) throws(OutputWriteError) -> Void
    ) throws(OutputWriteError) {
        if let descriptor = inheritedDescriptor(path) {
            try contents(.inherited(descriptor, path: path))
            return
        }
        let kind = FileSystem.nodeKind(followingLinks: path)
        let (linkTarget, namesFolder) = try FileSystem.fileTarget(of: path)
        if namesFolder || kind == S_IFDIR {
            // Refused before any folder is made or temporary written: `nosuch/` was written as a
            // file named `nosuch`, and an existing folder failed only at the rename.
            throw OutputWriteError.refusal(
                path: path, operation: "write", errno: EISDIR,
                reason: "it names a folder; --output takes the path of a file (missing folders above it are made)")
        }
        if writesInPlace(path) {
            try FileSystem.writeExisting(at: path, stopAsked: stopAsked, contents: contents)
            return
        }
        // Written where the check found it lands (`FileSystem.resolvedLocation`): a path spelled
        // `lnk/../…` taken as text by the write, after the check had followed `lnk`, replaced a
        // published snapshot.
        let location = FileSystem.resolvedLocation(linkTarget)
        // An export killed while writing leaves its temporary beside the file (`.grdp-*.tmp`).
        AtomicFile.removeStaleTemporaries(beside: location)
        let target = URL(fileURLWithPath: location)
        try AtomicFile.write(to: target, contents: contents)
    }

    /// Whether `path` names a place written as it is, without a temporary (`writing`): standard
    /// output or error by name, a FIFO, a terminal, a device. What was delivered to it before a
    /// failure or a stop stays there.
    public static func writesInPlace(_ path: String) -> Bool {
        if inheritedDescriptor(path) != nil { return true }
        guard let kind = FileSystem.nodeKind(followingLinks: path) else { return false }
        return kind != S_IFREG && kind != S_IFDIR
    }

    /// 1 or 2 for the names of stdout and stderr, else nil.
    public static func inheritedDescriptor(_ path: String) -> Int32? {
        switch path {
        case "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1": STDOUT_FILENO
        case "/dev/stderr", "/dev/fd/2", "/proc/self/fd/2": STDERR_FILENO
        default: nil
        }
    }
}
