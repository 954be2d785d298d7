/// A set of group indices, a bit each (at 10 M transactions, 360 KB for 2.9 M groups): a night's
/// archives mark a group for each of their rows, ~100,000 at a time. The revision ledger marks its
/// keys' slots in one too (`TransactionLedger.markedSlots`).
struct GroupMarks {
    private var words: [UInt64] = []

    mutating func insert(_ index: Int) {
        let word = index >> 6
        if word >= words.count { words += repeatElement(0, count: max(word + 1 - words.count, words.count)) }
        words[word] |= 1 << UInt64(index & 63)
    }

    /// The indices in the set, ascending.
    var members: [Int] {
        var result: [Int] = []
        for (at, word) in words.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                result.append(at << 6 | bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return result
    }
}
