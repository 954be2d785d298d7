import ArgumentParser
import Foundation
import GRDPCore
import Logging

/// Options every command takes (CONTRACT §7).
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Path of pipeline.yml.", valueName: "path"))
    var config: String = "pipeline.yml"

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Only warnings and errors on stderr; a run or validate that does not exit 0 (the lock held "
                + "too) still prints its summary, which says why.")
    )
    var quiet = false

    @Flag(name: .long, help: "Debug detail on stderr.")
    var verbose = false

    @Option(name: .long, help: ArgumentHelp("Log line format on stderr: text or json.", valueName: "format"))
    var logFormat: LogFormat = .text

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    var logLevel: Logger.Level { quiet ? .warning : (verbose ? .debug : .info) }

    /// Sets up logging once; returns the logger commands hand to the library.
    func makeLogger() -> Logger {
        StderrLogHandler.bootstrap(format: logFormat, level: logLevel)
        return Logger(label: "grdp")
    }

    /// Loads the config, printing a clear error and exiting 64 or 66 when it cannot.
    func loadConfig() throws -> PipelineConfig {
        // `--config ""` would be the current folder, refused as "a folder, not a file" (66): an
        // empty path is the command line's mistake (64). Checked here rather than in `validate()`,
        // which the top command's copy of these options runs too, with its usage.
        if config.isEmpty {
            throw ValidationError("--config takes the path of pipeline.yml; it was given an empty one")
        }
        do {
            return try ConfigLoader.load(from: URL(fileURLWithPath: config))
        } catch {
            throw Failure(error)
        }
    }

    /// Whether the command line asks for JSON logs, read before it is parsed: a usage error,
    /// which stops the parse, is logged in the format asked for. The last `--log-format` counts, as
    /// when parsed; nothing after `--` is an option.
    static func asksForJSONLogs(_ arguments: [String]) -> Bool {
        var json = false
        var index = 0
        while index < arguments.count, arguments[index] != "--" {
            let argument = arguments[index]
            if argument == "--log-format", index + 1 < arguments.count {
                json = arguments[index + 1] == "json"
                index += 1
            } else if argument.hasPrefix("--log-format=") {
                json = argument == "--log-format=json"
            }
            index += 1
        }
        return json
    }

    static let globalsWithValue: Set<String> = ["--config", "--log-format"]
    static let globalFlags: Set<String> = ["--quiet", "--verbose"]

    /// Moves global options that stand before the command name to just after it.
    static func movingGlobalsAfterCommand(_ arguments: [String], commands: [String]) -> [String] {
        let index = afterLeadingGlobals(arguments)
        guard index > 0, index < arguments.count, commands.contains(arguments[index]) else { return arguments }
        return [arguments[index]] + arguments[..<index] + arguments[(index + 1)...]
    }

    /// The index of the first argument that is not a global option (with its value) standing
    /// before the command: the command's name, `help`, or `arguments.count`.
    static func afterLeadingGlobals(_ arguments: [String]) -> Int {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if globalFlags.contains(argument) {
                index += 1
            } else if globalsWithValue.contains(name) {
                index += argument.contains("=") ? 1 : 2
            } else {
                break
            }
        }
        return min(index, arguments.count)
    }
}

/// An error already explained to the user, carrying the contract's exit code.
struct Failure: Error, CustomStringConvertible {
    var underlying: any Error
    var code: Int32

    init(_ error: any Error) {
        self.underlying = error
        self.code = ExitCodes.code(for: error)
    }

    var description: String { "\(underlying)" }
}

extension ParsableCommand {
    /// Prints `Error: …` and exits with the code the contract gives the error.
    ///
    /// A broken pipe exits 73 without a word: the reader stopped reading on purpose
    /// (`grdp export | head -1`) or failed and says so itself; an `Error:` line after `head`'s
    /// output would only alarm. Every other write failure is explained.
    static func fail(_ error: any Error) -> Never {
        let failure = error as? Failure ?? Failure(error)
        if let writeError = failure.underlying as? OutputWriteError, writeError.errno == EPIPE {
            Foundation.exit(failure.code)
        }
        if StderrLogHandler.writesJSON {
            Logger(label: "grdp").error(
                "Failed", metadata: ["error": "\(failure.description)", "exit_code": "\(failure.code)"])
        } else {
            StandardStream.error.writeIgnoringErrors("Error: \(failure.description)\n")
        }
        Foundation.exit(failure.code)
    }
}

/// The few summary lines of `run` and `validate` on stderr: as they are, or with
/// `--log-format json` one JSON object (`message` "Run finished", the outcome, snapshot, report
/// path and the lines as `summary`), so that stderr holds nothing but JSON lines.
func printSummary(_ result: RunResult, logger: Logger, quiet: Bool) {
    guard !quiet || result.exitCode != 0 else { return }
    if StderrLogHandler.writesJSON {
        var metadata: Logger.Metadata = [
            "outcome": "\(result.outcome.rawValue)", "exit_code": "\(result.exitCode)",
            "summary": "\(result.summary.joined(separator: "\n"))",
        ]
        if let version = result.snapshotVersion { metadata["snapshot"] = "\(SnapshotMeta.label(version))" }
        if let url = result.reportURL { metadata["report"] = "\(url.path)" }
        let message: Logger.Message = result.outcome == .valid ? "Validation finished" : "Run finished"
        if result.exitCode == 0 {
            logger.notice(message, metadata: metadata)
        } else {
            logger.error(message, metadata: metadata)
        }
        return
    }
    var text = result.summary.map { Escape.controls($0) + "\n" }.joined()
    if let url = result.reportURL { text += "Report: \(Escape.controls(url.path))\n" }
    StandardStream.error.writeIgnoringErrors(text)
}

/// Writes a command's output to stdout, or to `--output PATH` (`OutputDestination`: atomically to
/// a file, as it is to a FIFO or a device). A failed write throws `OutputWriteError` (exit 73)
/// naming `standard output` or the path, and the reason.
func emit(_ text: String, to output: String? = nil) throws {
    guard let output, output != "-" else {
        try StandardStream.output.write(text)
        return
    }
    try OutputDestination.write(Array(text.utf8), toPath: output)
}

extension Logger {
    /// The checksums of the published snapshots (`published.json`), read once per command; when
    /// they cannot be read, a warning saying what that costs (`consequence`), and none.
    func recordedChecksums(in cacheFolder: URL, otherwise consequence: String) -> [Int: String] {
        let recorded = SnapshotStore.recordedChecksums(cacheFolder: cacheFolder)
        if let problem = recorded.problem {
            warning("Checksums recorded at publication not readable: \(consequence)", metadata: ["error": "\(problem)"])
        }
        return recorded.checksums
    }

    /// Says why `SnapshotStore.openPublished` checks a snapshot the slower way.
    func fullCheck(_ why: String) {
        notice("Snapshot checked in full", metadata: ["why": "\(why)"])
    }
}
