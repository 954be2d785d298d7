import Crypto
public import Foundation

/// The SHA-256 (lowercase hex) and size of a file: an archive's identity in the report, the
/// snapshot's `source_archive`, the run fingerprint and the archive cache.
public struct FileDigest: Sendable, Equatable {
    public var hex: String
    public var bytes: Int64

    public init(hex: String, bytes: Int64) {
        self.hex = hex
        self.bytes = bytes
    }

    /// The digest of the file at `url`, streamed in large blocks (an archive is never held in memory).
    public static func sha256(of url: URL) throws -> FileDigest {
        try sha256(of: FileLocation(url))
    }

    /// The digest of the file at `location`.
    public static func sha256(of location: FileLocation) throws -> FileDigest {
        let file = try InputFile(location)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        var total: Int64 = 0
        while true {
            let count = try file.read(into: buffer)
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += Int64(count)
            if count < buffer.count { break }
        }
        return FileDigest(hex: lowercaseHex(hasher.finalize()), bytes: total)
    }
}

/// Bytes as lowercase hex, two digits each (digests, and the first bytes of a bad member in a detail).
func lowercaseHex(_ bytes: some Sequence<UInt8>, separator: String = "") -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: separator)
}
