internal import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the system said, in words an operator can act on: an errno's text, symbolic name and
/// number ("Permission denied (EACCES, errno 13)"), also out of a Foundation error, whose own text
/// ("The operation could not be completed. (NSCocoaErrorDomain error 256.)") says none of them.
/// Every message of grdp that gives an errno gives it so (`describe`).
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
        case EINTR: "EINTR"
        case EAGAIN: "EAGAIN"
        case EBUSY: "EBUSY"
        case EINVAL: "EINVAL"
        case ENOMEM: "ENOMEM"
        case EMFILE: "EMFILE"
        case ENFILE: "ENFILE"
        case ENOTEMPTY: "ENOTEMPTY"
        case ESTALE: "ESTALE"
        case ETXTBSY: "ETXTBSY"
        case ENODEV: "ENODEV"
        case EOPNOTSUPP: "EOPNOTSUPP"
        default: "errno \(errno)"
        }
    }

    /// The system's text for `errno` ("Permission denied").
    static func text(of errno: Int32) -> String { String(cString: strerror(errno)) }

    /// "Permission denied (EACCES, errno 13)"; "… (errno 200)" for one without a name here.
    static func describe(_ errno: Int32) -> String {
        let name = name(of: errno)
        return "\(text(of: errno)) (" + (name.hasPrefix("E") ? "\(name), errno \(errno))" : "\(name))")
    }

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
