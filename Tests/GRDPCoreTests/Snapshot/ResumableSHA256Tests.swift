import Crypto
import Foundation
import Testing

@testable import GRDPCore

/// Our SHA-256 (`ResumableSHA256`, kept between runs by the content hash) against swift-crypto's,
/// with the CPU's SHA instructions and without, over every length around the block edges and
/// every way of cutting the input; and its state written to JSON and read back goes on the same.
@Suite(.serialized) struct ResumableSHA256Tests {
    private static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }

    private static func ours(_ parts: [ArraySlice<UInt8>]) -> String {
        var hasher = ResumableSHA256()
        for part in parts { part.withUnsafeBytes { hasher.update($0) } }
        return lowercaseHex(hasher.digest())
    }

    private static func theirs(_ bytes: [UInt8]) -> String {
        lowercaseHex(SHA256.hash(data: bytes))
    }

    /// Both ways of compressing blocks (the portable one only where SHA-NI is there).
    private static func eachCompression(_ body: () throws -> Void) rethrows {
        defer { ResumableSHA256.allowCPUInstructions(true) }
        for allowed in [true, false] {
            ResumableSHA256.allowCPUInstructions(allowed)
            try body()
        }
    }

    @Test func knownDigests() {
        Self.eachCompression {
            #expect(Self.ours([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            #expect(
                Self.ours([Array("abc".utf8)[...]])
                    == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            let twoBlocks = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
            #expect(Self.ours([twoBlocks[...]]) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        }
    }

    @Test func everyLengthAndCutGivesSwiftCryptosDigest() {
        Self.eachCompression {
            for length in Array(0...200) + [255, 256, 257, 1000, 4096, 65_537, 300_001] {
                let data = Self.bytes(length, seed: UInt64(length))
                let expected = Self.theirs(data)
                #expect(Self.ours([data[...]]) == expected, "\(length) whole")
                // Cut at pseudo-random points, pieces of 0 to 130 bytes.
                var generator = SplitMix64(seed: UInt64(length) &+ 99)
                var parts: [ArraySlice<UInt8>] = []
                var start = 0
                while start < length {
                    let end = min(length, start + Int(generator.next() % 131))
                    parts.append(data[start..<end])
                    start = end
                }
                #expect(Self.ours(parts) == expected, "\(length) in \(parts.count) pieces")
            }
        }
    }

    @Test func aStateReadBackGoesOnTheSame() throws {
        let data = Self.bytes(10_000, seed: 7)
        for cut in [0, 1, 63, 64, 65, 127, 4000, 9999, 10_000] {
            var hasher = ResumableSHA256()
            data[..<cut].withUnsafeBytes { hasher.update($0) }
            let json = try JSONEncoder().encode(hasher)
            var back = try JSONDecoder().decode(ResumableSHA256.self, from: json)
            #expect(back == hasher, "\(cut)")
            data[cut...].withUnsafeBytes { back.update($0) }
            #expect(lowercaseHex(back.digest()) == Self.theirs(data), "\(cut)")
        }
        // A state that does not add up is refused, not taken.
        let bad = [
            #"{"words":[1,2,3,4,5,6,7,8],"length":3,"pending":[1,2]}"#,
            #"{"words":[1,2,3,4,5,6,7],"length":0,"pending":[]}"#,
            #"{"words":[1,2,3,4,5,6,7,8],"length":1,"pending":[256]}"#,
        ]
        for text in bad {
            #expect(throws: DecodingError.self) {
                try JSONDecoder().decode(ResumableSHA256.self, from: Data(text.utf8))
            }
        }
    }
}
