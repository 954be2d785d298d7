import Testing

@testable import GRDPCore

/// The group keys' table: every pair gets the number of its first insertion, whatever the table
/// grew through, and pairs that share a word or a bucket are never confused.
@Suite struct NumberedPairsTests {
    /// Pairs that differ in one word only, and many that fall in the same buckets of a small table.
    private static let pairs: [(UInt64, UInt64)] = (0..<5000).flatMap { i -> [(UInt64, UInt64)] in
        let n = UInt64(i)
        return [(n, 0), (0, n &+ 1), (n << 32 | 7, n), (~n, UInt64.max - n)]
    }

    @Test(arguments: [0, 16, 3000, 40_000])
    func numbersPairsInTheOrderFirstMet(capacity: Int) {
        var table = NumberedPairs(capacity: capacity)
        var expected: [String: Int32] = [:]
        for (round, pair) in (NumberedPairsTests.pairs + NumberedPairsTests.pairs.reversed()).enumerated() {
            table.prefetch(pair.0, pair.1)
            table.prefetchKey(pair.0, pair.1)
            let got = table.number(pair.0, pair.1)
            let name = "\(pair.0),\(pair.1)"
            if let known = expected[name] {
                #expect(got.number == known && !got.inserted, "round \(round): \(name)")
            } else {
                #expect(got.number == Int32(expected.count) && got.inserted, "round \(round): \(name)")
                expected[name] = got.number
            }
        }
        #expect(table.count == expected.count)
        #expect(expected.count == 4 * 5000 - 1)  // (7, 0) comes twice: i = 0's third pair, then i = 7's first
    }
}
