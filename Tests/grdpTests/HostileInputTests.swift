import Foundation
import GRDPCore
import Testing

/// Hostile returns run through the built binary (CONTRACT §3, §4.1, §7, §8). Every archive-level
/// fault must fail the run with exit 65, name the archive, member and reason in the run report,
/// write no snapshot and leave the previous one byte-identical. Row-level faults go to quarantine
/// with their exact physical line. The unit corpus of `Tests/GRDPCoreTests/Unpack/` covers the
/// reader in depth; this suite checks that each fault reaches the operator through the whole program.
@Suite struct HostileInputTests {
    /// The return published before the hostile one arrives; its name sorts first.
    static let baselineName = "2024-01-10_returns.zip"

    // MARK: - Archive level: rejected, exit 65

    @Test(arguments: HostileArchive.all)
    func hostileArchiveIsRejectedAndTheLatestSnapshotStays(_ hostile: HostileArchive) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try HostileInputTests.config(extra: hostile.config, inputs: hostile.inputs).write(
            to: fixture.config, atomically: true, encoding: .utf8)
        try fixture.write(Fixture.firstReturn, format: .zip, as: Self.baselineName)
        let first = try fixture.grdp("run")
        #expect(first.status == 0, "\(first.stderr)")
        let published = fixture.snapshots.appendingPathComponent("grdp-v0001.sqlite")
        let before = try Data(contentsOf: published)

