/// One failed check of `grdp verify` (CONTRACT §7: exit 65 when there is any).
public struct VerifyFailure: Sendable, Equatable, CustomStringConvertible {
    public enum Check: String, Sendable, Equatable, CaseIterable {
        /// The file cannot be opened or its meta read.
        case open
        /// `PRAGMA integrity_check` reports damage.
        case integrity
        /// `PRAGMA application_id` is not 1196573776 ("GRDP").
        case applicationID = "application-id"
        /// `PRAGMA user_version` is not the schema version this build reads.
        case schemaVersion = "schema-version"
        /// A required table or column is missing.
        case schema
        /// `snapshot_meta` lacks a key, or its version does not match the file name.
        case meta
        /// The recomputed content hash differs from `snapshot_meta.content_sha256`.
        case contentHash = "content-hash"
        /// A `-wal` or `-journal` file holding changes sits beside the file, or the file was
        /// switched to WAL mode: something wrote to it after it was published.
        case journal
        /// The file's bytes are not those recorded when it was published (`cache/published.json`):
        /// a change the content hash does not see (an index, view or trigger added, bytes appended,
        /// its header or `snapshot_meta` edited).
        case fileChecksum = "file-checksum"
    }

    public var check: Check
    public var message: String
    /// Whether the check could not be made for want of room to work in (SQLite's temporary folder
    /// full while it sorted rows): nothing is known to be wrong with the file, and the commands
    /// say so with exit 73 (`SnapshotFile.temporaryFolderFull`) rather than call it damaged (65).
    public var cannotCheck: Bool

    public init(check: Check, message: String, cannotCheck: Bool = false) {
        self.check = check
        self.message = message
        self.cannotCheck = cannotCheck
    }

    public var description: String { "[\(check.rawValue)] \(message)" }
}
