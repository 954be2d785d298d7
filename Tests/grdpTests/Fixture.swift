import Foundation
import GRDPCore
import Testing

/// A temporary working folder with returns, a pipeline.yml and outputs, for runs of the real binary.
struct Fixture {
    let root: URL
    var returns: URL { root.appendingPathComponent("returns") }
    var outputs: URL { root.appendingPathComponent("Outputs") }
    var snapshots: URL { outputs.appendingPathComponent("snapshots") }
    var reports: URL { outputs.appendingPathComponent("reports") }
    var config: URL { root.appendingPathComponent("pipeline.yml") }
    /// Added to this process's environment for every run of `grdp` (`GRDP_LEDGER`, say).
    var environment: [String: String] = [:]

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: returns, withIntermediateDirectories: true)
        try Fixture.pipelineYAML.write(to: config, atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// Publishes v0001 holding only `rows` quarantined rows (of `a.zip`, `m.csv`, line `line(i)`),
    /// each detail ~`padding` characters: a large quarantine, without reading returns for it.
    func publishQuarantine(rows: Int, padding: Int, line: (Int) -> Int) throws {
        var content = SnapshotContent()
        content.quarantine = (0..<rows).map { index in
            QuarantineRow(
                archivePath: "a.zip", memberPath: "m.csv", line: line(index), kind: "transaction",
                reason: "type-error", detail: "amount \(index) " + String(repeating: "x", count: padding), raw: "")
        }
        _ = try SnapshotStore(folder: snapshots).publish(
            content,
            meta: SnapshotMetaDraft(
                createdAt: "2026-12-02T00:00:00Z", toolVersion: "test", configSHA256: String(repeating: "0", count: 64),
                parentVersion: nil, command: "test"),
            skipIfHashEquals: nil)
    }

    /// A fixture whose first return (`a.zip`) a `run` has published as v0001.
    static func withFirstReturnPublished() throws -> Fixture {
        let fixture = try Fixture()
        try fixture.write(Fixture.firstReturn, format: .zip, as: "a.zip")
        let run = try fixture.grdp("run")
        #expect(run.status == 0, "\(run.stderr)")
        return fixture
    }

    func write(_ entries: [ArchiveWriter.Entry], format: ArchiveWriter.Format, as name: String) throws {
        let url = returns.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try ArchiveWriter.write(entries, format: format, to: url)
    }

    /// The object a sealed cache file holds (`cache/last-run.json`, `cache/archive-digests.json`:
    /// a line of JSON, then a line with its SHA-256), read without checking the seal.
    func sealedObject(at url: URL) throws -> [String: Any] {
        let body = try #require(try Data(contentsOf: url).split(separator: UInt8(ascii: "\n")).first)
        return try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
    }

    /// Writes `object` to `url` sealed as grdp seals its cache files: a file that checks out,
    /// whatever it says. With `keepingSeal`, the seal `url` had before: an edit that does not.
    func writeSealed(_ object: [String: Any], to url: URL, keepingSeal: Bool = false) throws {
        var seal: Data?
        if keepingSeal {
            let lines = try Data(contentsOf: url).split(separator: UInt8(ascii: "\n"))
            seal = Data(try #require(lines.last))
        }
        let body = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        try body.write(to: url)
        if let seal {
            try (body + Data("\n".utf8) + seal + Data("\n".utf8)).write(to: url)
            return
        }
        let checksum = try Execution.run(
            ["-c", "sha256sum '\(url.path)' | cut -c1-64"], in: root, executable: "/bin/sh")
        try #require(checksum.status == 0 && checksum.stdout.count == 65, "\(checksum.stderr)")
        try (body + Data("\n".utf8) + Data(checksum.stdout.utf8)).write(to: url)
    }

    func snapshotFiles() throws -> [String] {
        guard FileManager.default.fileExists(atPath: snapshots.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: snapshots.path).sorted()
    }

    /// `yaml` with `old` replaced by `new`, written as the fixture's pipeline.yml and returned; the
    /// edit must change it (a test whose edit matched nothing would test the unedited config).
    @discardableResult
    func editConfig(
        _ yaml: String = Fixture.pipelineYAML, replacing old: String, with new: String,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws -> String {
        let edited = yaml.replacingOccurrences(of: old, with: new)
        #expect(edited != yaml, "'\(old)' is not in the config", sourceLocation: sourceLocation)
        try edited.write(to: config, atomically: true, encoding: .utf8)
        return edited
    }

    /// The reports written so far, oldest first, parsed.
    func reportsWritten() throws -> [[String: Any]] {
        guard FileManager.default.fileExists(atPath: reports.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: reports.path).sorted().map {
            let data = try Data(contentsOf: reports.appendingPathComponent($0))
            return try JSONSerialization.jsonObject(with: data) as! [String: Any]
        }
    }

    /// Runs the built `grdp` in the fixture's folder.
    /// The content hash `run --force` (with `environment` added) gives over a copy of the outputs,
    /// which are then put back as they were: what a night's snapshot must have. Nil when that run
    /// fails.
    func contentHashFromScratch(environment: [String: String] = [:]) throws -> String? {
        try fromScratch(environment: environment).hash
    }

    /// `run --force`'s content hash, as `contentHashFromScratch`, and the sales rows' digests it
    /// recorded for the next run (`last-run.json`'s `sales`, as JSON; nil when none).
    func fromScratch(environment: [String: String] = [:]) throws -> (hash: String?, salesDigests: NSDictionary?) {
        let kept = root.appendingPathComponent("kept")
        try FileManager.default.copyItem(at: outputs, to: kept)
        let forced = try grdp(["run", "--force"], environment: environment)
        let hash = forced.status == 0 ? try reportsWritten().last?["content_sha256"] as? String : nil
        let digests = forced.status == 0 ? try recordedSalesDigests() : nil
        try FileManager.default.removeItem(at: outputs)
        try FileManager.default.moveItem(at: kept, to: outputs)
        return (hash, digests)
    }

    /// The sales rows' digests the last run recorded for the next (`last-run.json`'s `sales`).
    func recordedSalesDigests() throws -> NSDictionary? {
        let url = outputs.appendingPathComponent("cache/last-run.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try sealedObject(at: url)["sales"] as? NSDictionary
    }

    func grdp(_ arguments: String...) throws -> Execution {
        try Execution.run(arguments, in: root, environment: environment)
    }

    /// With `environment` added to this process's, and `standardOutput` or `standardError`, when
    /// given, as the child's stdout or stderr (`/dev/full`, a pipe nobody reads) instead of a
    /// captured file: what goes there is not captured (`""`).
    func grdp(
        _ arguments: [String], environment: [String: String] = [:], standardOutput: FileHandle? = nil,
        standardError: FileHandle? = nil
    ) throws -> Execution {
        try Execution.run(
            arguments, in: root, environment: self.environment.merging(environment) { $1 },
            standardOutput: standardOutput, standardError: standardError)
    }

    /// `grdp run`, which must publish or find the figures up to date, then the target-vs-actual
    /// table as `grdp export --format csv` prints it.
    func runThenExportCSV() throws -> String {
        let run = try grdp("run")
        try #require(run.status == 0, "\(run.stderr)")
        let export = try grdp("export", "--format", "csv", "--output", "-")
        try #require(export.status == 0, "\(export.stderr)")
        return export.stdout
    }

    static let pipelineYAML = """
        version: 1
        region:
          code: "67"
          name: "Đắk Nông"
          utc_offset: "+07:00"
          districts: {"660": "Gia Nghĩa", "663": "Đắk Mil"}
        inputs:
          returns: returns
        outputs:
          folder: Outputs
          exports:
            - {table: target-vs-actual, format: csv}
        methodology:
          ecommerce:
            va_ratio_default: 0.10
            va_ratio_by_channel: {marketplace: 0.08, website: 0.12}
          digitised_coefficients: {G: 0.05}
        targets:
          points:
            - {year: 2020, share_pct: 1.64, source: "baseline"}
            - {year: 2025, share_pct: 20.0, source: "Decision 411/QĐ-TTg"}
            - {year: 2030, share_pct: 30.0, source: "Decision 411/QĐ-TTg"}

        """

    /// The first return: an ICT-core firm and a retailer, four transactions, GRDP at two price bases.
    static let firstReturn: [ArchiveWriter.Entry] = [
        .init(
            path: "enterprise.csv",
            text: """
                tax_code,year,vsic,value_added,name,district_code
                0100109106,2023,62010,1500,Công ty Phần mềm Gia Nghĩa,660
                0101243150,2023,4711,2000,Cửa hàng Bách hóa Đắk Mil,663

                """),
        .init(
            path: "data/transactions.csv",
            text: """
                transaction_id,date,amount,status,channel,seller_tax_code,seller_province
                T1,2023-06-01,100000000,completed,marketplace,0101243150,67
                T2,15/07/2023,50000000,Completed,Website,,67
                T3,2023-12-31T20:00:00Z,10000000,completed,marketplace,,67
                T4,2023-05-05,999,completed,marketplace,,79

                """),
        .init(
            path: "grdp.csv",
            text: """
                year,grdp,province_code,price_basis
                2023,51000,67,current
                2023,24000,67,constant-2010
                2024,55700,67,

                """),
    ]

    /// A later revision, in the Vietnamese convention: the retailer's 2023 value added becomes 2,500.5.
    static let revision: [ArchiveWriter.Entry] = [
        .init(
            path: "enterprise_rev.csv",
            text: "tax_code;year;vsic;value_added;name\r\n0101243150;2023;G4711;2.500,5;Cửa hàng Bách hóa Đắk Mil\r\n")
    ]
}

/// One finished run of the binary.
struct Execution {
    var status: Int32
    var stdout: String
    var stderr: String

    static var binary: URL {
        // The test bundle sits beside the products in .build/<config>/.
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("grdp")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/grdp")
    }

    /// The package's folder (this file is Tests/grdpTests/Fixture.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func run(
        _ arguments: [String], in folder: URL, environment: [String: String] = [:],
        standardOutput: FileHandle? = nil, standardError: FileHandle? = nil, executable: String? = nil
    ) throws -> Execution {
        let process = Process()
        process.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.currentDirectoryURL = folder
        // Files, not pipes: neither stream can fill up and block the child.
        let outURL = folder.appendingPathComponent(".stdout-\(UUID().uuidString)")
        let errURL = folder.appendingPathComponent(".stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = standardOutput ?? out
        process.standardError = standardError ?? err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let outData = try Data(contentsOf: outURL)
        let errData = try Data(contentsOf: errURL)
        return Execution(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}
