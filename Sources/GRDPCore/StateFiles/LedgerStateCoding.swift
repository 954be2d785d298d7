internal import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// The binary form of the ledger state (`LedgerStateFile`), and of the cache's other state files
// (`CacheStateFile`: `current-rows.bin`, `kept-groups.bin`): a header (JSON), then sections of
// whole 8-byte words, each an integer or an array (a count, then the values as they lie in memory:
// this build's layout, and the build is in the header), then a `WordChecksum` of all of it.
//
// A journal is written against such a file (its base) by the same sequence of calls: its own
// header, then per section of the base after its header, an integer's new value, or an array's
// new count, the elements that differ from the base's (indices, then values) and those past the
// base's count. Read together, base and journal give the arrays as they were when the journal was
// written. At 10 M transactions a base is ~0.6 GB and a night's journal a few MB: writing 0.6 GB
// costs 0.5–2.5 s on the benchmark machine, comparing it with the base ~0.3 s.
//
// A base's large arrays (`LedgerStateLayout.alignedFrom` bytes and more) begin at a multiple of
// `LedgerStateLayout.alignment` in the file, after zero words, so that the ledger can use them as a
// private mapping of the file (`PlainArray`): pages a night's archive only reads are the page
// cache's, and a page is copied when first written. The others are read straight into their
// storage with `read(2)`. Nothing is decoded value by value.

/// Where a base's sections lie in its file: what a journal is written against.
struct LedgerStateLayout {
    enum Section: Equatable {
        case int
        /// `offset`: the file offset of the values.
        case array(offset: Int, count: Int, stride: Int)
    }

    var sections: [Section] = []
    /// The file's checksum (its last word) and size: a journal names its base by them.
    var checksum: UInt64 = 0
    var bytes = 0

    /// A base's arrays of this many bytes or more begin at a file offset that is a multiple of
    /// `alignment` (any system's page size divides it), after zero words.
    static let alignedFrom = 1 << 20
    static let alignment = 1 << 16

    /// The zero words a base puts after an array's count, at file offset `offset`, before its
    /// `bytes` of values.
    static func padding(before bytes: Int, at offset: Int) -> Int {
        bytes >= alignedFrom ? (alignment - offset % alignment) % alignment : 0
    }
}

/// Writes a base (`init(_:)`) or a journal against one (`init(_:patching:in:)`).
struct LedgerStateWriter {
    private var out: OutStream
    private let base: (layout: LedgerStateLayout, file: InputFile)?
    /// The base's section the next call writes against (section 0 is the header).
    private var section = 1

    init(_ file: FileSystem.NewFile) {
        out = OutStream(file: file)
        base = nil
    }

    /// A journal against the base `layout` describes, whose bytes `file` reads.
    init(_ file: FileSystem.NewFile, patching layout: LedgerStateLayout, in baseFile: InputFile) {
        out = OutStream(file: file)
        base = (layout, baseFile)
    }

    /// Bytes written so far.
    var bytesWritten: Int { out.bytes }
    /// Values a journal compared with its base so far (for tests: pages never written are not).
    private(set) var valuesCompared = 0

    /// The header: the first thing written, base or journal.
    mutating func header(_ json: [UInt8]) throws(OutputWriteError) {
        try out.word(json.count)
        try out.values(json)
    }

    mutating func int(_ value: Int) throws(OutputWriteError) {
        if let base {
            precondition(base.layout.sections[section] == .int, "a journal's calls differ from its base's")
            section += 1
        }
        try out.word(value)
    }

    /// `values` as they lie in memory (plain values only), after their count; in a journal, as
    /// they differ from the base's.
    mutating func array<Element: BitwiseCopyable>(_ values: [Element]) throws(OutputWriteError) {
        try FileSystem.withBytes(of: values) { raw throws(OutputWriteError) in
            try array(raw.assumingMemoryBound(to: Element.self))
        }
    }

