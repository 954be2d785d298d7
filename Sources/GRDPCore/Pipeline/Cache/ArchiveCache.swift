internal import Crypto
internal import Foundation

/// What reading one accepted archive gave — every member's counts, quarantine, accepted records and
/// transactions — kept in `<outputs>/cache/archives/` so that a later run over the same archive,
/// reading settings and grdp build takes it from there instead of decompressing and normalizing it
/// again.
///
/// An entry is named by a SHA-256 over the build (`BuildIdentity`), the config's reading settings
/// (`PipelineConfig.readingSHA256`: not its targets, methodology or outputs) and the archive's
/// SHA-256 and size, with the one thing its name decides in reading it (`Identity.singleMember`):
/// a change to any of them is another name, so an entry is either exactly right or not found. Not
/// by the archive's path: an archive renamed (or the same bytes delivered under two names) is
/// read as before, and its entry gives it under the name it has now, its quarantined rows naming
/// that path (issue 5: "same sha256, same normalization settings" is not decompressed again). Each file ends with a 64-bit checksum of its bytes
/// (`ByteChecksum`: a nightly run checks every cached row, ~400 MB at 10 M transactions, where
/// SHA-256 took ~0.23 s of CPU); a file that does not check out (a torn write, a disk error) is
/// ignored and the archive is read again. Like the published snapshot's checksum (`RunCache`), it
/// is no defence against a file made to collide: the outputs folder is the pipeline's own. Entries are
/// written while the archive is read (`EntryWriter`: its rows first, as Normalize gives them) and
/// renamed into place once complete, only ever save time, and a run removes those its inputs no
/// longer name. Rejected archives are never kept: they are read again, and rejected again with
/// their reason.
struct ArchiveCache: Sendable {
    static let formatTag = "grdp-archive-cache-v13"

    let folder: URL
    /// `BuildIdentity.current`.
    let build: String
    /// `PipelineConfig.readingSHA256`: the settings reading an archive depends on, not the whole file.
    let readingSHA256: String

    /// The entry's file name for an archive with this digest: a hash of the format and the entry's
    /// `Identity`, which the entry records and `load` checks. In this format, or another (an entry
    /// of an earlier format has another name, so it is never found, only pruned).
    func fileName(relativePath: String, digest: FileDigest, format: String = ArchiveCache.formatTag) -> String {
        let identity = identity(relativePath: relativePath, digest: digest)
        var key = ContentHash.Serializer()
        key.string(format)
        key.string(identity.build)
        key.string(identity.readingSHA256)
        // (Never empty when there is one: "" is none.)
        key.string(identity.singleMember ?? "")
        key.string(identity.sha256)
        key.count(Int(identity.bytes))
        return key.finish() + ".bin"
    }

    /// Whether there is an entry for this archive (sound or not: `load` says).
    func hasEntry(relativePath: String, digest: FileDigest) -> Bool {
        FileManager.default.fileExists(
            atPath: folder.appendingPathComponent(fileName(relativePath: relativePath, digest: digest)).path)
    }

    /// The archive as last read, or nil when there is no sound entry.
    ///
    /// - Parameter rows: false when the caller does not need the transaction rows (the revision
    ///   ledger kept for this run holds them, `LedgerStateFile`): only the part before them is read
    ///   and checked, against its own checksum, and the members' batches are left empty (their
    ///   `rowsAccepted` still count them). At 10 M transactions, the rows are ~0.5 GB that a nightly
    ///   run need not read nor map in.
    func load(relativePath: String, digest: FileDigest, rows: Bool = true) -> ArchiveOutcome? {
        let url = folder.appendingPathComponent(fileName(relativePath: relativePath, digest: digest))
        // Mapped, not read (`Data(contentsOf:)`, even `.mappedIfSafe`, reads the whole entry into a
        // fresh buffer on Linux), and the rows read in place from the mapping, which their batch
        // keeps: copied out, at 10 M transactions they were 400 MB of fresh pages for the kernel to
        // zero every nightly run. Entries are never written in place (a new one is renamed over, a
        // pruned one unlinked, both harmless to a mapping); a file that cannot be mapped is read
        // again from its archive.
        guard let file = MappedFile(url) else { return nil }
        return try? Self.decode(
            file, path: url.path, relativePath: relativePath,
            identity: identity(relativePath: relativePath, digest: digest), rows: rows)
    }

