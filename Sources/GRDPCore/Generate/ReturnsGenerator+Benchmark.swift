internal import Foundation

/// The benchmark layout (`grdp generate --layout benchmark`): one `.tar.gz` per year, each with the
/// year's enterprise returns, GRDP and e-commerce transactions in plain `en` numbers (no thousands
/// marks) and ISO dates, so that `scripts/bench.sh` measures the pipeline on the yardstick's shape
/// (docs/BENCHMARK.md): five archives of about 200,000 transactions each for 1,000,000 over 2020–2024.
/// `--archives K` cuts the same transactions into K archives of equal size instead.
///
/// Revisions still happen: the orders of year Y refunded later are sent again, refunded, in
/// `transactions_{Y}_revised.csv` of the next year's archive (the last year's in its own archive,
/// after its first sends by member path order), so the revision ledger does real work.
extension ReturnsGenerator {
    func writeBenchmark(_ dataset: Dataset, to archives: inout ArchiveSet) throws {
        let byYear = Dictionary(uniqueKeysWithValues: dataset.grdp.map { ($0.year, $0) })
        var previousUpdates: (year: Int, csv: CSVText)?
        for year in dataset.years {
            var sent = 0
            var members: [ArchiveSet.Member] = []

            members += yearReturns(dataset, year: year, grdpByYear: byYear)

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
                    sends.row(firstSend(transaction, status: firstStatus, year: year, sent: &sent))
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

    /// `--archives K`: the same transactions, in the same order and with the same revisions, cut into
    /// K `.tar.gz` of `transactions / K` (±1) each, named `{last year + 1}-01-31_benchmark-0001.tar.gz`
    /// … `-K` (zero-padded to at least 4 digits, so the names sort in revision order, and before the
    /// increment's). A year's GRDP and enterprise members go in the archive that holds its first
    /// transaction; the orders of archive k refunded later are sent again in archive k+1 (the last
    /// archive's in itself, after its first sends by member path order), as in the yearly layout.
    func writeBenchmark(_ dataset: Dataset, archives count: Int, to archives: inout ArchiveSet) throws {
        let total = options.transactions
        let width = max(4, String(count).count)
        let byYear = Dictionary(uniqueKeysWithValues: dataset.grdp.map { ($0.year, $0) })
        /// Transactions before the end of chunk `chunk` (cumulative rounding: the sizes add up to `total`).
        func end(_ chunk: Int) -> Int { (chunk + 1) * total / count }
        func sequence(_ chunk: Int) -> String {
            let text = String(chunk + 1)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }

        var chunk = 0
        var position = 0
        /// First sends in the chunk's member so far (`firstSend`).
        var sentInChunk = 0
        var yearMembers: [ArchiveSet.Member] = []
        func freshCSV(capacity: Int = 0) -> CSVText {
            var csv = CSVText(convention: .en, capacity: capacity)
            csv.row(Self.englishTransactionHeader)
            return csv
        }
        let chunkCapacity = (total / count + 1) * 90
        var sends = freshCSV(capacity: chunkCapacity)
        var updates = freshCSV()
        var previousUpdates: (sequence: String, csv: CSVText)?

        func flush(last: Bool) throws {
            let seq = sequence(chunk)
            var members = yearMembers
            members.append(.init(path: "transactions_\(seq).csv", kind: .transaction, csv: sends))
            if let previousUpdates {
                members.append(
                    .init(
                        path: "transactions_\(previousUpdates.sequence)_revised.csv", kind: .transaction,
                        csv: previousUpdates.csv))
            }
            if last {
                members.append(.init(path: "transactions_\(seq)_revised.csv", kind: .transaction, csv: updates))
                previousUpdates = nil
            } else {
                previousUpdates = (seq, updates)
            }
            try archives.write(
                "\(dataset.years.upperBound + 1)-01-31_benchmark-\(seq).tar.gz", format: .tarGzip, members: members)
            yearMembers = []
            sentInChunk = 0
            sends = freshCSV(capacity: last ? 0 : chunkCapacity)
            updates = freshCSV()
            chunk += 1
        }

        for year in dataset.years {
            yearMembers += yearReturns(dataset, year: year, grdpByYear: byYear)

            for quarter in 1...4 {
                for transaction in dataset.transactions(year: year, quarter: quarter) {
                    let firstStatus = transaction.revisedToRefunded ? .completed : transaction.finalStatus
                    sends.row(firstSend(transaction, status: firstStatus, year: year, sent: &sentInChunk))
                    if transaction.revisedToRefunded {
                        updates.row(benchmarkRow(transaction, status: .refunded, refundInFull: true))
                    }
                    position += 1
                    if position == end(chunk) && chunk < count - 1 { try flush(last: false) }
                }
            }
        }
        try flush(last: true)
    }

    /// A year's GRDP member (the previous year's final figure, this year's preliminary one; the last
    /// year's final) and its enterprise returns, as both benchmark layouts send them.
    func yearReturns(_ dataset: Dataset, year: Int, grdpByYear byYear: [Int: Dataset.GRDPYear])
        -> [ArchiveSet.Member]
    {
        var grdp = CSVText(convention: .en)
        grdp.row(["year", "province_code", "price_basis", "grdp"])
        if let previous = byYear[year - 1] {
            grdp.row([String(year - 1), "67", "current", Self.plain(previous.finalTenths, decimals: 1)])
        }
        let row = byYear[year]!
        let preliminary = year == dataset.years.upperBound ? row.finalTenths : row.finalTenths * 99 / 100
        grdp.row([String(year), "67", "current", Self.plain(preliminary, decimals: 1)])

        var enterprises = CSVText(convention: .en)
        enterprises.row(["tax_code", "year", "vsic", "name", "district_code", "employees", "value_added"])
        for record in dataset.records where record.year == year {
            let enterprise = dataset.enterprises[record.enterprise]
            enterprises.row([
                enterprise.taxCode, String(year), enterprise.activity.vsic, enterprise.name, enterprise.district,
                String(record.employees), Self.plain(record.valueAddedTenths, decimals: 1),
            ])
        }
        return [
            .init(path: "grdp_\(year).csv", kind: .grdp, csv: grdp),
            .init(path: "enterprise_\(year).csv", kind: .enterprise, csv: enterprises),
        ]
    }

    /// An order's first send (`benchmarkRow`), the `sent`-th of its member counting this one,
    /// dated the 30th of February when `faultyEvery` picks it.
    func firstSend(_ transaction: Dataset.Transaction, status: TransactionStatus, year: Int, sent: inout Int)
        -> [String]
    {
        var row = benchmarkRow(transaction, status: status, refundInFull: false)
        sent += 1
        if let every = options.faultyEvery, sent % every == 0 { row[1] = "\(year)-02-30" }
        return row
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
