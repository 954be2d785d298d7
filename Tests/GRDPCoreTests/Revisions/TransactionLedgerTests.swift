import Foundation
import Testing

@testable import GRDPCore

/// The transaction ledger on its own: the later record of a key wins, wherever it falls, and
/// neither the size it is given at the start (`LedgerSize`, a capacity) nor where rows fall
/// against its look-ahead changes a sum.
@Suite struct TransactionLedgerTests {
    private static func record(
        _ id: String, year: Int = 2024, month: Int, amount: Int, status: TransactionStatus = .completed,
        seller: String
    ) -> TransactionRecord {
        TransactionRecord(
            transactionID: id, year: year, month: month, amountVND: ExactDecimal(amount),
            refundVND: ExactDecimal(mantissa: 5, scale: 1), status: status, channel: "marketplace",
            sellerTaxCode: seller, sellerDistrictCode: "660")
    }

    /// Three members: 1,000 orders over 40 sellers; then every third one sent again to another
    /// month and seller (and the odd ones cancelled); then every seventh once more, back.
    private static let members: [[TransactionRecord]] = {
        let first = (0..<1000).map {
            record("ORD-\($0)", month: 1 + $0 % 12, amount: 1000 + $0, seller: "01\($0 % 40)")
        }
        let second = stride(from: 0, to: 1000, by: 3).map {
            record(
                "ORD-\($0)", month: 12 - $0 % 12, amount: 2000 + $0, status: $0 % 2 == 1 ? .cancelled : .completed,
                seller: "02\($0 % 7)")
        }
        let third = stride(from: 0, to: 1000, by: 7).map { record("ORD-\($0)", month: 1, amount: 7, seller: "0101") }
        return [first, second, third]
    }()

    /// Per group (channel, seller, district, year, month, status): transactions and net; and per
    /// member (its index in `members`), the records superseded. `order` is the order the members
    /// come in, each ranked by its index in `members`.
    private static func run(
        _ size: LedgerSize?, order: [Int] = [0, 1, 2], members: [[TransactionRecord]] = members,
        keepingYears years: Set<Int>? = nil, passes: TransactionLedger.Passes = .init()
    ) throws -> (groups: [String: String], superseded: [Int32: Int]) {
        var ledger =
            size.map { TransactionLedger(expecting: $0, keepingYears: years, passes: passes) }
            ?? TransactionLedger(keepingYears: years, passes: passes)
        var superseded: [Int32: Int] = [:]
        for (arrival, index) in order.enumerated() {
            var batch = TransactionBatch()
            for record in members[index] { batch.append(record) }
            try ledger.apply(batch, member: Int32(arrival), rank: Int32(index)) {
                superseded[Int32(order[Int($0)]), default: 0] += 1
            }
        }
        #expect(ledger.count == Set(members.joined().map(\.transactionID)).count)
        let table = ledger.takeCurrentGroups()
        let groups = table.sumsByKey
        // Each group once.
        #expect(groups.count == table.groups.count)
        return (groups, superseded)
    }

    @Test func theLaterRecordWinsWhateverTheStartingSize() throws {
        let plain = try Self.run(nil)
        // 334 sent again in the second member, 143 in the third: 48 of those (multiples of 21)
        // replace the second member's record, the other 95 the first's.
        #expect(plain.superseded == [0: 334 + 95, 1: 48])
        #expect(plain.groups.values.reduce(0) { $0 + Int($1.split(separator: " ")[0])! } == 1000)
        // Seller 0101 in January: the third member's 143 orders of 7 − 0.5 VND, and nothing else.
        let completed = TransactionStatus.allCases.firstIndex(of: .completed)!
        #expect(plain.groups["marketplace 0101 660 2024-1 \(completed)"] == "143 929.5")
        for size in [
            LedgerSize(transactionKeys: 0, transactionGroups: 0), LedgerSize(transactionKeys: 1, transactionGroups: 1),
            LedgerSize(transactionKeys: 1000, transactionGroups: 200),
            LedgerSize(transactionKeys: 1_000_000, transactionGroups: 300_000),
            LedgerSize(transactionKeys: 1000, transactionGroups: 200, texts: 0),
            LedgerSize(transactionKeys: 1000, transactionGroups: 200, texts: 45),
            LedgerSize(transactionKeys: 1000, transactionGroups: 200, texts: 500_000),
            LedgerSize(transactionKeys: -5, transactionGroups: 7),
        ] {
            let sized = try Self.run(size)
            #expect(sized.groups == plain.groups, "\(size)")
            #expect(sized.superseded == plain.superseded, "\(size)")
        }
    }