    /// Keeps an accepted archive's outcome read in memory (with its rows, before the ledger takes
    /// them), in the form `EntryWriter` writes while an archive is read.
    func store(_ outcome: ArchiveOutcome, digest: FileDigest) throws(OutputWriteError) {
        guard outcome.status == .accepted else { return }
        // Not fsynced: an entry only saves time, and one torn by a crash fails its checksum and is
        // read again. The rows go to the file from the batches' own memory, checksummed on the way.
        let entry = try EntryWriter(cache: self, relativePath: outcome.relativePath, digest: digest)
        defer { entry.discard() }
        for member in outcome.members {
            _ = member.transactions.withRows { entry.append(UnsafeRawBufferPointer($0)) }
        }
        for member in outcome.members {
            precondition(member.quarantineSummary == nil, "an outcome in memory holds every quarantined row")
            var rows = QuarantineRows.Writer()
            for row in member.quarantine { rows.append(row, archivePath: outcome.relativePath, member: member) }
            _ = rows.bytes.withUnsafeBytes { entry.appendQuarantine($0) }
        }
        if entry.finish(head: Self.head(outcome, identity: entry.identity)) == nil || entry.failure != nil {
            throw entry.failure ?? OutputWriteError(path: entry.temporaryPath, operation: "write", errno: EIO)
        }
    }

    /// Removes the entries not in `keeping` (file names); returns how many.
    /// Removes what a run wrote to the cache since `since` — its archive entries (`archives/*.bin`)
    /// and the revision ledger it kept (`LedgerStateFile`'s files) — to make room on a full disk
    /// for what matters more than time (the run report); returns how many files went. Only for
    /// the run that holds the lock: another run's files may be newer.
    static func removeFiles(in cacheFolder: URL, writtenSince since: Timestamp) -> Int {
        let threshold = Double(since.seconds) + Double(since.microseconds) / 1_000_000
        let archives = cacheFolder.appendingPathComponent("archives", isDirectory: true)
        let entries = ((try? FileSystem.directoryEntries(archives.path)) ?? []).filter { $0.hasSuffix(".bin") }
        let candidates =
            entries.map { archives.appendingPathComponent($0) }
            + [LedgerStateFile.fileName, LedgerStateFile.journalName].map { cacheFolder.appendingPathComponent($0) }
        var removed = 0
        for url in candidates {
            guard let modified = FileSystem.modificationTime(url.path), modified >= threshold else { continue }
            if FileSystem.removeFile(url.path) { removed += 1 }
        }
        return removed
    }

    func prune(keeping: Set<String>) -> Int {
        guard let names = try? FileSystem.directoryEntries(folder.path) else { return 0 }
        var removed = 0
        // Only those that went: one that could not (an immutable folder) is not said removed.
        for name in names where name.hasSuffix(".bin") && !keeping.contains(name) {
            if FileSystem.removeFile(folder.path + "/" + name) { removed += 1 }
        }
        return removed
    }

    // MARK: - Format
    //
    // Rows first, as they are written while the archive is read (`EntryWriter`): each member's
    // transaction rows as raw `TransactionBatch.Row`s (this build's memory layout — the build is
    // part of the name), in member order, from the file's start, so that they are read in place
    // from a mapping; then the head, from an offset aligned to 8 (zero bytes before it): the
    // member metadata as JSON and each member's batch texts (`TransactionBatch.strings`: the
    // sellers, 100,000s of them, which JSON coded slowly) as [4-byte length][UTF-8] each; each
    // member's quarantined rows (`QuarantineRows`, binary for the same reason); then a checksum of
    // the head (`ByteChecksum`), for a run that does not need the rows; the head's offset; and a
    // checksum of all that. Read from its end:
    // [rows…][0–7 zero bytes][8-byte JSON length][JSON][8-byte texts length][texts…]
    // [8-byte quarantine length][quarantined rows…][8-byte head checksum][8-byte head offset]
    // [8-byte checksum].

