import Foundation
import Testing

@testable import GRDPCore

/// The revision ledger kept between runs (`LedgerStateFile`): written to a real file and read
/// back, a ledger goes on as if it had taken every member itself, whatever members come after and
/// wherever they rank; a file of another build, config or set of archives, or one damaged, is not
/// used.
@Suite struct LedgerStateFileTests {
    private static func record(
        _ id: String, year: Int, month: Int, amount: Int, status: TransactionStatus = .completed, seller: String,
        channel: String = "marketplace"
    ) -> TransactionRecord {
        TransactionRecord(
            transactionID: id, year: year, month: month, amountVND: ExactDecimal(amount),
            refundVND: ExactDecimal(mantissa: 5, scale: 1), status: status, channel: channel,
            sellerTaxCode: seller, sellerDistrictCode: "660")
    }

    /// Four archives of one member each, by their revision position: orders over two years;
    /// revisions of every third to other months, sellers and years (odd ones cancelled); every
    /// seventh on another channel (other keys); new orders, one with an amount too wide for a row's
    /// 64 bits, one in a group the first archive made, and revisions of five orders.
    private static let archives: [[TransactionRecord]] = {
        let first = (0..<600).map {
            record("ORD-\($0)", year: 2023 + $0 % 2, month: 1 + $0 % 12, amount: 1000 + $0, seller: "01\($0 % 40)")
        }
        let second = stride(from: 0, to: 600, by: 3).map {
            record(
                "ORD-\($0)", year: 2024, month: 12 - $0 % 12, amount: 2000 + $0,
                status: $0 % 2 == 1 ? .cancelled : .completed, seller: "02\($0 % 7)")
        }
        let third = stride(from: 0, to: 600, by: 7).map {
            record("ORD-\($0)", year: 2023, month: 1, amount: 7, seller: "0101", channel: "livestream")
        }
        var fourth = (600..<700).map { record("ORD-\($0)", year: 2024, month: 5, amount: 50 + $0, seller: "0199") }
        // In the group of ORD-1 (never revised): a resumed ledger must find its texts and group.
        fourth.append(record("ORD-900", year: 2024, month: 2, amount: 9, seller: "011"))
        fourth += (0..<5).map {
            record("ORD-\($0 * 11)", year: 2023, month: 2, amount: 0, seller: "0177")
        }
        fourth[0].amountVND = ExactDecimal(mantissa: Int128(Int64.max) * 1000, scale: 2)
        return [first, second, third, fourth]
    }()

    private static func batch(_ records: [TransactionRecord]) -> TransactionBatch {
        var batch = TransactionBatch()
        for record in records { batch.append(record) }
        return batch
    }

    /// Sums by group and superseded counts by archive, from a ledger emptied.
    private static func result(_ ledger: inout TransactionLedger, superseded: [Int: Int]) -> [String: String] {
        var groups = ledger.takeCurrentGroups().sumsByKey
        groups["superseded"] = superseded.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(
            separator: ",")
        return groups
    }

