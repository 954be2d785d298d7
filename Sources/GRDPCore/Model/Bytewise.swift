#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// -1, 0 or 1 by bytewise (UTF-8) order: the order of archives, members, codes and keys
/// everywhere in grdp (CONTRACT §3, §4.4). The same on every machine and locale, and total
/// (unlike `String`'s `<`, which orders and equates canonically equivalent spellings).
/// `memcmp` on the strings' contiguous UTF-8: it sits on the hot path of Compute's sorts.
func bytewiseCompare(_ a: String, _ b: String) -> Int {
    // A native or small string's bytes in place, no copy of either string (a copy is a retain and
    // a release, twice a comparison); a bridged or lazy one made contiguous first.
    if let order = a.utf8.withContiguousStorageIfAvailable({ x in
        b.utf8.withContiguousStorageIfAvailable { y in bytewiseCompare(x, y) }
    }), let order {
        return order
    }
    var a = a
    var b = b
    return a.withUTF8 { x in b.withUTF8 { y in bytewiseCompare(x, y) } }
}

/// -1, 0 or 1 by the bytes' order (`memcmp`, then the shorter first).
@inline(__always)
private func bytewiseCompare(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Int {
    let common = min(x.count, y.count)
    if common > 0 {
        let c = memcmp(x.baseAddress!, y.baseAddress!, common)
        if c != 0 { return c < 0 ? -1 : 1 }
    }
    return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
}

/// Whether `a` precedes `b` in bytewise (UTF-8) order (`B.zip` before `a.zip`).
func bytewiseLess(_ a: String, _ b: String) -> Bool {
    bytewiseCompare(a, b) < 0
}

/// Whether two byte strings are the same, by `memcmp`: the generic `elementsEqual` walks them
/// element by element through iterators, on the hot path of every row (a remembered cell, a stem).
@inline(__always)
func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    guard a.count > 0 else { return true }
    return memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
}

/// `sameBytes` of an array and a buffer.
@inline(__always)
func sameBytes(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    a.count == b.count && a.withUnsafeBufferPointer { sameBytes($0, b) }
}

extension StringProtocol {
    /// Whether the text is one or more ASCII digits `0`–`9` and nothing else: `Int(_:)` alone also
    /// takes a sign (`+1`, `-0`), and `Character.isNumber` takes other scripts' digits.
    var isASCIIDigits: Bool { !isEmpty && utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }

    /// Whether the text is a SHA-256 as grdp writes one: 64 lower-case hex digits.
    var isSHA256Hex: Bool {
        utf8.count == 64 && utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
