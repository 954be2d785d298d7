internal import Foundation

/// What the last full run learned, so that a run over the same inputs need not decompress a byte:
/// `<outputs>/cache/last-run.json`.
///
/// It names the inputs (`ScannedInputs.fingerprint`: tool version, config, every archive's
/// SHA-256) and the snapshot those inputs gave, with the ingest part of that run's report. A run
/// whose fingerprint matches, while that snapshot is still the latest and still holds that content
/// hash, is up to date without reading any archive: grdp is deterministic, so reading them again
/// would give the same snapshot. The file only ever saves time — missing, unreadable, from another
/// version or not matching, the run simply reads everything — and it is written atomically after
/// the snapshot it names is published, so a crash leaves the previous one or none.
struct RunCache: Codable {
    /// 2: sealed (`SealedJSON`); 1 was plain JSON.
    static let format = 2
    static let fileName = "last-run.json"

    var format = RunCache.format
    var fingerprint: String
    var snapshotVersion: Int
    var contentSHA256: String
    /// The archives and ignored files as that run read them (counts, quarantine): the report of a
    /// night found up to date (`whole`); what a run that reads archives needs of them is decoded
    /// at once (`outline`).
    var ingest: DeferredIngest
    /// How large that run's transaction ledger grew, so that the next run sizes its own at once
    /// (absent in files written before it was kept).
    var ledger: LedgerSize?
    /// The `ecommerce_sales` rows of that run by year (absent in files written before they were
    /// kept): the next full run copies the unchanged years' rows from the snapshot file.
    var sales: SalesDigests?
    /// Where that snapshot's content hash stood at each month's sales rows (absent in files written
    /// before they were kept; those of builds before 2026-12-07 marked each year alone, under
    /// another seal, and are not used): the next run that copies the earlier years' rows from
    /// that file hashes only the rows from its first changed year (or month) on.
    var contentMarks: ContentHash.Marks?
    /// The groups that run kept (`KeptGroupsFile`), from which its snapshot's sales rows of their
    /// years were made (absent when it kept none, and in files written before).
    var keptGroups: KeptGroupsBinding?
    /// The config settings that run's figures came from (`PipelineConfig.figuresSHA256`; absent in
    /// files written before it was kept): a night carries the latest snapshot's untouched years
    /// only when they are this run's settings too.
    var figuresSHA256: String?
    /// The settings that run computed each year's figures with (absent in files written before
    /// 2026-12-06): every year of the snapshot it describes, which it published or found up to
    /// date. `run --year` says when the years it keeps had others (`RunScope.settings(ofLatestYear:)`).
    var yearSettings: YearSettings?

    /// The token of the groups a run kept and, for each of their years, a digest of the
    /// enterprise records the run's Compute matched their sellers with. A night whose kept groups
    /// have this token and whose records of those years have these digests knows the latest
    /// snapshot's rows of those years without reading them (`KeptGroupChanges`).
    struct KeptGroupsBinding: Codable, Equatable {
        var token: String
        /// By year (decimal text): `digest(ofRecords:)`.
        var enterprises: [String: String]

        init(token: String, years: Set<Int>, enterprises: [EnterpriseRow]) {
            self.token = token
            self.enterprises = Dictionary(
                uniqueKeysWithValues: years.map { year in
                    (String(year), Self.digest(ofRecords: enterprises.filter { $0.year == year }))
                })
        }

        /// Whether the groups of this token were kept for `years` exactly, and `enterprises` (every
        /// record Compute gets for those years) match their sellers as the run that kept them did.
        func holds(token: String, years: Set<Int>, enterprises: [EnterpriseRow]) -> Bool {
            self == KeptGroupsBinding(token: token, years: years, enterprises: enterprises)
        }

        /// What a year's sales rows take from its enterprise records (a seller's row is counted
        /// unless its record, or its parent's, is ICT core): each record's tax code and core flag,
        /// in tax code order, SHA-256 (`ContentHash.Serializer`, as the project's other digests).
        static func digest(ofRecords records: [EnterpriseRow]) -> String {
            var serializer = ContentHash.Serializer()
            serializer.string("grdp-kept-groups-records-v1")
            for record in records.sorted(by: { bytewiseLess($0.taxCode, $1.taxCode) }) {
                serializer.string(record.taxCode)
                serializer.tag(record.isCore ? "1" : "0")
            }
            return serializer.finish()
        }
    }

