import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Standard output and standard error, written with write(2) and nothing in between.
///
/// `FileHandle.write` traps when the write fails (exit 132 on a full disk), and `print` buffers in
/// stdio and loses a failed write at exit (exit 0, output gone). Command output must instead fail
/// with exit 73 and say why; log lines must never fail at all: a full log disk or a closed pipe on
/// stderr is no reason to stop a nightly run half way.
public final class StandardStream: Sendable {
    /// Data: tables, reports, listings (CONTRACT §7: data goes to stdout).
    public static let output = StandardStream(descriptor: STDOUT_FILENO, name: "standard output")
    /// Human logs, summaries and `Error: …` lines.
    public static let error = StandardStream(descriptor: STDERR_FILENO, name: "standard error")

    let descriptor: Int32
    /// How errors name the stream: `cannot write 'standard output': No space left on device …`.
    public let name: String
    /// Set by the first failure of `writeIgnoringErrors`: later lines are not even tried.
    private let failed = Atomic(false)
    /// Set when the process started with this descriptor closed (`>&-`); the executable opens it
    /// on /dev/null then, so that no file takes its number, and what is written to it fails.
    private let closedAtStart = Atomic(false)

    init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
    }

    /// Writes all of `text`. A failure — `ENOSPC`, `EPIPE` (SIGPIPE ignored), `EBADF` for a closed
    /// descriptor — throws an `OutputWriteError` naming the stream (exit 73).
    public func write(_ text: String) throws(OutputWriteError) {
        try write(Array(text.utf8))
    }

    /// Writes all of `bytes`, failing as `write(_:)` does. A stream its parent left non-blocking
    /// is waited on when full, as a blocking one is.
    public func write(_ bytes: [UInt8]) throws(OutputWriteError) {
        try write(bytes, waitingWhenFull: true)
    }

    private func write(_ bytes: [UInt8], waitingWhenFull: Bool) throws(OutputWriteError) {
        if closedAtStart.load(ordering: .relaxed) {
            throw OutputWriteError(
                path: name, operation: "write", errno: EBADF, detail: "it was closed when grdp started")
        }
        try FileSystem.writeAll(bytes, to: descriptor, path: name, waitingWhenFull: waitingWhenFull)
    }

    /// Records that the process started with this stream closed: data written to it then fails
    /// (exit 73) instead of going to the /dev/null put in its place, exit 0 with the data gone.
    public func startedClosed() {
        closedAtStart.store(true, ordering: .relaxed)
    }

    /// Writes what the stream takes of `text` and never fails nor traps: for log lines, which must
    /// not stop a run. After a failure other than `EAGAIN` (a non-blocking stream that is full for
    /// now), later calls write nothing: a full disk or a closed pipe would fail every line again.
    public func writeIgnoringErrors(_ text: String) {
        guard !failed.load(ordering: .relaxed) else { return }
        do {
            // Not waited on when full: a log reader that stopped must not hold the run up.
            try write(Array(text.utf8), waitingWhenFull: false)
        } catch {
            if error.errno != EAGAIN && error.errno != EWOULDBLOCK { failed.store(true, ordering: .relaxed) }
        }
    }
}
