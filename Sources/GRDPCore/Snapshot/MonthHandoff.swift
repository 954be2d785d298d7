internal import Foundation

/// The months of sales rows one thread reads and serialises for another to hash
/// (`ContentHash.serializeByMonth`): handed over in order, at most `capacity` waiting, so that
/// what is held in memory is a few months of rows whatever the table's size.
final class MonthHandoff: @unchecked Sendable {
    // @unchecked Sendable: every stored `var` is read and written only while `condition` is locked.
    struct Month: Sendable {
        /// The rows as the hash serialises them.
        var bytes: [[UInt8]]
        var count: Int
        /// Whether every row's first column was an integer (a year the hash can mark).
        var yearsAreIntegers: Bool
    }

    /// Months read ahead of the hash, at most.
    static let capacity = 2

    private let condition = NSCondition()
    private var waiting: [Month] = []
    private var failed = false
    private var abandoned = false

    /// Hands `month` over, once fewer than `capacity` wait; false when the taker abandoned the
    /// read (the reader then stops).
    func put(_ month: Month) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while waiting.count >= Self.capacity && !abandoned { condition.wait() }
        guard !abandoned else { return false }
        waiting.append(month)
        condition.broadcast()
        return true
    }

    /// The reader could not read a month: the taker gets nil from then on.
    func fail() {
        condition.lock()
        failed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next month in order; nil when the reader failed before handing it over.
    func take() -> Month? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && !failed { condition.wait() }
        guard !waiting.isEmpty else { return nil }
        let month = waiting.removeFirst()
        condition.broadcast()
        return month
    }

    /// The taker wants no more months (done, or stopped by an error): a waiting reader returns.
    func abandon() {
        condition.lock()
        abandoned = true
        waiting.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