    /// In a journal, values that still lie on the base's own pages (mapped by `LedgerStateReader`
    /// and never written) are known to be the base's, and are not compared.
    mutating func array<Element: BitwiseCopyable>(_ values: PlainArray<Element>) throws(OutputWriteError) {
        var candidates: [Range<Int>]?
        if let base, case .array(let offset, _, _) = base.layout.sections[section] {
            candidates = values.indicesMaybeChanged(fromFile: base.file, at: offset)
        }
        try values.withUnsafeBufferPointer { buffer throws(OutputWriteError) in
            try array(buffer, comparing: candidates)
        }
    }

    /// - Parameter candidates: in a journal, the only indices whose values may differ from the
    ///   base's (nil: any).
    private mutating func array<Element: BitwiseCopyable>(
        _ values: UnsafeBufferPointer<Element>, comparing candidates: [Range<Int>]? = nil
    ) throws(OutputWriteError) {
        guard let base else {
            try out.word(values.count)
            let bytes = values.count * MemoryLayout<Element>.stride
            try out.zeros(LedgerStateLayout.padding(before: bytes, at: out.bytes))
            try out.raw(UnsafeRawBufferPointer(values))
            return
        }
        let stride = MemoryLayout<Element>.stride
        guard case .array(let offset, let baseCount, let baseStride) = base.layout.sections[section],
            baseStride == stride
        else { preconditionFailure("a journal's calls differ from its base's") }
        section += 1
        let common = min(values.count, baseCount)
        var indices: [Int64] = []
        var changed: [Element] = []
        for range in candidates ?? [0..<common] {
            let within = range.clamped(to: 0..<common)
            guard !within.isEmpty else { continue }
            try Self.differences(
                of: values[within], from: base.file, at: offset, indices: &indices, values: &changed)
            valuesCompared += within.count
        }
        try out.word(values.count)
        try out.word(indices.count)
        try out.values(indices)
        try out.values(changed)
        try out.raw(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: values[common...])))
    }

    /// The elements of `values` that differ from those the base holds from `offset` on (by their
    /// bytes): their indices and values. The base is read a chunk at a time into one buffer and
    /// compared 32 elements at a time, then one by one where those differ.
    private static func differences<Element>(
        of values: UnsafeBufferPointer<Element>.SubSequence, from file: InputFile, at offset: Int,
        indices: inout [Int64], values changed: inout [Element]
    ) throws(OutputWriteError) {
        let stride = MemoryLayout<Element>.stride
        let chunk = max(1, min((4 << 20) / max(stride, 1), values.count))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk * stride, alignment: 16)
        defer { buffer.deallocate() }
        let first = values.startIndex
        var start = 0
        while start < values.count {
            let count = min(chunk, values.count - start)
            let base = UnsafeMutableRawBufferPointer(rebasing: buffer[..<(count * stride)])
            let got: Int
            do throws(InputFileError) {
                got = try file.read(into: base, at: Int64(offset + (first + start) * stride))
            } catch {
                throw OutputWriteError(path: error.url.path, operation: error.operation, errno: error.errno)
            }
            guard got == base.count else { throw OutputWriteError(path: file.url.path, operation: "read", errno: EIO) }
            do {
                let here = UnsafeRawPointer(values.base.baseAddress! + values.startIndex) + start * stride
                var block = 0
                while block < count {
                    let end = min(block + 32, count)
                    if memcmp(here + block * stride, base.baseAddress! + block * stride, (end - block) * stride) != 0 {
                        for element in block..<end
                        where memcmp(here + element * stride, base.baseAddress! + element * stride, stride) != 0 {
                            indices.append(Int64(first + start + element))
                            changed.append(values[first + start + element])
                        }
                    }
                    block = end
                }
            }
            start += count
        }
    }

    /// Byte strings: their lengths, then their bytes one after the other.
    mutating func blobs(_ values: [[UInt8]]) throws(OutputWriteError) {
        try array(values.map { UInt32($0.count) })
        try array(Array(values.joined()))
    }

    /// Texts as `blobs`, their UTF-8 gathered without a buffer per text (the ledger holds a
    /// million at 10 M transactions).
    mutating func strings(_ values: [String]) throws(OutputWriteError) {
        var lengths: [UInt32] = []
        lengths.reserveCapacity(values.count)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.reduce(0) { $0 + $1.utf8.count })
        for var text in values {
            text.withUTF8 { utf8 in
                lengths.append(UInt32(utf8.count))
                bytes.append(contentsOf: utf8)
            }
        }
        try array(lengths)
        try array(bytes)
    }

    /// The checksum of everything written: the file's last word.
    mutating func finish() throws(OutputWriteError) {
        if let base { precondition(section == base.layout.sections.count, "a journal's calls differ from its base's") }
        try out.finish()
    }

    /// Words to the file, checksummed.
    private struct OutStream {
        let file: FileSystem.NewFile
        var checksum = WordChecksum()
        var bytes = 0

        mutating func word(_ value: Int) throws(OutputWriteError) {
            try values([UInt64(bitPattern: Int64(value)).littleEndian])
        }

        mutating func values<Element>(_ values: [Element]) throws(OutputWriteError) {
            try FileSystem.withBytes(of: values) { raw throws(OutputWriteError) in try write(raw) }
        }

        mutating func raw(_ raw: UnsafeRawBufferPointer) throws(OutputWriteError) {
            try write(raw)
        }

        /// `bytes` zero bytes (whole words).
        mutating func zeros(_ bytes: Int) throws(OutputWriteError) {
            precondition(bytes % 8 == 0, "padding is whole words")
            guard bytes > 0 else { return }
            try values([UInt64](repeating: 0, count: bytes / 8))
        }

        mutating func finish() throws(OutputWriteError) {
            let sum = checksum.value
            try file.write(contentsOf: [sum.littleEndian])
            bytes += 8
        }

        /// `raw`, then zero bytes to the next whole word.
        private mutating func write(_ raw: UnsafeRawBufferPointer) throws(OutputWriteError) {
            let whole = raw.count / 8 * 8
            if whole > 0 {
                let words = UnsafeRawBufferPointer(rebasing: raw[..<whole])
                checksum.update(words)
                try file.write(words)
            }
            if whole < raw.count {
                var last: UInt64 = 0
                withUnsafeMutableBytes(of: &last) {
                    $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[whole...]))
                }
                try withUnsafeBytes(of: &last) { word throws(OutputWriteError) in
                    checksum.update(word)
                    try file.write(word)
                }
            }
            bytes += (raw.count + 7) / 8 * 8
        }
    }
}

