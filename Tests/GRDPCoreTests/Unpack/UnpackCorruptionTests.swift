import Foundation
import Testing

@testable import GRDPCore

/// Hostile bytes: every fault is `corrupt-archive` (or `empty-archive`), never a half-read archive.
@Suite struct UnpackCorruptionTests {
    static let entries: [ArchiveWriter.Entry] = [
        ArchiveWriter.Entry(path: "enterprise.csv", text: "tax_code,year\n0100109106,2024\n"),
        ArchiveWriter.Entry(path: "big.bin", data: noise(700_000)),
        ArchiveWriter.Entry(path: "grdp.csv", text: "year,grdp\n2024,12345\n"),
    ]

    static func flipped(_ bytes: [UInt8], at index: Int, mask: UInt8 = 0x01) -> [UInt8] {
        var copy = bytes
        copy[index] ^= mask
        return copy
    }

    @Test func zeroByteFileIsEmpty() throws {
        let folder = try TemporaryFolder()
        for name in ["empty.zip", "empty.tar.gz", "empty.csv.gz"] {
            expectRejected(try folder.write(name, []), .emptyArchive, member: nil)
        }
    }

    @Test func nonArchiveNamedZipIsCorrupt() throws {
        let folder = try TemporaryFolder()
        let rejected = expectRejected(
            try folder.write("returns.zip", Array("tax_code,year\n0100109106,2024\n".utf8)), .corruptArchive,
            member: nil)
        #expect(rejected?.detail.contains("not a zip, tar") == true)
    }

    @Test(arguments: [ArchiveWriter.Format.zip, .tar, .tarGzip, .tarXz, .tarBzip2])
    func truncatedArchivesAreCorrupt(format: ArchiveWriter.Format) throws {
        let folder = try TemporaryFolder()
        let bytes = try folder.archiveBytes(Self.entries, format: format)
        for length in [bytes.count / 2, bytes.count - 1, 600] {
            let visitor = RecordingVisitor()
            let url = try folder.write("cut-\(length).\(format.rawValue)", Array(bytes[..<length]))
            if format == .tar, length == bytes.count - 1 {
                // A plain tar's last byte is a zero of its end marker or record padding: every member is
                // there, and only zero bytes follow the marker (CONTRACT §3).
                #expect(try readArchive(url, visitor: visitor).data.count == Self.entries.count)
                continue
            }
            let rejected = rejection(url, visitor: visitor)
            #expect(rejected?.reason == .corruptArchive, "\(format) cut to \(length): \(String(describing: rejected))")
        }
    }

    /// A zip of more than 65,535 entries is a zip64 by its entry count alone: its classic end
    /// record holds the real size and offset of the central directory, and a zip64 end record (with
    /// the locator pointing at it) lies between them. It was rejected as "bytes were prepended"
    /// (found by an audit with Python's zipfile and Info-ZIP). 65,535 entries need no zip64.
    @Test(arguments: [65_535, 65_536])
    func aZipOfManyEntriesIsRead(entries count: Int) throws {
        let folder = try TemporaryFolder()
        let entries =
            [ArchiveWriter.Entry(path: "grdp.csv", text: "year,grdp\n2024,1\n")]
            + (1..<count).map { ArchiveWriter.Entry(path: "notes/\($0).txt", text: "x") }
        let url = try folder.archive("many.zip", entries, format: .zip)
        let bytes = try readBytes(url)
        // The locator's signature 20 bytes before the end record (itself 22 bytes, no comment).
        let locator = bytes.count - 22 - 20
        let isZip64 = Array(bytes[locator..<(locator + 4)]) == [0x50, 0x4B, 0x06, 0x07]
        #expect(isZip64 == (count > 65_535), "libarchive wrote \(isZip64 ? "a zip64" : "a classic zip")")
        let visitor = try readArchive(url)
        #expect(visitor.members.count == count)
        #expect(visitor.data["grdp.csv"] == Array("year,grdp\n2024,1\n".utf8))
        // Still a whole archive or none (CONTRACT §3): bytes put before it are found either way.
        let shifted = try folder.write("shifted.zip", Array("junk".utf8) + bytes)
        #expect(rejection(shifted)?.reason == .corruptArchive)
    }

    @Test func truncatedCSVGzIsCorrupt() throws {
        let folder = try TemporaryFolder()
        let bytes = try folder.compressed(csvText(rows: 20_000), .gzip)
        for length in [bytes.count / 2, bytes.count - 1, bytes.count - 8, 10] {
            let url = try folder.write("cut-\(length).csv.gz", Array(bytes[..<length]))
            // Cut inside the gzip header: the fault comes before the member starts.
            let rejected = expectRejected(url, .corruptArchive, member: length == 10 ? nil : "cut-\(length).csv")
            if length > 10 {
                #expect(rejected?.detail.contains("truncated") == true, "\(String(describing: rejected))")
            }
        }
    }

