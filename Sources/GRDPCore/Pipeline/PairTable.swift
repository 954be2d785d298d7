/// An open-addressing hash table from a pair of 64-bit words to a 32-bit index: the revision
/// ledger's maps from a transaction key or a group key to its slot. Linear probing, at most ⅝ full,
/// a multiply-xorshift mix instead of `Hasher` (SipHash): these keys are small integers built by
/// the ledger itself, and a row costs one probe or two.
struct PairTable {
    private var first: [UInt64]
    private var second: [UInt64]
    /// The index stored for a bucket, or -1 when it is empty.
    private var values: [Int32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        var buckets = 16
        while buckets * 5 < capacity * 8 { buckets <<= 1 }
        first = Array(repeating: 0, count: buckets)
        second = Array(repeating: 0, count: buckets)
        values = Array(repeating: -1, count: buckets)
        mask = buckets - 1
    }

    @inline(__always)
    private static func bucket(_ a: UInt64, _ b: UInt64, mask: Int) -> Int {
        var h = a &* 0x9E37_79B9_7F4A_7C15 ^ (b &+ 0x632B_E59B_D9B4_E019) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 31
        h = h &* 0x94D0_49BB_1331_11EB
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The value stored for `(a, b)`, or, when there is none, stores `make()` and returns it with
    /// `inserted` true.
    @inline(__always)
    mutating func findOrInsert(_ a: UInt64, _ b: UInt64, _ make: () -> Int32) -> (value: Int32, inserted: Bool) {
        if (count + 1) * 8 > values.count * 5 { grow() }
        var index = PairTable.bucket(a, b, mask: mask)
        while true {
            let value = values[index]
            if value < 0 {
                let made = make()
                first[index] = a
                second[index] = b
                values[index] = made
                count += 1
                return (made, true)
            }
            if first[index] == a && second[index] == b { return (value, false) }
            index = (index + 1) & mask
        }
    }

    /// Room for `total` entries without growing again.
    mutating func reserve(_ total: Int) {
        while total * 8 > values.count * 5 { grow() }
    }

    private mutating func grow() {
        let oldFirst = first
        let oldSecond = second
        let oldValues = values
        let buckets = values.count * 2
        first = Array(repeating: 0, count: buckets)
        second = Array(repeating: 0, count: buckets)
        values = Array(repeating: -1, count: buckets)
        mask = buckets - 1
        for old in oldValues.indices where oldValues[old] >= 0 {
            var index = PairTable.bucket(oldFirst[old], oldSecond[old], mask: mask)
            while values[index] >= 0 { index = (index + 1) & mask }
            first[index] = oldFirst[old]
            second[index] = oldSecond[old]
            values[index] = oldValues[old]
        }
    }
}
