import Testing

@testable import GRDPCore

/// The one order of archives, members, codes and keys (CONTRACT §3, §4.4): UTF-8 bytes, then the
/// shorter first; never `String`'s canonical equivalence.
@Suite struct BytewiseTests {
    @Test(arguments: [
        ("", "", 0), ("", "a", -1), ("a", "ab", -1), ("ab", "a", 1), ("B.zip", "a.zip", -1),
        // Precomposed é (C3 A9) after e + combining acute (65 CC 81): equal as `String`s, not here.
        ("\u{E9}", "e\u{301}", 1), ("Đắk Nông", "Đắk Nông", 0), ("Đắk Nông", "Dak Nong", 1),
        // Past a small string's 15 bytes, stored on the heap.
        ("0101234567-001-marketplace", "0101234567-001-marketplacf", -1),
        ("0101234567-001-marketplace", "0101234567-001-marketplace", 0),
    ])
    func ordersByBytes(a: String, b: String, order: Int) {
        #expect(bytewiseCompare(a, b) == order)
        #expect(bytewiseCompare(b, a) == -order)
        #expect(bytewiseLess(a, b) == (order < 0))
    }

    /// Strings made from UTF-16 code units, or from a part of another's bytes, order as their UTF-8
    /// bytes do.
    @Test func madeStringsOrderByTheirBytes() {
        let made = String(decoding: Array("Đắk Nông".utf16), as: UTF16.self)
        #expect(bytewiseCompare(made, "Đắk Nông") == 0)
        #expect(bytewiseCompare(String(made.utf8.dropLast())!, "Đắk Nông") == -1)
    }
}
