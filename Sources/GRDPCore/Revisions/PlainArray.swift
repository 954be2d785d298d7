internal import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Plain values in one block of memory, grown as `Array` grows, that may begin as a private
/// mapping of a file's bytes (`init(mapping:…)`): the revision ledger's arrays, used in place from
/// the state a full run kept (`LedgerStateFile`).
///
/// Why not `Array`: an array read from a file is fresh memory that the kernel first zeroes, then
/// `read(2)` copies into. At 10 M transactions that is ~0.6 GB and ~0.5 s of a nightly run, most
/// of it zeroing, for a night's archive that reads a few hundred thousand of those values and
/// changes fewer. A private mapping of the file hands out the page cache's pages as they are read
/// and copies a page only when it is first written (copy on write, by the kernel).
///
/// Value semantics, as `Array`'s: copies share the block until one of them is changed, which then
/// copies it whole. A mapping of a file stays valid when the file is replaced by a rename (the
/// ledger state always is: `AtomicFile`); a file truncated in place while mapped would fault
/// (SIGBUS) on its lost pages — the state lives in the outputs' cache, under the run's lock.
struct PlainArray<Element: BitwiseCopyable>: RandomAccessCollection, MutableCollection {
    private var block: Block

    init() { block = Block(capacity: 0) }

    /// `count` copies of `value`, written now, zeros too: a hash table's bucket left to the
    /// system's zero page is read first (mapping that shared page), then written, and that write
    /// must flush the other core's TLB (an interrupt: ~2 % of a 1 M rebuild's CPU when this took
    /// `calloc`'s lazy zeros).
    init(repeating value: Element, count: Int) {
        block = Block(capacity: count)
        block.count = count
        block.pointer.initialize(repeating: value, count: count)
    }

    init(_ values: some Collection<Element>) {
        block = Block(capacity: values.count)
        append(contentsOf: values)
    }

    /// The `count` values at file offset `offset` of `descriptor` (a multiple of the page size),
    /// mapped privately, with room for `capacity` values before the block is copied to grow; nil
    /// when the system will not map it (the caller reads it instead).
    init?(mapping descriptor: Int32, offset: Int, count: Int, capacity: Int) {
        guard let block = Block(mapping: descriptor, offset: offset, count: count, capacity: Swift.max(capacity, count))
        else { return nil }
        self.block = block
    }

    var startIndex: Int { 0 }
    var endIndex: Int { block.count }
    var count: Int { block.count }

