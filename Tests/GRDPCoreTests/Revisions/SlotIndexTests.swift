import Testing

@testable import GRDPCore

/// The transaction keys' index: a key finds the slot it was first given, through growth, however
/// many other keys share its bucket and its 4 bits of hash (the caller's `matches` decides).
@Suite struct SlotIndexTests {
    /// `hashes`: the real mix, or one that puts keys in 7 buckets with 2 fingerprints between them.
    @Test(arguments: [false, true])
    func findsEachKeysFirstSlot(crowded: Bool) {
        func hash(_ key: UInt64) -> UInt64 {
            crowded ? (key % 7) | (key % 2) << 60 : SlotIndex.hash(key, key >> 3)
        }
        var index = SlotIndex()
        var keys: [UInt64] = []
        let batches: [[UInt64]] = [
            Array(0..<20), Array(10..<1_000), (0..<3_000).map { $0 * 7 % 2_000 }, Array((0..<5_000).reversed()),
        ]
        for batch in batches {
            index.reserve(index.count + batch.count) { hash(keys[Int($0)]) }
            for key in batch {
                let known = keys.firstIndex(of: key)
                let found = index.findOrInsert(hash: hash(key), next: Int32(keys.count)) { keys[Int($0)] == key }
                if let known {
                    #expect(found.slot == Int32(known) && !found.inserted, "key \(key)")
                } else {
                    #expect(found.slot == Int32(keys.count) && found.inserted, "key \(key)")
                    keys.append(key)
                }
            }
        }
        #expect(index.count == 5_000 && keys.count == 5_000)
    }
}
