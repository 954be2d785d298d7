/// The three kinds of data member a return can hold (CONTRACT §4.3).
public enum RecordKind: String, Sendable, Hashable, CaseIterable, Codable {
    case enterprise
    case transaction
    case grdp
}

/// The canonical statuses of a transaction (CONTRACT §4.3).
public enum TransactionStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case completed
    case cancelled
    case refunded
    case pending
}

/// Why a row was quarantined or an archive rejected: the reason codes of CONTRACT §3, §4 and §8.
public enum ReasonCode: String, Sendable, Hashable, CaseIterable, Codable {
    // Row level (quarantine).
    case fieldCount = "field-count"
    case encodingError = "encoding-error"
    case missingCell = "missing-cell"
    case typeError = "type-error"
    case outOfRange = "out-of-range"
    case invalidTaxCode = "invalid-tax-code"
    case invalidVSIC = "invalid-vsic"
    case unknownStatus = "unknown-status"
    case missingFXRate = "missing-fx-rate"
    // Archive level (rejection).
    case corruptArchive = "corrupt-archive"
    case unsafeMemberPath = "unsafe-member-path"
    case memberTooLarge = "member-too-large"
    case compressionRatio = "compression-ratio"
    case headerError = "header-error"
    case emptyArchive = "empty-archive"
    case duplicateMember = "duplicate-member"
    // Member level.
    case quarantineRatio = "quarantine-ratio"
    case unrecognizedMember = "unrecognized-member"
    case link = "link"
    case device = "device"
}
