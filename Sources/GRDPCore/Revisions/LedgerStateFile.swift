internal import Foundation

/// The revision ledger's transactions as a full run left them, kept in `<outputs>/cache/ledger.bin`
/// so that a later run over the same archives and new ones applies only the new ones'
/// transactions, instead of taking every cached row through the ledger again (at 10 M
/// transactions, ~2 s of a nightly run and of `run --year`).
///
/// The ledger's result does not depend on the order archives come in (`RevisionLedger`): a state
/// that holds archives S, resumed and given the others, is the ledger of all of them. Each member's
/// rank is given again by this run's archive order, so a new archive may sort between the old
/// ones. The state is used only when it is exactly right:
/// - this grdp build and these config settings wrote it (`BuildIdentity`,
///   `PipelineConfig.figuresSHA256`: not a comment, the outputs or the exclusions);
/// - every archive it holds is still in the inputs with the same path and SHA-256 (a withdrawn or
///   changed archive means reading everything, as before);
/// - for a nightly run, every archive it holds was read by the run that `last-run.json`
///   describes, so that the years the new archives touch are marked as reading everything marks them;
/// - its checksum holds (`WordChecksum`): a file torn by a crash or damaged is not used;
/// - each archive it holds gives the members with transactions, and their row counts, that it
///   recorded (checked as the archives are read: the run fails if not, and removes the file).
/// Otherwise the run reads every archive's rows, as it did before this file existed. Only full runs
/// (not `run --year`, whose ledger keeps some years) write it, atomically, after the ledger is
/// complete and before Compute.
///
/// A run that resumed the state and added archives writes what changed since the file it read, as
/// `ledger.journal` beside it (`LedgerStateWriter`: a few MB for a night's archive at 10 M
/// transactions, where the whole state is ~0.6 GB); the journal is cumulative, replaced each time,
/// and names its base by checksum and size. Once it would pass a quarter of its base, the whole
/// state is written again instead and the journal removed. A journal that does not check out is
/// ignored, and the base alone (a state of fewer archives) is used.
struct LedgerStateFile {
    static let formatTag = "grdp-ledger-state-v3"
    static let journalFormatTag = "grdp-ledger-journal-v3"
    static let fileName = "ledger.bin"
    static let journalName = "ledger.journal"

    /// The distinct transaction keys from which a full run keeps its ledger: below, what a nightly
    /// run saves is less than what writing it costs a full rebuild. Measured: 1 M transactions
    /// (0.9 M keys), nightly 1.15–1.43 s with it against 1.28–1.52 s without, `run --force`
    /// 0.1–0.3 s longer; 3 M (2.6 M keys), nightly 1.79–2.20 s against 1.98–2.32 s, `run --force`
    /// 7.83–8.58 s against 7.14–7.79 s (214 MB written); 10 M (8.8 M keys), nightly 0.75–1 s
    /// shorter. `GRDP_KEEP_LEDGER_FROM` overrides it (0: always).
    static var minimumKeys: Int {
        if let text = ProcessInfo.processInfo.environment["GRDP_KEEP_LEDGER_FROM"], let n = Int(text), n >= 0 {
            return n
        }
        return 3_000_000
    }

    let url: URL
    let journalURL: URL
    /// A journal past this share of its base is not kept: the whole state is written instead. Other
    /// values only in tests.
    var journalShare = 0.25
    /// `BuildIdentity.current`.
    let build: String
    let figuresSHA256: String

    init(cacheFolder: URL, build: String, figuresSHA256: String) {
        url = cacheFolder.appendingPathComponent(Self.fileName)
        journalURL = cacheFolder.appendingPathComponent(Self.journalName)
        self.build = build
        self.figuresSHA256 = figuresSHA256
    }

    fileprivate struct Header: Codable {
        var format = LedgerStateFile.formatTag
        var build: String
        var figuresSHA256: String
        /// The accepted archives whose records the ledger holds.
        var archives: [Archive]
        /// The members with transactions, by the ledger's index.
        var members: [Member]
    }

