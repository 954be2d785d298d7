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

    /// - Parameter environment: added to this process's.
    init(_ arguments: [String], in folder: URL, environment: [String: String] = [:]) throws {
        process.executableURL = Execution.binary
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        }
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

    func start(_ arguments: [String], environment: [String: String]) throws -> Spawned {
        try Spawned(arguments, in: root, environment: environment)
    }
}

/// `grdp` started by a shell `command` (`"$0"` is the binary) in `folder` as cron or systemd start
/// it: every signal's action the default one and none blocked (Foundation's `Process` passes the
/// test runner's blocked signals on, and a blocked SIGTERM is never handled), stdout on /dev/null,
/// stderr to a file. Not waited for: for signals sent while it runs.
final class CleanlySpawned {
    let pid: pid_t
    private let errURL: URL

    init(_ command: String, in folder: URL) throws {
        errURL = folder.appendingPathComponent(".stderr-\(UUID().uuidString)")
        let arguments = ["/bin/sh", "-c", "cd \"$1\" && " + command, Execution.binary.path, folder.path]
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        self.pid = pid
    }

    func send(_ signal: Int32) {
        _ = kill(pid, signal)
    }

    /// What it has written to stderr so far.
    var stderrSoFar: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// Whether it is still running (not reaped, not a zombie).
    var isRunning: Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !status.contains(") Z ")
    }

    /// Whether it has a handler of its own for `signal` (`SigCgt` in `/proc/<pid>/status`): sent
    /// before that, a stop signal's default action kills it.
    func catches(_ signal: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
            let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << UInt64(signal - 1)) != 0
    }

    /// `wait()`, but killed (SIGKILL) once `seconds` have passed: a hang fails its test instead of
    /// holding the whole suite.
    func wait(killingAfter seconds: Double) -> (status: Int32?, killedBy: Int32?, stderr: String) {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning && Date() < deadline { usleep(20_000) }
        if isRunning { send(SIGKILL) }
        return wait()
    }

    /// Waits for the end: its exit status, or the signal that killed it; and what it wrote to stderr.
    func wait() -> (status: Int32?, killedBy: Int32?, stderr: String) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        defer { try? FileManager.default.removeItem(at: errURL) }
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        let signal = status & 0x7F
        return signal == 0 ? ((status >> 8) & 0xFF, nil, stderr) : (nil, signal, stderr)
    }
}
