import Crypto
public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The SHA-256 (lowercase hex) and size of a file: an archive's identity in the report, the
/// snapshot's `source_archive`, the run fingerprint and the archive cache.
public struct FileDigest: Sendable, Equatable {
    public var hex: String
    public var bytes: Int64
    /// The file as it was when hashed (`FileStamp`): taken when hashed here, nil for a digest
    /// made from its parts. Not part of equality: it says when, not what content.
    public internal(set) var stamp: FileStamp?

    public init(hex: String, bytes: Int64) {
        self.hex = hex
        self.bytes = bytes
    }

    public static func == (a: FileDigest, b: FileDigest) -> Bool { a.hex == b.hex && a.bytes == b.bytes }

    /// The digest of the file at `url`, streamed in large blocks (an archive is never held in memory).
    public static func sha256(of url: URL) throws -> FileDigest {
        try sha256(of: FileLocation(url))
    }

    /// The digest of the file at `location`.
    /// Throws when the file changes while it is hashed (its `FileStamp` before and after differ)
    /// twice over: once may be a change of its metadata alone (a hard link made to it, its
    /// permissions set, which move its status-change time), and the file is then hashed again.
    public static func sha256(of location: FileLocation) throws -> FileDigest {
        try sha256(of: location, opened: nil)
    }

    /// The same, from `opened` when given: the file at `location` as the caller opened it to look
    /// at first (its stamp), read from its first byte, not opened again. A second hash opens
    /// `location` again.
    static func sha256(of location: FileLocation, opened: InputFile?) throws -> FileDigest {
        do {
            return try sha256(ofStable: opened ?? InputFile(location))
        } catch is FileChangedError {
            return try sha256(ofStable: InputFile(location))
        }
    }

    private static func sha256(ofStable file: InputFile) throws -> FileDigest {
        let before = FileStamp(file)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        var total: Int64 = 0
        while true {
            let count = try file.read(into: buffer, at: total)
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += Int64(count)
            if count < buffer.count { break }
        }
        let after = FileStamp(file)
        guard before == after else {
            throw FileChangedError(url: file.url, detail: "it changed while it was hashed")
        }
        var digest = FileDigest(hex: lowercaseHex(hasher.finalize()), bytes: total)
        digest.stamp = after
        return digest
    }
}

/// What says that a file is still the one hashed, unchanged: its size, and its modification and
/// status-change times to the nanosecond. A rewrite in place changes the status-change time,
/// whatever it sets the modification time to; a file renamed over has its own, set when it was
/// written. Not the inode: some network and FUSE filesystems (CIFS with `noserverino`, sshfs)
/// make one up per lookup, and an archive read from such a share must not be taken for changed.
/// A hash checks the file did not change while it was taken (`FileDigest.sha256`), and the digest
/// memo keeps an archive's digest while its stamp holds (`ArchiveDigestMemo`). Whether the bytes a
/// run decodes are the bytes it hashed is not told by the stamp but by the reader's own hash of
/// them (`ArchiveReader.readDigest`).
public struct FileStamp: Sendable, Equatable {
    var size: Int64
    var modified: (seconds: Int, nanoseconds: Int)
    var statusChanged: (seconds: Int, nanoseconds: Int)
    /// The file's device and inode. Not part of equality (see above); only `ArchiveDigestMemo`
    /// asks for them, where a file whose inode is made up anew is merely hashed again.
    var device: UInt64 = 0
    var inode: UInt64 = 0

    init(
        size: Int64, modified: (seconds: Int, nanoseconds: Int), statusChanged: (seconds: Int, nanoseconds: Int),
        device: UInt64, inode: UInt64
    ) {
        self.size = size
        self.modified = modified
        self.statusChanged = statusChanged
        self.device = device
        self.inode = inode
    }

    /// The stamp of the open file; nil when the system will not say.
    init?(_ file: InputFile) {
        var info = stat()
        guard fstat(file.descriptor, &info) == 0 else { return nil }
        size = Int64(info.st_size)
        device = UInt64(truncatingIfNeeded: info.st_dev)
        inode = UInt64(truncatingIfNeeded: info.st_ino)
        #if canImport(Darwin)
            modified = (info.st_mtimespec.tv_sec, info.st_mtimespec.tv_nsec)
            statusChanged = (info.st_ctimespec.tv_sec, info.st_ctimespec.tv_nsec)
        #else
            modified = (info.st_mtim.tv_sec, info.st_mtim.tv_nsec)
            statusChanged = (info.st_ctim.tv_sec, info.st_ctim.tv_nsec)
        #endif
    }

    /// The stamp of the file at `location` now; nil when it cannot be opened.
    init?(at location: FileLocation) {
        guard let file = try? InputFile(location) else { return nil }
        self.init(file)
    }

    public static func == (a: FileStamp, b: FileStamp) -> Bool {
        a.size == b.size && a.modified == b.modified && a.statusChanged == b.statusChanged
    }
}

/// A file that changed between two looks at it (`FileStamp`).
struct FileChangedError: Error, CustomStringConvertible {
    let url: URL
    let detail: String
    var description: String { "\(url.path): \(detail)" }
}

/// Bytes as lowercase hex, two digits each (digests, and the first bytes of a bad member in a detail).
func lowercaseHex(_ bytes: some Sequence<UInt8>, separator: String = "") -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: separator)
}
