/// Maps the status spellings of returns to canonical statuses (CONTRACT §4.3).
///
/// Matching is on the trimmed, NFC, lower-cased text. Defaults: completed/complete/success/delivered
/// → completed; cancelled/canceled → cancelled; refunded/returned → refunded; pending → pending.
/// `inputs.statuses` adds spellings (and may redefine a default one other than a status's own name:
/// the config loader refuses `completed: cancelled`).
public struct StatusMapper: Sendable {
    public static let defaults: [String: TransactionStatus] = [
        "completed": .completed, "complete": .completed, "success": .completed, "delivered": .completed,
        "cancelled": .cancelled, "canceled": .cancelled,
        "refunded": .refunded, "returned": .refunded,
        "pending": .pending,
    ]

    private var table: [String: TransactionStatus]

    public init(extra: [String: TransactionStatus] = [:]) {
        table = StatusMapper.defaults
        for (spelling, status) in extra {
            table[CellText.matchKey(spelling)] = status
        }
    }

    /// The canonical status of a cell's text, or nil when the spelling is unknown.
    public func status(of text: String) -> TransactionStatus? {
        table[CellText.matchKey(text)]
    }

    /// The canonical status of a cell's bytes, or nil when the spelling is unknown.
    func status(ofCell cell: UnsafeBufferPointer<UInt8>) -> TransactionStatus? {
        table[CellText.lowercasedText(cell)]
    }
}
