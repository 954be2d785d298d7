import Testing

@testable import GRDPCore

/// `radixSort()` gives what `sort()` gives, whichever bits the words differ in.
@Suite struct RadixSortTests {
    /// `count` words from `generator`, kept to the bits of `mask` and set in those of `fixed`.
    private func words(_ count: Int, mask: UInt64, fixed: UInt64 = 0, seed: UInt64) -> [UInt64] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in generator.next() & mask | fixed }
    }

    private func expectSortsAsTheStandardLibrary(_ words: [UInt64], _ comment: Comment) {
        var sorted = words
        sorted.radixSort()
        #expect(firstDifference(sorted, words.sorted()) == nil, comment)
    }

    /// Where two arrays first differ (a count differing at the shorter's end), not both printed whole.
    private func firstDifference(_ a: [UInt64], _ b: [UInt64]) -> Int? {
        (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? (a.count == b.count ? nil : min(a.count, b.count))
    }

    @Test func everyBitVarying() {
        for count in [0, 1, 2, 255, 256, 257, 1000, 65_537] {
            expectSortsAsTheStandardLibrary(words(count, mask: ~0, seed: UInt64(count)), "\(count) words")
        }
    }

    /// One pass (its sorted words in the spare array, copied back), two, and passes at the top
    /// digit, whose 9 bits are short of a whole digit; the other bits the same in every word.
    @Test func someDigitsVarying() {
        let cases: [(mask: UInt64, name: String)] = [
            (0x7FF, "the lowest digit alone"),
            (0x3F_FFFF, "the two lowest digits"),
            (0x1800, "two bits of the second digit"),
            (0xC00, "bits either side of the first digit's end"),
            (1 << 63, "the highest bit alone"),
            (0xFF80_0000_0000_0000, "the top digit"),
            (0xF000_0000_000F_F000, "bits at both ends"),
        ]
        for (mask, name) in cases {
            expectSortsAsTheStandardLibrary(
                words(5000, mask: mask, fixed: 0x0123_4567_0000_0000 & ~mask, seed: mask), "\(name)")
        }
    }

    /// Many equal words (few values), already in order, in reverse order, and all the same.
    @Test func equalAndOrderedWords() {
        let few = words(10_000, mask: 0x7, fixed: 1 << 40, seed: 3)
        expectSortsAsTheStandardLibrary(few, "eight values")
        let ascending = words(3000, mask: ~0, seed: 4).sorted()
        expectSortsAsTheStandardLibrary(ascending, "ascending")
        expectSortsAsTheStandardLibrary(ascending.reversed(), "descending")
        expectSortsAsTheStandardLibrary([UInt64](repeating: 42, count: 1000), "one value")
    }

    /// Two words a key (`radixSort(wordCount:word:)`, as the text ranks sort their 16-byte
    /// prefixes): the first word the more significant, equal keys kept in their order.
    @Test func twoWordKeysSortAsTuples() {
        var generator = SplitMix64(seed: 21)
        let pairs = (0..<5000).map { index in
            (high: generator.next() % 40, low: generator.next() & 0xFFFF_0000_0000_00FF, index: index)
        }
        var sorted = pairs
        sorted.radixSort(wordCount: 2) { pair, word in word == 0 ? pair.high : pair.low }
        let expected = pairs.sorted { ($0.high, $0.low, $0.index) < ($1.high, $1.low, $1.index) }
        #expect(sorted.map(\.index) == expected.map(\.index))
    }

    /// Compute's one-word keys: year and month in the high bits, then ranks, then the group's index
    /// in the low bits (`PackedSortKeys`); each key once.
    @Test func keysShapedAsComputesAreEachKeptOnce() {
        var generator = SplitMix64(seed: 9)
        var keys: [UInt64] = []
        for index in 0..<40_000 {
            let month = 1 + generator.next() % 6
            let seller = generator.next() % 30_000
            let district = generator.next() % 12
            keys.append(2024 << 48 | month << 44 | seller << 24 | district << 17 | UInt64(index))
        }
        var sorted = keys
        sorted.radixSort()
        #expect(firstDifference(sorted, keys.sorted()) == nil)
        #expect(Set(sorted.map { $0 & 0x1_FFFF }).count == keys.count)
    }
}
