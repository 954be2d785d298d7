import Foundation
import Testing

@testable import GRDPCore

/// The ingest's path for transactions (`MemberNormalizer.collectedTransactions`: accepted rows go
/// into the batch from their cells' bytes) gives exactly the batch that appending the emitted
/// `TransactionRecord`s gives, and emits every other row as the record path does: the same lines,
/// outcomes and raw text, whatever the chunking.
@Suite struct CollectedTransactionsTests {
    /// Both paths over one member, fed in chunks of `chunkSize` bytes (nil: all at once).
    private func bothPaths(_ bytes: [UInt8], chunkSize: Int?, config: PipelineConfig) throws -> (
        records: (rows: [NormalizedRow], batch: TransactionBatch),
        collected: (rows: [NormalizedRow], batch: TransactionBatch)
    ) {
        func run(collecting: Bool) throws -> ([NormalizedRow], TransactionBatch) {
            let normalizer = MemberNormalizer(kind: .transaction, config: config, memberPath: "t.csv")
            if collecting { normalizer.collectedTransactions = TransactionBatch() }
            var rows: [NormalizedRow] = []
            try bytes.withUnsafeBytes { all in
                let size = max(1, chunkSize ?? all.count)
                var start = 0
                while start < all.count {
                    let end = min(all.count, start + size)
                    try normalizer.feed(UnsafeRawBufferPointer(rebasing: all[start..<end])) { rows.append($0) }
                    start = end
                }
            }
            try normalizer.finish { rows.append($0) }
            if collecting {
                var batch = try #require(normalizer.collectedTransactions)
                batch.seal()
                return (rows, batch)
            }
            var batch = TransactionBatch()
            var others: [NormalizedRow] = []
            for row in rows {
                if case .accepted(.transaction(let record)) = row.outcome {
                    batch.append(record)
                } else {
                    others.append(row)
                }
            }
            batch.seal()
            return (others, batch)
        }
        return (try run(collecting: false), try run(collecting: true))
    }

    private func expectSameBatch(
        _ a: TransactionBatch, _ b: TransactionBatch, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        #expect(a.count == b.count, sourceLocation: sourceLocation)
        // Bytes, not `String ==` (which holds canonically equivalent texts equal).
        #expect(a.strings.map { Array($0.utf8) } == b.strings.map { Array($0.utf8) }, sourceLocation: sourceLocation)
        #expect(a.stems == b.stems, sourceLocation: sourceLocation)
        #expect(a.wide.map(\.amount) == b.wide.map(\.amount), sourceLocation: sourceLocation)
        #expect(a.wide.map(\.refund) == b.wide.map(\.refund), sourceLocation: sourceLocation)
        for (x, y) in zip(a.rows, b.rows) {
            let same =
                x.number == y.number && x.stem == y.stem && x.channel == y.channel && x.seller == y.seller
                && x.district == y.district && x.year == y.year && x.month == y.month && x.status == y.status
                && x.mantissa == y.mantissa && x.scale == y.scale
            #expect(same, "rows differ: \(x) against \(y)", sourceLocation: sourceLocation)
        }
    }

