internal import CFileCopy

internal import struct Foundation.URL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few POSIX file operations that durable, atomic publishing needs.
///
/// Every failure is an `OutputWriteError` naming the path, the operation and the errno.
enum FileSystem {
    /// The modes new files and folders are created with, before the umask: the umask decides, as it
    /// does for `touch` and `mkdir`. An office whose team shares the outputs by a group (umask 002, a
    /// setgid folder) gets group-writable files, so that an analyst's `run --year` can take the lock
    /// and publish after the nightly run; an umask of 077 keeps everything to the owner.
    static let fileMode: mode_t = 0o666
    static let folderMode: mode_t = 0o777

    /// A fresh temporary name `.grdp-<16 hex digits>.tmp` (CONTRACT §7: a run removes such leftovers).
    static func temporaryName() -> String {
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64
        let hex = String(random, radix: 16)
        return ".grdp-" + String(repeating: "0", count: 16 - hex.count) + hex + ".tmp"
    }

    /// Whether `name` is one of our temporaries (or its SQLite journal).
    static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".grdp-") && (name.hasSuffix(".tmp") || name.hasSuffix(".tmp-journal"))
    }

    /// When the file at `path` was last modified, in seconds since 1970 (to the nanosecond); nil
    /// when it cannot be told (no such file).
    static func modificationTime(_ path: String) -> Double? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        #if canImport(Darwin)
            return Double(status.st_mtimespec.tv_sec) + Double(status.st_mtimespec.tv_nsec) / 1e9
        #else
            return Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
        #endif
    }

    /// Creates `path` and any missing parents (`mkdir -p`). Returns the folders it made, parents
    /// first, for `removeFolders` should what was to go in them fail; when it fails itself, it
    /// removes those it made before throwing (a full disk left `a/b` of `a/b/c` behind: export
    /// audit 39, L3).
    @discardableResult
    static func makeDirectories(_ path: String) throws(OutputWriteError) -> [String] {
        var made: [String] = []
        do throws(OutputWriteError) {
            try makeDirectories(path, made: &made)
        } catch {
            removeFolders(made)
            throw error
        }
        return made
    }

    /// Removes `folders` (as `makeDirectories` returned them), the last made first, each only when
    /// empty (`rmdir`): a file something else wrote there meanwhile keeps its folder.
    static func removeFolders(_ folders: [String]) {
        for folder in folders.reversed() { _ = rmdir(folder) }
    }

    private static func makeDirectories(_ path: String, made: inout [String]) throws(OutputWriteError) {
        var status = stat()
        if stat(path, &status) == 0 {
            if (status.st_mode & S_IFMT) == S_IFDIR { return }
            throw OutputWriteError(path: path, operation: "create folder", errno: ENOTDIR)
        }
        let parent = parentDirectory(of: path)
        if parent != path && !parent.isEmpty { try makeDirectories(parent, made: &made) }
        if mkdir(path, FileSystem.folderMode) == 0 {
            made.append(path)
        } else {
            let code = currentErrno()
            if code != EEXIST { throw OutputWriteError(path: path, operation: "create folder", errno: code) }
            // Nothing `stat` could follow, yet something is there: a symlink to a folder that does
            // not exist (the outputs on a share that is not mounted). Said so, rather than let the
            // next file under it fail with a bare "No such file or directory".
            if stat(path, &status) != 0 {
                let reason = currentErrno()
                // A link that leads back to itself (ELOOP) is said as what it is, not as a share.
                guard reason == ENOENT else {
                    throw OutputWriteError(path: path, operation: "create folder", errno: reason)
                }
                throw OutputWriteError(
                    path: path, operation: "create folder", errno: ENOENT,
                    detail: "it is a symlink to '\(linkTarget(path))', which does not exist (a share not mounted?)")
            }
        }
    }

    /// Creates a new file at `path` (which must not exist), lets `contents` write it in pieces, then
    /// with `sync` fsyncs it, and closes it.
    static func writeNewFile(
        at path: String, sync: Bool = true, contents: (NewFile) throws(OutputWriteError) -> Void
    ) throws(OutputWriteError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, FileSystem.fileMode)
        if fd < 0 { throw OutputWriteError(path: path, operation: "create", errno: currentErrno()) }
        var closed = false
        defer { if !closed { _ = close(fd) } }
        try contents(NewFile(fd: fd, path: path))
        if sync, fsync(fd) != 0 { throw OutputWriteError(path: path, operation: "fsync", errno: currentErrno()) }
        closed = true
        if close(fd) != 0 { throw OutputWriteError(path: path, operation: "close", errno: currentErrno()) }
    }

    /// A file being written by `writeNewFile(at:sync:contents:)`.
    struct NewFile {
        fileprivate let fd: Int32
        let path: String
        /// For a FIFO opened by `writeExisting` (non-blocking), whether a stop was asked: a write
        /// that waits for room in its pipe ends when it says so (`writeAll`).
        fileprivate var stopAsked: (() -> Bool)?

        /// An open descriptor this process inherited (standard output, standard error), written
        /// as it is: never synced nor closed here.
        static func inherited(_ fd: Int32, path: String) -> NewFile { NewFile(fd: fd, path: path) }

        /// Appends all of `bytes`.
        func write(_ bytes: UnsafeRawBufferPointer) throws(OutputWriteError) {
            try FileSystem.writeAll(bytes, to: fd, path: path, stopAsked: stopAsked)
        }

        /// Appends the bytes of `elements` as they lie in memory.
        func write<Element>(contentsOf elements: [Element]) throws(OutputWriteError) {
            try FileSystem.withBytes(of: elements) { buffer throws(OutputWriteError) in try write(buffer) }
        }
    }

    /// `body` over the bytes of `elements` as they lie in memory, throwing its typed error:
    /// `withUnsafeBytes` rethrows untyped errors, so the error is carried out as a value.
    static func withBytes<Element>(
        of elements: [Element], _ body: (UnsafeRawBufferPointer) throws(OutputWriteError) -> Void
    ) throws(OutputWriteError) {
        let failure = elements.withUnsafeBytes { buffer -> OutputWriteError? in
            do throws(OutputWriteError) {
                try body(buffer)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Writes all of `bytes` to the open descriptor `fd` (`writeAll` over an array).
    static func writeAll(
        _ bytes: [UInt8], to fd: Int32, path: String, waitingWhenFull: Bool = true
    ) throws(OutputWriteError) {
        try withBytes(of: bytes) { buffer throws(OutputWriteError) in
            try writeAll(buffer, to: fd, path: path, waitingWhenFull: waitingWhenFull)
        }
    }

    /// Writes all of `bytes` to the open descriptor `fd`: write(2) again after a short write or
    /// `EINTR`. A failure names `path` (a file, or `standard output`) and the errno.
    ///
    /// A non-blocking descriptor (a FIFO `writeExisting` opened; a standard output its parent left
    /// non-blocking) that is full waits for room 50 ms at a time; when `stopAsked` says a stop was
    /// asked meanwhile, the wait ends with `OutputWriteError.stopped(…, .waitingForRoom)`. (A
    /// blocking write(2) would be restarted by the signal handlers, SA_RESTART, and wait for the
    /// reader until a second signal killed the process.) With `waitingWhenFull` false, a full
    /// non-blocking descriptor fails at once with `EAGAIN` instead (log lines, which must never
    /// hold a run up).
    static func writeAll(
        _ bytes: UnsafeRawBufferPointer, to fd: Int32, path: String, stopAsked: (() -> Bool)? = nil,
        waitingWhenFull: Bool = true
    ) throws(OutputWriteError) {
        var offset = 0
        while offset < bytes.count {
            let written = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written >= 0 {
                offset += written
                continue
            }
            let code = currentErrno()
            if code == EINTR { continue }
            guard (code == EAGAIN || code == EWOULDBLOCK) && waitingWhenFull else {
                throw OutputWriteError(path: path, operation: "write", errno: code)
            }
            if stopAsked?() == true { throw OutputWriteError.stopped(path: path, .waitingForRoom) }
            var wanted = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&wanted, 1, 50)
            // A poll that cannot wait (it failed, or the descriptor is not one it watches) must
            // not turn the wait into a loop at full speed.
            if (ready < 0 && currentErrno() != EINTR) || wanted.revents & Int16(POLLNVAL) != 0 { usleep(50_000) }
        }
    }

    /// Writes into an existing node that is not a regular file — a FIFO, a terminal, `/dev/null`
    /// — opened as it is (symlinks followed), what `contents` writes: no temporary, no truncation
    /// (these nodes have no length), no fsync (they hold no data to sync). A FIFO's open waits for
    /// a reader, as a shell's `>` does, but a stop asked meanwhile (`stopAsked`) ends the wait
    /// (`OutputWriteError.stop`, `.waitingForReader`: nothing written); so does a stop while a
    /// write waits for room in the pipe of a reader that has not taken what came before
    /// (`.waitingForRoom`). The node keeps what was written before a failure.
    static func writeExisting(
        at path: String, stopAsked: (() -> Bool)?, contents: (NewFile) throws(OutputWriteError) -> Void
    ) throws(OutputWriteError) {
        var fd: Int32
        let isFIFO = nodeKind(followingLinks: path) == S_IFIFO
        if isFIFO {
            // Not a blocking open: the signal handlers restart it (SA_RESTART), so a SIGTERM
            // never ended a wait for a reader that never came. Asked again every 50 ms instead.
            while true {
                fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK)
                if fd >= 0 || (currentErrno() != ENXIO && currentErrno() != EINTR) { break }
                if stopAsked?() == true { throw OutputWriteError.stopped(path: path, .waitingForReader) }
                usleep(50_000)
            }
        } else {
            repeat { fd = open(path, O_WRONLY | O_CLOEXEC) } while fd < 0 && currentErrno() == EINTR
        }
        if fd < 0 { throw OutputWriteError(path: path, operation: "open", errno: currentErrno()) }
        var closed = false
        defer { if !closed { _ = close(fd) } }
        var file = NewFile(fd: fd, path: path)
        // A FIFO stays non-blocking: its writes wait for room themselves, and a stop ends the wait.
        if isFIFO { file.stopAsked = stopAsked }
        try contents(file)
        closed = true
        if close(fd) != 0 && currentErrno() != EINTR {
            throw OutputWriteError(path: path, operation: "close", errno: currentErrno())
        }
    }

    /// What kind of node `path` is once symlinks are followed, `S_IFREG`, `S_IFIFO`, …; nil when
    /// nothing is there (or it cannot be reached).
    static func nodeKind(followingLinks path: String) -> mode_t? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return status.st_mode & S_IFMT
    }

    /// The path the chain of symlinks at `path` ends at, which need not exist; `path` itself when
    /// it is no symlink. Relative link targets are taken from the link's folder.
    static func resolvingSymbolicLinks(_ path: String) throws(OutputWriteError) -> String {
        var current = path
        // Linux's own limit on links followed in one lookup (MAXSYMLINKS).
        for _ in 0..<40 {
            var status = stat()
            guard lstat(current, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK else { return current }
            var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
            let count = buffer.withUnsafeMutableBytes { readlink(current, $0.baseAddress!, $0.count) }
            if count < 0 { throw OutputWriteError(path: current, operation: "read link", errno: currentErrno()) }
            let target = String(decoding: buffer[0..<count], as: UTF8.self)
            current = target.hasPrefix("/") ? target : parentDirectory(of: current) + "/" + target
        }
        throw OutputWriteError(path: path, operation: "follow link", errno: ELOOP)
    }

    /// Replaces the bytes of the existing file `destination` with those of `source` (not synced:
    /// the caller syncs the finished file).
    ///
    /// The kernel copies them (copy_file_range(2): no trip through user space, and extents shared
    /// on file systems that can); from the first call it cannot serve (another file system on an
    /// older kernel, a file system without it, not Linux), read and write go on from where it
    /// stopped.
    static func copyContents(of source: String, into destination: String) throws(OutputWriteError) {
        let input: InputFile
        do {
            input = try InputFile(URL(fileURLWithPath: source))
        } catch {
            throw OutputWriteError(path: source, operation: error.operation, errno: error.errno)
        }
        let output = open(destination, O_WRONLY | O_TRUNC | O_CLOEXEC)
        if output < 0 { throw OutputWriteError(path: destination, operation: "open", errno: currentErrno()) }
        defer { _ = close(output) }
        while true {
            let copied = grdp_copy_file_range(input.descriptor, output, 1 << 30)
            if copied == 0 { return }
            if copied > 0 { continue }
            let code = currentErrno()
            if code == EINTR { continue }
            if [ENOSYS, EXDEV, EINVAL, EOPNOTSUPP, EBADF].contains(code) { break }
            throw OutputWriteError(path: destination, operation: "copy from \(source)", errno: code)
        }
        let file = NewFile(fd: output, path: destination)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do {
                count = try input.read(into: buffer)
            } catch {
                throw OutputWriteError(path: source, operation: error.operation, errno: error.errno)
            }
            try file.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            if count < buffer.count { return }
        }
    }

    /// Creates a new file at `path` (which must not exist) open for reading and writing, and returns
    /// its descriptor, which the caller closes: a file written in pieces over a long time, and read
    /// back or mapped before it is closed (`ArchiveCache.EntryWriter`).
    static func createReadWriteFile(at path: String) throws(OutputWriteError) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, FileSystem.fileMode)
        if fd < 0 { throw OutputWriteError(path: path, operation: "create", errno: currentErrno()) }
        return fd
    }

    /// Gives back the disk blocks of `fd`'s bytes `range` (a hole punched, the size kept), as far as
    /// the file system can; false where it cannot (only space is at stake).
    @discardableResult
    static func releaseBlocks(of fd: Int32, _ range: Range<Int>) -> Bool {
        grdp_punch_hole(fd, Int64(range.lowerBound), Int64(range.count)) == 0
    }

    /// Fills `buffer` from the open descriptor `fd` at `offset` (pread(2) again after a short read or
    /// `EINTR`); false when it cannot (an error, or the file ends first).
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < buffer.count {
            let count = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if count < 0 && currentErrno() == EINTR { continue }
            guard count > 0 else { return false }
            done += count
        }
        return true
    }

    /// Creates an empty file at `path`, which must not exist. Creating it ourselves, before SQLite
    /// opens it, reports the true errno (SQLite's `sqlite3_system_errno` after a failed open is
    /// that of its last system call, often an unrelated `ENOENT`).
    static func createEmptyFile(_ path: String) throws(OutputWriteError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, FileSystem.fileMode)
        if fd < 0 { throw OutputWriteError(path: path, operation: "create", errno: currentErrno()) }
        _ = close(fd)
    }

    /// fsyncs an existing file, so that its data is on disk before it is renamed into place.
    static func syncFile(_ path: String) throws(OutputWriteError) {
        // Read-only is enough for fsync on Linux and macOS, and works on a file already made read-only.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw OutputWriteError(path: path, operation: "open for fsync", errno: currentErrno()) }
        defer { _ = close(fd) }
        if fsync(fd) != 0 { throw OutputWriteError(path: path, operation: "fsync", errno: currentErrno()) }
    }

    /// fsyncs a folder, so that a rename inside it survives a crash.
    static func syncDirectory(_ path: String) throws(OutputWriteError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw OutputWriteError(path: path, operation: "open folder for fsync", errno: currentErrno()) }
        defer { _ = close(fd) }
        if fsync(fd) != 0 {
            let code = currentErrno()
            // Some file systems cannot fsync a folder; the rename is then as durable as it gets.
            if code != EINVAL && code != ENOTSUP {
                throw OutputWriteError(path: path, operation: "fsync folder", errno: code)
            }
        }
    }

    /// Gives `temporary` the owner, group and permission bits of the regular file at `path` that it
    /// is about to replace, as `sed -i` does: an export the operator gave to the portal's web server
    /// (its group, a mode that lets it read) or kept from it stays so when a run or `export --output`
    /// replaces it. Nothing there: the creator's and the umask's stay. Best effort, as `sed -i`: the
    /// owner changes only for root, the group only to one the user is in; the mode is set last
    /// (a change of owner clears set-id bits).
    static func keepPermissions(of path: String, on temporary: String) {
        var existing = stat()
        guard stat(path, &existing) == 0, existing.st_mode & S_IFMT == S_IFREG else { return }
        if chown(temporary, existing.st_uid, existing.st_gid) != 0 {
            _ = chown(temporary, uid_t.max, existing.st_gid)
        }
        _ = chmod(temporary, existing.st_mode & 0o777)
    }

    /// Renames `source` to `destination`, replacing it.
    static func renameReplacing(_ source: String, to destination: String) throws(OutputWriteError) {
        if rename(source, destination) != 0 {
            throw OutputWriteError(path: destination, operation: "rename into place", errno: currentErrno())
        }
    }

    /// Moves `source` to `destination` only if `destination` does not exist: `link` + `unlink`,
    /// which never replaces a file (a published snapshot or report is never overwritten).
    /// Falls back to a checked `rename` on file systems without hard links.
    static func moveNoReplace(_ source: String, to destination: String) throws(OutputWriteError) {
        if link(source, destination) == 0 {
            _ = unlink(source)
            return
        }
        let code = currentErrno()
        switch code {
        case EPERM, ENOTSUP, EOPNOTSUPP, EMLINK, ENOSYS:
            if access(destination, F_OK) == 0 {
                throw OutputWriteError(path: destination, operation: "publish (already exists)", errno: EEXIST)
            }
            try renameReplacing(source, to: destination)
        default:
            throw OutputWriteError(path: destination, operation: "publish", errno: code)
        }
    }

    /// Whether `path` (symlinks followed) is a regular file this process can open for reading.
    static func isReadableFile(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { _ = close(fd) }
        var status = stat()
        return fstat(fd, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
    }

    /// Whether the regular file `path` holds exactly the bytes of the regular file `other`
    /// (false when `other`, symlinks followed, is not a regular file), compared a MiB at a time.
    static func sameBytes(_ path: String, _ other: String) throws(OutputWriteError) -> Bool {
        guard nodeKind(followingLinks: other) == S_IFREG else { return false }
        let files = [path, other].map { (name: String) -> Int32 in open(name, O_RDONLY | O_CLOEXEC) }
        defer { for fd in files where fd >= 0 { _ = close(fd) } }
        for (fd, name) in zip(files, [path, other]) where fd < 0 {
            throw OutputWriteError(path: name, operation: "read", errno: currentErrno())
        }
        var sizes: [off_t] = []
        for fd in files {
            var status = stat()
            guard fstat(fd, &status) == 0 else { return false }
            sizes.append(status.st_size)
        }
        guard sizes[0] == sizes[1] else { return false }
        let size = Int(sizes[0])
        let chunk = 1 << 20
        let buffers = (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16) }
        defer { for buffer in buffers { buffer.deallocate() } }
        var offset = 0
        while offset < size {
            let count = min(chunk, size - offset)
            for index in 0..<2 {
                let piece = UnsafeMutableRawBufferPointer(rebasing: buffers[index][0..<count])
                guard read(files[index], into: piece, at: offset) else {
                    throw OutputWriteError(path: [path, other][index], operation: "read", errno: EIO)
                }
            }
            if memcmp(buffers[0].baseAddress!, buffers[1].baseAddress!, count) != 0 { return false }
            offset += count
        }
        return true
    }

    /// Keeps the bytes of the file at `path` under a new `.grdp-*.tmp` name beside it, for putting
    /// back over `path` later: a hard link to it, or a copy where the file system takes none (or
    /// the file refuses one). Returns the new name; the caller removes it.
    static func keepAside(_ path: String) throws(OutputWriteError) -> String {
        let aside = parentDirectory(of: path) + "/" + temporaryName()
        if link(path, aside) == 0 { return aside }
        try createEmptyFile(aside)
        do {
            try copyContents(of: path, into: aside)
            try syncFile(aside)
        } catch {
            removeFile(aside)
            throw error
        }
        return aside
    }

    /// A node's kind (`st_mode & S_IFMT`) in words: "a FIFO (named pipe)", "a folder", ….
    static func kindName(_ kind: mode_t) -> String {
        switch kind {
        case S_IFREG: "a regular file"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFDIR: "a folder"
        default: "a special file"
        }
    }

    /// The errno of opening `path` for reading, nil when it opens (it is closed again at once).
    static func openError(forReading path: String) -> Int32? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return currentErrno() }
        _ = close(descriptor)
        return nil
    }

    /// Removes a file; a missing file is not an error. False when it is still there (an
    /// immutable folder, a read-only file system), for callers that say what they removed.
    @discardableResult
    static func removeFile(_ path: String) -> Bool {
        unlink(path) == 0 || errno == ENOENT
    }

    /// Whether `path` is a regular file (not following symlinks).
    static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }

    /// Whether anything exists at `path`.
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// The names in a folder (no `.` and `..`); nil when the folder does not exist. A read of the
    /// folder that fails part way (EIO, a stale NFS handle) throws: a short list would pass an
    /// older snapshot for the latest.
    static func directoryEntries(_ path: String) throws(OutputWriteError) -> [String]? {
        guard let dir = opendir(path) else {
            let code = currentErrno()
            if code == ENOENT { return nil }
            throw OutputWriteError(path: path, operation: "list folder", errno: code)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                let code = currentErrno()
                if code != 0 { throw OutputWriteError(path: path, operation: "list folder", errno: code) }
                break
            }
            let name = String(decoding: entryName(entry), as: UTF8.self)
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The name's bytes of an entry `readdir` gave, read in place up to its NUL. Not through
    /// `entry.pointee.d_name`, which loads the whole 256-byte array: an entry is only as long as
    /// its name (`d_reclen`), and the last one of a listing ends at the end of the buffer
    /// `opendir` allocated, so that load read past it (AddressSanitizer: heap-buffer-overflow).
    static func entryName(_ entry: UnsafePointer<dirent>) -> [UInt8] {
        let name = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        return Array(UnsafeRawBufferPointer(start: name, count: strlen(name.assumingMemoryBound(to: CChar.self))))
    }

    /// Whether `path` itself is a symlink (not followed).
    static func isSymbolicLink(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
    }

    /// The file at `path`, or at the end of the symlinks it starts, where the system has it
    /// (`resolvedLocation`: `..` taken, folders' links followed); nil when nothing is there (the
    /// chain ends at a name that does not exist, or loops). One that cannot be looked at (a folder
    /// this user may not search) is named all the same: it may be there.
    static func linkedFile(_ path: String) -> String? {
        guard let end = try? resolvingSymbolicLinks(path) else { return nil }
        var status = stat()
        if stat(end, &status) != 0 && errno == ENOENT { return nil }
        return resolvedLocation(end)
    }

    /// What the symlink at `path` points to, as written in the link ("?" when it cannot be read).
    static func linkTarget(_ path: String) -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!, $0.count - 1) }
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : "?"
    }

    /// Where `path` is as the system resolves it, also when it does not exist yet: each
    /// component in turn, `.` and `..` taken as the kernel takes them, an existing one resolved
    /// to its real path (symlinks followed), a missing one kept as written. After a missing
    /// folder, `..` is its parent as written: the folder is made as a real one before anything is
    /// written there (`makeDirectories`), so `nosuch/../snapshots/x` is `snapshots/x`.
    static func resolvedLocation(_ path: String) -> String {
        var absolute = path
        if !path.hasPrefix("/"), let pointer = getcwd(nil, 0) {
            defer { free(pointer) }
            absolute = String(cString: pointer) + "/" + path
        }
        func real(_ path: String) -> String? {
            guard let pointer = realpath(path, nil) else { return nil }
            defer { free(pointer) }
            return String(cString: pointer)
        }
        // A real path, or a real one with missing components after it.
        var resolved = "/"
        var exists = true
        for component in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." {
                resolved = parentDirectory(of: resolved)
                if !exists, let found = real(resolved) { (resolved, exists) = (found, true) }
                continue
            }
            let next = (resolved == "/" ? "" : resolved) + "/" + component
            if exists, let found = real(next) {
                resolved = found
            } else {
                (resolved, exists) = (next, false)
            }
        }
        return resolved
    }

    /// Whether `path` can only name a folder, whatever is there: it ends in `/`, `/.` or `/..`,
    /// or is `.` or `..`. Written to as a file, such a path made its folders first and then
    /// failed, or (`nosuch/`) had its temporary renamed to `nosuch`.
    static func namesFolder(_ path: String) -> Bool {
        path.hasSuffix("/") || path.hasSuffix("/.") || path.hasSuffix("/..") || path == "." || path == ".."
    }

    /// Where a file written at `path` goes: its symlinks followed (`resolvingSymbolicLinks`), and
    /// whether that can only be a folder (`namesFolder`, of `path` or of the link's target: a link
    /// to `nosuch/` had a file named `nosuch` written, exit 0). `export --output` and the run's
    /// configured exports both place their file by this, and refuse a folder.
    static func fileTarget(of path: String) throws(OutputWriteError) -> (target: String, namesFolder: Bool) {
        let target = try resolvingSymbolicLinks(path)
        return (target, namesFolder(path) || namesFolder(target))
    }

    /// The device and inode of what `path` names (links followed); nil when it cannot be reached.
    static func identity(of path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    /// Whether `location` (resolved, `resolvedLocation`) or a folder above it is the folder whose
    /// `identity` is `folder`: the same folder reached by another path than links make (a bind
    /// mount), which resolved paths do not show.
    static func isResolved(_ location: String, within folder: [UInt64]) -> Bool {
        var place = location
        while true {
            if identity(of: place) == folder { return true }
            if place == "/" { return false }
            place = parentDirectory(of: place)
        }
    }

    /// Whether `path` is `folder` or anywhere below it, both as the system resolves them.
    static func isWithin(_ path: String, folder: String) -> Bool {
        isResolved(resolvedLocation(path), within: resolvedLocation(folder))
    }

    /// `isWithin` of places already resolved (`resolvedLocation`).
    static func isResolved(_ location: String, within root: String) -> Bool {
        location == root || location.hasPrefix(root == "/" ? root : root + "/")
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}

/// The calling thread's errno.
@inline(__always)
func currentErrno() -> Int32 {
    errno
}

/// `write(2)`, which `FileSystem.NewFile.write` hides by its own name; Glibc's or Darwin's alike.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
