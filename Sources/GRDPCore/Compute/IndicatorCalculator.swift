internal import CMemory
internal import Foundation

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// The formulas of CONTRACT §5: core, e-commerce, digitised, share, targets, gap and status.
///
/// Sums are exact (`ExactDecimal`); division only happens for the share and gap, as exact
/// fractions (`Rational`), rounded half-to-even once, at the end.
public enum IndicatorCalculator {
    /// Billion VND per million VND and per VND: exact power-of-ten shifts.
    static let millionToBillion = 3
    static let vndToBillion = 9

    public static func compute(_ input: ComputeInput, methodology: Methodology) throws -> ComputeOutput {
        try compute(input, methodology: methodology, twoThreadsFrom: 1 << 14)
    }

    /// - Parameter twoThreadsFrom: the number of groups from which the group loop runs in two halves
    ///   at once (below, a second thread costs more than it saves); tests give 1 and `Int.max`.
    ///
    /// - Parameter packedSortKeys: whether the sales rows are sorted by one-word keys when they fit
    ///   (`PackedSortKeys`); tests give false, for the two-word keys used when they do not.
    ///
    /// - Parameter emit: when given, the sales rows are handed to it in two parts, the months
    ///   before a middle month and the others (each part sorted on its own, one after the other),
    ///   instead of being returned: only half a year's rows are in memory at once (at 10 M
    ///   transactions, ~40 MB of 2024's ~80 MB). `ecommerceSales` is then empty.
    ///
    /// - Parameter beforeSalesRows: called once, after the sums and before the first sales row is
    ///   made (the rows are Compute's peak): a nightly run waits there for work beside it whose
    ///   memory must not stand on that peak.
    static func compute(
        _ input: ComputeInput, methodology: Methodology, twoThreadsFrom: Int = 1 << 14, packedSortKeys: Bool = true,
        salesRowsTo emit: (([EcommerceSalesRow]) throws -> Void)? = nil, beforeSalesRows: () -> Void = {}
    ) throws -> ComputeOutput {
        // Enterprise records by (tax code, year), for seller matching: each distinct tax code gets a
        // number, so a group's seller is matched by integers once its text is resolved.
        var codeNumbers: [String: Int] = [:]
        for enterprise in input.enterprises where codeNumbers[enterprise.taxCode] == nil {
            codeNumbers[enterprise.taxCode] = codeNumbers.count
        }
        let enterpriseIndex = EnterpriseIndex(input.enterprises, codeNumbers: codeNumbers)

        var table = input.groupTable ?? TransactionGroupTable()
        table.append(input.transactionGroups)
        if !input.transactions.isEmpty { table.append(try TransactionGroup.grouping(input.transactions)) }
        let texts = table.texts

        // Per channel text: its va ratio (CONTRACT §5), looked up once; read by both halves below and
        // by the sales rows.
        let vaRatios = ChannelRatios(table, methodology: methodology)
        let countedStatuses = TransactionStatus.allCases.map { methodology.countedStatuses.contains($0) }

        var years = Set<Int>()
        var core: [Int: ExactDecimal] = [:]
        var ecommerce: [Int: ExactDecimal] = [:]
        var digitised: [Int: ExactDecimal] = [:]
        var byDistrict: [DistrictKey: DistrictSums] = [:]
        let groupYears = YearSpan(table.groups.lazy.map { Int($0.year) })

        for enterprise in input.enterprises {
            years.insert(enterprise.year)
        }

        // Transactions by group: every term below is the same for each transaction of a group, and
        // linear in its net amount. Two halves of the groups at once, one on each core, their sums
        // then added: exact sums, so the same whatever the order (at 10 M, 2.9 M groups).
        let isCore = input.enterprises.map(\.isCore)
        let groups = table.groups
        let ratios = vaRatios
        let parts = groups.count >= max(twoThreadsFrom, 2) ? 2 : 1
        let matcher = SellerMatcher(
            texts: texts, sellers: groups, codeNumbers: codeNumbers, enterpriseIndex: enterpriseIndex,
            parts: texts.count >= max(twoThreadsFrom, 2) ? 2 : 1)
        var counted = [Bool](repeating: false, count: groups.count)
        let outcomes = counted.withUnsafeMutableBufferPointer { flags in
            let countedFlags = PartPointer(flags.baseAddress)
            return InParts.run(parts) { part throws(ArithmeticOverflow) in
                var sums = GroupSums(years: groupYears.count, enterprises: isCore.count)
                for groupIndex in groups.count * part / parts..<groups.count * (part + 1) / parts {
                    let group = groups[groupIndex]
                    let yearSlot = groupYears.slot(Int(group.year))
                    sums.yearHasGroups[yearSlot] = true
                    let matched = matcher.seller(group.seller, year: group.year)
                    let sellerIsCore = matched.map { isCore[$0] } ?? false
                    guard countedStatuses[Int(group.status)] && !sellerIsCore else { continue }
                    countedFlags.pointer![groupIndex] = true
                    let vaBillion = try (group.netVND * ratios[group.channel]).shifted(by: vndToBillion)
                    try sums.add(
                        vaBillion, year: yearSlot, enterprise: matched,
                        districtText: texts[Int(group.district)].isEmpty
                            ? nil : Int(group.year) << 32 | Int(group.district))
                }
                return sums
            }
        }
        // The parts' sums added in part order.
        var sums = try outcomes[0].get()
        for outcome in outcomes.dropFirst() { try sums.add(try outcome.get()) }
        for slot in sums.yearHasGroups.indices where sums.yearHasGroups[slot] {
            let year = groupYears.year(slot)
            years.insert(year)
            ecommerce[year] = sums.ecommerceOfYear[slot]
            if let va = sums.unknownDistrictOfYear[slot] {
                let key = DistrictKey(year: year, district: "unknown")
                byDistrict[key, default: DistrictSums()].ecommerce =
                    try byDistrict[key, default: DistrictSums()].ecommerce + va
            }
        }
        for (index, va) in sums.ecommerceWithoutTextOfEnterprise.enumerated() where !va.isZero {
            let enterprise = input.enterprises[index]
            let key = DistrictKey(
                year: enterprise.year, district: enterprise.districtCode.isEmpty ? "unknown" : enterprise.districtCode)
            byDistrict[key, default: DistrictSums()].ecommerce =
                try byDistrict[key, default: DistrictSums()].ecommerce + va
        }
        for (key, va) in sums.ecommerceByDistrictText {
            let district = DistrictKey(year: key >> 32, district: texts[key & 0xFFFF_FFFF])
            byDistrict[district, default: DistrictSums()].ecommerce =
                try byDistrict[district, default: DistrictSums()].ecommerce + va
        }

        for (index, enterprise) in input.enterprises.enumerated() {
            let valueAdded = enterprise.valueAddedMVND.shifted(by: millionToBillion)
            let key = DistrictKey(
                year: enterprise.year, district: enterprise.districtCode.isEmpty ? "unknown" : enterprise.districtCode)
            var district = byDistrict[key, default: DistrictSums()]
            if enterprise.isCore {
                core[enterprise.year] = try core[enterprise.year, default: .zero] + valueAdded
                district.core = try district.core + valueAdded
            } else {
                // Every VND counted once: the enterprise's e-commerce value added comes out first.
                var remainder = try valueAdded - sums.ecommerceVAOfEnterprise[index]
                if remainder.isNegative { remainder = .zero }
                let coefficient = methodology.digitisedCoefficients[enterprise.section] ?? .zero
                let part = try remainder * coefficient
                digitised[enterprise.year] = try digitised[enterprise.year, default: .zero] + part
                district.digitised = try district.digitised + part
            }
            byDistrict[key] = district
        }

        var grdpByYear: [Int: ExactDecimal] = [:]
        for row in input.grdp {
            years.insert(row.year)
            grdpByYear[row.year] = row.grdpBVND
        }

        let indicators = try years.sorted().map { year in
            try indicator(
                year: year, grdp: grdpByYear[year], core: core[year, default: .zero],
                ecommerce: ecommerce[year, default: .zero], digitised: digitised[year, default: .zero],
                methodology: methodology)
        }
        let districtRows = try byDistrict.sorted { ($0.key.year, $0.key.district) < ($1.key.year, $1.key.district) }
            .map { key, sums in
                DistrictIndicatorRow(
                    year: key.year, districtCode: key.district,
                    coreBVND: sums.core.rounded(toDecimals: 3),
                    ecommerceBVND: sums.ecommerce.rounded(toDecimals: 3),
                    digitisedBVND: sums.digitised.rounded(toDecimals: 3),
                    deBVND: try (sums.core + sums.ecommerce + sums.digitised).rounded(toDecimals: 3))
            }
        beforeSalesRows()
        if let emit {
            try salesRows(
                table, years: groupYears, counted: counted, vaRatios: vaRatios, packed: packedSortKeys, emit: emit)
            return ComputeOutput(indicators: indicators, districtIndicators: districtRows, ecommerceSales: [])
        }
        var flagged: [Int]?
        MemoryRelease.returnFreedMemory()
        let salesRows = try salesRows(
            table, years: groupYears, counted: counted, vaRatios: vaRatios, flags: input.flaggedGroups,
            flagged: &flagged, packed: packedSortKeys)
        var output = ComputeOutput(indicators: indicators, districtIndicators: districtRows, ecommerceSales: salesRows)
        output.flaggedSalesRows = flagged
        return output
    }

