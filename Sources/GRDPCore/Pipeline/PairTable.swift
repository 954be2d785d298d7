internal import CMemory

/// An open-addressing hash table from a pair of words (64 bits and `Second`) to a 32-bit index:
/// the revision ledger's map from a transaction key (number, stem: `UInt32`, 16-byte buckets) to its
/// slot. (Its group keys, fewer and twice as wide, are in `NumberedPairs`.) Linear probing, at most ⅝ full,
/// a multiply-xorshift mix instead of `Hasher` (SipHash): these keys are small integers built by
/// the ledger itself, and a row costs one probe or two.
struct PairTable<Second: FixedWidthInteger & UnsignedInteger> {
    /// A key and its value side by side: a probe touches one cache line, not three arrays (at 10 M
    /// keys the table is far larger than the caches, and every row probes it).
    private struct Bucket {
        var first: UInt64
        var second: Second
        /// The index stored, or -1 when the bucket is empty.
        var value: Int32
    }

    private var buckets: [Bucket]
    private var mask: Int
    private(set) var count = 0

    private static var empty: Bucket { Bucket(first: 0, second: 0, value: -1) }

    init(capacity: Int = 16) {
        var size = 16
        while size * 5 < capacity * 8 { size <<= 1 }
        buckets = Array(repeating: PairTable.empty, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func bucket(_ a: UInt64, _ second: Second, mask: Int) -> Int {
        let b = UInt64(second)
        var h = a &* 0x9E37_79B9_7F4A_7C15 ^ (b &+ 0x632B_E59B_D9B4_E019) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 31
        h = h &* 0x94D0_49BB_1331_11EB
        h ^= h >> 29
        return Int(truncatingIfNeeded: h) & mask
    }

    /// The value stored for `(a, b)`, or, when there is none, stores `make()` and returns it with
    /// `inserted` true.
    @inline(__always)
    mutating func findOrInsert(_ a: UInt64, _ b: Second, _ make: () -> Int32) -> (value: Int32, inserted: Bool) {
        if (count + 1) * 8 > buckets.count * 5 { grow() }
        let mask = self.mask
        var index = PairTable.bucket(a, b, mask: mask)
        let result: (value: Int32, inserted: Bool) = buckets.withUnsafeMutableBufferPointer { table in
            while true {
                let found = table[index]
                if found.value < 0 {
                    let made = make()
                    table[index] = Bucket(first: a, second: b, value: made)
                    return (made, true)
                }
                if found.first == a && found.second == b { return (found.value, false) }
                index = (index + 1) & mask
            }
        }
        if result.inserted { count += 1 }
        return result
    }

    /// Asks the memory system for the bucket where a probe for `(a, b)` starts, without waiting
    /// for it. Only a hint: it changes no state and is harmless if the table grows meanwhile.
    @inline(__always)
    func prefetch(_ a: UInt64, _ b: Second) {
        let index = PairTable.bucket(a, b, mask: mask)
        buckets.withUnsafeBufferPointer { grdp_prefetch_for_write($0.baseAddress! + index) }
    }

    /// The value stored for `(a, b)`, if any.
    @inline(__always)
    func find(_ a: UInt64, _ b: Second) -> Int32? {
        var index = PairTable.bucket(a, b, mask: mask)
        return buckets.withUnsafeBufferPointer { table in
            while true {
                let found = table[index]
                if found.value < 0 { return nil }
                if found.first == a && found.second == b { return found.value }
                index = (index + 1) & mask
            }
        }
    }

    /// Room for `total` entries without growing again.
    mutating func reserve(_ total: Int) {
        while total * 8 > buckets.count * 5 { grow() }
    }

    private mutating func grow() {
        let old = buckets
        let size = old.count * 2
        buckets = Array(repeating: PairTable.empty, count: size)
        mask = size - 1
        let mask = self.mask
        buckets.withUnsafeMutableBufferPointer { table in
            for bucket in old where bucket.value >= 0 {
                var index = PairTable.bucket(bucket.first, bucket.second, mask: mask)
                while table[index].value >= 0 { index = (index + 1) & mask }
                table[index] = bucket
            }
        }
    }
}