        for (name, bytes) in try hostile.files(Scratch(root: fixture.root)) {
            let url = fixture.returns.appendingPathComponent(name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        let run = try fixture.grdp("run")
        #expect(run.status == 65, "\(hostile.name): \(run.stderr)")
        #expect(run.stderr.contains(hostile.name) && run.stderr.contains("[\(hostile.reason)]"), "\(run.stderr)")

        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "rejected")
        #expect(report["snapshot"] is NSNull)
        let archives = try #require(report["archives"] as? [[String: Any]])
        let rejected = archives.filter { $0["status"] as? String == "rejected" }
        #expect(rejected.count == 1, "\(archives)")
        let archive = try #require(rejected.first)
        #expect(archive["path"] as? String == hostile.name)
        #expect(archive["reason"] as? String == hostile.reason, "\(archive)")
        #expect(archive["member"] as? String == hostile.member, "\(archive)")
        if hostile.member == nil { #expect(archive["member"] is NSNull, "\(archive)") }
        if let member = hostile.member {
            let members = try #require(archive["members"] as? [[String: Any]])
            let entry = try #require(members.first { $0["path"] as? String == member }, "\(members)")
            #expect(entry["status"] as? String == "rejected")
            #expect(entry["reason"] as? String == hostile.reason)
            // A refused header names the kind the member was read as (§8: a member's kind), which
            // tells a member that `inputs.kinds` sent to the wrong kind.
            if hostile.reason == "header-error" { #expect(entry["kind"] as? String == hostile.kind, "\(entry)") }
            if let line = hostile.line {
                let first = try #require((entry["first_quarantined"] as? [[String: Any]])?.first)
                #expect(first["line"] as? Int == line, "\(first)")
            }
        }
        if let detail = hostile.detail {
            #expect((archive["detail"] as? String)?.contains(detail) == true, "\(archive)")
        }

        // No new snapshot, no leftover, the previous one untouched.
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
        #expect(try Data(contentsOf: published) == before)
        #expect(try fixture.grdp("verify").status == 0)
    }

    // MARK: - Links: skipped, noted, the run succeeds

    @Test(arguments: [ArchiveWriter.Format.tarGzip, .zip])
    func linkMembersAreSkippedAndNotedAndTheRunSucceeds(_ format: ArchiveWriter.Format) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        var entries = Fixture.firstReturn
        entries.append(.init(path: "transactions_link.csv", kind: .symlink(target: "/etc/passwd")))
        if format != .zip {
            // zip has no hardlinks.
            entries.append(.init(path: "grdp_copy.csv", kind: .hardlink(target: "grdp.csv")))
        }
        let name = "2024-01-10_returns.\(format.rawValue)"
        try fixture.write(entries, format: format, as: name)
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "snapshot")
        let archive = try #require((report["archives"] as? [[String: Any]])?.first)
        #expect(archive["status"] as? String == "accepted")
        let members = try #require(archive["members"] as? [[String: Any]])
        let skipped = members.filter { $0["status"] as? String == "skipped" }
        let expected = format == .zip ? ["transactions_link.csv"] : ["grdp_copy.csv", "transactions_link.csv"]
        #expect(skipped.compactMap { $0["path"] as? String }.sorted() == expected, "\(members)")
        #expect(skipped.allSatisfy { $0["reason"] as? String == "link" }, "\(skipped)")
        // Named like data (`transaction*.csv`, `grdp*.csv`), so said in the summary, not only
        // listed: one flipped bit of a zip's attributes makes a data member a link (fuzz30, F1).
        #expect(
            skipped.first { $0["path"] as? String == "transactions_link.csv" }?["named_like"] as? String
                == "transaction")
        #expect(
            run.stderr.contains(
                "WARNING \(name): member 'transactions_link.csv' is named like transaction data but is a symbolic "
                    + "link to '/etc/passwd', skipped: its rows, if it was to hold any, are not counted"),
            "\(run.stderr)")
        // The figures are those of the return without the links.
        let export = try fixture.grdp("export", "--format", "csv", "--output", "-")
        // 2023 digitised = (2,000 million − 8 million of its own e-commerce) × 0.05 = 0.0996 → 0.100 billion.
        #expect(export.stdout.contains("2023,51000.000,1.500,0.014,0.100,1.614,"), "\(export.stdout)")
    }

    /// An archive inside an archive is not opened (CONTRACT §3, README): `inner.tar.gz` and
    /// `grdp.csv.gz` are non-CSV members, skipped silently. The run succeeds, the report names
    /// neither, and the figures are the outer return's alone, not those of the GRDP inside them.
    @Test(arguments: [ArchiveWriter.Format.tarGzip, .zip])
    func nestedArchivesAreSkippedSilently(_ format: ArchiveWriter.Format) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let scratch = Scratch(root: fixture.root)
        let otherGRDP = "year,grdp,province_code,price_basis\n2023,99000,67,current\n"
        let entries =
            Fixture.firstReturn + [
                .init(
                    path: "inner.tar.gz",
                    data: try scratch.archive([.init(path: "grdp.csv", text: otherGRDP)], .tarGzip)),
                .init(path: "grdp.csv.gz", data: try scratch.compressed(Array(otherGRDP.utf8), .gzip)),
            ]
        try fixture.write(entries, format: format, as: "2024-01-10_returns.\(format.rawValue)")
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stderr.contains("inner.tar.gz") && !run.stderr.contains("grdp.csv.gz"), "\(run.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        #expect(report["outcome"] as? String == "snapshot")
        let archive = try #require((report["archives"] as? [[String: Any]])?.first)
        #expect(archive["status"] as? String == "accepted")
        let members = try #require(archive["members"] as? [[String: Any]])
        #expect(
            members.compactMap { $0["path"] as? String }.sorted() == [
                "data/transactions.csv", "enterprise.csv", "grdp.csv",
            ],
            "\(members)")
        // The figures of the return without them (see the links test above): GRDP 51,000, not 99,000.
        let export = try fixture.grdp("export", "--format", "csv", "--output", "-")
        #expect(export.stdout.contains("2023,51000.000,1.500,0.014,0.100,1.614,"), "\(export.stdout)")
    }

    /// Patterns match case-insensitively in Vietnamese too (CONTRACT §3): a GRDP member named in
    /// capitals, and one stored decomposed (NFD), are read, not skipped as `unrecognized-member`
    /// while the run succeeds without their rows.
    @Test(arguments: [ArchiveWriter.Format.tarGzip, .zip])
    func vietnameseMemberNamesMatchTheirPatternInAnyCase(_ format: ArchiveWriter.Format) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let inputs = "  kinds:\n    grdp: [\"tổng_sản_phẩm_*.csv\"]\n    enterprise: [\"doanh_nghiệp*.csv\"]\n"
        try HostileInputTests.config(extra: nil, inputs: inputs).write(
            to: fixture.config, atomically: true, encoding: .utf8)
        let renamed = [
            "grdp.csv": "TỔNG_SẢN_PHẨM_2023.csv",
            "enterprise.csv": "DOANH_NGHIỆP.csv".decomposedStringWithCanonicalMapping,
        ]
        let entries = Fixture.firstReturn.map { entry in
            var entry = entry
            entry.path = renamed[entry.path] ?? entry.path
            return entry
        }
        try fixture.write(entries, format: format, as: "2024-01-10_returns.\(format.rawValue)")
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        let archive = try #require((report["archives"] as? [[String: Any]])?.first)
        let members = try #require(archive["members"] as? [[String: Any]])
        let kinds = Dictionary(
            uniqueKeysWithValues: members.map {
                (($0["path"] as? String ?? "").precomposedStringWithCanonicalMapping, $0["kind"] as? String ?? "-")
            })
        #expect(kinds["TỔNG_SẢN_PHẨM_2023.csv"] == "grdp", "\(members)")
        #expect(kinds["DOANH_NGHIỆP.csv"] == "enterprise", "\(members)")
        #expect(members.allSatisfy { $0["status"] as? String == "accepted" }, "\(members)")
        // The same figures as the return with its usual names (see the links test above).
        let export = try fixture.grdp("export", "--format", "csv", "--output", "-")
        #expect(export.stdout.contains("2023,51000.000,1.500,0.014,0.100,1.614,"), "\(export.stdout)")
    }

    /// A return whose file name is not UTF-8 (Latin-1 "Báo cáo", from an old Windows share) is
    /// read and named with its odd bytes written \xHH; another such file is listed as ignored. Before,
    /// either one stopped every run (exit 70, "no such file"). An exclude entry that names no file
    /// is warned about and reported.
    @Test func returnsWithNamesThatAreNotUTF8AreReadAndNamed() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try HostileInputTests.config(extra: nil, inputs: "  exclude: [\"2023-12-31_withdrawn.zip\"]\n").write(
            to: fixture.config, atomically: true, encoding: .utf8)
        try fixture.write(Fixture.firstReturn, format: .zip, as: "staged.zip")
        func rawPath(_ name: [UInt8]) -> [CChar] {
            (Array(fixture.returns.path.utf8) + [UInt8(ascii: "/")] + name + [0]).map { CChar(bitPattern: $0) }
        }
        let latin1 = Array("2024-01-10_B".utf8) + [0xE1] + Array("o c".utf8) + [0xE1] + Array("o.zip".utf8)
        #expect(rename(fixture.returns.appendingPathComponent("staged.zip").path, rawPath(latin1)) == 0)
        let note = open(rawPath(Array("ghi ch".utf8) + [0xFA] + Array(".txt".utf8)), O_WRONLY | O_CREAT, 0o644)
        #expect(note >= 0)
        close(note)
        // Withdrawn, and named in Latin-1 too: excluded, yet its digest recorded like any other's.
        try fixture.write(Fixture.revision, format: .zip, as: "staged.zip")
        let withdrawn = Array("2024-02-01_r".utf8) + [0xFA] + Array("t.zip".utf8)
        #expect(rename(fixture.returns.appendingPathComponent("staged.zip").path, rawPath(withdrawn)) == 0)
        try HostileInputTests.config(
            extra: nil, inputs: "  exclude: [\"2023-12-31_withdrawn.zip\", \"2024-02-01_r\\\\xFAt.zip\"]\n"
        ).write(to: fixture.config, atomically: true, encoding: .utf8)

        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("2023-12-31_withdrawn.zip"), "\(run.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        let archives = try #require(report["archives"] as? [[String: Any]])
        let archive = try #require(archives.first)
        #expect(archive["path"] as? String == "2024-01-10_B\\xE1o c\\xE1o.zip")
        #expect(archive["status"] as? String == "accepted")
        let excluded = try #require(archives.first { $0["status"] as? String == "excluded" })
        #expect(excluded["path"] as? String == "2024-02-01_r\\xFAt.zip")
        #expect((excluded["sha256"] as? String)?.count == 64 && (excluded["bytes"] as? Int ?? 0) > 0, "\(excluded)")
        #expect(report["ignored_files"] as? [String] == ["ghi ch\\xFA.txt"])
        #expect(report["exclude_not_found"] as? [String] == ["2023-12-31_withdrawn.zip"])
        let export = try fixture.grdp("export", "--format", "csv", "--output", "-")
        #expect(export.stdout.contains("2023,51000.000,1.500,0.014,0.100,1.614,"), "\(export.stdout)")
    }

    /// Under a folder whose name is not UTF-8, an archive's `.sha256` that is a FIFO is said to be
    /// one: it was looked up by its displayed path (`\xHH`, which names nothing) and called "a
    /// symbolic link that leads nowhere".
    @Test func aChecksumThatIsNoFileIsNamedForWhatItIsUnderAFolderNotInUTF8() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let folder =
            Array(fixture.returns.path.utf8) + Array("/B".utf8) + [0xE1] + Array("o c".utf8) + [0xE1] + Array("o".utf8)
        func raw(_ bytes: [UInt8]) -> [CChar] { (bytes + [0]).map { CChar(bitPattern: $0) } }
        #expect(mkdir(raw(folder), 0o755) == 0)
        try fixture.write(Fixture.firstReturn, format: .zip, as: "staged.zip")
        let archive = folder + Array("/2024-01-10_returns.zip".utf8)
        #expect(rename(fixture.returns.appendingPathComponent("staged.zip").path, raw(archive)) == 0)
        #expect(mkfifo(raw(archive + Array(".sha256".utf8)), 0o644) == 0)

        let run = try fixture.grdp("run")
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("B\\xE1o c\\xE1o/2024-01-10_returns.zip"), "\(run.stderr)")
        #expect(run.stderr.contains("its .sha256 is a FIFO (named pipe), not a file to read"), "\(run.stderr)")
        #expect(try fixture.snapshotFiles() == [])
    }

    /// A folder named in `exclude` leaves out every archive below it: the figures are those of the
    /// returns without it, and each of its archives is still recorded as excluded, digest and all.
    @Test func aFolderNamedInExcludeLeavesItsArchivesOut() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        let alone = try fixture.grdp("run")
        #expect(alone.status == 0, "\(alone.stderr)")
        let figures = try fixture.grdp("export", "--format", "csv", "--output", "-").stdout
        try FileManager.default.removeItem(at: fixture.outputs)

        try FileManager.default.createDirectory(
            at: fixture.returns.appendingPathComponent("withdrawn"), withIntermediateDirectories: true)
        try fixture.write(Fixture.revision, format: .tarGzip, as: "withdrawn/2024-02-01_revision.tar.gz")
        try HostileInputTests.config(extra: nil, inputs: "  exclude: [\"withdrawn/\"]\n").write(
            to: fixture.config, atomically: true, encoding: .utf8)
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("names a folder: every archive below it is excluded"), "\(run.stderr)")
        #expect(try fixture.grdp("export", "--format", "csv", "--output", "-").stdout == figures)
        let report = try #require(try fixture.reportsWritten().last)
        let archives = try #require(report["archives"] as? [[String: Any]])
        #expect(
            archives.map { "\($0["path"] ?? "") \($0["status"] ?? "")" } == [
                "2024-01-10_returns.zip accepted", "withdrawn/2024-02-01_revision.tar.gz excluded",
            ])
        #expect(report["exclude_not_found"] == nil)
    }

    /// An excluded archive keeps its cache entry: an exclusion taken back (a return withdrawn by
    /// mistake, or to see the figures without it) reads it from the cache, not decompressed again,
    /// and gives the figures of before.
    @Test func anExclusionTakenBackReadsTheArchiveFromTheCache() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Fixture.firstReturn, format: .zip, as: "2024-01-10_returns.zip")
        try fixture.write(Fixture.revision, format: .tarGzip, as: "2024-02-01_revision.tar.gz")
        #expect(try fixture.grdp("run").status == 0)
        let figures = try fixture.grdp("export", "--format", "csv", "--output", "-").stdout
        func configure(exclude: String) throws {
            try HostileInputTests.config(extra: nil, inputs: "  exclude: [\(exclude)]\n").write(
                to: fixture.config, atomically: true, encoding: .utf8)
        }
        try configure(exclude: "\"2024-02-01_revision.tar.gz\"")
        let withdrawn = try fixture.grdp("run")
        #expect(withdrawn.status == 0, "\(withdrawn.stderr)")
        #expect(try fixture.grdp("export", "--format", "csv", "--output", "-").stdout != figures)
        #expect(try fixture.reportsWritten().last?["cache_entries_removed"] == nil)

        try configure(exclude: "")
        let back = try fixture.grdp("run")
        #expect(back.status == 0, "\(back.stderr)")
        let report = try #require(try fixture.reportsWritten().last)
        let archives = try #require(report["archives"] as? [[String: Any]])
        #expect(archives.map { $0["from_cache"] as? Bool } == [true, true], "\(archives)")
        #expect(try fixture.grdp("export", "--format", "csv", "--output", "-").stdout == figures)
    }

    /// Zip writers that set flag bit 3 (sizes after the data) but write no data descriptor (zip-rs
    /// for directories, some streaming PHP writers for files): nothing in such an archive is wrong,
    /// libarchive reads it, and the descriptor check must not reject it. Also a descriptor without
    /// its signature, which the format allows.
    @Test(arguments: [ZipDescriptor.none, .unsigned])
    func zipsWithBit3AndNoSignedDescriptorAreRead(_ descriptor: ZipDescriptor) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let entries = [(path: "returns/", data: [UInt8]())] + Fixture.firstReturn.map { ($0.path, $0.data) }
        try Data(StoredZip.bytes(entries, descriptor: descriptor)).write(
            to: fixture.returns.appendingPathComponent("2024-01-10_returns.zip"))
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        let export = try fixture.grdp("export", "--format", "csv", "--output", "-")
        #expect(export.stdout.contains("2023,51000.000,1.500,0.014,0.100,1.614,"), "\(export.stdout)")
    }

    // MARK: - Row level: quarantined with exact lines, the run succeeds

    @Test(arguments: HostileRows.all)
    func hostileRowsAreQuarantinedWithTheirLines(_ hostile: HostileRows) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let extra = "quality:\n  max_quarantine_ratio: 1\n"
        try HostileInputTests.config(extra: extra, inputs: hostile.inputs).write(
            to: fixture.config, atomically: true, encoding: .utf8)
        let archive = "2024-03-01_rows.\(hostile.format.rawValue)"
        try fixture.write(
            [ArchiveWriter.Entry(path: hostile.member, data: hostile.bytes)], format: hostile.format, as: archive)

        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(hostile.name): \(run.stderr)")
        #expect(try fixture.snapshotFiles() == ["grdp-v0001.sqlite"])

        let export = try fixture.grdp("export", "--table", "quarantine", "--format", "csv", "--output", "-")
        #expect(export.status == 0, "\(export.stderr)")
        let records = try CSVReader.records(of: Array(export.stdout.utf8))
        #expect(records.first?.fields == ["archive_path", "member_path", "line", "kind", "reason", "detail"])
        let rows = records.dropFirst().map { $0.fields }
        #expect(rows.allSatisfy { $0[0] == archive && $0[1] == hostile.member }, "\(rows)")
        let found = rows.map { Quarantined(line: Int($0[2]) ?? -1, reason: $0[4]) }
        #expect(found == hostile.quarantined, "\(hostile.name): \(rows.map { $0[2...].joined(separator: " | ") })")
        if let detail = hostile.detail {
            #expect(rows.contains { $0[5].contains(detail) }, "\(rows.map { $0[5] })")
        }

        // The run report lists the same lines first.
        let report = try #require(try fixture.reportsWritten().last)
        let member = try #require(
            ((report["archives"] as? [[String: Any]])?.first?["members"] as? [[String: Any]])?.first)
        #expect(member["rows_quarantined"] as? Int == hostile.quarantined.count)
        #expect(member["rows_accepted"] as? Int == hostile.accepted, "\(member)")
        let listed = (member["first_quarantined"] as? [[String: Any]] ?? []).map {
            Quarantined(line: $0["line"] as? Int ?? -1, reason: $0["reason"] as? String ?? "")
        }
        #expect(listed == Array(hostile.quarantined.prefix(20)))
    }

    /// The fixture's config with `extra` top-level sections and `inputs` keys added.
    static func config(extra: String?, inputs: String? = nil) -> String {
        var yaml = Fixture.pipelineYAML
        if let inputs {
            yaml = yaml.replacingOccurrences(of: "  returns: returns\n", with: "  returns: returns\n" + inputs)
        }
        return yaml + (extra ?? "")
    }
}