    /// The `ecommerce_sales` rows in their two halves (see `salesRows(_:years:counted:vaRatios:)`),
    /// each handed to `emit` once built, the first before the second is begun.
    private static func salesRows(
        _ table: TransactionGroupTable, years: YearSpan, counted: [Bool], vaRatios: ChannelRatios, packed: Bool,
        emit: ([EcommerceSalesRow]) throws -> Void
    ) throws {
        guard !table.groups.isEmpty else { return }
        let ranks = table.bytewiseRanks()
        let packing = packed ? PackedSortKeys(table, ranks: ranks) : nil
        let middle = middleMonth(table.groups, years: years)
        for half in 0..<2 {
            var order = sortKeys(
                table, ranks: ranks, packing: packing, counted: counted, firstHalf: half == 0, middle: middle)
            guard order.count > 0 else { continue }
            let rows = try [EcommerceSalesRow](unsafeUninitializedCapacity: order.count) { buffer, count in
                count = 0
                var flagged: [Int] = []
                count = try salesRows(
                    ordered: &order, into: buffer.baseAddress!, table: table, counted: counted, vaRatios: vaRatios,
                    flagged: &flagged)
            }
            order = .wide([])
            try emit(rows)
        }
    }

    /// The `ecommerce_sales` rows: groups of equal sales key (the statuses of one counted or
    /// uncounted row) merged, in the snapshot's canonical order — every column ascending, money as
    /// its stored text — which is the order the content hash reads them back in.
    ///
    /// Each distinct text is ranked once (bytewise) and the rows are sorted by two integer words.
    ///
    /// With `flags` (one per group), `flagged` is set to the positions of the rows a flagged group
    /// went into, ascending.
    private static func salesRows(
        _ table: TransactionGroupTable, years: YearSpan, counted: [Bool], vaRatios: ChannelRatios,
        flags: [Bool]? = nil, flagged: inout [Int]?, packed: Bool
    ) throws(ArithmeticOverflow) -> [EcommerceSalesRow] {
        precondition(flags.map { $0.count == table.groups.count } ?? true, "a flag a group")
        let ranks = table.bytewiseRanks()
        let packing = packed ? PackedSortKeys(table, ranks: ranks) : nil
        // Two halves sorted and merged into rows at once, one on each core: the months before a
        // middle month, and the others. Rows of one sales key share their month, so no row is
        // split between the halves, and the halves follow each other in the canonical order.
        let middle = middleMonth(table.groups, years: years)
        @Sendable func inFirstHalf(_ group: TransactionGroupTable.Group) -> Bool { monthWord(group) < middle }
        // One array for both: each half writes its rows into its own part (a half has at most as many
        // rows as groups), and the second half's rows then move down to follow the first's. No row is
        // copied from one array to another (at 1 M, a second array of the rows was ~35 MiB more).
        guard !table.groups.isEmpty else { return [] }
        let split = table.groups.reduce(0) { $0 + (inFirstHalf($1) ? 1 : 0) }
        var outcomes: [Result<(rows: Int, flagged: [Int]), ArithmeticOverflow>] = []
        let rows = [EcommerceSalesRow](unsafeUninitializedCapacity: table.groups.count) { buffer, count in
            let base = buffer.baseAddress!
            let starts = [PartPointer(base), PartPointer(base + split)]
            outcomes = InParts.run(2) { half throws(ArithmeticOverflow) in
                var order = sortKeys(
                    table, ranks: ranks, packing: packing, counted: counted, firstHalf: half == 0, middle: middle,
                    count: half == 0 ? split : table.groups.count - split)
                var flagged: [Int] = []
                let rows = try salesRows(
                    ordered: &order, into: starts[half].pointer!, table: table, counted: counted, vaRatios: vaRatios,
                    flags: flags, flagged: &flagged)
                return (rows, flagged)
            }
            // A half that failed left none of its rows initialized.
            let written = outcomes.map { (try? $0.get().rows) ?? 0 }
            let (first, second) = (written[0], written[1])
            (base + first).moveInitialize(from: base + split, count: second)
            count = first + second
        }
        for outcome in outcomes { _ = try outcome.get() }
        if flags != nil {
            // The second half's rows moved down to follow the first's.
            let first = try outcomes[0].get()
            flagged = first.flagged + (try outcomes[1].get().flagged.map { $0 + first.rows })
        }
        return rows
    }

