#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An output file or folder could not be written: disk full, permission denied, read-only
/// file system. The executable maps this error to exit 73 (CONTRACT §7).
///
/// Modelled on swift-nio's `FileSystemError`: it names the path, the operation and the errno.
public struct OutputWriteError: Error, Sendable, CustomStringConvertible {
    /// The file or folder that could not be written.
    public var path: String
    /// What was being done: `create`, `write`, `fsync`, `rename`, …
    public var operation: String
    /// The errno reported by the system (`ENOSPC`, `EACCES`, …).
    public var errno: Int32
    /// More detail from the layer that failed (SQLite's message), if any.
    public var detail: String?
    /// Whether grdp itself would not write there (`refusal`), not the system: the message then
    /// gives grdp's reason alone, not the errno's text ("Operation not permitted" read as a
    /// permission problem the operator had to look for).
    public var isRefusal = false
    /// Set when no system call failed but a stop was asked (SIGTERM, Ctrl-C) while the write
    /// waited on a FIFO's reader (`FileSystem.writeExisting`); `errno` is then `EINTR`.
    public var stop: Stop?

    /// What a write to a FIFO was waiting for when a stop ended the wait.
    public enum Stop: Sendable {
        /// The open, for a reader to come: nothing was written.
        case waitingForReader
        /// A write, for room in the pipe of a reader that had not taken what came before: the
        /// reader holds part of the bytes.
        case waitingForRoom
    }

    public init(path: String, operation: String, errno: Int32, detail: String? = nil) {
        self.path = path
        self.operation = operation
        self.errno = errno
        self.detail = detail
    }

    /// grdp will not `operation` at `path`, for `reason`; `errno` is what the system would have
    /// said, for callers that branch on it.
    static func refusal(path: String, operation: String, errno: Int32, reason: String) -> OutputWriteError {
        var error = OutputWriteError(path: path, operation: operation, errno: errno, detail: reason)
        error.isRefusal = true
        return error
    }

    /// A stop asked while waiting at `path` (`Stop`).
    static func stopped(path: String, _ stop: Stop) -> OutputWriteError {
        var error = OutputWriteError(path: path, operation: stop == .waitingForReader ? "open" : "write", errno: EINTR)
        error.stop = stop
        return error
    }

    /// The errno's symbolic name where known (`ENOSPC`), else its number.
    public var errnoName: String { SystemReason.name(of: errno) }

    public var description: String {
        if isRefusal { return "will not \(operation) '\(path)': \(detail ?? "refused")" }
        switch stop {
        case .waitingForReader: return "stopped while waiting for a reader of '\(path)': nothing was written"
        case .waitingForRoom:
            return "stopped while waiting for the reader of '\(path)' to take more: it holds part of what was written"
        case nil: break
        }
        var text = "cannot \(operation) '\(path)': \(SystemReason.describe(errno))"
        if let detail, !detail.isEmpty { text += ": \(detail)" }
        return text
    }
}
