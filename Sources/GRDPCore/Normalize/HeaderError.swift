/// A data member's header cannot be used: a required column is missing, a column is named twice
/// after alias mapping, or there is no header at all. The archive is rejected (`header-error`).
public struct HeaderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var memberPath: String
    /// The columns concerned (canonical names); empty when there is no header.
    public var columns: [String]
    /// A sentence saying what is wrong.
    public var detail: String
    /// The kind the member was read as (what the `inputs.kinds` patterns made of it).
    public var kind: RecordKind

    public init(memberPath: String, kind: RecordKind, columns: [String], detail: String) {
        self.memberPath = memberPath
        self.columns = columns
        self.detail = detail
        self.kind = kind
    }

    public var reason: ReasonCode { .headerError }

    public var description: String {
        "member '\(memberPath)': \(detail) [header-error]"
    }
}
