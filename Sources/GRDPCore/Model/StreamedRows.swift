/// A table's rows given one at a time from where they are kept, rather than held in memory: a
/// run's quarantined rows, read from the archive cache as the publish inserts and hashes them
/// (`PipelineRunner.describeInputs`, `CachedQuarantine`). Two are equal only when they are the
/// same rows given the same way (one value, copied).
struct StreamedRows<Row: Sendable>: Sendable, Equatable {
    /// How many rows `forEach` gives.
    let count: Int
    private let each: @Sendable ((Row) throws -> Void) throws -> Void
    private let identity = Identity()

    private final class Identity: Sendable {}

    /// - Parameter each: calls its argument with every row, in order; called once per pass over
    ///   the rows (the insert, the content hash), from any thread.
    init(count: Int, each: @escaping @Sendable ((Row) throws -> Void) throws -> Void) {
        self.count = count
        self.each = each
    }

    /// Calls `body` with every row, in order.
    func forEach(_ body: (Row) throws -> Void) throws {
        try withoutActuallyEscaping(body) { body in try each(body) }
    }

    static func == (a: Self, b: Self) -> Bool { a.identity === b.identity }
}