    /// `<outputs>/cache/published.json`: a checksum (`fileChecksum`) of each snapshot file as this
    /// grdp published it, full run or `run --year`, by version. A published file is never written
    /// again: a latest whose bytes differ was damaged or edited, and is not trusted for anything
    /// (`PublishedCheck`). Only the versions still in the snapshots folder are kept.
    /// Missing or unreadable, no file is checked, as before it existed.
    ///
    /// Each record checks itself: `size:checksum:check`, `check` the first 16 hex digits of a
    /// SHA-256 over the version and `size:checksum`. A record damaged on disk (a flipped digit
    /// still makes valid JSON) is not taken for the file's: it would fail an intact snapshot's
    /// `verify` for good and have every run republish it. Such a record, or one of an older grdp
    /// (no check), counts as none: the file is checked by its content, and recorded anew when a run
    /// has checked it so.
    enum Published {
        static let fileName = "published.json"

        static func load(from folder: URL) -> [Int: String] { read(from: folder).checksums }

        /// The checksums recorded in `folder`, by version, read once; and what was wrong when the
        /// file is there but cannot be read or decoded, or a record is damaged (its version then
        /// has none: every check falls back to the slower one, and says so). Missing, there are
        /// none and no problem.
        static func read(from folder: URL) -> (checksums: [Int: String], problem: String?) {
            let url = folder.appendingPathComponent(fileName)
            guard FileManager.default.fileExists(atPath: url.path) else { return ([:], nil) }
            let table: [String: String]
            let data: Data
            do {
                data = try Data(contentsOf: url)
            } catch {
                return ([:], "\(url.path) cannot be read: \(SystemReason.describe(error))")
            }
            do {
                table = try JSONDecoder().decode([String: String].self, from: data)
            } catch {
                return ([:], "\(url.path) cannot be read: it is not a JSON object of texts (damaged?)")
            }
            var checksums: [Int: String] = [:]
            var damaged: [String] = []
            for (key, value) in table.sorted(by: { $0.key < $1.key }) {
                let parts = value.split(separator: ":", omittingEmptySubsequences: false)
                // An older grdp's record (no check): none, silently.
                if parts.count == 2 { continue }
                guard let version = Int(key), version > 0, key == String(version), parts.count == 3,
                    check(version: version, "\(parts[0]):\(parts[1])") == parts[2]
                else {
                    damaged.append(key)
                    continue
                }
                checksums[version] = "\(parts[0]):\(parts[1])"
            }
            let problem =
                damaged.isEmpty
                ? nil
                : "\(url.path): the record of \(damaged.map { "'\($0)'" }.joined(separator: ", ")) is damaged "
                    + "(it does not check out): not used"
            return (checksums, problem)
        }

        /// Records `checksum` for `version`, keeping only the versions in `existing`.
        static func record(
            _ checksum: String, version: Int, existing: Set<Int>, in folder: URL
        ) throws(OutputWriteError) {
            var table = load(from: folder).filter { existing.contains($0.key) }
            table[version] = checksum
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let records = table.map { version, checksum in
                (String(version), "\(checksum):\(check(version: version, checksum))")
            }
            let data = (try? encoder.encode(Dictionary(uniqueKeysWithValues: records))) ?? Data()
            try AtomicFile.write(data, to: folder.appendingPathComponent(fileName))
        }

        /// A record's check: the first 16 hex digits of a SHA-256 over the version and checksum.
        static func check(version: Int, _ checksum: String) -> String {
            var serializer = ContentHash.Serializer()
            serializer.string("grdp-published-record-v1")
            serializer.count(version)
            serializer.string(checksum)
            return String(serializer.finish().prefix(16))
        }
    }

    /// The size and a 64-bit checksum of every byte of the file at `url` (`WordChecksum`, read 1 MiB
    /// at a time: ~50 ms for the 150 MB snapshot of 10 M transactions, where SHA-256 took ~0.15 s,
    /// and no more memory than the buffer); nil when it cannot be read. It tells a damaged or
    /// edited file from the one written; it is no defence against a file made to collide, and the
    /// outputs folder is the pipeline's own.
    static func fileChecksum(_ url: URL) -> String? {
        (try? InputFile(url)).flatMap { fileChecksum(of: $0) }
    }