/// Reads what `LedgerStateWriter` wrote: a base, and, when given one, the journal written against
/// it. Every count is checked against the bytes the file has left before anything is allocated;
/// the checksums at the ends say whether the values are the ones written (`finish`).
struct LedgerStateReader {
    struct Malformed: Error {}

    private var base: InStream
    private var journal: InStream?
    /// The base's sections, as read so far.
    private(set) var layout = LedgerStateLayout()

    init(_ file: InputFile) throws {
        base = try InStream(file)
        layout.bytes = base.left + 8
    }

    /// The base's header.
    mutating func header() throws -> [UInt8] {
        precondition(layout.sections.isEmpty, "the header comes first")
        let count = try base.int()
        let json = Array(try base.values(UInt8.self, count: count))
        layout.sections.append(.array(offset: 8, count: count, stride: 1))
        return json
    }

    /// Reads `journal`'s header, and from here on applies its changes to what the base holds.
    mutating func attach(journal file: InputFile) throws -> [UInt8] {
        var stream = try InStream(file)
        let json = Array(try stream.values(UInt8.self, count: try stream.int()))
        journal = stream
        return json
    }

    mutating func int() throws -> Int {
        let value = try base.int()
        layout.sections.append(.int)
        return try journal?.int() ?? value
    }

    /// An array `LedgerStateWriter.array` wrote.
    /// A base's array is read straight into the `Array`, never held twice; with `growing`, with
    /// room for an eighth more.
    mutating func array<Element: BitwiseCopyable>(_ type: Element.Type = Element.self, growing: Bool = false) throws
        -> [Element]
    {
        guard journal == nil else { return Array(try plainArray(type)) }
        let count = try baseArray(Element.self)
        return try base.array(Element.self, count: count, capacity: growing ? count + count / 8 : count)
    }