struct Quarantined: Equatable, CustomStringConvertible {
    var line: Int
    var reason: String
    var description: String { "\(line):\(reason)" }
}

/// Builds bytes in a scratch folder of the fixture.
struct Scratch {
    let root: URL

    func archive(_ entries: [ArchiveWriter.Entry], _ format: ArchiveWriter.Format, passphrase: String? = nil) throws
        -> [UInt8]
    {
        let url = root.appendingPathComponent("scratch-\(UUID().uuidString).\(format.rawValue)")
        defer { try? FileManager.default.removeItem(at: url) }
        try ArchiveWriter.write(entries, format: format, to: url, zipPassphrase: passphrase)
        return Array(try Data(contentsOf: url))
    }

    func compressed(_ bytes: [UInt8], _ filter: ArchiveWriter.Filter) throws -> [UInt8] {
        let url = root.appendingPathComponent("scratch-\(UUID().uuidString).\(filter.rawValue)")
        defer { try? FileManager.default.removeItem(at: url) }
        try ArchiveWriter.compress(bytes, with: filter, to: url)
        return Array(try Data(contentsOf: url))
    }
}

/// An archive-level hostile input and what the report must say about it.
struct HostileArchive: Sendable, CustomTestStringConvertible {
    /// File name in the returns folder (sorts after the baseline return).
    var name: String
    var reason: String
    /// The member the report names; nil: `null`.
    var member: String?
    /// For a quarantine-ratio rejection: the first quarantined line.
    var line: Int? = nil
    /// A fragment the report's detail must hold.
    var detail: String? = nil
    /// Extra top-level YAML for the config.
    var config: String? = nil
    /// Lines to add under `inputs:`.
    var inputs: String? = nil
    /// For a `header-error`: the kind the report says the member was read as.
    var kind: String? = nil
    /// The files to drop into the returns folder: name → bytes.
    var files: @Sendable (Scratch) throws -> [(String, [UInt8])]