    /// `fileChecksum` of a file already open: read whole, from where it stands (its start).
    static func fileChecksum(of file: InputFile) -> String? {
        var checksum = WordChecksum()
        var size = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            guard let read = try? file.read(into: buffer) else { return nil }
            size += read
            // Only the last block can be short: its tail word is padded with zeros.
            let words = (read + 7) / 8 * 8
            if words > read { buffer[read..<words].initializeMemory(as: UInt8.self, repeating: 0) }
            checksum.update(UnsafeRawBufferPointer(rebasing: buffer[..<words]))
            if read < buffer.count { break }
        }
        let digits = String(checksum.value, radix: 16)
        return "\(size):" + String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Whether `latest` is the snapshot this file was written with: the same version and content
    /// hash (a snapshot published since, or the file replaced, is not).
    func describes(_ latest: SnapshotMeta) -> Bool {
        snapshotVersion == latest.version && contentSHA256 == latest.contentSHA256
    }

    /// The last run's ledger size as a starting capacity for a run over archives of `inputBytes`
    /// bytes, if plausible: no more keys than that run accepted transaction rows, no more groups
    /// than keys, no more texts than three a row (an implausible text count is dropped alone), and
    /// at most one key, group or text per 8 bytes of the archives now (a capacity bought is memory
    /// touched, so a damaged or foreign file must not buy gigabytes; the ledger grows as needed).
    func ledgerHint(inputBytes: Int64) -> LedgerSize? {
        guard let ledger else { return nil }
        let accepted = ingest.outline.acceptedTransactionRows
        guard ledger.transactionKeys >= 0, ledger.transactionKeys <= accepted, ledger.transactionGroups >= 0,
            ledger.transactionGroups <= ledger.transactionKeys
        else { return nil }
        let bound = Int(clamping: inputBytes / 8)
        let texts = ledger.texts.flatMap { $0 >= 0 && $0 / 3 <= accepted ? min($0, bound) : nil }
        return LedgerSize(
            transactionKeys: min(ledger.transactionKeys, bound),
            transactionGroups: min(ledger.transactionGroups, bound),
            texts: texts)
    }

    /// The cache in `folder`, or nil when there is none or it cannot be used (it is then ignored):
    /// a `SealedJSON` file, so that one damaged or edited is not used, nor one sealed anew with a
    /// member's count no run can have. (Its `ingest` is checked against nothing else, and becomes
    /// the report of a night found up to date: `ingest.whole`, decoded only then. One sealed anew
    /// after an edit that left it no ingest to decode is found out there: that night reads its
    /// archives.)
    static func load(from folder: URL) -> RunCache? {
        guard var (cache, body) = SealedJSON.valueAndBody(RunCache.self, at: folder.appendingPathComponent(fileName)),
            cache.format == format
        else { return nil }
        cache.ingest.decodesWhole(from: body)
        return cache
    }

    /// Replaces the cache atomically.
    func write(to folder: URL) throws(OutputWriteError) {
        let url = folder.appendingPathComponent(RunCache.fileName)
        try AtomicFile.write(SealedJSON.bytes(of: self, for: url), to: url)
    }
}

/// `last-run.json`'s `ingest`: coded as the run's `IngestResult`, decoded as its outline only
/// (`IngestOutline`), and whole only when asked for (`whole`): 2,000 archives of nightly returns
/// made it 2.4 MB of JSON, ~0.25 s to decode, which a night that reads its new archive spent before
/// reading it.
struct DeferredIngest: Codable {
    private(set) var outline: IngestOutline
    private var source: Source

    private enum Source {
        /// Made by this run.
        case made(IngestResult)
        /// Decoded from a file: its checked JSON (`RunCache.load`), from which `whole` decodes it.
        case file(Data?)
    }

    init(_ ingest: IngestResult) {
        outline = IngestOutline(ingest)
        source = .made(ingest)
    }

    init(from decoder: any Decoder) throws {
        outline = try IngestOutline(from: decoder)
        source = .file(nil)
    }

    /// Written whole (one read from a file, decoded from it now).
    func encode(to encoder: any Encoder) throws {
        guard let whole else {
            throw EncodingError.invalidValue(
                outline, .init(codingPath: encoder.codingPath, debugDescription: "the ingest does not decode"))
        }
        try whole.encode(to: encoder)
    }

    /// `body`, the cache file's JSON this was decoded from, is where `whole` decodes it from.
    mutating func decodesWhole(from body: Data) {
        if case .file = source { source = .file(body) }
    }

