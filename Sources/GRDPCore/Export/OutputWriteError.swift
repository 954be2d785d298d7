internal import Foundation

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
        let reason = SystemReason.text(of: errno)
        var text = "cannot \(operation) '\(path)': \(reason) (\(errnoName)"
        if errnoName.hasPrefix("E") { text += ", errno \(errno)" }
        text += ")"
        if let detail, !detail.isEmpty { text += ": \(detail)" }
        return text
    }
}

/// What the system said, in words an operator can act on: an errno's text and symbolic name
/// ("Permission denied (EACCES)"), also out of a Foundation error, whose own text ("The operation
/// could not be completed. (NSCocoaErrorDomain error 256.)") says neither.
enum SystemReason {
    /// `errno`'s symbolic name where known (`ENOSPC`), else "errno N".
    static func name(of errno: Int32) -> String {
        switch errno {
        case EACCES: "EACCES"
        case EPERM: "EPERM"
        case ENOSPC: "ENOSPC"
        case EROFS: "EROFS"
        case EDQUOT: "EDQUOT"
        case EIO: "EIO"
        case ENOENT: "ENOENT"
        case ENOTDIR: "ENOTDIR"
        case EEXIST: "EEXIST"
        case EISDIR: "EISDIR"
        case EFBIG: "EFBIG"
        case EXDEV: "EXDEV"
        case EPIPE: "EPIPE"
        case EBADF: "EBADF"
        case ENXIO: "ENXIO"
        case ELOOP: "ELOOP"
        case ENAMETOOLONG: "ENAMETOOLONG"
        default: "errno \(errno)"
        }
    }

    /// The system's text for `errno` ("Permission denied").
    static func text(of errno: Int32) -> String { String(cString: strerror(errno)) }

    /// "Permission denied (EACCES)".
    static func describe(_ errno: Int32) -> String { "\(text(of: errno)) (\(name(of: errno)))" }

    /// The POSIX errno under a Foundation file error (its own, or the one it wraps), if any.
    static func posixErrno(of error: any Error) -> Int32? {
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain { return Int32(nsError.code) }
        guard let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? any Error else { return nil }
        let posix = underlying as NSError
        return posix.domain == NSPOSIXErrorDomain ? Int32(posix.code) : nil
    }

    /// `describe` of the errno under `error`, else the error's own description.
    static func describe(_ error: any Error) -> String {
        posixErrno(of: error).map { describe($0) } ?? "\(error)"
    }
}
