import Foundation
import Testing

@testable import GRDPCore

/// A zip's local headers and central directory must tell one story (CONTRACT §3: an archive that
/// cannot be read without doubt is `corrupt-archive`). libarchive reads a zip through its central
/// directory but names and decodes each entry by its local header, and a streaming reader sees
/// only local headers: where they disagree, or bytes lie between entries, one tool reads rows
/// another does not. An audit found each of these accepted with a member's rows left out of the
/// figures (exit 0) while unzip or Python read them; no writer makes any of them.
@Suite struct UnpackZipAgreementTests {
    static let rows = Array("transaction_id,date,amount,status,channel\nT1,2023-01-05,100,completed,marketplace\n".utf8)
    static let grdp = Array("year,grdp\n2023,1\n".utf8)

    static func entries() -> [HandMadeZip.Entry] {
        [.init(name: "grdp.csv", data: grdp), .init(name: "transactions.csv", data: rows)]
    }

    /// `zip` read: the rejection, or nil when accepted, and the members read.
    static func read(_ zip: HandMadeZip, in folder: TemporaryFolder) throws -> (ArchiveRejection?, [String]) {
        try readHandMade(zip.bytes, named: "hand-made.zip", in: folder)
    }

    static func expectCorrupt(
        _ zip: HandMadeZip, member: String?, _ detail: String, in folder: TemporaryFolder,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
        let (rejection, members) = try read(zip, in: folder)
        #expect(
            rejection?.reason == .corruptArchive, "\(String(describing: rejection))", sourceLocation: sourceLocation)
        #expect(rejection?.member == member, "\(String(describing: rejection))", sourceLocation: sourceLocation)
        #expect(
            rejection?.detail.contains(detail) == true, "\(rejection?.detail ?? "accepted")",
            sourceLocation: sourceLocation)
        // Refused before any member is read.
        #expect(members.isEmpty, sourceLocation: sourceLocation)
    }

    /// A central directory too large to be walked (here: any, `zipWalkLimit` 0) leaves the local
    /// header's offset to libarchive, which reads the zip through grdp's callbacks where it points
    /// (`BlockCheckedFile`): an offset past any file (zip64, up to 2^64 - 1) is refused as a
    /// damaged zip, no member read. (libarchive checks these against the size the seek callback
    /// gives; the callback refuses a negative or overflowing position besides.)
    @Test(arguments: [UInt64(0x7FFF_FFFF_FFFF_FFF0), 0xFFFF_FFFF_FFFF_FFF0, 0x0000_0001_0000_0000])
    func aLocalHeaderOffsetPastAnyFileIsRefused(offset: UInt64) throws {
        let folder = try TemporaryFolder()
        let zip64 =
            HandMadeZip.le16(0x0001) + HandMadeZip.le16(8)
            + (0..<8).map { UInt8(truncatingIfNeeded: offset >> (8 * $0)) }
        var bytes = HandMadeZip(entries: [
            .init(name: "transactions.csv", data: Array("a,b\n1,2\n".utf8), centralExtra: zip64)
        ]).bytes
        // The central record's local header offset says "in the zip64 extra".
        let directory = bytes[(bytes.count - 6)..<(bytes.count - 2)].enumerated().reduce(0) {
            $0 | Int($1.element) << (8 * $1.offset)
        }
        bytes.replaceSubrange((directory + 42)..<(directory + 46), with: [0xFF, 0xFF, 0xFF, 0xFF])
        let url = try folder.write("far.zip", bytes)
        let reader = ArchiveReader(limits: UnpackLimits())
        reader.zipWalkLimit = 0
        let visitor = RecordingVisitor()
        #expect(throws: ArchiveRejection.self) {
            try reader.read(url, relativePath: "far.zip", visitor: visitor)
        }
        #expect(visitor.members.isEmpty)
    }

    /// A zip64 locator whose record offset is 2^63 or more (negative as a signed offset) is a
    /// damaged zip: refused, where reading at that offset through the checked blocks trapped the
    /// run (found by a review).
    @Test func aZip64RecordOffsetPastTwoToTheSixtyThirdIsRefused() throws {
        let folder = try TemporaryFolder()
        var bytes: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26)
        bytes += [0x50, 0x4B, 0x06, 0x07] + [0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0x80] + [1, 0, 0, 0]
        bytes += [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18)
        let (rejection, members) = try readHandMade(bytes, named: "far64.zip", in: folder)
        #expect(rejection?.reason == .corruptArchive)
        #expect(rejection?.detail.contains("zip64 end of central directory record is missing") == true)
        #expect(members.isEmpty)
        // Read at a negative offset, the checked file throws rather than traps.
        let url = try folder.write("plain.zip", HandMadeZip(entries: [.init(name: "a.csv", data: [0x61])]).bytes)
        let checked = try BlockCheckedFile(InputFile(url))
        #expect(throws: BlockCheckedFile.OffsetBeforeStart.self) { try checked.read(count: 4, at: -1) }
    }

    /// A zip64 end record whose central directory size and offset add up past 2^63 is a damaged
    /// zip: refused, where adding them trapped the run (found by a review).
    @Test func aZip64DirectoryThatEndsPastTwoToTheSixtyThirdIsRefused() throws {
        let folder = try TemporaryFolder()
        func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let zip = HandMadeZip(entries: [.init(name: "transactions.csv", data: Array("a,b\n1,2\n".utf8))]).bytes
        let end = zip.count - 22
        let huge = le64(0x7FFF_FFFF_FFFF_FFFF)
        // The zip64 end record (56 bytes: count 1, directory size and offset 2^63 - 1), then its locator.
        let versions = HandMadeZip.le16(45) + HandMadeZip.le16(45)
        let disks: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
        let record = [0x50, 0x4B, 0x06, 0x06] + le64(44) + versions + disks + le64(1) + le64(1) + huge + huge
        let locator = [0x50, 0x4B, 0x06, 0x07] + [0, 0, 0, 0] + le64(UInt64(end)) + [1, 0, 0, 0]
        let bytes = Array(zip[..<end]) + record + locator + Array(zip[end...])
        let (rejection, members) = try readHandMade(bytes, named: "huge64.zip", in: folder)
        #expect(rejection?.reason == .corruptArchive, "\(String(describing: rejection))")
        #expect(rejection?.detail.contains("does not end where its end record starts") == true)
        #expect(members.isEmpty)
    }

    @Test func theHandMadeZipItselfIsReadWhole() throws {
        let folder = try TemporaryFolder()
        let (rejection, members) = try Self.read(HandMadeZip(entries: Self.entries()), in: folder)
        #expect(rejection == nil, "\(String(describing: rejection))")
        #expect(members == ["grdp.csv", "transactions.csv"])
        // A Unicode Path field that gives the header's own name, in one header or both, is fine.
        var named = Self.entries()
        named[1].centralExtra = HandMadeZip.unicodePath("transactions.csv", headerName: "transactions.csv")
        #expect(try Self.read(HandMadeZip(entries: named), in: folder).0 == nil)
        named[1].localExtra = named[1].centralExtra
        #expect(try Self.read(HandMadeZip(entries: named), in: folder).1 == ["grdp.csv", "transactions.csv"])
    }

    /// Marked a folder by its attributes (a Unix mode, or the MS-DOS bit), a file with data was made
    /// a folder by libarchive and dropped without a word; unzip and Python extract it.
    /// Attributes are read as their host writes them, as libarchive reads them: a Unix mode from a
    /// Unix host (3), the MS-DOS folder bit from an MS-DOS one (0); a host's other bits are not
    /// (a file whose high bits look like a Unix folder, made on Windows, is a file everywhere).
    @Test(arguments: [(UInt32(0o040755) << 16, UInt8(3)), (0x10, 0)])
    func aFileMarkedAsAFolderIsCorrupt(_ attributes: UInt32, host: UInt8) throws {
        let folder = try TemporaryFolder()
        var entries = Self.entries()
        entries[1].externalAttributes = attributes
        entries[1].host = host
        try Self.expectCorrupt(
            HandMadeZip(entries: entries), member: "transactions.csv", "marked as a folder but holds", in: folder)
        for (bits, other) in [(UInt32(0o040755) << 16 | 0x20, UInt8(0)), (0o040755 << 16 | 0x10, 10)] {
            entries[1].externalAttributes = bits
            entries[1].host = other
            #expect(try Self.read(HandMadeZip(entries: entries), in: folder).1 == ["grdp.csv", "transactions.csv"])
        }
    }

    /// A Unicode Path field in one header naming the entry otherwise: libarchive took the local
    /// one's name (`notes.txt`, skipped as no CSV), unzip the central one's.
    @Test(arguments: [true, false])
    func aUnicodePathThatRenamesTheEntryIsCorrupt(inLocalHeader: Bool) throws {
        let folder = try TemporaryFolder()
        var entries = Self.entries()
        let field = HandMadeZip.unicodePath("notes.txt", headerName: "transactions.csv")
        if inLocalHeader { entries[1].localExtra = field } else { entries[1].centralExtra = field }
        try Self.expectCorrupt(
            HandMadeZip(entries: entries), member: "transactions.csv", "(Unicode Path field)", in: folder)
    }

    /// A Unicode Path field whose CRC is not its header name's is ignored by every reader (a stale
    /// one left by a renaming tool): read by the header's name. Two sound ones in one header are
    /// corrupt: libarchive takes the first, others the last.
    @Test func unicodePathFieldsAreTakenAsReadersTakeThem() throws {
        let folder = try TemporaryFolder()
        var stale = Self.entries()
        stale[1].localExtra = HandMadeZip.unicodePath("notes.txt", headerName: "transactions.csv", crcOffBy: 1)
        #expect(try Self.read(HandMadeZip(entries: stale), in: folder).1 == ["grdp.csv", "transactions.csv"])
        var two = Self.entries()
        two[1].localExtra =
            HandMadeZip.unicodePath("notes.txt", headerName: "transactions.csv")
            + HandMadeZip.unicodePath("transactions.csv", headerName: "transactions.csv")
        two[1].centralExtra = HandMadeZip.unicodePath("transactions.csv", headerName: "transactions.csv")
        try Self.expectCorrupt(
            HandMadeZip(entries: two), member: "transactions.csv", "its local header holds two Unicode Path fields",
            in: folder)
    }

    /// libarchive decodes by the local header's method; unzip and Python by the central one's.
    @Test func methodsThatDisagreeAreCorrupt() throws {
        let folder = try TemporaryFolder()
        var entries = Self.entries()
        entries[1].centralMethod = 99
        try Self.expectCorrupt(
            HandMadeZip(entries: entries), member: "transactions.csv",
            "its local header gives compression method 0 where the central directory gives 99", in: folder)
    }

    /// A whole entry between two listed ones, left out of the central directory: a streaming reader
    /// reads its rows, unzip and Python do not. So are stray bytes there, and before the first entry.
    @Test func bytesThatBelongToNoListedEntryAreCorrupt() throws {
        let folder = try TemporaryFolder()
        var entries = Self.entries()
        entries.insert(.init(name: "transactions_late.csv", data: Self.rows, hidden: true), at: 1)
        try Self.expectCorrupt(
            HandMadeZip(entries: entries), member: "grdp.csv",
            "after the entry 'grdp.csv', before the entry 'transactions.csv', belong to no entry", in: folder)
        var first = Self.entries()
        first.insert(.init(name: "stray", data: [1, 2, 3], hidden: true), at: 0)
        try Self.expectCorrupt(
            HandMadeZip(entries: first), member: nil, "at the start of the file, before the entry 'grdp.csv'",
            in: folder)
        // Fewer bytes than a local header takes (30) hide nothing; some writers leave a few.
        var padded = Self.entries()
        padded[0].paddingAfter = [0, 0, 0, 0]
        padded[1].paddingAfter = Array(repeating: 0, count: 29)
        #expect(try Self.read(HandMadeZip(entries: padded), in: folder).1 == ["grdp.csv", "transactions.csv"])
        var last = Self.entries()
        last.append(.init(name: "transactions_late.csv", data: Self.rows, hidden: true))
        try Self.expectCorrupt(
            HandMadeZip(entries: last), member: "transactions.csv", "before the central directory", in: folder)
    }

    /// unzip refuses an end record that counts otherwise than the central directory holds.
    @Test func anEndRecordThatMiscountsIsCorrupt() throws {
        let folder = try TemporaryFolder()
        try Self.expectCorrupt(
            HandMadeZip(entries: Self.entries(), statedCount: 1), member: nil,
            "the zip's end record counts 1 entries where its central directory holds 2", in: folder)
    }
}