    /// The ingest hands archives over largest first, not in revision order: whatever order the
    /// members come in, each ranked by its revision position, the sums and the superseded counts
    /// are those of revision order.
    @Test(arguments: [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
    func anyArrivalOrderGivesTheSumsOfRevisionOrder(order: [Int]) throws {
        let inOrder = try Self.run(nil)
        let arrived = try Self.run(nil, order: order)
        #expect(arrived.groups == inOrder.groups)
        #expect(arrived.superseded == inOrder.superseded)
    }

    /// A large batch's groups are found on a second thread, a chunk of rows ahead of its keys:
    /// wherever the chunks end (every row, an odd stride, past the member's end), with every year
    /// kept or one, in any arrival order, the sums and superseded counts are those of one pass
    /// after the other on one thread.
    @Test(arguments: [1, 7, 16, 333, 5000])
    func groupsFoundOnASecondThreadGiveTheSumsOfOnePassAfterTheOther(chunkRows: Int) throws {
        let twoThreads = TransactionLedger.Passes(parallelFrom: 1, chunkRows: chunkRows)
        let oneThread = TransactionLedger.Passes(parallelFrom: .max, chunkRows: chunkRows)
        let first = (0..<900).map {
            Self.record("ORD-\($0)", year: 2023 + $0 % 2, month: 1 + $0 % 12, amount: 300 + $0, seller: "05\($0 % 11)")
        }
        let second = stride(from: 0, to: 900, by: 5).map {
            Self.record("ORD-\($0)", year: 2024, month: 3, amount: 40 + $0, seller: "06\($0 % 3)")
        }
        let members = Self.members + [first, second]
        for years in [nil, [2024]] as [Set<Int>?] {
            for order in [[0, 1, 2, 3, 4], [4, 2, 0, 3, 1]] {
                let expected = try Self.run(nil, order: order, members: members, keepingYears: years, passes: oneThread)
                let threaded = try Self.run(
                    nil, order: order, members: members, keepingYears: years, passes: twoThreads)
                #expect(threaded.groups == expected.groups, "\(order) \(years ?? [])")
                #expect(threaded.superseded == expected.superseded, "\(order) \(years ?? [])")
                #expect(!expected.groups.isEmpty && !expected.superseded.isEmpty)
            }
        }
    }

    /// `run --year` keeps one year's groups, yet follows every key: orders moved between 2023
    /// and 2024 by later members leave or join the kept year, and every superseded record is
    /// counted, as in a run that keeps every year.
    @Test(arguments: [2023, 2024])
    func keepingOneYearGivesThatYearsSumsOfAFullRun(year: Int) throws {
        let first = (0..<600).map {
            Self.record(
                "ORD-\($0)", year: $0 % 3 == 0 ? 2024 : 2023, month: 1 + $0 % 12, amount: 500 + $0,
                seller: "03\($0 % 9)")
        }
        let second = stride(from: 0, to: 600, by: 4).map {
            Self.record("ORD-\($0)", year: $0 % 3 == 0 ? 2023 : 2024, month: 6, amount: 70 + $0, seller: "04\($0 % 5)")
        }
        let third = stride(from: 0, to: 600, by: 10).map {
            Self.record("ORD-\($0)", year: 2024, month: 12, amount: 9, seller: "0101")
        }
        let members = [first, second, third]
        let all = try Self.run(nil, members: members)
        let thatYear = all.groups.filter { $0.key.contains(" \(year)-") }
        #expect(!thatYear.isEmpty && thatYear.count < all.groups.count)
        for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2]] {
            let kept = try Self.run(nil, order: order, members: members, keepingYears: [year])
            #expect(kept.groups == thatYear, "\(order)")
            #expect(kept.superseded == all.superseded, "\(order)")
        }
    }