    var testDescription: String { name }

    /// A transaction member of 3,000 valid rows: large enough that a flipped byte lands inside its data.
    static let transactions: [UInt8] = {
        var text = "transaction_id,date,amount,status,channel\n"
        for row in 0..<3_000 {
            text += "T\(row),2023-\(row % 9 + 1 < 10 ? "0" : "")\(row % 9 + 1)-1\(row % 10),"
            text += "\((row * 7919) % 1_000_003),completed,marketplace\n"
        }
        return Array(text.utf8)
    }()

    static let member = "ecommerce/transactions.csv"
    static let entries = [ArchiveWriter.Entry(path: member, data: transactions)]

    static func flipped(_ bytes: [UInt8], at index: Int, mask: UInt8 = 0x10) -> [UInt8] {
        var copy = bytes
        copy[index] ^= mask
        return copy
    }

    /// Where the first data descriptor (its signature, PK 7 8) of a zip starts.
    static func descriptor(in zip: [UInt8]) throws -> Int {
        let signature: [UInt8] = [0x50, 0x4B, 0x07, 0x08]
        guard let at = (0..<(zip.count - 16)).first(where: { Array(zip[$0..<($0 + 4)]) == signature }) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return at
    }

    /// One archive file named `name` made by `make`.
    static func one(
        _ name: String, _ reason: String, member: String?, line: Int? = nil, detail: String? = nil,
        config: String? = nil, inputs: String? = nil, kind: String? = nil,
        _ make: @escaping @Sendable (Scratch) throws -> [UInt8]
    ) -> HostileArchive {
        HostileArchive(
            name: name, reason: reason, member: member, line: line, detail: detail, config: config, inputs: inputs,
            kind: kind, files: { scratch in [(name, try make(scratch))] })
    }

    static let all: [HostileArchive] =
        truncated + flipped + streams + paths + members + headers + garbledHeaders + localNames + forgedFields

    /// Fields that pass every checksum but say what no writer writes, each of which once trapped
    /// the run (exit 132, no report; found by a review): a pax record shorter than its own length
    /// field, and a zip64 end record whose central directory ends past 2^63.
    static let forgedFields: [HostileArchive] = [
        one("2024-02-01_pax-short.tar.gz", "corrupt-archive", member: "t.csv", detail: "pax") { scratch in
            let tar =
                rawTarMember("PaxHeader", typeflag: "x", Array("1 x\n".utf8)) + rawTarMember("t.csv", transactions)
            return try scratch.compressed(tar + [UInt8](repeating: 0, count: 1024), .gzip)
        },
        one("2024-02-01_zip64-past.zip", "corrupt-archive", member: nil, detail: "central directory") { scratch in
            let zip = try scratch.archive(entries, .zip)
            func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
            let end = zip.count - 22
            let huge = le64(0x7FFF_FFFF_FFFF_FFFF)
            let record: [UInt8] =
                [0x50, 0x4B, 0x06, 0x06] + le64(44) + [45, 0, 45, 0] + [UInt8](repeating: 0, count: 8) + le64(1)
                + le64(1) + huge + huge
            let locator: [UInt8] = [0x50, 0x4B, 0x06, 0x07] + [0, 0, 0, 0] + le64(UInt64(end)) + [1, 0, 0, 0]
            return Array(zip[..<end]) + record + locator + Array(zip[end...])
        },
    ]

