import Foundation
import Testing

/// The scripts beside the package that SwiftPM does not build: their sources must keep compiling
/// as the library changes, or the tool is found broken only when someone needs it.
@Suite struct ToolScriptsTests {
    private static var swiftcFound: Bool { onPath("swiftc") != nil }

    /// The tool's path, when `PATH` has it.
    private static func onPath(_ tool: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(tool)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// `scripts/fuzz.sh` compiles the fuzz targets with `swiftc` from a list of GRDPCore files; a
    /// file that Normalize comes to need, missing from the list, broke it unseen once.
    @Test(.enabled(if: swiftcFound, "needs swiftc on PATH"))
    func theFuzzTargetsTypeCheckAgainstTheLibrary() throws {
        let run = try Execution.run(
            [Execution.packageRoot.appendingPathComponent("scripts/fuzz.sh").path, "--check"],
            in: Execution.packageRoot,
            executable: "/bin/bash")
        #expect(run.status == 0, "\(run.stderr)")
    }

    /// The sources keep to `.swift-format` (the toolchain's `swift-format`, strict: a warning is a
    /// failure), so that a change is read for what it does, not for its whitespace.
    @Test(.enabled(if: onPath("swift-format") != nil, "needs swift-format on PATH"))
    func theSourcesKeepToTheFormat() throws {
        guard let swiftFormat = Self.onPath("swift-format") else {
            Issue.record("swift-format is no longer on PATH")
            return
        }
        let run = try Execution.run(
            ["lint", "--strict", "--recursive", "Sources", "Tests", "Fuzz", "Package.swift"],
            in: Execution.packageRoot, executable: swiftFormat)
        #expect(run.status == 0, "\(run.stderr)")
    }
}