    fileprivate struct JournalHeader: Codable {
        var format = LedgerStateFile.journalFormatTag
        /// The base's checksum (hexadecimal) and size.
        var base: String
        var baseBytes: Int
        /// The state the base and the journal give together.
        var state: Header
    }

    fileprivate struct Archive: Codable {
        var path: String
        var sha256: String
    }

    fileprivate struct Member: Codable {
        /// Index in `archives`.
        var archive: Int
        /// Index among the archive's members.
        var member: Int
        var rows: Int
        var superseded: Int
    }

    /// The archives a resumed state holds: per archive, its members with transactions (index among
    /// the archive's members) and their row counts, which reading it must give again.
    typealias HeldArchives = [ArchiveIdentity: [Int: Int]]

    /// A state resumed: the archives it holds, and the base file it was read from (what the next
    /// journal is written against).
    struct Resumed {
        var archives: HeldArchives
        var base: LedgerStateLayout
    }

    /// How `save` kept the state.
    enum Kept {
        case journal(bytes: Int)
        case base(bytes: Int)

        /// For the log: "journal" or "whole", and the bytes written.
        var form: String {
            switch self {
            case .journal: "journal"
            case .base: "whole"
            }
        }

        var bytes: Int {
            switch self {
            case .journal(let bytes), .base(let bytes): bytes
            }
        }
    }

    /// The archive `archive` gives members that the state did not record: the state is removed
    /// and the run fails (grdp is deterministic: this is a fault, not a case).
    struct Mismatch: Error, CustomStringConvertible {
        var path: String
        var archive: String

        var description: String {
            "the revision ledger kept in \(path) does not match archive \(archive) (its members with transactions "
                + "or their rows differ from those recorded); the file is removed: run again to read every archive"
        }
    }

    /// Whether the resumed ledger holds `archive`'s transactions (its members are then applied
    /// with `transactionsKept`). An archive it holds must give the members with transactions, and
    /// the row counts, it recorded: if not, the kept ledger is removed and `Mismatch` thrown.
    func holds(_ archive: ArchiveOutcome, in resumed: Resumed?) throws(Mismatch) -> Bool {
        guard let recorded = resumed?.archives[ArchiveIdentity(archive)] else { return false }
        var given: [Int: Int] = [:]
        for (index, member) in archive.members.enumerated() where member.transactionRows > 0 {
            given[index] = member.transactionRows
        }
        guard given == recorded else {
            remove()
            throw Mismatch(path: url.path, archive: archive.relativePath)
        }
        return true
    }

    /// Keeps `ledger` for the next run, once every archive of the run is applied: not when it keeps
    /// some years only (`run --year`) or holds nothing `resumed` did not; removed (with any kept
    /// before) when it has fewer keys than `minimumKeys`; else `save`d. Returns how it was kept.
    ///
    /// - Parameter archives: the run's accepted archives, by their index among the scanned archives
    ///   (the `MemberRef.archive` the ledger names).
    func keep(
        _ ledger: RevisionLedger, archives: [Int: ArchiveIdentity], resumed: Resumed?
    ) throws(OutputWriteError) -> Kept? {
        guard ledger.transactions.keepsEveryYear else { return nil }
        guard ledger.transactions.count >= Self.minimumKeys else {
            // One kept for a larger set of archives (some since withdrawn) would only take room.
            remove()
            return nil
        }
        if let resumed, !archives.values.contains(where: { resumed.archives[$0] == nil }) { return nil }
        return try save(ledger, archives: archives, base: resumed?.base)
    }

