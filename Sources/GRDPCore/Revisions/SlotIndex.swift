internal import CMemory

/// An open-addressing index of slots the caller numbers and keeps (0, 1, 2…, each with its key in
/// the caller's arrays), found by a 64-bit hash of the key the caller computes: the revision
/// ledger's transaction keys → slot. 4 bytes a bucket, at most ⅝ full: at 10 M transactions
/// (8.8 M keys) 64 MiB, where buckets holding the keys themselves took 256 MiB.
///
/// Slots are numbered in the order they are stored (`next` is always `count`).
///
/// A bucket holds the slot + 1 in its low 28 bits (0: empty) and 4 bits of the key's hash above,
/// so that a probe past another key's bucket reads that key (a miss to memory at this size) only
/// one time in 16. Linear probing: a probe's buckets share a cache line, mostly.
struct SlotIndex {
    private var table: PlainArray<UInt32>
    private var mask: Int
    private(set) var count = 0

    /// Slots are 28-bit numbers.
    static let maxCount = (1 << 28) - 1
    private static let slotBits: UInt32 = (1 << 28) - 1

    /// Room for `capacity` slots before it must grow.
    init(capacity: Int = 16) {
        let size = SlotIndex.tableSize(for: min(max(capacity, 0), SlotIndex.maxCount))
        table = PlainArray(repeating: 0, count: size)
        mask = size - 1
    }

    private static func tableSize(for count: Int) -> Int {
        var size = 16
        while size * 5 < count * 8 { size <<= 1 }
        return size
    }

    /// The hash the index is probed with: a multiply-xorshift mix of the key's two words (the
    /// keys are small integers made by the ledger; SipHash would cost more than the probe).
    @inline(__always)
    static func hash(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var h = a &* 0x9E37_79B9_7F4A_7C15 ^ (b &+ 0x632B_E59B_D9B4_E019) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 31
        h = h &* 0x94D0_49BB_1331_11EB
        h ^= h >> 29
        return h
    }

