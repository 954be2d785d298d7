internal import Foundation

/// The archives and CSV members: which record goes where, in which convention and spelling.
extension ReturnsGenerator {
    typealias Dataset = SyntheticDataset

    // MARK: GRDP

    /// `{Y+1}-01-20_cuc-thong-ke/grdp_{Y}.csv.gz`: the preliminary figure of Y, the revised figure
    /// of Y−1, Y at constant 2010 prices and the neighbouring province (both excluded).
    func writeGRDP(_ dataset: Dataset, to archives: inout ArchiveSet) throws {
        let byYear = Dictionary(uniqueKeysWithValues: dataset.grdp.map { ($0.year, $0) })
        for year in dataset.years {
            var csv = CSVText(convention: .en)
            csv.row(["year", "province_code", "price_basis", "grdp"])
            if let previous = byYear[year - 1] {
                csv.row([
                    String(year - 1), "67", "current",
                    SyntheticNumberFormat.en.fixed(previous.finalTenths, decimals: 1, grouped: false),
                ])
            }
            let row = byYear[year]!
            // The last year has no later revision: its first figure is its final one.
            let preliminary = year == dataset.years.upperBound ? row.finalTenths : row.finalTenths * 99 / 100
            csv.row([
                String(year), "67", "current", SyntheticNumberFormat.en.fixed(preliminary, decimals: 1, grouped: false),
            ])
            csv.row([
                String(year), "67", "constant-2010",
                SyntheticNumberFormat.en.fixed(row.constant2010Tenths, decimals: 1, grouped: false),
            ])
            csv.row([
                String(year), "66", "",
                SyntheticNumberFormat.en.fixed(row.finalTenths * 29 / 10, decimals: 1, grouped: false),
            ])
            try archives.write(
                "\(year + 1)-01-20_cuc-thong-ke/grdp_\(year).csv.gz", format: .gzip,
                members: [.init(path: "grdp_\(year).csv", kind: .grdp, csv: csv)])
        }
    }

    // MARK: Enterprises

    /// `{Y+1}-03-15_so-ke-hoach-dau-tu.zip` (first returns, an `en` and a `vi` member) and
    /// `{Y+1}-09-30_cuc-thong-ke_dieu-chinh.tar.xz|.tar.bz2` (revised and late returns).
    func writeEnterprises(_ dataset: Dataset, to archives: inout ArchiveSet) throws {
        var rng = SplitMix64.derived(from: options.seed, 4)
        let vietnameseDistricts: Set<String> = ["664", "665", "666", "667", ""]
        for year in dataset.years {
            var english = CSVText(convention: .en)
            english.row([
                "tax_code", "name", "vsic", "district_code", "employees", "value_added", "gross_output",
                "intermediate_consumption", "year",
            ])
            var vietnamese = CSVText(convention: .vi)
            vietnamese.row([
                "MST", "Tên doanh nghiệp", "Mã ngành VSIC", "Mã huyện", "Số lao động", "Giá trị tăng thêm", "Năm",
            ])
            var revision = CSVText(convention: .en)
            revision.row(["year", "tax_code", "vsic", "name", "district_code", "value_added"])

            for record in dataset.records where record.year == year {
                let enterprise = dataset.enterprises[record.enterprise]
                let vsic = vsicForm(enterprise.activity, draw: rng.next())
                if !record.lateReturn {
                    let tenths = record.estimateTenths ?? record.valueAddedTenths
                    if vietnameseDistricts.contains(enterprise.district) {
                        let name =
                            rng.chance(0.1) ? enterprise.name.decomposedStringWithCanonicalMapping : enterprise.name
                        vietnamese.row([
                            enterprise.taxCode, name, vsic, enterprise.district,
                            SyntheticNumberFormat.vi.integer(Int64(record.employees), grouped: true),
                            SyntheticNumberFormat.vi.fixed(tenths, decimals: 1, grouped: true), String(year),
                        ])
                    } else {
                        let grouped = rng.chance(0.3)
                        var valueAdded = SyntheticNumberFormat.en.fixed(tenths, decimals: 1, grouped: grouped)
                        var grossOutput = ""
                        var intermediate = ""
                        if rng.chance(0.2) {
                            // Value added left empty: the pipeline takes gross output − intermediate consumption.
                            let ic = tenths + Int64(Double(tenths) * 2 * rng.unit())
                            grossOutput = SyntheticNumberFormat.en.fixed(tenths + ic, decimals: 1, grouped: grouped)
                            intermediate = SyntheticNumberFormat.en.fixed(ic, decimals: 1, grouped: grouped)
                            valueAdded = ""
                        }
                        english.row([
                            enterprise.taxCode, enterprise.name, vsic, enterprise.district,
                            SyntheticNumberFormat.en.integer(Int64(record.employees), grouped: grouped),
                            valueAdded, grossOutput, intermediate, String(year),
                        ])
                    }
                }
                if record.lateReturn || record.estimateTenths != nil {
                    revision.row([
                        String(year), enterprise.taxCode, vsicForm(enterprise.activity, draw: rng.next()),
                        enterprise.name,
                        enterprise.district,
                        SyntheticNumberFormat.en.fixed(record.valueAddedTenths, decimals: 1, grouped: false),
                    ])
                }
            }
            try archives.write(
                "\(year + 1)-03-15_so-ke-hoach-dau-tu.zip", format: .zip,
                members: [
                    .init(path: "dieu-tra-doanh-nghiep/enterprise_\(year).csv", kind: .enterprise, csv: english),
                    .init(
                        path: "dieu-tra-doanh-nghiep/huyen/enterprise_\(year)_vi.csv", kind: .enterprise,
                        csv: vietnamese),
                ])
            let revisionFormat: ArchiveWriter.Format = year % 2 == 0 ? .tarXz : .tarBzip2
            try archives.write(
                "\(year + 1)-09-30_cuc-thong-ke_dieu-chinh.\(revisionFormat.rawValue)", format: revisionFormat,
                members: [.init(path: "enterprise_\(year)_dieu-chinh.csv", kind: .enterprise, csv: revision)])
        }
    }

