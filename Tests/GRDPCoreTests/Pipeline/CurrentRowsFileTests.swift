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

    /// A file sealed with a checksum that holds but whose header lies (a checksum is no secret):
    /// refused, never trapped on.
    @Test(arguments: [
        (#""rows":9223372036854775807"#, 0), (#""rows":4294967295"#, 0), (#""rows":0"#, 0), (#""rows":-5"#, 0),
        (#""rows":3"#, 4), (#""rows":3"#, -1),
    ])
    func aSealedFileThatLiesIsRefused(rows: String, keys: Int) {
        let file = Self.file(in: FileManager.default.temporaryDirectory)
        func sealed(_ header: String, words: Int) -> [UInt8] {
            var json = Array(header.utf8)
            let length = json.count
            json += [UInt8](repeating: 0, count: (8 - length % 8) % 8)
            var bytes = CurrentRowsFile.tag
            withUnsafeBytes(of: UInt64(length).littleEndian) { bytes += $0 }
            bytes += json + [UInt8](repeating: 0xFF, count: 8 * words)
            var checksum = WordChecksum()
            bytes.withUnsafeBytes { checksum.update($0) }
            withUnsafeBytes(of: checksum.value.littleEndian) { bytes += $0 }
            return bytes
        }
        func header(_ rows: String, keys: Int) -> String {
            #"{"build":"b1","configSHA256":"c1","keys":\#(keys),"members":[{"archivePath":"a.zip","#
                + #""archiveSHA256":"ab","member":0,"memberPath":"t.csv",\#(rows)}]}"#
        }
        // The sealing is right: three rows, three keys and one word of bits decode.
        #expect(file.decode(sealed(header(#""rows":3"#, keys: 3), words: 1))?.rows == 3)
        for words in [0, 1, 2] {
            #expect(file.decode(sealed(header(rows, keys: keys), words: words)) == nil, "\(rows) \(keys) \(words)")
        }
    }
}
