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

    /// Slots taken out (`remove`): every other key then finds its slot as numbered once the removed
    /// ones are gone from the keys, a removed key finds none, and new keys go on from the count;
    /// whether the keys' runs are spread, crowded into 7 buckets, or wrap past the table's end.
    @Test(arguments: ["spread", "crowded", "wrapping"])
    func removedSlotsAreGoneAndTheOthersRenumbered(layout: String) {
        func hash(_ key: UInt64) -> UInt64 {
            switch layout {
            case "crowded": (key % 7) | (key % 2) << 60
            case "wrapping": UInt64.max - key % 7
            default: SlotIndex.hash(key, key >> 3)
            }
        }
        let removals: [(String, (Int) -> Bool)] = [
            ("none", { _ in false }), ("the first", { $0 == 0 }), ("the last", { $0 == 2_999 }),
            ("every other", { $0 % 2 == 0 }), ("a run", { (1_000..<1_400).contains($0) }),
            ("scattered", { $0 * 7_919 % 10 < 3 }), ("all", { _ in true }),
        ]
        for (name, isRemoved) in removals {
            var index = SlotIndex()
            var keys = (0..<3_000).map { UInt64($0) * 13 + 5 }
            index.reserve(keys.count) { _ in 0 }
            for (slot, key) in keys.enumerated() {
                _ = index.findOrInsert(hash: hash(key), next: Int32(slot)) { keys[Int($0)] == key }
            }
            let removed = keys.indices.filter(isRemoved).map(Int32.init)
            let gone = Set(removed.map { keys[Int($0)] })
            let taken = index.remove(slots: removed) { hash(keys[Int($0)]) }
            #expect(taken, "\(name)")
            keys.removeAll { gone.contains($0) }
            #expect(index.count == keys.count, "\(name)")
            for (slot, key) in keys.enumerated() {
                #expect(index.find(hash: hash(key)) { keys[Int($0)] == key } == Int32(slot), "\(name): key \(key)")
            }
            for key in gone {
                #expect(index.find(hash: hash(key)) { keys[Int($0)] == key } == nil, "\(name): removed \(key)")
            }
            // Added again after the others, with the next numbers.
            for key in gone.sorted() {
                index.reserve(keys.count + 1) { hash(keys[Int($0)]) }
                let found = index.findOrInsert(hash: hash(key), next: Int32(keys.count)) { keys[Int($0)] == key }
                #expect(found.inserted && found.slot == Int32(keys.count), "\(name): added \(key)")
                keys.append(key)
            }
        }
    }

    /// Removals it cannot make: out of order, repeated, past the count, or not in the index.
    @Test func removalsThatDoNotFitAreRefused() {
        var index = SlotIndex()
        index.reserve(10) { _ in 0 }
        for slot in 0..<10 {
            _ = index.findOrInsert(hash: SlotIndex.hash(UInt64(slot), 0), next: Int32(slot)) { _ in false }
        }
        let hashOf: (Int32) -> UInt64 = { SlotIndex.hash(UInt64($0), 0) }
        for refused: [Int32] in [[3, 2], [2, 2], [10], [-1]] {
            let taken = index.remove(slots: refused, hashOf: hashOf)
            #expect(!taken, "\(refused)")
        }
        let none = index.remove(slots: [], hashOf: hashOf)
        #expect(none && index.count == 10)
        // One slot, in bucket 1 of 16; a hash that leads to bucket 9, empty.
        var single = SlotIndex()
        _ = single.findOrInsert(hash: 1, next: 0) { _ in false }
        let misled = single.remove(slots: [0]) { _ in 9 }
        #expect(!misled && single.count == 1)
        let taken = single.remove(slots: [0]) { _ in 1 }
        #expect(taken && single.count == 0 && single.find(hash: 1) { _ in true } == nil)
    }
}
