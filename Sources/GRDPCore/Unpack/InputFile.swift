import CFileCopy
import Foundation

#if canImport(Glibc)
    import Glibc
    private let systemRead = Glibc.read
#elseif canImport(Darwin)
    import Darwin
    private let systemRead = Darwin.read
#endif

/// A file opened for reading with POSIX calls: large sequential reads into caller buffers, no copies.
///
/// Not `Sendable`: one owner reads it. `deinit` closes the descriptor.
final class InputFile {
    let url: URL
    /// The open descriptor, for calls that take one (`FileSystem.copyContents`'s copy_file_range).
    let descriptor: Int32

    /// Opens `url`; the error names the file and the system's reason. Non-blocking, which changes
    /// nothing for a regular file: a FIFO put in a file's place (after the scan, or in the archive
    /// cache) must not hang the run at `open`.
    convenience init(_ url: URL) throws(InputFileError) {
        try self.init(FileLocation(url))
    }

    /// Opens the file at `location` (by the bytes of its path, when it has no string path).
    init(_ location: FileLocation) throws(InputFileError) {
        url = location.url
        let fd = location.withSystemPath { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
        guard fd >= 0 else { throw InputFileError(url: location.url, operation: "open", errno: errno) }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// The file's size now.
    func size() throws(InputFileError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw InputFileError(url: url, operation: "stat", errno: errno) }
        return Int64(info.st_size)
    }

    /// The type of the file system the file is on (`statfs`'s `f_type`), nil where it cannot be told.
    var fileSystemType: Int64? {
        let type = grdp_file_system_type(descriptor)
        return type < 0 ? nil : Int64(type)
    }

    /// Writes the file's dirty pages back (`fsync`, allowed on a file opened for reading): they are
    /// then write-protected in every mapping, so that the next write through one moves the file's
    /// times. False when the file system says it could not.
    func writeBack() -> Bool {
        fsync(descriptor) == 0
    }

    /// Reads until `buffer` is full or the file ends; returns the bytes read (fewer only at end of file).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputFileError) -> Int {
        try fill(buffer) { systemRead(descriptor, $0, $1) }
    }

    /// Fills `buffer` from `offset` on (fewer bytes only at end of file), leaving the sequential
    /// position alone; returns the bytes read.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(InputFileError) -> Int {
        var filled: off_t = 0
        return try fill(buffer) { address, count in
            let n = pread(descriptor, address, count, off_t(offset) + filled)
            if n > 0 { filled += off_t(n) }
            return n
        }
    }

    /// Calls `read` (a read(2) of up to the count given, into the address given) until `buffer` is
    /// full or the file ends, again when interrupted; returns the bytes read.
    private func fill(
        _ buffer: UnsafeMutableRawBufferPointer, _ read: (UnsafeMutableRawPointer, Int) -> Int
    ) throws(InputFileError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var filled = 0
        while filled < buffer.count {
            let n = read(base + filled, buffer.count - filled)
            if n < 0 {
                if errno == EINTR { continue }
                throw InputFileError(url: url, operation: "read", errno: errno)
            }
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// Reads `count` bytes at `offset` (fewer only at end of file), leaving the sequential position alone.
    func read(count: Int, at offset: Int64) throws(InputFileError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var failure: InputFileError?
        let filled = bytes.withUnsafeMutableBytes { buffer in
            do throws(InputFileError) {
                return try read(into: buffer, at: offset)
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        bytes.removeSubrange(filled...)
        return bytes
    }
}

/// A system call on an input file failed.
struct InputFileError: Error, CustomStringConvertible {
    var url: URL
    var operation: String
    var errno: Int32

    var description: String {
        "cannot \(operation) \(url.path): \(SystemReason.describe(errno))"
    }
}