    /// The sort keys of the groups of one half (`firstHalf`: the months before `middle`; else the
    /// others), with each group's index: one word each when `packing` is given (`PackedSortKeys`),
    /// else (year, month, channel) in the high word, (seller, district, counted) in the low one;
    /// ranks are below the number of texts, so below 2^31.
    /// - Parameter count: room to reserve, when known.
    private static func sortKeys(
        _ table: TransactionGroupTable, ranks: [UInt32], packing: PackedSortKeys?, counted: [Bool], firstHalf: Bool,
        middle: UInt64, count: Int = 0
    ) -> SalesOrder {
        if let packing {
            var keys: [UInt64] = []
            keys.reserveCapacity(count)
            for index in table.groups.indices where (monthWord(table.groups[index]) < middle) == firstHalf {
                keys.append(packing.key(table.groups[index], index: index, counted: counted[index], ranks: ranks))
            }
            return .packed(keys, indexBits: packing.indexBits)
        }
        var order: [(high: UInt64, low: UInt64, index: Int)] = []
        order.reserveCapacity(count)
        for index in table.groups.indices where (monthWord(table.groups[index]) < middle) == firstHalf {
            let group = table.groups[index]
            order.append(
                (
                    monthWord(group) | UInt64(ranks[Int(group.channel)]),
                    UInt64(ranks[Int(group.seller)]) << 32 | UInt64(ranks[Int(group.district)]) << 1
                        | (counted[index] ? 1 : 0), index
                ))
        }
        return .wide(order)
    }

