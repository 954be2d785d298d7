import Foundation
import Testing

@testable import GRDPCore

/// `ReturnsScanner` and `FileDigest`.
@Suite struct UnpackScannerTests {
    @Test func archivesComeInBytewiseOrderWithSidecarsAndExclusions() throws {
        let folder = try TemporaryFolder()
        let files: [String: String] = [
            "2024/07-01_y.tar.gz": "y",
            "2024-06-30_x.zip": "x",
            "a.zip": "a",
            "B.zip": "b",
            "a.zip.sha256": "ABCDEF0123  a.zip\n",
            "orphan.sha256": "00",
            "README.txt": "notes",
            "notes.gz": "gz but not csv.gz",
            "sub/deep/c.CSV.GZ": "c",
            "sub/deep/d.TGZ": "d",
            "sub/e.tbz2": "e",
            "sub/f.txz": "f",
            "sub/g.tar.bz2": "g",
            "sub/h.tar.xz": "h",
            "sub/i.tar": "i",
            "old/excluded.tgz": "old",
            "old/excluded.tgz.sha256": "1234",
            "old/stale.txt": "s",
            "empty.zip": "",
            "e.zip.sha256": "",
            "e.zip": "e",
            ".zip": "only a suffix",
        ]
        for (path, text) in files { _ = try folder.write(path, Array(text.utf8)) }
        try FileManager.default.createDirectory(
            at: folder.url.appendingPathComponent("empty-folder"), withIntermediateDirectories: true)

        let scan = try ReturnsScanner.scan(
            folder: folder.url, exclude: ["old/excluded.tgz", "./old/stale.txt", "missing.zip"])
        #expect(
            scan.archives.map(\.relativePath) == [
                "2024-06-30_x.zip", "2024/07-01_y.tar.gz", "B.zip", "a.zip", "e.zip", "empty.zip",
                "sub/deep/c.CSV.GZ", "sub/deep/d.TGZ", "sub/e.tbz2", "sub/f.txz", "sub/g.tar.bz2", "sub/h.tar.xz",
                "sub/i.tar",
            ])
        // A file that is no archive stays listed as ignored when an exclude entry names it: it is not an
        // archive seen (`source_archive`), and the entry names a file (not "not found").
        #expect(scan.ignoredFiles == [".zip", "README.txt", "notes.gz", "old/stale.txt", "orphan.sha256"])
        #expect(scan.excluded == ["old/excluded.tgz"])
        #expect(scan.unmatchedExcludes == ["missing.zip"])