/// A tar's extension headers in combinations that tools read differently (CONTRACT §3: an archive
/// that cannot be read without doubt is `corrupt-archive`): libarchive settles on one name and
/// GNU tar or Python on another. An audit found each accepted with a member read as `notes.txt`
/// (skipped, no CSV) where GNU tar extracts `transactions.csv`, its rows left out (exit 0).
@Suite struct UnpackTarExtensionTests {
    static let rows = UnpackZipAgreementTests.rows

    static func read(_ tar: [UInt8], in folder: TemporaryFolder) throws -> (ArchiveRejection?, [String]) {
        try readHandMade(tar, named: "hand-made.tar", in: folder)
    }

    /// Each extension alone, and a global header with other keys (`git archive` writes its commit
    /// as `comment`), are read as every tool reads them.
    @Test func extensionsToolsAgreeOnAreRead() throws {
        let folder = try TemporaryFolder()
        let long = String(repeating: "d", count: 120) + "/transactions.csv"
        for (tar, name) in [
            (HandMadeTar.longName(long) + HandMadeTar.member(String(long.prefix(99)), Self.rows), long),
            (HandMadeTar.pax("x", [("path", long)]) + HandMadeTar.member("short.csv", Self.rows), long),
            (
                HandMadeTar.pax("g", [("comment", "4b825dc642cb6eb9a060e54bf8d69288fbee4904")])
                    + HandMadeTar.member("transactions.csv", Self.rows), "transactions.csv"
            ),
        ] {
            let (rejection, members) = try Self.read(tar + HandMadeTar.end, in: folder)
            #expect(rejection == nil, "\(String(describing: rejection))")
            #expect(members == [name])
        }
        // Each member its own long name (GNU tar's way), one by pax, one by both ways at once
        // never: an extension belongs to the member after it alone.
        let second = String(repeating: "e", count: 120) + "/grdp.csv"
        let tar =
            HandMadeTar.longName(long) + HandMadeTar.member("a.csv", Self.rows)
            + HandMadeTar.pax("x", [("path", second)]) + HandMadeTar.member("b.csv", Self.rows)
            + HandMadeTar.longName(long + ".2") + HandMadeTar.member("c.csv", Self.rows) + HandMadeTar.end
        let (rejection, members) = try Self.read(tar, in: folder)
        #expect(rejection == nil, "\(String(describing: rejection))")
        #expect(members == [long, second, long + ".2"])
    }

