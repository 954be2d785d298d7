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
                years: [2023, 2024],
                // Numbers of 18 digits, and a stem without rows (`UInt64.max`, 0): back exactly.
                stemSpans: [1, 999_999_999_999_999_999, .max, 0, 123_456_789_012_345_678, 123_456_789_012_345_679]),
            .init(
                archivePath: "2024-02-01_b.tar.gz", archiveSHA256: "cd", member: 3, memberPath: "giao dịch.csv",
                rows: 3, years: nil),
        ], keys: 66, bits: [0xFFFF_0000_1234_5678, 0b101])

    private static func file(in folder: URL, build: String = "b1", config: String = "c1") -> CurrentRowsFile {
        CurrentRowsFile(cacheFolder: folder, build: build, figuresSHA256: config)
    }

    @Test func whatIsKeptComesBack() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("current-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = Self.file(in: folder)
        #expect(file.read() == nil)
        try file.write(Self.state, token: "t1")
        #expect(file.read()?.state == Self.state)
        #expect(file.read()?.token == "t1")
        // Nothing else left in the folder (no temporary file).
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [CurrentRowsFile.fileName])
        // Another build's or config's state is not used.
        #expect(Self.file(in: folder, build: "b2").read() == nil)
        #expect(Self.file(in: folder, config: "c2").read() == nil)
        file.remove()
        #expect(file.read() == nil)
    }

    /// A folder of its own for a test's files.
    private static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("current-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// What `file` reads from `bytes` put in its place.
    private static func decode(_ bytes: [UInt8], by file: CurrentRowsFile) throws -> CurrentRowsState? {
        try Data(bytes).write(to: file.url)
        return file.read()?.state
    }

    /// Any byte changed, or the file cut anywhere, and it is not used.
    @Test func aDamagedOrTornFileIsNotUsed() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = Self.file(in: folder)
        try file.write(Self.state, token: "t1")
        let bytes = [UInt8](try Data(contentsOf: file.url))
        #expect(try Self.decode(bytes, by: file) == Self.state)
        for offset in bytes.indices {
            var damaged = bytes
            damaged[offset] ^= 0x10
            #expect(try Self.decode(damaged, by: file) == nil, "byte \(offset)")
        }
        for length in stride(from: 0, to: bytes.count, by: 1) {
            #expect(try Self.decode(Array(bytes[..<length]), by: file) == nil, "cut at \(length)")
        }
        #expect(try Self.decode(bytes + [0, 0, 0, 0, 0, 0, 0, 0], by: file) == nil)
    }

    /// A file sealed with a checksum that holds but whose header lies (a checksum is no secret):
    /// refused, never trapped on.
    @Test(arguments: [
        (#""rows":9223372036854775807"#, 0), (#""rows":4294967295"#, 0), (#""rows":0"#, 0), (#""rows":-5"#, 0),
        (#""rows":3"#, 4), (#""rows":3"#, -1),
    ])
    func aSealedFileThatLiesIsRefused(rows: String, keys: Int) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = Self.file(in: folder)
        // Sealed as `write` seals a file: the header, `words` words of bits, the checksum.
        func sealed(_ header: String, words: Int) throws -> [UInt8] {
            try AtomicFile.write(to: file.url, durable: false) { out throws(OutputWriteError) in
                var writer = LedgerStateWriter(out)
                try writer.header(Array(header.utf8))
                try writer.array([UInt64](repeating: .max, count: words))
                try writer.finish()
            }
            return [UInt8](try Data(contentsOf: file.url))
        }
        func header(_ rows: String, keys: Int) -> String {
            #"{"build":"b1","figuresSHA256":"c1","format":"grdp-current-rows-v2","keys":\#(keys),"#
                + #""members":[{"archivePath":"a.zip","archiveSHA256":"ab","member":0,"memberPath":"t.csv",\#(rows)}],"#
                + #""token":"t1"}"#
        }
        // The sealing is right: three rows, three keys and one word of bits decode.
        #expect(try Self.decode(try sealed(header(#""rows":3"#, keys: 3), words: 1), by: file)?.rows == 3)
        for words in [0, 1, 2] {
            #expect(
                try Self.decode(try sealed(header(rows, keys: keys), words: words), by: file) == nil,
                "\(rows) \(keys) \(words)")
        }
    }
}