    /// Where a part writes: each thread only at its own indices from `pointer`.
    // @unchecked Sendable: the parts' index ranges are disjoint (each part's share of the groups,
    // or each half of the rows from its own start), and `InParts.run` returns only once every part
    // has finished, before the buffer is read or let go.
    private struct PartPointer<Element>: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Element>?
        init(_ pointer: UnsafeMutablePointer<Element>?) { self.pointer = pointer }
    }

    /// The high sort word of the first month at which at least half of the groups have come.
    private static func middleMonth(_ groups: [TransactionGroupTable.Group], years: YearSpan) -> UInt64 {
        // Months 1…12 (0 left unused) of each year from the least to the most.
        var counts = [Int](repeating: 0, count: years.count * 13)
        for group in groups { counts[years.slot(Int(group.year)) * 13 + Int(group.month)] += 1 }
        var seen = 0
        for (slot, count) in counts.enumerated() {
            seen += count
            if seen * 2 >= groups.count {
                return monthWord(year: Int16(years.year(slot / 13)), month: UInt8(slot % 13))
            }
        }
        return 0
    }

    /// The high sort word's year and month bits, the part the two halves are split on.
    private static func monthWord(_ group: TransactionGroupTable.Group) -> UInt64 {
        monthWord(year: group.year, month: group.month)
    }

    private static func monthWord(year: Int16, month: UInt8) -> UInt64 {
        UInt64(UInt16(bitPattern: year)) << 48 | UInt64(month) << 40
    }

    /// The rows of some groups, sorted here by their keys and merged when equal, initialized at
    /// `rows` (room for one row per group); returns how many. On a throw, none is left initialized.
    private static func salesRows(
        ordered order: inout SalesOrder,
        into rows: UnsafeMutablePointer<EcommerceSalesRow>, table: TransactionGroupTable, counted: [Bool],
        vaRatios: ChannelRatios, flags: [Bool]? = nil, flagged: inout [Int]
    ) throws(ArithmeticOverflow) -> Int {
        switch order {
        case .packed(var keys, let indexBits):
            order = .wide([])
            keys.radixSort()
            let sorted = PackedOrder(keys: keys, indexBits: indexBits)
            keys = []
            return try salesRows(
                sorted: sorted, into: rows, table: table, counted: counted, vaRatios: vaRatios, flags: flags,
                flagged: &flagged)
        case .wide(var keys):
            order = .wide([])
            keys.sort { ($0.high, $0.low) < ($1.high, $1.low) }
            return try salesRows(
                sorted: WideOrder(keys: keys), into: rows, table: table, counted: counted, vaRatios: vaRatios,
                flags: flags, flagged: &flagged)
        }
    }

    private static func salesRows<Order: SortedSalesOrder>(
        sorted order: Order, into rows: UnsafeMutablePointer<EcommerceSalesRow>, table: TransactionGroupTable,
        counted: [Bool], vaRatios: ChannelRatios, flags: [Bool]?, flagged: inout [Int]
    ) throws(ArithmeticOverflow) -> Int {
        let texts = table.texts
        let groups = table.groups
        var count = 0
        do throws(ArithmeticOverflow) {
            var previous: Order.Key?
            for position in 0..<order.count {
                let (key, index) = order[position]
                // The sort scattered the groups (at 10 M, 2.9 M of 48 bytes): ask for the one some
                // rows ahead, and for the seller text of a nearer one, whose group was asked for.
                if position + 16 < order.count { prefetchForRead(groups, order[position + 16].index) }
                if position + 8 < order.count { prefetchForRead(texts, Int(groups[order[position + 8].index].seller)) }
                let group = groups[index]
                // A counted group's channel ratio was looked up while summing.
                let va = counted[index] ? try group.netVND * vaRatios[group.channel] : .zero
                // A row is flagged once, when a flagged group goes into it (its groups are adjacent).
                if let flags, flags[index] {
                    let row = previous.map { $0 == key } ?? false ? count - 1 : count
                    if flagged.last != row { flagged.append(row) }
                }
                if let previous, previous == key {
                    let last = count - 1
                    rows[last].transactions += group.transactions
                    rows[last].netVND = try rows[last].netVND + group.netVND
                    rows[last].vaVND = try rows[last].vaVND + va
                    continue
                }
                previous = key
                (rows + count).initialize(
                    to: EcommerceSalesRow(
                        year: Int(group.year), month: Int(group.month), channel: texts[Int(group.channel)],
                        sellerTaxCode: texts[Int(group.seller)], sellerDistrictCode: texts[Int(group.district)],
                        transactions: group.transactions, netVND: group.netVND, vaVND: va, counted: counted[index]))
                count += 1
            }
        } catch {
            rows.deinitialize(count: count)
            throw error
        }
        // The counted and the uncounted row of one seller in one month are adjacent; the canonical
        // order puts them by their other columns, not by `counted` first.
        for index in 0..<count {
            rows[index].netVND = rows[index].netVND.reduced
            rows[index].vaVND = rows[index].vaVND.reduced
            if index > 0, rows[index - 1].sameSalesKeyButCounted(rows[index]),
                EcommerceSalesRow.canonicalLess(rows[index], rows[index - 1])
            {
                swap(&rows[index - 1], &rows[index])
                // A flag goes with its row.
                let at = firstPosition(in: flagged, notBelow: index - 1)
                let before = at < flagged.count && flagged[at] == index - 1
                let after = (before ? at + 1 : at) < flagged.count && flagged[before ? at + 1 : at] == index
                if before != after { flagged[at] = before ? index : index - 1 }
            }
        }
        return count
    }

    /// One year's row: the three components, share, target, gap and status.
    static func indicator(
        year: Int, grdp: ExactDecimal?, core: ExactDecimal, ecommerce: ExactDecimal, digitised: ExactDecimal,
        methodology: Methodology
    ) throws -> IndicatorRow {
        let de = try core + ecommerce + digitised
        let (target, targetKind) = try self.target(year: year, methodology: methodology)
        var share: Rational?
        if let grdp, !grdp.isZero {
            share = try Rational(de) * Rational(100) / Rational(grdp)
        }
        let status: IndicatorStatus
        var gap: Rational?
        if let share {
            if let target {
                gap = try share - target
                status = share < target ? .behind : .met
            } else {
                status = .noTarget
            }
        } else {
            status = .noGRDP
        }
        return IndicatorRow(
            year: year, grdpBVND: grdp?.rounded(toDecimals: 3),
            coreBVND: core.rounded(toDecimals: 3), ecommerceBVND: ecommerce.rounded(toDecimals: 3),
            digitisedBVND: digitised.rounded(toDecimals: 3), deBVND: de.rounded(toDecimals: 3),
            sharePct: try share?.rounded(toDecimals: 4), targetPct: try target?.rounded(toDecimals: 4),
            targetKind: targetKind, gapPp: try gap?.rounded(toDecimals: 4), status: status)
    }

    /// The rows whose target is not the one `methodology` gives their year (`target_pct` to 4
    /// decimals, as published, or `target_kind`), with that one: rows `run --year` kept from a run
    /// of other target points (CONTRACT §7 keeps every other year's rows unchanged), whose gap and
    /// status were reckoned against the old target. A year whose target cannot be reckoned (an
    /// overflow) is not listed.
    public static func rowsWithOtherTargets(_ rows: [IndicatorRow], methodology: Methodology) -> [OtherTarget] {
        rows.compactMap { row in
            let published: ExactDecimal?
            let kind: TargetKind
            do {
                let (target, targetKind) = try self.target(year: row.year, methodology: methodology)
                published = try target?.rounded(toDecimals: SnapshotSchema.percentDecimals)
                kind = targetKind
            } catch {
                return nil
            }
            guard published != row.targetPct || kind != row.targetKind else { return nil }
            return OtherTarget(row: row, targetPct: published, targetKind: kind)
        }
    }

    /// An indicator row and the target `methodology` gives its year instead (`rowsWithOtherTargets`).
    public struct OtherTarget: Sendable, Equatable {
        public var row: IndicatorRow
        public var targetPct: ExactDecimal?
        public var targetKind: TargetKind

        /// "2023 (12.6560 % explicit; now 24.6600 % interpolated)".
        public var description: String {
            func said(_ pct: ExactDecimal?, _ kind: TargetKind) -> String {
                pct.map { "\($0.formatted(decimals: SnapshotSchema.percentDecimals)) % \(kind.rawValue)" }
                    ?? "no target"
            }
            return "\(row.year) (\(said(row.targetPct, row.targetKind)); now \(said(targetPct, targetKind)))"
        }
    }

    /// The explicit point for `year`, else the straight line between the nearest points around it.
    static func target(year: Int, methodology: Methodology) throws -> (Rational?, TargetKind) {
        let points = methodology.targetPoints
        if let point = points.first(where: { $0.year == year }) {
            return (Rational(point.sharePct), .explicit)
        }
        guard methodology.interpolation == .linear,
            let before = points.last(where: { $0.year < year }),
            let after = points.first(where: { $0.year > year })
        else { return (nil, .none) }
        // t = t0 + (t1 − t0) × (Y − y0) / (y1 − y0)
        let t0 = Rational(before.sharePct)
        let slope = try (Rational(after.sharePct) - t0) / Rational(after.year - before.year)
        return (try t0 + slope * Rational(year - before.year), .interpolated)
    }
}

