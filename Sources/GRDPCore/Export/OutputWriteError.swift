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

    /// The errno's symbolic name where known (`ENOSPC`), else its number.
    public var errnoName: String { SystemReason.name(of: errno) }

    public var description: String {
        if isRefusal { return "will not \(operation) '\(path)': \(detail ?? "refused")" }
        var text = "cannot \(operation) '\(path)': \(SystemReason.describe(errno))"
        if let detail, !detail.isEmpty { text += ": \(detail)" }
        return text
    }
}
