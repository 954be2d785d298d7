import Foundation
import Testing

@testable import GRDPCore

/// Limits, member paths, links and duplicates (CONTRACT §3).
@Suite struct UnpackMemberRuleTests {
    // MARK: - Limits

    @Test func ratioIsExactAndEqualPasses() {
        let limits = UnpackLimits(maxMemberBytes: 1 << 40, maxCompressionRatio: ExactDecimal(200))
        // 1,638,400 = 200 × 8,192: exactly the limit passes; one compressed byte less exceeds it.
        #expect(!limits.ratioExceeded(uncompressed: 1_638_400, compressed: 8192))
        #expect(limits.ratioExceeded(uncompressed: 1_638_400, compressed: 8191))
        // Not checked until the member has produced more than 1 MiB (1,048,576 bytes).
        #expect(!limits.ratioExceeded(uncompressed: 1_048_576, compressed: 1))
        #expect(limits.ratioExceeded(uncompressed: 1_048_577, compressed: 1))
        #expect(limits.ratioExceeded(uncompressed: 1_048_577, compressed: 0))
        // A decimal limit: 2,621,440 / 1,048,576 = 2.5 exactly.
        let decimal = UnpackLimits(maxMemberBytes: 1 << 40, maxCompressionRatio: ExactDecimal(canonical: "2.5")!)
        #expect(!decimal.ratioExceeded(uncompressed: 2_621_440, compressed: 1_048_576))
        #expect(decimal.ratioExceeded(uncompressed: 2_621_440, compressed: 1_048_575))
    }

    @Test func tarGzBombIsRefusedAfterAFewMiB() throws {
        let folder = try TemporaryFolder()
        // 200 MiB of zeros: libarchive pads the declared size with zeros, streamed through gzip.
        let url = try folder.archive(
            "bomb.tar.gz",
            [
                ArchiveWriter.Entry(path: "ok.csv", text: "year,grdp\n2024,1\n"),
                ArchiveWriter.Entry(path: "bomb.csv", data: [], declaredSize: 200 << 20),
            ], format: .tarGzip)
        let fileSize = Int64(try readBytes(url).count)
        let visitor = RecordingVisitor()
        visitor.keepData = false
        let reader = ArchiveReader(limits: UnpackLimits())
        do {
            try reader.read(url, relativePath: "bomb.tar.gz", visitor: visitor)
            Issue.record("the bomb was accepted")
        } catch let rejection as ArchiveRejection {
            #expect(rejection.reason == .compressionRatio)
            #expect(rejection.member == "bomb.csv")
            #expect(rejection.detail.contains("exceeds the limit of 200"), "\(rejection)")
        }
        // Deflate packs zeros about 1000:1, over the limit of 200 as soon as the check starts (1 MiB).
        #expect(visitor.consumedBytes <= 2 << 20)
        #expect(reader.consumedBytes < fileSize / 10, "read \(reader.consumedBytes) of \(fileSize) bytes")
        #expect(!visitor.events.contains(.end("bomb.csv")))
    }