    @Test func memberShorterThanItsHeaderIsCorrupt() throws {
        let folder = try TemporaryFolder()
        // One ustar header (512) then 2000 data bytes: cut after 1000 of them.
        let tar = try folder.archiveBytes([ArchiveWriter.Entry(path: "a.csv", data: noise(2000))], format: .tar)
        let cut = Array(tar[..<(512 + 1000)])
        let rejected = expectRejected(try folder.write("short.tar", cut), .corruptArchive, member: "a.csv")
        #expect(rejected?.detail.contains("Truncated") == true, "\(String(describing: rejected))")
        // The same tar inside a perfectly valid gzip stream.
        for filter in ArchiveWriter.Filter.allCases {
            let url = try folder.write("short.tar.\(filter.rawValue)", try folder.compressed(cut, filter))
            expectRejected(url, .corruptArchive, member: "a.csv")
        }
    }

    @Test func tarWithoutEndMarkerIsCorrupt() throws {
        let folder = try TemporaryFolder()
        // Header (512) + 100 data bytes padded to 512: cut right after it, on a block boundary.
        let tar = try folder.archiveBytes([ArchiveWriter.Entry(path: "a.csv", data: noise(100))], format: .tar)
        let cut = Array(tar[..<1024])
        let rejected = expectRejected(try folder.write("unfinished.tar", cut), .corruptArchive, member: nil)
        #expect(rejected?.detail.contains("end-of-archive") == true)
        // A plain tar's offsets are the file's: nothing was decompressed (fuzz30, F3).
        #expect(rejected?.detail.contains("truncated after 1024 bytes") == true, "\(String(describing: rejected))")
        #expect(rejected?.detail.contains("decompressed") == false, "\(String(describing: rejected))")
        let compressed = expectRejected(
            try folder.write("unfinished.tgz", try folder.compressed(cut, .gzip)), .corruptArchive, member: nil)
        #expect(
            compressed?.detail.contains("truncated after 1024 bytes (decompressed)") == true,
            "\(String(describing: compressed))")
    }

    @Test func badHeaderChecksumIsCorrupt() throws {
        let folder = try TemporaryFolder()
        let tar = try folder.archiveBytes(
            [
                ArchiveWriter.Entry(path: "a.csv", data: noise(100)),
                ArchiveWriter.Entry(path: "b.csv", data: noise(100)),
            ],
            format: .tar)
        // The second header starts at 1024; its name is its first field.
        let secondDamaged = Self.flipped(tar, at: 1024 + 1)
        let rejected = expectRejected(try folder.write("second.tar", secondDamaged), .corruptArchive, member: nil)
        #expect(rejected?.detail.contains("Damaged tar archive") == true, "\(String(describing: rejected))")
        expectRejected(
            try folder.write("second.tar.gz", try folder.compressed(secondDamaged, .gzip)), .corruptArchive,
            member: nil)
        // A damaged first header: no longer a tar at all.
        expectRejected(try folder.write("first.tar", Self.flipped(tar, at: 1)), .corruptArchive, member: nil)
    }

    @Test func gzipTrailerAndDataAreVerified() throws {
        let folder = try TemporaryFolder()
        let bytes = try folder.archiveBytes(Self.entries, format: .tarGzip)
        let n = bytes.count
        // Trailer: CRC-32 (4 bytes) then ISIZE (4 bytes), little-endian.
        let crc = rejection(try folder.write("crc.tar.gz", Self.flipped(bytes, at: n - 8)))
        #expect(crc?.reason == .corruptArchive)
        #expect(crc?.detail.contains("incorrect data check") == true, "\(String(describing: crc))")
        let isize = rejection(try folder.write("isize.tar.gz", Self.flipped(bytes, at: n - 2)))
        #expect(isize?.reason == .corruptArchive)
        #expect(isize?.detail.contains("incorrect length check") == true, "\(String(describing: isize))")
        for index in [n / 2, 200, n - 20] {
            let damaged = rejection(
                try folder.write("data-\(index).tar.gz", Self.flipped(bytes, at: index, mask: 0x10)))
            #expect(damaged?.reason == .corruptArchive, "flip at \(index)")
        }
        // A .csv.gz likewise: no members count when the trailer is wrong, even though all data was delivered.
        let csv = try folder.compressed(csvText(rows: 100), .gzip)
        let visitor = RecordingVisitor()
        expectRejected(
            try folder.write("x.csv.gz", Self.flipped(csv, at: csv.count - 6)), .corruptArchive, member: "x.csv",
            visitor: visitor)
    }

    @Test(arguments: [ArchiveWriter.Format.tarGzip, .tarXz, .tarBzip2])
    func trailingBytesAfterTheCompressedStreamAreCorrupt(format: ArchiveWriter.Format) throws {
        let folder = try TemporaryFolder()
        let bytes = try folder.archiveBytes(Self.entries, format: format)
        let tails: [[UInt8]] = [
            Array("garbage".utf8), [0], [0, 0, 0, 0], [UInt8](repeating: 0, count: 512), [0x1F, 0x8B],
        ]
        for (index, tail) in tails.enumerated() {
            let url = try folder.write("tail-\(index).\(format.rawValue)", bytes + tail)
            let rejected = expectRejected(url, .corruptArchive, member: nil)
            #expect(rejected?.detail.contains("not another complete") == true, "\(String(describing: rejected))")
        }
    }

    @Test func trailingZerosAfterCSVGzAreCorrupt() throws {
        let folder = try TemporaryFolder()
        let bytes = try folder.compressed(csvText(rows: 10), .gzip)
        expectRejected(
            try folder.write("z.csv.gz", bytes + [0, 0, 0, 0, 0, 0, 0, 0]), .corruptArchive, member: "z.csv")
    }

    @Test(arguments: [ArchiveWriter.Format.tarGzip, .tarXz, .tarBzip2, .tar])
    func concatenatedArchivesAreRejectedNotHalfRead(format: ArchiveWriter.Format) throws {
        let folder = try TemporaryFolder()
        let first = try folder.archiveBytes([ArchiveWriter.Entry(path: "a.csv", text: "x\n1\n")], format: format)
        let second = try folder.archiveBytes([ArchiveWriter.Entry(path: "b.csv", text: "y\n2\n")], format: format)
        let rejected = expectRejected(
            try folder.write("two.\(format.rawValue)", first + second), .corruptArchive, member: nil)
        #expect(rejected?.detail.contains("end-of-archive") == true, "\(String(describing: rejected))")
    }

    @Test func nonZeroBytesAfterPlainTarEndAreCorrupt() throws {
        let folder = try TemporaryFolder()
        let tar = try folder.archiveBytes(Self.entries, format: .tar)
        let junk = expectRejected(
            try folder.write("junk.tar", tar + Array("junk".utf8)), .corruptArchive, member: nil)
        #expect(junk?.detail.contains("(at offset \(tar.count))") == true, "\(String(describing: junk))")
        let junkGzip = expectRejected(
            try folder.write("junk.tar.gz", try folder.compressed(tar + Array("junk".utf8), .gzip)), .corruptArchive,
            member: nil)
        #expect(
            junkGzip?.detail.contains("(at decompressed offset \(tar.count))") == true,
            "\(String(describing: junkGzip))")
        // In the second block of the end-of-archive marker (header 512 + data 512, then two zero blocks).
        let one = try folder.archiveBytes([ArchiveWriter.Entry(path: "a.csv", text: "x\n1\n")], format: .tar)
        expectRejected(
            try folder.write("marker.tar", Self.flipped(one, at: 1024 + 512 + 7)), .corruptArchive, member: nil)
        // Within the 10240-byte record padding, too.
        expectRejected(
            try folder.write("junk2.tar", Self.flipped(tar, at: tar.count - 100)), .corruptArchive, member: nil)
    }

    /// After the members, at least one whole zero block (the end-of-archive marker's first), then
    /// only zero bytes, as many as there are: a whole number of blocks or not, the marker's second
    /// block there or not (GNU tar reads a lone zero block with a warning). Nothing can be lost past
    /// a zero block, which no member header is. Fewer than 512 zero bytes are no marker at all: a
    /// header cut short.
    @Test(arguments: [ArchiveWriter.Filter?.none, .gzip, .xz, .bzip2])
    func onlyZerosAfterTheFirstMarkerBlockEndTheTar(filter: ArchiveWriter.Filter?) throws {
        let folder = try TemporaryFolder()
        let members = [ArchiveWriter.Entry(path: "a.csv", text: "x\n1\n")]
        // The members alone: one header and one data block.
        let tar = try folder.archiveBytes(members, format: .tar)
        #expect(tar.count > 1024 && tar[1024...].allSatisfy { $0 == 0 })
        let body = Array(tar[..<1024])
        func file(_ name: String, zeros: Int) throws -> URL {
            let bytes = body + [UInt8](repeating: 0, count: zeros)
            guard let filter else { return try folder.write("\(name).tar", bytes) }
            return try folder.write("\(name).tar.\(filter.rawValue)", try folder.compressed(bytes, filter))
        }
        for zeros in [1024 + 1000, 1024 + 100, 512 + 300, 512, 10240 - 1024 + 7] {
            let read = try readArchive(try file("zeros-\(zeros)", zeros: zeros))
            #expect(read.data["a.csv"] == Array("x\n1\n".utf8), "\(zeros) zero bytes")
        }
        for zeros in [0, 300, 511] {
            let rejected = expectRejected(try file("short-\(zeros)", zeros: zeros), .corruptArchive, member: nil)
            // (libarchive's own words for a block cut short.)
            let detail = rejected?.detail ?? ""
            #expect(detail.contains("end-of-archive") || detail.contains("Truncated tar"), "\(zeros): \(detail)")
        }
        // A byte that is not zero, anywhere after the marker's first block, still rejects it.
        let junk = body + [UInt8](repeating: 0, count: 1024 + 99) + [1] + [UInt8](repeating: 0, count: 100)
        let url =
            try filter.map { try folder.write("junk.tar.\($0.rawValue)", try folder.compressed(junk, $0)) }
            ?? folder.write("junk.tar", junk)
        expectRejected(url, .corruptArchive, member: nil)
    }

    @Test func compressedNonTarNeedsAGzName() throws {
        let folder = try TemporaryFolder()
        let gz = try folder.compressed(csvText(rows: 10), .gzip)
        for name in ["x.tgz", "x.tar.gz", "x.zip", "x.TAR.GZ"] {
            let rejected = expectRejected(try folder.write(name, gz), .corruptArchive, member: nil)
            #expect(rejected?.detail.contains("does not hold a tar") == true)
        }
        // Any gzip/xz/bzip2 stream named NAME.gz is the single member NAME.
        let xz = try folder.compressed(csvText(rows: 10), .xz)
        #expect(try readArchive(try folder.write("odd.csv.gz", xz)).data["odd.csv"] == csvText(rows: 10))
    }

    // MARK: - zip

    /// Rewrites the CRC-32 of the only entry of a zip written by `ArchiveWriter` (data descriptor and
    /// central directory), so that the data no longer matches it.
    static func withWrongCRC(_ zip: [UInt8]) -> [UInt8] {
        var bytes = zip
        for index in 0..<(bytes.count - 4) {
            let signature = Array(bytes[index..<(index + 4)])
            if signature == [0x50, 0x4B, 0x07, 0x08] { bytes[index + 4] ^= 0xFF }
            if signature == [0x50, 0x4B, 0x01, 0x02] { bytes[index + 16] ^= 0xFF }
        }
        return bytes
    }

    @Test func zipWithWrongCRCIsCorrupt() throws {
        let folder = try TemporaryFolder()
        let zip = try folder.archiveBytes(
            [ArchiveWriter.Entry(path: "a.csv", text: "tax_code\n0100109106\n")], format: .zip)
        let visitor = RecordingVisitor()
        let rejected = expectRejected(
            try folder.write("crc.zip", Self.withWrongCRC(zip)), .corruptArchive, member: "a.csv", visitor: visitor)
        #expect(rejected?.detail.contains("CRC") == true, "\(String(describing: rejected))")
        #expect(visitor.events.contains(.end("a.csv")) == false)
    }

    @Test func zipWithDamagedDataIsCorrupt() throws {
        let folder = try TemporaryFolder()
        let zip = try folder.archiveBytes([ArchiveWriter.Entry(path: "a.csv", data: csvText(rows: 2000))], format: .zip)
        // Local header (30) + name (5) + extra fields: flip a byte well inside the deflate data.
        expectRejected(
            try folder.write("data.zip", Self.flipped(zip, at: 400, mask: 0x55)), .corruptArchive, member: "a.csv")
    }

    @Test func zipWithTrailingOrLeadingBytesIsCorrupt() throws {
        let folder = try TemporaryFolder()
        let zip = try folder.archiveBytes(Self.entries, format: .zip)
        for tail in [[UInt8(0)], Array("trailer".utf8), [UInt8](repeating: 0, count: 1000)] {
            let rejected = expectRejected(try folder.write("t.zip", zip + tail), .corruptArchive, member: nil)
            #expect(rejected?.detail.contains("\(tail.count) bytes follow") == true, "\(String(describing: rejected))")
        }
        expectRejected(try folder.write("lead.zip", [0x50, 0x4B, 0x03, 0x04] + zip), .corruptArchive, member: nil)
        expectRejected(try folder.write("twice.zip", zip + zip), .corruptArchive, member: nil)
    }

    @Test func encryptedZipIsCorrupt() throws {
        let folder = try TemporaryFolder()
        let url = try folder.file("secret.zip")
        try ArchiveWriter.write(
            [ArchiveWriter.Entry(path: "a.csv", text: "x\n1\n")], format: .zip, to: url, zipPassphrase: "secret")
        let rejected = expectRejected(url, .corruptArchive, member: "a.csv")
        #expect(rejected?.detail.contains("encrypted") == true)
    }
}
