internal import Foundation

/// The synthetic province in memory: enterprises, their yearly records, GRDP and the rules that
/// produce each quarter's transactions. Transactions are not kept: a quarter is generated again
/// from its own seeded stream whenever it is needed (for calibration, then for writing), so that
/// a million transactions cost the memory of one quarter.
struct SyntheticDataset {
    struct Enterprise {
        var taxCode: String
        var name: String
        var activity: SyntheticCatalog.Activity
        /// District code, or empty for an enterprise whose returns leave it blank.
        var district: String
        var size: Double
        var firstYear: Int
        var lastYear: Int
        var sellsOnline: Bool
        var isBranch: Bool

        func isPresent(in year: Int) -> Bool { firstYear <= year && year <= lastYear }
    }

    /// One enterprise's return for one year. Money in tenths of a million VND (one decimal).
    struct EnterpriseYear {
        var enterprise: Int
        var year: Int
        /// The final value: the one of the latest return.
        var valueAddedTenths: Int64
        /// The value first sent, when a revision follows in a later archive.
        var estimateTenths: Int64?
        /// Sent only with the revision (a late return).
        var lateReturn: Bool
        var employees: Int
    }

    /// GRDP of one year, tenths of a billion VND, current prices.
    struct GRDPYear {
        var year: Int
        var finalTenths: Int64
        /// Constant 2010 prices (excluded by the pipeline).
        var constant2010Tenths: Int64
    }

    enum Channel: String, CaseIterable {
        case marketplace, website, social, livestream

        var idPrefix: String {
            switch self {
            case .marketplace: "MP"
            case .website: "WEB"
            case .social: "FB"
            case .livestream: "LIVE"
            }
        }

        /// Social and livestream sales come from a Vietnamese-locale export.
        var isVietnameseExport: Bool { self == .social || self == .livestream }

        var ratio: Double { SyntheticCatalog.channelRatios.first { $0.channel == rawValue }!.value }
    }

    enum Seller {
        /// A generated enterprise; `code` is its own tax code or a branch code of it with no record.
        case enterprise(index: Int, code: String)
        /// An individual: empty code or a 12-digit personal ID.
        case individual(code: String)
        /// A seller registered in another province (excluded).
        case outside(province: String, code: String)

        var code: String {
            switch self {
            case .enterprise(_, let code), .individual(let code), .outside(_, let code): code
            }
        }
    }

    struct Transaction {
        var id: String
        var channel: Channel
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
        var seller: Seller
        var sellerProvince: String
        var sellerDistrict: String
        var weight: Double
        var finalStatus: TransactionStatus
        /// Sent as completed first; a later archive re-sends it as refunded in full.
        var revisedToRefunded: Bool
        /// Partial refund of a completed sale, as a fraction of the amount.
        var refundFraction: Double
        var inUSD: Bool
        /// Random draws for the written form (status spelling, date style, number style).
        var styleDraw: UInt64
        /// Filled in once the year's scale is known, in the row's currency's minor unit (VND, or
        /// US cents when `inUSD`).
        var amount: Int64 = 0
        var refund: Int64 = 0

        /// Whether the pipeline counts it (CONTRACT §5) given the enterprises of its year.
        func isCounted(enterprises: [Enterprise]) -> Bool {
            guard finalStatus == .completed else { return false }
            guard sellerProvince.isEmpty || sellerProvince == SyntheticCatalog.regionCode else { return false }
            if case .enterprise(let index, _) = seller, enterprises[index].activity.isCore { return false }
            return true
        }

        /// Net VND after refund, as the pipeline converts it (USD at the year's rate).
        var netVND: Double {
            let net = Double(amount - refund)
            return inUSD ? net * Double(SyntheticCatalog.usdRate(year)) / 100 : net
        }
    }

    let options: ReturnsGenerator.Options
    private(set) var enterprises: [Enterprise] = []
    private(set) var records: [EnterpriseYear] = []
    private(set) var grdp: [GRDPYear] = []
    /// VND per unit of transaction weight, per year.
    private(set) var amountScale: [Int: Double] = [:]
    /// Transactions per (year, quarter).
    private(set) var quarterCounts: [Int: [Int]] = [:]
    private var sellersByYear: [Int: [Int]] = [:]

    init(options: ReturnsGenerator.Options) {
        self.options = options
        makeEnterprises()
        makeQuarterCounts()
        calibrate()
    }

    var years: ClosedRange<Int> { options.years }

    // MARK: Enterprises