    /// The size kept in `last-run.json` is used only when it fits that run's own counts, and never
    /// beyond one key per 8 bytes of the archives now.
    @Test func aKeptSizeIsUsedOnlyWhenPlausible() throws {
        var member = GRDPCore.MemberResult(path: "transactions.csv", kind: .transaction)
        member.rowsAccepted = 1000
        let archive = ArchiveOutcome(
            relativePath: "a.tar.gz", sha256: "", bytes: 1, status: .accepted, members: [member], skipped: [])
        func hint(_ keys: Int, _ groups: Int, texts: Int? = nil, inputBytes: Int64 = 1 << 20) -> LedgerSize? {
            RunCache(
                fingerprint: "", snapshotVersion: 1, contentSHA256: "",
                ingest: DeferredIngest(
                    IngestResult(archives: [archive], ignoredFiles: [], unpackSeconds: 0, normalizeSeconds: 0)),
                ledger: LedgerSize(transactionKeys: keys, transactionGroups: groups, texts: texts)
            ).ledgerHint(inputBytes: inputBytes)
        }
        #expect(hint(900, 300) == LedgerSize(transactionKeys: 900, transactionGroups: 300))
        #expect(hint(1000, 1000) == LedgerSize(transactionKeys: 1000, transactionGroups: 1000))
        #expect(hint(1001, 300) == nil)  // more keys than rows accepted
        #expect(hint(900, 901) == nil)  // more groups than keys
        #expect(hint(-1, 0) == nil)
        #expect(hint(900, 300, inputBytes: 800) == LedgerSize(transactionKeys: 100, transactionGroups: 100))
        // A size written before texts were counted still reads.
        let earlier = try JSONDecoder().decode(
            LedgerSize.self, from: Data(#"{"transactionKeys":9,"transactionGroups":4}"#.utf8))
        #expect(earlier == LedgerSize(transactionKeys: 9, transactionGroups: 4))
        // A text count (written since) is kept when plausible and dropped alone when not.
        #expect(hint(900, 300, texts: 2500) == LedgerSize(transactionKeys: 900, transactionGroups: 300, texts: 2500))
        #expect(hint(900, 300, texts: 3003) == LedgerSize(transactionKeys: 900, transactionGroups: 300))
        #expect(hint(900, 300, texts: -1) == LedgerSize(transactionKeys: 900, transactionGroups: 300))
        #expect(
            hint(900, 300, texts: 2500, inputBytes: 800)
                == LedgerSize(transactionKeys: 100, transactionGroups: 100, texts: 100))
    }
}

extension TransactionLedgerTests {
    /// At its limit of distinct keys the ledger still takes revisions of the keys it holds, and a
    /// key more fails the run with an error that says so, instead of a crash.
    @Test func aKeyPastTheLimitFailsTheRunNamingTheLimit() throws {
        var ledger = TransactionLedger()
        ledger.keyLimit = 1000
        var superseded = 0
        for member in Self.members {
            var batch = TransactionBatch()
            for record in member { batch.append(record) }
            try ledger.apply(batch, member: 0, rank: 0) { _ in superseded += 1 }
        }
        #expect(ledger.count == 1000 && superseded == 334 + 143)

        var more = TransactionBatch()
        more.append(Self.record("ORD-5", month: 2, amount: 1, seller: "0101"))
        more.append(Self.record("ORD-1000", month: 2, amount: 1, seller: "0101"))
        #expect {
            try ledger.apply(more, member: 1, rank: 1) { _ in }
        } throws: { error in
            "\(error)".contains("more than 1000 distinct transaction keys")
        }
    }
}

