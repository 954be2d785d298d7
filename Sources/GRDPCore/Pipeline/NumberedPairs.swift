internal import CMemory

/// Pairs of 64-bit words numbered 0, 1, 2… in the order first met: the revision ledger's group
/// keys → group index. The keys are kept once, densely, in number order, and the hash table holds
/// only their 4-byte numbers (`-1` empty; linear probing, at most half full): at 10 M transactions
/// (2.9 M groups) 32 MiB of table and 44 MiB of keys, where 24-byte buckets holding the keys took
/// 192 MiB.
///
/// The price is a second memory access per occupied bucket probed (the key behind a number):
/// `prefetch` asks for the table's bucket, `prefetchKey` for the key it holds, some rows apart.
struct NumberedPairs {
    private var keys: [Pair] = []
    private var table: [Int32]
    private var mask: Int

    private struct Pair: Equatable {
        var a: UInt64
        var b: UInt64
    }

    /// Numbers given so far.
    var count: Int { keys.count }

    /// Room for `capacity` pairs before the table grows.
    init(capacity: Int = 16) {
        let size = NumberedPairs.tableSize(for: capacity)
        table = Array(repeating: -1, count: size)
        mask = size - 1
        keys.reserveCapacity(capacity)
    }

    private static func tableSize(for count: Int) -> Int {
        var size = 16
        while size < count * 2 { size <<= 1 }
        return size
    }

    @inline(__always)
    private static func bucket(_ a: UInt64, _ b: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: SlotIndex.hash(a, b)) & mask
    }

    /// The number of `(a, b)`, giving it the next one (`count`) when first met.
    @inline(__always)
    mutating func number(_ a: UInt64, _ b: UInt64) -> (number: Int32, inserted: Bool) {
        if (keys.count + 1) * 2 > table.count { grow() }
        let mask = self.mask
        var index = NumberedPairs.bucket(a, b, mask: mask)
        let key = Pair(a: a, b: b)
        let found: Int32? = keys.withUnsafeBufferPointer { keys in
            table.withUnsafeBufferPointer { table in
                while true {
                    let number = table[index]
                    if number < 0 { return nil }
                    if keys[Int(number)] == key { return number }
                    index = (index + 1) & mask
                }
            }
        }
        if let found { return (found, false) }
        precondition(keys.count < Int(Int32.max), "more than 2^31 - 1 pairs")
        let number = Int32(keys.count)
        keys.append(key)
        table[index] = number
        return (number, true)
    }

    /// Asks the memory system for the bucket where a probe for `(a, b)` starts, without waiting.
    /// Only a hint: it changes no state.
    @inline(__always)
    func prefetch(_ a: UInt64, _ b: UInt64) {
        let index = NumberedPairs.bucket(a, b, mask: mask)
        table.withUnsafeBufferPointer { grdp_prefetch_for_write($0.baseAddress! + index) }
    }

    /// Asks for the key held in the bucket where a probe for `(a, b)` starts, if any: call it a
    /// few rows after `prefetch`, once that bucket is likely in cache. Only a hint.
    @inline(__always)
    func prefetchKey(_ a: UInt64, _ b: UInt64) {
        let number = table[NumberedPairs.bucket(a, b, mask: mask)]
        if number >= 0 {
            keys.withUnsafeBufferPointer { grdp_prefetch_for_write($0.baseAddress! + Int(number)) }
        }
    }

    private mutating func grow() {
        let size = table.count * 2
        table = Array(repeating: -1, count: size)
        mask = size - 1
        let mask = self.mask
        keys.withUnsafeBufferPointer { keys in
            table.withUnsafeMutableBufferPointer { table in
                for (number, key) in keys.enumerated() {
                    var index = NumberedPairs.bucket(key.a, key.b, mask: mask)
                    while table[index] >= 0 { index = (index + 1) & mask }
                    table[index] = Int32(number)
                }
            }
        }
    }
}