    @inline(__always)
    private static func fingerprint(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash >> 60) << 28 }

    /// The slot whose key `matches` says is this one (asked only of slots whose bucket and 4 bits
    /// agree with `hash`), or, when there is none, `next` stored with `inserted` true. The caller
    /// stores `next`'s key before its next probe. Room must have been made (`reserve`).
    @inline(__always)
    mutating func findOrInsert(hash: UInt64, next: Int32, matches: (Int32) -> Bool) -> (
        slot: Int32, inserted: Bool
    ) {
        let probe = probe(hash: hash, matches: matches)
        if let found = probe.found { return (found, false) }
        precondition(
            (count + 1) * 8 <= table.count * 5 && Int(next) == count, "no room reserved, or a slot out of order")
        table[probe.empty] = SlotIndex.fingerprint(hash) | (UInt32(next) + 1)
        count += 1
        return (next, true)
    }

    /// Slots the index holds before it must grow (`reserve`).
    var capacity: Int { table.count * 5 / 8 }

    /// The slot in the bucket where a probe for `hash` starts, when its 4 bits agree: the likely
    /// answer, for asking the memory system for its key ahead of the probe. Only a hint.
    @inline(__always)
    func likelySlot(hash: UInt64) -> Int32? {
        let bucket = table[Int(truncatingIfNeeded: hash) & mask]
        guard bucket != 0, bucket & ~SlotIndex.slotBits == SlotIndex.fingerprint(hash) else { return nil }
        return Int32(bucket & SlotIndex.slotBits) - 1
    }

    /// Asks the memory system for the bucket where a probe for `hash` starts, without waiting.
    /// Only a hint: it changes no state and is harmless if the index grows meanwhile.
    @inline(__always)
    func prefetch(hash: UInt64) {
        let index = Int(truncatingIfNeeded: hash) & mask
        table.withUnsafeBufferPointer { grdp_prefetch_for_write($0.baseAddress! + index) }
    }

    /// The slot whose key `matches` says is this one, if any; never inserts.
    @inline(__always)
    func find(hash: UInt64, matches: (Int32) -> Bool) -> Int32? {
        probe(hash: hash, matches: matches).found
    }

    /// The slot found, or nil and the empty bucket where the probe ended.
    @inline(__always)
    private func probe(hash: UInt64, matches: (Int32) -> Bool) -> (found: Int32?, empty: Int) {
        let print = SlotIndex.fingerprint(hash)
        var index = Int(truncatingIfNeeded: hash) & mask
        return table.withUnsafeBufferPointer { table in
            while true {
                let bucket = table[index]
                if bucket == 0 { return (nil, index) }
                if bucket & ~SlotIndex.slotBits == print {
                    let slot = Int32(bucket & SlotIndex.slotBits) - 1
                    if matches(slot) { return (slot, index) }
                }
                index = (index + 1) & mask
            }
        }
    }

    /// Room for `total` slots (at most `maxCount`) without growing; `hashOf` gives the hash of a
    /// slot already stored (asked of slots 0, 1, 2… in order: the caller's keys are read front to back).
    mutating func reserve(_ total: Int, hashOf: (Int32) -> UInt64) {
        let size = SlotIndex.tableSize(for: min(total, SlotIndex.maxCount))
        guard size > table.count else { return }
        table = PlainArray(repeating: 0, count: size)
        mask = size - 1
        let mask = self.mask
        table.withUnsafeMutableBufferPointer { table in
            for slot in 0..<Int32(count) {
                let hash = hashOf(slot)
                var index = Int(truncatingIfNeeded: hash) & mask
                while table[index] != 0 { index = (index + 1) & mask }
                table[index] = SlotIndex.fingerprint(hash) | (UInt32(slot) + 1)
            }
        }
    }

    /// Takes the slots `removed` (ascending, each once, each below `count`) out, and numbers the
    /// others again as the caller's arrays number them once the same entries are taken out of
    /// them: a slot becomes itself less the removed slots below it. `hashOf` gives the hash of a
    /// slot as numbered before (its key still where it was).
    ///
    /// No bucket is made again from its key but those that follow a removed one in its run: each
    /// removed bucket is emptied and the run's later buckets moved back into it when their probe
    /// starts at or before it (linear probing's deletion), then every bucket's slot renumbered.
    /// At 10 M transactions a night's kept groups of 2024 (791,000) were indexed again whole,
    /// ~0.04 s of one core (perf), when any group was emptied.
    ///
    /// False when a removed slot is not in the index, out of order or past `count` (the index is
    /// then not to be used).
    mutating func remove(slots removed: [Int32], hashOf: (Int32) -> UInt64) -> Bool {
        guard !removed.isEmpty else { return true }
        guard removed.first! >= 0, removed.last! < Int32(count),
            zip(removed, removed.dropFirst()).allSatisfy({ $0 < $1 })
        else { return false }
        let mask = self.mask
        let slotBits = SlotIndex.slotBits
        let found = table.withUnsafeMutableBufferPointer { table -> Bool in
            for slot in removed {
                var hole = Int(truncatingIfNeeded: hashOf(slot)) & mask
                let stored = UInt32(slot) + 1
                // Its bucket: the first from its probe's start that names it.
                while table[hole] & slotBits != stored {
                    if table[hole] == 0 { return false }
                    hole = (hole + 1) & mask
                }
                var next = hole
                while true {
                    next = (next + 1) & mask
                    let bucket = table[next]
                    if bucket == 0 { break }
                    // Moved back when its probe starts at or before the hole (cyclically): it is
                    // then no farther from its start than before, and no empty bucket lies between.
                    let start = Int(truncatingIfNeeded: hashOf(Int32(bucket & slotBits) - 1)) & mask
                    if (next - start) & mask >= (next - hole) & mask {
                        table[hole] = bucket
                        hole = next
                    }
                }
                table[hole] = 0
            }
            return true
        }
        guard found else { return false }
        // Each slot's count of removed slots below it, taken away.
        var below = [UInt32](repeating: 0, count: count + 1)
        var seen: UInt32 = 0
        var position = 0
        for slot in 0...count {
            while position < removed.count, Int(removed[position]) < slot {
                seen += 1
                position += 1
            }
            below[slot] = seen
        }
        below.withUnsafeBufferPointer { below in
            table.withUnsafeMutableBufferPointer { table in
                for index in table.indices where table[index] != 0 {
                    let bucket = table[index]
                    table[index] = bucket - below[Int(bucket & slotBits) - 1]
                }
            }
        }
        count -= removed.count
        return true
    }
}

extension SlotIndex {
    /// For the ledger state (`LedgerStateFile`): the buckets as they are, not rebuilt when read.
    func write(to writer: inout LedgerStateWriter) throws(OutputWriteError) {
        try writer.array(table)
        try writer.int(count)
    }

    init(reading reader: inout LedgerStateReader) throws {
        table = try reader.plainArray(UInt32.self, mapping: false)
        count = try reader.int()
        // (The count bounded by division: a damaged one times 8 may overflow.)
        guard table.count >= 16, table.count & (table.count - 1) == 0, count >= 0, count <= table.count * 5 / 8
        else { throw LedgerStateReader.Malformed() }
        // Every bucket empty or naming a slot below the count (the caller reads its keys by
        // slot), and as many named as the count: with the table at most ⅝ full, a probe then always
        // meets an empty bucket.
        let slots = UInt32(count)
        let named = table.withUnsafeBufferPointer { table in
            var named = 0
            for bucket in table where bucket != 0 {
                let slot = bucket & SlotIndex.slotBits
                guard slot >= 1, slot <= slots else { return -1 }
                named += 1
            }
            return named
        }
        guard named == count else { throw LedgerStateReader.Malformed() }
        mask = table.count - 1
    }
}