    /// A VSIC code as returns write it: `62010`, `J62010`, `6201`, `J6201`, `62.01`, `G 47.11`.
    func vsicForm(_ activity: SyntheticCatalog.Activity, draw: UInt64) -> String {
        let code = activity.vsic
        let section = String(activity.section)
        let classCode = String(code.prefix(4))
        let dotted = "\(classCode.prefix(2)).\(classCode.dropFirst(2))"
        let forms = [code, code, code, section + code, classCode, section + classCode, dotted, section + " " + dotted]
        return forms[Int(draw % UInt64(forms.count))]
    }

    // MARK: Transactions

    /// One archive per quarter: `transactions_qN.csv` (`en`: marketplace and website, some in USD),
    /// `mang-xa-hoi/ecommerce_mxh_qN.csv` (`vi`: social and livestream) and
    /// `transactions_qN_cap-nhat.csv` (the previous quarter's orders that were refunded since).
    func writeTransactions(_ dataset: Dataset, to archives: inout ArchiveSet) throws {
        var pendingUpdates: [Dataset.Transaction] = []
        for year in dataset.years {
            for quarter in 1...4 {
                let transactions = dataset.transactions(year: year, quarter: quarter)
                var english = CSVText(convention: .en, capacity: transactions.count * 120)
                english.row(Self.englishTransactionHeader)
                var vietnamese = CSVText(convention: .vi, capacity: transactions.count / 2 * 120)
                vietnamese.row([
                    "Mã đơn hàng", "Ngày đặt", "Kênh", "MST người bán", "Tỉnh người bán", "Huyện người bán",
                    "Giá trị đơn hàng", "Tiền hoàn", "Trạng thái",
                ])
                var updates = CSVText(convention: .en)
                updates.row(Self.englishTransactionHeader)
                for transaction in pendingUpdates {
                    updates.row(englishRow(transaction, status: .refunded, refundInFull: true))
                }
                pendingUpdates = []

                for transaction in transactions {
                    let firstStatus = transaction.revisedToRefunded ? .completed : transaction.finalStatus
                    if transaction.channel.isVietnameseExport {
                        vietnamese.row(vietnameseRow(transaction, status: firstStatus))
                    } else {
                        english.row(englishRow(transaction, status: firstStatus, refundInFull: false))
                    }
                    if transaction.revisedToRefunded { pendingUpdates.append(transaction) }
                }

                let members: [ArchiveSet.Member] = [
                    .init(path: "transactions_q\(quarter).csv", kind: .transaction, csv: english),
                    .init(path: "mang-xa-hoi/ecommerce_mxh_q\(quarter).csv", kind: .transaction, csv: vietnamese),
                    .init(path: "transactions_q\(quarter)_cap-nhat.csv", kind: .transaction, csv: updates),
                ]
                let date = quarter == 4 ? "\(year + 1)-01-10" : "\(year)-\(["04", "07", "10"][quarter - 1])-10"
                let name = "\(date)_san-tmdt-q\(quarter)"
                switch quarter {
                case 2:
                    try archives.write("\(name).zip", format: .zip, members: members)
                case 3:
                    // Single gzipped CSVs, one per member, in a dated folder.
                    for member in members {
                        let base = (member.path as NSString).lastPathComponent
                        try archives.write("\(name)/\(base).gz", format: .gzip, members: [member])
                    }
                default:
                    try archives.write("\(name).tar.gz", format: .tarGzip, members: members)
                }
            }
        }
    }

