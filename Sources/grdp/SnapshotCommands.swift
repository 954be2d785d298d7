import ArgumentParser
import Foundation
import GRDPCore
import Logging

struct SnapshotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots", abstract: "List the snapshots: version, created_at, command, years, latest share.")

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        _ = global.makeLogger()
        let config = try global.loadConfig()
        let store = SnapshotStore(folder: config.snapshotsFolder)
        var rows: [JSONValue] = []
        var lines = ["version  created_at            years      latest share  status     command"]
        for version in try store.versions() {
            let file = try store.open(version: version)
            let content = try file.loadContent()
            let years = content.indicators.map(\.year)
            let latest = content.indicators.last { $0.sharePct != nil }
            let range = years.isEmpty ? "" : "\(years.first!)–\(years.last!)"
            let share = latest.map { "\($0.sharePct!.formatted(decimals: 4)) % (\($0.year))" } ?? ""
            rows.append(
                .object([
                    ("version", .string(SnapshotMeta.label(version))), ("created_at", .string(file.meta.createdAt)),
                    ("command", .string(file.meta.command)), ("years", .array(years.map { .int($0) })),
                    ("latest_year", latest.map { .int($0.year) } ?? .null),
                    ("latest_share_pct", latest?.sharePct.map { .number($0.formatted(decimals: 4)) } ?? .null),
                    ("latest_status", latest.map { .string($0.status.rawValue) } ?? .null),
                    ("content_sha256", .string(file.meta.contentSHA256)),
                ]))
            lines.append(
                [
                    SnapshotMeta.label(version).padding(toLength: 8, withPad: " ", startingAt: 0),
                    file.meta.createdAt.padding(toLength: 21, withPad: " ", startingAt: 0),
                    range.padding(toLength: 10, withPad: " ", startingAt: 0),
                    share.padding(toLength: 13, withPad: " ", startingAt: 0),
                    (latest?.status.rawValue ?? "").padding(toLength: 10, withPad: " ", startingAt: 0),
                    file.meta.command,
                ].joined(separator: " "))
        }
        if json {
            print(JSONValue.array(rows).serialized(pretty: true))
        } else {
            print(rows.isEmpty ? "No snapshots yet in \(store.folder.path)." : lines.joined(separator: "\n"))
        }
    }
}

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare the indicators of two snapshots, year by year and column by column.",
        discussion: "Exits 0 whether or not they differ. Example: grdp diff v0003 v0004")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The older snapshot.", valueName: "vA")) var from: String
    @Argument(help: ArgumentHelp("The newer snapshot.", valueName: "vB")) var to: String

    @Option(name: .long, help: "text, csv or json.")
    var format: DiffFormat = .text

    enum DiffFormat: String, ExpressibleByArgument, CaseIterable {
        case text, csv, json
    }

    func run() throws {
        _ = global.makeLogger()
        let config = try global.loadConfig()
        let store = SnapshotStore(folder: config.snapshotsFolder)
        let a = try store.open(version: try SnapshotSelection.resolve(from, in: store))
        let b = try store.open(version: try SnapshotSelection.resolve(to, in: store))
        let diff = SnapshotDiff(from: a.meta, fromContent: try a.loadContent(), to: b.meta, toContent: try b.loadContent())
        switch format {
        case .text: print(diff.text(), terminator: "")
        case .csv: print(diff.csv(), terminator: "")
        case .json: print(diff.json().serialized(pretty: true))
        }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a snapshot: integrity, application_id, schema, and its recomputed content hash.",
        discussion: "Exits 0 when every check holds, 65 naming the failing check otherwise. Default: every snapshot.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Snapshot version (default: all).", valueName: "vNNNN")) var version: String?

    func run() throws {
        _ = global.makeLogger()
        let config = try global.loadConfig()
        let store = SnapshotStore(folder: config.snapshotsFolder)
        let versions = try version.map { [try SnapshotSelection.resolve($0, in: store)] } ?? store.versions()
        var failed = false
        for v in versions {
            // The store's verify names the check of a file SQLite cannot open (`[open]`) and checks
            // that the meta's version matches the file name.
            let failures = try store.verify(version: v).map { "\($0)" }
            if failures.isEmpty {
                print("\(SnapshotMeta.label(v)): ok")
            } else {
                failed = true
                for failure in failures { print("\(SnapshotMeta.label(v)): FAILED \(failure)") }
            }
        }
        if failed { throw ExitCode(65) }
    }
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write synthetic returns (archives + a matching pipeline.yml) for demos and benchmarks.",
        discussion: "Same options and seed ⇒ byte-identical files. Example: grdp generate --out /tmp/demo --transactions 100000")

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Folder to write (returns/ and pipeline.yml).", valueName: "dir"))
    var out: String

    @Option(name: .long, help: "Random seed.") var seed: UInt64 = 1
    @Option(name: .long, help: ArgumentHelp("Years, e.g. 2020-2024.", valueName: "A-B")) var years: String = "2020-2024"
    @Option(name: .long, help: "Enterprise records per year.") var enterprises: Int = 400
    @Option(name: .long, help: "E-commerce transactions in all.") var transactions: Int = 20_000
    @Flag(name: .long, help: "Replace returns and pipeline.yml already in the folder.") var force = false

    func run() throws {
        let logger = global.makeLogger()
        let parts = years.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] <= parts[1], parts[0] >= 1990, parts[1] <= 2100 else {
            throw ValidationError("--years takes A-B, e.g. 2020-2024")
        }
        guard enterprises > 0, transactions >= 0 else { throw ValidationError("counts must be positive") }
        var options = ReturnsGenerator.Options()
        options.seed = seed
        options.years = parts[0]...parts[1]
        options.enterprises = enterprises
        options.transactions = transactions
        options.replaceExisting = force
        let summary = try ReturnsGenerator(options: options).write(to: URL(fileURLWithPath: out))
        logger.info("Generated synthetic returns", metadata: ["out": "\(out)", "summary": "\(summary)"])
    }
}
