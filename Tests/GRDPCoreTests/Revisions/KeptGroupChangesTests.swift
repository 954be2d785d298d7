import Testing

@testable import GRDPCore

/// `KeptGroupChanges.rowsBefore`: the sales rows that kept groups made, under the keys an update
/// touched, made again from the updated groups and the touched groups as they were, must be
/// exactly what Compute gave from the groups before the update, and the keys exactly the touched
/// ones: the publish deletes those rows from a copy of the latest file without reading them.
@Suite struct KeptGroupChangesTests {
    let methodology = Methodology(
        countedStatuses: [.completed, .pending], vaRatioDefault: ExactDecimal(canonical: "0.1")!,
        vaRatioByChannel: ["marketplace": ExactDecimal(canonical: "0.08")!])

    /// Channels, sellers (a core firm, its branch, a branch with a record of its own, firms with
    /// no record, none at all) and districts, with some texts no group names.
    static let texts = [
        "marketplace", "website", "social", "0100109106", "0100109106-001", "0100109106-002", "0312345673",
        "0101243150", "", "660", "661", "unused",
    ]
    static let channels: [UInt32] = [0, 1, 2]
    static let sellers: [UInt32] = [3, 4, 5, 6, 7, 8]
    static let districts: [UInt32] = [9, 10, 8]

    /// 2024's records: the parent is core (its branch -001 matches it), -002 has a record of its own
    /// that is not, 0312345673 is core, 0101243150 is not.
    var enterprises: [EnterpriseRow] {
        let here = SourceLocation(archivePath: "a.zip", memberPath: "enterprise.csv", line: 2)
        return [("0100109106", "62010"), ("0100109106-002", "4711"), ("0312345673", "61100"), ("0101243150", "4711")]
            .map { code, vsic in
                EnterpriseRow(
                    taxCode: code, year: 2024, name: code, vsic: vsic, section: vsic == "4711" ? "G" : "J",
                    districtCode: "660", valueAddedMVND: ExactDecimal(canonical: "100")!,
                    isCore: methodology.isCore(vsic: vsic), source: here)
            }
    }

    static func group(_ random: inout SplitMix64, texts: [UInt32]? = nil) -> TransactionGroupTable.Group {
        TransactionGroupTable.Group(
            channel: channels[random.below(channels.count)],
            seller: (texts ?? sellers)[random.below((texts ?? sellers).count)],
            district: districts[random.below(districts.count)], year: 2024, month: UInt8(1 + random.below(3)),
            status: UInt8(random.below(TransactionStatus.allCases.count)), transactions: 1 + random.below(5),
            netVND: ExactDecimal(mantissa: Int128(random.below(2_000_000)) - 500_000, scale: random.below(3)))
    }

    static func salesKey(_ row: EcommerceSalesRow) -> String {
        "\(row.year)|\(row.month)|\(row.channel)|\(row.sellerTaxCode)|\(row.sellerDistrictCode)"
    }

    static func salesKey(_ group: TransactionGroupTable.Group, _ texts: [String]) -> String {
        "\(group.year)|\(group.month)|\(texts[Int(group.channel)])|\(texts[Int(group.seller)])|"
            + texts[Int(group.district)]
    }

    static func groupKey(_ group: TransactionGroupTable.Group) -> [Int] {
        [Int(group.channel), Int(group.seller), Int(group.district), Int(group.month), Int(group.status)]
    }

    func compute(_ table: TransactionGroupTable) throws -> [EcommerceSalesRow] {
        var input = ComputeInput(enterprises: enterprises, transactions: [], grdp: [])
        input.groupTable = table
        return try IndicatorCalculator.compute(input, methodology: methodology).ecommerceSales
    }

