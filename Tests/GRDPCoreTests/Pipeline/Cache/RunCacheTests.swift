import Foundation
import Testing

@testable import GRDPCore

/// `last-run.json` as written and read back: sealed (`SealedJSON`), and its `ingest` decoded only
/// when asked for (`DeferredIngest.whole`), what a run that reads archives takes from it (the outline)
/// decoded at once.
@Suite struct RunCacheTests {
    let folder: TemporaryFolder

    init() throws {
        folder = try TemporaryFolder()
    }

    private var url: URL { folder.url.appendingPathComponent(RunCache.fileName) }

    /// Two accepted archives: transactions (400 and 25 rows accepted) beside enterprise records (7),
    /// and a member with counts by reason and a first quarantined row.
    private static func ingest() -> IngestResult {
        var transactions = GRDPCore.MemberResult(path: "transactions.csv", kind: .transaction)
        transactions.rowsRead = 410
        transactions.rowsAccepted = 400
        transactions.rowsExcluded = 10
        transactions.excludedByReason = ["seller_province '01' is not the region's (67)": 10]
        var enterprises = GRDPCore.MemberResult(path: "enterprise.csv", kind: .enterprise)
        enterprises.rowsRead = 7
        enterprises.rowsAccepted = 7
        var revised = GRDPCore.MemberResult(path: "transactions_revised.csv", kind: .transaction)
        revised.rowsRead = 26
        revised.rowsAccepted = 25
        revised.quarantine = [
            QuarantineEntry(
                location: SourceLocation(
                    archivePath: "2024-02-01_b.tar.gz", memberPath: "transactions_revised.csv", line: 9),
                kind: .transaction, reason: .unknownStatus, detail: "status 'Chờ'", raw: "T9,x")
        ]
        return IngestResult(
            archives: [
                ArchiveOutcome(
                    relativePath: "2024-01-10_a.zip", sha256: String(repeating: "a", count: 64), bytes: 1234,
                    status: .accepted, members: [enterprises, transactions], skipped: []),
                ArchiveOutcome(
                    relativePath: "2024-02-01_b.tar.gz", sha256: String(repeating: "b", count: 64), bytes: 567,
                    status: .accepted, members: [revised], skipped: []),
            ], ignoredFiles: ["README.txt"], unpackSeconds: 0.5, normalizeSeconds: 0.25)
    }