struct EnterpriseKey: Hashable {
    var taxCode: String
    var year: Int
}

/// Enterprise records by (tax code number, year): a flat table over the years the records span, or
/// a dictionary when that table would be large (records of far-apart years).
private struct EnterpriseIndex {
    private let years: YearSpan
    private let codes: Int
    private var table: [Int32] = []
    private var dictionary: [Key: Int] = [:]

    init(_ enterprises: [EnterpriseRow], codeNumbers: [String: Int]) {
        years = YearSpan(enterprises.lazy.map(\.year))
        codes = codeNumbers.count
        let (cells, overflow) = codes.multipliedReportingOverflow(by: years.count)
        let flat = !overflow && cells <= 1 << 22
        if flat { table = [Int32](repeating: -1, count: cells) }
        for (index, enterprise) in enterprises.enumerated() {
            let code = codeNumbers[enterprise.taxCode]!
            if flat {
                table[code * years.count + years.slot(enterprise.year)] = Int32(index)
            } else {
                dictionary[Key(code: code, year: enterprise.year)] = index
            }
        }
    }

    private struct Key: Hashable {
        var code: Int
        var year: Int
    }

    /// The record of tax code number `code` for `year`, if any.
    subscript(code: Int, year: Int) -> Int? {
        if table.isEmpty { return dictionary[Key(code: code, year: year)] }
        guard years.contains(year) else { return nil }
        let index = table[code * years.count + years.slot(year)]
        return index < 0 ? nil : Int(index)
    }
}

