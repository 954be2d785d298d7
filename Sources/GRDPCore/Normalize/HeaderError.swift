/// A data member's header cannot be used: a required column is missing, a column is named twice
/// after alias mapping, or there is no header at all. The archive is rejected (`header-error`).
public struct HeaderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var memberPath: String
    /// The columns concerned (canonical names); empty when there is no header.
    public var columns: [String]
    /// A sentence saying what is wrong.
    public var detail: String

    public init(memberPath: String, columns: [String], detail: String) {
        self.memberPath = memberPath
        self.columns = columns
        self.detail = detail
    }

    public var reason: ReasonCode { .headerError }

    public var description: String {
        "member '\(memberPath)': \(detail) [header-error]"
    }
}
