import ArgumentParser
import Foundation
import GRDPCore
import Logging

/// `grdp`: turns archived statistical returns into versioned SQLite snapshots of a province's
/// digital-economy indicators. Only parses arguments, sets up logging and maps errors to exit codes.
@main
struct GRDP: ParsableCommand {
    static let toolVersion = "1.0.0"

    static let configuration = CommandConfiguration(
        commandName: "grdp",
        abstract: "Measure a province's digital economy from archived statistical returns.",
        discussion: """
            Stages: unpack (archives, streamed, never extracted) → normalize (CSV rows → records, \
            quarantine) → compute (ICT core + e-commerce + digitised value added, share of GRDP, \
            targets) → snapshot (versioned SQLite files) → export (tables for reports and portals).

            Typical use:
              grdp run                         every night, from cron
              grdp run --year 2023             recompute one year after a revised return
              grdp export --format csv         the latest target-vs-actual table
              grdp validate                    check new returns without writing anything

            Exit codes: 0 done or up to date; 64 bad command line or config; 65 a rejected archive \
            or member (no snapshot written), or a damaged snapshot; 66 missing input; 70 internal \
            error; 73 cannot write outputs; 75 another run holds the lock; 129, 130, 143 stopped by \
            SIGHUP, SIGINT (Ctrl-C), SIGTERM (run, validate, export --output).
            """,
        version: toolVersion,
        subcommands: [
            RunCommand.self, ValidateCommand.self, ExportCommand.self, SnapshotsCommand.self, DiffCommand.self,
            VerifyCommand.self, GenerateCommand.self, BenchUnpackCommand.self,
        ]
    )

    /// Accepted here only so that `grdp --config x` with no command gets the error below rather
    /// than "unknown option"; with a command they are moved after it (`movingGlobalsAfterCommand`).
    @OptionGroup var global: GlobalOptions

    /// `grdp` with no command (also `grdp --config x`) is a bad command line (exit 64, CONTRACT
    /// §7): a cron line missing its `run` must fail loudly, not print help and report success.
    func run() throws {
        throw ValidationError(
            "Missing command: give one of run, validate, export, snapshots, diff, verify or generate "
                + "(grdp --help describes them).")
    }

    static func main() {
        MemoryRelease.mapLargeBlocks()
        // A closed pipe on stdout or stderr is an EPIPE to handle, not a signal that kills the
        // process: a nightly run whose log reader went away still finishes, and `export` into a
        // pipe whose reader stopped exits 73 (see `fail`).
        signal(SIGPIPE, SIG_IGN)
        // A file-size limit (`ulimit -f`) is a write that fails (EFBIG: exit 73, with a report),
        // not a signal that kills the run before it can say why.
        signal(SIGXFSZ, SIG_IGN)
        // Started with standard input, output or error closed (`2>&-`), the first file opened
        // would take its number, and log lines would go into it (the run lock's file): each
        // closed one is opened on /dev/null first.
        for descriptor: Int32 in 0...2 where fcntl(descriptor, F_GETFD) == -1 {
            _ = open("/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY)
            // Data asked for on a closed stdout is lost, not delivered: exit 73, not 0.
            if descriptor == STDOUT_FILENO { StandardStream.output.startedClosed() }
        }
        // `grdp --config x run` and `grdp run --config x` both work: global options may stand
        // before the command name.
        let arguments = GlobalOptions.movingGlobalsAfterCommand(
            Array(CommandLine.arguments.dropFirst()), commands: commandNames)
        let json = GlobalOptions.asksForJSONLogs(arguments)
        var command: any ParsableCommand
        do {
            try checkHelpTopic(arguments)
            command = try parseAsRoot(arguments)
        } catch {
            exitForUsage(error, in: subcommand(named: arguments.first), fromParse: true, json: json)
        }
        do {
            try command.run()
        } catch {
            // Usage errors, help and ExitCode are ArgumentParser's kind; everything else is
            // ours, mapped to the contract's exit codes.
            if exitCode(for: error) == .failure {
                fail(error)
            }
            exitForUsage(error, in: type(of: command), fromParse: false, json: json)
        }
    }

    static var commandNames: [String] { configuration.subcommands.compactMap { $0.configuration.commandName } }
    /// The commands `--help` lists (not the hidden `bench-unpack`).
    static var shownCommandNames: [String] {
        configuration.subcommands.filter { $0.configuration.shouldDisplay }.compactMap { $0.configuration.commandName }
    }

    static func subcommand(named name: String?) -> (any ParsableCommand.Type)? {
        configuration.subcommands.first { $0.configuration.commandName == name }
    }

    /// `grdp help NAME`: ArgumentParser prints the overview for a name it does not know, and
    /// exits 0; a misspelt command is a bad command line (64) like any other.
    static func checkHelpTopic(_ arguments: [String]) throws {
        // Global options may stand before `help` (they are not moved after it).
        let index = GlobalOptions.afterLeadingGlobals(arguments)
        guard index < arguments.count, arguments[index] == "help" else { return }
        let topics = arguments[(index + 1)...].filter { !$0.hasPrefix("-") }
        for topic in topics where !commandNames.contains(topic) {
            throw ValidationError(
                "Unknown command '\(topic)' for help: give one of \(shownCommandNames.joined(separator: ", "))."
            )
        }
        if topics.count > 1 {
            throw ValidationError("'grdp help' takes one command, not \(topics.count) (grdp help \(topics[0])).")
        }
    }

    /// Prints a usage error (or help, or the version) and exits with ArgumentParser's code for it
    /// (64 for a usage error, CONTRACT §7).
    ///
    /// With `--log-format json` a usage error is one JSON line like every other error, so that a
    /// log collector reading stderr sees nothing else. A usage error found when a subcommand runs
    /// (a snapshot version that is not one) shows that subcommand's usage, as a parse error does.
    static func exitForUsage(
        _ error: any Error, in command: (any ParsableCommand.Type)?, fromParse: Bool, json: Bool
    ) -> Never {
        let code = exitCode(for: error)
        let subcommand = command.flatMap { $0 == GRDP.self ? nil : $0 }
        // Help and the version (code 0) go to stdout as ArgumentParser prints them; an ExitCode
        // has been explained already.
        guard code != .success, !(error is ExitCode) else { exit(withError: error) }
        let usage = subcommand.map { usageString(for: $0) } ?? usageString()
        if json {
            let line = StderrLogHandler.line(
                format: .json, level: .error, message: "Failed",
                metadata: [
                    "error": "\(message(for: error))", "exit_code": "\(code.rawValue)", "usage": "\(usage)",
                ])
            StandardStream.error.writeIgnoringErrors(line)
            Foundation.exit(code.rawValue)
        }
        guard let subcommand, !fromParse, let name = subcommand.configuration.commandName else {
            exit(withError: error)
        }
        StandardStream.error.writeIgnoringErrors(
            "Error: \(message(for: error))\nUsage: \(usage)\n  See 'grdp \(name) --help' for more information.\n")
        Foundation.exit(code.rawValue)
    }
}
