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
public enum MemoryRelease {
    private typealias Trim = @convention(c) (Int) -> Int32
    private typealias Option = @convention(c) (Int32, Int32) -> Int32

    /// glibc's `M_MMAP_THRESHOLD` (malloc.h).
    private static let mmapThresholdOption: Int32 = -3
    /// Blocks at least this large get their own mapping, given back to the system when freed.
    static let mmapThreshold: Int32 = 4 << 20

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

    /// Makes every block of 4 MiB or more a mapping of its own, for the whole process (call once,
    /// before any thread allocates).
    ///
    /// glibc starts at 128 KiB but raises that threshold each time such a block is freed, up to
    /// 32 MiB, so a run's large arrays (an archive's rows, growing tables) soon land in the arenas
    /// instead, where freed pages stay resident and fragment. A fixed threshold keeps them
    /// mappings: freed is returned. At 1 M transactions peak RSS went from 213–214 to 193–195 MiB;
    /// growing such an array is an `mremap`, not a copy.
    public static func mapLargeBlocks() {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
            _ = unsafeBitCast(symbol, to: Option.self)(mmapThresholdOption, mmapThreshold)
        #endif
    }
}