    static let englishTransactionHeader = [
        "transaction_id", "date", "channel", "seller_tax_code", "seller_province", "seller_district_code", "amount",
        "currency", "refund_amount", "status",
    ]

    func englishRow(_ transaction: Dataset.Transaction, status: TransactionStatus, refundInFull: Bool) -> [String] {
        let draw = transaction.styleDraw
        let grouped = (draw >> 8) & 3 == 0
        let amount =
            transaction.inUSD
            ? SyntheticNumberFormat.en.fixed(transaction.amount, decimals: 2, grouped: false)
            : SyntheticNumberFormat.en.integer(transaction.amount, grouped: grouped)
        // A refunded order carries its refund in full in an update, and in half of the first sends.
        let inFull = refundInFull || (status == .refunded && (draw >> 14) & 1 == 0)
        let refundUnits = inFull ? transaction.amount : (status == transaction.finalStatus ? transaction.refund : 0)
        var refund = ""
        if refundUnits > 0 || (draw >> 10) & 1 == 0 {
            refund =
                transaction.inUSD
                ? SyntheticNumberFormat.en.fixed(refundUnits, decimals: 2, grouped: false)
                : SyntheticNumberFormat.en.integer(refundUnits, grouped: grouped)
        }
        let spellings = SyntheticCatalog.englishSpellings[status]!
        let channel = (draw >> 12) & 7 == 0 ? transaction.channel.rawValue.capitalized : transaction.channel.rawValue
        return [
            transaction.id, isoDate(transaction, style: Int((draw >> 20) % 6)), channel, transaction.seller.code,
            transaction.sellerProvince, transaction.sellerDistrict, amount, transaction.inUSD ? "USD" : "", refund,
            spellings[Int((draw >> 32) % UInt64(spellings.count))],
        ]
    }

    func vietnameseRow(_ transaction: Dataset.Transaction, status: TransactionStatus) -> [String] {
        let draw = transaction.styleDraw
        let grouped = (draw >> 8) & 3 != 0
        let refundUnits = status == transaction.finalStatus ? transaction.refund : 0
        let spellings = SyntheticCatalog.vietnameseSpellings[status]!
        let channel = (draw >> 12) & 1 == 0 ? transaction.channel.rawValue.capitalized : transaction.channel.rawValue
        return [
            transaction.id, dayFirstDate(transaction, style: Int((draw >> 20) % 3)), channel, transaction.seller.code,
            transaction.sellerProvince, transaction.sellerDistrict,
            SyntheticNumberFormat.vi.integer(transaction.amount, grouped: grouped),
            refundUnits > 0 ? SyntheticNumberFormat.vi.integer(refundUnits, grouped: grouped) : "",
            spellings[Int((draw >> 32) % UInt64(spellings.count))],
        ]
    }

    // MARK: Dates

    /// ISO forms; the local time is UTC+7, so `…Z` forms are shifted (1 January 03:00 local is
    /// 31 December 20:00Z of the year before).
    func isoDate(_ t: Dataset.Transaction, style: Int) -> String {
        let date = "\(t.year)-\(pad2(t.month))-\(pad2(t.day))"
        let time = "\(pad2(t.hour)):\(pad2(t.minute)):\(pad2(t.second))"
        switch style {
        case 0: return date
        case 1, 2:
            var minutes =
                CivilDate.daysFromCivil(year: t.year, month: t.month, day: t.day) * 1440 + t.hour * 60 + t.minute
            minutes -= 7 * 60
            let days = minutes >= 0 ? minutes / 1440 : (minutes - 1439) / 1440
            let utc = CivilDate.civilFromDays(days)
            let rest = minutes - days * 1440
            let fraction = style == 2 ? "." + pad3(Int(t.styleDraw >> 48) % 1000) : ""
            return
                "\(utc.year)-\(pad2(utc.month))-\(pad2(utc.day))T\(pad2(rest / 60)):\(pad2(rest % 60)):\(pad2(t.second))\(fraction)Z"
        case 3: return "\(date)T\(time)+07:00"
        case 4: return "\(date) \(time)"
        default: return "\(date)T\(pad2(t.hour)):\(pad2(t.minute))"
        }
    }

    /// Day-first forms: `5/3/2022`, `5/3/2022 9:05`, `5/3/2022 9:05:07` (local time).
    func dayFirstDate(_ t: Dataset.Transaction, style: Int) -> String {
        let date = "\(t.day)/\(t.month)/\(t.year)"
        switch style {
        case 0: return date
        case 1: return "\(date) \(t.hour):\(pad2(t.minute))"
        default: return "\(date) \(t.hour):\(pad2(t.minute)):\(pad2(t.second))"
        }
    }

    func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
    func pad3(_ n: Int) -> String { n < 10 ? "00\(n)" : n < 100 ? "0\(n)" : String(n) }
}
