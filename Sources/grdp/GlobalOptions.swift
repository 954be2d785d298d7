import ArgumentParser
import Foundation
import GRDPCore
import Logging

/// Options every command takes (CONTRACT §7).
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Path of pipeline.yml.", valueName: "path"))
    var config: String = "pipeline.yml"

    @Flag(name: .long, help: "Only warnings and errors on stderr.")
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
        do {
            return try ConfigLoader.load(from: URL(fileURLWithPath: config))
        } catch {
            throw Failure(error)
        }
    }

    static let globalsWithValue: Set<String> = ["--config", "--log-format"]
    static let globalFlags: Set<String> = ["--quiet", "--verbose"]

    /// Moves global options that stand before the command name to just after it.
    static func movingGlobalsAfterCommand(_ arguments: [String], commands: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if globalFlags.contains(argument) {
                leading.append(argument)
                index += 1
            } else if globalsWithValue.contains(name) {
                leading.append(argument)
                if !argument.contains("="), index + 1 < arguments.count {
                    leading.append(arguments[index + 1])
                    index += 1
                }
                index += 1
            } else {
                break
            }
        }
        guard !leading.isEmpty, index < arguments.count, commands.contains(arguments[index]) else { return arguments }
        return [arguments[index]] + leading + arguments[(index + 1)...]
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
    static func fail(_ error: any Error) -> Never {
        let failure = error as? Failure ?? Failure(error)
        FileHandle.standardError.write(Data("Error: \(failure.description)\n".utf8))
        Foundation.exit(failure.code)
    }
}

/// Writes text to stdout, or atomically to a file.
func emit(_ text: String, to output: String?) throws {
    guard let output, output != "-" else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    try AtomicFile.write(Array(text.utf8), to: URL(fileURLWithPath: output))
}
