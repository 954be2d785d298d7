internal import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A folder of scratch files in the system's temporary folder (`TMPDIR`): `validate`'s revisions
/// at scale (`PipelineRunner.validate`), ~0.4 GB at 10 M transactions. Only its owner can enter it
/// (0700: the rows of the returns are in it). Removed when let go; when its process died first
/// (kill -9, a crash, a power cut), by the next `validate`.
///
/// Each holds `.lock`, an `flock` that the kernel releases when its process dies however it dies:
/// a scratch folder whose lock can be taken is used by no one. It is made under a dot-name and
/// renamed once locked, so that no one sees it unlocked under its name.
final class ScratchFolder {
    let url: URL
    private let lock: OutputLock

    static let prefix = "grdp-validate-"

    /// Its file system has fewer bytes free than asked.
    struct NoRoom: Error, CustomStringConvertible {
        var path: String
        var free: Int64
        var needed: Int64
        var description: String {
            "\(path) has \(free) bytes free, fewer than the \(needed) the scratch files may take"
        }
    }

    /// A new scratch folder in `parent`, whose file system has at least `needed` bytes free.
    init(in parent: URL = FileManager.default.temporaryDirectory, needing needed: Int64 = 0) throws {
        var info = statvfs()
        if needed > 0, statvfs(parent.path, &info) == 0 {
            let free = Int64(info.f_bavail) * Int64(info.f_frsize)
            if free < needed { throw NoRoom(path: parent.path, free: free, needed: needed) }
        }
        let name = Self.prefix + UUID().uuidString
        let making = parent.appendingPathComponent("." + name, isDirectory: true)
        try FileManager.default.createDirectory(
            at: making, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let lock: OutputLock
        do {
            lock = try OutputLock(url: making.appendingPathComponent(".lock"), waitSeconds: 0)
            let url = parent.appendingPathComponent(name, isDirectory: true)
            try FileManager.default.moveItem(at: making, to: url)
            self.url = url
        } catch {
            try? FileManager.default.removeItem(at: making)
            throw error
        }
        self.lock = lock
    }

    /// Removed while still locked; the lock goes with it.
    deinit { try? FileManager.default.removeItem(at: url) }

    /// Removes the scratch folders in `parent` that no process uses (their lock can be taken):
    /// only folders, not links, and only this user's. One still under its dot-name (its process
    /// died between making and renaming it) when it is over a minute old.
    static func removeAbandoned(in parent: URL = FileManager.default.temporaryDirectory) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        for name in names where name.hasPrefix(prefix) || name.hasPrefix("." + prefix) {
            let folder = parent.appendingPathComponent(name, isDirectory: true)
            var info = stat()
            guard lstat(folder.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() else {
                continue
            }
            if name.hasPrefix(".") {
                #if canImport(Darwin)
                    let changed = info.st_mtimespec.tv_sec
                #else
                    let changed = info.st_mtim.tv_sec
                #endif
                guard time(nil) - changed > 60 else { continue }
            }
            guard let lock = try? OutputLock(url: folder.appendingPathComponent(".lock"), waitSeconds: 0) else {
                continue
            }
            try? FileManager.default.removeItem(at: folder)
            withExtendedLifetime(lock) {}
        }
    }
}