    /// A ustar member written by hand (its header's checksum right), for fields no writer makes.
    static func rawTarMember(_ name: String, typeflag: Character, _ data: [UInt8]) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            header.replaceSubrange(offset..<offset + text.utf8.count, with: text.utf8)
        }
        put(name, at: 0)
        put("0000644", at: 100)
        put("0000000", at: 108)
        put("0000000", at: 116)
        put(String(format: "%011o", data.count), at: 124)
        put("00000000000", at: 136)
        put(String(typeflag), at: 156)
        put("ustar", at: 257)
        put("00", at: 263)
        header.replaceSubrange(148..<156, with: [UInt8](repeating: 0x20, count: 8))
        put(String(format: "%06o", header.reduce(0) { $0 + Int($1) }) + "\0", at: 148)
        return header + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    static func rawTarMember(_ name: String, _ data: [UInt8]) -> [UInt8] { rawTarMember(name, typeflag: "0", data) }

    /// A zip whose local header names its member otherwise than the central directory does (one
    /// byte changed, which no CRC covers). libarchive names the entry by the local header: the
    /// archive was accepted with the member skipped as unrecognised (`transactioXs.csv`) or not
    /// seen at all (`.csx`), its rows left out of the figures, exit 0.
    static let localNames: [HostileArchive] = [("name", 7), ("extension", 1)].map { what, fromEnd in
        one("2024-02-01_local-\(what).zip", "corrupt-archive", member: member, detail: "central directory gives") {
            scratch in
            var zip = try scratch.archive(entries + [.init(path: "grdp.csv", text: "year,grdp\n2023,1\n")], .zip)
            // The first entry is the member: its local header at 0, its name from byte 30.
            let name = Array(member.utf8)
            guard Array(zip[30..<(30 + name.count)]) == name else { throw CocoaError(.fileReadCorruptFile) }
            zip[30 + name.count - fromEnd] = UInt8(ascii: "x")
            return zip
        }
    }

    /// Cut in half, in every format. A zip is read from its central directory at the end, and the
    /// one bzip2 block holds the whole tar: both fail before any member starts (member null).
    static let truncated: [HostileArchive] =
        [
            (ArchiveWriter.Format.zip, nil), (.tar, member), (.tarGzip, member), (.tarXz, member), (.tarBzip2, nil),
        ].map { format, member in
            one("2024-02-01_cut.\(format.rawValue)", "corrupt-archive", member: member) { scratch in
                let bytes = try scratch.archive(entries, format)
                return Array(bytes[..<(bytes.count / 2)])
            }
        } + [
            one("2024-02-01_cut.csv.gz", "corrupt-archive", member: "2024-02-01_cut.csv", detail: "truncated") {
                scratch in
                let bytes = try scratch.compressed(transactions, .gzip)
                return Array(bytes[..<(bytes.count / 2)])
            }
        ]

    /// One bit flipped inside the compressed data of the only member. Deflate in a .tar.gz and
    /// bzip2 decode the damage into other bytes without complaint; the stream's CRC catches it at
    /// the end, after the member (member null). Nothing of the archive counts either way.
    static let flipped: [HostileArchive] =
        [
            (ArchiveWriter.Format.zip, member), (.tarGzip, nil), (.tarXz, member), (.tarBzip2, nil),
        ].map { format, member in
            one("2024-02-01_flip.\(format.rawValue)", "corrupt-archive", member: member) { scratch in
                let bytes = try scratch.archive(entries, format)
                return flipped(bytes, at: bytes.count / 2)
            }
        } + [
            one("2024-02-01_flip.csv.gz", "corrupt-archive", member: "2024-02-01_flip.csv") { scratch in
                let bytes = try scratch.compressed(transactions, .gzip)
                return flipped(bytes, at: bytes.count / 2)
            },
            // A plain tar: a flipped byte in the member's header breaks its checksum.
            one("2024-02-01_flip-header.tar", "corrupt-archive", member: nil) { scratch in
                let tar = try scratch.archive(entries + [.init(path: "grdp.csv", text: "year,grdp\n2023,1\n")], .tar)
                // The second header starts with the member's name.
                let name = Array("grdp.csv".utf8)
                guard
                    let at = (0..<(tar.count - name.count)).first(where: { Array(tar[$0..<($0 + name.count)]) == name })
                else { throw CocoaError(.fileReadCorruptFile) }
                return flipped(tar, at: at + 1, mask: 0x01)
            },
        ]

    /// Faults of the compressed stream as a whole.
    static let streams: [HostileArchive] = [
        one("2024-02-01_crc.tar.gz", "corrupt-archive", member: nil, detail: "incorrect data check") { scratch in
            let bytes = try scratch.archive(entries, .tarGzip)
            return flipped(bytes, at: bytes.count - 8, mask: 0x01)
        },
        one("2024-02-01_isize.tar.gz", "corrupt-archive", member: nil, detail: "incorrect length check") {
            scratch in
            let bytes = try scratch.archive(entries, .tarGzip)
            return flipped(bytes, at: bytes.count - 2, mask: 0x01)
        },
        one("2024-02-01_crc.csv.gz", "corrupt-archive", member: "2024-02-01_crc.csv") { scratch in
            let bytes = try scratch.compressed(transactions, .gzip)
            return flipped(bytes, at: bytes.count - 6, mask: 0x01)
        },
        one("2024-02-01_garbage.tar.gz", "corrupt-archive", member: nil) { scratch in
            try scratch.archive(entries, .tarGzip) + Array("garbage".utf8)
        },
        one("2024-02-01_zeros.tar.xz", "corrupt-archive", member: nil) { scratch in
            try scratch.archive(entries, .tarXz) + [UInt8](repeating: 0, count: 512)
        },
        // libarchive writes each deflated zip entry's CRC and sizes after its data (a data
        // descriptor); its seekable reader checks the data against the central directory only.
        one("2024-02-01_descriptor-crc.zip", "corrupt-archive", member: member, detail: "data descriptor says CRC") {
            scratch in
            let bytes = try scratch.archive(entries, .zip)
            return flipped(bytes, at: try descriptor(in: bytes) + 4, mask: 0x01)
        },
        one("2024-02-01_descriptor-size.zip", "corrupt-archive", member: member, detail: "uncompressed") { scratch in
            let bytes = try scratch.archive(entries, .zip)
            return flipped(bytes, at: try descriptor(in: bytes) + 12, mask: 0x01)
        },
        one("2024-02-01_garbage.zip", "corrupt-archive", member: nil) { scratch in
            try scratch.archive(entries, .zip) + Array("trailer".utf8)
        },
        one("2024-02-01_concatenated.tar.gz", "corrupt-archive", member: nil, detail: "end-of-archive") { scratch in
            try scratch.archive(entries, .tarGzip)
                + scratch.archive([.init(path: "grdp.csv", text: "year,grdp\n2023,1\n")], .tarGzip)
        },
        one("2024-02-01_not-an-archive.zip", "corrupt-archive", member: nil) { _ in transactions },
        one("2024-02-01_empty.zip", "empty-archive", member: nil) { _ in [] },
        one("2024-02-01_empty.tar.gz", "empty-archive", member: nil) { _ in [] },
        one("2024-02-01_encrypted.zip", "corrupt-archive", member: member, detail: "encrypted") { scratch in
            try scratch.archive(entries, .zip, passphrase: "secret")
        },
        // A member shorter than its header says.
        one("2024-02-01_short.tar", "corrupt-archive", member: member) { scratch in
            let tar = try scratch.archive(entries, .tar)
            return Array(tar[..<(512 + 1000)])
        },
        // A valid archive whose .sha256 sidecar does not match.
        HostileArchive(
            name: "2024-02-01_checked.tar.gz", reason: "corrupt-archive", member: nil, detail: "does not match",
            files: { scratch in
                let bytes = try scratch.archive(entries, .tarGzip)
                return [
                    ("2024-02-01_checked.tar.gz", bytes),
                    ("2024-02-01_checked.tar.gz.sha256", Array((String(repeating: "ab", count: 32) + "  x\n").utf8)),
                ]
            }),
        // A bomb: 8 MiB of one digit; the ratio limit stops it after a few MiB.
        one("2024-02-01_bomb.tar.gz", "compression-ratio", member: "zeros.csv") { scratch in
            let tar = try scratch.archive(
                [.init(path: "zeros.csv", data: [UInt8](repeating: 0x30, count: 8 << 20))], .tar)
            return try scratch.compressed(tar, .gzip)
        },
        // Over a small member limit set in the config.
        one(
            "2024-02-01_large.zip", "member-too-large", member: member,
            config: "limits:\n  max_member_bytes: 100000\n"
        ) { scratch in try scratch.archive(entries, .zip) },
    ]

    /// Member paths that escape the archive.
    static let paths: [HostileArchive] =
        [
            ("dotdot", "../enterprise.csv", ArchiveWriter.Format.tarGzip),
            ("dotdot-inner", "data/../../grdp.csv", .zip),
            ("absolute", "/etc/enterprise.csv", .tar),
            ("backslash", "..\\..\\enterprise.csv", .tar),
            ("backslash-root", "\\enterprise.csv", .tarXz),
            ("drive", "C:/returns/enterprise.csv", .zip),
            ("drive-backslash", "c:\\enterprise.csv", .tarBzip2),
        ].map { label, path, format in
            one("2024-02-01_\(label).\(format.rawValue)", "unsafe-member-path", member: path) { scratch in
                try scratch.archive(entries + [.init(path: path, text: "tax_code,year,vsic,value_added\n")], format)
            }
        } + [
            // libarchive reads a zip's `\\` as `/` (zips made on Windows): the report names the member so.
            one("2024-02-01_backslash.zip", "unsafe-member-path", member: "../../enterprise.csv") { scratch in
                try scratch.archive(entries + [.init(path: "..\\..\\enterprise.csv", text: "tax_code\n")], .zip)
            },
            // Whatever the entry's type: a symlink with an unsafe path too.
            one("2024-02-01_dotdot-link.tar", "unsafe-member-path", member: "../grdp.csv") { scratch in
                try scratch.archive(entries + [.init(path: "../grdp.csv", kind: .symlink(target: "x"))], .tar)
            },
        ]

    /// Duplicates, nothing to read.
    static let members: [HostileArchive] = [
        one("2024-02-01_duplicate.zip", "duplicate-member", member: member) { scratch in
            try scratch.archive(entries + entries, .zip)
        },
        one("2024-02-01_duplicate.tar.gz", "duplicate-member", member: "grdp.csv") { scratch in
            let grdp = ArchiveWriter.Entry(path: "grdp.csv", text: "year,grdp\n2023,1\n")
            return try scratch.archive([grdp] + entries + [grdp], .tarGzip)
        },
        one("2024-02-01_no-data.zip", "empty-archive", member: nil) { scratch in
            try scratch.archive(
                [.init(path: "README.txt", text: "nothing here\n"), .init(path: "notes.csv", text: "a\n1\n")], .zip)
        },
        // A zip of no entries at all, only its end record (zipping an empty folder gives it):
        // libarchive does not recognise it, yet it is empty, not corrupt.
        one("2024-02-01_no-entries.zip", "empty-archive", member: nil) { _ in
            [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18)
        },
        // The same end record counting one entry in its empty central directory.
        one("2024-02-01_entries-missing.zip", "corrupt-archive", member: nil, detail: "empty central directory") { _ in
            [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0] + [UInt8](repeating: 0, count: 10)
        },
        one("2024-02-01_only-dirs.tar", "empty-archive", member: nil) { scratch in
            try scratch.archive([.init(path: "data/", kind: .directory)], .tar)
        },
        // Rows over the default max_quarantine_ratio (0.01): 2 of 3 rows bad, the first on line 3.
        one("2024-02-01_ratio.zip", "quarantine-ratio", member: "enterprise.csv", line: 3) { scratch in
            try scratch.archive(
                [
                    .init(
                        path: "enterprise.csv",
                        text: "tax_code,year,vsic,value_added\n0100109106,2023,62010,1500\n0100109107,2023,62010,1\n"
                            + "\n0100109106,20x3,62010,1\n")
                ], .zip)
        },
    ]

    /// `bytes` with the first `amount` in them made `amounu`: a one-bit fault in a member's header
    /// line, which then lacks a required column.
    static func garbled(_ bytes: [UInt8]) throws -> [UInt8] {
        let word = Array("amount".utf8)
        guard let at = (0..<(bytes.count - word.count)).first(where: { Array(bytes[$0..<($0 + word.count)]) == word })
        else { throw CocoaError(.fileReadCorruptFile) }
        return flipped(bytes, at: at + 5, mask: 0x01)
    }

    /// A header garbled in transit, which the archive's checksum catches only at the member's or
    /// the stream's end: reported as the damage it is (`corrupt-archive`), not as the missing
    /// column it looks like, which would send the operator to fix a column name (the archive
    /// mutation campaign, F2). And two faults in member order: the first one said.
    static let garbledHeaders: [HostileArchive] = [
        // A stored zip entry: its CRC, in the directory, is the sound data's.
        one("2024-02-01_garbled-stored.zip", "corrupt-archive", member: member, detail: "CRC") { _ in
            try garbled(StoredZip.bytes([(member, transactions)], descriptor: .none))
        },
        // A gzip stream of the garbled bytes, ending with the sound bytes' CRC-32 and length (named
        // so that its member is read as transactions).
        one(
            "transactions_garbled.csv.gz", "corrupt-archive", member: "transactions_garbled.csv",
            detail: "incorrect data check"
        ) { scratch in
            let sound = try scratch.compressed(transactions, .gzip)
            return Array(try scratch.compressed(garbled(transactions), .gzip).dropLast(8)) + sound.suffix(8)
        },
        // The same of a tar: the fault is found after every member (member null).
        one("2024-02-01_garbled.tar.gz", "corrupt-archive", member: nil, detail: "incorrect data check") { scratch in
            let tar = try scratch.archive(entries + [.init(path: "grdp.csv", text: "year,grdp\n2023,1\n")], .tar)
            let sound = try scratch.compressed(tar, .gzip)
            return Array(try scratch.compressed(garbled(tar), .gzip).dropLast(8)) + sound.suffix(8)
        },
        // A sound archive whose first member's header is refused and whose second is over the
        // member limit: the header, first in member order, is what the report names.
        one(
            "2024-02-01_header-then-large.tar.gz", "header-error", member: "grdp.csv", detail: "'grdp'",
            config: "limits:\n  max_member_bytes: 100000\n", kind: "grdp"
        ) { scratch in
            try scratch.archive([.init(path: "grdp.csv", text: "year,gdp\n2023,1\n")] + entries, .tarGzip)
        },
    ]

    /// Headers that cannot be mapped.
    static let headers: [HostileArchive] = [
        one(
            "2024-02-01_missing-column.zip", "header-error", member: "transactions.csv", detail: "'amount'",
            kind: "transaction"
        ) { scratch in
            try scratch.archive(
                [.init(path: "transactions.csv", text: "transaction_id,date,status\nT1,2023-01-01,completed\n")], .zip)
        },
        one(
            "2024-02-01_alias-twice.tar.gz", "header-error", member: "enterprise.csv",
            detail: "'tax_code' (as 'tax_code', 'MST')", inputs: "  columns:\n    enterprise: {tax_code: [\"mst\"]}\n",
            kind: "enterprise"
        ) { scratch in
            try scratch.archive(
                [
                    .init(
                        path: "enterprise.csv", text: "tax_code,year,vsic,value_added,MST\n0100109106,2023,62010,1,x\n")
                ],
                .tarGzip)
        },
        one("2024-02-01_twice.zip", "header-error", member: "grdp.csv", detail: "'year'", kind: "grdp") { scratch in
            try scratch.archive([.init(path: "grdp.csv", text: "Year,grdp, YEAR \n2023,1,2023\n")], .zip)
        },
        one("2024-02-01_no-header.zip", "header-error", member: "grdp.csv", kind: "grdp") { scratch in
            try scratch.archive([.init(path: "grdp.csv", text: "\n  \n\n")], .zip)
        },
        // A return of orders that the config's patterns send to the enterprise kind: its refused
        // header says which kind it was read as.
        one(
            "2024-02-01_misrouted.zip", "header-error", member: "tmdt_don_hang.csv", detail: "'tax_code'",
            inputs: "  kinds:\n    enterprise: [\"enterprise*.csv\", \"tmdt*.csv\"]\n", kind: "enterprise"
        ) { scratch in
            try scratch.archive(
                [
                    .init(
                        path: "tmdt_don_hang.csv",
                        text: "transaction_id,date,amount,status\nT1,2023-01-01,100,completed\n")
                ], .zip)
        },
    ]
}

