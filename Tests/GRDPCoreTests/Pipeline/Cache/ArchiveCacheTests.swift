import Foundation
import Testing

@testable import GRDPCore

/// `ArchiveCache` gives back exactly what reading the archive gave: the runner cannot tell a cached
/// archive from a read one.
@Suite struct ArchiveCacheTests {
    static let yaml = """
        version: 1
        region: {code: "67", name: "Đắk Nông", utc_offset: "+07:00"}
        inputs:
          returns: returns
          fx: {USD: {2023: 24000}}
        outputs: {folder: Outputs}
        quality: {max_quarantine_ratio: 0.9}
        targets: {points: [{year: 2025, share_pct: 20}]}
        """

    /// Every kind of member, quarantined rows, a net too wide for 64 bits, a skipped member.
    static let entries: [ArchiveWriter.Entry] = [
        .init(
            path: "enterprise.csv",
            text: "tax_code,year,vsic,value_added,name,employees\n"
                + "0100109106,2023,J6201,1500.25,Công ty Phần mềm,12\n"
                + "0100109106,2023,XX,1,bad vsic,1\n"
                + "0101243150,2023,G4711,2000,Cửa hàng,\n"),
        .init(path: "grdp.csv", text: "year,grdp\n2023,51000\n2024,oops\n"),
        .init(
            path: "transactions.csv",
            text: "transaction_id,date,amount,status,channel,seller_tax_code,currency\n"
                + "MP-000123,2023-06-01,100000,completed,Shopee,0101243150,\n"
                + "MP-000124,2023-06-02T23:30:00Z,50.5,delivered,Sàn Đắk Nông,,USD\n"
                + "WIDE-1,2023-07-01,123456789012345.678901234,completed,web,,\n"
                + "MP-000125,31/02/2023,1,completed,web,,\n"),
        .init(path: "notes/readme.csv", text: "a,b\n1,2\n"),
    ]

    @Test func anEntryGivesBackTheArchiveAsRead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let returns = folder.appendingPathComponent("returns")
        try FileManager.default.createDirectory(at: returns, withIntermediateDirectories: true)
        let archiveURL = returns.appendingPathComponent("2024-01-10_returns.tar.gz")
        try ArchiveWriter.write(Self.entries, format: .tarGzip, to: archiveURL)
        let config = try ConfigLoader.parse(yaml: Self.yaml, fileURL: folder.appendingPathComponent("pipeline.yml"))
        let scan = try ReturnsScanner.scan(folder: returns, exclude: [])
        let candidate = try #require(scan.archives.first)
        let read = Ingest.read(
            candidate, config: config, classifier: MemberClassifier(kinds: config.inputs.kinds),
            limits: UnpackLimits(
                maxMemberBytes: config.limits.maxMemberBytes, maxCompressionRatio: config.limits.maxCompressionRatio))
        #expect(read.status == .accepted, "\(String(describing: read.rejection))")
        #expect(read.members.map(\.rowsQuarantined).reduce(0, +) == 3)
        #expect(read.skipped.count == 1)
        // The transactions member's counts, with its accepted rows collected into the batch.
        let transactions = try #require(read.members.first { $0.kind == .transaction })
        #expect(transactions.rowsRead == 4 && transactions.rowsAccepted == 3 && transactions.transactions.count == 3)
        #expect(transactions.rowsQuarantined == 1 && transactions.rowsExcluded == 0)

        let digest = FileDigest(hex: read.sha256, bytes: read.bytes)
        let cache = ArchiveCache(
            folder: folder.appendingPathComponent("cache"), build: "test", readingSHA256: config.readingSHA256)
        try cache.store(read, digest: digest)
        let loaded = try #require(cache.load(relativePath: candidate.relativePath, digest: digest))

