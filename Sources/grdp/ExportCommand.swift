import ArgumentParser
import Foundation
import GRDPCore
import Logging

extension ExportTable: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a table of a snapshot as CSV, JSON, Markdown or HTML.",
        discussion: """
            Tables: target-vs-actual (share of GRDP against the targets, per year), by-district, \
            quarantine. From the latest snapshot unless --snapshot names one; to stdout unless \
            --output names a file. A file is replaced atomically (through a symlink, the file it \
            points to, and the link stays); a FIFO or a device such as /dev/null is written as it \
            is; /dev/stdout and /dev/fd/1 are stdout itself. Missing folders above --output are made. \
            A place grdp keeps or reads is refused (exit 64): the snapshots, cache, reports and \
            returns folders, the outputs folder's .lock and .snapshot-sequence, the config. A \
            folder is refused too (exit 73).

            The snapshot is checked first: its bytes must be those recorded when it was published \
            (<outputs>/cache/published.json), or, with none recorded, it must pass every check of \
            grdp verify (slower). Figures are never exported from a file edited or damaged since.

            Exit codes: 0 written; 64 a bad command line or config; 65 the snapshot is damaged or \
            edited since it was published; 66 no snapshot yet, or none of that version; 73 the \
            output cannot be written; 129, 130, 143 --output stopped by SIGHUP, SIGINT (Ctrl-C), \
            SIGTERM (a file as it was; a FIFO or device holds what was written).

            Examples:
              grdp export --format csv > targets.csv          # the latest target-vs-actual
              grdp export --table by-district --year 2024 --format md
              grdp export --snapshot v0003 --format html --output report.html
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Snapshot version, e.g. v0003 (default: the latest).", valueName: "vNNNN"))
    var snapshot: String?

    @Option(name: .long, help: "Table to export.")
    var table: ExportTable = .targetVsActual

    @Option(
        name: .long, parsing: .unconditionalSingleValue,
        help: ArgumentHelp("Only this year (repeatable).", valueName: "year"))
    var year: [Int] = []

    @Option(name: .long, help: "Output format.")
    var format: ExportFormat = .csv

    @Option(name: .long, help: ArgumentHelp("File to write, or - for stdout (the default).", valueName: "path"))
    var output: String?

    /// An empty path is a mistake on the command line (a variable left unset), not a file that
    /// cannot be written: exit 64, before any snapshot is opened.
    func validate() throws {
        if output?.isEmpty == true {
            throw ValidationError("--output takes a file path, or - for standard output; it was given an empty one")
        }
        // As `run --year`: a year no snapshot can hold is a typo, not an empty table to write
        // over the file a portal serves.
        for y in year where !recordYears.contains(y) {
            throw ValidationError("--year \(y) is outside \(recordYearsText)")
        }
    }

    func run() throws {
        let logger = global.makeLogger()
        let config = try global.loadConfig()
        let store = SnapshotStore(folder: config.snapshotsFolder)
        if let output, output != "-", let kept = config.keptPlace(replacedByWritingTo: output) {
            throw ValidationError(
                "--output '\(output)' lands in \(kept): an export never replaces a file grdp keeps or "
                    + "reads (a published snapshot, the lock, the cache, a return); write it somewhere else")
        }
        // A file edited or damaged since it was published is exit 65, before any byte is written:
        // its figures are not exported.
        let recorded = logger.recordedChecksums(in: config.cacheFolder, otherwise: "snapshots checked in full")
        // The latest as listed when it is opened: a run beside the export may prune it meanwhile.
        let (version, file) = try store.withVersions { versions in
            let version = try SnapshotSelection.resolve(snapshot, among: versions, in: store)
            return (version, try store.openPublished(version: version, recorded: recorded, fullCheck: logger.fullCheck))
        }
        if snapshot == nil { SnapshotSelection.warnIfLatestIsMissing(version, in: store, logger: logger) }
        // A year the snapshot does not hold gives a table without rows, exit 0 (a valid, empty
        // table): said on stderr, so that a mistyped year is not read as "no figures".
        if !year.isEmpty && table == .quarantine {
            logger.warning(
                "--year does not apply to the quarantine table (its rows have no year): every row is exported")
        } else if !year.isEmpty {
            let held = Set(try file.loadIndicators().map(\.year))
            let absent = Set(year).subtracting(held).sorted()
            if !absent.isEmpty {
                logger.warning(
                    "No row in the snapshot for a year asked for: the table has none for it",
                    metadata: [
                        "snapshot": "\(SnapshotMeta.label(version))",
                        "years": "\(absent.map(String.init).joined(separator: ","))",
                    ])
            }
        }
        // No export reads the record tables (millions of sales rows in a large snapshot), nor holds
        // the quarantine's rows: its table is written out as it is read (`Exporter.write`).
        let years = year.isEmpty ? nil : Set(year)
        guard let output, output != "-" else {
            try Exporter.write(table, format: format, from: file, years: years) { bytes throws(OutputWriteError) in
                try StandardStream.output.write(bytes)
            }
            return
        }
        // SIGTERM, Ctrl-C or SIGHUP while a file is written stop the export at its next piece: its
        // temporary is removed and the file stays as it was (exit 128 + the signal's number). A
        // FIFO or a device keeps what was written, and the stop says so. Standard output or error
        // by name is written as `-` is, without handlers: a signal ends it as it ends any filter
        // (a blocked write to a pipe is restarted after a handler, and would wait on).
        if OutputDestination.inheritedDescriptor(output) == nil { StopSignals.install() }
        let inPlace = OutputDestination.writesInPlace(output)
        var delivered = 0
        do {
            try OutputDestination.write(
                toPath: output, stopAsked: { RunStop.signal != nil },
                contents: { deliver in
                    try Exporter.write(table, format: format, from: file, years: years) { bytes in
                        if let signal = RunStop.signal {
                            let left =
                                !inPlace
                                ? "it is as it was"
                                : delivered == 0
                                    ? "nothing written"
                                    : "its reader holds the first \(delivered) bytes of the table, not the whole"
                            throw RunStop.Stopped(signal: signal, outcome: "writing \(output): \(left)")
                        }
                        try deliver(bytes)
                        delivered += bytes.count
                    }
                })
        } catch let error as OutputWriteError where error.stop != nil && RunStop.signal != nil {
            // Stopped while a FIFO waited for its reader, or for room while its reader had not
            // taken what came before: a stop like any other (128 + signal).
            let outcome =
                error.stop == .waitingForReader
                ? "a reader of \(output) came: nothing written"
                : "writing all of \(output): its reader had not taken the rest, and holds part of the table, not the whole"
            throw RunStop.Stopped(signal: RunStop.signal!, outcome: outcome)
        }
    }
}

/// `v0003`, `0003` or `3` → 3; nil → the latest. A version that does not exist exits 66.
enum SnapshotSelection {
    static func parse(_ text: String) throws -> Int {
        guard let version = SnapshotMeta.version(label: text) else {
            throw ValidationError("'\(text)' is not a snapshot version (expected vNNNN, e.g. v0003)")
        }
        return version
    }

    /// A warning when `version`, taken as the latest, is not the latest published: that one is
    /// gone from the folder (deleted, or replaced by a link), and its figures with it.
    static func warnIfLatestIsMissing(_ version: Int, in store: SnapshotStore, logger: Logger) {
        guard let missing = store.published(above: version) else { return }
        logger.warning(
            "The latest snapshot published is not in the snapshots folder: the latest there is an earlier one",
            metadata: [
                "published": "\(SnapshotMeta.label(missing))", "used": "\(SnapshotMeta.label(version))",
                "folder": "\(store.folder.path)",
                "hint":
                    "grdp run publishes the current figures as the next version (--force if it finds them up to date)",
            ])
    }

    static func resolve(_ text: String?, in store: SnapshotStore) throws -> Int {
        try resolve(text, among: store.versions(), in: store)
    }

    /// `text`'s version among `versions` (the folder's, listed), or the latest of them.
    static func resolve(_ text: String?, among versions: [Int], in store: SnapshotStore) throws -> Int {
        if let text {
            let version = try parse(text)
            guard versions.contains(version) else {
                throw MissingInputError(
                    path: store.url(for: version).path, what: "snapshot \(SnapshotMeta.label(version))")
            }
            return version
        }
        guard let latest = versions.last else {
            throw MissingInputError(
                path: store.folder.path, what: "snapshot", hint: "run `grdp run` first", inFolder: true)
        }
        return latest
    }
}