/// The years from the least to the most of some values, as slots 0…count−1.
private struct YearSpan {
    let first: Int
    let count: Int

    init(_ years: some Sequence<Int>) {
        var least = Int.max
        var most = Int.min
        for year in years {
            least = min(least, year)
            most = max(most, year)
        }
        let span = most.subtractingReportingOverflow(least)
        // Years so far apart that their span does not fit an Int take no table (count Int.max).
        (first, count) =
            least > most ? (0, 0) : (least, span.overflow || span.partialValue == .max ? .max : span.partialValue + 1)
    }

    func contains(_ year: Int) -> Bool {
        let offset = year.subtractingReportingOverflow(first)
        return year >= first && !offset.overflow && offset.partialValue < count
    }
    func slot(_ year: Int) -> Int { year - first }
    func year(_ slot: Int) -> Int { first + slot }
}

/// Which enterprise record a group's seller is (CONTRACT §5: its own tax code's record of that
/// year, else, for a branch, its parent's). Each text a group has as its seller is resolved once,
/// before the groups are gone through, in `parts` at once: resolved lazily by each half of the
/// groups, every seller text was resolved twice (each half holds nearly every seller), ~0.07 s of
/// CPU a 10 M night. Only the sellers': a year's table may hold the texts of every year.
private struct SellerMatcher: Sendable {
    /// Per text: the numbers of its own tax code and, for a branch (13 digits), of its 10-digit
    /// parent, which it matches when it has no record of its own; -1 for none (and for a text no
    /// group has as its seller).
    private let codes: [(own: Int32, parent: Int32)]
    private let enterpriseIndex: EnterpriseIndex

    init(
        texts: [String], sellers groups: [TransactionGroupTable.Group], codeNumbers: [String: Int],
        enterpriseIndex: EnterpriseIndex, parts: Int
    ) {
        var isSeller = [Bool](repeating: false, count: texts.count)
        for group in groups { isSeller[Int(group.seller)] = true }
        let sellers = isSeller
        let outcomes = InParts.run(parts) { part throws(Never) in
            (texts.count * part / parts..<texts.count * (part + 1) / parts).map {
                sellers[$0] ? Self.codes(of: texts[$0], in: codeNumbers) : (-1, -1)
            }
        }
        codes = outcomes.flatMap { outcome in
            switch outcome {
            case .success(let codes): codes
            }
        }
        self.enterpriseIndex = enterpriseIndex
    }

    private static func codes(of code: String, in codeNumbers: [String: Int]) -> (own: Int32, parent: Int32) {
        var parent = -1
        if code.utf8.count == 14, let dash = firstDash(in: code) {
            parent = codeNumbers[String(code[..<dash])] ?? -1
        }
        return (Int32(code.isEmpty ? -1 : codeNumbers[code] ?? -1), Int32(parent))
    }

    /// The first character "-" of `code`: its byte when the text is ASCII (where no character
    /// spans bytes with a "-"), else found character by character.
    static func firstDash(in code: String) -> String.Index? {
        code.utf8.allSatisfy { $0 < 0x80 } ? code.utf8.firstIndex(of: UInt8(ascii: "-")) : code.firstIndex(of: "-")
    }

    func seller(_ text: UInt32, year: Int16) -> Int? {
        let codes = codes[Int(text)]
        if codes.own >= 0, let index = enterpriseIndex[Int(codes.own), Int(year)] { return index }
        if codes.parent >= 0 { return enterpriseIndex[Int(codes.parent), Int(year)] }
        return nil
    }
}

/// What the group loop adds up, over some of the groups: the e-commerce va (billion VND) of the
/// counted groups per year, and of those with neither a district text nor a matched seller (the
/// "unknown" district, nil when there is none: a district row exists for each such group, even one
/// of zero va); per enterprise record, the va of its counted groups and, of that, the part without a
/// district text (it goes to the enterprise's district); per (year, district text), the rest.
/// Arrays, not dictionaries, where they can be: a hash per group was a fifth of Compute.
private struct GroupSums {
    var ecommerceOfYear: [ExactDecimal]
    var unknownDistrictOfYear: [ExactDecimal?]
    var yearHasGroups: [Bool]
    var ecommerceVAOfEnterprise: [ExactDecimal]
    var ecommerceWithoutTextOfEnterprise: [ExactDecimal]
    /// Keyed by year << 32 | district text.
    var ecommerceByDistrictText: [Int: ExactDecimal] = [:]

    init(years: Int, enterprises: Int) {
        ecommerceOfYear = Array(repeating: .zero, count: years)
        unknownDistrictOfYear = Array(repeating: nil, count: years)
        yearHasGroups = Array(repeating: false, count: years)
        ecommerceVAOfEnterprise = Array(repeating: .zero, count: enterprises)
        ecommerceWithoutTextOfEnterprise = Array(repeating: .zero, count: enterprises)
    }