    @inline(__always)
    subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < block.count, "index out of range")
            return block.pointer[index]
        }
        _modify {
            precondition(index >= 0 && index < block.count, "index out of range")
            makeUnique()
            yield &block.pointer[index]
        }
    }

    @inline(__always)
    mutating func append(_ value: Element) {
        makeUnique(room: block.count + 1)
        block.append(value)
    }

    mutating func append(contentsOf values: some Collection<Element>) {
        makeUnique(room: block.count + values.count)
        let copied: Void? = values.withContiguousStorageIfAvailable { source in
            guard let base = source.baseAddress else { return }
            (block.pointer + block.count).initialize(from: base, count: source.count)
            block.count += source.count
        }
        if copied == nil {
            for value in values { block.append(value) }
        }
    }

    /// Appends `count` values that `fill` writes (all of them, or it throws and none are added).
    mutating func appendUninitialized(
        _ count: Int, _ fill: (UnsafeMutableBufferPointer<Element>) throws -> Void
    ) rethrows {
        makeUnique(room: block.count + count)
        try fill(UnsafeMutableBufferPointer(start: block.pointer + block.count, count: count))
        block.count += count
    }

    mutating func reserveCapacity(_ capacity: Int) {
        makeUnique(room: capacity)
    }

    mutating func removeLast(_ k: Int) {
        precondition(k >= 0 && k <= block.count, "removing more values than there are")
        makeUnique()
        block.count -= k
    }

    func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(start: block.pointer, count: block.count))
    }

    mutating func withUnsafeMutableBufferPointer<R, E: Error>(
        _ body: (UnsafeMutableBufferPointer<Element>) throws(E) -> R
    ) throws(E) -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: block.pointer, count: block.count))
    }

    func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R? {
        try body(UnsafeBufferPointer(start: block.pointer, count: block.count))
    }

    /// Whether the values begin as a mapping of a file (for tests).
    var isMapped: Bool { block.mapping != nil }

    /// When the values begin as a mapping of `file` at `offset`: the ranges of indices whose bytes
    /// may now differ from the file's — those on pages this process has written (each a copy, made
    /// on write) and those past the bytes mapped. Every other value still lies on the file's own
    /// page and so equals the file's bytes. Nil when the values are not such a mapping, or when the
    /// system does not tell written pages apart (`/proc/self/pagemap`): then any value may differ.
    func indicesMaybeChanged(fromFile file: InputFile, at offset: Int) -> [Range<Int>]? {
        guard let source = block.source, source.offset == offset, let mapping = block.mapping,
            let identity = FileIdentity(file.descriptor), identity == source.file
        else { return nil }
        let page = source.page
        let stride = MemoryLayout<Element>.stride
        let pages = source.fileBytes / page
        guard let flags = PageFlags.read(from: mapping.address, pages: pages, pageSize: page) else { return nil }
        var ranges: [Range<Int>] = []
        func add(_ bytes: Range<Int>) {
            let lower = bytes.lowerBound / stride
            let upper = Swift.min((bytes.upperBound + stride - 1) / stride, block.count)
            guard lower < upper else { return }
            if let last = ranges.last, last.upperBound >= lower {
                ranges[ranges.count - 1] = last.lowerBound..<Swift.max(last.upperBound, upper)
            } else {
                ranges.append(lower..<upper)
            }
        }
        for index in 0..<pages where !flags[index] { add(index * page..<(index + 1) * page) }
        add(source.fileBytes..<Swift.max(source.fileBytes, block.count * stride))
        return ranges
    }

    /// Makes the block this value's own, with room for `room` values.
    @inline(__always)
    private mutating func makeUnique(room: Int = 0) {
        if _slowPath(!isKnownUniquelyReferenced(&block) || room > block.capacity) {
            let grown = room > block.capacity ? Swift.max(room, block.capacity * 2) : block.capacity
            // A block of its own grows where it is: `realloc` moves a large block by remapping its
            // pages, where a copy would hold both blocks at once (at 10 M keys, 67 MB more for
            // each 8-byte array that doubles).
            if isKnownUniquelyReferenced(&block), block.grow(capacity: grown) { return }
            block = block.copy(capacity: grown)
        }
    }

    private final class Block {
        private(set) var pointer: UnsafeMutablePointer<Element>
        var count = 0
        private(set) var capacity: Int
        /// The region to unmap, when the block is a mapping; else `pointer` is `malloc`'s.
        let mapping: (address: UnsafeMutableRawPointer, bytes: Int)?
        /// The file mapped over the region's start, when one is: its identity, the offset and the
        /// bytes mapped (whole pages), and the page size.
        private(set) var source: (file: FileIdentity, offset: Int, fileBytes: Int, page: Int)?

        private static var stride: Int { MemoryLayout<Element>.stride }
        private static var alignment: Int { Swift.max(MemoryLayout<Element>.alignment, 16) }

        init(capacity: Int) {
            self.capacity = Swift.max(capacity, 0)
            let bytes = Swift.max(self.capacity * Self.stride, 1)
            var raw: UnsafeMutableRawPointer?
            if posix_memalign(&raw, Self.alignment, bytes) != 0 { raw = nil }
            guard let raw else { fatalError("out of memory for \(bytes) bytes") }
            pointer = raw.bindMemory(to: Element.self, capacity: self.capacity)
            mapping = nil
        }

        init?(mapping descriptor: Int32, offset: Int, count: Int, capacity: Int) {
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            guard page > 0, offset % page == 0, count >= 0 else { return nil }
            func pages(_ bytes: Int) -> Int { (bytes + page - 1) / page * page }
            let fileBytes = pages(count * Self.stride)
            let bytes = Swift.max(pages(capacity * Self.stride), fileBytes, page)
            // The whole room, anonymous and not yet memory; then the file's pages over its start.
            guard
                let region = mmap(
                    nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                region != UnsafeMutableRawPointer(bitPattern: -1)
            else { return nil }
            if fileBytes > 0 {
                let mapped = mmap(
                    region, fileBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, descriptor, off_t(offset))
                guard mapped == region else {
                    munmap(region, bytes)
                    return nil
                }
            }
            pointer = region.bindMemory(to: Element.self, capacity: bytes / Self.stride)
            self.count = count
            self.capacity = bytes / Self.stride
            mapping = (region, bytes)
            source = FileIdentity(descriptor).map { ($0, offset, fileBytes, page) }
        }

        deinit {
            if let mapping {
                munmap(mapping.address, mapping.bytes)
            } else {
                free(pointer)
            }
        }

        @inline(__always)
        func append(_ value: Element) {
            (pointer + count).initialize(to: value)
            count += 1
        }

        /// Room for `capacity` values in place, when the block is `malloc`'s (not a mapping) and
        /// `realloc` keeps its alignment; false, the block unchanged, otherwise.
        func grow(capacity: Int) -> Bool {
            guard mapping == nil, Self.alignment <= 16, capacity > self.capacity else { return false }
            let (bytes, overflow) = capacity.multipliedReportingOverflow(by: Self.stride)
            // glibc and Darwin's malloc align every block to 16 bytes.
            guard !overflow, let moved = realloc(pointer, bytes) else { return false }
            pointer = moved.bindMemory(to: Element.self, capacity: capacity)
            self.capacity = capacity
            return true
        }

        func copy(capacity: Int) -> Block {
            let copy = Block(capacity: capacity)
            copy.pointer.initialize(from: pointer, count: count)
            copy.count = count
            return copy
        }
    }
}

