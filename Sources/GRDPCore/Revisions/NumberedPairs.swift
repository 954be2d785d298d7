internal import CMemory

/// Pairs of 64-bit words numbered 0, 1, 2… in the order first met: the revision ledger's group
/// keys → group index. The keys are kept once, densely, in number order, and found by a
/// `SlotIndex` of their numbers: at 10 M transactions (2.9 M groups) 32 MiB of index and 44 MiB
/// of keys, where 24-byte buckets holding the keys took 192 MiB.
///
/// The price is a second memory access per probe that finds a number (the key behind it):
/// `prefetch` asks for the index's bucket, `prefetchKey` for the key it likely holds, some rows
/// apart.
struct NumberedPairs {
    private var keys: PlainArray<Pair> = []
    private var index: SlotIndex

    private struct Pair: Equatable {
        var a: UInt64
        var b: UInt64
    }

    /// Numbers given so far.
    var count: Int { keys.count }

    /// Room for `capacity` pairs before the index grows.
    init(capacity: Int = 16) {
        index = SlotIndex(capacity: capacity)
        keys.reserveCapacity(capacity)
    }

    /// The number of `(a, b)`, giving it the next one (`count`) when first met.
    @inline(__always)
    mutating func number(_ a: UInt64, _ b: UInt64) -> (number: Int32, inserted: Bool) {
        if keys.count == index.capacity {
            index.reserve(2 * (keys.count + 1)) { [keys] in SlotIndex.hash(keys[Int($0)].a, keys[Int($0)].b) }
        }
        let key = Pair(a: a, b: b)
        let found = index.findOrInsert(hash: SlotIndex.hash(a, b), next: Int32(keys.count)) { keys[Int($0)] == key }
        if found.inserted { keys.append(key) }
        return (found.slot, found.inserted)
    }

    /// Asks the memory system for the bucket where a probe for `(a, b)` starts, without waiting.
    /// Only a hint: it changes no state.
    @inline(__always)
    func prefetch(_ a: UInt64, _ b: UInt64) {
        index.prefetch(hash: SlotIndex.hash(a, b))
    }

    /// Asks for the key likely held in the bucket where a probe for `(a, b)` starts: call it a few
    /// rows after `prefetch`, once that bucket is likely in cache. Only a hint.
    @inline(__always)
    func prefetchKey(_ a: UInt64, _ b: UInt64) {
        if let number = index.likelySlot(hash: SlotIndex.hash(a, b)) {
            keys.withUnsafeBufferPointer { grdp_prefetch_for_write($0.baseAddress! + Int(number)) }
        }
    }
}

extension NumberedPairs {
    /// For the ledger state (`LedgerStateFile`).
    func write(to writer: inout LedgerStateWriter) throws(OutputWriteError) {
        try writer.array(keys)
        try index.write(to: &writer)
    }

    init(reading reader: inout LedgerStateReader) throws {
        keys = try reader.plainArray(Pair.self, growing: true)
        index = try SlotIndex(reading: &reader)
        guard index.count == keys.count else { throw LedgerStateReader.Malformed() }
    }
}
