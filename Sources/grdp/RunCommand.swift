import ArgumentParser
import Foundation
import GRDPCore

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every stage and publish a new snapshot when the content changed.",
        discussion: """
            Reads every archive under inputs.returns (a return later in bytewise path order revises \
            earlier ones, whichever is read first), quarantines bad rows, computes the indicators and writes \
            <outputs>/snapshots/grdp-vNNNN.sqlite atomically. A run whose content (figures and \
            provenance) equals the latest snapshot's writes nothing new and says it is up to date. Every run that could read its \
            config and make its outputs folder writes a report to <outputs>/reports/run-<time>.json, whatever its outcome.

            Every archive is hashed first, but for one whose file (path, inode, size, times) is \
            as two earlier runs at least 5 s apart found it with the same SHA-256 \
            (<outputs>/cache/archive-digests.json; --force hashes every one). When no archive, nor a setting of the config (a comment \
            or the outputs are none), nor grdp changed since the run that produced the latest \
            snapshot, the run is up to date without decompressing anything (and writes the \
            configured exports); otherwise archives already read, under any name, with these \
            reading settings (the config but for its methodology, targets, districts, outputs and \
            exclusions) and this build are taken from <outputs>/cache/archives/ and only new or \
            changed ones are read, and the sales rows of \
            years that did not change are copied from the latest snapshot file. On large sets (from \
            1 M distinct transactions) revisions are taken by key partition, and which rows are \
            current and the last year's groups are kept in <outputs>/cache/ for the next night; \
            with GRDP_LEDGER=memory the revision ledger a full run ended with is kept in \
            <outputs>/cache/ledger.bin instead (from 3 M keys; GRDP_KEEP_LEDGER_FROM=<keys> changes \
            it), and the next run applies only the archives it does not hold. Deleting \
            <outputs>/cache/ only costs time.

            With --year, only those years are recomputed; every other year keeps the latest \
            snapshot's rows.

            SIGTERM, SIGINT (Ctrl-C) or SIGHUP stop the run at its next safe point, before anything \
            is published: it writes its report (outcome failed) and exits 128 + the signal (143, 130, \
            129). A second signal kills it at once; a run killed outright also leaves every snapshot \
            intact, only without a report.

            Exit codes: 0 a new snapshot or up to date; 64 a bad command line or config (the key and \
            its line named); 65 an archive or member rejected (the report says which and why; no \
            snapshot, the latest stays the latest), or with --year a damaged latest snapshot; 66 the config or the returns folder missing, or \
            no archive in it; 70 an internal error (a sum grdp cannot keep exactly included); 73 \
            the outputs cannot be written; 75 another run holds the lock.

            Examples:
              grdp run                       # the nightly run
              grdp run --wait-lock 1800      # wait up to 30 min for a run still going
              grdp run --year 2024           # a revised 2024 return arrived
              grdp run --force               # read every archive again and publish
            """)

    @OptionGroup var global: GlobalOptions

    @Option(
        name: .long, parsing: .unconditionalSingleValue,
        help: ArgumentHelp("Recompute only this year (repeatable).", valueName: "year"))
    var year: [Int] = []

    @Flag(
        name: .long,
        help:
            "Read every archive again and write every row (ignore the caches), and publish a new snapshot even when the figures are unchanged."
    )
    var force = false

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp(
            "Wait up to this many seconds for another run's lock instead of exiting 75.", valueName: "seconds"))
    var waitLock: Int = 0

    func validate() throws {
        guard waitLock >= 0 else { throw ValidationError("--wait-lock takes a number of seconds ≥ 0") }
        for y in year where !recordYears.contains(y) {
            throw ValidationError("--year \(y) is outside \(recordYearsText)")
        }
    }

    func run() throws {
        let logger = global.makeLogger()
        StopSignals.install()
        let config = try global.loadConfig()
        let command = (["grdp"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let runner = PipelineRunner(config: config, logger: logger) { event in ProgressBar.shared.update(event) }
        let result = runner.run(
            RunOptions(
                years: year.isEmpty ? nil : Set(year), force: force, waitLockSeconds: waitLock, command: command,
                toolVersion: GRDP.toolVersion))
        ProgressBar.shared.clearLine()
        printSummary(result, logger: logger, quiet: global.quiet)
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }
}

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Unpack and normalize only: print the run report as JSON, write nothing.",
        discussion: """
            Exits 65 when an archive or member would be rejected, 70 when a sum could not be kept exactly \
            (as a run would fail), 0 when a run would accept every input; 64 for a bad command line or \
            config, 66 when the config or the returns folder is missing or cannot be read, 73 when the \
            report cannot be written to standard output.

            From about 1 million transaction keys, revisions are counted as a run counts them, with scratch \
            files in a grdp-validate-* folder of the temporary folder (TMPDIR; ~0.4 GB at 10 million \
            transactions) that is removed before it exits.
            """)

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let logger = global.makeLogger()
        StopSignals.install()
        let config = try global.loadConfig()
        let runner = PipelineRunner(config: config, logger: logger) { event in ProgressBar.shared.update(event) }
        let result = runner.validate()
        ProgressBar.shared.clearLine()
        try emit(result.report.serialized(pretty: true) + "\n")
        printSummary(result, logger: logger, quiet: global.quiet)
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }
}
