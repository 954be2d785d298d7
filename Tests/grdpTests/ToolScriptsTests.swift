import Foundation
import Testing

/// The scripts beside the package that SwiftPM does not build: their sources must keep compiling
/// as the library changes, or the tool is found broken only when someone needs it.
@Suite struct ToolScriptsTests {
    private static var swiftcFound: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/swiftc")
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
}