    private mutating func makeEnterprises() {
        var rng = SplitMix64.derived(from: options.seed, 1)
        let core = SyntheticCatalog.activities.filter(\.isCore)
        let other = SyntheticCatalog.activities.filter { !$0.isCore }
        var used: Set<String> = []
        var branchCount: [Int: Int] = [:]
        let districtWeights = SyntheticCatalog.districts.map(\.weight)
        for index in 0..<options.enterprises {
            // The first two always exist, so that every year has a core and a non-core enterprise.
            let isCore = index == 0 || (index > 1 && rng.chance(0.12))
            let pool = isCore ? core : other
            var activity = pool[rng.weighted(pool.map(\.frequency))]
            if index == 1 { activity = other.first { $0.vsic == "4711" }! }
            let district = SyntheticCatalog.districts[rng.weighted(districtWeights)]
            var firstYear = years.lowerBound
            var lastYear = years.upperBound
            if index > 1 {
                if rng.chance(0.25) { firstYear = rng.int(in: years) }
                if rng.chance(0.06) { lastYear = rng.int(in: firstYear...years.upperBound) }
            }
            var enterprise = Enterprise(
                taxCode: "", name: "", activity: activity, district: rng.chance(0.03) ? "" : district.code,
                size: rng.size(), firstYear: firstYear, lastYear: lastYear,
                sellsOnline: index == 1 || rng.chance(activity.sellsOnline), isBranch: false)

            if index > 5 && rng.chance(0.05) {
                // A branch (chi nhánh) of an earlier enterprise, in another district.
                let parentIndex = rng.below(index)
                let parent = enterprises[parentIndex]
                if !parent.isBranch {
                    let number = (branchCount[parentIndex] ?? 0) + 1
                    branchCount[parentIndex] = number
                    enterprise.taxCode = parent.taxCode + "-" + threeDigits(number)
                    enterprise.activity = parent.activity
                    enterprise.name = "\(parent.name) - Chi nhánh \(district.name)"
                    enterprise.isBranch = true
                    enterprise.firstYear = max(parent.firstYear, firstYear)
                    enterprise.lastYear = min(parent.lastYear, lastYear)
                    if enterprise.firstYear > enterprise.lastYear { enterprise.lastYear = enterprise.firstYear }
                }
            }
            if !enterprise.isBranch {
                var code = SyntheticTaxCode.make(prefix: SyntheticCatalog.taxPrefix, using: &rng)
                while used.contains(code) {
                    code = SyntheticTaxCode.make(prefix: SyntheticCatalog.taxPrefix, using: &rng)
                }
                enterprise.taxCode = code
                enterprise.name = Self.name(for: activity, district: district.name, using: &rng)
            }
            used.insert(enterprise.taxCode)
            enterprises.append(enterprise)
        }
        for year in years {
            sellersByYear[year] = enterprises.indices.filter {
                enterprises[$0].sellsOnline && enterprises[$0].isPresent(in: year)
            }
        }
    }

    private static func name(for activity: SyntheticCatalog.Activity, district: String, using rng: inout SplitMix64)
        -> String
    {
        let brand = rng.pick(SyntheticCatalog.brands)
        if activity.vsic == "6419" { return "Quỹ tín dụng nhân dân \(brand)" }
        if activity.section == "A" && rng.chance(0.5) {
            return "Hợp tác xã \(activity.nameWord) \(brand)"
        }
        var name = "\(rng.pick(SyntheticCatalog.legalForms)) \(activity.nameWord) \(brand)"
        switch rng.below(10) {
        case 0: name += ", \(district)"
        case 1: name += " \(district)"
        case 2: name = name.replacingOccurrences(of: brand, with: "\"\(brand)\"")
        default: break
        }
        return name
    }

    private func threeDigits(_ n: Int) -> String {
        let text = String(n)
        return String(repeating: "0", count: max(0, 3 - text.count)) + text
    }

    // MARK: Transactions

    private mutating func makeQuarterCounts() {
        // More online sales each year (+25 %), and more in the fourth quarter.
        var yearWeights: [Double] = []
        var weight = 1.0
        for _ in years {
            yearWeights.append(weight)
            weight *= 1.25
        }
        let quarterWeights = [0.22, 0.23, 0.25, 0.30]
        var cells: [Double] = []
        for yearWeight in yearWeights { for q in quarterWeights { cells.append(yearWeight * q) } }
        let total = cells.reduce(0, +)
        // Cumulative rounding: the counts add up to exactly `transactions`.
        var cumulative = 0.0
        var previous = 0
        var counts: [Int] = []
        for cell in cells {
            cumulative += cell
            let upTo = Int((cumulative / total * Double(options.transactions)).rounded())
            counts.append(upTo - previous)
            previous = upTo
        }
        counts[counts.count - 1] += options.transactions - previous
        for (offset, year) in years.enumerated() {
            quarterCounts[year] = Array(counts[(offset * 4)..<(offset * 4 + 4)])
        }
    }