        let byPath = Dictionary(uniqueKeysWithValues: scan.archives.map { ($0.relativePath, $0) })
        #expect(byPath["a.zip"]?.expectedSHA256 == "abcdef0123")
        #expect(byPath["B.zip"]?.expectedSHA256 == nil)
        // An empty sidecar matches no digest: the archive will be rejected, not taken unchecked.
        #expect(byPath["e.zip"]?.expectedSHA256 == "")
        #expect(byPath["empty.zip"]?.bytes == 0)
        #expect(byPath["2024/07-01_y.tar.gz"]?.bytes == 1)
        #expect(
            byPath["2024/07-01_y.tar.gz"]?.url.path == folder.url.appendingPathComponent("2024/07-01_y.tar.gz").path)
    }

    @Test func sidecarDigestIsVerified() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("good.zip", Array("abc".utf8))
        _ = try folder.write(
            "good.zip.sha256",
            Array("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD  good.zip\n".utf8))
        _ = try folder.write("bad.zip", Array("abd".utf8))
        _ = try folder.write(
            "bad.zip.sha256", Array("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".utf8))
        _ = try folder.write("none.zip", Array("abc".utf8))
        let scan = try ReturnsScanner.scan(folder: folder.url, exclude: [])
        let byPath = Dictionary(uniqueKeysWithValues: scan.archives.map { ($0.relativePath, $0) })
        #expect(try byPath["good.zip"]?.verifiedDigest().bytes == 3)
        #expect(try byPath["none.zip"]?.verifiedDigest().hex.hasPrefix("ba7816bf") == true)
        #expect {
            try byPath["bad.zip"]?.verifiedDigest()
        } throws: { error in
            (error as? ArchiveRejection)?.reason == .corruptArchive && (error as? ArchiveRejection)?.member == nil
        }
    }

    /// Deliveries go on while the nightly run scans: a browser renames `x.zip.crdownload` to `x.zip`,
    /// an operator moves a rejected return out, a sender's folder comes and goes. An entry listed
    /// and gone before it is looked at is not there for this run; it does not stop the scan (it was
    /// exit 66, "cannot read … No such file or directory", for the whole night).
    @Test func entriesRenamedOrRemovedWhileTheFolderIsScannedDoNotStopIt() throws {
        let folder = try TemporaryFolder()
        let count = 1500
        for index in 0..<count { _ = try folder.write("2024-01-01_\(index).zip.part", [0x50]) }
        let root = folder.url.path
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            for round in 0..<40 {
                let (from, to) = round % 2 == 0 ? (".zip.part", ".zip") : (".zip", ".zip.part")
                for index in 0..<count {
                    let stem = "\(root)/2024-01-01_\(index)"
                    _ = rename(stem + from, stem + to)
                    if index % 50 == 0 {
                        _ = mkdir("\(root)/sender-\(index)", 0o755)
                        _ = rmdir("\(root)/sender-\(index - 50)")
                    }
                }
            }
            finished.signal()
        }
        var scans = 0
        repeat {
            _ = try ReturnsScanner.scan(folder: folder.url, exclude: [])
            scans += 1
        } while finished.wait(timeout: .now()) == .timedOut
        #expect(scans >= 1)
    }

    @Test func bytewiseOrderIsNotLocaleOrder() {
        #expect(ReturnsScanner.precedesBytewise("2024-06-30_x.zip", "2024/07-01_y.tar.gz"))
        #expect(ReturnsScanner.precedesBytewise("B.zip", "a.zip"))
        #expect(ReturnsScanner.precedesBytewise("Z.zip", "Á.zip"))
        // Precomposed "é" (C3 A9) sorts after "e" + combining acute (65 CC 81), bytewise.
        #expect(ReturnsScanner.precedesBytewise("e\u{301}.zip", "\u{E9}.zip"))
        #expect(!ReturnsScanner.precedesBytewise("a.zip", "a.zip"))
    }

    /// Creates `name` (bytes, any) in `folder` with `contents`, or a folder when `contents` is nil.
    private static func create(_ name: [UInt8], in folder: URL, contents: [UInt8]?) throws {
        let path = Array(folder.path.utf8) + [UInt8(ascii: "/")] + name + [0]
        let made = path.withUnsafeBufferPointer { pointer -> Bool in
            let cPath = UnsafeRawPointer(pointer.baseAddress!).assumingMemoryBound(to: CChar.self)
            guard let contents else { return mkdir(cPath, 0o755) == 0 }
            let fd = open(cPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            return contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == contents.count
        }
        try #require(made, "cannot create \(name)")
    }

    /// A name that is not UTF-8 (Latin-1 "Báo", a folder "dá") does not stop the scan: it is shown with
    /// its invalid bytes written \xHH, listed as ignored or taken as an archive, and the archive's
    /// bytes can be read through the URL given.
    @Test func namesThatAreNotUTF8AreShownEscapedAndStillRead() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("a.zip", [1])
        try Self.create(Array("B".utf8) + [0xE1] + Array("o.txt".utf8), in: folder.url, contents: [9])
        try Self.create(Array("R".utf8) + [0xE9, 0xFF] + Array(".zip".utf8), in: folder.url, contents: [1, 2, 3])
        try Self.create(Array("d".utf8) + [0xE1], in: folder.url, contents: nil)
        try Self.create(
            Array("d".utf8) + [0xE1, UInt8(ascii: "/")] + Array("inner é.tar".utf8), in: folder.url, contents: [4, 5])
        let scan = try ReturnsScanner.scan(folder: folder.url, exclude: [])
        #expect(scan.archives.map(\.relativePath) == ["R\\xE9\\xFF.zip", "a.zip", "d\\xE1/inner é.tar"])
        #expect(scan.ignoredFiles == ["B\\xE1o.txt"])
        for archive in scan.archives {
            let digest = try FileDigest.sha256(of: archive.location)
            #expect(digest.bytes == archive.bytes, "\(archive.relativePath)")
        }
        #expect(scan.archives.map(\.bytes) == [3, 1, 2])
        #expect(ReturnsScanner.displayName(Array("Đắk".utf8) + [0xC3]) == "Đắk\\xC3")

        // A UTF-8 name that spells the escaped form of another: the run could not tell them apart.
        _ = try folder.write("R\\xE9\\xFF.zip", [7])
        #expect(throws: ReturnsScanError.self) { try ReturnsScanner.scan(folder: folder.url, exclude: []) }
    }

    /// A scan opens no file to list it: files whose names are not UTF-8 are named by the bytes of
    /// their paths and opened only when used (thousands of them cannot exhaust the descriptors, and
    /// one that cannot be opened is that archive's fault, not the scan's).
    @Test func namesThatAreNotUTF8AreOpenedOnlyWhenUsed() throws {
        let folder = try TemporaryFolder()
        try Self.create(Array("d".utf8) + [0xE1], in: folder.url, contents: nil)
        for n in 0..<50 {
            try Self.create(Array("note-\(n)-".utf8) + [0xFA] + Array(".txt".utf8), in: folder.url, contents: [1])
            try Self.create(
                Array("d".utf8) + [0xE1, UInt8(ascii: "/")] + Array("r-\(n)-".utf8) + [0xE9] + Array(".zip".utf8),
                in: folder.url, contents: [2])
        }
        // This process's descriptors open on something under the folder (other tests run beside).
        func openDescriptors() throws -> Int {
            let root = folder.url.resolvingSymlinksInPath().path
            return try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").filter { fd in
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd))?.hasPrefix(root)
                    ?? false
            }.count
        }
        let scan = try ReturnsScanner.scan(folder: folder.url, exclude: [])
        #expect(scan.archives.count == 50 && scan.ignoredFiles.count == 50)
        #expect(try openDescriptors() == 0)
        #expect(try FileDigest.sha256(of: scan.archives[0].location).bytes == 1)
        #expect(try openDescriptors() == 0)
    }

    /// Two names that differ only in their Unicode normalization (`é` precomposed, and `e` with a
    /// combining accent) are one path for the run, whose tables key paths as `String`s: the scan
    /// stops naming them rather than let one archive's counts land on the other.
    @Test func namesDifferingOnlyInNormalizationAreAmbiguous() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("2024-01-01_\u{E9}.zip", [1])
        _ = try folder.write("2024-01-01_e\u{301}.zip", [2])
        #expect(throws: ReturnsScanError.self) { try ReturnsScanner.scan(folder: folder.url, exclude: []) }
        do {
            _ = try ReturnsScanner.scan(folder: folder.url, exclude: [])
        } catch let error as ReturnsScanError {
            #expect(error.kind == .ambiguousName && ExitCodes.code(for: error) == 65)
        }
    }

    /// Exclusions name files by their bytes; one that names no file is reported, one naming a
    /// sidecar is not "no file".
    /// An entry that names a folder excludes every archive below it, however deep, and no other:
    /// not one in a folder whose name merely starts the same, not a file that is no archive.
    @Test(arguments: ["2023", "2023/", "./2023//"])
    func anExcludeEntryNamingAFolderExcludesTheArchivesBelowIt(entry: String) throws {
        let folder = try TemporaryFolder()
        for path in [
            "2023/a.zip", "2023/b.tar.gz", "2023/notes.txt", "2023/sub/c.zip", "2023x/e.zip", "2024/d.zip",
            "docs/readme.txt",
        ] {
            _ = try folder.write(path, Array("x".utf8))
        }
        let scan = try ReturnsScanner.scan(folder: folder.url, exclude: [entry, "docs", "2024/d.zip/", "20"])
        #expect(scan.excluded == ["2023/a.zip", "2023/b.tar.gz", "2023/sub/c.zip"])
        #expect(scan.excludedLocations.count == 3)
        #expect(scan.archives.map(\.relativePath) == ["2023x/e.zip", "2024/d.zip"])
        #expect(scan.ignoredFiles == ["2023/notes.txt", "docs/readme.txt"])
        #expect(
            scan.excludedFolders == [
                .init(entry: entry, archives: 3), .init(entry: "docs", archives: 0),
            ])
        // A file's name with a slash after it, and a name that only starts a folder's, name nothing.
        #expect(scan.unmatchedExcludes == ["2024/d.zip/", "20"])
    }

    @Test func excludeEntriesNameOneFileByItsBytesAndUnmatchedOnesAreReported() throws {
        let folder = try TemporaryFolder()
        _ = try folder.write("2024-01-01_\u{E9}.zip", [1])
        _ = try folder.write("2024-01-02_b.zip", [2])
        _ = try folder.write("2024-01-02_b.zip.sha256", Array("00  2024-01-02_b.zip\n".utf8))
        let scan = try ReturnsScanner.scan(
            folder: folder.url,
            exclude: [
                "2024-01-01_\u{E9}.zip", "missing.zip", "./missing.zip", "missing.zip", "2024-01-02_b.zip.sha256",
            ])
        #expect(scan.excluded.map { Array($0.utf8) } == [Array("2024-01-01_\u{E9}.zip".utf8)])
        #expect(scan.excludedLocations.map(\.url.lastPathComponent) == ["2024-01-01_\u{E9}.zip"])
        #expect(scan.archives.map(\.relativePath) == ["2024-01-02_b.zip"])
        #expect(scan.unmatchedExcludes == ["missing.zip", "./missing.zip"])

        // Only the decomposed name on disk: an entry typed precomposed still excludes it, as it did
        // before grdp compared bytes, and says so (a Mac stores names decomposed).
        let mac = try TemporaryFolder()
        _ = try mac.write("2024-02-01_Nông.zip".decomposedStringWithCanonicalMapping, [3])
        let fromMac = try ReturnsScanner.scan(folder: mac.url, exclude: ["2024-02-01_Nông.zip"])
        #expect(fromMac.archives.isEmpty && fromMac.excluded.count == 1 && fromMac.unmatchedExcludes.isEmpty)
        #expect(fromMac.excludedByEquivalence.map(\.entry) == ["2024-02-01_Nông.zip"])
    }

    @Test func symlinksToFilesCountAndOthersAreListed() throws {
        let folder = try TemporaryFolder()
        let target = try folder.write("store/real.tar.gz", [1, 2, 3])
        try FileManager.default.createSymbolicLink(
            at: folder.url.appendingPathComponent("linked.tar.gz"), withDestinationURL: target)
        try FileManager.default.createSymbolicLink(
            atPath: folder.url.appendingPathComponent("dangling.zip").path, withDestinationPath: "nowhere.zip")
        try FileManager.default.createSymbolicLink(
            at: folder.url.appendingPathComponent("looped"), withDestinationURL: folder.url)
        let scan = try ReturnsScanner.scan(folder: folder.url, exclude: [])
        #expect(scan.archives.map(\.relativePath) == ["linked.tar.gz", "store/real.tar.gz"])
        #expect(scan.archives.first?.bytes == 3)
        #expect(scan.ignoredFiles == ["dangling.zip", "looped"])
    }

    @Test func missingFolderNamesIt() throws {
        let folder = try TemporaryFolder()
        let missing = folder.url.appendingPathComponent("Inputs/returns")
        do {
            _ = try ReturnsScanner.scan(folder: missing, exclude: [])
            Issue.record("no error")
        } catch let error as ReturnsScanError {
            #expect(error.kind == .missingFolder)
            #expect(error.description.contains(missing.path))
        }
        let file = try folder.write("plain.txt", [1])
        #expect(throws: ReturnsScanError.self) { try ReturnsScanner.scan(folder: file, exclude: []) }
    }

    @Test func sha256StreamsTheWholeFile() throws {
        let folder = try TemporaryFolder()
        // FIPS 180-2 test vectors.
        let abc = try FileDigest.sha256(of: try folder.write("abc", Array("abc".utf8)))
        #expect(abc.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(abc.bytes == 3)
        let empty = try FileDigest.sha256(of: try folder.write("empty", []))
        #expect(empty.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(empty.bytes == 0)
        let million = try FileDigest.sha256(
            of: try folder.write("a", [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
        #expect(million.hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Larger than the 1 MiB read buffer, not a multiple of it (digest from Python's hashlib).
        let big = try FileDigest.sha256(of: try folder.write("big", noise(2_500_123)))
        #expect(big.hex == "685042c4043607c6244bcf669b251184fa997ca9058c2d302f45b4f541f78eb8")
        #expect(big.bytes == 2_500_123)
        #expect(throws: (any Error).self) { try FileDigest.sha256(of: folder.url.appendingPathComponent("missing")) }
    }
}
