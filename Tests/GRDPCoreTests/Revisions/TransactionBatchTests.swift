import Foundation
import Testing

@testable import GRDPCore

/// A batch's compact rows: each row's stem and number give back its channel and transaction id
/// exactly, and its texts its seller and district, however the ids' prefixes and the texts
/// alternate (more of them than the batch remembers as recent).
@Suite struct TransactionBatchTests {
    /// 40 bytes a row, no padding: the rows of the archives in flight and of the cache entries.
    @Test func aRowHasNoPadding() {
        #expect(MemoryLayout<TransactionBatch.Row>.size == 40)
        #expect(MemoryLayout<TransactionBatch.Row>.stride == 40)
    }

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

    /// The years of a member's rows, for the report (`MemberResult.years`): each once, ascending,
    /// however they alternate, at both ends of the years noted (1990 and 2117); none for a year
    /// outside, and none once sealed.
    @Test func yearsAreNotedOnceEachAscending() {
        func batch(years: [Int]) -> TransactionBatch {
            var batch = TransactionBatch()
            for (n, year) in years.enumerated() {
                batch.append(
                    TransactionRecord(
                        transactionID: "T\(n)", year: year, month: 1, amountVND: ExactDecimal(1), refundVND: .zero,
                        status: .completed, channel: "web", sellerTaxCode: "", sellerDistrictCode: ""))
            }
            return batch
        }
        #expect(batch(years: []).years() == [])
        var alternating = batch(years: [2024, 2024, 2023, 2024, 2023, 2022, 2022, 2024])
        #expect(alternating.years() == [2022, 2023, 2024])
        alternating.seal()
        #expect(alternating.years() == nil)
        #expect(batch(years: [2117, 1990, 2053, 2054, 2100]).years() == [1990, 2053, 2054, 2100, 2117])
        #expect(batch(years: [2024, 1989]).years() == nil)
        #expect(batch(years: [2118, 2024]).years() == nil)
    }

    /// Texts are one when canonically equivalent, as `String`'s `==` says (a district stored
    /// decomposed is the precomposed one), kept in NFC, before and after the batch is sealed.
    @Test func canonicallyEquivalentTextsAreOneText() {
        var batch = TransactionBatch()
        for (n, seller) in ["B\u{E9}", "Be\u{301}", "x", "Be\u{301}"].enumerated() {
            batch.append(
                TransactionRecord(
                    transactionID: "T\(n)", year: 2024, month: 1, amountVND: ExactDecimal(1), refundVND: .zero,
                    status: .completed, channel: "web", sellerTaxCode: seller,
                    sellerDistrictCode: n % 2 == 0 ? "Đắk Mil" : "Đắk Mil".decomposedStringWithCanonicalMapping))
        }
        let before = batch.rows.map { [$0.seller, $0.district] }
        #expect(before[0] == before[1] && before[1] == before[3] && before[0][0] != before[2][0])
        #expect(Set(before.map { $0[1] }).count == 1)
        batch.seal()
        #expect(batch.rows.map { [$0.seller, $0.district] } == before)
        #expect(batch.strings.map { Array($0.utf8) }.contains(Array("B\u{E9}".utf8)))
        #expect(batch.strings.count == 4)
    }
}