    private struct Entry: Codable {
        var format = ArchiveCache.formatTag
        var rowStride = MemoryLayout<TransactionBatch.Row>.stride
        /// What the entry's name was made from: checked at load, so that an entry under another
        /// archive's name (copied or renamed over it) is read again rather than taken for it.
        var identity: Identity
        var members: [Member]
        var skipped: [SkippedMember]
    }

    /// The archive, reading settings and build an entry is of: what its name is made from (`fileName`).
    struct Identity: Codable, Equatable {
        /// The member a compressed stream holding no tar is read as, which its archive's name makes
        /// (`ArchiveReader.singleMemberName`: `x.csv.gz` holds `x.csv`; nil for other names, whose
        /// stream must be a tar). The only part of an archive's path that reading it depends on.
        var singleMember: String?
        var sha256: String
        var bytes: Int64
        var readingSHA256: String
        var build: String
    }

    /// The identity of this cache's entry for an archive with this digest.
    func identity(relativePath: String, digest: FileDigest) -> Identity {
        Identity(
            singleMember: ArchiveReader.singleMemberName(for: relativePath), sha256: digest.hex,
            bytes: digest.bytes, readingSHA256: readingSHA256, build: build)
    }

    private struct Member: Codable {
        var result: MemberResult
        var enterprises: [Enterprise]
        var grdp: [GRDP]
        var rows: Int
        /// How many texts of the texts section are this member's.
        var strings: Int
        /// How many rows of the quarantine section are this member's (its `result` holds none).
        var quarantined: Int
        var stems: [TransactionBatch.Stem]
        var wide: [[String]]
    }

    /// Coded as an array of its fields in this order, not an object: thousands per archive, and
    /// an object's keys were most of the JSON decoder's time at every run's load (10 M: 24,000
    /// records, ~0.1 s of CPU).
    private struct Enterprise: Codable {
        var line: Int
        var taxCode: String
        var year: Int
        var name: String
        var vsic: String
        var section: String
        var districtCode: String
        var valueAddedMVND: String
        var employees: String?

        init(
            line: Int, taxCode: String, year: Int, name: String, vsic: String, section: String, districtCode: String,
            valueAddedMVND: String, employees: String?
        ) {
            (self.line, self.taxCode, self.year, self.name, self.vsic) = (line, taxCode, year, name, vsic)
            (self.section, self.districtCode, self.valueAddedMVND, self.employees) =
                (section, districtCode, valueAddedMVND, employees)
        }

        init(from decoder: any Decoder) throws {
            var fields = try decoder.unkeyedContainer()
            line = try fields.decode(Int.self)
            taxCode = try fields.decode(String.self)
            year = try fields.decode(Int.self)
            name = try fields.decode(String.self)
            vsic = try fields.decode(String.self)
            section = try fields.decode(String.self)
            districtCode = try fields.decode(String.self)
            valueAddedMVND = try fields.decode(String.self)
            employees = try fields.decodeIfPresent(String.self)
            guard fields.isAtEnd else {
                throw DecodingError.dataCorruptedError(in: fields, debugDescription: "more fields than an enterprise's")
            }
        }

        func encode(to encoder: any Encoder) throws {
            var fields = encoder.unkeyedContainer()
            try fields.encode(line)
            try fields.encode(taxCode)
            try fields.encode(year)
            try fields.encode(name)
            try fields.encode(vsic)
            try fields.encode(section)
            try fields.encode(districtCode)
            try fields.encode(valueAddedMVND)
            if let employees { try fields.encode(employees) }
        }
    }