    /// Writes `ledger`, a full run's (every year's groups), after the archives it holds were applied:
    /// as a journal against `base`, the file it was resumed from, when that file is still there and
    /// the journal stays within `journalShare` of it; else whole.
    ///
    /// - Parameter archives: as `keep`'s.
    @discardableResult
    func save(
        _ ledger: RevisionLedger, archives: [Int: ArchiveIdentity], base: LedgerStateLayout? = nil
    ) throws(OutputWriteError) -> Kept {
        precondition(ledger.transactions.keepsEveryYear, "a ledger of some years only is not kept")
        let scanned = archives.keys.sorted()
        let position = Dictionary(uniqueKeysWithValues: scanned.enumerated().map { ($1, $0) })
        let members = ledger.transactionMembers.map { member in
            Member(
                archive: position[member.ref.archive]!, member: member.ref.member, rows: member.rows,
                superseded: member.superseded)
        }
        let header = Header(
            build: build, figuresSHA256: figuresSHA256,
            archives: scanned.map { Archive(path: archives[$0]!.relativePath, sha256: archives[$0]!.sha256) },
            members: members)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Not fsynced: the state only saves time, and a file torn by a crash fails its checksum.
        if let base, let baseFile = try? InputFile(url), (try? baseFile.size()) == Int64(base.bytes),
            (try? baseFile.read(count: 8, at: Int64(base.bytes - 8))) == Self.bytes(of: base.checksum)
        {
            let journal = JournalHeader(base: String(base.checksum, radix: 16), baseBytes: base.bytes, state: header)
            // Plain values: encoding cannot fail.
            let json = [UInt8]((try? encoder.encode(journal)) ?? Data())
            var written = 0
            try AtomicFile.write(to: journalURL, durable: false) { file throws(OutputWriteError) in
                var writer = LedgerStateWriter(file, patching: base, in: baseFile)
                try writer.header(json)
                try ledger.transactions.write(to: &writer)
                try writer.finish()
                written = writer.bytesWritten
            }
            if Double(written) <= Double(base.bytes) * journalShare { return .journal(bytes: written) }
        }
        let json = [UInt8]((try? encoder.encode(header)) ?? Data())
        var written = 0
        try AtomicFile.write(to: url, durable: false) { file throws(OutputWriteError) in
            var writer = LedgerStateWriter(file)
            try writer.header(json)
            try ledger.transactions.write(to: &writer)
            try writer.finish()
            written = writer.bytesWritten
        }
        // A journal left beside the new base names the old one by its checksum: it is not used,
        // only space.
        FileSystem.removeFile(journalURL.path)
        return .base(bytes: written)
    }

    private static func bytes(of word: UInt64) -> [UInt8] {
        withUnsafeBytes(of: word.littleEndian) { Array($0) }
    }

    /// The state, resumed for a run over `archives` (by their index among the scanned archives;
    /// nil for one that could not be hashed), when it may be used (see the type's notes): `ledger`
    /// is then the ledger it holds, which the caller must own alone (a second reference to its
    /// arrays would copy them all, ~0.6 GB at 10 M transactions, at the first change). With the
    /// journal when there is a sound one, else from the base alone.
    ///
    /// - Parameters:
    ///   - earlier: the archives read by the run that `last-run.json` describes, for a nightly
    ///     run (nil for `run --year`, which marks no years).
    ///   - years: `run --year`'s years: the ledger keeps those years' groups from here on.
    func load(
        into ledger: inout RevisionLedger, archives: [ArchiveIdentity?], earlier: Set<ArchiveIdentity>?,
        keepingYears years: Set<Int>?
    ) -> Resumed? {
        guard let opened = open(archives: archives, earlier: earlier) else { return nil }
        let withJournal = opened.withJournal
        if let (read, resumed) = self.read(opened, keepingYears: years) {
            ledger = read
            return resumed
        }
        return withJournal ? load(into: &ledger, baseOnlyFor: archives, earlier: earlier, keepingYears: years) : nil
    }

    /// `load` from the base alone, without the journal: what a run falls back on when the
    /// journal's header checked out but the state it gives did not (`read` returned nil).
    func load(
        into ledger: inout RevisionLedger, baseOnlyFor archives: [ArchiveIdentity?], earlier: Set<ArchiveIdentity>?,
        keepingYears years: Set<Int>?
    ) -> Resumed? {
        guard let opened = open(archives: archives, earlier: earlier, withJournal: false),
            let (read, resumed) = self.read(opened, keepingYears: years)
        else { return nil }
        ledger = read
        return resumed
    }

