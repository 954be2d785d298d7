import Foundation

/// Byte-level helpers for cells: trimming, UTF-8 checks and NFC text (CONTRACT §4.1).
///
/// Cells stay bytes in the hot path; a `String` is made only for values that end up in a record.
public enum CellText {
    /// Whether `byte` is trimmed from the ends of a cell: ASCII space, TAB, CR, LF, VT and FF.
    @inline(__always)
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }

    /// `cell` without leading and trailing whitespace (ASCII whitespace and U+00A0).
    static func trimmed(_ cell: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0
        var end = cell.count
        while start < end {
            if isASCIIWhitespace(cell[start]) {
                start += 1
            } else if cell[start] == 0xC2 && start + 1 < end && cell[start + 1] == 0xA0 {
                start += 2
            } else {
                break
            }
        }
        while end > start {
            if isASCIIWhitespace(cell[end - 1]) {
                end -= 1
            } else if end - 2 >= start && cell[end - 2] == 0xC2 && cell[end - 1] == 0xA0 {
                end -= 2
            } else {
                break
            }
        }
        return UnsafeBufferPointer(rebasing: cell[start..<end])
    }

    /// Whether every byte is ASCII (eight bytes at a time).
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var i = 0
        let raw = UnsafeRawPointer(base)
        while i + 8 <= count {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < count {
            if base[i] & 0x80 != 0 { return false }
            i += 1
        }
        return true
    }

    /// Whether `bytes` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
    public static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if isASCII(bytes) { return true }
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                upper = 0x9F
            case 0xF0:
                length = 4
                lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                upper = 0x8F
            default: return false
            }
            if i + length > n { return false }
            let b1 = bytes[i + 1]
            if b1 < lower || b1 > upper { return false }
            var k = 2
            while k < length {
                if bytes[i + k] & 0xC0 != 0x80 { return false }
                k += 1
            }
            i += length
        }
        return true
    }

    /// The cell as text: trimmed and in Unicode NFC (a decomposed "Nguyễn" equals a precomposed one).
    /// Invalid UTF-8 is replaced by U+FFFD; rows with invalid UTF-8 are quarantined before this is used.
    public static func text(_ cell: UnsafeBufferPointer<UInt8>) -> String {
        let t = trimmed(cell)
        let string = String(decoding: t, as: UTF8.self)
        return isNFCByItsScalars(t) ? string : string.precomposedStringWithCanonicalMapping
    }

    /// The UTF-8 bytes of `text(cell)` for a cell of valid UTF-8: the trimmed cell itself when it is
    /// NFC by its scalars (no `String` made), else the normalized text's.
    static func withTextBytes<R>(_ cell: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let t = trimmed(cell)
        if isASCII(t) || isNFCByItsScalars(t) { return body(t) }
        var string = text(t)
        return string.withUTF8(body)
    }

    /// Whether valid UTF-8 `bytes` is in NFC because of the scalars it holds alone: every one below
    /// U+0300 (ASCII, Latin-1, Latin Extended-A and -B, spacing modifiers) or in Latin Extended
    /// Additional (U+1E00…U+1EFF). None of these has a combining class or is changed by NFC, so text
    /// of them only is NFC whatever their order: precomposed Vietnamese ("Nguyễn", "Đắk Nông") is.
    /// Anything else (a combining mark, another script) goes through Foundation's normalization,
    /// ~4 µs a cell on Linux.
    static func isNFCByItsScalars(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
            } else if (0xC2...0xCB).contains(b0), i + 1 < n, bytes[i + 1] & 0xC0 == 0x80 {
                // Two bytes, C2…CB: U+0080…U+02FF.
                i += 2
            } else if b0 == 0xE1, i + 2 < n, (0xB8...0xBB).contains(bytes[i + 1]), bytes[i + 2] & 0xC0 == 0x80 {
                // Three bytes, E1 B8…BB: U+1E00…U+1EFF.
                i += 3
            } else {
                // Another scalar, or not UTF-8 (decoded with U+FFFD, then normalized as before).
                return false
            }
        }
        return true
    }

    /// The text of `string` as a cell would be read: trimmed and NFC.
    public static func text(_ string: String) -> String {
        var copy = string
        return copy.withUTF8 { text($0) }
    }

    /// The trimmed cell in lower case (NFC): an ASCII cell is lowered byte by byte, without Foundation.
    static func lowercasedText(_ cell: UnsafeBufferPointer<UInt8>) -> String {
        let t = trimmed(cell)
        guard isASCII(t) else { return text(t).lowercased() }
        return String(unsafeUninitializedCapacity: t.count) { buffer in
            for (k, byte) in t.enumerated() {
                buffer[k] = byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
            }
            return t.count
        }
    }

    /// The key a header name, alias or status spelling is matched by: trimmed, NFC, lower case.
    public static func matchKey(_ string: String) -> String {
        text(string).lowercased()
    }

    /// Whether a trimmed cell is empty.
    @inline(__always)
    static func isEmpty(_ cell: UnsafeBufferPointer<UInt8>) -> Bool {
        trimmed(cell).isEmpty
    }

    /// A value quoted for a detail sentence: at most 240 bytes of it, lossy UTF-8.
    static func quoted(_ cell: UnsafeBufferPointer<UInt8>) -> String {
        let t = trimmed(cell)
        let limit = 240
        if t.count <= limit { return "'" + String(decoding: t, as: UTF8.self) + "'" }
        var string = String(decoding: UnsafeBufferPointer(rebasing: t[0..<limit]), as: UTF8.self)
        if string.last == "\u{FFFD}" { string.removeLast() }
        return "'" + string + "…' (\(t.count) bytes)"
    }
}