    private struct GRDP: Codable {
        var line: Int
        var year: Int
        var grdpBVND: String
    }

    private struct Malformed: Error {}

    /// The entry's head but for its quarantine section, which the writer is given apart
    /// (`EntryWriter.appendQuarantine`): the JSON and the texts, each after its length.
    static func head(_ outcome: ArchiveOutcome, identity: Identity) -> [UInt8] {
        var members: [Member] = []
        for member in outcome.members {
            var enterprises: [Enterprise] = []
            var grdp: [GRDP] = []
            for (line, record) in member.accepted {
                switch record {
                case .enterprise(let e):
                    enterprises.append(
                        Enterprise(
                            line: line, taxCode: e.taxCode, year: e.year, name: e.name, vsic: e.vsic,
                            section: String(e.section), districtCode: e.districtCode,
                            valueAddedMVND: e.valueAddedMVND.description, employees: e.employees?.description))
                case .grdp(let g):
                    grdp.append(GRDP(line: line, year: g.year, grdpBVND: g.grdpBVND.description))
                case .transaction:
                    preconditionFailure("transactions are kept in member.transactions")
                }
            }
            let batch = member.transactions
            var result = member
            result.quarantine = []
            result.quarantineSummary = nil
            members.append(
                Member(
                    result: result, enterprises: enterprises, grdp: grdp, rows: batch.count,
                    strings: batch.strings.count, quarantined: member.rowsQuarantined,
                    stems: batch.stems,
                    wide: batch.wide.map { [$0.amount.description, $0.refund.description] }))
        }
        // Keys sorted: the same archive read twice gives the same entry, byte for byte (unsorted,
        // the order of an object's keys changed from process to process).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json =
            (try? encoder.encode(Entry(identity: identity, members: members, skipped: outcome.skipped))) ?? Data()
        var bytes: [UInt8] = []
        let textBytes = outcome.members.reduce(0) { sum, member in
            member.transactions.strings.reduce(sum) { $0 + 4 + $1.utf8.count }
        }
        bytes.reserveCapacity(8 + json.count + 8 + textBytes)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        append(UInt64(json.count))
        bytes.append(contentsOf: json)
        append(UInt64(textBytes))
        for member in outcome.members {
            for text in member.transactions.strings { appendText(text, to: &bytes) }
        }
        return bytes
    }

    /// The zero bytes between the rows, which end at `offset`, and the head.
    static func headPadding(after offset: Int) -> Int {
        (8 - offset % 8) % 8
    }

