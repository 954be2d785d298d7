import Testing

@testable import GRDPCore

/// `StemSpans`: the least and greatest number per stem of a member's rows, and whether a new key's
/// number falls within one (the ends included). The key pass's use of them is tested against the
/// full pass in `PartitionedRevisionsTests`.
struct StemSpansTests {
    private func rows(_ keys: [(stem: UInt32, number: UInt64)]) -> [TransactionBatch.Row] {
        keys.map {
            TransactionBatch.Row(
                number: $0.number, stem: $0.stem, channel: 0, seller: 0, district: 0, year: 2024, month: 1, status: 0,
                scale: 0, mantissa: 1)
        }
    }

    private func spans(stems: Int, _ keys: [(stem: UInt32, number: UInt64)]) throws -> StemSpans {
        var spans = try #require(StemSpans(stems: stems))
        rows(keys).withUnsafeBufferPointer { spans.note($0) }
        return spans
    }

    @Test func aNumberWithinAStemsSpanEndsIncludedIsHeld() throws {
        // Stem 0: 10…20; stem 1: 5 alone; stem 2: no row.
        let spans = try spans(stems: 3, [(0, 15), (0, 10), (1, 5), (0, 20)])
        let global: [UInt32] = [7, 8, 9]
        #expect(spans.holdsAny(of: [7: [10]], globalStems: global))
        #expect(spans.holdsAny(of: [7: [20]], globalStems: global))
        #expect(spans.holdsAny(of: [7: [1, 2, 3, 17, 90]], globalStems: global))
        #expect(spans.holdsAny(of: [8: [5]], globalStems: global))
        #expect(!spans.holdsAny(of: [7: [9, 21, 400]], globalStems: global))
        #expect(!spans.holdsAny(of: [8: [4, 6]], globalStems: global))
        // A number of another stem, and any number of a stem without rows.
        #expect(!spans.holdsAny(of: [6: [15], 9: [0, 15, .max]], globalStems: global))
        #expect(!spans.holdsAny(of: [:], globalStems: global))
    }

    @Test func spansOfPartsMergeIntoThoseOfTheWhole() throws {
        let keys: [(stem: UInt32, number: UInt64)] = [(0, 3), (1, 900), (0, 1), (1, 2), (0, 77), (1, 1 << 60)]
        var first = try spans(stems: 2, Array(keys[..<3]))
        first.merge(try spans(stems: 2, Array(keys[3...])))
        #expect(first == (try spans(stems: 2, keys)))
        // A part without rows changes nothing.
        var whole = try spans(stems: 2, keys)
        whole.merge(try #require(StemSpans(stems: 2)))
        #expect(whole == (try spans(stems: 2, keys)))
    }

    @Test func theKeptFormGivesTheSameSpans() throws {
        let spans = try spans(stems: 3, [(0, 15), (2, 7), (0, 10)])
        #expect(spans.flattened == [10, 15, .max, 0, 7, 7])
        #expect(StemSpans(flattened: spans.flattened) == spans)
        #expect(StemSpans(flattened: [1, 2, 3]) == nil)
        #expect(StemSpans(flattened: Array(repeating: 1, count: 2 * StemSpans.limit))?.stems == StemSpans.limit)
        #expect(StemSpans(flattened: Array(repeating: 1, count: 2 * StemSpans.limit + 2)) == nil)
    }

    @Test func aMemberOfTooManyStemsHasNoSpans() {
        #expect(StemSpans(stems: StemSpans.limit) != nil)
        #expect(StemSpans(stems: StemSpans.limit + 1) == nil)
    }
}