    @Test(arguments: 0..<40)
    func theRowsBeforeAreComputesOfTheGroupsBefore(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        // The groups a run kept, each key once.
        var seen = Set<[Int]>()
        var kept: [TransactionGroupTable.Group] = []
        for _ in 0..<(1 + random.below(60)) {
            let group = Self.group(&random)
            if seen.insert(Self.groupKey(group)).inserted { kept.append(group) }
        }
        // A night: some groups change, some are emptied (their rows all replaced), some are new
        // (a new seller among them, whose text is new too).
        var texts = Self.texts
        texts.append("0399999999")
        var updated: [TransactionGroupTable.Group] = []
        var before: [TransactionGroupTable.Group] = []
        var touchedKeys = Set<String>()
        for group in kept {
            switch random.below(4) {
            case 0:
                before.append(group)
                touchedKeys.insert(Self.salesKey(group, texts))
                var changed = group
                changed.transactions += 1 + random.below(3)
                changed.netVND = try changed.netVND + ExactDecimal(mantissa: Int128(random.below(90_000)), scale: 1)
                updated.append(changed)
            case 1:
                before.append(group)
                touchedKeys.insert(Self.salesKey(group, texts))
            default:
                updated.append(group)
            }
        }
        var added = 0
        for _ in 0..<random.below(8) {
            let group = Self.group(&random, texts: Self.sellers + [UInt32(texts.count - 1)])
            if seen.insert(Self.groupKey(group)).inserted {
                updated.append(group)
                added += 1
                touchedKeys.insert(Self.salesKey(group, texts))
            }
        }
        let rowsBefore = try compute(TransactionGroupTable(texts: Self.texts, nonEmptyGroups: kept))
        let changes = KeptGroupChanges(before: before, added: added)
        let made = try changes.rowsBefore(
            updated: TransactionGroupTable(texts: texts, nonEmptyGroups: updated), enterprises: enterprises,
            methodology: methodology)
        #expect(
            Set(made.keys.map { "\($0.year)|\($0.month)|\($0.channel)|\($0.seller)|\($0.district)" }) == touchedKeys)
        #expect(made.keys.count == touchedKeys.count)
        // In the table's order (texts bytewise: "0100109106" < "0100109106-001" < "website"), each
        // once, as the publish's diff takes them without sorting them again.
        let ordered = SalesRowsUpdate.TouchedKeys(years: [2024], keys: made.keys).sortedDistinct()
        #expect(made.keys.map(\.values) == ordered.map(\.values), "seed \(seed)")
        #expect(made.rows == rowsBefore.filter { touchedKeys.contains(Self.salesKey($0)) }, "seed \(seed)")
        // Compute told which groups are of touched keys names exactly the rows of those keys.
        let updatedTable = TransactionGroupTable(texts: texts, nonEmptyGroups: updated)
        let (_, flags) = changes.pick(updated: updatedTable, find: KeptGroupChanges.finder(of: updated))
        #expect(flags == updated.map { touchedKeys.contains(Self.salesKey($0, texts)) }, "seed \(seed)")
        var input = ComputeInput(enterprises: enterprises, transactions: [], grdp: [])
        input.groupTable = updatedTable
        input.flaggedGroups = flags
        let output = try IndicatorCalculator.compute(input, methodology: methodology)
        #expect(
            output.flaggedSalesRows
                == output.ecommerceSales.indices.filter {
                    touchedKeys.contains(Self.salesKey(output.ecommerceSales[$0]))
                },
            "seed \(seed)")
        #expect(output.ecommerceSales == (try compute(updatedTable)), "seed \(seed)")
        // Not vacuous over the seeds: counted and uncounted rows, core sellers among them.
        if seed == 0 { #expect(rowsBefore.contains { $0.counted } && rowsBefore.contains { !$0.counted }) }
    }

    /// Nothing touched: no keys, no rows.
    @Test func noChangeMakesNoRows() throws {
        var random = SplitMix64(seed: 7)
        let groups = (0..<5).map { _ in Self.group(&random) }
        let made = try KeptGroupChanges(before: [], added: 0).rowsBefore(
            updated: TransactionGroupTable(texts: Self.texts, nonEmptyGroups: groups), enterprises: enterprises,
            methodology: methodology)
        #expect(made.keys.isEmpty && made.rows.isEmpty)
    }

    /// What binds a run's kept groups to its snapshot's rows: the token, the years, and each year's
    /// records as seller matching sees them (tax code and core flag), in any order.
    @Test func theBindingHoldsForTheSameTokenYearsAndSellerRecords() {
        let records = enterprises
        let binding = RunCache.KeptGroupsBinding(token: "T", years: [2024], enterprises: records)
        #expect(binding.holds(token: "T", years: [2024], enterprises: records.reversed()))
        #expect(!binding.holds(token: "U", years: [2024], enterprises: records))
        #expect(!binding.holds(token: "T", years: [2023, 2024], enterprises: records))
        // Another year's records, a name or a value added: not what seller matching reads.
        var other = records
        other[0].name = "Renamed"
        other[1].valueAddedMVND = ExactDecimal(canonical: "5")!
        other.append(
            EnterpriseRow(
                taxCode: "0100000001", year: 2023, name: "x", vsic: "62010", section: "J", districtCode: "",
                valueAddedMVND: .zero, isCore: true, source: records[0].source))
        #expect(binding.holds(token: "T", years: [2024], enterprises: other))
        // A record that becomes core, one more, one fewer: another binding.
        var core = records
        core[3].isCore = true
        #expect(!binding.holds(token: "T", years: [2024], enterprises: core))
        #expect(!binding.holds(token: "T", years: [2024], enterprises: Array(records.dropLast())))
        var more = records
        more.append(
            EnterpriseRow(
                taxCode: "0100109106-001", year: 2024, name: "branch", vsic: "4711", section: "G", districtCode: "",
                valueAddedMVND: .zero, isCore: false, source: records[0].source))
        #expect(!binding.holds(token: "T", years: [2024], enterprises: more))
    }
}