    /// - Parameter path: the entry's file, which quarantined rows are left in (`leaveQuarantine`).
    /// - Parameter relativePath: the archive's path now, which the outcome and its quarantined rows
    ///   name (the entry does not record it).
    private static func decode(
        _ file: MappedFile, path: String, relativePath: String, identity: Identity, rows wanted: Bool
    ) throws -> ArchiveOutcome {
        // A view of the mapping, which `file` keeps: never copied, never freed by `Data`.
        let data = Data(
            bytesNoCopy: UnsafeMutableRawPointer(mutating: file.bytes.baseAddress!), count: file.bytes.count,
            deallocator: .none)
        guard data.count >= 16 + 8 + 8 + 8 else { throw Malformed() }
        let start = data.startIndex
        let checksumStart = data.count - 8
        // An entry of no more than one chunk is let go once, whole, when decoded: each release is
        // a TLB flush on every core the run's threads are on, and an entry's checks released it
        // four or five times (2,000 archives of 500 rows: 8,200 `madvise` calls, ~0.1 s of CPU).
        // It is resident meanwhile, as a larger entry's chunk is.
        let chunk = 8 << 20
        let releasingChunks = file.bytes.count > chunk
        // Every byte checked, or only the head, against its own checksum.
        if wanted {
            // 8 MiB at a time, each let go once read: the rows are read again, in place, only
            // when a pass over them needs them.
            var checksum = ByteChecksum()
            MappedFile.forEachChunk(
                of: file.bytes.assumingMemoryBound(to: UInt8.self), in: 0..<checksumStart, chunk: chunk,
                releasing: releasingChunks
            ) { bytes, _ in checksum.update(UnsafeRawBufferPointer(bytes)) }
            guard checksum.bytes.elementsEqual(data.suffix(8)) else { throw Malformed() }
        }
        let layout = try HeadLayout(file.bytes)
        let headOffset = layout.headOffset
        if !wanted {
            // Let go behind, as the whole entry's is: the head holds the quarantined rows, which
            // at 10 M transactions, half of them quarantined, are ~250 MB for the largest archive.
            var checksum = ByteChecksum()
            MappedFile.forEachChunk(
                of: file.bytes.assumingMemoryBound(to: UInt8.self), in: headOffset..<layout.headChecksum.lowerBound,
                chunk: chunk, releasing: releasingChunks
            ) { bytes, _ in checksum.update(UnsafeRawBufferPointer(bytes)) }
            guard checksum.bytes.elementsEqual(file.bytes[layout.headChecksum]) else { throw Malformed() }
        }
        let entry = try JSONDecoder().decode(
            Entry.self, from: data[(start + layout.json.lowerBound)..<(start + layout.json.upperBound)])
        let stride = MemoryLayout<TransactionBatch.Row>.stride
        guard entry.format == formatTag, entry.rowStride == stride, entry.identity == identity else {
            throw Malformed()
        }
        // The members' row counts share out the rows before the head exactly: none negative, no sum
        // or product that overflows (the rows are read in place, so a count that did not fit would
        // point outside the mapping).
        var rowsLeft = headOffset / stride
        for member in entry.members {
            guard member.rows >= 0, member.rows <= rowsLeft else { throw Malformed() }
            rowsLeft -= member.rows
        }
        let rowBytes = (headOffset / stride - rowsLeft) * stride
        guard rowBytes + headPadding(after: rowBytes) == headOffset else { throw Malformed() }
        let texts =
            wanted
            ? try Self.texts(
                UnsafeRawBufferPointer(rebasing: file.bytes[layout.texts]), counts: entry.members.map(\.strings))
            : entry.members.map { _ in [] }

        // Each member's first quarantined rows made, the rest left in the entry for the snapshot.
        var results = entry.members.map(\.result)
        guard results.allSatisfy(\.countsArePlausible) else { throw Malformed() }
        try leaveQuarantine(
            of: &results, counts: entry.members.map(\.quarantined),
            section: UnsafeRawBufferPointer(rebasing: file.bytes[layout.quarantine]),
            sectionOffset: layout.quarantine.lowerBound, path: path, archivePath: relativePath,
            keepingFirst: RunReport.firstQuarantinedLimit)
        var offset = 0
        var members: [MemberResult] = []
        for (cached, (result, strings)) in zip(entry.members, zip(results, texts)) {
            var member = result
            var accepted: [(line: Int, record: Record)] = []
            // (Years as the normalizer accepts them: an entry that says otherwise was not written
            // by it, whatever its checksum says.)
            for e in cached.enterprises {
                guard let section = e.section.first, let valueAdded = ExactDecimal(canonical: e.valueAddedMVND),
                    recordYears.contains(e.year)
                else { throw Malformed() }
                let employees = try e.employees.map { text in
                    guard let value = ExactDecimal(canonical: text) else { throw Malformed() }
                    return value
                }
                accepted.append(
                    (
                        e.line,
                        .enterprise(
                            EnterpriseRecord(
                                taxCode: e.taxCode, year: e.year, name: e.name, vsic: e.vsic, section: section,
                                districtCode: e.districtCode, valueAddedMVND: valueAdded, employees: employees))
                    ))
            }
            for g in cached.grdp {
                guard let value = ExactDecimal(canonical: g.grdpBVND), recordYears.contains(g.year) else {
                    throw Malformed()
                }
                accepted.append((g.line, .grdp(GRDPRecord(year: g.year, grdpBVND: value))))
            }
            // Enterprise and GRDP rows of one member come in line order, as the reader gave them.
            accepted.sort { $0.line < $1.line }
            member.accepted = accepted
            let rowBytes = cached.rows * stride
            let rowsAddress = file.bytes.baseAddress! + offset
            offset += rowBytes
            guard wanted else {
                members.append(member)
                continue
            }
            let wide = try cached.wide.map { pair -> (amount: ExactDecimal, refund: ExactDecimal) in
                guard pair.count == 2, let amount = ExactDecimal(canonical: pair[0]),
                    let refund = ExactDecimal(canonical: pair[1])
                else { throw Malformed() }
                return (amount, refund)
            }
            // The mapping starts on a page and the rows at an offset aligned for them.
            guard Int(bitPattern: rowsAddress) % MemoryLayout<TransactionBatch.Row>.alignment == 0 else {
                throw Malformed()
            }
            let rows = UnsafeBufferPointer(
                start: rowsAddress.bindMemory(to: TransactionBatch.Row.self, capacity: cached.rows), count: cached.rows)
            guard
                Self.isSound(
                    rows, strings: strings.count, stems: cached.stems, wide: wide.count, releasing: releasingChunks)
            else {
                throw Malformed()
            }
            member.transactions = TransactionBatch(
                mapped: rows, in: file, strings: strings, stems: cached.stems, wide: wide)
            members.append(member)
        }
        // The head is read: its pages leave memory (a small entry's, all of them). The mapping
        // lives on while the batches read their rows.
        MappedFile.release(
            file.bytes.baseAddress! + (releasingChunks ? headOffset : 0), file.bytes.baseAddress! + file.bytes.count)
        return ArchiveOutcome(
            relativePath: relativePath, sha256: identity.sha256, bytes: identity.bytes, status: .accepted,
            rejection: nil, members: members, skipped: entry.skipped)
    }

