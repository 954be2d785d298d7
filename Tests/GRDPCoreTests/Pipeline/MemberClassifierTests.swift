import Foundation
import Testing

@testable import GRDPCore

/// A member is a data file when its basename matches a kind's pattern case-insensitively (CONTRACT
/// §3), in every script: a Vietnamese file name in capitals was skipped as `unrecognized-member`,
/// and its rows lost, while the run succeeded.
@Suite struct MemberClassifierTests {
    let vietnamese = MemberClassifier(kinds: [
        .enterprise: ["doanh_nghiệp*.csv"],
        .transaction: ["giao_dịch_[0-9][0-9][0-9][0-9].csv", "đơn?hàng*.csv"],
        .grdp: ["tổng_sản_phẩm*.csv", "grdp*.csv"],
    ])

    @Test func defaultsMatchTheirNamesInAnyCaseAndPath() {
        let classifier = MemberClassifier(kinds: [:])
        #expect(classifier.classify(memberPath: "ENTERPRISE_2024.CSV") == .data(.enterprise))
        #expect(classifier.classify(memberPath: "./q1/Transactions-03.csv") == .data(.transaction))
        #expect(classifier.classify(memberPath: "./././ecommerce.csv") == .data(.transaction))
        #expect(classifier.classify(memberPath: "dir/GRDP.csv") == .data(.grdp))
        #expect(classifier.classify(memberPath: "notes.CSV") == .unrecognizedCSV)
        #expect(classifier.classify(memberPath: "grdp.csv.bak") == .other)
        #expect(classifier.classify(memberPath: "README") == .other)
        // The basename only: a folder's name decides nothing.
        #expect(classifier.classify(memberPath: "enterprise/other.csv") == .unrecognizedCSV)
    }

    @Test func vietnameseCapitalsAndDecomposedLettersMatch() {
        #expect(vietnamese.classify(memberPath: "TỔNG_SẢN_PHẨM_2023.csv") == .data(.grdp))
        #expect(vietnamese.classify(memberPath: "Tổng_Sản_Phẩm.CSV") == .data(.grdp))
        // The same name, decomposed (NFD), as some archivers store it.
        let decomposed = "TỔNG_SẢN_PHẨM_2023.csv".decomposedStringWithCanonicalMapping
        #expect(decomposed.unicodeScalars.count > "TỔNG_SẢN_PHẨM_2023.csv".unicodeScalars.count)
        #expect(vietnamese.classify(memberPath: decomposed) == .data(.grdp))
        #expect(vietnamese.classify(memberPath: "DOANH_NGHIỆP.csv") == .data(.enterprise))
        // Đ lower-cases to đ, not to d.
        #expect(vietnamese.classify(memberPath: "ĐƠN_HÀNG.csv") == .data(.transaction))
        #expect(vietnamese.classify(memberPath: "DON_HANG.csv") == .unrecognizedCSV)
    }

    /// `?` is one character, however many bytes it takes; `[…]` one of a set.
    @Test func questionMarkAndSetsMatchOneCharacter() {
        #expect(vietnamese.classify(memberPath: "đơn hàng 1.csv") == .data(.transaction))
        #expect(vietnamese.classify(memberPath: "đơn_ấhàng.csv") == .unrecognizedCSV)
        #expect(vietnamese.classify(memberPath: "đơnhàng.csv") == .unrecognizedCSV)
        #expect(vietnamese.classify(memberPath: "GIAO_DỊCH_2024.csv") == .data(.transaction))
        #expect(vietnamese.classify(memberPath: "giao_dịch_24.csv") == .unrecognizedCSV)
        #expect(vietnamese.classify(memberPath: "giao_dịch_2O24.csv") == .unrecognizedCSV)
    }

    @Test func globRules() {
        let cases: [(String, String, Bool)] = [
            ("a*b", "ab", true), ("a*b", "axxb", true), ("a*b", "axxbc", false), ("*", "", true),
            ("a**b", "a/b", true), ("*b*b", "abbxb", true), ("?", "", false), ("??", "đĐ", true),
            ("[abc]x", "bx", true), ("[abc]x", "dx", false), ("[!abc]x", "dx", true), ("[^abc]x", "ax", false),
            ("[a-c]", "B", true), ("[A-C]", "b", true), ("[z-a]", "m", false),
            ("[]]", "]", true), ("[!]]", "a", true), ("[a-]", "-", true),
            ("x[", "x[", true), ("x[ab", "x[ab", true), ("x[ab", "xa", false),
        ]
        for (pattern, name, expected) in cases {
            #expect(MemberClassifier.matches(name, pattern: pattern) == expected, "\(pattern) ~ \(name)")
        }
    }
}