    /// The count of the base's next array, which the base is then at (its padding skipped and its
    /// section recorded).
    private mutating func baseArray<Element>(_ type: Element.Type) throws -> Int {
        let stride = MemoryLayout<Element>.stride
        let count = try base.int()
        guard count >= 0, count <= base.left / max(stride, 1) else { throw Malformed() }
        try base.skipZeros(LedgerStateLayout.padding(before: count * stride, at: base.position))
        layout.sections.append(.array(offset: base.position, count: count, stride: stride))
        return count
    }

    /// An array `LedgerStateWriter.array` wrote, a large one of the base as a private mapping of
    /// the file (`PlainArray`); with `growing`, with room for an eighth more, as
    /// `TransactionLedger(expecting:)` gives (a night's returns then add to it without copying it
    /// whole to grow).
    ///
    /// - Parameter mapping: false for an array the run writes all over (a hash table's buckets): a
    ///   mapping would copy it a page at a time, each in a fault, where reading it is one copy.
    mutating func plainArray<Element: BitwiseCopyable>(
        _ type: Element.Type = Element.self, growing: Bool = false, mapping: Bool = true
    ) throws -> PlainArray<Element> {
        let stride = MemoryLayout<Element>.stride
        let baseCount = try baseArray(Element.self)
        guard var journal else {
            return try base.values(
                Element.self, count: baseCount, capacity: growing ? baseCount + baseCount / 8 : baseCount,
                mapping: mapping)
        }
        let count = try journal.int()
        let changes = try journal.int()
        guard count >= 0, count <= journal.left / stride + baseCount else { throw Malformed() }
        var values = try base.values(
            Element.self, count: baseCount, capacity: growing ? count + count / 8 : count, mapping: mapping)
        let indices = try journal.values(Int64.self, count: changes)
        let changed = try journal.values(Element.self, count: changes)
        let common = min(count, baseCount)
        for (index, value) in zip(indices, changed) {
            guard index >= 0, index < common else { throw Malformed() }
            values[Int(index)] = value
        }
        values.removeLast(baseCount - common)
        values.append(contentsOf: try journal.values(Element.self, count: count - common))
        self.journal = journal
        return values
    }

    mutating func blobs() throws -> [ArraySlice<UInt8>] {
        let lengths = try array(UInt32.self)
        let bytes = try array(UInt8.self)
        guard lengths.reduce(0, { $0 + Int($1) }) == bytes.count else { throw Malformed() }
        var start = 0
        return lengths.map { length in
            defer { start += Int(length) }
            return bytes[start..<start + Int(length)]
        }
    }

    mutating func strings() throws -> [String] {
        try blobs().map { String(decoding: $0, as: UTF8.self) }
    }

    /// Checks that the base, and the journal if any, end here with the checksum of all that was read.
    mutating func finish() throws {
        layout.checksum = try base.finish()
        _ = try journal?.finish()
    }

    /// A file's words, checksummed.
    private struct InStream {
        let file: InputFile
        /// Bytes left before the checksum.
        var left: Int
        var position = 0
        var checksum = WordChecksum()

        init(_ file: InputFile) throws {
            self.file = file
            left = Int(try file.size()) - 8
            guard left >= 0, left % 8 == 0 else { throw Malformed() }
        }

        mutating func int() throws -> Int {
            var word: UInt64 = 0
            try withUnsafeMutableBytes(of: &word) { try read(into: $0) }
            guard let value = Int(exactly: Int64(bitPattern: UInt64(littleEndian: word))) else { throw Malformed() }
            return value
        }