    private static func json(_ ingest: IngestResult?) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(ingest), as: UTF8.self)
    }

    @Test func theOutlineIsReadAtOnceAndTheIngestWhenAskedFor() throws {
        let written = RunCache(
            fingerprint: "F", snapshotVersion: 3, contentSHA256: "C", ingest: DeferredIngest(Self.ingest()),
            ledger: LedgerSize(transactionKeys: 400, transactionGroups: 90))
        try written.write(to: folder.url)

        let read = try #require(RunCache.load(from: folder.url))
        #expect(read.fingerprint == "F" && read.snapshotVersion == 3 && read.contentSHA256 == "C")
        #expect(read.ingest.outline == written.ingest.outline)
        #expect(
            read.ingest.outline.accepted == [
                ArchiveIdentity(relativePath: "2024-01-10_a.zip", sha256: String(repeating: "a", count: 64)),
                ArchiveIdentity(relativePath: "2024-02-01_b.tar.gz", sha256: String(repeating: "b", count: 64)),
            ])
        // Transaction members only: 400 + 25, not the 7 enterprise records.
        #expect(read.ingest.outline.acceptedTransactionRows == 425)
        #expect(read.ledgerHint(inputBytes: 1 << 20) == LedgerSize(transactionKeys: 400, transactionGroups: 90))
        // The ingest decoded from the file is the one written, every part of it.
        #expect(try Self.json(read.ingest.whole) == Self.json(Self.ingest()))
        // A cache read and written again keeps its ingest whole.
        try read.write(to: folder.url)
        #expect(try Self.json(RunCache.load(from: folder.url)?.ingest.whole) == Self.json(Self.ingest()))
    }

    /// The file as JSON (no seal checked), edited by `edit`, written back sealed as grdp seals it.
    private func resealed(_ edit: (inout [String: Any]) throws -> Void) throws {
        let data = try Data(contentsOf: url)
        let body = try #require(data.split(separator: UInt8(ascii: "\n")).first)
        var object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        try edit(&object)
        let edited = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try (edited + Data("\n\(ConfigLoader.hexSHA256(edited))\n".utf8)).write(to: url)
    }

    /// A member's count no run can have, in a file sealed anew, refuses the file, whichever count
    /// it is (their sum would trap, or size the ledger): decoded from the outline, as when the
    /// ingest was decoded whole at once. An ingest sealed anew with nothing to decode where a
    /// member's path was is found out when the ingest is read: a night then reads its archives.
    @Test func aFileSealedAnewWithCountsNoRunCanHaveIsNotUsed() throws {
        func member(_ key: String, to value: Any?) throws {
            try RunCache(
                fingerprint: "F", snapshotVersion: 1, contentSHA256: "C", ingest: DeferredIngest(Self.ingest())
            )
            .write(to: folder.url)
            try resealed { object in
                var ingest = try #require(object["ingest"] as? [String: Any])
                var archives = try #require(ingest["archives"] as? [[String: Any]])
                var members = try #require(archives[1]["members"] as? [[String: Any]])
                members[0][key] = value
                archives[1]["members"] = members
                ingest["archives"] = archives
                object["ingest"] = ingest
            }
        }
        for key in ["rowsAccepted", "rowsRead", "rowsExcluded", "rowsSuperseded"] {
            for value in [Int.max, -1, 1 << 41] {
                try member(key, to: value)
                #expect(RunCache.load(from: folder.url) == nil, "\(key) \(value)")
            }
            try member(key, to: 1 << 40)
            #expect(RunCache.load(from: folder.url) != nil, "\(key)")
        }
        try member("excludedByReason", to: ["seller_province '01' is not the region's (67)": -3])
        #expect(RunCache.load(from: folder.url) == nil)
        // (A dictionary keyed by reason codes is coded as an array: code, count, code, count.)
        try member("quarantineSummary", to: ["count": 1, "byReason": ["unknown-status", 1]])
        let summarized = try #require(RunCache.load(from: folder.url)?.ingest.whole)
        #expect(summarized.archives[1].members[0].rowsQuarantined == 1)
        try member("quarantineSummary", to: ["count": Int.max, "byReason": ["unknown-status", 1]])
        #expect(RunCache.load(from: folder.url) == nil)
        try member("quarantineSummary", to: ["count": 1, "byReason": ["unknown-status", -1]])
        #expect(RunCache.load(from: folder.url) == nil)

        try member("path", to: nil)
        let read = try #require(RunCache.load(from: folder.url))
        #expect(read.ingest.outline.acceptedTransactionRows == 425)
        #expect(read.ingest.whole == nil)
        // Written again, it is not written at all (an empty body would check out): the file
        // stays as it was, and the error names it.
        let before = try Data(contentsOf: url)
        #expect(throws: OutputWriteError.self) { try read.write(to: folder.url) }
        #expect(try Data(contentsOf: url) == before)
    }

    /// A file written by the build before this one (`RunCache`'s coding synthesized, every key the
    /// same) loads whole: its outline, its ingest and the rest.
    @Test func aFileOfThePreviousBuildLoads() throws {
        struct Previous: Encodable {
            var format = 2
            var fingerprint = "F"
            var snapshotVersion = 4
            var contentSHA256 = "C"
            var ingest: IngestResult
            var ledger: LedgerSize? = LedgerSize(transactionKeys: 400, transactionGroups: 3)
            var sales: SalesDigests? = nil
            var contentMarks: ContentHash.Marks? = nil
            var keptGroups: RunCache.KeptGroupsBinding? = nil
            var figuresSHA256: String? = "S"
            var yearSettings: YearSettings? = nil
        }
        try Data(SealedJSON.bytes(of: Previous(ingest: Self.ingest()), for: url)).write(to: url)
        let read = try #require(RunCache.load(from: folder.url))
        #expect(read.snapshotVersion == 4 && read.figuresSHA256 == "S")
        #expect(read.ingest.outline == IngestOutline(Self.ingest()))
        #expect(try Self.json(read.ingest.whole) == Self.json(Self.ingest()))
        #expect(read.ledgerHint(inputBytes: 1 << 20) == LedgerSize(transactionKeys: 400, transactionGroups: 3))
    }
}

/// A sealed cache file: one line of JSON, then a line with its SHA-256. Any other bytes do not
/// check out.
@Suite struct SealedJSONTests {
    let folder: TemporaryFolder

    init() throws {
        folder = try TemporaryFolder()
    }

    private struct Value: Codable, Equatable {
        var name: String
        var counts: [Int]
    }

    @Test func onlyTheBytesSealedAreRead() throws {
        let url = folder.url.appendingPathComponent("sealed.json")
        // A newline inside a text is escaped: the body stays one line.
        let value = Value(name: "Đắk Nông\nline two", counts: [1, 2, 3])
        let bytes = try SealedJSON.bytes(of: value, for: url)
        func read(_ bytes: [UInt8]) throws -> Value? {
            try Data(bytes).write(to: url)
            return SealedJSON.value(Value.self, at: url)
        }
        #expect(try read(bytes) == value)
        let both = try #require(SealedJSON.valueAndBody(Value.self, at: url))
        #expect(both.value == value)
        #expect(try JSONDecoder().decode(Value.self, from: both.body) == value)

        let newline: Int = try #require(bytes.firstIndex(of: UInt8(ascii: "\n")))
        let sealLength = 64 + 1
        #expect(bytes.count == newline + 1 + sealLength)
        // Any byte changed, in the body or its seal.
        let indices: [Int] = [0, newline / 2, newline - 1, newline + 1, bytes.count - 2]
        for index in indices {
            var changed = bytes
            changed[index] ^= 0x01
            #expect(try read(changed) == nil, "byte \(index)")
        }
        // Cut short, or longer: the seal's line must end the file.
        #expect(try read(Array(bytes.dropLast())) == nil)
        #expect(try read(bytes + [UInt8(ascii: "\n")]) == nil)
        #expect(try read(Array(bytes[..<newline])) == nil)
        // The seal in capitals is another line.
        let capitals = Array(String(decoding: bytes[(newline + 1)...], as: UTF8.self).uppercased().utf8)
        #expect(try read(Array(bytes[...newline]) + capitals) == nil)
        #expect(SealedJSON.value(Value.self, at: folder.url.appendingPathComponent("missing")) == nil)
        // Sealed, but not this type.
        #expect(try read(SealedJSON.bytes(of: ["name": 1], for: url)) == nil)
    }
}