extension TransactionLedgerTests {
    /// A marked member's record that takes the place of a transaction dated in another year counts
    /// it under the year it left (`yearsLeft`), in any order the members come: the record current
    /// without the marked members against the one current now. An older record the current one
    /// had replaced already does not count, nor a record current before that is of the year now,
    /// nor one marked record replaced by another (review 43, N1); a revision within its year, and
    /// records no marked member has, count nothing. Of an unmarked member holding a key twice, its
    /// later record is the one current before (the first was counted when the marked member came
    /// first: found by the partitioned revisions' check against the definition).
    @Test func aMarkedRecordTakingAnotherYearsTransactionCountsItInAnyOrder() throws {
        func sale(_ id: String, year: Int) -> TransactionRecord {
            TransactionRecord(
                transactionID: id, year: year, month: 3, amountVND: ExactDecimal(100), refundVND: .zero,
                status: .completed, channel: "marketplace", sellerTaxCode: "0101", sellerDistrictCode: "660")
        }
        // Member 2 marked: T1 2022, revised to 2023, taken by 2024 (2023 left, not 2022); T2
        // revised within 2023; T3 2023, moved to 2024 before, sent again dated 2024 (nothing); T4
        // new; T5 2022 taken by 2024; T6 2024 taken by 2023; T7 2021 revised to 2022 within member
        // 0, taken by 2024 (2022 left). Members 1 and 2 marked: T1, T5 and T7 leave 2022, T3
        // leaves 2023 (member 1 now moves it), T6 is new (one marked record of it replaced by
        // another: nothing).
        let members = [
            [
                sale("T1", year: 2022), sale("T2", year: 2023), sale("T3", year: 2023), sale("T5", year: 2022),
                sale("T7", year: 2021), sale("T7", year: 2022),
            ],
            [sale("T1", year: 2023), sale("T3", year: 2024), sale("T6", year: 2024)],
            [
                sale("T1", year: 2024), sale("T2", year: 2023), sale("T3", year: 2024), sale("T4", year: 2024),
                sale("T5", year: 2024), sale("T6", year: 2023), sale("T7", year: 2024),
            ],
        ]
        let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        for (marked, expected) in [([2], [2022: 2, 2023: 1, 2024: 1]), ([1, 2], [2022: 3, 2023: 1]), ([], [:])]
            as [([Int], [Int16: Int])]
        {
            for order in orders {
                var ledger = TransactionLedger()
                for (arrival, index) in order.enumerated() {
                    var batch = TransactionBatch()
                    for record in members[index] { batch.append(record) }
                    try ledger.apply(
                        batch, member: Int32(arrival), rank: Int32(index), markingYears: marked.contains(index)
                    ) { _ in }
                }
                #expect(ledger.yearsLeft == expected, "marked \(marked), order \(order)")
            }
        }
    }