    /// The ingest whole: as made, or decoded from the file now; nil when it does not decode (a file
    /// sealed anew after an edit): the night then reads its archives instead of reporting those.
    /// (Its counts are those the outline checked when the file was read: the same bytes.)
    var whole: IngestResult? {
        switch source {
        case .made(let ingest): return ingest
        case .file(let body):
            struct File: Decodable { var ingest: IngestResult }
            return body.flatMap { try? JSONDecoder().decode(File.self, from: $0).ingest }
        }
    }
}

/// Of a run's ingest, what the next run that reads archives needs: the archives it accepted (path
/// and SHA-256) and how many transaction rows they gave. Decoded alone from `last-run.json`'s
/// `ingest`, whose other parts (each member's counts by reason, channels, first quarantined rows)
/// only a night found up to date reports.
struct IngestOutline: Decodable, Equatable {
    struct Archive: Decodable, Equatable {
        var relativePath: String
        var sha256: String
        var status: ArchiveOutcome.Status
        var members: [Member]
    }

    struct Member: Decodable, Equatable {
        var kind: RecordKind
        var rowsAccepted: Int

        init(kind: RecordKind, rowsAccepted: Int) {
            self.kind = kind
            self.rowsAccepted = rowsAccepted
        }

        private enum CodingKeys: String, CodingKey {
            case kind, rowsAccepted, rowsRead, rowsExcluded, rowsSuperseded, excludedByReason, quarantineSummary
            case quarantine
        }

        /// Every count `MemberResult.countsArePlausible` judges a member by is decoded and checked
        /// by its rule (`MemberResult.arePlausible`), not kept: a file sealed anew with one no run
        /// can have is refused whole, as when its ingest was decoded whole.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kind = try container.decode(RecordKind.self, forKey: .kind)
            rowsAccepted = try container.decode(Int.self, forKey: .rowsAccepted)
            var counts = [rowsAccepted]
            for key in [CodingKeys.rowsRead, .rowsExcluded, .rowsSuperseded] {
                counts.append(try container.decode(Int.self, forKey: key))
            }
            counts += try container.decode([String: Int].self, forKey: .excludedByReason).values
            if let summary = try container.decodeIfPresent(
                MemberResult.QuarantineSummary.self, forKey: .quarantineSummary)
            {
                counts += [summary.count] + summary.byReason.values
            } else {
                // Only how many: the rows themselves are the report's.
                struct Row: Decodable {
                    init(from decoder: any Decoder) throws {}
                }
                counts.append(try container.decode([Row].self, forKey: .quarantine).count)
            }
            guard MemberResult.arePlausible(counts) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "a member's count no run can have"))
            }
        }
    }

    var archives: [Archive]

    init(_ ingest: IngestResult) {
        archives = ingest.archives.map { archive in
            Archive(
                relativePath: archive.relativePath, sha256: archive.sha256, status: archive.status,
                members: archive.members.map { Member(kind: $0.kind, rowsAccepted: $0.rowsAccepted) })
        }
    }

    /// A member's count no run can have (as `MemberResult.countsArePlausible` has it) does not
    /// decode (`Member`): the file is then not used.
    init(from decoder: any Decoder) throws {
        struct Keys: Decodable { var archives: [Archive] }
        archives = try Keys(from: decoder).archives
    }

    /// The archives accepted.
    var accepted: Set<ArchiveIdentity> {
        Set(
            archives.filter { $0.status == .accepted }.map {
                ArchiveIdentity(relativePath: $0.relativePath, sha256: $0.sha256)
            })
    }

    /// The transaction rows accepted, all archives together (at most `Int.max`: each count is at
    /// most 2^40, but a file may hold any number of members).
    var acceptedTransactionRows: Int {
        archives.reduce(0) { sum, archive in
            archive.members.reduce(sum) { sum, member in
                guard member.kind == .transaction else { return sum }
                let (total, overflow) = sum.addingReportingOverflow(member.rowsAccepted)
                return overflow ? Int.max : total
            }
        }
    }
}

/// A file opened on one thread and read whole on another (the published snapshot's checksum is
/// computed while the file is synced and renamed: opened before, it is these bytes whatever its
/// name by then).
final class OpenedFile: @unchecked Sendable {
    // @unchecked Sendable: handed whole to the one thread that reads it, never used here again.
    private let file: InputFile?

    init(_ path: String) {
        file = try? InputFile(URL(fileURLWithPath: path))
    }

    /// `RunCache.fileChecksum` of the file; nil when it could not be opened or read.
    func checksum() -> String? {
        file.flatMap { RunCache.fileChecksum(of: $0) }
    }
}