    /// The transactions of one quarter, amounts filled in when the year's scale is known.
    func transactions(year: Int, quarter: Int) -> [Transaction] {
        var rng = SplitMix64.derived(from: options.seed, 2, UInt64(year), UInt64(quarter))
        let count = quarterCounts[year]?[quarter - 1] ?? 0
        let isLastQuarter = year == years.upperBound && quarter == 4
        return makeTransactions(
            year: year, quarter: quarter, count: count, idTag: "Q\(quarter)", revisable: !isLastQuarter, using: &rng)
    }

    /// `count` new transactions of the last year's fourth quarter, from their own seeded stream, for
    /// the nightly increment (`--layout increment`): ids `MP2024Q4N-000001`, … that no quarter of
    /// `transactions(year:quarter:)` uses; none is revised later.
    func incrementTransactions(count: Int) -> [Transaction] {
        var rng = SplitMix64.derived(from: options.seed, 5)
        return makeTransactions(
            year: years.upperBound, quarter: 4, count: count, idTag: "Q4N", revisable: false, using: &rng)
    }

    /// Draws `count` transactions of `year`'s `quarter` from `rng`, ids `<channel><year><idTag>-<sequence>`;
    /// `revisable`: some completed ones are refunded in a later archive.
    private func makeTransactions(
        year: Int, quarter: Int, count: Int, idTag: String, revisable: Bool, using rng: inout SplitMix64
    ) -> [Transaction] {
        let sellers = sellersByYear[year] ?? []
        var result: [Transaction] = []
        result.reserveCapacity(count)
        let channelWeights = [0.50, 0.15, 0.20, 0.15]
        for sequence in 1...max(count, 1) where count > 0 {
            let channel = Channel.allCases[rng.weighted(channelWeights)]
            let month = (quarter - 1) * 3 + 1 + rng.below(3)
            let day = 1 + rng.below(CivilDate.daysInMonth(year: year, month: month))

            var seller: Seller
            var province = SyntheticCatalog.regionCode
            var district = ""
            var weight = rng.size()
            let sellerDraw = rng.unit()
            if sellerDraw < 0.68 && !sellers.isEmpty {
                let index = sellers[rng.below(sellers.count)]
                let enterprise = enterprises[index]
                var code = enterprise.taxCode
                if !enterprise.isBranch && rng.chance(0.08) {
                    // A branch code with no return of its own: matched to its parent.
                    code += "-" + String(800 + rng.below(100))
                }
                seller = .enterprise(index: index, code: code)
                if rng.chance(0.6) { district = enterprise.district }
                weight *= 1 + enterprise.size / 4
            } else if sellerDraw < 0.88 || sellers.isEmpty && sellerDraw < 0.9 {
                var code = ""
                if rng.chance(0.5) {
                    // CCCD: province 067, gender/century digit, birth year, six digits.
                    code = "067" + String(rng.below(2)) + twoDigits(60 + rng.below(40))
                    for _ in 0..<6 { code += String(rng.below(10)) }
                }
                seller = .individual(code: code)
                if rng.chance(0.5) {
                    district = SyntheticCatalog.districts[rng.below(SyntheticCatalog.districts.count)].code
                }
                weight *= 0.5
            } else {
                let other = rng.pick(SyntheticCatalog.otherProvinces)
                province = other.province
                seller = .outside(
                    province: other.province, code: SyntheticTaxCode.make(prefix: other.taxPrefix, using: &rng))
                weight *= 2
            }
            if case .outside = seller {} else if rng.chance(0.15) { province = "" }

            var status = TransactionStatus.completed
            let statusDraw = rng.unit()
            if statusDraw < 0.07 {
                status = .cancelled
            } else if statusDraw < 0.11 {
                status = .refunded
            } else if statusDraw < 0.13 {
                status = .pending
            }
            let revised = status == .completed && revisable && rng.chance(0.03)
            if revised { status = .refunded }
            let refundFraction = status == .completed && rng.chance(0.04) ? 0.1 + 0.4 * rng.unit() : 0

            result.append(
                Transaction(
                    id: "\(channel.idPrefix)\(year)\(idTag)-\(sixDigits(sequence))",
                    channel: channel, year: year, month: month, day: day,
                    hour: rng.below(24), minute: rng.below(60), second: rng.below(60),
                    seller: seller, sellerProvince: province, sellerDistrict: district, weight: weight,
                    finalStatus: status, revisedToRefunded: revised, refundFraction: refundFraction,
                    inUSD: channel == .marketplace && rng.chance(0.03), styleDraw: rng.next()))
        }
        guard let scale = amountScale[year] else { return result }
        let rate = Double(SyntheticCatalog.usdRate(year))
        for index in result.indices {
            var transaction = result[index]
            // Whole thousands of VND, at least 10,000; or US cents at the year's rate.
            let vnd = max(10, Int64((transaction.weight * scale / 1000).rounded())) * 1000
            if transaction.inUSD {
                transaction.amount = max(100, Int64((Double(vnd) * 100 / rate).rounded()))
                if transaction.refundFraction > 0 {
                    transaction.refund = Int64((Double(transaction.amount) * transaction.refundFraction).rounded())
                }
            } else {
                transaction.amount = vnd
                if transaction.refundFraction > 0 {
                    transaction.refund = Int64((Double(vnd) * transaction.refundFraction / 1000).rounded()) * 1000
                }
            }
            transaction.refund = min(transaction.refund, transaction.amount)
            result[index] = transaction
        }
        return result
    }

