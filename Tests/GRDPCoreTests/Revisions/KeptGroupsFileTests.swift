import Foundation
import Testing

@testable import GRDPCore

/// `kept-groups.bin`: what it keeps comes back whole, and a file that is not exactly one this build
/// and config wrote, whole, for the state named by the token asked with, is not used.
@Suite struct KeptGroupsFileTests {
    /// Four groups of 2024 over texts with a multi-byte one.
    static func groups() throws -> KeptGroups {
        var table = TransactionGroupTable()
        func key(_ month: Int, _ seller: String, _ status: TransactionStatus = .completed) -> TransactionGroup.Key {
            TransactionGroup.Key(
                year: 2024, month: month, channel: "sàn", sellerTaxCode: seller, sellerDistrictCode: "660",
                status: status)
        }
        table.append([
            TransactionGroup(key: key(1, "0101"), transactions: 3, netVND: ExactDecimal(mantissa: 12_345, scale: 2)),
            TransactionGroup(key: key(1, "0102"), transactions: 1, netVND: ExactDecimal(-7)),
            TransactionGroup(key: key(12, "0101", .refunded), transactions: 2, netVND: ExactDecimal(40)),
            TransactionGroup(key: key(2, "0101"), transactions: 1, netVND: ExactDecimal(5)),
        ])
        return try #require(PartitionedRevisions.keptGroups(years: [2024, 2023], table: table))
    }

    /// The groups' fields, to compare.
    private static func fields(_ kept: KeptGroups) -> [String] {
        kept.groups.map { group in
            [group.channel, group.seller, group.district].map { kept.texts.string(Int($0)) }.joined(separator: " ")
                + " \(group.year)-\(group.month) \(group.status) \(group.transactions) \(group.netVND)"
        }
    }

    private static func file(in folder: URL, build: String = "b1", config: String = "c1") -> KeptGroupsFile {
        KeptGroupsFile(cacheFolder: folder, build: build, figuresSHA256: config)
    }

    private static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kept-groups-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func whatIsKeptComesBack() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = Self.file(in: folder)
        #expect(file.read(token: "t1") == nil)
        let kept = try Self.groups()
        try file.write(kept, token: "t1")
        let read = try #require(file.read(token: "t1"))
        #expect(Self.fields(read) == Self.fields(kept))
        #expect(read.years == [2023, 2024])
        #expect(read.texts.strings == kept.texts.strings)
        #expect(read.index.count == 4)
        // With room for a night's new groups.
        #expect(read.groups.capacity >= 4 + 4 / 8)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [KeptGroupsFile.fileName])
        // Another state's, build's or config's groups are not used.
        #expect(file.read(token: "t2") == nil)
        #expect(Self.file(in: folder, build: "b2").read(token: "t1") == nil)
        #expect(Self.file(in: folder, config: "c2").read(token: "t1") == nil)
        file.remove()
        #expect(file.read(token: "t1") == nil)
    }

    /// Any byte changed, or the file cut anywhere, and it is not used.
    @Test func aDamagedOrTornFileIsNotUsed() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = Self.file(in: folder)
        try file.write(try Self.groups(), token: "t1")
        let bytes = [UInt8](try Data(contentsOf: file.url))
        func decode(_ bytes: [UInt8]) throws -> KeptGroups? {
            try Data(bytes).write(to: file.url)
            return file.read(token: "t1")
        }
        #expect(try decode(bytes) != nil)
        for offset in bytes.indices {
            var damaged = bytes
            damaged[offset] ^= 0x10
            #expect(try decode(damaged) == nil, "byte \(offset)")
        }
        for length in stride(from: 0, to: bytes.count, by: 1) {
            #expect(try decode(Array(bytes[..<length])) == nil, "cut at \(length)")
        }
        #expect(try decode(bytes + [0, 0, 0, 0, 0, 0, 0, 0]) == nil)
    }

    /// Sealed with a checksum that holds but lying (a checksum is no secret): a group naming a
    /// text there is not, of a year not kept, of month 13, of a status there is not, with no
    /// transactions or more than a run can take, with a negative scale or more decimals than a
    /// row can have; an index that numbers fewer groups; no year. Refused, never trapped on.
    @Test(arguments: 0..<11)
    func aSealedFileThatLiesIsRefused(lie: Int) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = Self.file(in: folder)
        var kept = try Self.groups()
        switch lie {
        case 0: kept.groups[1].seller = UInt32(kept.texts.count)
        case 1: kept.groups[1].year = 2022
        case 2: kept.groups[1].month = 13
        case 3: kept.groups[1].status = UInt8(TransactionStatus.allCases.count)
        case 4: kept.groups[1].transactions = 0
        case 5: kept.groups[1].transactions = Int(UInt32.max) + 1
        case 6, 7:
            let scale = lie == 6 ? Int32(-1) : 39
            withUnsafeMutableBytes(of: &kept.groups[1].netVND) { raw in
                raw.storeBytes(of: scale.littleEndian, toByteOffset: 16, as: Int32.self)
            }
            #expect(kept.groups[1].netVND.scale == Int(scale))
        case 8: kept.groups.removeLast()
        case 9: kept.groups[1].transactions = -1
        default: kept.years = []
        }
        try file.write(kept, token: "t1")
        #expect(file.read(token: "t1") == nil)
        // And the same file told the truth is read.
        try file.write(try Self.groups(), token: "t1")
        #expect(file.read(token: "t1") != nil)
    }

    /// An index sealed as it was not made: a bucket naming no group (its slot bits 0, its
    /// fingerprint not), or a group past the last, or fewer named than its count. Each would have
    /// a lookup read outside the groups, or probe forever: refused.
    @Test(
        arguments: [
            ([1, 2, 3, 0xF000_0000], 4), ([1, 2, 3, 5], 4), ([1, 2, 3], 4), ([1, 2, 3, 4, 0x1000_0004], 4),
        ] as [([UInt32], Int)])
    func anIndexThatLiesIsRefused(named: [UInt32], count: Int) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = Self.file(in: folder)
        let kept = try Self.groups()
        func seal(index: (inout LedgerStateWriter) throws(OutputWriteError) -> Void) throws {
            try AtomicFile.write(to: file.url, durable: false) { out throws(OutputWriteError) in
                var writer = LedgerStateWriter(out)
                try writer.header(
                    Array(
                        #"{"build":"b1","figuresSHA256":"c1","format":"grdp-kept-groups-v1","token":"t1","years":[2023,2024]}"#
                            .utf8))
                try kept.texts.write(to: &writer)
                try writer.array(kept.groups)
                try index(&writer)
                try writer.finish()
            }
        }
        // The sealing is right: with the index as made, the file decodes.
        try seal { writer throws(OutputWriteError) in try kept.index.write(to: &writer) }
        #expect(file.read(token: "t1") != nil)
        try seal { writer throws(OutputWriteError) in
            try writer.array(named + [UInt32](repeating: 0, count: 16 - named.count))
            try writer.int(count)
        }
        #expect(file.read(token: "t1") == nil)
    }
}
