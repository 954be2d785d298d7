public import Foundation

/// Where a file under the returns folder is. A name that is not UTF-8 (Latin-1 from an old
/// Windows share) cannot be a Foundation path, which is a string: such a file is named by the
/// bytes of its path, opened when it is used and closed after, and `url` is only for messages.
public struct FileLocation: Sendable, Hashable {
    /// The file's URL; for a path that is not UTF-8, one with its odd bytes written `\xHH`.
    public var url: URL
    /// The path's bytes (no NUL), when `url` cannot name the file.
    var pathBytes: [UInt8]?

    public init(_ url: URL) {
        self.url = url
    }

    init(url: URL, pathBytes: [UInt8]) {
        self.url = url
        self.pathBytes = pathBytes
    }

    /// `body` with the path as the system takes it.
    func withSystemPath<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        if let pathBytes {
            let cString = pathBytes.map { CChar(bitPattern: $0) } + [0]
            return try cString.withUnsafeBufferPointer { try body($0.baseAddress!) }
        }
        return try url.path.withCString(body)
    }
}
