import Foundation
import Testing

@testable import GRDPCore

/// Valid archives of every format: members and bytes arrive exactly, in stored order.
@Suite struct UnpackFormatTests {
    static let archiveFormats: [ArchiveWriter.Format] = [.zip, .tar, .tarGzip, .tarXz, .tarBzip2]

    /// Several members, one of them spanning many 256 KiB blocks and incompressible, one empty.
    static func sampleEntries() -> [ArchiveWriter.Entry] {
        [
            ArchiveWriter.Entry(path: "data/", kind: .directory),
            ArchiveWriter.Entry(path: "data/enterprise_2024.csv", text: "tax_code,year\n0100109106,2024\n"),
            ArchiveWriter.Entry(path: "./grdp.csv", text: "year,grdp\n2024,12345\n"),
            ArchiveWriter.Entry(path: "big.bin", data: noise(1_300_000)),
            ArchiveWriter.Entry(path: "empty.csv", data: []),
            ArchiveWriter.Entry(path: "Đắk Nông/giao dịch.csv", text: "a;b\n1;2\n"),
        ]
    }

    @Test(arguments: archiveFormats)
    func readsEveryMemberExactly(format: ArchiveWriter.Format) throws {
        let folder = try TemporaryFolder()
        let entries = Self.sampleEntries()
        let url = try folder.archive("sample.\(format.rawValue)", entries, format: format)
        let seen = try readArchive(url)

        #expect(
            seen.members == ["data/enterprise_2024.csv", "grdp.csv", "big.bin", "empty.csv", "Đắk Nông/giao dịch.csv"])
        #expect(seen.data["data/enterprise_2024.csv"] == entries[1].data)
        #expect(seen.data["grdp.csv"] == entries[2].data)
        #expect(seen.data["big.bin"] == entries[3].data)
        #expect(seen.data["empty.csv"] == [])
        #expect(seen.data["Đắk Nông/giao dịch.csv"] == entries[5].data)
        #expect(seen.events.contains(.begin("big.bin", 1_300_000)))
        #expect(seen.events.filter { if case .end = $0 { true } else { false } }.count == 5)
        #expect(!seen.events.contains { if case .skipped = $0 { true } else { false } })
    }

    @Test func singleGzippedCSVIsOneMember() throws {
        let folder = try TemporaryFolder()
        let csv = csvText(rows: 40_000)  // ≈ 1.2 MB: several blocks
        let url = try folder.write("2024/06-30_ecommerce.csv.gz", try folder.compressed(csv, .gzip))
        let seen = try readArchive(url, as: "2024/06-30_ecommerce.csv.gz")
        #expect(seen.events.first == .begin("06-30_ecommerce.csv", nil))
        #expect(seen.members == ["06-30_ecommerce.csv"])
        #expect(seen.data["06-30_ecommerce.csv"] == csv)
    }

    @Test func gzipOfEmptyCSVIsAnEmptyMember() throws {
        let folder = try TemporaryFolder()
        let url = try folder.write("e.csv.gz", try folder.compressed([], .gzip))
        let seen = try readArchive(url)
        #expect(seen.members == ["e.csv"])
        #expect(seen.data["e.csv"] == [])
    }

    @Test func formatComesFromContentNotName() throws {
        let folder = try TemporaryFolder()
        let entries = [ArchiveWriter.Entry(path: "grdp.csv", text: "year,grdp\n2024,1\n")]
        let tarGz = try folder.archiveBytes(entries, format: .tarGzip)
        // A .tar.gz named .zip, and one named .csv.gz: both read as a tar.
        for name in ["misnamed.zip", "misnamed.csv.gz", "misnamed.tar.xz"] {
            let seen = try readArchive(try folder.write(name, tarGz))
            #expect(seen.members == ["grdp.csv"], "\(name)")
            #expect(seen.data["grdp.csv"] == entries[0].data)
        }
        // A zip named .tar.gz.
        let zip = try folder.archiveBytes(entries, format: .zip)
        #expect(try readArchive(try folder.write("zip.tar.gz", zip)).members == ["grdp.csv"])
    }

    @Test func declinedMembersAreReadThroughButNotDelivered() throws {
        let folder = try TemporaryFolder()
        let url = try folder.archive("s.tar.gz", Self.sampleEntries(), format: .tarGzip)
        let visitor = RecordingVisitor()
        visitor.declined = ["big.bin"]
        try readArchive(url, visitor: visitor)
        #expect(visitor.data["big.bin"] == nil)
        #expect(visitor.events.contains(.end("big.bin")))
        // 30 + 21 + 8 bytes of the three small non-empty members: big.bin was not delivered.
        #expect(visitor.consumedBytes == 30 + 21 + 8)
    }

    @Test(arguments: [ArchiveWriter.Filter.gzip, .xz, .bzip2])
    func concatenatedStreamsHoldingOneTarAreReadWhole(filter: ArchiveWriter.Filter) throws {
        let folder = try TemporaryFolder()
        let entries = Self.sampleEntries()
        let tar = try folder.archiveBytes(entries, format: .tar)
        // Split the tar inside big.bin's data and compress each part as its own stream.
        let cut = 700_001
        let joined = try folder.compressed(Array(tar[..<cut]), filter) + folder.compressed(Array(tar[cut...]), filter)
        let seen = try readArchive(try folder.write("joined.tar.\(filter.rawValue)", joined))
        #expect(seen.members.count == 5)
        #expect(seen.data["big.bin"] == entries[3].data)
        #expect(seen.data["Đắk Nông/giao dịch.csv"] == entries[5].data)
    }

    @Test func multiMemberGzipCSV() throws {
        let folder = try TemporaryFolder()
        let first = Array("id,amount\n1,2\n".utf8)
        let second = Array("3,4\n".utf8)
        let bytes = try folder.compressed(first, .gzip) + folder.compressed(second, .gzip)
        let seen = try readArchive(try folder.write("t.csv.gz", bytes))
        #expect(seen.data["t.csv"] == first + second)
    }

    @Test func plainTarWithExtraZeroPaddingIsAccepted() throws {
        let folder = try TemporaryFolder()
        let tar = try folder.archiveBytes(Self.sampleEntries(), format: .tar)
        let seen = try readArchive(try folder.write("padded.tar", tar + [UInt8](repeating: 0, count: 20_480)))
        #expect(seen.members.count == 5)
        // The same padding inside a gzip stream is fine too: it is decompressed data, all zero.
        let gz = try folder.compressed(tar + [UInt8](repeating: 0, count: 4096), .gzip)
        #expect(try readArchive(try folder.write("padded.tar.gz", gz)).members.count == 5)
    }

    @Test(arguments: [ArchiveWriter.Format.tar, .tarGzip])
    func sparseMembersReadWithTheirHolesAsZeros(format: ArchiveWriter.Format) throws {
        let folder = try TemporaryFolder()
        // 300,000 bytes: data at 0..<1000 and 200,000..<201,000, holes elsewhere (a trailing hole too).
        var logical = [UInt8](repeating: 0, count: 300_000)
        logical.replaceSubrange(0..<1000, with: noise(1000, seed: 1))
        logical.replaceSubrange(200_000..<201_000, with: noise(1000, seed: 2))
        var entry = ArchiveWriter.Entry(path: "sparse.csv", data: logical)
        entry.sparseDataRegions = [0..<1000, 200_000..<201_000]
        let url = try folder.archive("sparse.\(format.rawValue)", [entry], format: format)
        #expect(try readBytes(url).count < 100_000 || format != .tar)
        let seen = try readArchive(url)
        #expect(seen.data["sparse.csv"] == logical)
    }

    @Test func emptyTarHasNoMembers() throws {
        let folder = try TemporaryFolder()
        let seen = try readArchive(try folder.write("empty.tar", [UInt8](repeating: 0, count: 10_240)))
        #expect(seen.events.isEmpty)
    }

    @Test func reportsConsumedBytesForProgress() throws {
        let folder = try TemporaryFolder()
        let url = try folder.archive("p.tar.gz", Self.sampleEntries(), format: .tarGzip)
        let reader = ArchiveReader(limits: UnpackLimits())
        try reader.read(url, relativePath: "p.tar.gz", visitor: RecordingVisitor())
        #expect(reader.consumedBytes == Int64(try readBytes(url).count))
    }

    @Test func visitorErrorsPropagateUnchanged() throws {
        struct HeaderError: Error, Equatable { var column: String }
        final class Refusing: ArchiveVisitor {
            func begin(member: MemberHeader) throws -> Bool { true }
            func consume(_ bytes: UnsafeRawBufferPointer) throws { throw HeaderError(column: "amount") }
            func end(member: MemberHeader) throws {}
            func skipped(member: String, reason: ReasonCode, detail: String) {}
        }
        let folder = try TemporaryFolder()
        let url = try folder.archive("v.tar.gz", Self.sampleEntries(), format: .tarGzip)
        #expect(throws: HeaderError(column: "amount")) {
            try ArchiveReader(limits: UnpackLimits()).read(url, relativePath: "v.tar.gz", visitor: Refusing())
        }
    }
}
