internal import struct Foundation.URL

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// A file mapped read-only into memory, unmapped when the last reference goes: what a cache
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

    /// Nil when the file cannot be opened (`InputFile`) or mapped (a folder, a device), or is empty.
    convenience init?(_ url: URL) {
        guard let file = try? InputFile(url), let size = try? file.size(), size > 0, let count = Int(exactly: size)
        else { return nil }
        // The mapping outlives the descriptor, which `file` closes.
        self.init(descriptor: file.descriptor, count: count)
        // All of it is read, and soon (the digest, then the rows).
        _ = madvise(UnsafeMutableRawPointer(mutating: bytes.baseAddress), count, MADV_WILLNEED)
    }

    /// The first `count` bytes of the file open as `descriptor` (which may be closed after); nil
    /// when they cannot be mapped. For an entry just written (`ArchiveCache.EntryWriter`), mapped
    /// from the descriptor it was written through: the bytes written, whatever is renamed where.
    init?(descriptor: Int32, count: Int) {
        guard count > 0 else { return nil }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        bytes = UnsafeRawBufferPointer(start: address, count: count)
    }

    /// Drops the pages from `start`'s to the last whole one before `end` (both within this
    /// mapping) from memory: read again, they come back from the page cache. `start`'s page may
    /// hold bytes still wanted: harmless, only read again. A pass over a large entry (its digest
    /// check, a revision pass) does this behind itself, so that the entry is not all resident at
    /// once (at 10 M transactions, two entries loaded at once were ~220 MB).
    static func release(_ start: UnsafeRawPointer, _ end: UnsafeRawPointer) {
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let low = UInt(bitPattern: start) / page * page
        let high = UInt(bitPattern: end) / page * page
        guard high > low, let address = UnsafeMutableRawPointer(bitPattern: low) else { return }
        _ = madvise(address, Int(high - low), MADV_DONTNEED)
    }

    /// Calls `body` with `elements[range]` (all when nil) `chunk` elements at a time, and the index
    /// of each chunk's first; with `releasing`, each chunk's pages leave memory once `body` is done
    /// with them (`release`): the one way a pass over a mapped entry (its checksum, its row
    /// check, a pass over a batch's rows) keeps only a chunk resident. `elements` must then lie in
    /// a mapping.
    @inline(__always)
    static func forEachChunk<Element, E: Error>(
        of elements: UnsafeBufferPointer<Element>, in range: Range<Int>? = nil, chunk: Int, releasing: Bool,
        _ body: (UnsafeBufferPointer<Element>, Int) throws(E) -> Void
    ) throws(E) {
        var first = range?.lowerBound ?? 0
        let last = range?.upperBound ?? elements.count
        while first < last {
            let end = min(first + chunk, last)
            try body(UnsafeBufferPointer(rebasing: elements[first..<end]), first)
            if releasing, let base = elements.baseAddress {
                release(UnsafeRawPointer(base + first), UnsafeRawPointer(base + end))
            }
            first = end
        }
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    }
}
