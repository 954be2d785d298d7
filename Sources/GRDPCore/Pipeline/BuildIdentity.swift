internal import Foundation

/// Which build of grdp is running: its version and a SHA-256 of its own executable file.
///
/// The caches (`RunCache`, `ArchiveCache`) hold what this code computed; a rebuild that changes how
/// rows are read or figures computed, even under the same version number, must not be answered from
/// an older build's cache. Hashing the executable (about 10 ms) makes every build its own key.
enum BuildIdentity {
    static func current(toolVersion: String) -> String {
        toolVersion + " " + executableSHA256
    }

    /// "unknown" when the executable cannot be read: the caches then key on the version alone.
    static let executableSHA256: String = {
        let candidates = ["/proc/self/exe", Bundle.main.executablePath].compactMap { $0 }
        for path in candidates {
            if let digest = try? FileDigest.sha256(of: URL(fileURLWithPath: path)) { return digest.hex }
        }
        return "unknown"
    }()
}
