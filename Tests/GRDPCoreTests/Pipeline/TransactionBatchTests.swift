import Testing

@testable import GRDPCore

/// A batch's compact rows: each row's stem and number give back its channel and transaction id
/// exactly, and its texts its seller and district, however the ids' prefixes and the texts
/// alternate (more of them than the batch remembers as recent).
@Suite struct TransactionBatchTests {
    @Test func stemAndNumberGiveBackEveryID() {
        let prefixes = (0..<12).map { "P\($0 % 4)-2024Q\($0 / 4 + 1)-" } + ["", "X"]
        let channels = ["marketplace", "website"]
        var records: [TransactionRecord] = []
        var state: UInt64 = 7
        for n in 0..<3_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let prefix = prefixes[Int(state >> 33) % prefixes.count]
            let width = 3 + Int(state >> 40) % 4
            let digits = String(n % 1_000)
            records.append(
                TransactionRecord(
                    transactionID: prefix + String(repeating: "0", count: max(0, width - digits.count)) + digits,
                    year: 2024, month: 1, amountVND: ExactDecimal(1000), refundVND: .zero, status: .completed,
                    channel: channels[Int(state >> 50) % 2], sellerTaxCode: "01\(Int(state >> 45) % 50)",
                    sellerDistrictCode: n % 7 == 0 ? "" : "66\(Int(state >> 52) % 11)"))
        }
        var batch = TransactionBatch()
        for record in records { batch.append(record) }
        batch.seal()
        #expect(batch.count == records.count)
        for (row, record) in zip(batch.rows, records) {
            let stem = batch.stems[Int(row.stem)]
            let digits = String(row.number)
            let id =
                String(decoding: stem.prefix, as: UTF8.self)
                + String(repeating: "0", count: Int(stem.width) - digits.count) + digits
            #expect(id == record.transactionID && batch.strings[Int(stem.channel)] == record.channel)
            #expect(batch.strings[Int(row.channel)] == record.channel)
            #expect(batch.strings[Int(row.seller)] == record.sellerTaxCode)
            #expect(batch.strings[Int(row.district)] == record.sellerDistrictCode)
        }
    }
}