    /// A counted group's va.
    mutating func add(_ va: ExactDecimal, year: Int, enterprise: Int?, districtText: Int?)
        throws(ArithmeticOverflow)
    {
        ecommerceOfYear[year] = try ecommerceOfYear[year] + va
        if let enterprise {
            ecommerceVAOfEnterprise[enterprise] = try ecommerceVAOfEnterprise[enterprise] + va
        }
        if let districtText {
            ecommerceByDistrictText[districtText] = try ecommerceByDistrictText[districtText, default: .zero] + va
        } else if let enterprise {
            ecommerceWithoutTextOfEnterprise[enterprise] = try ecommerceWithoutTextOfEnterprise[enterprise] + va
        } else {
            unknownDistrictOfYear[year] = try (unknownDistrictOfYear[year] ?? .zero) + va
        }
    }

    /// Adds another part's sums to these.
    mutating func add(_ other: GroupSums) throws(ArithmeticOverflow) {
        for slot in ecommerceOfYear.indices {
            ecommerceOfYear[slot] = try ecommerceOfYear[slot] + other.ecommerceOfYear[slot]
            yearHasGroups[slot] = yearHasGroups[slot] || other.yearHasGroups[slot]
            if let va = other.unknownDistrictOfYear[slot] {
                unknownDistrictOfYear[slot] = try (unknownDistrictOfYear[slot] ?? .zero) + va
            }
        }
        for index in ecommerceVAOfEnterprise.indices {
            ecommerceVAOfEnterprise[index] = try ecommerceVAOfEnterprise[index] + other.ecommerceVAOfEnterprise[index]
            ecommerceWithoutTextOfEnterprise[index] =
                try ecommerceWithoutTextOfEnterprise[index] + other.ecommerceWithoutTextOfEnterprise[index]
        }
        for (key, va) in other.ecommerceByDistrictText {
            ecommerceByDistrictText[key] = try ecommerceByDistrictText[key, default: .zero] + va
        }
    }
}

private struct DistrictKey: Hashable {
    var year: Int
    var district: String
}

private struct DistrictSums {
    var core = ExactDecimal.zero
    var ecommerce = ExactDecimal.zero
    var digitised = ExactDecimal.zero
}

extension EcommerceSalesRow {
    /// Same year, month, channel, seller and district: the counted and the uncounted row of one grain.
    fileprivate func sameSalesKeyButCounted(_ other: EcommerceSalesRow) -> Bool {
        year == other.year && month == other.month && channel == other.channel
            && sellerTaxCode == other.sellerTaxCode && sellerDistrictCode == other.sellerDistrictCode
    }

    /// The snapshot's canonical order between two such rows: the remaining columns ascending as
    /// stored — the count as an integer, money as its canonical text compared bytewise, then the flag.
    fileprivate static func canonicalLess(_ a: EcommerceSalesRow, _ b: EcommerceSalesRow) -> Bool {
        if a.transactions != b.transactions { return a.transactions < b.transactions }
        let net = bytewiseCompare(a.netVND.description, b.netVND.description)
        if net != 0 { return net < 0 }
        let va = bytewiseCompare(a.vaVND.description, b.vaVND.description)
        if va != 0 { return va < 0 }
        return !a.counted && b.counted
    }
}

/// Asks for `array[index]` to be read soon (an index out of the array is not asked for).
@inline(__always)
private func prefetchForRead<Element>(_ array: [Element], _ index: Int) {
    array.withUnsafeBufferPointer { elements in
        if elements.indices.contains(index) { grdp_prefetch_for_read(elements.baseAddress! + index) }
    }
}

/// The first position in ascending `values` whose value is at least `value` (`values.count` if none).
private func firstPosition(in values: [Int], notBelow value: Int) -> Int {
    var (low, high) = (0, values.count)
    while low < high {
        let middle = (low + high) / 2
        if values[middle] < value { low = middle + 1 } else { high = middle }
    }
    return low
}

/// Each channel's va ratio (CONTRACT §5), looked up once per channel text, by the text's number.
/// The groups' texts are mostly sellers (at 10 M, over a million): a ratio per text, as before,
/// was 32 MB at Compute's peak; channels are a handful, and are among the first texts interned,
/// so the numbers are kept only up to the highest channel's.
struct ChannelRatios: Sendable {
    /// Per text number up to the highest channel's: its slot in `ratios`, or -1.
    private var slots: [Int32] = []
    private var ratios: [ExactDecimal] = []

    init(_ table: TransactionGroupTable, methodology: Methodology) {
        let texts = table.texts
        let highest = table.groups.reduce(-1) { max($0, Int($1.channel)) }
        slots = [Int32](repeating: -1, count: highest + 1)
        for group in table.groups where slots[Int(group.channel)] < 0 {
            slots[Int(group.channel)] = Int32(ratios.count)
            ratios.append(methodology.vaRatio(channel: texts[Int(group.channel)]))
        }
    }

    /// The ratio of a channel some group of the table names.
    @inline(__always)
    subscript(channel: UInt32) -> ExactDecimal { ratios[Int(slots[Int(channel)])] }
}

