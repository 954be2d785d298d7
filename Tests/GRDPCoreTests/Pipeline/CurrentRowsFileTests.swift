import Foundation
import Testing

@testable import GRDPCore

/// `current-rows.bin`: what it keeps comes back whole, and a file that is not exactly one this
/// build and config wrote, whole, is not used.
@Suite struct CurrentRowsFileTests {
    private static let state = CurrentRowsState(
        members: [
            .init(
                archivePath: "2024-01-01_a.zip", archiveSHA256: "ab", member: 0, memberPath: "t.csv", rows: 70,
                years: [2023, 2024]),
            .init(
                archivePath: "2024-02-01_b.tar.gz", archiveSHA256: "cd", member: 3, memberPath: "giao dịch.csv",
                rows: 3, years: nil),
        ], keys: 66, bits: [0xFFFF_0000_1234_5678, 0b101])

    private static func file(in folder: URL, build: String = "b1", config: String = "c1") -> CurrentRowsFile {
        CurrentRowsFile(cacheFolder: folder, build: build, configSHA256: config)
    }

    @Test func whatIsKeptComesBack() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("current-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = Self.file(in: folder)
        #expect(file.read() == nil)
        try file.write(Self.state)
        #expect(file.read() == Self.state)
        // Nothing else left in the folder (no temporary file).
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [CurrentRowsFile.fileName])
        // Another build's or config's state is not used.
        #expect(Self.file(in: folder, build: "b2").read() == nil)
        #expect(Self.file(in: folder, config: "c2").read() == nil)
        file.remove()
        #expect(file.read() == nil)
    }

    /// Any byte changed, or the file cut anywhere, and it is not used.
    @Test func aDamagedOrTornFileIsNotUsed() {
        let file = Self.file(in: FileManager.default.temporaryDirectory)
        let bytes = file.encode(Self.state)
        #expect(file.decode(bytes) == Self.state)
        for offset in bytes.indices {
            var damaged = bytes
            damaged[offset] ^= 0x10
            #expect(file.decode(damaged) == nil, "byte \(offset)")
        }
        for length in stride(from: 0, to: bytes.count, by: 1) {
            #expect(file.decode(Array(bytes[..<length])) == nil, "cut at \(length)")
        }
        #expect(file.decode(bytes + [0, 0, 0, 0, 0, 0, 0, 0]) == nil)
    }
}