    /// A kept state whose headers check out for this run (`open`): the archives it holds are
    /// known, its arrays not read yet (`read`, ~0.7 s at 10 M transactions, which a run does
    /// while it reads the archives the state does not hold).
    struct Opened: @unchecked Sendable {
        // @unchecked Sendable: made on one thread and handed whole to the one that reads it
        // (`read` consumes it); its files are never used by two threads.
        fileprivate var reader: LedgerStateReader
        fileprivate var journal: JournalHeader?
        fileprivate var header: Header
        fileprivate var held: [ArchiveIdentity]
        fileprivate var refs: [RevisionLedger.MemberRef]
        /// Whether the journal is part of it (else the base alone).
        var withJournal: Bool { journal != nil }
        /// What `Resumed.archives` will be.
        var archives: HeldArchives {
            var members: HeldArchives = Dictionary(uniqueKeysWithValues: held.map { ($0, [:]) })
            for member in header.members { members[held[member.archive]]![member.member] = member.rows }
            return members
        }
    }

    /// The state's headers, when they allow it to be used for a run over `archives` (`load`'s):
    /// with the journal when there is one whose header checks out, else the base alone.
    func open(archives: [ArchiveIdentity?], earlier: Set<ArchiveIdentity>?) -> Opened? {
        if FileSystem.exists(journalURL.path),
            let opened = open(archives: archives, earlier: earlier, withJournal: true)
        {
            return opened
        }
        return open(archives: archives, earlier: earlier, withJournal: false)
    }

    private func open(archives: [ArchiveIdentity?], earlier: Set<ArchiveIdentity>?, withJournal: Bool) -> Opened? {
        let decoder = JSONDecoder()
        guard let file = try? InputFile(url), var reader = try? LedgerStateReader(file),
            let json = try? reader.header(), var header = try? decoder.decode(Header.self, from: Data(json))
        else { return nil }
        var journal: JournalHeader?
        if withJournal {
            guard let journalFile = try? InputFile(journalURL), let json = try? reader.attach(journal: journalFile),
                let decoded = try? decoder.decode(JournalHeader.self, from: Data(json)),
                decoded.format == Self.journalFormatTag, decoded.baseBytes == reader.layout.bytes
            else { return nil }
            journal = decoded
            header = decoded.state
        }
        guard header.format == Self.formatTag, header.build == build, header.figuresSHA256 == figuresSHA256
        else { return nil }
        var scanned: [ArchiveIdentity: Int] = [:]
        for (index, archive) in archives.enumerated() {
            if let archive { scanned[archive] = index }
        }
        let held = header.archives.map { ArchiveIdentity(relativePath: $0.path, sha256: $0.sha256) }
        let positions = held.compactMap { scanned[$0] }
        guard positions.count == held.count, Set(held).count == held.count,
            earlier.map({ Set(held).isSubset(of: $0) }) ?? true,
            header.members.allSatisfy({ $0.archive >= 0 && $0.archive < held.count && $0.rows > 0 })
        else { return nil }
        let refs = header.members.map { RevisionLedger.MemberRef(archive: positions[$0.archive], member: $0.member) }
        guard Set(refs).count == refs.count else { return nil }
        return Opened(reader: reader, journal: journal, header: header, held: held, refs: refs)
    }

    /// The ledger `opened` holds, keeping `years`' groups from here on when given (see `load`),
    /// and what it resumed; nil when its arrays are malformed or their checksum fails (a file torn
    /// by a crash, or damaged): the caller then reads the archives `opened` holds after all.
    func read(_ opened: consuming Opened, keepingYears years: Set<Int>?) -> (RevisionLedger, Resumed)? {
        var reader = opened.reader
        guard
            let transactions = try? TransactionLedger(
                reading: &reader, ranks: opened.refs.map { Int32($0.archive) }, keepingYears: years),
            (try? reader.finish()) != nil,
            opened.journal.map({ $0.base == String(reader.layout.checksum, radix: 16) }) ?? true
        else { return nil }
        let ledger = RevisionLedger(
            resuming: consume transactions,
            members: zip(opened.refs, opened.header.members).map {
                .init(ref: $0, rows: $1.rows, superseded: $1.superseded)
            })
        return (ledger, Resumed(archives: opened.archives, base: reader.layout))
    }

    /// Removes the state and its journal.
    func remove() {
        FileSystem.removeFile(journalURL.path)
        FileSystem.removeFile(url.path)
    }
}
