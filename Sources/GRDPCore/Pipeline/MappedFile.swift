#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// A regular file mapped read-only into memory, unmapped when the last reference goes: what a cache
/// entry's rows are read from in place (`ArchiveCache`), instead of being copied into fresh memory
/// that the kernel must first zero (at 10 M transactions, 400 MB per nightly run).
///
/// The mapping is private and read-only, and the file is never written in place (cache entries are
/// renamed over or unlinked, which leaves a mapping intact). Truncating the file while it is mapped
/// would fault on the bytes past its end: README says not to touch `cache/archives/` during a run.
final class MappedFile: @unchecked Sendable {
    // @unchecked Sendable: `bytes` is set once in `init`, the memory it points to is read-only for
    // the mapping's life, and only `deinit` unmaps it.
    let bytes: UnsafeRawBufferPointer

    /// Nil when the file cannot be opened or mapped, is not a regular file, or is empty.
    init?(path: String) {
        #if canImport(Glibc) || canImport(Darwin)
            // Non-blocking: a FIFO in the entry's place must not hang the run (it is refused below).
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard descriptor >= 0 else { return nil }
            defer { close(descriptor) }
            var status = stat()
            guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_size > 0,
                let count = Int(exactly: status.st_size)
            else { return nil }
            let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
            guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
            // All of it is read, and soon (the digest, then the rows).
            _ = madvise(address, count, MADV_WILLNEED)
            bytes = UnsafeRawBufferPointer(start: address, count: count)
        #else
            return nil
        #endif
    }

    deinit {
        #if canImport(Glibc) || canImport(Darwin)
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        #endif
    }
}
