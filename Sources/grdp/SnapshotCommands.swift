import ArgumentParser
import Foundation
import GRDPCore
import Logging

struct SnapshotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots", abstract: "List the snapshots: version, created_at, command, years, latest share.",
        discussion: """
            A snapshot SQLite cannot read, or whose bytes are not those recorded when it was published \
            (<outputs>/cache/published.json), is listed as damaged, with no figure, and the command \
            exits 65 after listing the others. grdp verify tells what is wrong with it. One this user \
            may not open is listed as unreadable and exits 66, as does a snapshots folder that cannot \
            be listed (its permissions, not damage). Exits 0 otherwise, also with none yet.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let logger = global.makeLogger()
        let config = try global.loadConfig()
        let store = SnapshotStore(folder: config.snapshotsFolder)
        // A damaged snapshot is listed as such, after the others are: the list is what tells the
        // operator which one to look at (`grdp verify`). One whose bytes are not those recorded when
        // it was published (edited, bit rot SQLite still reads) shows no figure either; one without a
        // record is listed as it reads (`grdp verify` checks it in full).
        let recorded = logger.recordedChecksums(in: config.cacheFolder, otherwise: "files listed as they read")
        // The versions as listed when each is read: a run beside this reader (which takes no lock,
        // CONTRACT §7) may publish the next and prune one listed (`keep_snapshots`).
        let listed = try store.withVersions { versions in
            try versions.map { version in
                try Self.listed(version, isLatest: version == versions.last, in: store, recorded: recorded)
            }
        }
        let rows = listed.map(\.row)
        let table = [["version", "created_at", "years", "latest share", "status", "command"]] + listed.map(\.line)
        let failures = listed.compactMap(\.failure)
        if let last = listed.last { SnapshotSelection.warnIfLatestIsMissing(last.version, in: store, logger: logger) }
        if json {
            try emit(JSONValue.array(rows).serialized(pretty: true) + "\n")
        } else if rows.isEmpty {
            try emit("No snapshots yet in \(store.folder.path).\n")
        } else {
            try emit(
                Self.aligned(table).joined(separator: "\n")
                    + "\n* latest. Shares are of the latest year with a GRDP row; status against its target.\n")
        }
        if !failures.isEmpty {
            // 65 when one is damaged, else 66 (files this user may not open).
            let code = failures.contains { $0.code == .damagedSnapshot } ? 65 : ExitCodes.code(for: failures[0])
            // As any failure is said (`fail`): a JSON line each with `--log-format json`.
            for error in failures {
                if StderrLogHandler.writesJSON {
                    logger.error("Failed", metadata: ["error": "\(error)", "exit_code": "\(code)"])
                } else {
                    StandardStream.error.writeIgnoringErrors("Error: \(error)\n")
                }
            }
            throw ExitCode(code)
        }
    }

    /// One version's entry in the list: its JSON row, its table line, and, when it shows no figure,
    /// why (damaged, 65; a file this user may not open, unreadable, 66). `missingSnapshot` when it
    /// is gone since it was listed.
    static func listed(
        _ version: Int, isLatest: Bool, in store: SnapshotStore, recorded: [Int: String]
    ) throws -> (version: Int, row: JSONValue, line: [String], failure: SnapshotError?) {
        let label = SnapshotMeta.label(version) + (isLatest ? "*" : "")
        let file: SnapshotFile
        let indicators: [IndicatorRow]
        do {
            file = try store.openPublished(version: version, recorded: recorded, fullCheckWithoutRecord: false)
            indicators = try file.loadIndicators()
        } catch let error as SnapshotError where error.code == .damagedSnapshot || error.code == .unreadableSnapshot {
            // One this user may not open is listed as that, not as damaged (66, not 65).
            let status = error.code == .damagedSnapshot ? "damaged" : "unreadable"
            let row = JSONValue.object([
                ("version", .string(SnapshotMeta.label(version))), (status, .string(error.message)),
                ("is_latest", .bool(isLatest)),
            ])
            return (version, row, [label, "", "", "", status, ""], error)
        }
        let years = indicators.map(\.year)
        let latest = indicators.last { $0.sharePct != nil }
        let share = latest.map { "\($0.sharePct!.formatted(decimals: 4)) % (\($0.year))" } ?? ""
        let row = JSONValue.object([
            ("version", .string(SnapshotMeta.label(version))), ("created_at", .string(file.meta.createdAt)),
            ("command", .string(file.meta.command)), ("years", .array(years.map { .int($0) })),
            ("latest_year", latest.map { .int($0.year) } ?? .null),
            ("latest_share_pct", latest?.sharePct.map { .number($0.formatted(decimals: 4)) } ?? .null),
            ("latest_status", latest.map { .string($0.status.rawValue) } ?? .null),
            ("parent_version", file.meta.parentVersion.map { .string(SnapshotMeta.label($0)) } ?? .null),
            ("content_sha256", .string(file.meta.contentSHA256)),
            ("is_latest", .bool(isLatest)),
        ])
        // The command escaped as the log escapes it: one with ESC or a line break drove the
        // terminal (export audit 39, M1); the JSON keeps it as it is.
        let line = [
            label, file.meta.createdAt, Self.yearRanges(years), share, latest?.status.rawValue ?? "",
            Escape.controls(file.meta.command),
        ]
        return (version, row, line, nil)
    }

    /// `2021–2024`, or `2019, 2021–2024` when a year is missing.
    static func yearRanges(_ years: [Int]) -> String {
        var parts: [String] = []
        var index = 0
        while index < years.count {
            var end = index
            while end + 1 < years.count && years[end + 1] == years[end] + 1 { end += 1 }
            parts.append(end == index ? "\(years[index])" : "\(years[index])–\(years[end])")
            index = end + 1
        }
        return parts.joined(separator: ", ")
    }

    /// Pads every column but the last to its widest cell (counted in characters).
    static func aligned(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }
    }
}

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare the indicators of two snapshots, year by year and column by column.",
        discussion: """
            Both snapshots are checked first, as export checks one: their bytes must be those recorded \
            when they were published, or, with none recorded, they must pass every check of grdp verify.

            Exits 0 whether or not they differ; 65 when either snapshot is damaged or edited since it \
            was published; 66 when either does not exist. Example: grdp diff v0003 v0004
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The older snapshot.", valueName: "vA")) var from: String
    @Argument(help: ArgumentHelp("The newer snapshot.", valueName: "vB")) var to: String

    @Option(name: .long, help: "text, csv or json.")
    var format: DiffFormat = .text

    enum DiffFormat: String, ExpressibleByArgument, CaseIterable {
        case text, csv, json
    }

    func run() throws {
        let logger = global.makeLogger()
        let config = try global.loadConfig()
        let store = SnapshotStore(folder: config.snapshotsFolder)
        let from = try SnapshotSelection.resolve(from, in: store)
        let to = try SnapshotSelection.resolve(to, in: store)
        // Either file edited or damaged since it was published is exit 65, before any line is printed.
        let recorded = logger.recordedChecksums(in: config.cacheFolder, otherwise: "snapshots checked in full")
        let a = try store.openPublished(version: from, recorded: recorded, fullCheck: logger.fullCheck)
        let b = try store.openPublished(version: to, recorded: recorded, fullCheck: logger.fullCheck)
        // A diff compares indicators and archives, not the record tables.
        let diff = SnapshotDiff(
            from: a.meta, fromContent: try a.loadContent(includingRecords: false, includingQuarantine: false),
            to: b.meta,
            toContent: try b.loadContent(includingRecords: false, includingQuarantine: false))
        switch format {
        case .text: try emit(diff.text())
        case .csv: try emit(diff.csv())
        case .json: try emit(diff.json().serialized(pretty: true) + "\n")
        }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a snapshot: integrity, application_id, schema, and its recomputed content hash.",
        discussion: """
            Checks, each named when it fails: open, integrity (PRAGMA integrity_check), \
            application-id, schema-version, schema (grdp's tables as grdp creates them, and no \
            index, view or trigger added), meta, content-hash (recomputed from every row), journal \
            (no -wal or -journal holding changes beside the file, no switch to WAL mode), and \
            file-checksum (the file's bytes are those recorded in <outputs>/cache/published.json \
            when it was published, where recorded).

            Exits 0 when every check holds (also when there is no snapshot yet: it says so on \
            stderr), 65 naming the failing check otherwise. A snapshot this user may not open is \
            printed NOT CHECKED and exits 66, and a check that cannot be made for want of room \
            (SQLite's temporary folder full while it sorts rows) NOT CHECKED and 73, unless another \
            check failed. 66 also for a version that does not exist, 64 for a malformed one. \
            Default: every snapshot; one a run prunes (keep_snapshots) while verify goes through \
            them is printed "gone" and fails nothing.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Snapshot version (default: all).", valueName: "vNNNN")) var version: String?

    func run() throws {
        let logger = global.makeLogger()
        let config = try global.loadConfig()
        let store = SnapshotStore(folder: config.snapshotsFolder)
        let versions = try version.map { [try SnapshotSelection.resolve($0, in: store)] } ?? store.versions()
        // None published yet (a first run killed, say): no check fails, so 0 (CONTRACT §7: 65 only
        // when a check fails), but said, so that nobody reads it as "every snapshot verifies".
        if versions.isEmpty {
            logger.notice("No snapshot to verify", metadata: ["folder": "\(store.folder.path)"])
            return
        }
        let recorded = logger.recordedChecksums(in: config.cacheFolder, otherwise: "no file-checksum check")
        var failed = false
        var cannotCheck = false
        var unreadable: SnapshotError?
        for v in versions {
            // The store's verify names the check of a file SQLite cannot open (`[open]`) and checks
            // that the meta's version matches the file name. One this user may not open is not
            // checked, and not called damaged: NOT CHECKED, and 66 unless a check failed (65).
            let failures: [VerifyFailure]
            do {
                failures = try store.verify(version: v, recordedChecksum: recorded[v])
            } catch let error as SnapshotError where error.code == .unreadableSnapshot {
                try emit("\(SnapshotMeta.label(v)): NOT CHECKED [open] \(error)\n")
                unreadable = unreadable ?? error
                continue
            } catch let error as SnapshotError where error.code == .missingSnapshot && version == nil {
                // Listed, then gone: a run beside this reader (which takes no lock, CONTRACT §7)
                // published and pruned it (`keep_snapshots`). Not a snapshot any more, so not one
                // that fails; said, since it was listed.
                try emit("\(SnapshotMeta.label(v)): gone (removed since the folder was listed: pruned by a run?)\n")
                continue
            }
            if failures.isEmpty {
                try emit("\(SnapshotMeta.label(v)): ok\n")
            } else {
                // A check without room to be made (SQLite's temporary folder full) found nothing
                // wrong: NOT CHECKED, and 73 unless another check failed (65).
                for failure in failures {
                    try emit("\(SnapshotMeta.label(v)): \(failure.cannotCheck ? "NOT CHECKED" : "FAILED") \(failure)\n")
                }
                failed = failed || failures.contains { !$0.cannotCheck }
                cannotCheck = cannotCheck || failures.contains(where: \.cannotCheck)
            }
        }
        if failed { throw ExitCode(65) }
        if let unreadable { throw unreadable }
        if cannotCheck { throw SnapshotFile.temporaryFolderFull(checking: true) }
    }
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write synthetic returns (archives + a matching pipeline.yml) for demos and benchmarks.",
        discussion: """
            Same options and seed ⇒ byte-identical files.
            Example: grdp generate --out /tmp/demo --transactions 100000

            Layouts:
            - returns: dated archives in every accepted format, en and vi members.
            - benchmark: one .tar.gz per year Y, <Y+1>-01-31_benchmark.tar.gz, plain en
              numbers, ISO dates. With --archives K: the same transactions (and revisions)
              cut into K .tar.gz of about N/K each, <last+1>-01-31_benchmark-0001.tar.gz
              and on (zero-padded: the names sort in revision order).
            - increment: ONE more archive on top of a benchmark set made with the same
              --seed, --years, --enterprises and --transactions:
              <last+1>-02-01_increment.tar.gz, which sorts after every benchmark archive.
              It holds --increment M transaction rows: new orders of the last year's Q4,
              and about 1 in 20 re-sending a completed order of that year, refunded in
              full (with --recent-revisions, an order of its Q4 alone). Added to
              <out>/returns whatever is there; pipeline.yml is written only when absent;
              --force replaces an increment already there.

            generate reads no config (--config is not used): it writes <out>/pipeline.yml for \
            the returns it makes. Exits 64 for options out of range or returns already in \
            <out> (without --force), 73 when it cannot write or replace them.

            Examples:
              grdp generate --out /tmp/b --layout benchmark --transactions 1000000 \\
                --enterprises 4600 --archives 100
              grdp generate --out /tmp/b --layout increment --transactions 1000000 \\
                --enterprises 4600 --increment 100000
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Folder to write (returns/ and pipeline.yml).", valueName: "dir"))
    var out: String

    /// An empty `--out` would be the current folder: returns and a pipeline.yml written where the
    /// command happened to run.
    func validate() throws {
        if out.isEmpty { throw ValidationError("--out takes a folder path; it was given an empty one") }
    }

    // Unconditional: `--seed -5` is told the value is not a seed, not that it has no value.
    @Option(name: .long, parsing: .unconditional, help: "Random seed, 0 or more.") var seed: UInt64 = 1
    @Option(name: .long, help: ArgumentHelp("Years, e.g. 2020-2024.", valueName: "A-B")) var years: String = "2020-2024"
    @Option(
        name: .long, parsing: .unconditional,
        help: "Enterprises in the synthetic province (each has a record in some of the years).")
    var enterprises: Int = 400
    @Option(name: .long, parsing: .unconditional, help: "E-commerce transactions in all.") var transactions: Int =
        20_000
    @Flag(name: .long, help: "Replace returns and pipeline.yml already in the folder.") var force = false
    @Option(
        name: .long,
        help: "Archive layout: returns (realistic), benchmark (one .tar.gz per year) or increment (one more archive).")
    var layout: String = "returns"
    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --layout benchmark: spread the transactions over K .tar.gz instead of one per year.",
            valueName: "K"))
    var archives: Int?
    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --layout increment: transaction rows of the extra archive (default 100000).", valueName: "M"))
    var increment: Int?
    @Flag(
        name: .long,
        help: "With --layout increment: revise only orders of the last year's Q4, the quarter of its new orders.")
    var recentRevisions = false
    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --layout benchmark: date every Nth row of each member of first sends the 30th of February, "
                + "which grdp quarantines (N ≥ 100 keeps every member within the default max_quarantine_ratio).",
            valueName: "N"))
    var faultyEvery: Int?

    func run() throws {
        let logger = global.makeLogger()
        // Each check says what is wrong with the value given: its form, its order, its range.
        let parts = years.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let first = parts[0], let last = parts[1] else {
            throw ValidationError("--years takes A-B, e.g. 2020-2024; it was given \(years)")
        }
        guard first <= last else {
            throw ValidationError("--years takes A-B with A no later than B, e.g. 2020-2024; it was given \(years)")
        }
        guard ReturnsGenerator.yearRange.contains(first), ReturnsGenerator.yearRange.contains(last) else {
            throw ValidationError(
                "--years must lie within \(ReturnsGenerator.yearRange.lowerBound)-\(ReturnsGenerator.yearRange.upperBound); "
                    + "it was given \(years)")
        }
        // The counts are the generator's to check (`ReturnsGenerator.validate`: at least 2
        // enterprises, one ICT-core and one other; transactions 0 or more).
        var options = ReturnsGenerator.Options()
        options.seed = seed
        options.years = first...last
        options.enterprises = enterprises
        options.transactions = transactions
        options.replaceExisting = force
        guard let chosen = ReturnsGenerator.Layout(rawValue: layout) else {
            throw ValidationError("--layout takes returns, benchmark or increment")
        }
        options.layout = chosen
        if archives != nil && chosen != .benchmark { throw ValidationError("--archives needs --layout benchmark") }
        options.archives = archives
        if increment != nil && chosen != .increment { throw ValidationError("--increment needs --layout increment") }
        options.increment = increment ?? 100_000
        if recentRevisions && chosen != .increment {
            throw ValidationError("--recent-revisions needs --layout increment")
        }
        options.recentRevisions = recentRevisions
        if faultyEvery != nil && chosen != .benchmark {
            throw ValidationError("--faulty-every needs --layout benchmark")
        }
        options.faultyEvery = faultyEvery
        // libarchive writes a zip entry's DOS time in local time: pinned to UTC, the same seed
        // gives the same bytes in Hà Nội as on the CI machine (CONTRACT §7).
        setenv("TZ", "UTC0", 1)
        tzset()
        let summary: GenerationSummary
        do {
            summary = try ReturnsGenerator(options: options).write(to: URL(fileURLWithPath: out))
        } catch let refused as ReturnsGenerator.GenerationError {
            // Options out of range, or returns already there (--force, or another --out): the
            // command line's to change.
            throw ValidationError(refused.message)
        }
        let rows = summary.rows.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }
        logger.info(
            "Generated synthetic returns",
            metadata: [
                "out": "\(out)", "files": "\(summary.files.count)", "bytes": "\(summary.bytes)",
                "rows": "\(rows.joined(separator: ","))", "config": "\(summary.configFile.path)",
            ])
    }
}