    private static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Each split of the archives into those kept and those that come after, in several arrival
    /// orders: the ledger written after the first ones, read back with their ranks and given the
    /// others, has the sums and superseded counts of one ledger that took them all.
    @Test(arguments: [
        ([0, 1], [2, 3]), ([0], [1, 2, 3]), ([3, 1], [0, 2]), ([0, 1, 2, 3], []), ([2], [3, 0, 1]),
        ([1, 3], [2, 0]),
    ])
    func aKeptLedgerGoesOnAsIfItHadTakenEveryArchive(kept: [Int], after: [Int]) throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("ledger.bin")
        // Rows handed over a few at a time on two threads, and one pass after the other.
        for passes in [TransactionLedger.Passes(parallelFrom: 1, chunkRows: 7), TransactionLedger.Passes()] {
            var whole = TransactionLedger(passes: passes)
            var wholeSuperseded: [Int: Int] = [:]
            for archive in kept + after {
                try whole.apply(Self.batch(Self.archives[archive]), member: Int32(archive), rank: Int32(archive)) {
                    wholeSuperseded[Int($0), default: 0] += 1
                }
            }

            var first = TransactionLedger(passes: passes)
            var superseded: [Int: Int] = [:]
            for (index, archive) in kept.enumerated() {
                try first.apply(Self.batch(Self.archives[archive]), member: Int32(index), rank: Int32(archive)) {
                    superseded[kept[Int($0)], default: 0] += 1
                }
            }
            try AtomicFile.write(to: url, durable: false) { file throws(OutputWriteError) in
                var writer = LedgerStateWriter(file)
                try first.write(to: &writer)
                try writer.finish()
            }
            var reader = try LedgerStateReader(InputFile(url))
            var resumed = try TransactionLedger(reading: &reader, ranks: kept.map(Int32.init), passes: passes)
            try reader.finish()
            let members = kept + after
            for (offset, archive) in after.enumerated() {
                try resumed.apply(
                    Self.batch(Self.archives[archive]), member: Int32(kept.count + offset), rank: Int32(archive)
                ) {
                    superseded[members[Int($0)], default: 0] += 1
                }
            }
            #expect(resumed.count == whole.count)
            let expected = Self.result(&whole, superseded: wholeSuperseded)
            #expect(expected.count > 10)
            #expect(Self.result(&resumed, superseded: superseded) == expected, "\(kept) then \(after)")
        }
    }

    /// A resumed ledger that keeps one year (`run --year`) hands over that year's groups only, the
    /// same as a ledger that kept that year from the start.
    @Test func aKeptLedgerResumedForOneYearGivesThatYearAlone() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("ledger.bin")
        var first = TransactionLedger()
        for archive in 0..<2 {
            try first.apply(Self.batch(Self.archives[archive]), member: Int32(archive), rank: Int32(archive)) { _ in }
        }
        try AtomicFile.write(to: url, durable: false) { file throws(OutputWriteError) in
            var writer = LedgerStateWriter(file)
            try first.write(to: &writer)
            try writer.finish()
        }
        var reader = try LedgerStateReader(InputFile(url))
        var resumed = try TransactionLedger(reading: &reader, ranks: [0, 1], keepingYears: [2023])
        try reader.finish()
        var oneYear = TransactionLedger(keepingYears: [2023])
        for archive in 0..<4 {
            try oneYear.apply(Self.batch(Self.archives[archive]), member: Int32(archive), rank: Int32(archive)) { _ in }
        }
        for archive in 2..<4 {
            try resumed.apply(Self.batch(Self.archives[archive]), member: Int32(archive), rank: Int32(archive)) { _ in }
        }
        let expected = Self.result(&oneYear, superseded: [:])
        #expect(expected.keys.allSatisfy { $0 == "superseded" || $0.contains(" 2023-") })
        #expect(Self.result(&resumed, superseded: [:]) == expected)
    }

    // MARK: - The file: when it is used

    private static let build = "build-a"
    private static let config = String(repeating: "c", count: 64)

    private static func identity(_ index: Int) -> ArchiveIdentity {
        ArchiveIdentity(relativePath: "returns-\(index).zip", sha256: String(repeating: "\(index)", count: 64))
    }

    /// Applies `archives` (each at its own scanned position, one member each) to `ledger`.
    private static func apply(_ archives: Range<Int>, to ledger: inout RevisionLedger) throws {
        for archive in archives {
            var member = GRDPCore.MemberResult(path: "transactions.csv", kind: .transaction)
            member.transactions = batch(Self.archives[archive])
            try ledger.apply(
                member, archivePath: identity(archive).relativePath, ref: .init(archive: archive, member: 0))
        }
    }

    /// Keeps `ledger`, which holds `archives`, in `file` (against `base` when given).
    @discardableResult
    private static func save(
        _ ledger: RevisionLedger, holding archives: Range<Int>, in file: LedgerStateFile,
        base: LedgerStateLayout? = nil
    ) throws -> LedgerStateFile.Kept {
        try file.save(
            ledger, archives: Dictionary(uniqueKeysWithValues: archives.map { ($0, identity($0)) }), base: base)
    }

    /// A run's ledger over archives 0, 1 and 2 (scanned positions 0, 1, 2), kept in `folder`.
    private static func keep(in folder: URL) throws -> LedgerStateFile {
        var ledger = RevisionLedger()
        try apply(0..<3, to: &ledger)
        let file = LedgerStateFile(cacheFolder: folder, build: build, figuresSHA256: config)
        try save(ledger, holding: 0..<3, in: file)
        return file
    }

    /// The sums by group and superseded counts by member of a ledger, emptied.
    private static func result(_ ledger: inout RevisionLedger) -> [String: String] {
        var groups = ledger.takeTransactionGroups().sumsByKey
        for (ref, count) in ledger.superseded { groups["superseded \(ref.archive)"] = "\(count)" }
        return groups
    }

    /// A run that resumed the state and added archives keeps what changed as a journal against the
    /// file it read; the next run reads both and has the ledger of every archive. The journal is
    /// cumulative; one that does not check out leaves the base alone in use; once a journal would
    /// pass a quarter of its base, the whole state is written again and the journal removed.
    @Test func aJournalKeepsWhatChangedSinceTheWholeState() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var file = LedgerStateFile(cacheFolder: folder, build: Self.build, figuresSHA256: Self.config)
        // Archives this small change a large share of the state (its hash tables grow whole).
        file.journalShare = 2
        let archives = (0..<4).map(Self.identity)
        var first = RevisionLedger()
        try Self.apply(0..<2, to: &first)
        try Self.save(first, holding: 0..<2, in: file)
        let baseBytes = try Data(contentsOf: file.url)

        func expected(_ range: Range<Int>) throws -> [String: String] {
            var ledger = RevisionLedger()
            try Self.apply(range, to: &ledger)
            return Self.result(&ledger)
        }
        // Resumed, given archive 2: a journal, and the base untouched.
        var ledger = RevisionLedger()
        var resumed = try #require(file.load(into: &ledger, archives: archives, earlier: nil, keepingYears: nil))
        #expect(Set(resumed.archives.keys) == Set(archives[0..<2]))
        try Self.apply(2..<3, to: &ledger)
        guard case .journal(let bytes) = try Self.save(ledger, holding: 0..<3, in: file, base: resumed.base) else {
            Issue.record("no journal written")
            return
        }
        #expect(bytes < baseBytes.count)
        #expect(try Data(contentsOf: file.url) == baseBytes)
        resumed = try #require(file.load(into: &ledger, archives: archives, earlier: nil, keepingYears: nil))
        #expect(Set(resumed.archives.keys) == Set(archives[0..<3]))
        // Given archive 3 as well: the journal holds both nights' changes.
        try Self.apply(3..<4, to: &ledger)
        guard case .journal = try Self.save(ledger, holding: 0..<4, in: file, base: resumed.base) else {
            Issue.record("no journal written")
            return
        }
        resumed = try #require(file.load(into: &ledger, archives: archives, earlier: nil, keepingYears: nil))
        #expect(Set(resumed.archives.keys) == Set(archives))
        #expect(Self.result(&ledger) == (try expected(0..<4)))

        // A damaged journal: the base alone, which holds archives 0 and 1.
        var journal = try Data(contentsOf: file.journalURL)
        journal[journal.count / 2] ^= 4
        try journal.write(to: file.journalURL)
        resumed = try #require(file.load(into: &ledger, archives: archives, earlier: nil, keepingYears: nil))
        #expect(Set(resumed.archives.keys) == Set(archives[0..<2]))
        #expect(Self.result(&ledger) == (try expected(0..<2)))

        // Past the share allowed: kept whole.
        file.journalShare = 0.25
        var small = RevisionLedger()
        try Self.apply(0..<1, to: &small)
        try Self.save(small, holding: 0..<1, in: file)
        #expect(!FileManager.default.fileExists(atPath: file.journalURL.path))
        resumed = try #require(file.load(into: &ledger, archives: archives, earlier: nil, keepingYears: nil))
        try Self.apply(1..<4, to: &ledger)
        guard case .base = try Self.save(ledger, holding: 0..<4, in: file, base: resumed.base) else {
            Issue.record("a journal written")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: file.journalURL.path))
        _ = try #require(file.load(into: &ledger, archives: archives, earlier: nil, keepingYears: nil))
        #expect(Self.result(&ledger) == (try expected(0..<4)))
    }

    /// At the sizes a nightly run resumes (arrays of a megabyte and more), the kept ledger's keys,
    /// slots and texts are used in place, mapped from its file; the journal written from them,
    /// which compares only what lies on pages the run wrote, still gives the ledger of every
    /// archive, night after night.
    @Test func aLargeKeptLedgerIsUsedInPlaceAndJournalsWhatChanged() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var file = LedgerStateFile(cacheFolder: folder, build: Self.build, figuresSHA256: Self.config)
        file.journalShare = 2
        let first = (0..<160_000).map {
            Self.record(
                "L-\($0)", year: 2023 + $0 % 2, month: 1 + $0 % 12, amount: 1000 + $0, seller: "03\($0 % 5000)")
        }
        // Revisions spread over every page of the slots, new keys, new texts (one decomposed: the
        // same text as its precomposed form, which the first archive holds).
        var second = stride(from: 0, to: 160_000, by: 41).map {
            Self.record("L-\($0)", year: 2024, month: 12 - $0 % 12, amount: 7 + $0, seller: "04\($0 % 300)")
        }
        second += (160_000..<162_000).map { Self.record("L-\($0)", year: 2024, month: 3, amount: $0, seller: "Bé") }
        var third = stride(from: 5, to: 162_000, by: 53).map {
            Self.record("L-\($0)", year: 2023, month: 6, amount: 3, status: .cancelled, seller: "05\($0 % 9)")
        }
        third += (0..<3_000).map { Self.record("N-\($0)", year: 2023, month: 1, amount: $0, seller: "Be\u{301}") }
        let nights = [first, second, third]
        func apply(_ range: Range<Int>, to ledger: inout RevisionLedger) throws {
            for archive in range {
                var member = GRDPCore.MemberResult(path: "transactions.csv", kind: .transaction)
                member.transactions = Self.batch(nights[archive])
                try ledger.apply(
                    member, archivePath: Self.identity(archive).relativePath, ref: .init(archive: archive, member: 0))
            }
        }
        var expected = RevisionLedger()
        try apply(0..<3, to: &expected)
        let archives = (0..<3).map(Self.identity)

        var ledger = RevisionLedger()
        try apply(0..<1, to: &ledger)
        try Self.save(ledger, holding: 0..<1, in: file)
        // Night after night: resumed in place from the file, the next archive applied, a journal kept.
        for night in 1..<3 {
            let resumed = try #require(
                file.load(into: &ledger, archives: archives, earlier: nil, keepingYears: nil))
            #expect(ledger.transactions.readsStateInPlace)
            try apply(night..<night + 1, to: &ledger)
            guard case .journal = try Self.save(ledger, holding: 0..<night + 1, in: file, base: resumed.base) else {
                Issue.record("no journal written on night \(night)")
                return
            }
        }
        _ = try #require(file.load(into: &ledger, archives: archives, earlier: nil, keepingYears: nil))
        // One channel, one district, 5,310 sellers: "Bé" once, whichever form it came in.
        #expect(ledger.transactions.textCount == 5_312 && expected.transactions.textCount == 5_312)
        let got = Self.result(&ledger)
        let want = Self.result(&expected)
        let differing = Set(got.keys).union(want.keys).filter { got[$0] != want[$0] }
        #expect(!want.isEmpty && differing.isEmpty, "\(differing.count) groups differ: \(differing.sorted().prefix(3))")
    }

    /// `file.load`'s archives, or nil; the ledger it resumes is dropped.
    private func load(_ file: LedgerStateFile, _ archives: [ArchiveIdentity?], earlier: Set<ArchiveIdentity>?)
        -> LedgerStateFile.HeldArchives?
    {
        var ledger = RevisionLedger()
        return file.load(into: &ledger, archives: archives, earlier: earlier, keepingYears: nil)?.archives
    }

    @Test func aKeptLedgerIsUsedOnlyForItsBuildConfigAndArchives() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try Self.keep(in: folder)
        let all = Set((0..<3).map(Self.identity))

        // A new archive scanned first: the kept ones rank 1, 2 and 3 now.
        var ledger = RevisionLedger()
        let held = try #require(
            file.load(
                into: &ledger, archives: [Self.identity(3)] + (0..<3).map(Self.identity), earlier: all,
                keepingYears: nil)
        ).archives
        #expect(held[Self.identity(1)] == [0: Self.archives[1].count])
        #expect(Set(held.keys) == all)
        #expect(ledger.transactionMembers.map(\.ref.archive) == [1, 2, 3])
        // Archive 0's orders were superseded by 1's (every third of 600); 2's are on another
        // channel, so other keys (86 of them).
        #expect(ledger.superseded[.init(archive: 1, member: 0)] == 200)
        #expect(ledger.transactionMembers.map(\.superseded) == [200, 0, 0])
        #expect(ledger.size.transactionKeys == 686)
        // `run --year` has no earlier archives to compare with.
        #expect(load(file, (0..<3).map(Self.identity), earlier: nil) != nil)

        // Not for another build or config.
        for other in [
            LedgerStateFile(cacheFolder: folder, build: "build-b", figuresSHA256: Self.config),
            LedgerStateFile(cacheFolder: folder, build: Self.build, figuresSHA256: String(repeating: "d", count: 64)),
        ] {
            #expect(load(other, (0..<3).map(Self.identity), earlier: all) == nil)
        }
        // Not when an archive it holds is gone, changed, or could not be hashed.
        let changed = ArchiveIdentity(relativePath: "returns-1.zip", sha256: String(repeating: "f", count: 64))
        for archives in [
            [Self.identity(0), Self.identity(2)], [Self.identity(0), changed, Self.identity(2)],
            [Self.identity(0), nil, Self.identity(2)],
        ] {
            #expect(load(file, archives, earlier: all) == nil, "\(archives)")
        }
        // Not when the run `last-run.json` describes did not read them all.
        #expect(load(file, (0..<3).map(Self.identity), earlier: [Self.identity(0), Self.identity(1)]) == nil)
    }

    /// As the run reads the archives: one the resumed ledger holds is told apart from a new one,
    /// and one it holds that gives other members or rows than recorded removes the kept ledger
    /// and fails the run, naming the file and the archive. A full run's ledger below the size
    /// kept removes one kept before.
    @Test func anArchiveTheKeptLedgerHoldsMustGiveWhatItRecorded() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try Self.keep(in: folder)
        var ledger = RevisionLedger()
        let resumed = try #require(
            file.load(
                into: &ledger, archives: (0..<4).map(Self.identity), earlier: nil, keepingYears: nil))
        func archive(_ index: Int, rows: [Int]) -> ArchiveOutcome {
            let members = rows.map { count in
                var member = GRDPCore.MemberResult(path: "transactions.csv", kind: .transaction)
                member.rowsAccepted = count
                return member
            }
            let identity = Self.identity(index)
            return ArchiveOutcome(
                relativePath: identity.relativePath, sha256: identity.sha256, bytes: 1, status: .accepted,
                members: members, skipped: [])
        }
        #expect(try file.holds(archive(1, rows: [Self.archives[1].count]), in: resumed))
        #expect(try !file.holds(archive(3, rows: [10]), in: resumed))
        #expect(try !file.holds(archive(1, rows: [Self.archives[1].count]), in: nil))
        #expect(FileManager.default.fileExists(atPath: file.url.path))
        // Another row count, then another member with transactions.
        for rows in [[Self.archives[1].count - 1], [Self.archives[1].count, 3]] {
            try Self.save(ledger, holding: 0..<3, in: file)
            #expect(throws: LedgerStateFile.Mismatch.self) { try file.holds(archive(1, rows: rows), in: resumed) }
            #expect(!FileManager.default.fileExists(atPath: file.url.path))
        }
        let error = LedgerStateFile.Mismatch(path: file.url.path, archive: "returns-1.zip")
        #expect(error.description.contains(file.url.path) && error.description.contains("returns-1.zip"))

        // 686 keys, far below the size kept by default: `keep` removes the file.
        try #require(
            LedgerStateFile.minimumKeys > ledger.size.transactionKeys, "GRDP_KEEP_LEDGER_FROM is set in the environment"
        )
        try Self.save(ledger, holding: 0..<3, in: file)
        let kept = try file.keep(
            ledger, archives: Dictionary(uniqueKeysWithValues: (0..<3).map { ($0, Self.identity($0)) }),
            resumed: nil)
        #expect(kept == nil)
        #expect(!FileManager.default.fileExists(atPath: file.url.path))
    }

    /// A ledger whose checksum holds but whose slots name a member, a group or a wide net it has
    /// not (a file forged past its checksum) is refused when read, where applying an archive to it
    /// once indexed with them and trapped (found by a review).
    @Test func aLedgerWhoseSlotsNameWhatItHasNotIsRefused() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("ledger.bin")
        var ledger = TransactionLedger()
        try ledger.apply(Self.batch(Self.archives[0]), member: 0, rank: 0) { _ in }
        try AtomicFile.write(to: url, durable: false) { file throws(OutputWriteError) in
            var writer = LedgerStateWriter(file)
            try ledger.write(to: &writer)
            try writer.finish()
        }
        let sound = [UInt8](try Data(contentsOf: url))
        func reads(_ bytes: [UInt8]) throws -> Bool {
            try Data(bytes).write(to: url)
            var reader = try LedgerStateReader(InputFile(url))
            guard (try? TransactionLedger(reading: &reader, ranks: [0])) != nil else { return false }
            try reader.finish()
            return true
        }
        func word(at offset: Int) -> Int {
            Int(sound[offset..<offset + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        }
        /// Where the values of the array whose count is at `offset` start, and where it ends.
        func array(at offset: Int, stride: Int) -> (values: Int, end: Int) {
            let count = word(at: offset)
            let values = offset + 8 + LedgerStateLayout.padding(before: count * stride, at: offset + 8)
            return (values, values + (count * stride + 7) / 8 * 8)
        }
        /// `sound` with the Int32 at `offset` set to `value`, its checksum made to hold.
        func forged(_ value: Int32, at offset: Int) -> [UInt8] {
            var bytes = sound
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<offset + 4, with: $0) }
            var checksum = WordChecksum()
            bytes.withUnsafeBytes { checksum.update(UnsafeRawBufferPointer(rebasing: $0[..<(bytes.count - 8)])) }
            withUnsafeBytes(of: checksum.value.littleEndian) { bytes.replaceSubrange((bytes.count - 8)..., with: $0) }
            return bytes
        }
        // slotGroup, slotMember, slotMantissa (Int64), slotScale, in this order.
        let groups = array(at: 0, stride: 4)
        let members = array(at: groups.end, stride: 4)
        let mantissas = array(at: members.end, stride: 8)
        let scales = array(at: mantissas.end, stride: 4)
        #expect(word(at: groups.end) == word(at: 0) && word(at: members.end) == word(at: 0))
        #expect(try reads(sound))
        #expect(try reads(forged(0, at: members.values)), "forged to what it was: sound")
        #expect(try !reads(forged(1, at: members.values)), "member 1 of one")
        #expect(try !reads(forged(-2, at: groups.values)), "group -2")
        #expect(try !reads(forged(Int32.max, at: groups.values)), "a group past the groups")
        #expect(try !reads(forged(~5, at: scales.values)), "wide net 5 of none")
    }

    /// A state file cut short, grown, or with any one of several bytes changed is not used.
    @Test func aDamagedKeptLedgerIsNotUsed() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try Self.keep(in: folder)
        let archives = (0..<3).map(Self.identity)
        let sound = try Data(contentsOf: file.url)
        #expect(load(file, archives, earlier: nil) != nil)
        var damaged: [Data] = [sound.prefix(sound.count - 8), sound.prefix(sound.count / 2), sound + Data(count: 8)]
        for offset in stride(from: 0, to: sound.count, by: max(1, sound.count / 40)) + [sound.count - 1] {
            var bytes = sound
            bytes[offset] ^= 0x10
            damaged.append(bytes)
        }
        for (index, bytes) in damaged.enumerated() {
            try bytes.write(to: file.url)
            #expect(load(file, archives, earlier: nil) == nil, "damage \(index)")
        }
        file.remove()
        #expect(load(file, archives, earlier: nil) == nil)
    }
}