/// A half's sort keys before they are sorted (`IndicatorCalculator.sortKeys`).
private enum SalesOrder {
    /// One word a group (`PackedSortKeys`), the group's index in the lowest `indexBits` bits.
    case packed([UInt64], indexBits: Int)
    /// Two words a group, and its index: when one word cannot hold them.
    case wide([(high: UInt64, low: UInt64, index: Int)])

    var count: Int {
        switch self {
        case .packed(let keys, _): keys.count
        case .wide(let keys): keys.count
        }
    }
}

/// Sort keys in order, each with its group's index: groups of equal keys go into one row.
private protocol SortedSalesOrder {
    associatedtype Key: Equatable
    var count: Int { get }
    subscript(position: Int) -> (key: Key, index: Int) { get }
}

private struct PackedOrder: SortedSalesOrder {
    let keys: [UInt64]
    let indexBits: Int

    var count: Int { keys.count }

    subscript(position: Int) -> (key: UInt64, index: Int) {
        let word = keys[position]
        return (word >> indexBits, Int(truncatingIfNeeded: word & (1 << indexBits &- 1)))
    }
}

private struct WideOrder: SortedSalesOrder {
    struct Key: Equatable {
        let high: UInt64
        let low: UInt64
    }

    let keys: [(high: UInt64, low: UInt64, index: Int)]

    var count: Int { keys.count }

    subscript(position: Int) -> (key: Key, index: Int) {
        let entry = keys[position]
        return (Key(high: entry.high, low: entry.low), entry.index)
    }
}

/// How a table's sales sort keys pack into one word each: every field numbered among the values it
/// takes in the table, in its order (four channels take two bits; sellers keep their bytewise
/// rank), most significant first (year, month, channel, seller, district, counted) and the group's
/// index in the lowest bits. The words then sort as the two-word keys do, but for equal keys of
/// different groups, which go into one row whose sums do not depend on their order. Nil when they
/// need more than 64 bits (the two-word keys are used then). At 10 M, a night's 791,071 keys of
/// 2024 take 6 MB instead of 19, at the end of Compute, the run's peak.
struct PackedSortKeys: Sendable {
    private let yearBase: UInt16
    /// A channel's and a district's number among the table's, by bytewise rank.
    private let channels: [UInt32]
    private let districts: [UInt32]
    private let yearShift: Int
    private let monthShift: Int
    private let channelShift: Int
    private let sellerShift: Int
    private let districtShift: Int
    let indexBits: Int

    init?(_ table: TransactionGroupTable, ranks: [UInt32]) {
        let groups = table.groups
        guard let first = groups.first else { return nil }
        var usedChannel = [Bool](repeating: false, count: ranks.count)
        var usedDistrict = [Bool](repeating: false, count: ranks.count)
        var lowYear = UInt16(bitPattern: first.year)
        var highYear = lowYear
        var highMonth: UInt8 = 0
        var highSeller: UInt32 = 0
        for group in groups {
            let year = UInt16(bitPattern: group.year)
            lowYear = min(lowYear, year)
            highYear = max(highYear, year)
            highMonth = max(highMonth, group.month)
            highSeller = max(highSeller, ranks[Int(group.seller)])
            usedChannel[Int(ranks[Int(group.channel)])] = true
            usedDistrict[Int(ranks[Int(group.district)])] = true
        }
        // Each rank's number among the ranks used: the count of used ranks below it.
        func numbered(_ used: [Bool]) -> (numbers: [UInt32], count: Int) {
            var numbers = [UInt32](repeating: 0, count: used.count)
            var next: UInt32 = 0
            for rank in used.indices {
                numbers[rank] = next
                if used[rank] { next += 1 }
            }
            return (numbers, Int(next))
        }
        func bits(_ largest: Int) -> Int { largest <= 0 ? 0 : Int.bitWidth - largest.leadingZeroBitCount }
        let (channels, channelCount) = numbered(usedChannel)
        let (districts, districtCount) = numbered(usedDistrict)
        indexBits = bits(groups.count - 1)
        // `counted` is the bit at `indexBits`.
        districtShift = indexBits + 1
        sellerShift = districtShift + bits(districtCount - 1)
        channelShift = sellerShift + bits(Int(highSeller))
        monthShift = channelShift + bits(channelCount - 1)
        yearShift = monthShift + bits(Int(highMonth))
        guard yearShift + bits(Int(highYear - lowYear)) <= UInt64.bitWidth else { return nil }
        yearBase = lowYear
        self.channels = channels
        self.districts = districts
    }

    /// The packed key of `group`, the `index`-th of the table.
    @inline(__always)
    func key(_ group: TransactionGroupTable.Group, index: Int, counted: Bool, ranks: [UInt32]) -> UInt64 {
        UInt64(UInt16(bitPattern: group.year) &- yearBase) << yearShift | UInt64(group.month) << monthShift
            | UInt64(channels[Int(ranks[Int(group.channel)])]) << channelShift
            | UInt64(ranks[Int(group.seller)]) << sellerShift
            | UInt64(districts[Int(ranks[Int(group.district)])]) << districtShift
            | (counted ? 1 : 0) << indexBits | UInt64(index)
    }
}
