import Foundation
import Testing

@testable import GRDPCore

/// `RunCache.fileChecksum`: what tells the latest snapshot file from the one published. Every byte
/// counts, in place and in number, across the 1 MiB blocks it is read in.
@Suite struct RunCacheFileChecksumTests {
    let folder: TemporaryFolder

    init() throws {
        folder = try TemporaryFolder()
    }

    private func checksum(of bytes: [UInt8], _ name: String = "file") throws -> String? {
        let url = folder.url.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return RunCache.fileChecksum(url)
    }

    @Test(arguments: [0, 7, 8, 4099, (1 << 20) - 3, (1 << 20) + 13, 3 << 20])
    func everyByteAndTheSizeCount(size: Int) throws {
        var generator = SplitMix64(seed: UInt64(size))
        let bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let original = try #require(try checksum(of: bytes))
        #expect(original.hasPrefix("\(size):"))
        #expect(try checksum(of: bytes, "copy") == original)
        for index in Set([0, size / 2, size - 1, (1 << 20) - 1, 1 << 20]) where index >= 0 && index < size {
            var changed = bytes
            changed[index] ^= 0x01
            #expect(try checksum(of: changed) != original, "byte \(index)")
        }
        // A zero byte more at the end: the tail word pads with zeros, the size still tells.
        #expect(try checksum(of: bytes + [0]) != original)
        #expect(RunCache.fileChecksum(folder.url.appendingPathComponent("missing")) == nil)
    }
}
