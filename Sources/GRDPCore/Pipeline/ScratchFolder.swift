internal import Foundation

/// A folder of scratch files in the system's temporary folder (`TMPDIR`): `validate`'s revisions
/// at scale (`PipelineRunner.validate`), hundreds of MB at 10 M transactions. Removed when let go;
/// when its process died first (kill -9, a crash, a power cut), by the next one made there.
///
/// Each holds `.lock`, an `flock` that the kernel releases when its process dies however it dies:
/// a scratch folder whose lock can be taken is used by no one. It is made under another name and
/// renamed once locked, so that no one sees it unlocked.
final class ScratchFolder {
    let url: URL
    private let lock: OutputLock

    static let prefix = "grdp-validate-"

    /// A new scratch folder in `parent`, after removing those there that no process uses.
    init(in parent: URL = FileManager.default.temporaryDirectory) throws {
        Self.removeAbandoned(in: parent)
        let name = Self.prefix + UUID().uuidString
        let making = parent.appendingPathComponent("." + name, isDirectory: true)
        try FileManager.default.createDirectory(at: making, withIntermediateDirectories: false)
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

    /// Removes the scratch folders in `parent` whose lock can be taken: their process is gone.
    static func removeAbandoned(in parent: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        for name in names where name.hasPrefix(prefix) {
            let folder = parent.appendingPathComponent(name, isDirectory: true)
            guard let lock = try? OutputLock(url: folder.appendingPathComponent(".lock"), waitSeconds: 0) else {
                continue
            }
            try? FileManager.default.removeItem(at: folder)
            withExtendedLifetime(lock) {}
        }
    }
}
