/// Per stem of one member's batch (`TransactionBatch.stems`, by index): the least and the
/// greatest number among the member's rows of that stem, as the key pass that read them noted
/// (`PartitionedRevisions.forEachKey`) and kept for the next (`CurrentRowsState.Member.stemSpans`).
///
/// A night's key pass looks up an earlier member's rows among the new keys only when one of the
/// new keys has one of the member's stems and a number within that stem's span: a row whose key
/// is a new key's has that key's stem and number. Ids that go on from where the last ones ended
/// (`MP2024Q1-000001`…, one prefix per channel and period) leave the members of other periods unread;
/// ids without such order (every span wide) cost the spans and a sort of the new keys' numbers,
/// and a member of more than `limit` stems has none and is always read. (Zone maps, as column
/// stores keep per block.)
struct StemSpans: Equatable, Sendable {
    /// `low[stem]...high[stem]`; `low > high` for a stem no row read has.
    private var low: [UInt64]
    private var high: [UInt64]

    /// A member of more stems (ids without common prefixes) has no spans: ~1 KB a member at most.
    static let limit = 64

    /// Spans for `stems` stems, no row read yet; nil past `limit`.
    init?(stems: Int) {
        guard stems <= Self.limit else { return nil }
        low = Array(repeating: .max, count: stems)
        high = Array(repeating: 0, count: stems)
    }

    /// From `flattened`; nil when it is not pairs for at most `limit` stems.
    init?(flattened: [UInt64]) {
        guard flattened.count % 2 == 0, flattened.count / 2 <= Self.limit else { return nil }
        low = stride(from: 0, to: flattened.count, by: 2).map { flattened[$0] }
        high = stride(from: 1, to: flattened.count, by: 2).map { flattened[$0] }
    }

    /// Each stem's least and greatest number, one after the other (the kept state's form).
    var flattened: [UInt64] { zip(low, high).flatMap { [$0, $1] } }

    var stems: Int { low.count }

    /// Takes in the numbers of `rows`, rows of this member.
    mutating func note(_ rows: UnsafeBufferPointer<TransactionBatch.Row>) {
        let stems = low.count
        low.withUnsafeMutableBufferPointer { low in
            high.withUnsafeMutableBufferPointer { high in
                for row in rows {
                    let stem = Int(row.stem)
                    precondition(stem < stems, "a row's stem is one of its batch's")
                    low[stem] = min(low[stem], row.number)
                    high[stem] = max(high[stem], row.number)
                }
            }
        }
    }

    /// Takes in `other`'s, of other rows of the same member.
    mutating func merge(_ other: StemSpans) {
        precondition(other.low.count == low.count, "spans of the same member's stems")
        for stem in low.indices {
            low[stem] = min(low[stem], other.low[stem])
            high[stem] = max(high[stem], other.high[stem])
        }
    }

    /// Whether a number of `numbers` (by global stem, each ascending) lies within the span of one of
    /// these stems, `globalStems` giving each its global stem.
    func holdsAny(of numbers: [UInt32: [UInt64]], globalStems: [UInt32]) -> Bool {
        for stem in low.indices where low[stem] <= high[stem] {
            guard let sorted = numbers[globalStems[stem]] else { continue }
            // The first number not below the span's least: within the span when not above its greatest.
            var (first, end) = (0, sorted.count)
            while first < end {
                let middle = (first + end) / 2
                if sorted[middle] < low[stem] { first = middle + 1 } else { end = middle }
            }
            if first < sorted.count, sorted[first] <= high[stem] { return true }
        }
        return false
    }
}
