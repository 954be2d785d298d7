@testable import GRDPCore

/// What the tests build and read batches with; the pipeline appends cells' bytes
/// (`append(id:…)`, from Normalize) and reads the rows where they are (`withRows`).
extension TransactionBatch {
    /// Appends a record as Normalize would have collected its row.
    mutating func append(_ t: TransactionRecord) {
        var id = t.transactionID
        var district = t.sellerDistrictCode
        id.withUTF8 { id in
            district.withUTF8 { district in
                append(
                    id: id, year: t.year, month: t.month, amountVND: t.amountVND, refundVND: t.refundVND,
                    status: t.status, channel: t.channel, sellerTaxCode: t.sellerTaxCode, district: district)
            }
        }
    }

    /// The rows, in line order, copied.
    var rows: [Row] { withRows { Array($0) } }
}

extension TransactionGroupTable {
    /// Each group's transactions and net sum by its key (channel, seller, district, year-month,
    /// status), as text: what the ledger's tests compare.
    var sumsByKey: [String: String] {
        var sums: [String: String] = [:]
        for group in groups {
            let key =
                [group.channel, group.seller, group.district].map { texts[Int($0)] }.joined(separator: " ")
                + " \(group.year)-\(group.month) \(group.status)"
            sums[key] = "\(group.transactions) \(group.netVND.reduced)"
        }
        return sums
    }
}
