import Foundation
import Testing

@testable import GRDPCore

/// `LedgerTexts`: the ledger's texts numbered in the order first met, equal when canonically
/// equivalent, kept in the ledger state with their index and found again from it.
@Suite struct LedgerTextsTests {
    @Test func textsAreNumberedOnceInTheOrderFirstMet() {
        var texts = LedgerTexts(capacity: 2)
        let words = ["marketplace", "0101234567", "Đắk Nông", "", "Be\u{301}", "Bé", "marketplace", "x"]
        let numbers = words.map { texts.intern($0) }
        #expect(numbers == [0, 1, 2, 3, 4, 4, 0, 5])
        #expect(texts.strings == ["marketplace", "0101234567", "Đắk Nông", "", "Bé", "x"])
        // Grown well past its first room: every text still found.
        for n in 0..<10_000 { #expect(texts.intern("seller-\(n)") == UInt32(6 + n)) }
        #expect(texts.intern("Đắk Nông") == 2 && texts.count == 10_006)
    }

    /// The index is kept in a file: its hash must be the same in every process, not seeded as
    /// Swift's `Hasher` is.
    @Test func theHashIsTheSameInEveryProcess() {
        func hash(_ text: String) -> UInt64 {
            var text = text
            return text.withUTF8 { LedgerTexts.hash($0) }
        }
        #expect(hash("") == 0x94D0_BB54_CC8A_E51A)
        #expect(hash("0101234567") == 0x4B22_6023_CCFE_5498)
        #expect(hash("Đắk Nông") != hash("Dak Nong"))
    }

    @Test func textsReadBackFromTheStateAreFoundWithoutRebuildingTheIndex() throws {
        var texts = LedgerTexts()
        for n in 0..<50_000 { _ = texts.intern("seller-\(n)") }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("texts-\(UUID().uuidString).bin")
        defer { try? FileManager.default.removeItem(at: url) }
        try AtomicFile.write(to: url, durable: false) { file throws(OutputWriteError) in
            var writer = LedgerStateWriter(file)
            try writer.header([])
            try texts.write(to: &writer)
            try writer.finish()
        }
        var reader = try LedgerStateReader(try InputFile(url))
        _ = try reader.header()
        var read = try LedgerTexts(reading: &reader)
        try reader.finish()
        #expect(read.count == 50_000)
        #expect(read.intern("seller-49999") == 49_999 && read.intern("seller-0") == 0)
        #expect(read.intern("new") == 50_000)
        #expect(read.strings.suffix(2) == ["seller-49999", "new"])
    }
}