    @Test(arguments: [ArchiveWriter.Format.zip, .tarXz, .tarBzip2, .gzip])
    func bombsInEveryFormatAreRefused(format: ArchiveWriter.Format) throws {
        let folder = try TemporaryFolder()
        let name = format == .gzip ? "zeros.csv.gz" : "zeros.\(format.rawValue)"
        let url = try folder.archive(
            name, [ArchiveWriter.Entry(path: "zeros.csv", data: [UInt8](repeating: 0, count: 24 << 20))], format: format
        )
        let visitor = RecordingVisitor()
        visitor.keepData = false
        let rejected = expectRejected(url, .compressionRatio, member: "zeros.csv", visitor: visitor)
        guard format == .zip else {
            #expect(visitor.consumedBytes <= 2 << 20)
            return
        }
        // A zip entry's ratio is over its own compressed size: stopped just past 200 times that.
        let own = try #require(
            try ZipLayout.check(BlockCheckedFile(InputFile(url))).compressedSizes["zeros.csv"])
        #expect(own > 1000 && own < 100_000)
        #expect(
            visitor.consumedBytes > 200 * own - (1 << 20) && visitor.consumedBytes <= 200 * own,
            "\(visitor.consumedBytes) bytes, own \(own)")
        #expect(rejected?.detail.contains("from \(own) compressed") == true, "\(rejected?.detail ?? "")")
    }

    /// A zip entry's ratio is its uncompressed bytes over its own compressed size (CONTRACT §3), from
    /// the central directory: a member of 2 MiB of zeros and then 1 MiB of noise packs about 3 to 1
    /// and is read whole, where a tar.gz, whose members share one compressed stream, measures the
    /// bytes consumed since the member's header, and stops it after its first MiB of zeros.
    @Test func aZipEntryIsMeasuredAgainstItsOwnCompressedSize() throws {
        let folder = try TemporaryFolder()
        let padded = [UInt8](repeating: 0, count: 2 << 20) + noise(1 << 20)
        let entries = [
            ArchiveWriter.Entry(path: "enterprise.csv", text: "tax_code,year\n0100109106,2024\n"),
            ArchiveWriter.Entry(path: "pad.bin", data: padded),
        ]
        let zip = try folder.archive("pad.zip", entries, format: .zip)
        let sizes = try ZipLayout.check(BlockCheckedFile(InputFile(zip))).compressedSizes
        let own = try #require(sizes["pad.bin"])
        #expect(own > 1 << 20 && own < 1_100_000)
        #expect(try readArchive(zip).data["pad.bin"] == padded)
        let tar = try folder.archive("pad.tar.gz", entries, format: .tarGzip)
        expectRejected(tar, .compressionRatio, member: "pad.bin")
    }

    /// The central directory's records of a zip `ArchiveWriter` wrote: where each starts.
    static func centralRecords(_ bytes: [UInt8]) -> (directoryOffset: Int, records: [Int]) {
        func le(_ at: Int, _ count: Int) -> Int { (0..<count).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        let end = bytes.count - 22
        let directoryOffset = le(end + 16, 4)
        var records: [Int] = []
        var at = directoryOffset
        while at + 46 <= end, bytes[at..<(at + 4)].elementsEqual([0x50, 0x4B, 0x01, 0x02]) {
            records.append(at)
            at += 46 + le(at + 28, 2) + le(at + 30, 2) + le(at + 32, 2)
        }
        return (directoryOffset, records)
    }

    /// The sizes a zip entry's ratio is taken over are only trusted where each entry's name is the
    /// one libarchive reports, once: a name listed twice has none; a name with a NUL (where
    /// libarchive stops reading it) leaves every entry to the bytes read so far. A local header
    /// whose name is not the central one's (a bomb that would borrow another entry's size by it)
    /// is a damaged zip, refused.
    @Test func aZipEntrysOwnSizeIsTrustedOnlyWhereItsNameIsSure() throws {
        let folder = try TemporaryFolder()
        func sizes(_ bytes: [UInt8], _ name: String) throws -> [String: Int64] {
            let url = try folder.write(name, bytes)
            return try ZipLayout.check(BlockCheckedFile(InputFile(url))).compressedSizes
        }
        let twice = try folder.archiveBytes(
            [
                ArchiveWriter.Entry(path: "a.csv", text: "x\n1\n"), ArchiveWriter.Entry(path: "b.csv", text: "y\n2\n"),
                ArchiveWriter.Entry(path: "a.csv", text: "x\n3\n"),
            ], format: .zip)
        #expect(try sizes(twice, "twice.zip").keys.sorted() == ["b.csv"])
        let sound = try folder.archiveBytes(
            [
                ArchiveWriter.Entry(path: "aa.csv", data: noise(3000)),
                ArchiveWriter.Entry(path: "bb.csv", data: noise(3000)),
            ],
            format: .zip)
        #expect(try sizes(sound, "sound.zip").keys.sorted() == ["aa.csv", "bb.csv"])
        // The second entry's local name made the first's ("bb" → "aa"): a bomb named so would have
        // taken the first entry's size.
        var swapped = sound
        let second = Self.centralRecords(sound).records[1]
        let local = (0..<4).reduce(0) { $0 | Int(sound[second + 42 + $1]) << (8 * $1) }
        swapped[local + 30] = UInt8(ascii: "a")
        swapped[local + 31] = UInt8(ascii: "a")
        #expect(throws: ArchiveRejection.self) { try sizes(swapped, "swapped.zip") }
        let rejected = expectRejected(try folder.write("swapped.zip", swapped), .corruptArchive, member: "bb.csv")
        #expect(
            rejected?.detail.contains("its local header gives 'aa.csv' where the central directory gives 'bb.csv'")
                == true, "\(rejected?.detail ?? "")")
        // A NUL in a name, central and local alike: libarchive would report "a".
        var nul = sound
        nul[second + 46 + 1] = 0
        nul[local + 30 + 1] = 0
        #expect(try sizes(nul, "nul.zip").isEmpty)
    }

    /// Entries whose data overlaps (each central record's size made to run to the central directory,
    /// as a bomb with no nesting shares one compressed kernel among its entries) are a corrupt
    /// archive, refused before a member is read.
    @Test func aZipWhoseEntriesOverlapIsCorrupt() throws {
        let folder = try TemporaryFolder()
        var bytes = try folder.archiveBytes(
            [
                ArchiveWriter.Entry(path: "a.csv", data: noise(5000)),
                ArchiveWriter.Entry(path: "b.csv", data: noise(5000)),
            ], format: .zip)
        let (directoryOffset, records) = Self.centralRecords(bytes)
        #expect(records.count == 2)
        for at in records {
            let local = (0..<4).reduce(0) { $0 | Int(bytes[at + 42 + $1]) << (8 * $1) }
            let dataStart = local + 30 + Int(bytes[local + 26]) + Int(bytes[local + 28])
            let whole = UInt32(directoryOffset - dataStart)
            for index in 0..<4 { bytes[at + 20 + index] = UInt8(truncatingIfNeeded: whole >> (8 * UInt32(index))) }
        }
        let url = try folder.write("overlapping.zip", bytes)
        let visitor = RecordingVisitor()
        let rejected = expectRejected(url, .corruptArchive, member: "a.csv", visitor: visitor)
        #expect(rejected?.detail.contains("the zip's entries overlap") == true, "\(rejected?.detail ?? "")")
        #expect(visitor.members.isEmpty)
    }

    /// A zip bomb without nesting (Fifield's): `count` entries whose data overlap, each one's
    /// stored blocks quoting the local headers after it, all ending in one shared deflated kernel
    /// of `kernel` zeros. Each entry gives the kernel and the headers after it (its own ratio is
    /// the kernel's, ~1,000), the archive `count` times that from a few KB.
    static func overlappingBomb(count: Int, kernel: Int, in folder: TemporaryFolder) throws -> [UInt8] {
        // The kernel as raw deflate: the gzip stream without its header and trailer.
        let gzip = try folder.compressed([UInt8](repeating: 0, count: kernel), .gzip)
        var start = 10
        let flags = gzip[3]
        if flags & 4 != 0 { start += 2 + Int(gzip[start]) | Int(gzip[start + 1]) << 8 }
        for flag in [UInt8(8), 16] where flags & flag != 0 {
            while gzip[start] != 0 { start += 1 }
            start += 1
        }
        if flags & 2 != 0 { start += 2 }
        let deflated = Array(gzip[start..<(gzip.count - 8)])
        func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
        func le32(_ value: Int) -> [UInt8] { le16(value & 0xFFFF) + le16(value >> 16 & 0xFFFF) }
        let names = (0..<count).map { Array(String(format: "f%04d.bin", $0).utf8) }
        let headerLength = 30 + names[0].count
        let quote = 5
        // Entry i's data: for each later entry, a stored block quoting its local header; then the kernel.
        let compressed = (0..<count).map { (count - 1 - $0) * (quote + headerLength) + deflated.count }
        let uncompressed = (0..<count).map { (count - 1 - $0) * headerLength + kernel }
        func localHeader(_ index: Int, crc: UInt32) -> [UInt8] {
            [0x50, 0x4B, 0x03, 0x04] + le16(20) + le16(0) + le16(8) + le16(0) + le16(0x21) + le32(Int(crc))
                + le32(compressed[index]) + le32(uncompressed[index]) + le16(names[index].count) + le16(0)
                + names[index]
        }
        // CRCs from the last entry back: each one's output starts with the headers after it.
        var headers = [[UInt8]](repeating: [], count: count)
        var crcs = [UInt32](repeating: 0, count: count)
        for index in stride(from: count - 1, through: 0, by: -1) {
            var crc = CRC32()
            for later in (index + 1)..<count { crc.update(headers[later]) }
            crc.update([UInt8](repeating: 0, count: kernel))
            crcs[index] = crc.value
            headers[index] = localHeader(index, crc: crc.value)
        }
        var bytes: [UInt8] = []
        var offsets: [Int] = []
        for index in 0..<count {
            offsets.append(bytes.count)
            bytes += headers[index]
            if index + 1 < count {
                bytes += [0x00] + le16(headerLength) + le16(~headerLength & 0xFFFF)
            }
        }
        bytes += deflated
        let directoryOffset = bytes.count
        for index in 0..<count {
            bytes +=
                [0x50, 0x4B, 0x01, 0x02] + le16(20) + le16(20) + le16(0) + le16(8) + le16(0) + le16(0x21)
                + le32(Int(crcs[index])) + le32(compressed[index]) + le32(uncompressed[index])
                + le16(names[index].count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offsets[index])
                + names[index]
        }
        let directorySize = bytes.count - directoryOffset
        bytes +=
            [0x50, 0x4B, 0x05, 0x06] + le16(0) + le16(0) + le16(count) + le16(count) + le32(directorySize)
            + le32(directoryOffset) + le16(0)
        return bytes
    }

    /// Fifield's bomb is refused as a corrupt archive by the walk of its entries, before a byte is
    /// inflated; and where the directory is too large to be walked (the limit lowered here), the
    /// reader stops it once its members together gave more than the ratio limit times the file,
    /// though each member's own ratio stays under the limit.
    @Test func aZipBombWithoutNestingIsRefusedEitherWay() throws {
        let folder = try TemporaryFolder()
        let bytes = try Self.overlappingBomb(count: 40, kernel: 1 << 20, in: folder)
        let url = try folder.write("fifield.zip", bytes)
        let limits = UnpackLimits(maxMemberBytes: 1 << 40, maxCompressionRatio: ExactDecimal(2000))
        let walked = expectRejected(url, .corruptArchive, member: "f0000.bin", limits: limits)
        #expect(walked?.detail.contains("the zip's entries overlap") == true, "\(walked?.detail ?? "")")

        let reader = ArchiveReader(limits: limits)
        reader.zipWalkLimit = 0
        let visitor = RecordingVisitor()
        visitor.keepData = false
        do {
            try reader.read(url, relativePath: "fifield.zip", visitor: visitor)
            Issue.record("the bomb was accepted")
        } catch let rejection as ArchiveRejection {
            #expect(rejection.reason == .compressionRatio)
            #expect(rejection.detail.contains("in all from its \(bytes.count)"), "\(rejection.detail)")
        }
        // Several members were read whole (each under its own limit) before the archive's was passed.
        #expect(visitor.events.contains(.end("f0000.bin")) && visitor.events.contains(.end("f0001.bin")))
        #expect(visitor.consumedBytes <= 2000 * Int64(bytes.count), "\(visitor.consumedBytes)")
        #expect(visitor.consumedBytes > 2000 * Int64(bytes.count) - (1 << 20), "\(visitor.consumedBytes)")
    }

    /// Members of at most 1 MiB are held to no ratio (CONTRACT §3), in a zip as in a tar: a zip of
    /// several that pack very well, more than the limit times the file in all, is read whole (it
    /// was refused as entries that share their data, which the walk of its directory rules out).
    @Test func smallMembersThatPackWellTogetherAreReadFromAZip() throws {
        let folder = try TemporaryFolder()
        let entries =
            (0..<3).map {
                ArchiveWriter.Entry(
                    path: "grdp\($0).csv", text: "year,grdp\n" + String(repeating: "2024,1\n", count: 149_000))
            } + [ArchiveWriter.Entry(path: "notes.txt", text: String(repeating: "0", count: 1 << 20))]
        #expect(entries.allSatisfy { Int64($0.data.count) <= UnpackLimits.ratioCheckThreshold })
        for format in [ArchiveWriter.Format.zip, .tarGzip] {
            let url = try folder.archive("small.\(format == .zip ? "zip" : "tar.gz")", entries, format: format)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
            let total = entries.reduce(0) { $0 + $1.data.count }
            #expect(total > 200 * size, "\(total) bytes from \(size): over the limit in all")
            let visitor = RecordingVisitor()
            visitor.keepData = false
            try ArchiveReader(limits: UnpackLimits()).read(url, relativePath: url.lastPathComponent, visitor: visitor)
            #expect(entries.allSatisfy { visitor.events.contains(.end($0.path)) }, "\(format)")
        }
    }

    /// Zeros after the tar end marker are padding, not a member (CONTRACT §3: any number may follow):
    /// 24 MiB of them, packed 1,000 to 1, are read; but they are held to `max_member_bytes`, so zeros
    /// without end stop there instead of keeping the run decoding.
    @Test func zerosAfterTheTarEndMarkerAreHeldToTheLargestMemberSize() throws {
        let folder = try TemporaryFolder()
        let tar = try folder.archiveBytes([ArchiveWriter.Entry(path: "a.csv", text: "x\n1\n")], format: .tar)
        let url = try folder.write(
            "pad.tar.gz", try folder.compressed(tar + [UInt8](repeating: 0, count: 24 << 20), .gzip))
        #expect(try readBytes(url).count * 200 < 24 << 20, "over the ratio limit")
        let visitor = RecordingVisitor()
        try ArchiveReader(limits: UnpackLimits()).read(url, relativePath: "pad.tar.gz", visitor: visitor)
        #expect(visitor.events.contains(.end("a.csv")))

        let reader = ArchiveReader(limits: UnpackLimits(maxMemberBytes: 8 << 20))
        #expect {
            try reader.read(url, relativePath: "pad.tar.gz", visitor: RecordingVisitor())
        } throws: { error in
            let rejection = error as? ArchiveRejection
            return rejection?.reason == .memberTooLarge && rejection?.member == nil
                && rejection?.detail.contains("zero bytes follow the tar end-of-archive marker") == true
        }
        #expect(reader.consumedBytes < Int64(try readBytes(url).count) / 2)
    }

    @Test(arguments: [ArchiveWriter.Format.zip, .tarGzip])
    func ordinaryRatioIsMeasuredPerMember(format: ArchiveWriter.Format) throws {
        let folder = try TemporaryFolder()
        // About 3.7 MB of CSV: gzip packs it a few times smaller, far from 200 but above 2.
        let csv = csvText(rows: 120_000)
        let url = try folder.archive(
            "r.\(format.rawValue)",
            [
                ArchiveWriter.Entry(path: "noise.bin", data: noise(600_000)),
                ArchiveWriter.Entry(path: "t.csv", data: csv),
            ],
            format: format)
        #expect(try readArchive(url).data["t.csv"] == csv)
        let strict = UnpackLimits(maxMemberBytes: 1 << 40, maxCompressionRatio: ExactDecimal(2))
        expectRejected(url, .compressionRatio, member: "t.csv", limits: strict)
    }

    @Test(arguments: [ArchiveWriter.Format.zip, .tar, .tarGzip])
    func memberTooLargeByHeader(format: ArchiveWriter.Format) throws {
        let folder = try TemporaryFolder()
        let url = try folder.archive(
            "l.\(format.rawValue)",
            [
                ArchiveWriter.Entry(path: "small.csv", data: noise(1000)),
                ArchiveWriter.Entry(path: "large.csv", data: noise(1001)),
            ], format: format)
        let limits = UnpackLimits(maxMemberBytes: 1000, maxCompressionRatio: ExactDecimal(200))
        let visitor = RecordingVisitor()
        let rejected = expectRejected(url, .memberTooLarge, member: "large.csv", limits: limits, visitor: visitor)
        #expect(rejected?.detail.contains("1001") == true)
        // Exactly the limit passes; the large member never began.
        #expect(visitor.members == ["small.csv"])
        #expect(visitor.events.contains(.end("small.csv")))
    }

    @Test func memberTooLargeByBytesRead() throws {
        let folder = try TemporaryFolder()
        // A .csv.gz declares no size: the bytes read decide, and reading stops at once.
        let csv = csvText(rows: 200)
        let url = try folder.write("t.csv.gz", try folder.compressed(csv, .gzip))
        let visitor = RecordingVisitor()
        let limits = UnpackLimits(maxMemberBytes: Int64(csv.count - 1), maxCompressionRatio: ExactDecimal(200))
        expectRejected(url, .memberTooLarge, member: "t.csv", limits: limits, visitor: visitor)
        #expect(visitor.consumedBytes < Int64(csv.count))
        let exact = UnpackLimits(maxMemberBytes: Int64(csv.count), maxCompressionRatio: ExactDecimal(200))
        #expect(try readArchive(url, limits: exact).data["t.csv"] == csv)
    }

    @Test func limitsApplyToMembersTheVisitorDeclined() throws {
        let folder = try TemporaryFolder()
        let url = try folder.archive(
            "d.tar.gz", [ArchiveWriter.Entry(path: "readme.txt", data: [], declaredSize: 30 << 20)], format: .tarGzip)
        let visitor = RecordingVisitor()
        visitor.declined = ["readme.txt"]
        expectRejected(url, .compressionRatio, member: "readme.txt", visitor: visitor)
    }

    // MARK: - Paths

    @Test(arguments: [
        "../x.csv", "/abs.csv", "C:\\x.csv", "c:x.csv", "a\\..\\b.csv", "./../x.csv", "data/../../x.csv", "\\x.csv",
        "..",
    ])
    func unsafePathsAreRejected(path: String) throws {
        let folder = try TemporaryFolder()
        let url = try folder.archive(
            "u.tar", [ArchiveWriter.Entry(path: "ok.csv", text: "a\n"), ArchiveWriter.Entry(path: path, text: "a\n")],
            format: .tar)
        expectRejected(url, .unsafeMemberPath, member: path)
    }

    @Test func unsafePathsOfAnyEntryTypeAreRejected() throws {
        let folder = try TemporaryFolder()
        let cases: [(String, ArchiveWriter.Entry, ArchiveWriter.Format)] = [
            ("dir.tar", ArchiveWriter.Entry(path: "../up/", kind: .directory), .tar),
            ("link.tar", ArchiveWriter.Entry(path: "/etc/x", kind: .symlink(target: "x")), .tar),
            ("zip.zip", ArchiveWriter.Entry(path: "../x.csv", text: "a\n"), .zip),
            ("dev.tar.gz", ArchiveWriter.Entry(path: "D:/dev", kind: .characterDevice), .tarGzip),
        ]
        for (name, entry, format) in cases {
            let rejected = expectRejected(
                try folder.archive(name, [entry], format: format), .unsafeMemberPath, member: entry.path)
            #expect(rejected != nil, "\(name)")
        }
    }

    @Test func lookalikePathsAreSafe() throws {
        let folder = try TemporaryFolder()
        let paths = ["a..b.csv", "..data.csv", "x/..y/z.csv", "x/y../z.csv", "./.hidden.csv", "Cx:.csv"]
        let url = try folder.archive("s.tar", paths.map { ArchiveWriter.Entry(path: $0, text: "a\n") }, format: .tar)
        #expect(
            try readArchive(url).members == [
                "a..b.csv", "..data.csv", "x/..y/z.csv", "x/y../z.csv", ".hidden.csv", "Cx:.csv",
            ])
    }

    // MARK: - Entry types and duplicates

    @Test(arguments: [ArchiveWriter.Format.tar, .tarGzip])
    func linksAndDevicesAreSkippedAndNoted(format: ArchiveWriter.Format) throws {
        let folder = try TemporaryFolder()
        let url = try folder.archive(
            "links.\(format.rawValue)",
            [
                ArchiveWriter.Entry(path: "data.csv", text: "a\n1\n"),
                ArchiveWriter.Entry(path: "link.csv", kind: .symlink(target: "data.csv")),
                ArchiveWriter.Entry(path: "hard.csv", kind: .hardlink(target: "data.csv")),
                ArchiveWriter.Entry(path: "dev0", kind: .characterDevice),
                ArchiveWriter.Entry(path: "fifo0", kind: .fifo),
                ArchiveWriter.Entry(path: "sub/", kind: .directory),
                ArchiveWriter.Entry(path: "sub/after.csv", text: "b\n2\n"),
            ], format: format)
        let seen = try readArchive(url)
        #expect(
            seen.events == [
                .begin("data.csv", 4), .end("data.csv"),
                .skipped("link.csv", .link), .skipped("hard.csv", .link),
                .skipped("dev0", .device), .skipped("fifo0", .device),
                .begin("sub/after.csv", 4), .end("sub/after.csv"),
            ])
        #expect(seen.skipDetails["link.csv"]?.contains("data.csv") == true)
        #expect(seen.data["sub/after.csv"] == Array("b\n2\n".utf8))
    }

    @Test func zipSymlinkIsSkippedAndNoted() throws {
        let folder = try TemporaryFolder()
        let url = try folder.archive(
            "l.zip",
            [
                ArchiveWriter.Entry(path: "data.csv", text: "a\n1\n"),
                ArchiveWriter.Entry(path: "link.csv", kind: .symlink(target: "data.csv")),
            ], format: .zip)
        #expect(try readArchive(url).events == [.begin("data.csv", 4), .end("data.csv"), .skipped("link.csv", .link)])
    }

    @Test(arguments: [ArchiveWriter.Format.tar, .zip, .tarXz])
    func duplicateMembersAreRejected(format: ArchiveWriter.Format) throws {
        let folder = try TemporaryFolder()
        let url = try folder.archive(
            "dup.\(format.rawValue)",
            [
                ArchiveWriter.Entry(path: "a.csv", text: "x\n1\n"),
                ArchiveWriter.Entry(path: "b.csv", text: "x\n1\n"),
                ArchiveWriter.Entry(path: "./a.csv", text: "x\n2\n"),
            ], format: format)
        expectRejected(url, .duplicateMember, member: "a.csv")
    }

    /// Paths that extract to one file (`a//x.csv`, `a/./x.csv` and `a/x.csv`: `tar -x` and unzip
    /// write the later over the earlier) are the same path: both were read, their rows counted twice.
    /// The member keeps the name it has; the report names the later one.
    @Test(arguments: [
        ArchiveWriter.Format.tar, .zip,
    ])
    func pathsThatExtractToOneFileAreDuplicates(format: ArchiveWriter.Format) throws {
        let folder = try TemporaryFolder()
        for (first, second) in [("a//x.csv", "a/x.csv"), ("a/x.csv", "a/./x.csv"), ("a/./b//x.csv", "a/b/x.csv")] {
            let entries = [
                ArchiveWriter.Entry(path: first, text: "x\n1\n"), ArchiveWriter.Entry(path: second, text: "x\n2\n"),
            ]
            let url =
                format == .zip
                ? try folder.write(
                    "dup.zip",
                    HandMadeZip(entries: entries.map { .init(name: $0.path, data: $0.data) }).bytes)
                : try folder.archive("dup.tar", entries, format: format)
            expectRejected(url, .duplicateMember, member: second)
        }
    }

    /// Names that are not UTF-8 (an old Windows zipper's code page, no UTF-8 flag) are read with
    /// their odd bytes written `\xHH`, as an archive's own name is: two such members made one path
    /// (each odd byte U+FFFD), and the archive was rejected as `duplicate-member`.
    @Test func membersNamedInAnotherCodePageAreTwoMembers() throws {
        let folder = try TemporaryFolder()
        let (acute, grave) = (Array("transactions_".utf8) + [0x82], Array("transactions_".utf8) + [0x8A])
        let zip = HandMadeZip(entries: [
            .init(name: "", data: Array("x\n1\n".utf8), rawName: acute + Array(".csv".utf8)),
            .init(name: "", data: Array("x\n2\n".utf8), rawName: grave + Array(".csv".utf8)),
        ])
        let visitor = try readArchive(try folder.write("cp437.zip", zip.bytes))
        #expect(visitor.members == ["transactions_\\x82.csv", "transactions_\\x8A.csv"])
        #expect(visitor.data["transactions_\\x8A.csv"] == Array("x\n2\n".utf8))
        // The path rules look at the bytes, not at that spelling: a name that starts with such a
        // byte (a folder `\xC9tats/` in Latin-1) is not absolute (the archive was refused so).
        let leading = HandMadeZip(entries: [
            .init(name: "", data: Array("x\n1\n".utf8), rawName: [0xC9] + Array("tats/transactions.csv".utf8))
        ])
        let read = try readArchive(try folder.write("latin1.zip", leading.bytes))
        #expect(read.members == ["\\xC9tats/transactions.csv"])
        // While `..` and an absolute path in such a name are still refused.
        for raw in [[0xC9] + Array("/../x.csv".utf8), Array("/".utf8) + [0xC9] + Array(".csv".utf8)] {
            let zip = HandMadeZip(entries: [.init(name: "", data: Array("x\n1\n".utf8), rawName: raw)])
            expectRejected(
                try folder.write("unsafe.zip", zip.bytes), .unsafeMemberPath, member: ReturnsScanner.displayName(raw))
        }
    }

    @Test func aLinkNamedLikeAFileIsADuplicate() throws {
        let folder = try TemporaryFolder()
        let url = try folder.archive(
            "dup.tar",
            [
                ArchiveWriter.Entry(path: "a.csv", text: "x\n1\n"),
                ArchiveWriter.Entry(path: "a.csv", kind: .symlink(target: "b.csv")),
            ], format: .tar)
        expectRejected(url, .duplicateMember, member: "a.csv")
    }

    @Test func repeatedDirectoriesAreFine() throws {
        let folder = try TemporaryFolder()
        let url = try folder.archive(
            "dirs.tar",
            [
                ArchiveWriter.Entry(path: "d/", kind: .directory),
                ArchiveWriter.Entry(path: "d/a.csv", text: "x\n"),
                ArchiveWriter.Entry(path: "d/", kind: .directory),
            ], format: .tar)
        #expect(try readArchive(url).members == ["d/a.csv"])
    }
}

/// CRC-32 (IEEE), as zip headers state it, for archives built by hand here.
struct CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }
    private var state: UInt32 = 0xFFFF_FFFF

    mutating func update(_ bytes: [UInt8]) {
        for byte in bytes { state = Self.table[Int((state ^ UInt32(byte)) & 0xFF)] ^ (state >> 8) }
    }

    var value: UInt32 { state ^ 0xFFFF_FFFF }
}
