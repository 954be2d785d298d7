internal import Foundation

/// The benchmark layout (`grdp generate --layout benchmark`): one `.tar.gz` per year, each with the
/// year's enterprise returns, GRDP and e-commerce transactions in plain `en` numbers (no thousands
/// marks) and ISO dates, so that `scripts/bench.sh` measures the pipeline on the yardstick's shape
/// (docs/BENCHMARK.md): five archives of about 200,000 transactions each for 1,000,000 over 2020–2024.
///
/// Revisions still happen: the orders of year Y refunded later are sent again, refunded, in
/// `transactions_{Y}_revised.csv` of the next year's archive (the last year's in its own archive,
/// after its first sends by member path order), so the revision ledger does real work.
extension ReturnsGenerator {
    func writeBenchmark(_ dataset: Dataset, to archives: inout ArchiveSet) throws {
        let byYear = Dictionary(uniqueKeysWithValues: dataset.grdp.map { ($0.year, $0) })
        var previousUpdates: (year: Int, csv: CSVText)?
        for year in dataset.years {
            var members: [ArchiveSet.Member] = []

            var grdp = CSVText(convention: .en)
            grdp.row(["year", "province_code", "price_basis", "grdp"])
            if let previous = byYear[year - 1] {
                grdp.row([String(year - 1), "67", "current", Self.plain(previous.finalTenths, decimals: 1)])
            }
            let row = byYear[year]!
            let preliminary = year == dataset.years.upperBound ? row.finalTenths : row.finalTenths * 99 / 100
            grdp.row([String(year), "67", "current", Self.plain(preliminary, decimals: 1)])
            members.append(.init(path: "grdp_\(year).csv", kind: .grdp, csv: grdp))

            var enterprises = CSVText(convention: .en)
            enterprises.row(["tax_code", "year", "vsic", "name", "district_code", "employees", "value_added"])
            for record in dataset.records where record.year == year {
                let enterprise = dataset.enterprises[record.enterprise]
                enterprises.row([
                    enterprise.taxCode, String(year), enterprise.activity.vsic, enterprise.name, enterprise.district,
                    String(record.employees), Self.plain(record.valueAddedTenths, decimals: 1),
                ])
            }
            members.append(.init(path: "enterprise_\(year).csv", kind: .enterprise, csv: enterprises))

            var quarters: [[Dataset.Transaction]] = []
            var count = 0
            for quarter in 1...4 {
                quarters.append(dataset.transactions(year: year, quarter: quarter))
                count += quarters[quarter - 1].count
            }
            var sends = CSVText(convention: .en, capacity: count * 90)
            sends.row(Self.englishTransactionHeader)
            var updates = CSVText(convention: .en)
            updates.row(Self.englishTransactionHeader)
            for transactions in quarters {
                for transaction in transactions {
                    let firstStatus = transaction.revisedToRefunded ? .completed : transaction.finalStatus
                    sends.row(benchmarkRow(transaction, status: firstStatus, refundInFull: false))
                    if transaction.revisedToRefunded {
                        updates.row(benchmarkRow(transaction, status: .refunded, refundInFull: true))
                    }
                }
            }
            quarters = []
            members.append(.init(path: "transactions_\(year).csv", kind: .transaction, csv: sends))
            if let previousUpdates {
                members.append(
                    .init(
                        path: "transactions_\(previousUpdates.year)_revised.csv", kind: .transaction,
                        csv: previousUpdates.csv))
            }
            if year == dataset.years.upperBound {
                members.append(.init(path: "transactions_\(year)_revised.csv", kind: .transaction, csv: updates))
                previousUpdates = nil
            } else {
                previousUpdates = (year, updates)
            }
            try archives.write("\(year + 1)-01-31_benchmark.tar.gz", format: .tarGzip, members: members)
        }
    }

    /// One transaction row of the benchmark: ungrouped `en` numbers, an ISO date or timestamp.
    func benchmarkRow(_ transaction: Dataset.Transaction, status: TransactionStatus, refundInFull: Bool) -> [String] {
        let draw = transaction.styleDraw
        let decimals = transaction.inUSD ? 2 : 0
        let amount = Self.plain(transaction.amount, decimals: decimals)
        let inFull = refundInFull || (status == .refunded && (draw >> 14) & 1 == 0)
        let refundUnits = inFull ? transaction.amount : (status == transaction.finalStatus ? transaction.refund : 0)
        let refund = refundUnits > 0 || (draw >> 10) & 1 == 0 ? Self.plain(refundUnits, decimals: decimals) : ""
        let spellings = SyntheticCatalog.englishSpellings[status]!
        return [
            transaction.id, isoDate(transaction, style: Int((draw >> 20) % 6)), transaction.channel.rawValue,
            transaction.seller.code, transaction.sellerProvince, transaction.sellerDistrict, amount,
            transaction.inUSD ? "USD" : "", refund, spellings[Int((draw >> 32) % UInt64(spellings.count))],
        ]
    }

    /// `units × 10^-decimals` as plain `en` text: `1234567`, `1234567.5`.
    static func plain(_ units: Int64, decimals: Int) -> String {
        SyntheticNumberFormat.en.fixed(units, decimals: decimals, grouped: false)
    }
}