/// A data member with hostile rows, and the quarantine it must yield (CONTRACT §4).
struct HostileRows: Sendable, CustomTestStringConvertible {
    var name: String
    var member: String
    var bytes: [UInt8]
    /// Lines to add under `inputs:`.
    var inputs: String? = nil
    /// A plain tar for members that compress past the ratio limit (ten million `9`s).
    var format = ArchiveWriter.Format.tarGzip
    var quarantined: [Quarantined]
    var accepted: Int
    var detail: String? = nil

    var testDescription: String { name }

    static let transactionHeader = "transaction_id,date,amount,status,channel\n"
    static let good = "T0,2023-06-01,100000,completed,marketplace\n"

    static func transactions(
        _ name: String, _ text: String, accepted: Int, _ quarantined: [(Int, String)],
        detail: String? = nil
    ) -> HostileRows {
        HostileRows(
            name: name, member: "transactions.csv", bytes: Array((transactionHeader + good + text).utf8),
            quarantined: quarantined.map { Quarantined(line: $0.0, reason: $0.1) }, accepted: accepted, detail: detail)
    }

    static let all: [HostileRows] = [
        // Line 3 opens a quote that never closes: the record runs to the end of the member.
        transactions(
            "unterminated quote", "T1,2023-06-01,5,completed,\"market\nT2,2023-06-01,5,completed,web\n", accepted: 1,
            [(3, "field-count")]),
        // A quote inside an unquoted cell is a literal: the amount is not a number.
        transactions(
            "stray quotes",
            "T1,2023-06-01,1\"00,completed,web\n\"T2\"x,2023-06-01,5,completed,web\nT3,\"2023-06-01\"\",5,completed,web\n",
            accepted: 2, [(3, "type-error"), (5, "field-count")]),
        HostileRows(
            name: "NUL bytes", member: "transactions.csv",
            bytes: Array((transactionHeader + good).utf8) + Array("T1,2023-06-01,1".utf8) + [0]
                + Array("0,completed,web\nT2\0,2023-06-\0,5,completed,web\n".utf8),
            quarantined: [Quarantined(line: 3, reason: "type-error"), Quarantined(line: 4, reason: "type-error")],
            accepted: 1),
        HostileRows(
            name: "invalid UTF-8", member: "transactions.csv",
            bytes: Array((transactionHeader + good).utf8) + Array("T1,2023-06-01,10,completed,web".utf8)
                + [0xC3, 0x28] + [0x0A] + Array("T2,2023-06-01,10,completed,\"".utf8) + [0xED, 0xA0, 0x80] + [
                    0x22, 0x0A,
                ]
                + Array("T3,2023-06-01,10,completed,caf\u{E9}\n".utf8),
            quarantined: [
                Quarantined(line: 3, reason: "encoding-error"), Quarantined(line: 4, reason: "encoding-error"),
            ],
            accepted: 2),
        // A 10 MB line: one amount of ten million digits (in a plain tar: gzip would squeeze it past
        // the compression-ratio limit, a rejection of its own).
        {
            var rows = transactions(
                "10 MB line",
                "T1,2023-06-01,\(String(repeating: "9", count: 10_000_000)),completed,web\nT2,2023-06-01,1,completed,web\n",
                accepted: 2, [(3, "type-error")], detail: "(10000000 bytes)")
            rows.format = .tar
            return rows
        }(),
        // 100,000 columns in one row, and in a header whose extra columns are unknown.
        transactions(
            "100,000 cells in a row", "T1,2023-06-01,1,completed,web" + String(repeating: ",x", count: 99_995) + "\n",
            accepted: 1, [(3, "field-count")], detail: "100000 cells"),
        HostileRows(
            name: "100,000 columns in the header", member: "transactions.csv",
            bytes: Array(
                ("transaction_id,date,amount,status" + (0..<99_996).map { ",c\($0)" }.joined() + "\n"
                    + "T1,2023-06-01,1,completed" + String(repeating: ",v", count: 99_996) + "\n"
                    + "T2,2023-06-01,1,completed\n").utf8),
            quarantined: [Quarantined(line: 3, reason: "field-count")], accepted: 1),
        // Empty header names and duplicate unknown columns are ignored; their cells still count.
        HostileRows(
            name: "empty and duplicate header names", member: "transactions.csv",
            bytes: Array(
                ",transaction_id,,date,amount,note,status,note,\n,T1,,2023-06-01,5,a,completed,b,\n,T2,,2023-06-01,5,completed\n"
                    .utf8),
            quarantined: [Quarantined(line: 3, reason: "field-count")], accepted: 1),
        // A `;` member decided `vi` by its first decisive value (line 2); the rest must fit vi.
        HostileRows(
            name: "numbers in a vi member", member: "transactions.csv",
            bytes: Array(
                """
                transaction_id;date;amount;status
                T0;2023-06-01;2.500,5;completed
                T1;2023-06-01;1.234,5.6;completed
                T2;2023-06-01;1e5;completed
                T3;2023-06-01;0x10;completed
                T4;2023-06-01;--5;completed
                T5;2023-06-01;1,234,567.89;completed
                T6;2023-06-01;1.234.567,89;completed
                T7;2023-06-01;+5;completed
                T8;2023-06-01;,5;completed
                T9;2023-06-01;5,;completed
                T10;2023-06-01;1.23,4;completed
                T11;2023-06-01;١٢٣;completed
                T12;2023-06-01;1 234 567,5;completed

                """.utf8),
            quarantined: [3, 4, 5, 6, 7, 9, 10, 11, 12, 13].map { Quarantined(line: $0, reason: "type-error") },
            accepted: 3),
        // The same in a member with number_format: vi configured, comma-delimited (quoted values).
        HostileRows(
            name: "numbers with number_format vi", member: "enterprise.csv",
            bytes: Array(
                """
                tax_code,year,vsic,value_added
                0100109106,2023,62010,"1.500,25"
                0100109106,2024,62010,"1,234,567.89"
                0100109106,2025,62010,1e5
                0100109106,2026,62010,0x10
                0100109106,2027,62010,--5
                0100109106,2028,62010,"1.234,5.6"
                0100109106,2029,62010,1.234

                """.utf8),
            inputs: "  number_format: vi\n",
            quarantined: [3, 4, 5, 6, 7].map { Quarantined(line: $0, reason: "type-error") }, accepted: 2),
        transactions(
            "impossible dates",
            """
            T1,31/02/2023,5,completed,web
            T2,2023-13-01,5,completed,web
            T3,29/02/2023,5,completed,web
            T4,29/02/2024,5,completed,web
            T5,2023-02-29,5,completed,web
            T6,2023-06-01T24:00,5,completed,web
            T7,2023-06-01T10:00+07,5,completed,web
            T8,0/1/2023,5,completed,web
            T9,2023-6-1,5,completed,web
            T10,2023-06-01T23:59:59.123456789-12:30,5,completed,web

            """, accepted: 3,
            [
                (3, "type-error"), (4, "type-error"), (5, "type-error"), (7, "type-error"), (8, "type-error"),
                (9, "type-error"), (10, "type-error"), (11, "type-error"),
            ], detail: "'31/02/2023'"),
        // Physical lines: a quoted cell with line breaks and blank lines before the faults.
        transactions(
            "line numbers after multi-line cells",
            "T1,2023-06-01,5,completed,\"market\nplace\r\n\"\n\n   \nT2,2023-06-01,x,completed,web\r\nT3,2023-06-01,5\n",
            accepted: 2, [(8, "type-error"), (9, "field-count")]),
    ]
}

