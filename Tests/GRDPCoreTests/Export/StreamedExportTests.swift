import Foundation
import Testing

@testable import GRDPCore

/// `grdp export` writes a snapshot's quarantine as it reads it (`Exporter.write(from:)`), one row
/// at a time in the order SQLite sorts them: the bytes must be those of the export made from the
/// same rows held in memory and sorted in Swift, in every format, however the rows were stored.
@Suite struct StreamedExportTests {
    /// 3,000 quarantined rows over three archives and two members each, stored in a scrambled
    /// order: lines that sort differently as text and as numbers (9 < 10 < 100), two rows on one
    /// line that only the reason and detail order, names in NFD (a Mac's) and in Vietnamese,
    /// texts with quotes, commas, pipes, `<`, `&` and newlines. Their CSV alone is over 256 KiB:
    /// the export is handed on in several pieces.
    static func content() -> SnapshotContent {
        var content = SnapshotFixtures.content()
        let archives = ["2024-03-01_giaphat.zip", "2024-03-01_gia\u{0301}phat.zip", "2025-01-01_Đắk Nông.tar.gz"]
        let members = ["transactions.csv", "doanh nghiệp/enterprises.csv"]
        var rows: [QuarantineRow] = []
        var generator = SplitMix64(seed: 20_261_202)
        for index in 0..<3_000 {
            let archive = archives[index % archives.count]
            let member = members[(index / archives.count) % members.count]
            let line = [9, 10, 100, 2, 1_000_000][index % 5] + index / 30
            let reason = index % 7 == 0 ? "missing-cell" : "type-error"
            let detail =
                index % 11 == 0
                ? "amount '1.234,5 | \"x\", <b>&</b>\nnext' is not a number"
                : index % 13 == 0
                    ? "district 'Đa\u{0306}\u{0301}k \(index)' is unknown"
                    : "date 'row \(generator.next() % 1000)' is not a date"
            rows.append(
                QuarantineRow(
                    archivePath: archive, memberPath: member, line: line, kind: "transaction", reason: reason,
                    detail: detail, raw: "raw \(index)"))
        }
        for _ in rows.indices {
            let a = Int(generator.next() % UInt64(rows.count))
            let b = Int(generator.next() % UInt64(rows.count))
            rows.swapAt(a, b)
        }
        content.quarantine = rows
        return content
    }