    @Test func anEnglishMemberWithEveryKindOfRow() throws {
        // Decomposed (NFD) ids and districts, a no-break space around a district, ids with no digits
        // and with more than 18, amounts too wide for 64 bits, quarantined and excluded rows between
        // the accepted ones, repeated and alternating sellers, districts and channels.
        let nfdID = "HĐ-e\u{0301}-000123"
        let nfdDistrict = "Đa\u{0306}\u{0301}k"
        let text = """
            transaction_id,date,channel,seller_tax_code,seller_province,seller_district_code,amount,currency,refund_amount,status
            MP2023Q1-000001,2023-02-09 14:08:34,marketplace,6470340767,67,660,35334000,,0,completed
            WEB2023Q1-000002,2023-01-10,Website,067161428140,,,18044000,,0,COMPLETED
            \(nfdID),2023-03-01,website,6470340767,67,\(nfdDistrict),100,,,completed
            NODIGITS,2023-03-02,,6470340767,67,\u{00A0}661\u{00A0},100.5,,0.5,completed
            X1234567890123456789012,2023-03-03,social,6470340767,67,662,99999999999999.99999995,,1,completed
            BAD-DATE,2023-13-45,website,6470340767,67,660,1,,0,completed
            BAD-SELLER,2023-03-04,website,123,67,660,1,,0,completed
            OTHER-PROVINCE,2023-03-05,website,6470340767,62,660,1,,0,completed
            WEB2023Q1-000002,2024-01-01T00:30:00Z,website,6470340767,67,663,7,,0,completed
            MP2023Q1-000003,2023-04-01,marketplace,0100109106,67,664,12,,2,cancelled

            """
        let config = normalizeConfig()
        for chunkSize in [nil, 1, 7] {
            let (records, collected) = try bothPaths(Array(text.utf8), chunkSize: chunkSize, config: config)
            #expect(records.batch.count == 7)
            #expect(records.rows.map(\.line) == [7, 8, 9])
            #expect(collected.rows == records.rows)
            expectSameBatch(collected.batch, records.batch)
            #expect(!collected.batch.wide.isEmpty)
            // Pinned, not only compared with the record path (which appends through the same code):
            // each row gives back its id, channel, seller and district as NFC bytes.
            let expected: [(id: String, channel: String, seller: String, district: String)] = [
                ("MP2023Q1-000001", "marketplace", "6470340767", "660"),
                ("WEB2023Q1-000002", "website", "067161428140", ""),
                ("H\u{0110}-\u{00E9}-000123", "website", "6470340767", "\u{0110}\u{1EAF}k"),
                ("NODIGITS", "unknown", "6470340767", "661"),
                ("X1234567890123456789012", "social", "6470340767", "662"),
                ("WEB2023Q1-000002", "website", "6470340767", "663"),
                ("MP2023Q1-000003", "marketplace", "0100109106", "664"),
            ]
            let batch = collected.batch
            #expect(batch.count == expected.count)
            for (row, want) in zip(batch.rows, expected) {
                let stem = batch.stems[Int(row.stem)]
                let digits = stem.width == 0 ? "" : String(row.number)
                let id =
                    stem.prefix + Array(repeating: UInt8(ascii: "0"), count: Int(stem.width) - digits.utf8.count)
                    + Array(digits.utf8)
                #expect(id == Array(want.id.utf8))
                #expect(Array(batch.strings[Int(stem.channel)].utf8) == Array(want.channel.utf8))
                #expect(Array(batch.strings[Int(row.channel)].utf8) == Array(want.channel.utf8))
                #expect(Array(batch.strings[Int(row.seller)].utf8) == Array(want.seller.utf8))
                #expect(Array(batch.strings[Int(row.district)].utf8) == Array(want.district.utf8))
            }
            #expect(collected.batch.strings.contains { Array($0.utf8) == Array("Đ\u{1EAF}k".utf8) })
        }
    }

    @Test func aVietnameseMemberDecidedAfterRowsHeldBack() throws {
        // `;`-delimited with `auto`: rows before the deciding value are held back, then go into the
        // batch in line order with the others.
        var text = "ma_giao_dich;ngay;so_tien;trang_thai;ma_so_thue_nguoi_ban;ma_huyen\n"
        for n in 0..<40 {
            let amount = n < 30 ? "\(n + 1)" : "1.234.567,\(n % 10)"
            text += "GD-\(n);0\(n % 9 + 1)/02/2024;\(amount);hoàn thành;6470340767;66\(n % 8)\n"
        }
        let config = normalizeConfig(
            columns: [
                .transaction: [
                    "transaction_id": ["ma_giao_dich"], "date": ["ngay"], "amount": ["so_tien"],
                    "status": ["trang_thai"], "seller_tax_code": ["ma_so_thue_nguoi_ban"],
                    "seller_district_code": ["ma_huyen"],
                ]
            ], statuses: ["hoàn thành": .completed])
        for chunkSize in [nil, 3] {
            let (records, collected) = try bothPaths(Array(text.utf8), chunkSize: chunkSize, config: config)
            #expect(records.batch.count == 40)
            #expect(collected.rows == records.rows)
            expectSameBatch(collected.batch, records.batch)
        }
    }
}
