import Foundation
import Testing

@testable import GRDPCore

/// `CacheStateFile`, under `current-rows.bin` and `kept-groups.bin`: what a body writes after the
/// header comes back, and only from a whole file of this format, build and config, read to its end;
/// a count that the bytes left cannot hold is refused before anything is allocated, even in a file
/// whose checksum holds.
@Suite struct CacheStateFileTests {
    private struct Header: CacheStateHeader, Equatable {
        var format = "test-state-v1"
        var build = "b1"
        var figuresSHA256 = "c1"
        var note = "kept"
    }

    private struct Kept: Equatable {
        var count: Int
        var words: [UInt64]
        var texts: [String]
    }

    private static let kept = Kept(count: 42, words: [1, 0xFFFF_FFFF_FFFF_FFFF, 7], texts: ["", "Đắk Nông", "tmđt"])

    private static func file(
        in folder: URL, format: String = "test-state-v1", build: String = "b1", config: String = "c1"
    )
        -> CacheStateFile
    {
        CacheStateFile(
            url: folder.appendingPathComponent("state.bin"), format: format, build: build, figuresSHA256: config)
    }

    private static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    private static func write(_ kept: Kept, to file: CacheStateFile) throws {
        try file.write(Header()) { (writer) throws(OutputWriteError) in
            try writer.int(kept.count)
            try writer.array(kept.words)
            try writer.strings(kept.texts)
        }
    }

    /// What `file` holds, read as `write` wrote it; with `readingAll` false, the texts are left unread.
    private static func read(_ file: CacheStateFile, readingAll: Bool = true) -> (Header, Kept)? {
        file.read(Header.self) { header, reader in
            let count = try reader.int()
            let words = try reader.array(UInt64.self)
            let texts = readingAll ? try reader.strings() : []
            return (header, Kept(count: count, words: words, texts: texts))
        }
    }

    @Test func whatTheBodyWroteComesBackForThisFormatBuildAndConfigAlone() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = Self.file(in: folder)
        #expect(Self.read(file) == nil)
        try Self.write(Self.kept, to: file)
        let read = try #require(Self.read(file))
        #expect(read.0 == Header())
        #expect(read.1 == Self.kept)
        // Replaced atomically: no temporary left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["state.bin"])
        #expect(Self.read(Self.file(in: folder, format: "test-state-v2")) == nil)
        #expect(Self.read(Self.file(in: folder, build: "b2")) == nil)
        #expect(Self.read(Self.file(in: folder, config: "c2")) == nil)
        // A body that stops before the end, or gives nothing, is not given a value.
        #expect(Self.read(file, readingAll: false) == nil)
        #expect(file.read(Header.self, { _, _ in Optional<Int>.none }) == nil)
        file.remove()
        #expect(Self.read(file) == nil)
    }

    /// Any byte changed, the file cut anywhere or grown, and nothing is read from it.
    @Test func aDamagedOrTornFileGivesNothing() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = Self.file(in: folder)
        try Self.write(Self.kept, to: file)
        let bytes = [UInt8](try Data(contentsOf: file.url))
        func decode(_ bytes: [UInt8]) throws -> Kept? {
            try Data(bytes).write(to: file.url)
            return Self.read(file)?.1
        }
        #expect(try decode(bytes) == Self.kept)
        for offset in bytes.indices {
            var damaged = bytes
            damaged[offset] ^= 0x04
            #expect(try decode(damaged) == nil, "byte \(offset)")
        }
        for length in 0..<bytes.count {
            #expect(try decode(Array(bytes[..<length])) == nil, "cut at \(length)")
        }
        #expect(try decode(bytes + [UInt8](repeating: 0, count: 8)) == nil)
    }

    /// A count past the bytes left, in a file whose checksum holds (written so, as a bug or another
    /// program could): refused as the count is read, not trusted to size an allocation.
    @Test(arguments: [Int.max, 1 << 60, 1 << 40, 4])
    func aSealedCountPastTheBytesLeftIsRefused(count: Int) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = Self.file(in: folder)
        try file.write(Header()) { (writer) throws(OutputWriteError) in
            try writer.int(7)
            // An array's count, then fewer words than it says (none, or three of four).
            try writer.int(count)
            if count == 4 {
                try writer.int(1)
                try writer.int(2)
                try writer.int(3)
            }
        }
        #expect(Self.read(file) == nil)
        #expect(file.read(Header.self, { _, reader in try reader.strings() }) == nil)
    }
}
