import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `grdp` process started and not yet waited for: for kills and concurrent runs.
final class Spawned {
    let process = Process()
    let started = Date()
    private let outURL: URL
    private let errURL: URL

    init(_ arguments: [String], in folder: URL) throws {
        process.executableURL = Execution.binary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        outURL = folder.appendingPathComponent(".stdout-\(UUID().uuidString)")
        errURL = folder.appendingPathComponent(".stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
    }

    /// SIGKILL: no handler, no cleanup, like a power cut for the process.
    func kill() {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
    }

    /// Waits for the end; returns what it printed and how it ended.
    func wait() throws -> (execution: Execution, seconds: Double, killed: Bool) {
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(started)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let killed = process.terminationReason == .uncaughtSignal
        let execution = Execution(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
        return (execution, seconds, killed)
    }
}

extension Fixture {
    /// Replaces the fixture's returns and config with a generated dataset of `transactions` rows.
    func generate(transactions: Int) throws {
        try FileManager.default.removeItem(at: returns)
        try FileManager.default.removeItem(at: config)
        let run = try Execution.run(
            ["--quiet", "generate", "--out", root.path, "--transactions", String(transactions)], in: root)
        guard run.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: ["stderr": run.stderr]) }
    }

    /// `content_sha256` of the latest snapshot, as `grdp snapshots --json` prints it.
    func latestContentHash() throws -> String? {
        let run = try grdp("--quiet", "snapshots", "--json")
        let list = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]]
        return list?.last?["content_sha256"] as? String
    }

    func start(_ arguments: String...) throws -> Spawned {
        try Spawned(arguments, in: root)
    }
}
