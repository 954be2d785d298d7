import Crypto
import Foundation

/// The SHA-256 of archives that have not changed since earlier runs hashed them, kept in
/// `<outputs>/cache/archive-digests.json`, so that a night does not hash again every archive it
/// has seen before. At 10 M transactions that is ~200 MB, ~0.15 s of CPU at the start of every
/// night, on the way to the cache entries, which are named by the digest.
///
/// A file still holds the bytes hashed while it has the same path, device, inode, size, and
/// modification and status-change times to the nanosecond (`FileStamp`). A write in place moves
/// the status-change time, whatever it sets the modification time to; a file renamed over is
/// another inode with its own times; a file system that makes inodes up per lookup is merely
/// hashed every time.
///
/// One gap is left by the stamp alone: two writes within one tick of the file system's clock
/// (a jiffy on Linux, 2 s on FAT, a server's on a share) leave the same stamp, and a hash taken
/// between them names the first write's bytes. So a digest is taken from the memo only once two
/// hashes, at least `settleSeconds` apart on this machine's clock, found the same bytes under
/// the same stamp: every write that leaves that stamp happened within a tick of the first, before
/// the first hash opened the file, so before the second began. An archive is hashed on two runs
/// (two nights) before its digest is remembered. `run --force` hashes every archive.
///
/// What the memo holds are facts about files, true when written, whatever became of the run: it
/// is written without fsync, and a file torn by a crash fails its checksum and is not used (every
/// archive is then hashed).
struct ArchiveDigestMemo: Equatable {
    /// What an archive's hash found, and when.
    struct Entry: Codable, Equatable {
        var path: String
        var device: UInt64
        var inode: UInt64
        var size: Int64
        /// Seconds and nanoseconds.
        var modified: [Int]
        var statusChanged: [Int]
        var sha256: String
        var bytes: Int64
        /// When the first hash that found these bytes under this stamp ended: microseconds since
        /// 1970 on this machine's clock.
        var hashedAt: Int64
        /// A later hash, begun at least `settleSeconds` after that, found them too.
        var confirmed: Bool

        init(path: String, digest: FileDigest, stamp: FileStamp, hashedAt: Int64, confirmed: Bool) {
            self.path = path
            device = stamp.device
            inode = stamp.inode
            size = stamp.size
            modified = [stamp.modified.seconds, stamp.modified.nanoseconds]
            statusChanged = [stamp.statusChanged.seconds, stamp.statusChanged.nanoseconds]
            sha256 = digest.hex
            bytes = digest.bytes
            self.hashedAt = hashedAt
            self.confirmed = confirmed
        }

        /// The stamp the file had when hashed; nil when a time is not two numbers (a memo made
        /// by hand, whose checksum holds).
        var stamp: FileStamp? {
            guard modified.count == 2, statusChanged.count == 2 else { return nil }
            return FileStamp(
                size: size, modified: (modified[0], modified[1]), statusChanged: (statusChanged[0], statusChanged[1]),
                device: device, inode: inode)
        }

        /// Whether the file had this stamp, on this device and inode, when hashed.
        func holds(_ stamp: FileStamp) -> Bool {
            self.stamp == stamp && device == stamp.device && inode == stamp.inode
        }
    }

    /// By `key(of:)`.
    private(set) var entries: [String: Entry] = [:]

    static let fileName = "archive-digests.json"
    static let format = "grdp-archive-digests-v1"
    /// More than a FAT file system's 2 s tick; nightly runs are a day apart.
    static let settleSeconds: Int64 = 5

    init() {}

    /// The key of the file at `location`: its path, or its bytes when the path is not UTF-8.
    static func key(of location: FileLocation) -> String {
        location.pathBytes.map { "bytes:" + lowercaseHex($0) } ?? location.url.path
    }

