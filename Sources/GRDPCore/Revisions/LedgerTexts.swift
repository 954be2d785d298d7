internal import Foundation

/// The revision ledger's texts (channels, sellers, districts), and a member's while its batch is
/// built (`TransactionBatch`), each numbered once in the order first met: their UTF-8 bytes one after the other, where each ends, and an index by a hash of the
/// bytes. All three are plain arrays, so the ledger state (`LedgerStateFile`) keeps them as they
/// are, and a resumed ledger finds its texts without rebuilding an index: a `[String: UInt32]` of
/// the million texts of 10 M transactions took ~0.35 s to build, on the resume's critical path.
///
/// Texts are the same when they are canonically equivalent, as `String`'s `==` says (and as the
/// `Dictionary` this replaces did): a text is kept, hashed and compared as its NFC bytes. Texts
/// from the normalizer already are NFC; ASCII and precomposed Vietnamese are known to be by their
/// bytes, and only other texts are normalized.
struct LedgerTexts {
    private var bytes: PlainArray<UInt8> = []
    /// Per text, the end of its bytes in `bytes`.
    private var ends: PlainArray<UInt64> = []
    private var index: SlotIndex

    var count: Int { ends.count }

    /// Room for `capacity` texts before the index grows.
    init(capacity: Int = 16) {
        index = SlotIndex(capacity: capacity)
        ends.reserveCapacity(capacity)
    }

    /// The number of `text`, a new one the first time.
    mutating func intern(_ text: String) -> UInt32 {
        var text = text
        return text.withUTF8 { intern(utf8: $0) }
    }

    /// The number of the text whose UTF-8 is `utf8` (valid UTF-8), a new one the first time.
    mutating func intern(utf8: UnsafeBufferPointer<UInt8>) -> UInt32 {
        if CellText.isASCII(utf8) || CellText.isNFCByItsScalars(utf8) { return intern(bytes: utf8) }
        var normal = String(decoding: utf8, as: UTF8.self).precomposedStringWithCanonicalMapping
        return normal.withUTF8 { intern(bytes: $0) }
    }

    private mutating func intern(bytes text: UnsafeBufferPointer<UInt8>) -> UInt32 {
        if count == index.capacity {
            index.reserve(2 * (count + 1)) { [bytes, ends] in Self.hash(Self.text(Int($0), bytes, ends)) }
        }
        let hash = Self.hash(text)
        let found = index.findOrInsert(hash: hash, next: Int32(count)) { number in
            sameBytes(Self.text(Int(number), bytes, ends), text)
        }
        if found.inserted {
            bytes.append(contentsOf: text)
            ends.append(UInt64(bytes.count))
        }
        return UInt32(found.slot)
    }

    /// The bytes of text `number`, valid while `bytes` is not changed.
    @inline(__always)
    private static func text(
        _ number: Int, _ bytes: PlainArray<UInt8>, _ ends: PlainArray<UInt64>
    ) -> UnsafeBufferPointer<UInt8> {
        let start = number == 0 ? 0 : Int(ends[number - 1])
        let end = Int(ends[number])
        return bytes.withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[start..<end]) }
    }

    /// Text `number`.
    func string(_ number: Int) -> String {
        String(decoding: Self.text(number, bytes, ends), as: UTF8.self)
    }

    /// Every text, by number.
    var strings: [String] {
        (0..<count).map(string)
    }

    /// A hash of a text's bytes that is the same in every process (the index is kept in a file):
    /// words folded with multiplies, then `SlotIndex.hash`'s mix with the length.
    static func hash(_ text: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let base = text.baseAddress else { return SlotIndex.hash(0, 0) }
        let raw = UnsafeRawPointer(base)
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        var i = 0
        while i + 8 <= text.count {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            h = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < text.count {
            tail |= UInt64(text[i]) << shift
            shift += 8
            i += 1
        }
        return SlotIndex.hash(h ^ tail, UInt64(text.count))
    }
}

extension LedgerTexts {
    /// For the ledger state (`LedgerStateFile`).
    func write(to writer: inout LedgerStateWriter) throws(OutputWriteError) {
        try writer.array(bytes)
        try writer.array(ends)
        try index.write(to: &writer)
    }

    init(reading reader: inout LedgerStateReader) throws {
        bytes = try reader.plainArray(UInt8.self, growing: true)
        ends = try reader.plainArray(UInt64.self, growing: true)
        index = try SlotIndex(reading: &reader)
        typealias Malformed = LedgerStateReader.Malformed
        guard index.count == ends.count, ends.last.map({ $0 == bytes.count }) ?? bytes.isEmpty else {
            throw Malformed()
        }
        // Each text's end at or after the one before: a damaged file must not make `bytes(of:)`
        // slice backwards (the checksum already says the file is the one written).
        var previous: UInt64 = 0
        for end in ends {
            guard end >= previous else { throw Malformed() }
            previous = end
        }
    }
}

/// A member's texts (`TransactionBatch.strings`) numbered in other `LedgerTexts` (a year's groups'),
/// each the first time a row names it.
struct TextNumbers {
    private let strings: [String]
    /// Per text of the member, its number there (`UInt32.max`: not yet numbered).
    private var numbers: [UInt32]

    init(_ strings: [String]) {
        self.strings = strings
        numbers = [UInt32](repeating: .max, count: strings.count)
    }

    /// The number in `texts` of the member's text `local`.
    @inline(__always)
    mutating func number(_ local: UInt32, in texts: inout LedgerTexts) -> UInt32 {
        if numbers[Int(local)] == .max { numbers[Int(local)] = texts.intern(strings[Int(local)]) }
        return numbers[Int(local)]
    }
}