enum ZipDescriptor: Sendable { case none, unsigned }

/// A zip of stored (uncompressed) entries, each with flag bit 3, written byte by byte: the forms of
/// data descriptor that ArchiveWriter (libarchive) never writes.
enum StoredZip {
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bytes(_ entries: [(path: String, data: [UInt8])], descriptor: ZipDescriptor) -> [UInt8] {
        func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
        func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        var file: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let name = Array(entry.path.utf8)
            let crc = crc32(entry.data)
            let size = UInt32(entry.data.count)
            let offset = UInt32(file.count)
            // Local header: version 20, flag bit 3, method 0 (stored), the sizes given here too.
            file += le32(0x0403_4B50) + le16(20) + le16(0x8) + le16(0) + le16(0) + le16(0x21)
            file += le32(crc) + le32(size) + le32(size) + le16(name.count) + le16(0) + name + entry.data
            if descriptor == .unsigned { file += le32(crc) + le32(size) + le32(size) }
            central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0x8) + le16(0) + le16(0) + le16(0x21)
            central += le32(crc) + le32(size) + le32(size) + le16(name.count) + le16(0) + le16(0)
            central += le16(0) + le16(0) + le32(entry.path.hasSuffix("/") ? 0x10 : 0) + le32(offset) + name
        }
        let directoryOffset = UInt32(file.count)
        file += central
        file += le32(0x0605_4B50) + le16(0) + le16(0) + le16(entries.count) + le16(entries.count)
        file += le32(UInt32(central.count)) + le32(directoryOffset) + le16(0)
        return file
    }
}
