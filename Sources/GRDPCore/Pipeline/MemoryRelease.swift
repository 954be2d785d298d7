#if canImport(Glibc)
    internal import Glibc
#endif

/// Hands memory the run has freed back to the system.
///
/// The archives are read on worker threads, so their rows live in glibc's per-thread arenas; once
/// the revision ledger has taken them (and once the ledger itself is emptied) those pages are free
/// but still counted in the process's resident size until the arenas are trimmed. glibc's
/// `malloc_trim` is looked up at run time (Swift's Glibc module does not import `malloc.h`); on
/// another C library this does nothing.
enum MemoryRelease {
    private typealias Trim = @convention(c) (Int) -> Int32

    private static let trim: Trim? = {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: Trim.self)
        #else
            return nil
        #endif
    }()

    static func returnFreedMemory() {
        _ = trim?(0)
    }
}
