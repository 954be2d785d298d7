import Crypto
public import Foundation

/// SHA-256 of a file, streamed in large blocks (an archive is never held in memory).
public enum FileDigest {
    /// The lowercase hex SHA-256 of the file at `url` and its size in bytes.
    public static func sha256(of url: URL) throws -> (hex: String, bytes: Int64) {
        let file = try InputFile(url)
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
        let hex = hasher.finalize().map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        return (hex, total)
    }
}