    /// The digest of the file at `location` and the entry to keep for it: the memo's, without
    /// reading the file, when `trusting` and the memo holds a confirmed entry of the file as it is
    /// now; else hashed (`FileDigest.sha256(of:)`), the entry then confirmed when this hash found
    /// what the memo's did under the same stamp, at least `settle` seconds after it (and kept
    /// confirmed: `--force` hashes a remembered file, and agrees).
    static func digest(
        of location: FileLocation, remembered: Entry?, trusting: Bool, settle: Int64 = settleSeconds,
        now: () -> Int64 = Self.now
    ) throws -> (digest: FileDigest, entry: Entry?, fromMemo: Bool) {
        let file = try? InputFile(location)
        let stamp = file.flatMap(FileStamp.init)
        let rememberable = file.map(writesBack) ?? false
        let held = remembered.flatMap { entry in stamp.map(entry.holds) } ?? false
        if trusting, rememberable, held, let remembered, remembered.confirmed, let stamp {
            var digest = FileDigest(hex: remembered.sha256, bytes: remembered.bytes)
            digest.stamp = stamp
            return (digest, remembered, true)
        }
        // A hash that may confirm the entry: the file's dirty pages are written back first, which
        // write-protects them in every mapping. A process holding the file mapped for writing
        // changes its bytes without moving its times once a page is dirty, until that page is
        // written back (Linux moves them at the first write to a clean page); from here on, any
        // write moves them. Not confirmed when the file system will not say it did.
        let flushed = rememberable && held && remembered?.confirmed == false && file?.writeBack() == true
        let start = now()
        let digest = try FileDigest.sha256(of: location, opened: file)
        guard rememberable, let stamp = digest.stamp else { return (digest, nil, false) }
        if var agreeing = remembered,
            agreeing.holds(stamp) && agreeing.sha256 == digest.hex && agreeing.bytes == digest.bytes
        {
            // Its first hash's time kept: this one vouches for it once it began late enough.
            // (A time the file gives that is no time, Int64.min, confirms nothing.)
            let (since, overflow) = start.subtractingReportingOverflow(agreeing.hashedAt)
            agreeing.confirmed = agreeing.confirmed || (flushed && !overflow && since >= settle * 1_000_000)
            return (digest, agreeing, false)
        }
        let entry = Entry(path: key(of: location), digest: digest, stamp: stamp, hashedAt: now(), confirmed: false)
        return (digest, entry, false)
    }

    /// Whether the file's times can be trusted to move at every change of its bytes once its pages
    /// are written back: the local disk file systems that write pages back and write-protect them
    /// (ext2/3/4, XFS, Btrfs) and NFS (whose `open` fetches the server's attributes). Not tmpfs,
    /// whose pages are never written back, so that a write through a mapping never moves the
    /// times again after the first; nor any file system not known to behave so (a file there is
    /// hashed on every run, as before the memo).
    static func writesBack(_ file: InputFile) -> Bool {
        file.fileSystemType.map(writingBack.contains) ?? false
    }

    /// `statfs.f_type` of ext2/3/4, XFS, Btrfs and NFS.
    static let writingBack: Set<Int64> = [0xEF53, 0x5846_5342, 0x9123_683E, 0x6969]

    /// The entry of the file at `location`, if any.
    func entry(for location: FileLocation) -> Entry? {
        entries[Self.key(of: location)]
    }

    /// Drops the entries of these keys; whether any was there.
    mutating func forget(_ keys: [String]) -> Bool {
        keys.reduce(false) { dropped, key in entries.removeValue(forKey: key) != nil || dropped }
    }

    /// A memo of these entries alone (one per path: the last).
    init(_ entries: some Sequence<Entry>) {
        for entry in entries { self.entries[entry.path] = entry }
    }

    static func now() -> Int64 {
        let time = Timestamp.now()
        return Int64(time.seconds) * 1_000_000 + Int64(time.microseconds)
    }

    // MARK: - The file

    private struct Stored: Codable {
        var format: String
        var entries: [Entry]
    }

    /// The memo kept in `folder`; empty when there is none or it does not check out (a torn or
    /// edited file, another format): a `SealedJSON` file.
    static func load(from folder: URL) -> ArchiveDigestMemo {
        guard let stored = SealedJSON.value(Stored.self, at: folder.appendingPathComponent(fileName)),
            stored.format == format
        else { return ArchiveDigestMemo() }
        return ArchiveDigestMemo(stored.entries)
    }

    /// Replaces the memo in `folder` atomically (not durably: see the type's comment).
    func write(to folder: URL) throws(OutputWriteError) {
        let url = folder.appendingPathComponent(Self.fileName)
        let bytes = try SealedJSON.bytes(
            of: Stored(format: Self.format, entries: entries.values.sorted { $0.path < $1.path }), for: url)
        try AtomicFile.write(to: url, durable: false) {
            file throws(OutputWriteError) in try file.write(contentsOf: bytes)
        }
    }
}
