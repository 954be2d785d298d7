import Foundation
import Testing

@testable import GRDPCore

@Suite struct NormalizeTaxCodeTests {
    @Test func checkDigitsComputedByHand() {
        // 0100109106: 31·0 + 29·1 + 23·0 + 19·0 + 17·1 + 13·0 + 7·9 + 5·1 + 3·0 = 114; 114 mod 11 = 4;
        // 10 − 4 = 6 = N10. Valid.
        #expect(TaxCode.normalize("0100109106") == "0100109106")
        #expect(TaxCode.normalize("0100109105") == nil)
        // 031234567?: 0 + 87 + 23 + 38 + 51 + 52 + 35 + 30 + 21 = 337; 337 mod 11 = 7; 10 − 7 = 3.
        #expect(TaxCode.normalize("0312345673") == "0312345673")
        #expect(TaxCode.normalize("0312345674") == nil)
        // 640012345?: 186 + 116 + 0 + 0 + 17 + 26 + 21 + 20 + 15 = 401; 401 mod 11 = 5; 10 − 5 = 5.
        #expect(TaxCode.normalize("6400123455") == "6400123455")
        // 100000000?: 31; 31 mod 11 = 9; 10 − 9 = 1.
        #expect(TaxCode.normalize("1000000001") == "1000000001")
        // A result of 10 is never valid: 000000000? gives 0 mod 11 = 0 → 10; so does 100000008?
        // (31 + 3·8 = 55 = 5·11).
        for last in 0...9 {
            #expect(TaxCode.normalize("000000000\(last)") == nil)
            #expect(TaxCode.normalize("100000008\(last)") == nil)
        }
    }

    @Test func formsAndSpaces() {
        #expect(TaxCode.normalize("0100109106-001") == "0100109106-001")
        #expect(TaxCode.normalize("0100109106001") == "0100109106-001")  // 13 digits → dddddddddd-ddd
        #expect(TaxCode.normalize(" 0100 109 106 ") == "0100109106")
        #expect(TaxCode.normalize("0100109106 - 001") == "0100109106-001")
        #expect(TaxCode.normalize("0100109105-001") == nil)  // the check digit is on the 10-digit part
        for bad in [
            "", "010010910", "01001091066", "0100109106-01", "0100109106-0001", "010010910-6001",
            "0100109106--001", "-0100109106", "0100109106-", "O100109106", "0100109106/001", "01001091060011",
        ] {
            #expect(TaxCode.normalize(bad) == nil, "accepted '\(bad)'")
        }
    }

    @Test func sellers() {
        #expect(TaxCode.normalize("", role: .seller) == "")  // an individual seller
        #expect(TaxCode.normalize("   ", role: .seller) == "")
        #expect(TaxCode.normalize("001088012345", role: .seller) == "001088012345")  // a 12-digit personal ID
        #expect(TaxCode.normalize("001088012345", role: .enterprise) == nil)
        #expect(TaxCode.normalize("0100109106", role: .seller) == "0100109106")
        #expect(TaxCode.normalize("0100109106001", role: .seller) == "0100109106-001")
        #expect(TaxCode.normalize("0100109105", role: .seller) == nil)
        #expect(TaxCode.normalize("00108801234", role: .seller) == nil)  // 11 digits
        #expect(TaxCode.normalize("", role: .enterprise) == nil)
    }
}

@Suite struct NormalizeVSICTests {
    private func code(_ text: String) -> VSIC.Code? {
        try? VSIC.normalize(text).get()
    }

    @Test func normalisesAndDerivesTheSection() {
        #expect(code("62010") == VSIC.Code(digits: "62010", section: "J"))
        #expect(code("6201") == VSIC.Code(digits: "6201", section: "J"))
        #expect(code("J6201") == VSIC.Code(digits: "6201", section: "J"))
        #expect(code("j 62.01.0") == VSIC.Code(digits: "62010", section: "J"))
        #expect(code("0111") == VSIC.Code(digits: "0111", section: "A"))  // a leading 0 is kept
        #expect(code("C10.10") == VSIC.Code(digits: "1010", section: "C"))
        #expect(code("4651") == VSIC.Code(digits: "4651", section: "G"))
        #expect(code("9900") == VSIC.Code(digits: "9900", section: "U"))
    }

    @Test func sectionTable() {
        // Every boundary of the table in CONTRACT §4.3, and the gaps between sections.
        let expected: [Int: Character?] = [
            1: "A", 3: "A", 4: nil, 5: "B", 9: "B", 10: "C", 33: "C", 34: nil, 35: "D", 36: "E", 39: "E",
            40: nil, 41: "F", 43: "F", 44: nil, 45: "G", 47: "G", 48: nil, 49: "H", 53: "H", 54: nil, 55: "I",
            56: "I", 57: nil, 58: "J", 63: "J", 64: "K", 66: "K", 67: nil, 68: "L", 69: "M", 75: "M", 76: nil,
            77: "N", 82: "N", 83: nil, 84: "O", 85: "P", 86: "Q", 88: "Q", 89: nil, 90: "R", 93: "R", 94: "S",
            96: "S", 97: "T", 98: "T", 99: "U", 0: nil,
        ]
        for (division, section) in expected {
            #expect(VSIC.section(ofDivision: division) == section, "division \(division)")
        }
        // 88 divisions in all (DOMAIN.md).
        #expect((0...99).filter { VSIC.section(ofDivision: $0) != nil }.count == 88)
    }