        /// `count` values, with room for `capacity`: a large array at an aligned offset mapped
        /// (its bytes read once, through a small buffer, for the checksum), else read.
        mutating func values<Element: BitwiseCopyable>(
            _ type: Element.Type, count: Int, capacity: Int? = nil, mapping: Bool = false
        ) throws -> PlainArray<Element> {
            let stride = MemoryLayout<Element>.stride
            guard count >= 0, count <= left / max(stride, 1) else { throw Malformed() }
            let room = max(capacity ?? count, count)
            let bytes = count * stride
            if mapping, bytes >= LedgerStateLayout.alignedFrom, bytes % 8 == 0,
                position % LedgerStateLayout.alignment == 0,
                let mapped = PlainArray<Element>(
                    mapping: file.descriptor, offset: position, count: count, capacity: room)
            {
                try checksum(bytes)
                return mapped
            }
            var values = PlainArray<Element>()
            values.reserveCapacity(room)
            try values.appendUninitialized(count) { buffer in try read(into: UnsafeMutableRawBufferPointer(buffer)) }
            return values
        }

        /// `count` values read into an `Array` with room for `capacity`.
        mutating func array<Element: BitwiseCopyable>(_ type: Element.Type, count: Int, capacity: Int) throws
            -> [Element]
        {
            let stride = MemoryLayout<Element>.stride
            guard count >= 0, count <= left / max(stride, 1) else { throw Malformed() }
            // Not through `unsafeUninitializedCapacity: 0`, which writes the count of the one shared
            // empty array's storage: a race with every other thread making an empty array
            // (ThreadSanitizer saw it while archives were read beside the ledger's resume).
            guard max(capacity, count) > 0 else { return [] }
            return try [Element](unsafeUninitializedCapacity: max(capacity, count)) { buffer, initialized in
                try read(into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[..<count])))
                initialized = count
            }
        }

        /// Skips `bytes` of zero words (a base's padding before an aligned array).
        mutating func skipZeros(_ bytes: Int) throws {
            guard bytes > 0 else { return }
            guard bytes % 8 == 0, bytes <= left else { throw Malformed() }
            let words = try values(UInt64.self, count: bytes / 8)
            guard words.allSatisfy({ $0 == 0 }) else { throw Malformed() }
        }

        /// Reads the next `bytes` (whole words) into a small buffer, for the checksum alone.
        private mutating func checksum(_ bytes: Int) throws {
            guard bytes % 8 == 0, bytes <= left else { throw Malformed() }
            let chunk = 1 << 20
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(chunk, bytes), alignment: 16)
            defer { buffer.deallocate() }
            var done = 0
            while done < bytes {
                let part = UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(chunk, bytes - done)])
                try read(into: part)
                done += part.count
            }
        }

        /// Checks that the file ends here with the checksum of what was read; returns it.
        func finish() throws -> UInt64 {
            guard left == 0 else { throw Malformed() }
            var word: UInt64 = 0
            let read = try withUnsafeMutableBytes(of: &word) { try file.read(into: $0) }
            guard read == 8, UInt64(littleEndian: word) == checksum.value else { throw Malformed() }
            return checksum.value
        }

        /// Fills `raw`, then skips the zero bytes to the next whole word.
        private mutating func read(into raw: UnsafeMutableRawBufferPointer) throws {
            let padded = (raw.count + 7) / 8 * 8
            guard padded <= left else { throw Malformed() }
            let whole = raw.count / 8 * 8
            if whole > 0 {
                let words = UnsafeMutableRawBufferPointer(rebasing: raw[..<whole])
                guard try file.read(into: words) == whole else { throw Malformed() }
                checksum.update(UnsafeRawBufferPointer(words))
            }
            if whole < raw.count {
                var last: UInt64 = 0
                try withUnsafeMutableBytes(of: &last) { word in
                    guard try file.read(into: word) == 8 else { throw Malformed() }
                }
                withUnsafeBytes(of: &last) { word in
                    checksum.update(word)
                    raw.baseAddress!.advanced(by: whole).copyMemory(
                        from: word.baseAddress!, byteCount: raw.count - whole)
                }
            }
            left -= padded
            position += padded
        }
    }
}

