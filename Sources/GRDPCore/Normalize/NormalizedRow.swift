/// One data row's result, in member order.
public struct NormalizedRow: Sendable, Hashable {
    /// Physical line of the member on which the record starts (the header is on line 1 unless blank
    /// lines precede it; line breaks inside quoted cells count).
    public var line: Int
    public var outcome: RowOutcome
    /// The record's text as read, without its line break (invalid UTF-8 replaced by U+FFFD). Filled
    /// for quarantined and excluded rows; empty for accepted rows unless
    /// `MemberNormalizer.keepsRawForAcceptedRows` is set (one string less per row on the hot path).
    public var raw: String

    public init(line: Int, outcome: RowOutcome, raw: String) {
        self.line = line
        self.outcome = outcome
        self.raw = raw
    }
}