        #expect(loaded.relativePath == read.relativePath && loaded.sha256 == read.sha256 && loaded.bytes == read.bytes)
        #expect(loaded.status == .accepted && loaded.rejection == nil)
        #expect(loaded.skipped.map(\.path) == read.skipped.map(\.path))
        #expect(loaded.members.count == read.members.count)
        for (a, b) in zip(loaded.members, read.members) {
            #expect(a.path == b.path && a.kind == b.kind && a.numberConvention == b.numberConvention)
            #expect(a.rowsRead == b.rowsRead && a.rowsAccepted == b.rowsAccepted && a.rowsExcluded == b.rowsExcluded)
            #expect(a.excludedByReason == b.excludedByReason)
            #expect(a.quarantine == b.quarantine)
            #expect(a.accepted.map(\.line) == b.accepted.map(\.line))
            #expect(a.accepted.map(\.record) == b.accepted.map(\.record))
            #expect(a.transactions.strings == b.transactions.strings)
            #expect(a.transactions.stems == b.transactions.stems)
            #expect(a.transactions.wide.map(\.amount) == b.transactions.wide.map(\.amount))
            #expect(a.transactions.wide.map(\.refund) == b.transactions.wide.map(\.refund))
            let rowsA = a.transactions.rows.withUnsafeBytes { Array($0) }
            let rowsB = b.transactions.rows.withUnsafeBytes { Array($0) }
            #expect(rowsA == rowsB)
        }
        #expect(read.members.contains { !$0.transactions.wide.isEmpty })
        // The loaded rows are read in place from the entry's mapping, which their batches keep: the
        // file unlinked and another renamed into its place leave them as they were.
        #expect(loaded.members.allSatisfy { $0.transactions.count == 0 || $0.transactions.readsInPlace })
        let entryFile = cache.folder.appendingPathComponent(
            cache.fileName(relativePath: candidate.relativePath, digest: digest))
        let entryBytes = try Data(contentsOf: entryFile)
        try FileManager.default.removeItem(at: entryFile)
        try Data(repeating: 0xA5, count: entryBytes.count).write(to: entryFile, options: .atomic)
        for (a, b) in zip(loaded.members, read.members) {
            #expect(
                a.transactions.withRows { Array(UnsafeRawBufferPointer($0)) }
                    == b.transactions.rows.withUnsafeBytes { Array($0) })
        }
        try entryBytes.write(to: entryFile, options: .atomic)
        // The texts section carries more than ASCII.
        #expect(read.members.contains { $0.transactions.strings.contains { $0.utf8.count > $0.count } })

        // Other reading settings, or another archive version: another entry, not found.
        let other = ArchiveCache(
            folder: cache.folder, build: "test", readingSHA256: String(repeating: "0", count: 64))
        #expect(other.load(relativePath: candidate.relativePath, digest: digest) == nil)
        #expect(cache.load(relativePath: candidate.relativePath, digest: FileDigest(hex: digest.hex, bytes: 1)) == nil)
        // Another path, the same bytes: the same entry (issue 5: "same sha256, same normalization
        // settings"), giving the archive under the name it has now, its quarantined rows too.
        let renamed = try #require(cache.load(relativePath: "2024/renamed.tar.gz", digest: digest))
        #expect(renamed.relativePath == "2024/renamed.tar.gz")
        #expect(renamed.members.map(\.path) == read.members.map(\.path))
        #expect(renamed.members.map(\.rowsAccepted) == read.members.map(\.rowsAccepted))
        let quarantined = renamed.members.flatMap(\.quarantine)
        #expect(quarantined.count == 3)
        #expect(quarantined.allSatisfy { $0.location.archivePath == "2024/renamed.tar.gz" })
        #expect(
            quarantined.map { [$0.location.memberPath, String($0.location.line), $0.raw] }
                == read.members.flatMap(\.quarantine).map {
                    [$0.location.memberPath, String($0.location.line), $0.raw]
                })
        // Unless the new name makes it one compressed CSV (`x.csv.gz` holds `x.csv`), which reads
        // the same bytes otherwise: then it is another entry.
        #expect(cache.load(relativePath: "renamed.csv.gz", digest: digest) == nil)

        // A torn entry is not believed.
        let entry = cache.folder.appendingPathComponent(
            cache.fileName(relativePath: candidate.relativePath, digest: digest))
        let whole = try Data(contentsOf: entry)
        try whole.prefix(whole.count - 1).write(to: entry)
        #expect(cache.load(relativePath: candidate.relativePath, digest: digest) == nil)
        // Nor an empty one, nor a folder in its place (neither can be mapped).
        try Data().write(to: entry)
        #expect(cache.load(relativePath: candidate.relativePath, digest: digest) == nil)
        try FileManager.default.removeItem(at: entry)
        try FileManager.default.createDirectory(at: entry, withIntermediateDirectories: false)
        #expect(cache.load(relativePath: candidate.relativePath, digest: digest) == nil)
        // Nor a FIFO, which is not waited on for a writer.
        try FileManager.default.removeItem(at: entry)
        #expect(mkfifo(entry.path, 0o600) == 0)
        #expect(cache.load(relativePath: candidate.relativePath, digest: digest) == nil)
        // The entry written again is mapped and read back whole.
        try FileManager.default.removeItem(at: entry)
        try cache.store(read, digest: digest)
        #expect(
            cache.load(relativePath: candidate.relativePath, digest: digest)?.members.map(\.transactions.count)
                == read.members.map(\.transactions.count))
    }

    /// A transaction id of a megabyte (valid, within the member limit): its stem is kept as Base64
    /// in the entry's JSON, ~1.3 bytes a byte. As an array of numbers it took ~4 bytes a byte in
    /// the file and ~50 in memory while encoded (a 25 MB id: 1.3 GB, 13 s; found by an audit).
    @Test func aLongIdStemIsKeptCompactly() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let returns = folder.appendingPathComponent("returns")
        try FileManager.default.createDirectory(at: returns, withIntermediateDirectories: true)
        // Letters that do not compress past the ratio limit (a run of one letter would).
        var state: UInt32 = 1
        let letters = (0..<(1 << 20)).map { _ -> Character in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Character(Unicode.Scalar(UInt8(ascii: "A") + UInt8(state >> 27)))
        }
        let id = String(letters) + "-0001"
        try ArchiveWriter.write(
            [
                .init(
                    path: "transactions.csv",
                    text:
                        "transaction_id,date,amount,status\n\(id),2023-06-01,100,completed\nB-2,2023-06-01,5,completed\n"
                )
            ], format: .tarGzip, to: returns.appendingPathComponent("a.tar.gz"))
        let config = try ConfigLoader.parse(yaml: Self.yaml, fileURL: folder.appendingPathComponent("pipeline.yml"))
        let candidate = try #require(try ReturnsScanner.scan(folder: returns, exclude: []).archives.first)
        let read = Ingest.read(
            candidate, config: config, classifier: MemberClassifier(kinds: config.inputs.kinds),
            limits: UnpackLimits(
                maxMemberBytes: config.limits.maxMemberBytes, maxCompressionRatio: config.limits.maxCompressionRatio))
        #expect(read.status == .accepted, "\(String(describing: read.rejection))")
        let digest = FileDigest(hex: read.sha256, bytes: read.bytes)
        let cache = ArchiveCache(
            folder: folder.appendingPathComponent("cache"), build: "test", readingSHA256: config.readingSHA256)
        try cache.store(read, digest: digest)
        let entry = cache.folder.appendingPathComponent(cache.fileName(relativePath: "a.tar.gz", digest: digest))
        let size = try #require(try FileManager.default.attributesOfItem(atPath: entry.path)[.size] as? Int)
        #expect(size < (1 << 20) * 3 / 2, "\(size) bytes")
        let loaded = try #require(cache.load(relativePath: "a.tar.gz", digest: digest))
        #expect(loaded.members.map(\.transactions.stems) == read.members.map(\.transactions.stems))
        #expect(read.members.first?.transactions.stems.contains { $0.prefix.count == 1 << 20 | 1 } == true)
    }

    /// `entries` as `a.tar.gz` in `folder`, read, and kept in a cache there.
    /// `entries` written as `name` in `folder`/returns, read, and kept in `folder`/cache.
    private static func storedEntry(
        in folder: URL, entries: [ArchiveWriter.Entry] = entries, format: ArchiveWriter.Format = .tarGzip,
        as name: String = "a.tar.gz"
    ) throws -> (ArchiveCache, ArchiveOutcome, FileDigest) {
        let returns = folder.appendingPathComponent("returns")
        try FileManager.default.createDirectory(at: returns, withIntermediateDirectories: true)
        try ArchiveWriter.write(entries, format: format, to: returns.appendingPathComponent(name))
        let config = try ConfigLoader.parse(yaml: yaml, fileURL: folder.appendingPathComponent("pipeline.yml"))
        let candidate = try #require(try ReturnsScanner.scan(folder: returns, exclude: []).archives.first)
        let read = Ingest.read(
            candidate, config: config, classifier: MemberClassifier(kinds: config.inputs.kinds),
            limits: UnpackLimits(
                maxMemberBytes: config.limits.maxMemberBytes, maxCompressionRatio: config.limits.maxCompressionRatio))
        let digest = FileDigest(hex: read.sha256, bytes: read.bytes)
        let cache = ArchiveCache(
            folder: folder.appendingPathComponent("cache"), build: "test", readingSHA256: config.readingSHA256)
        try cache.store(read, digest: digest)
        return (cache, read, digest)
    }

    /// A single gzipped CSV's one member is named by the archive (`x.csv.gz` holds `x.csv`), so the
    /// entry of such an archive serves it under another folder, not under another file name, where
    /// the same bytes read as another member.
    @Test func aCompressedCSVsEntryServesItsNameInAnyFolderOnly() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let transactions = try #require(Self.entries.first { $0.path == "transactions.csv" })
        let (cache, read, digest) = try Self.storedEntry(
            in: folder, entries: [transactions], format: .gzip, as: "transactions_2024-03.csv.gz")
        #expect(read.status == .accepted, "\(String(describing: read.rejection))")
        #expect(read.members.map(\.path) == ["transactions_2024-03.csv"])

        let moved = try #require(cache.load(relativePath: "2024/transactions_2024-03.csv.gz", digest: digest))
        #expect(moved.relativePath == "2024/transactions_2024-03.csv.gz")
        #expect(moved.members.map(\.path) == ["transactions_2024-03.csv"])
        #expect(moved.members.map(\.rowsAccepted) == read.members.map(\.rowsAccepted))
        #expect(moved.members.flatMap(\.quarantine).map(\.location.archivePath) == [moved.relativePath])
        for name in ["transactions_2024-04.csv.gz", "transactions_2024-03.tar.gz", "transactions_2024-03.tgz"] {
            #expect(cache.load(relativePath: name, digest: digest) == nil, "\(name)")
        }
    }

    /// Taken without its rows (the kept revision ledger holds them), an entry gives every member's
    /// counts, quarantine and enterprise and GRDP records, with empty batches; only the part before
    /// the rows is checked then, against its own checksum, so damaged rows refuse the entry only to a
    /// run that needs them, and a damaged head refuses it to both.
    @Test func anEntryTakenWithoutItsRowsChecksWhatItGives() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (cache, read, digest) = try Self.storedEntry(in: folder)

        let head = try #require(cache.load(relativePath: "a.tar.gz", digest: digest, rows: false))
        #expect(head.members.map(\.path) == read.members.map(\.path))
        for (a, b) in zip(head.members, read.members) {
            #expect(a.rowsRead == b.rowsRead && a.rowsAccepted == b.rowsAccepted && a.quarantine == b.quarantine)
            #expect(a.accepted.map(\.record) == b.accepted.map(\.record))
            #expect(a.transactions.count == 0)
        }
        #expect(read.members.contains { $0.transactions.count > 0 })

        let entry = cache.folder.appendingPathComponent(cache.fileName(relativePath: "a.tar.gz", digest: digest))
        let sound = try Data(contentsOf: entry)
        // The rows come first; the head's offset is the 8 bytes before the last checksum.
        let headOffset = sound.withUnsafeBytes {
            Int(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: sound.count - 16, as: UInt64.self)))
        }
        let rowBytes = read.members.reduce(0) { $0 + $1.transactions.count } * MemoryLayout<TransactionBatch.Row>.stride
        #expect(headOffset == rowBytes + (8 - rowBytes % 8) % 8)
        // The last row's last byte, the JSON's first, the file's checksum (which only a run that
        // needs the rows reads), the head's checksum.
        for (offset, needsRows) in [
            (rowBytes - 1, true), (headOffset + 8, false), (sound.count - 1, true), (sound.count - 24, false),
        ] {
            var damaged = sound
            damaged[offset] ^= 0x40
            try damaged.write(to: entry)
            #expect(cache.load(relativePath: "a.tar.gz", digest: digest) == nil)
            #expect((cache.load(relativePath: "a.tar.gz", digest: digest, rows: false) != nil) == needsRows)
        }
    }

    /// An entry whose digest checks out but whose texts section does not add up (a text running
    /// past the section, a section too short for its texts) is refused, not trusted or trapped on.
    @Test func anEntryWhoseTextsDoNotAddUpIsRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (cache, read, digest) = try Self.storedEntry(in: folder)
        let entry = cache.folder.appendingPathComponent(cache.fileName(relativePath: "a.tar.gz", digest: digest))
        let whole = [UInt8](try Data(contentsOf: entry))
        let body = Array(whole.prefix(whole.count - 8))
        // [rows][0–7 zero bytes][head][head checksum][head offset]: the head read from the end.
        let headOffset = Int(
            body.withUnsafeBytes {
                UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: body.count - 8, as: UInt64.self))
            }
        )
        let headEnd = body.count - 8 - 8
        let jsonCount = Int(
            body.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: headOffset, as: UInt64.self)) }
        )
        let lengthAt = headOffset + 8 + jsonCount
        let firstText = lengthAt + 8

        /// `body` changed by `edit`, sealed with its own checksum as a sound entry is.
        func sealed(_ edit: (inout [UInt8]) -> Void) throws {
            var changed = body
            edit(&changed)
            var checksum = ByteChecksum()
            checksum.update(changed)
            try Data(changed + checksum.bytes).write(to: entry)
        }

        // Untouched but resealed: still sound (the sealing itself is right).
        try sealed { _ in }
        #expect(cache.load(relativePath: "a.tar.gz", digest: digest) != nil)
        // The first text claims 2^31 bytes.
        try sealed { bytes in
            withUnsafeBytes(of: UInt32(1 << 31).littleEndian) {
                bytes.replaceSubrange(firstText..<firstText + 4, with: $0)
            }
        }
        #expect(cache.load(relativePath: "a.tar.gz", digest: digest) == nil)
        // The section's length says one byte less than its texts take.
        try sealed { bytes in
            let length = bytes.withUnsafeBytes {
                UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: lengthAt, as: UInt64.self))
            }
            withUnsafeBytes(of: (length - 1).littleEndian) {
                bytes.replaceSubrange(lengthAt..<firstText, with: $0)
            }
        }
        #expect(cache.load(relativePath: "a.tar.gz", digest: digest) == nil)

        // The rows are read in place, so their counts and indices are checked before they are:
        // counts that add up but one is negative (it would move the next member's rows before the
        // section), a count too large to multiply, a text or stem index past the member's.
        let counts = read.members.map(\.transactions.count)
        #expect(counts == [0, 0, 3])

        /// The entry with its members' row counts set to `counts` (same texts, rows and padding),
        /// and their JSON changed by `editMembers`.
        func withRowCounts(
            _ counts: [Int], members editMembers: (inout [[String: Any]]) throws -> Void = { _ in },
            rows editRows: (inout [UInt8]) -> Void = { _ in }
        ) throws {
            var object = try #require(
                try JSONSerialization.jsonObject(with: Data(body[(headOffset + 8)..<lengthAt])) as? [String: Any])
            var members = try #require(object["members"] as? [[String: Any]])
            for index in members.indices { members[index]["rows"] = counts[index] }
            try editMembers(&members)
            object["members"] = members
            let json = [UInt8](try JSONSerialization.data(withJSONObject: object))
            var head: [UInt8] = []
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { head += $0 }
            head += json
            head += body[lengthAt..<headEnd]
            // The rows: the body's first bytes, then the zero bytes up to the head.
            var rows = Array(body.prefix(headOffset))
            editRows(&rows)
            var headChecksum = ByteChecksum()
            headChecksum.update(head)
            var tail = head + headChecksum.bytes
            withUnsafeBytes(of: UInt64(headOffset).littleEndian) { tail += $0 }
            try sealed { bytes in bytes = rows + tail }
        }
        try withRowCounts(counts)
        #expect(cache.load(relativePath: "a.tar.gz", digest: digest) != nil, "rebuilt as written: sound")
        try withRowCounts([-1_000_000, 0, 1_000_003])
        #expect(cache.load(relativePath: "a.tar.gz", digest: digest) == nil)
        try withRowCounts([Int.max / 2, 0, 3])
        #expect(cache.load(relativePath: "a.tar.gz", digest: digest) == nil)
        // The first row's seller (a 4-byte index at the Row's `seller` offset) past the texts.
        let sellerOffset = try #require(MemoryLayout<TransactionBatch.Row>.offset(of: \.seller))
        try withRowCounts(
            counts,
            rows: { rows in
                withUnsafeBytes(of: UInt32(9_999).littleEndian) {
                    rows.replaceSubrange(sellerOffset..<sellerOffset + 4, with: $0)
                }
            })
        #expect(cache.load(relativePath: "a.tar.gz", digest: digest) == nil)

        // An enterprise or GRDP record of a year no return may name (CONTRACT §4.3: 1990–2100), as
        // no normalizer wrote it: refused (such a year published, the HTML export once tried to
        // draw an axis of 10^15 years).
        for (key, yearAt) in [("enterprises", 2), ("grdp", 1)] {
            try withRowCounts(counts) { members in
                let index = try #require(members.firstIndex { ($0[key] as? [Any])?.isEmpty == false })
                var records = try #require(members[index][key] as? [Any])
                if var fields = records[0] as? [Any] {
                    fields[yearAt] = 1_000_000_000_000_000
                    records[0] = fields
                } else {
                    var fields = try #require(records[0] as? [String: Any])
                    fields["year"] = 1_000_000_000_000_000
                    records[0] = fields
                }
                members[index][key] = records
            }
            #expect(cache.load(relativePath: "a.tar.gz", digest: digest) == nil, "\(key)")
        }
        // A member's counts that no member has (two of Int.max overflowed the run's sum of rows).
        try withRowCounts(counts) { members in
            for index in members.indices {
                var result = try #require(members[index]["result"] as? [String: Any])
                result["rowsRead"] = Int.max
                members[index]["result"] = result
            }
        }
        #expect(cache.load(relativePath: "a.tar.gz", digest: digest) == nil)
    }

    /// Quarantined rows are kept in a binary section of the head (not its JSON, which took ~0.9 s
    /// for 100,000 of them): they come back exactly, also a row whose archive, member and kind are
    /// not its member's, and a section that does not add up is refused, not trusted or trapped on.
    @Test func quarantinedRowsComeBackExactlyAndADamagedSectionIsRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (cache, read, _) = try Self.storedEntry(in: folder)
        var outcome = read
        let index = try #require(outcome.members.firstIndex { $0.kind == .transaction })
        outcome.members[index].quarantine += [
            QuarantineEntry(
                location: SourceLocation(archivePath: "khác.zip", memberPath: "grdp_điều_chỉnh.csv", line: 1 << 40),
                kind: .grdp, reason: .outOfRange, detail: "", raw: String(repeating: "Đắk Nông,", count: 500)),
            QuarantineEntry(
                location: SourceLocation(
                    archivePath: read.relativePath, memberPath: outcome.members[index].path, line: 9),
                kind: outcome.members[index].kind, reason: .unknownStatus, detail: "status 'Chờ'", raw: "x,\"y\nz\""),
        ]
        let digest = FileDigest(hex: String(repeating: "ab", count: 32), bytes: read.bytes)
        try cache.store(outcome, digest: digest)
        let loaded = try #require(cache.load(relativePath: read.relativePath, digest: digest))
        #expect(loaded.members.map(\.quarantine) == outcome.members.map(\.quarantine))
        #expect(loaded.members[index].quarantine.count == 3)
        let head = try #require(cache.load(relativePath: read.relativePath, digest: digest, rows: false))
        #expect(head.members.map(\.quarantine) == outcome.members.map(\.quarantine))

        // [head offset…][8-byte JSON length][JSON][8-byte texts length][texts][8-byte quarantine
        // length][rows]: the first quarantined row is the enterprise member's bad VSIC.
        let entry = cache.folder.appendingPathComponent(cache.fileName(relativePath: read.relativePath, digest: digest))
        let whole = [UInt8](try Data(contentsOf: entry))
        let body = Array(whole.prefix(whole.count - 8))
        func integer(at offset: Int) -> Int {
            Int(
                body.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
            )
        }
        let headOffset = integer(at: body.count - 8)
        let textsLengthAt = headOffset + 8 + integer(at: headOffset)
        let sectionLengthAt = textsLengthAt + 8 + integer(at: textsLengthAt)
        let firstRow = sectionLengthAt + 8
        #expect(integer(at: sectionLengthAt) == body.count - 16 - firstRow)
        #expect(body[firstRow] == 0, "the member's own location")
        /// Loads `body` changed by `edit`, sealed with its own checksum as a sound entry is.
        func loadsWhenChanged(_ edit: (inout [UInt8]) -> Void) throws -> Bool {
            var changed = body
            edit(&changed)
            var checksum = ByteChecksum()
            checksum.update(changed)
            try Data(changed + checksum.bytes).write(to: entry)
            return cache.load(relativePath: read.relativePath, digest: digest) != nil
        }
        #expect(try loadsWhenChanged { _ in }, "resealed as written: sound")
        // A location flag that is neither, a reason past the cases, a detail longer than the section.
        #expect(try !loadsWhenChanged { $0[firstRow] = 2 })
        #expect(try !loadsWhenChanged { $0[firstRow + 9] = 255 })
        #expect(
            try !loadsWhenChanged { bytes in
                withUnsafeBytes(of: UInt32(1 << 31).littleEndian) {
                    bytes.replaceSubrange((firstRow + 10)..<(firstRow + 14), with: $0)
                }
            })
        // The section's length one byte short of its rows.
        #expect(
            try !loadsWhenChanged { bytes in
                withUnsafeBytes(of: UInt64(integer(at: sectionLengthAt) - 1).littleEndian) {
                    bytes.replaceSubrange(sectionLengthAt..<firstRow, with: $0)
                }
            })
    }
}