// @unchecked Sendable: as `Array`'s, a block is changed only through a value that holds the one
// reference to it (`isKnownUniquelyReferenced`, an atomic count); shared blocks are only read.
extension PlainArray: @unchecked Sendable where Element: Sendable {}

extension PlainArray: ExpressibleByArrayLiteral {
    init(arrayLiteral values: Element...) { self.init(values) }
}

extension PlainArray: Equatable where Element: Equatable {
    static func == (lhs: PlainArray, rhs: PlainArray) -> Bool { lhs.elementsEqual(rhs) }
}

/// A file as the system names it (device and inode): the same file whatever its path, and not a
/// file that replaced it by a rename.
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64

    init?(_ descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

/// Per page of this process's memory, whether it still is the page of the file it maps, unwritten
/// (Linux's `/proc/self/pagemap`: bit 63 present, 62 swapped, 61 a file's or shared page). A private
/// mapping's page, once written, is an anonymous copy; one never touched, or dropped since, is not
/// present and reads as the file. A swapped page can only be such a copy.
enum PageFlags {
    static func read(from address: UnsafeMutableRawPointer, pages: Int, pageSize: Int) -> [Bool]? {
        guard pages > 0 else { return [] }
        guard let pagemap = try? InputFile(URL(fileURLWithPath: "/proc/self/pagemap")) else { return nil }
        var entries = [UInt64](repeating: 0, count: pages)
        let offset = Int64(Int(bitPattern: address) / pageSize * 8)
        let got = entries.withUnsafeMutableBytes { try? pagemap.read(into: $0, at: offset) }
        guard got == pages * 8 else { return nil }
        return entries.map { entry in
            let present = entry & (1 << 63) != 0
            let swapped = entry & (1 << 62) != 0
            let filePage = entry & (1 << 61) != 0
            return !swapped && (!present || filePage)
        }
    }
}
