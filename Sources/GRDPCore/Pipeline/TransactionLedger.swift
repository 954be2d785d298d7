/// The current transactions of a run, kept small (CONTRACT §4.4: key (channel, transaction_id),
/// the later record wins). For each key it holds only what a replacement must take back out of the
/// sums: the record's group, its net amount and the member that held it; the groups hold the
/// sums Compute reads (`TransactionGroup`). Exact: no key or amount is hashed or rounded away.
///
/// About 40 bytes a key (a 16-byte key and a 24-byte slot, in a dictionary at most ¾ full) against
/// some 300 for a `TransactionRecord` with its strings in a `[String: …]` dictionary.
struct TransactionLedger {
    /// A transaction's identity without a `String` per key: the id's trailing digits (at most 18) as
    /// a number, and its stem — channel, the id's text before those digits, and how many digits
    /// there were (leading zeros count) — interned. Stem and digits give back the id, so two keys are
    /// equal exactly when channel and id are.
    struct Key: Hashable {
        var number: UInt64
        var stem: UInt32
    }

    private struct Stem: Hashable {
        var channel: String
        var prefix: [UInt8]
        var width: UInt8
    }

    /// What a key's current record contributes.
    private struct Slot {
        var group: Int32
        var member: Int32
        /// The net amount as `mantissa × 10^-scale`, or, when `scale` is negative, the index
        /// `~scale` of `wideNets`.
        var mantissa: Int64
        var scale: Int32
    }

    private var slots: [Key: Slot] = [:]
    private var stems: [Stem: UInt32] = [:]
    private var lastStem: (stem: Stem, id: UInt32)?
    private var groupIndex: [TransactionGroup.Key: Int32] = [:]
    private var groupKeys: [TransactionGroup.Key] = []
    private var groupCounts: [Int] = []
    private var groupNets: [ExactDecimal] = []
    /// Net amounts that do not fit an `Int64` mantissa (rare).
    private var wideNets: [ExactDecimal] = []

    /// Current keys.
    var count: Int { slots.count }

    /// Takes one accepted transaction of `member` (an index the caller keeps); returns the member of
    /// the record it replaced, if any.
    mutating func apply(_ transaction: TransactionRecord, member: Int32) throws(ArithmeticOverflow) -> Int32? {
        let net = try transaction.amountVND - transaction.refundVND
        let groupKey = TransactionGroup.Key(transaction)
        let group: Int32
        if let found = groupIndex[groupKey] {
            group = found
        } else {
            group = Int32(groupKeys.count)
            groupIndex[groupKey] = group
            groupKeys.append(groupKey)
            groupCounts.append(0)
            groupNets.append(.zero)
        }
        groupCounts[Int(group)] += 1
        groupNets[Int(group)] = try groupNets[Int(group)] + net

        var slot = Slot(group: group, member: member, mantissa: 0, scale: 0)
        if let mantissa = Int64(exactly: net.mantissa), net.scale <= Int(Int32.max) {
            slot.mantissa = mantissa
            slot.scale = Int32(net.scale)
        } else {
            slot.scale = ~Int32(wideNets.count)
            wideNets.append(net)
        }
        guard let old = slots.updateValue(slot, forKey: key(channel: transaction.channel, id: transaction.transactionID))
        else { return nil }
        let oldNet = old.scale >= 0 ? ExactDecimal(mantissa: Int128(old.mantissa), scale: Int(old.scale)) : wideNets[Int(~old.scale)]
        groupCounts[Int(old.group)] -= 1
        groupNets[Int(old.group)] = try groupNets[Int(old.group)] - oldNet
        return old.member
    }

    /// The groups of the current transactions (those still holding one), in first-seen order.
    var groups: [TransactionGroup] {
        groupKeys.indices.compactMap { index in
            groupCounts[index] > 0
                ? TransactionGroup(key: groupKeys[index], transactions: groupCounts[index], netVND: groupNets[index])
                : nil
        }
    }

    private mutating func key(channel: String, id: String) -> Key {
        var id = id
        return id.withUTF8 { bytes in
            var start = bytes.count
            var number: UInt64 = 0
            var power: UInt64 = 1
            while start > 0 && bytes.count - start < 18 {
                let digit = bytes[start - 1] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                number += UInt64(digit) * power
                power &*= 10
                start -= 1
            }
            let width = UInt8(bytes.count - start)
            let prefix = UnsafeBufferPointer(rebasing: bytes[0..<start])
            if let last = lastStem, last.stem.width == width, last.stem.channel == channel,
                last.stem.prefix.elementsEqual(prefix)
            {
                return Key(number: number, stem: last.id)
            }
            let stem = Stem(channel: channel, prefix: Array(prefix), width: width)
            let id: UInt32
            if let found = stems[stem] {
                id = found
            } else {
                id = UInt32(stems.count)
                stems[stem] = id
            }
            lastStem = (stem, id)
            return Key(number: number, stem: id)
        }
    }
}
