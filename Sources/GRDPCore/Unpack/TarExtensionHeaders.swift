/// The extension headers of a tar that tools read differently, found as the decoded stream goes to
/// libarchive (which consumes them and gives only the name it settled on):
/// - a pax global header (`g`) that sets `path`, `linkpath`, `size` or `GNU.sparse.name`: GNU tar
///   and Python apply it to the members after it, libarchive does not;
/// - a member given both a GNU long name (`L`) and a pax `path` (`x`, or `GNU.sparse.name`), or
///   two long names: GNU tar takes one, libarchive and Python the other.
///
/// An archive audit found each accepted with a member read under a name other tools do not give
/// it: `notes.txt`, skipped as no CSV, where GNU tar extracts `transactions.csv`, its rows left
/// out of the figures (exit 0). Each is now `corrupt-archive`. A global header with other keys
/// (`git archive` writes its commit as `comment`) and either extension alone are read as usual.
///
/// Headers are found by their place and form: every 512-byte block of the stream (the stream's
/// blocks are whole multiples of 512 but the last) that has the `ustar` magic, or one of these
/// typeflags, and a sound checksum. Text data never does; a tar stored whole inside another one
/// could, and is judged with it.
final class TarExtensionHeaders {
    /// A pax header's records are read up to this many bytes; a larger one is refused.
    static let recordLimit = 1 << 20

    /// Since the last member header: a GNU long name, a pax `path`.
    private var longName = false
    private var paxPath = false
    /// The pax header whose records are being gathered: its type and the bytes still to come.
    private var gathering: (type: UInt8, remaining: Int, records: [UInt8])?

    /// `usta`, the magic's first four bytes (`ustar`), as a word loaded from them.
    private static let magicWord = Array("usta".utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }

    /// The typeflags of the extensions judged here: GNU long name, pax, pax global.
    private static let extensionTypes: Set<UInt8> = [UInt8(ascii: "L"), UInt8(ascii: "x"), UInt8(ascii: "g")]

    /// Looks at the next block of the stream, in order.
    func scan(_ block: UnsafeRawBufferPointer) throws(ArchiveRejection) {
        var at = 0
        while at + 512 <= block.count {
            let unit = UnsafeRawBufferPointer(rebasing: block[at..<(at + 512)])
            at += 512
            if var pending = gathering {
                let take = min(pending.remaining, 512)
                pending.records += unit[0..<take]
                pending.remaining -= take
                gathering = pending.remaining > 0 ? pending : nil
                if pending.remaining == 0 { try judge(pending.type, records: pending.records) }
                continue
            }
            // A header: the magic (looked at first, in one load: text data is turned away by it),
            // or an extension's typeflag without it (GNU tar and libarchive honour those too); then
            // a sound checksum.
            let magic =
                unit.loadUnaligned(fromByteOffset: 257, as: UInt32.self) == Self.magicWord
                && unit[261] == UInt8(ascii: "r")
            guard magic || Self.extensionTypes.contains(unit[156]), ArchiveFormat.isTarHeader(unit, orEndMarker: false)
            else { continue }
            try header(unit)
        }
    }

    private func header(_ unit: UnsafeRawBufferPointer) throws(ArchiveRejection) {
        switch unit[156] {
        case UInt8(ascii: "L"):
            if longName || paxPath {
                throw .corrupt(
                    "a member has "
                        + (longName ? "two GNU long names" : "both a pax path and a GNU long name")
                        + " (tar extension headers), which tools read differently: the tar is damaged")
            }
            longName = true
        case UInt8(ascii: "x"), UInt8(ascii: "g"):
            guard let size = Self.size(unit), size <= Self.recordLimit else {
                throw .corrupt(
                    "a pax header (typeflag \(Character(Unicode.Scalar(unit[156])))) gives a size that is not a "
                        + "number or is over 1 MiB: the tar is damaged")
            }
            if size > 0 { gathering = (unit[156], size, []) }
        case UInt8(ascii: "K"):
            // A GNU long link name: for links, which are skipped.
            break
        default:
            // A member's own header: what came before was its.
            longName = false
            paxPath = false
        }
    }

    /// A pax header's records (`length key=value\n` each) gathered whole.
    private func judge(_ type: UInt8, records: [UInt8]) throws(ArchiveRejection) {
        let keys = Self.keys(records)
        if type == UInt8(ascii: "g") {
            if let key = ["path", "linkpath", "size", "GNU.sparse.name"].first(where: keys.contains) {
                throw .corrupt(
                    "a pax global header sets '\(key)', which GNU tar applies to the members after it and "
                        + "libarchive does not: the tar is damaged")
            }
        } else if keys.contains("path") || keys.contains("GNU.sparse.name") {
            if longName {
                throw .corrupt(
                    "a member has both a GNU long name and a pax path (tar extension headers), which tools "
                        + "read differently: the tar is damaged")
            }
            paxPath = true
        }
    }

    /// The keys of pax records, as far as they parse.
    static func keys(_ records: [UInt8]) -> Set<String> {
        var keys = Set<String>()
        var at = 0
        while at < records.count {
            // The length (decimal), a space, then `key=value\n`, the length counting it all.
            var length = 0
            var index = at
            while index < records.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(records[index]) {
                length = length * 10 + Int(records[index] - UInt8(ascii: "0"))
                index += 1
                if length > records.count { return keys }
            }
            // The length counts its own digits and space: one that ends before them (`1 x`) is no record.
            guard length > 0, index < records.count, records[index] == UInt8(ascii: " "), at + length <= records.count,
                at + length > index
            else { return keys }
            let record = records[(index + 1)..<(at + length)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                keys.insert(String(decoding: record[record.startIndex..<equals], as: UTF8.self))
            }
            at += length
        }
        return keys
    }

    /// A header's size field: octal digits (spaces and NULs around them), or base-256 (its first
    /// byte's high bit set); nil when it is neither.
    static func size(_ unit: UnsafeRawBufferPointer) -> Int? {
        let field = unit[124..<136]
        if field[124] & 0x80 != 0 {
            var value = 0
            for byte in field.dropFirst() {
                guard value < Int.max >> 9 else { return nil }
                value = value << 8 | Int(byte)
            }
            return value
        }
        var value = 0
        var digits = 0
        for byte in field where byte != 0 && byte != UInt8(ascii: " ") {
            guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte), value < Int.max >> 4 else { return nil }
            value = value * 8 + Int(byte - UInt8(ascii: "0"))
            digits += 1
        }
        return digits > 0 ? value : 0
    }
}