    /// The years a member applied with `markingYears` marks (a nightly run computes only those):
    /// every year whose groups differ with that member from without it is among them, and only
    /// the years of the orders whose current record it changed, whatever order the members come
    /// in. Members of orders over few ids and five years, so that ids move between years,
    /// forwards and back, and arrive before and after their later revisions.
    @Test func everyYearAMarkedMemberChangesIsMarkedInAnyOrder() throws {
        var generator = SplitMix64(seed: 11)
        func draw(_ bound: Int) -> Int { Int(generator.next() % UInt64(bound)) }
        /// Per year, the groups (seller, month, status: transactions and net) of `members` applied
        /// in `order`, ranked by index; the years marked by `marked`'s member; and the sales keys
        /// its groups marked ("year month channel seller district"); how many of its records re-sent
        /// the one they replaced unchanged.
        func apply(_ members: [[TransactionRecord]], order: [Int], marked: Int?) throws -> (
            [Int: [String]], Set<Int>, Set<String>, Int
        ) {
            var ledger = TransactionLedger()
            for (arrival, index) in order.enumerated() {
                var batch = TransactionBatch()
                for record in members[index] { batch.append(record) }
                try ledger.apply(batch, member: Int32(arrival), rank: Int32(index), markingYears: index == marked) {
                    _ in
                }
            }
            let touched = Set(try #require(ledger.touchedYears).map(Int.init))
            let keys = Set(
                try #require(ledger.touchedSalesKeys(inYears: touched)).map {
                    "\($0.year) \($0.month) \($0.channel) \($0.seller) \($0.district)"
                })
            let resent = try #require(ledger.marks).resentUnchanged
            let table = ledger.takeCurrentGroups()
            var byYear: [Int: [String]] = [:]
            for group in table.groups {
                byYear[Int(group.year), default: []].append(
                    "\(table.texts[Int(group.seller)]) \(group.month) \(group.status): "
                        + "\(group.transactions) \(group.netVND.reduced)")
            }
            return (byYear.mapValues { $0.sorted() }, touched, keys, resent)
        }
        /// The groups of `byYear` by sales key, each key's statuses and sums.
        func bySalesKey(_ byYear: [Int: [String]]) -> [String: [String]] {
            var keys: [String: [String]] = [:]
            for (year, groups) in byYear {
                for group in groups {
                    let parts = group.split(separator: " ", maxSplits: 2)
                    // Every record here is a marketplace sale of district 660.
                    keys["\(year) \(parts[1]) marketplace \(parts[0]) 660", default: []].append(String(parts[2]))
                }
            }
            return keys
        }
        let orders = [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1], [0, 2, 1, 3], [3, 0, 2, 1]]
        var changedYears = 0
        var untouchedRounds = 0
        var resentRounds = 0
        var (changedSalesKeys, markedSalesKeys, touchedYearsKeys) = (0, 0, 0)
        for round in 0..<48 {
            // The marked member, a night's return, holds a few orders of one year; the others 40.
            let marked = round % 4
            var members = (0..<4).map { index in
                let year = 2020 + draw(5)
                return (0..<(index == marked ? 1 + draw(3) : 40)).map { _ in
                    Self.record(
                        "ID-\(draw(25))", year: index == marked ? year : 2020 + draw(5), month: 1 + draw(12),
                        amount: 100 + draw(900), seller: "01\(draw(3))")
                }
            }
            // Every other round, the marked member also sends again, as they were, some orders of
            // the member ranked just below it (or above, for the first): current before it came
            // unless a later member replaced them.
            if round % 8 >= 4 {
                let other = members[marked == 0 ? 1 : marked - 1]
                members[marked] += (0..<(1 + draw(3))).map { _ in other[draw(other.count)] }
            }
            let (without, _, _, _) = try apply(members, order: [0, 1, 2, 3].filter { $0 != marked }, marked: nil)
            let keysWithout = bySalesKey(without)
            for order in orders {
                let (with, touched, keys, resent) = try apply(members, order: order, marked: marked)
                let changed = Set(without.keys).union(with.keys).filter { without[$0] != with[$0] }
                #expect(changed.isSubset(of: touched), "round \(round), order \(order): \(changed) \(touched)")
                // The same by sales key: a key none of whose groups is marked is as it was, so a
                // nightly run compares only the marked keys' rows with the latest snapshot's.
                let keysWith = bySalesKey(with)
                let changedKeys = Set(keysWithout.keys).union(keysWith.keys).filter {
                    keysWithout[$0] != keysWith[$0]
                }
                #expect(changedKeys.isSubset(of: keys), "round \(round), order \(order): \(changedKeys) \(keys)")
                changedSalesKeys += changedKeys.count
                markedSalesKeys += keys.count
                touchedYearsKeys +=
                    Set(keysWithout.keys).union(keysWith.keys).filter {
                        touched.contains(Int($0.prefix(4))!)
                    }.count
                changedYears += changed.subtracting(members[marked].map(\.year)).count
                // And no other: by definition, of each order the marked member holds, the record
                // current with it (the highest ranked member's last) against the one current
                // without it; where they differ, the years of both.
                var byDefinition = Set<Int>()
                for id in Set(members[marked].map(\.transactionID)) {
                    func current(among ranks: [Int]) -> TransactionRecord? {
                        ranks.reversed().lazy.compactMap { members[$0].last { $0.transactionID == id } }.first
                    }
                    let with = current(among: Array(members.indices))
                    let without = current(among: members.indices.filter { $0 != marked })
                    if with != without { byDefinition.formUnion([with?.year, without?.year].compactMap { $0 }) }
                }
                #expect(touched == byDefinition, "round \(round), order \(order)")
                if resent > 0 { resentRounds += 1 }
                if touched.isEmpty { untouchedRounds += 1 }
            }
        }
        // Not vacuous either way: some marked members changed nothing (all superseded by later
        // returns, or re-sent as they were).
        #expect(untouchedRounds > 0)
        #expect(resentRounds > 0)
        // Years changed besides the marked rows' own: those that only the replaced rows' years
        // can account for (the test is not vacuous).
        #expect(changedYears > 20)
        // Keys changed, and fewer marked than the touched years hold (under half even here, with
        // orders over 25 ids and 3 sellers, where a member of 1–3 orders touches ~4 keys each).
        #expect(changedSalesKeys > 100)
        #expect(markedSalesKeys * 2 < touchedYearsKeys, "\(markedSalesKeys) of \(touchedYearsKeys)")
    }

    /// How a night's record of an order differs from the record it replaces
    /// (`aRecordResentUnchangedTouchesNoYear`, and `PartitionedRevisionsTests`'s).
    enum Resent: String, CaseIterable, Sendable {
        case unchanged, sameNetOtherAmount, year, month, status, channel, seller, district, amount
        case netWrittenOtherwise, sameDigitsOtherScale

        /// The order as the earlier return has it: 2022, net 999.5.
        static let earlier = TransactionRecord(
            transactionID: "ORD-1", year: 2022, month: 3, amountVND: ExactDecimal(1000),
            refundVND: ExactDecimal(mantissa: 5, scale: 1), status: .completed, channel: "marketplace",
            sellerTaxCode: "0101", sellerDistrictCode: "660")

        var record: TransactionRecord {
            var record = Self.earlier
            switch self {
            case .unchanged: break
            // Another amount and refund, the same net (999.5): the groups hold nets only.
            case .sameNetOtherAmount:
                (record.amountVND, record.refundVND) = (ExactDecimal(1001), ExactDecimal(mantissa: 15, scale: 1))
            case .year: record.year = 2023
            case .month: record.month = 4
            case .status: record.status = .cancelled
            case .channel: record.channel = "web"
            case .seller: record.sellerTaxCode = "0102"
            case .district: record.sellerDistrictCode = "663"
            case .amount: record.amountVND = ExactDecimal(1001)
            // 999.50: the same value, another scale, which a group's sum keeps.
            case .netWrittenOtherwise: record.refundVND = ExactDecimal(mantissa: 50, scale: 2)
            // 99.95: the net's digits (9995), another scale.
            case .sameDigitsOtherScale:
                (record.amountVND, record.refundVND) = (ExactDecimal(100), ExactDecimal(mantissa: 5, scale: 2))
            }
            return record
        }

        /// The years a night with this record and a new 2024 order touches.
        var touchedYears: Set<Int> {
            switch self {
            case .unchanged, .sameNetOtherAmount: [2024]
            case .year: [2022, 2023, 2024]
            default: [2022, 2024]
            }
        }

        /// The earlier return's two members (the order; one of 2024), then the night's (this
        /// record, a new 2024 order).
        var members: [[TransactionRecord]] {
            let other = TransactionRecord(
                transactionID: "ORD-2", year: 2024, month: 1, amountVND: ExactDecimal(7), refundVND: .zero,
                status: .completed, channel: "marketplace", sellerTaxCode: "0101", sellerDistrictCode: "660")
            var new = other
            new.transactionID = "ORD-3"
            return [[Self.earlier], [other], [record, new]]
        }
    }

    /// A record that re-sends the one it replaces unchanged (the same group, the same net written
    /// the same way) changes no group: a night does not touch its year, nor mark its sales key, for
    /// it. Any other difference touches the years of both records.
    @Test(arguments: Resent.allCases)
    func aRecordResentUnchangedTouchesNoYear(resent: Resent) throws {
        var ledger = TransactionLedger()
        for (index, records) in resent.members.enumerated() {
            var batch = TransactionBatch()
            for record in records { batch.append(record) }
            try ledger.apply(batch, member: Int32(index), rank: Int32(index), markingYears: index == 2) { _ in }
            // Marks settled before the last member: applying it takes them again.
            if index == 1 { ledger.settleMarks() }
        }
        let touched = Set(try #require(ledger.touchedYears).map(Int.init))
        #expect(touched == resent.touchedYears)
        let keys = try #require(ledger.touchedSalesKeys(inYears: touched))
        #expect(keys.contains { $0.year == 2022 } == (resent.touchedYears.contains(2022)), "\(keys)")
        // The groups are the same either way: the earlier record taken out, this one in.
        let groups = ledger.takeCurrentGroups()
        let net = groups.groups.filter { $0.year == 2022 }.map { "\($0.transactions) \($0.netVND)" }
        if resent == .unchanged || resent == .sameNetOtherAmount { #expect(net == ["1 999.5"]) }
    }
}
