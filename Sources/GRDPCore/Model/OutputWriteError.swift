import Glibc

/// An output could not be written: disk full, no permission, read-only folder (exit 73).
public struct OutputWriteError: Error, CustomStringConvertible, Sendable {
    public var path: String
    /// The C `errno`, when the failure came from the system.
    public var errno: Int32?
    public var action: String

    public init(path: String, errno: Int32?, action: String) {
        self.path = path
        self.errno = errno
        self.action = action
    }

    public var description: String {
        var text = "cannot \(action) \(path)"
        if let errno { text += ": " + String(cString: strerror(errno)) + " (errno \(errno))" }
        return text
    }
}