    /// Whether every index in `rows` and `stems` names something the member has (a text, a stem, a
    /// wide amount, a status) and every month is one: the ledger indexes by them without asking.
    private static func isSound(
        _ rows: UnsafeBufferPointer<TransactionBatch.Row>, strings: Int, stems: [TransactionBatch.Stem], wide: Int,
        releasing: Bool
    ) -> Bool {
        guard stems.allSatisfy({ Int($0.channel) < strings }) else { return false }
        let statuses = TransactionStatus.allCases.count
        // A chunk at a time, each let go once checked.
        struct Unsound: Error {}
        do throws(Unsound) {
            try MappedFile.forEachChunk(of: rows, chunk: 1 << 16, releasing: releasing) { (chunk, _) throws(Unsound) in
                for row in chunk {
                    guard Int(row.stem) < stems.count, Int(row.channel) < strings, Int(row.seller) < strings,
                        Int(row.district) < strings, Int(row.status) < statuses, (1...12).contains(row.month),
                        row.scale >= 0 || Int(~row.scale) < wide
                    else { throw Unsound() }
                }
            }
        } catch {
            return false
        }
        return true
    }

    /// The texts section: `counts[m]` texts for member `m`, and no byte left over.
    private static func texts(_ section: UnsafeRawBufferPointer, counts: [Int]) throws -> [[String]] {
        var cursor = HeadCursor(section)
        var result: [[String]] = []
        result.reserveCapacity(counts.count)
        for count in counts {
            guard count >= 0 else { throw Malformed() }
            var texts: [String] = []
            texts.reserveCapacity(count)
            for _ in 0..<count { texts.append(try cursor.text()) }
            result.append(texts)
        }
        guard cursor.isAtEnd else { throw Malformed() }
        return result
    }
}