/// A 64-bit checksum of 8-byte words, four lanes at once (xxHash64's round): it tells a state file
/// torn by a crash or damaged on disk from the one written, at memory speed. Not a defence against
/// a file made to collide: the cache folder is the pipeline's own.
struct WordChecksum {
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (
        0x60EA_27EE_ADC0_B5D6, 0xC2B2_AE3D_27D4_EB4F, 0, 0x61C8_8646_80B5_83EB
    )
    private var words: UInt64 = 0

    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F

    @inline(__always)
    private static func round(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = lane &+ word &* prime2
        return (mixed << 31 | mixed >> 33) &* prime1
    }

    /// Takes `bytes`, a whole number of words.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count % 8 == 0, "the checksum takes whole words")
        let count = bytes.count / 8
        var (a, b, c, d) = lanes
        // Words go to lanes by their place in the whole stream, so that sections of any length
        // give the checksum of their concatenation.
        func lane(_ index: Int) -> Int { (Int(truncatingIfNeeded: words) + index) % 4 }
        func word(_ index: Int) -> UInt64 {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
        }
        func one(_ index: Int) {
            switch lane(index) {
            case 0: a = Self.round(a, word(index))
            case 1: b = Self.round(b, word(index))
            case 2: c = Self.round(c, word(index))
            default: d = Self.round(d, word(index))
            }
        }
        var index = 0
        while index < count && lane(index) != 0 {
            one(index)
            index += 1
        }
        while index + 4 <= count {
            a = Self.round(a, word(index))
            b = Self.round(b, word(index + 1))
            c = Self.round(c, word(index + 2))
            d = Self.round(d, word(index + 3))
            index += 4
        }
        while index < count {
            one(index)
            index += 1
        }
        lanes = (a, b, c, d)
        words &+= UInt64(count)
    }

    var value: UInt64 {
        let (a, b, c, d) = lanes
        var h = (a << 1 | a >> 63) &+ (b << 7 | b >> 57) &+ (c << 12 | c >> 52) &+ (d << 18 | d >> 46)
        h ^= words &* Self.prime1
        h ^= h >> 33
        h = h &* Self.prime2
        h ^= h >> 29
        return h
    }
}

/// `WordChecksum` over bytes given in pieces of any length (an archive cache entry's rows as they
/// are written, then its head): the bytes past a piece's last whole word wait for the next piece,
/// and the value takes the last bytes zero-padded, then the byte count, so that a file and the same
/// file with zero bytes added differ.
struct ByteChecksum {
    private var checksum = WordChecksum()
    private var pending: UInt64 = 0
    private var pendingBytes = 0
    private var count: UInt64 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        count &+= UInt64(bytes.count)
        var start = 0
        // First the word a piece before left open.
        while pendingBytes > 0 && start < bytes.count {
            pending |= UInt64(bytes[start]) << UInt64(8 * pendingBytes)
            pendingBytes += 1
            start += 1
            if pendingBytes == 8 { takePending() }
        }
        let whole = (bytes.count - start) / 8 * 8
        if whole > 0 { checksum.update(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + whole)])) }
        for offset in (start + whole)..<bytes.count {
            pending |= UInt64(bytes[offset]) << UInt64(8 * pendingBytes)
            pendingBytes += 1
        }
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    private mutating func takePending() {
        withUnsafeBytes(of: pending.littleEndian) { checksum.update($0) }
        pending = 0
        pendingBytes = 0
    }

    var value: UInt64 {
        var copy = self
        if copy.pendingBytes > 0 { copy.takePending() }
        withUnsafeBytes(of: count.littleEndian) { copy.checksum.update($0) }
        return copy.checksum.value
    }

    /// `value` as 8 bytes, little-endian.
    var bytes: [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}
