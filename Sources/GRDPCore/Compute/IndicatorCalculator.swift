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
        // Enterprise records by (tax code, year), for seller matching.
        var enterpriseIndex: [EnterpriseKey: Int] = [:]
        for (index, enterprise) in input.enterprises.enumerated() {
            enterpriseIndex[EnterpriseKey(taxCode: enterprise.taxCode, year: enterprise.year)] = index
        }
        func seller(code: String, year: Int) -> Int? {
            guard !code.isEmpty else { return nil }
            if let index = enterpriseIndex[EnterpriseKey(taxCode: code, year: year)] { return index }
            // A branch (13-digit) seller matches the record of its 10-digit parent.
            if code.utf8.count == 14, let dash = code.firstIndex(of: "-") {
                return enterpriseIndex[EnterpriseKey(taxCode: String(code[..<dash]), year: year)]
            }
            return nil
        }

        var years = Set<Int>()
        var core: [Int: ExactDecimal] = [:]
        var ecommerce: [Int: ExactDecimal] = [:]
        var digitised: [Int: ExactDecimal] = [:]
        var byDistrict: [DistrictKey: DistrictSums] = [:]
        /// Σ va (VND) of counted transactions per enterprise record index.
        var ecommerceVAOfEnterprise: [Int: ExactDecimal] = [:]
        /// One entry per group, merged by sales key after sorting (`salesRows`).
        var sales: [(key: SalesKey, sums: SalesSums)] = []

        for enterprise in input.enterprises {
            years.insert(enterprise.year)
        }

        // Transactions by group: every term below is the same for each transaction of a group, and
        // linear in its net amount.
        let groups =
            input.transactions.isEmpty
            ? input.transactionGroups : try input.transactionGroups + TransactionGroup.grouping(input.transactions)
        sales.reserveCapacity(groups.count)
        for group in groups where group.transactions > 0 {
            let transaction = group.key
            years.insert(transaction.year)
            let matched = seller(code: transaction.sellerTaxCode, year: transaction.year)
            let sellerIsCore = matched.map { input.enterprises[$0].isCore } ?? false
            let counts = methodology.countedStatuses.contains(transaction.status) && !sellerIsCore
            let net = group.netVND
            let va = counts ? try net * methodology.vaRatio(channel: transaction.channel) : .zero
            let salesKey = SalesKey(
                year: transaction.year, month: transaction.month, channel: transaction.channel,
                sellerTaxCode: transaction.sellerTaxCode, sellerDistrictCode: transaction.sellerDistrictCode,
                counted: counts)
            sales.append((salesKey, SalesSums(transactions: group.transactions, net: net, va: va)))
            guard counts else { continue }
            let vaBillion = va.shifted(by: vndToBillion)
            ecommerce[transaction.year] = try ecommerce[transaction.year, default: .zero] + vaBillion
            if let matched {
                ecommerceVAOfEnterprise[matched] = try ecommerceVAOfEnterprise[matched, default: .zero] + vaBillion
            }
            var district = transaction.sellerDistrictCode
            if district.isEmpty, let matched { district = input.enterprises[matched].districtCode }
            let key = DistrictKey(year: transaction.year, district: district.isEmpty ? "unknown" : district)
            byDistrict[key, default: DistrictSums()].ecommerce =
                try byDistrict[key, default: DistrictSums()].ecommerce + vaBillion
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
                var remainder = try valueAdded - ecommerceVAOfEnterprise[index, default: .zero]
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
        let salesRows = try salesRows(sales)
        return ComputeOutput(indicators: indicators, districtIndicators: districtRows, ecommerceSales: salesRows)
    }

    /// The `ecommerce_sales` rows: groups of equal sales key (the statuses of one counted or
    /// uncounted row) merged, in the snapshot's canonical order — every column ascending, money as
    /// its stored text — which is the order the content hash reads them back in.
    ///
    /// Sorting 100,000s of keys of three strings each is the costly part, so each distinct string
    /// is ranked once (bytewise) and the rows are sorted by two integer words.
    private static func salesRows(_ sales: [(key: SalesKey, sums: SalesSums)]) throws(ArithmeticOverflow)
        -> [EcommerceSalesRow]
    {
        var rankOf: [String: UInt64] = [:]
        for entry in sales {
            rankOf[entry.key.channel] = 0
            rankOf[entry.key.sellerTaxCode] = 0
            rankOf[entry.key.sellerDistrictCode] = 0
        }
        for (rank, text) in rankOf.keys.sorted(by: bytewiseLess).enumerated() { rankOf[text] = UInt64(rank) }
        // (year, month, channel) in the high word, (seller, district, counted) in the low one;
        // ranks are below the number of rows, so below 2^31.
        var order: [(high: UInt64, low: UInt64, index: Int)] = sales.indices.map { index in
            let key = sales[index].key
            let high =
                UInt64(UInt16(truncatingIfNeeded: key.year)) << 48 | UInt64(UInt8(truncatingIfNeeded: key.month)) << 40
                | rankOf[key.channel]!
            let low = rankOf[key.sellerTaxCode]! << 32 | rankOf[key.sellerDistrictCode]! << 1 | (key.counted ? 1 : 0)
            return (high, low, index)
        }
        rankOf = [:]
        order.sort { ($0.high, $0.low) < ($1.high, $1.low) }

        var rows: [EcommerceSalesRow] = []
        rows.reserveCapacity(order.count)
        var previous: (high: UInt64, low: UInt64)?
        for (high, low, index) in order {
            let (key, sums) = sales[index]
            if let previous, previous == (high, low) {
                let last = rows.count - 1
                rows[last].transactions += sums.transactions
                rows[last].netVND = try rows[last].netVND + sums.net
                rows[last].vaVND = try rows[last].vaVND + sums.va
                continue
            }
            previous = (high, low)
            rows.append(
                EcommerceSalesRow(
                    year: key.year, month: key.month, channel: key.channel, sellerTaxCode: key.sellerTaxCode,
                    sellerDistrictCode: key.sellerDistrictCode, transactions: sums.transactions, netVND: sums.net,
                    vaVND: sums.va, counted: key.counted))
        }
        // The counted and the uncounted row of one seller in one month are adjacent; the canonical
        // order puts them by their other columns, not by `counted` first.
        var index = 0
        while index < rows.count {
            rows[index].netVND = rows[index].netVND.reduced
            rows[index].vaVND = rows[index].vaVND.reduced
            if index > 0, rows[index - 1].sameSalesKeyButCounted(rows[index]),
                EcommerceSalesRow.canonicalLess(rows[index], rows[index - 1])
            {
                rows.swapAt(index - 1, index)
            }
            index += 1
        }
        return rows
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

private struct DistrictKey: Hashable {
    var year: Int
    var district: String
}

private struct DistrictSums {
    var core = ExactDecimal.zero
    var ecommerce = ExactDecimal.zero
    var digitised = ExactDecimal.zero
}

private struct SalesKey {
    var year: Int
    var month: Int
    var channel: String
    var sellerTaxCode: String
    var sellerDistrictCode: String
    var counted: Bool
}

private struct SalesSums {
    var transactions: Int
    var net = ExactDecimal.zero
    var va = ExactDecimal.zero
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