    /// A pax record whose length ends before its own digits and space (`1 x`, `02 x`) is no
    /// record: the tar is refused as libarchive finds it (a malformed extended attribute), where
    /// gathering its keys trapped the run on an inverted range (found by a review).
    @Test(arguments: ["1 x\n", "02 x\n"])
    func aPaxRecordShorterThanItsLengthFieldIsCorrupt(_ record: String) throws {
        let folder = try TemporaryFolder()
        let tar =
            HandMadeTar.member("PaxHeader", typeflag: "x", Array(record.utf8))
            + HandMadeTar.member("transactions.csv", Self.rows) + HandMadeTar.end
        let (rejection, _) = try Self.read(tar, in: folder)
        #expect(rejection?.reason == .corruptArchive, "\(String(describing: rejection))")
    }

    @Test(arguments: ["path", "size", "linkpath", "GNU.sparse.name"])
    func aGlobalHeaderThatRenamesOrResizesMembersIsCorrupt(_ key: String) throws {
        let folder = try TemporaryFolder()
        let tar =
            HandMadeTar.pax("g", [("comment", "x"), (key, key == "size" ? "0" : "transactions.csv")])
            + HandMadeTar.member("notes.txt", Self.rows) + HandMadeTar.end
        let (rejection, _) = try Self.read(tar, in: folder)
        #expect(rejection?.reason == .corruptArchive, "\(String(describing: rejection))")
        #expect(
            rejection?.detail.contains("a pax global header sets '\(key)'") == true, "\(String(describing: rejection))")
    }

    /// A pax header's records are gathered to be judged, up to 1 MiB: one larger (real ones are a
    /// few hundred bytes) is refused rather than held in memory or let by unread.
    @Test func aPaxHeaderOverAMebibyteIsCorrupt() throws {
        let folder = try TemporaryFolder()
        let tar =
            HandMadeTar.header("PaxHeader", typeflag: "g", size: 2 << 20) + HandMadeTar.padded(Array("x".utf8))
            + HandMadeTar.end
        let (rejection, _) = try Self.read(tar, in: folder)
        #expect(rejection?.reason == .corruptArchive, "\(String(describing: rejection))")
        #expect(rejection?.detail.contains("over 1 MiB") == true, "\(String(describing: rejection))")
    }

    @Test func aMemberWithTwoNamesIsCorrupt() throws {
        let folder = try TemporaryFolder()
        let member = HandMadeTar.member("notes.txt", Self.rows)
        for (extensions, detail) in [
            (HandMadeTar.longName("notes.txt") + HandMadeTar.pax("x", [("path", "transactions.csv")]), "both"),
            (HandMadeTar.pax("x", [("path", "transactions.csv")]) + HandMadeTar.longName("notes.txt"), "both"),
            (HandMadeTar.longName("notes.txt") + HandMadeTar.longName("transactions.csv"), "two GNU long names"),
            // Without the ustar magic, which GNU tar and libarchive do not need.
            (
                HandMadeTar.longName("notes.txt", magic: false)
                    + HandMadeTar.pax("x", [("path", "transactions.csv")], magic: false), "both"
            ),
            (
                HandMadeTar.longName("notes.txt") + HandMadeTar.pax("x", [("GNU.sparse.name", "transactions.csv")]),
                "both"
            ),
        ] {
            // After a sound member, whose extension does not carry over to the next one.
            let tar =
                HandMadeTar.longName("first/" + String(repeating: "f", count: 110) + ".csv")
                + HandMadeTar.member("first.csv", Self.rows) + extensions + member + HandMadeTar.end
            let (rejection, _) = try Self.read(tar, in: folder)
            #expect(rejection?.reason == .corruptArchive, "\(String(describing: rejection))")
            #expect(rejection?.detail.contains(detail) == true, "\(String(describing: rejection))")
        }
    }
}

/// `bytes` written as `name` and read: the rejection, or nil when accepted, and the members read
/// (before the rejection, when there is one).
func readHandMade(_ bytes: [UInt8], named name: String, in folder: TemporaryFolder) throws -> (
    ArchiveRejection?, [String]
) {
    let url = try folder.write(name, bytes)
    let visitor = RecordingVisitor()
    do {
        try readArchive(url, visitor: visitor)
        return (nil, visitor.members)
    } catch let rejection as ArchiveRejection {
        return (rejection, visitor.members)
    }
}