    @Test func invalidCodes() {
        #expect(code("620") == nil)
        #expect(code("620100") == nil)
        #expect(VSIC.normalize("0400") == .failure(.noSuchDivision("04")))
        #expect(VSIC.normalize("6701") == .failure(.noSuchDivision("67")))
        // CONTRACT §4.3 drops the letter without comparing it: the division decides the section.
        #expect(VSIC.normalize("C6201") == .success(VSIC.Code(digits: "6201", section: "J")))
        #expect(VSIC.normalize("A62.01") == .success(VSIC.Code(digits: "6201", section: "J")))
        #expect(VSIC.normalize("Z6201") == .failure(.notASection("Z")))
        for bad in ["", "JJ6201", "62-01", "6201J", "x", "Đ6201", "62O1"] {
            #expect(code(bad) == nil, "accepted '\(bad)'")
        }
    }
}

@Suite struct NormalizeStatusMapperTests {
    @Test func defaultsAndConfiguredSpellings() {
        let mapper = StatusMapper(extra: ["thanh cong": .completed, "Đã hủy": .cancelled])
        #expect(mapper.status(of: "completed") == .completed)
        #expect(mapper.status(of: "Complete") == .completed)
        #expect(mapper.status(of: " SUCCESS ") == .completed)
        #expect(mapper.status(of: "delivered") == .completed)
        #expect(mapper.status(of: "canceled") == .cancelled)
        #expect(mapper.status(of: "Cancelled") == .cancelled)
        #expect(mapper.status(of: "returned") == .refunded)
        #expect(mapper.status(of: "refunded") == .refunded)
        #expect(mapper.status(of: "pending") == .pending)
        #expect(mapper.status(of: "Thanh Cong") == .completed)
        // "Đã hủy" typed decomposed (a + U+0303 tilde, u + U+0309 hook above) and in lower case
        // matches the precomposed configured key.
        #expect(mapper.status(of: "đa\u{0303} hu\u{0309}y") == .cancelled)
        #expect("đa\u{0303} hu\u{0309}y".unicodeScalars.count == 8)
        #expect(mapper.status(of: "shipped") == nil)
        #expect(mapper.status(of: "") == nil)
    }
}

/// Cell text in NFC (CONTRACT §4.1) without Foundation for the scalars that cannot change: each of
/// them alone and any mix of them is its own NFC; anything else still goes through Foundation.
@Suite struct CellTextNFCTests {
    private static func text(_ string: String) -> String {
        Array(string.utf8).withUnsafeBufferPointer { CellText.text($0) }
    }

    private static func isFast(_ string: String) -> Bool {
        Array(string.utf8).withUnsafeBufferPointer { CellText.isNFCByItsScalars($0) }
    }

    @Test func everyScalarTakenAsItIsIsItsOwnNFC() {
        let scalars = (0x20..<0x300).compactMap(Unicode.Scalar.init) + (0x1E00...0x1EFF).compactMap(Unicode.Scalar.init)
        for scalar in scalars where scalar != " " {
            let string = String(Character(scalar))
            #expect(CellTextNFCTests.isFast(string), "U+\(String(scalar.value, radix: 16))")
            #expect(string.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(string.unicodeScalars))
        }
        // Mixes of them, as Vietnamese names are: also unchanged by NFC.
        var state: UInt64 = 3
        for _ in 0..<2_000 {
            var mix = String.UnicodeScalarView()
            for _ in 0..<6 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                mix.append(scalars[Int(state >> 33) % scalars.count])
            }
            let string = "x" + String(mix) + "x"
            #expect(CellTextNFCTests.text(string).unicodeScalars.elementsEqual(string.unicodeScalars))
            #expect(string.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(string.unicodeScalars))
        }
    }

    @Test func decomposedAndOtherTextIsStillNormalized() {
        let precomposed = "Công ty Nguyễn Đắk Nông"
        let decomposed = precomposed.decomposedStringWithCanonicalMapping
        #expect(!decomposed.unicodeScalars.elementsEqual(precomposed.unicodeScalars))
        #expect(CellTextNFCTests.isFast(precomposed) && !CellTextNFCTests.isFast(decomposed))
        #expect(CellTextNFCTests.text(decomposed).unicodeScalars.elementsEqual(precomposed.unicodeScalars))
        // Ω OHM SIGN (U+2126) is NFC Ω (U+03A9); a lone combining acute (U+0301) stays.
        #expect(CellTextNFCTests.text("\u{2126}").unicodeScalars.elementsEqual("\u{03A9}".unicodeScalars))
        #expect(!CellTextNFCTests.isFast("e\u{0301}") && CellTextNFCTests.text("e\u{0301}") == "é")
        #expect(CellTextNFCTests.text(" \u{00A0}Đắk\t") == "Đắk")
        // Not UTF-8: left to the decoder and Foundation, as before.
        #expect(!([0x65, 0xCB] as [UInt8]).withUnsafeBufferPointer { CellText.isNFCByItsScalars($0) })
        #expect(!([0xE1, 0xBA] as [UInt8]).withUnsafeBufferPointer { CellText.isNFCByItsScalars($0) })
    }
}