    @Test func theQuarantineReadFromTheFileExportsAsTheRowsInMemoryDo() throws {
        let folder = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(folder) }
        let content = Self.content()
        let file = try SnapshotFixtures.publishedFile(content, in: folder)
        for table in ExportTable.allCases {
            for format in ExportFormat.allCases {
                var pieces: [[UInt8]] = []
                try Exporter.write(table, format: format, from: file, years: nil) { pieces.append($0) }
                let expected = try Exporter.render(table, format: format, content: content, meta: file.meta, years: nil)
                #expect(String(decoding: pieces.joined(), as: UTF8.self) == expected, "\(table) \(format)")
                if table == .quarantine {
                    // Published text is NFC: no combining accent is left of the NFD names and details.
                    let scalars = String(decoding: pieces.joined(), as: UTF8.self).unicodeScalars
                    #expect(!scalars.contains("\u{0301}") && !scalars.contains("\u{0306}"), "\(format)")
                    #expect(scalars.contains("\u{1EAF}"), "\(format): ắ precomposed")
                    #expect(pieces.count > 1, "\(format): handed on in pieces")
                    #expect(pieces.dropLast().allSatisfy { $0.count >= ExportText.chunkBytes })
                }
            }
        }
        // The pages' quarantine summary counts every row by reason, read with SQL.
        let html = try Exporter.render(.targetVsActual, format: .html, content: content, meta: file.meta, years: nil)
        #expect(html.contains("<tfoot><tr><th>Total</th><th class=\"num\">3000</th></tr></tfoot>"))
    }

    @Test func theListingIsInTheExportsOrderAndLeavesTheRawLinesUnread() throws {
        let folder = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(folder) }
        let content = Self.content()
        let listing = try SnapshotFixtures.publishedFile(content, in: folder).quarantineListing()
        var listed: [QuarantineRow] = []
        try listing.forEachRow { listed.append($0) }
        #expect(listing.count == 3_000 && listed.count == 3_000)
        #expect(listed.allSatisfy { $0.raw.isEmpty })
        let sorted = content.quarantine.sorted(by: QuarantineListing.printedBefore).map { row in
            var row = row
            row.raw = ""
            return row
        }
        #expect(listed == sorted)
        // A second pass reads the same rows again.
        var again = 0
        try listing.forEachRow { _ in again += 1 }
        #expect(again == 3_000)
    }

    @Test func aFailedExportLeavesTheFileAsItWasAndNoTemporary() throws {
        let folder = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(folder) }
        let path = folder.appendingPathComponent("quarantine.csv").path
        try OutputDestination.write(Array("before\n".utf8), toPath: path)
        struct ReadFailed: Error {}
        #expect(throws: ReadFailed.self) {
            try OutputDestination.write(toPath: path) { deliver in
                try deliver(Array(String(repeating: "x", count: 300_000).utf8))
                throw ReadFailed()
            }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "before\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["quarantine.csv"])
        // Written whole, it replaces the file.
        try OutputDestination.write(toPath: path) { deliver in
            try deliver(Array("a\n".utf8))
            try deliver(Array("b\n".utf8))
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a\nb\n")
    }

    /// The temporary an export is written to has the permission bits of the file it replaces
    /// before its first byte: a file kept from other readers is not readable by them half made.
    @Test func theTemporaryHasTheReplacedFilesPermissionsFromTheStart() throws {
        let folder = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(folder) }
        let path = folder.appendingPathComponent("private.csv").path
        try OutputDestination.write(Array("before\n".utf8), toPath: path)
        try #require(chmod(path, 0o600) == 0)
        var modes: [mode_t] = []
        try OutputDestination.write(toPath: path) { deliver in
            try deliver(Array("first piece\n".utf8))
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".tmp") {
                var status = stat()
                if stat(folder.appendingPathComponent(name).path, &status) == 0 { modes.append(status.st_mode & 0o777) }
            }
            try deliver(Array("second piece\n".utf8))
        }
        #expect(modes == [0o600])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first piece\nsecond piece\n")
    }

    /// A quarantine table that no longer reads is a damaged snapshot for an export of it (CONTRACT
    /// §7: exit 65), as it was when the table was loaded whole: a row whose line is not a number,
    /// met after other rows were handed on, fails the export there and leaves `--output FILE` as it
    /// was; the table gone fails it before a byte, and so does a page that counts its rows.
    @Test func aQuarantineTableThatDoesNotReadIsADamagedSnapshot() throws {
        let folder = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(folder) }
        let published = try SnapshotFixtures.publishedFile(Self.content(), in: folder)
        let path = published.url.path
        func damage(_ statements: String...) throws -> SnapshotFile {
            chmod(path, 0o644)
            for sql in statements {
                let database = try Database(path: path, mode: .create)
                try database.execute(sql)
                database.close()
            }
            return try SnapshotStore(folder: published.url.deletingLastPathComponent()).open(
                version: published.meta.version)
        }
        // Edited by hand: the table made not STRICT, then a line that is not a number. INTEGER
        // sorts before TEXT: the damaged row comes last of its archive and member.
        var file = try damage(
            "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(sql, ') STRICT', ')') "
                + "WHERE name = 'quarantine'; PRAGMA writable_schema = OFF;",
            "UPDATE quarantine SET line = 'x' WHERE rowid = (SELECT rowid FROM quarantine "
                + "ORDER BY archive_path DESC, member_path DESC, line DESC LIMIT 1)")
        let output = folder.appendingPathComponent("quarantine.csv").path
        try OutputDestination.write(Array("before\n".utf8), toPath: output)
        var delivered = 0
        let error = #expect(throws: SnapshotError.self) {
            try OutputDestination.write(toPath: output) { deliver in
                try Exporter.write(.quarantine, format: .json, from: file, years: nil) { bytes in
                    delivered += bytes.count
                    try deliver(bytes)
                }
            }
        }
        #expect(
            error?.code == .damagedSnapshot && error.map(ExitCodes.code(for:)) == 65, "\(String(describing: error))")
        #expect(delivered > 0, "the damaged row is met half way")
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "before\n")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(left.contains("quarantine.csv") && !left.contains { $0.hasSuffix(".tmp") }, "\(left)")

        file = try damage("DROP TABLE quarantine")
        for (table, format) in [(ExportTable.quarantine, ExportFormat.json), (.targetVsActual, .html)] {
            delivered = 0
            let error = #expect(throws: SnapshotError.self) {
                try Exporter.write(table, format: format, from: file, years: nil) { delivered += $0.count }
            }
            #expect(error?.code == .damagedSnapshot, "\(table) \(format)")
            #expect(delivered == 0)
        }
    }
}
