import Testing

@testable import GRDPCore

/// The checksums every state file of the cache ends with (`WordChecksum`: the kept ledger,
/// `current-rows.bin`, `kept-groups.bin`; `ByteChecksum`: the archive cache's entries).
@Suite struct StateChecksumTests {
    /// The checksum takes words by their place in the whole stream: sections of any length give
    /// the checksum of their concatenation, and a swapped pair of words changes it.
    @Test func theChecksumIsThatOfTheWholeStreamHoweverItIsCut() {
        let words = (0..<37).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        func checksum(_ cuts: [Int]) -> UInt64 {
            var sum = WordChecksum()
            var start = 0
            for end in cuts + [words.count] {
                words[start..<end].withUnsafeBytes { sum.update($0) }
                start = end
            }
            return sum.value
        }
        let whole = checksum([])
        for cuts in [[1], [3, 4], [5, 6, 7, 13], [2, 30, 31, 35], [0, 0, 36]] {
            #expect(checksum(cuts) == whole, "\(cuts)")
        }
        var swapped = WordChecksum()
        (words[..<10] + [words[11], words[10]] + words[12...]).withUnsafeBytes { swapped.update($0) }
        #expect(swapped.value != whole)
    }

    /// The archive cache's checksum takes bytes in pieces of any length (rows as written, then the
    /// head): the same value however they are cut, another for any byte changed, for bytes left out
    /// and for zero bytes added (the last word is padded with zeros).
    @Test func theByteChecksumIsThatOfTheWholeStreamHoweverItIsCut() {
        let bytes = (0..<301).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        func checksum(_ bytes: [UInt8], cuts: [Int] = []) -> UInt64 {
            var sum = ByteChecksum()
            var start = 0
            for end in cuts + [bytes.count] {
                sum.update(Array(bytes[start..<end]))
                start = end
            }
            return sum.value
        }
        let whole = checksum(bytes)
        for cuts in [[1], [3, 4], [5, 6, 7, 13], [2, 30, 31, 35, 300], [0, 0, 8, 16, 17, 299], Array(1..<301)] {
            #expect(checksum(bytes, cuts: cuts) == whole, "\(cuts)")
        }
        for offset in bytes.indices {
            var changed = bytes
            changed[offset] ^= 1
            #expect(checksum(changed) != whole, "byte \(offset)")
        }
        #expect(checksum(Array(bytes.dropLast())) != whole)
        #expect(checksum(bytes + [0]) != whole)
        #expect(checksum([]) != checksum([0]))
        var sum = ByteChecksum()
        sum.update(bytes)
        #expect(sum.bytes == withUnsafeBytes(of: whole.littleEndian) { Array($0) })
    }
}
