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
        if let digest = try? FileDigest.sha256(of: URL(fileURLWithPath: "/proc/self/exe")) { return digest.hex }
        // Not `Bundle.main` on Linux: its first use traps when the executable's own path cannot be
        // searched by this user (grdp run as another user from a folder closed to it), where
        // /proc/self/exe cannot be read either.
        #if canImport(Darwin)
            if let path = Bundle.main.executablePath,
                let digest = try? FileDigest.sha256(of: URL(fileURLWithPath: path))
            {
                return digest.hex
            }
        #endif
        return "unknown"
    }()
}
