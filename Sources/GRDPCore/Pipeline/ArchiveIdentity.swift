internal import Foundation

/// An archive by its path and SHA-256: the same archive, the same bytes.
struct ArchiveIdentity: Hashable {
    var relativePath: String
    var sha256: String

    init(relativePath: String, sha256: String) {
        self.relativePath = relativePath
        self.sha256 = sha256
    }

    init(_ archive: ArchiveOutcome) {
        self.init(relativePath: archive.relativePath, sha256: archive.sha256)
    }

    /// The archives an ingest accepted.
    static func accepted(in ingest: IngestResult) -> Set<ArchiveIdentity> {
        Set(ingest.archives.filter { $0.status == .accepted }.map(ArchiveIdentity.init))
    }
}