    private func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n % 100) }

    private func sixDigits(_ n: Int) -> String {
        let text = String(n)
        return String(repeating: "0", count: max(0, 6 - text.count)) + text
    }

    // MARK: Calibration

    /// Scales transaction amounts and enterprise values so that each year's digital-economy share
    /// lands near `SyntheticCatalog.targetSharePct`, whatever the numbers of records.
    private mutating func calibrate() {
        var rng = SplitMix64.derived(from: options.seed, 3)
        for year in years {
            let grdpBillion = SyntheticCatalog.grdpBillion(year)
            let deBillion = grdpBillion * SyntheticCatalog.targetSharePct(year) / 100
            var ecommerceVND = deBillion * SyntheticCatalog.ecommerceShare * 1e9
            var digitisedMillion = deBillion * SyntheticCatalog.digitisedShare * 1000
            let coreMillion = deBillion * SyntheticCatalog.coreShare * 1000

            // E-commerce: VND per unit of weight, and each seller's share of it (unscaled).
            var weightedVA = 0.0
            var sellerVA: [Int: Double] = [:]
            for quarter in 1...4 {
                for transaction in transactions(year: year, quarter: quarter)
                where transaction.isCounted(enterprises: enterprises) {
                    let va = transaction.weight * (1 - transaction.refundFraction) * transaction.channel.ratio
                    weightedVA += va
                    if case .enterprise(let index, _) = transaction.seller { sellerVA[index, default: 0] += va }
                }
            }
            if weightedVA > 0 {
                amountScale[year] = ecommerceVND / weightedVA
            } else {
                amountScale[year] = 0
                digitisedMillion += ecommerceVND / 1e6
                ecommerceVND = 0
            }
            let vndPerWeight = amountScale[year]!

            let present = enterprises.indices.filter { enterprises[$0].isPresent(in: year) }
            var sizes: [Int: Double] = [:]
            for index in present { sizes[index] = enterprises[index].size * (0.85 + 0.3 * rng.unit()) }
            let coreSizes = present.filter { enterprises[$0].activity.isCore }.reduce(0.0) { $0 + sizes[$1]! }
            let digitisedSizes = present.filter { !enterprises[$0].activity.isCore }.reduce(0.0) {
                $0 + sizes[$1]! * SyntheticCatalog.coefficient(enterprises[$1].activity.section)
            }
            for index in present {
                let enterprise = enterprises[index]
                var million: Double
                if enterprise.activity.isCore {
                    million = coreMillion * sizes[index]! / coreSizes
                } else {
                    // Value added = its e-commerce value added (taken out before the coefficient) + the rest.
                    let ecommerceMillion = (sellerVA[index] ?? 0) * vndPerWeight / 1e6
                    let rest =
                        digitisedSizes > 0 ? digitisedMillion * sizes[index]! / digitisedSizes : sizes[index]! * 1000
                    million = ecommerceMillion * 1.001 + rest
                }
                let tenths = max(1, Int64((million * 10).rounded()))
                var record = EnterpriseYear(
                    enterprise: index, year: year, valueAddedTenths: tenths, estimateTenths: nil, lateReturn: false,
                    employees: 3 + Int(enterprise.size * 12 * (0.9 + 0.2 * rng.unit())))
                let draw = rng.unit()
                if draw < 0.12 {
                    record.estimateTenths = max(1, Int64((Double(tenths) * (0.85 + 0.3 * rng.unit())).rounded()))
                } else if draw < 0.15 {
                    record.lateReturn = true
                }
                records.append(record)
            }

            let finalTenths = Int64((grdpBillion * 10).rounded())
            grdp.append(
                GRDPYear(year: year, finalTenths: finalTenths, constant2010Tenths: Int64((grdpBillion * 4.4).rounded()))
            )
        }
    }
}

/// Proleptic Gregorian calendar arithmetic on plain integers (H. Hinnant's algorithms).
enum CivilDate {
    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
