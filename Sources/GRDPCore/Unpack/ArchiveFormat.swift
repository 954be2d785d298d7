internal import CCompression

/// An archive's format, detected from its content (CONTRACT §3: the name decides only *whether* a file is
/// an archive).
enum ArchiveFormat: String, Sendable {
    case zip
    case tar
    case gzip
    case xz
    case bzip2

    /// Bytes `detect` needs: one tar header.
    static let sniffLength = 512

    /// The format of a file that starts with `head`, or nil when it is none we read.
    static func detect(_ head: [UInt8]) -> ArchiveFormat? {
        func starts(with magic: [UInt8]) -> Bool { head.starts(with: magic) }
        if starts(with: [0x1F, 0x8B]) { return .gzip }
        if starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if head.count >= 4 && starts(with: Array("BZh".utf8))
            && (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(head[3])
        {
            return .bzip2
        }
        // A local file header, or the end record of a zip without entries.
        if starts(with: [0x50, 0x4B, 0x03, 0x04]) || starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .zip }
        let isTar = head.withUnsafeBytes { isTarHeader($0, orEndMarker: true) }
        return isTar ? .tar : nil
    }

    /// True when `block` starts with a tar header whose checksum holds (ustar, GNU, pax or v7, which has no
    /// magic), or, with `orEndMarker`, with an all-zero block (an empty tar: only its end-of-archive marker).
    static func isTarHeader(_ block: UnsafeRawBufferPointer, orEndMarker: Bool) -> Bool {
        guard block.count >= 512 else { return false }
        let header = UnsafeRawBufferPointer(rebasing: block[0..<512])
        if DecodedStream.firstNonZero(header) == nil { return orEndMarker }
        // The checksum field: octal digits, padded with spaces or NULs (as libarchive reads it).
        let octal = UInt8(ascii: "0")...UInt8(ascii: "7")
        for index in 148..<156 where !octal.contains(header[index]) && header[index] != 0x20 && header[index] != 0 {
            return false
        }
        var index = 148
        while index < 156 && header[index] == 0x20 { index += 1 }
        var stored = 0
        var digits = 0
        while index < 156 && octal.contains(header[index]) {
            stored = stored * 8 + Int(header[index] - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        guard digits > 0 else { return false }
        var unsignedSum = 0
        var signedSum = 0
        for index in 0..<512 {
            let byte = (148..<156).contains(index) ? UInt8(ascii: " ") : header[index]
            unsignedSum += Int(byte)
            signedSum += Int(Int8(bitPattern: byte))
        }
        return stored == unsignedSum || stored == signedSum
    }
}

/// The layout of a zip file, checked before libarchive reads it through its central directory:
/// - its End Of Central Directory record must end exactly at the end of the file, and the central
///   directory must sit right before it (no bytes appended, none prepended, no second zip);
/// - an entry whose sizes follow its data (flag bit 3, as streaming zip writers and libarchive
///   write deflated entries) must have a data descriptor that agrees with the central directory:
///   libarchive's seekable reader checks the data against the central directory only, and a
///   descriptor with another CRC or length is a damaged archive (CONTRACT §3: a zip CRC or length
///   that does not match).
enum ZipLayout {
    private static let endRecordLength = 22

    /// What a failed read of the zip says: a block that changed since the file was hashed says
    /// just that (`BlockCheckedFile`), as does an offset before the file's start; a system error
    /// names the file and the call.
    static func readFailure(_ error: any Error) -> String {
        (error as? FileChangedError)?.detail ?? "\(error)"
    }
    /// A central directory larger than this is not read for the descriptor check (libarchive
    /// still checks every entry's data against it).
    static let descriptorCheckLimit = 64 << 20

    /// What the check found of a zip's entries.
    struct Entries {
        /// Whether the zip has any. One without (only its end record: what zipping an empty folder
        /// gives) is empty, not corrupt; libarchive's reader does not recognise it.
        var exist: Bool
        /// Whether the central directory was walked (`walkEntries`): then no entry overlaps another.
        var walked = false
        /// Each entry's own compressed size, by its name in the central directory: the denominator
        /// of its compression ratio (CONTRACT §3): regular files listed once, when every entry's name
        /// is the one libarchive reports (`walkEntries`) and the directory is at most
        /// `descriptorCheckLimit`; for the others the ratio counts the compressed bytes read so far,
        /// as it does in a tar. Entries that overlap are refused, so the sizes do not either: each
        /// entry gives at most the limit times its size (`ArchiveReader` holds the whole file to
        /// that, past each member's first MiB, for a directory too large to be walked here).
        var compressedSizes: [String: Int64] = [:]
    }

    /// - Parameter walkLimit: the largest central directory whose entries are walked
    ///   (`walkEntries`); tests lower it to reach what a larger one leaves to the reader.
    ///
    /// Every byte looked at is one the file held when `file` hashed it: the layout checked is the
    /// one libarchive then reads.
    static func check(_ file: BlockCheckedFile, walkLimit: Int = descriptorCheckLimit) throws(ArchiveRejection)
        -> Entries
    {
        let directory = try checkEnd(of: file, size: file.size)
        guard directory.size > 0 else { return Entries(exist: false) }
        guard directory.size <= Int64(walkLimit) else { return Entries(exist: true) }
        let sizes = try walkEntries(
            of: file, directoryOffset: directory.offset, directorySize: Int(directory.size), stated: directory.entries)
        return Entries(exist: true, walked: true, compressedSizes: sizes)
    }

    /// Where the central directory is: checked to end where its end record starts.
    static func checkEnd(of file: BlockCheckedFile, size: Int64) throws(ArchiveRejection) -> (
        offset: Int64, size: Int64, entries: EntryCount
    ) {
        guard size >= Int64(endRecordLength) else {
            throw .corrupt("the zip is truncated: \(size) bytes cannot hold its end of central directory record")
        }
        let tailLength = Int(min(size, Int64(endRecordLength + 0xFFFF)))
        let tailStart = size - Int64(tailLength)
        let tail: [UInt8]
        do { tail = try file.read(count: tailLength, at: tailStart) } catch { throw .corrupt(readFailure(error)) }
        guard tail.count == tailLength else { throw .corrupt("the zip changed size while being read") }

        var endRecord: Int?
        var trailing: Int?
        var index = tailLength - endRecordLength
        while index >= 0 {
            if tail[index] == 0x50 && tail[index + 1] == 0x4B && tail[index + 2] == 0x05 && tail[index + 3] == 0x06 {
                let recordEnd = index + endRecordLength + Int(le16(tail, index + 20))
                if recordEnd == tailLength {
                    endRecord = index
                    break
                }
                if recordEnd < tailLength && trailing == nil { trailing = tailLength - recordEnd }
            }
            index -= 1
        }
        guard let endRecord else {
            if let trailing {
                throw .corrupt("\(trailing) bytes follow the zip's end of central directory record")
            }
            throw .corrupt("no zip end of central directory record: the zip is truncated or not a zip")
        }
        let recordOffset = tailStart + Int64(endRecord)
        var directorySize = Int64(le32(tail, endRecord + 12))
        var directoryOffset = Int64(le32(tail, endRecord + 16))
        if directorySize == 0 && le16(tail, endRecord + 10) != 0 {
            throw .corrupt(
                "the zip's end record counts \(le16(tail, endRecord + 10)) entries in an empty central directory")
        }
        var directoryEnd = recordOffset
        var count = EntryCount.classic(le16(tail, endRecord + 10))
        // Zip64: a locator right before the record points at the zip64 end record, which holds the
        // sizes. Writers add it when a size or offset overflows its field (which then holds all
        // ones), and also when only the entry count does (over 65,535 entries): then the classic
        // fields hold the real size and offset, but the directory ends at the zip64 record.
        let locatorOffset = recordOffset - 20
        var locator: [UInt8] = []
        if locatorOffset >= 0 {
            do { locator = try file.read(count: 20, at: locatorOffset) } catch { throw .corrupt(readFailure(error)) }
        }
        let hasLocator = locator.count == 20 && locator.starts(with: [0x50, 0x4B, 0x06, 0x07])
        if directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF || hasLocator {
            guard hasLocator else { throw .corrupt("the zip64 end of central directory locator is missing") }
            let zip64Offset = Int64(bitPattern: le64(locator, 8))
            guard zip64Offset >= 0 else { throw .corrupt("the zip64 end of central directory record is missing") }
            let record: [UInt8]
            do { record = try file.read(count: 56, at: zip64Offset) } catch { throw .corrupt(readFailure(error)) }
            guard record.count == 56 && record.starts(with: [0x50, 0x4B, 0x06, 0x06]) else {
                throw .corrupt("the zip64 end of central directory record is missing")
            }
            directorySize = Int64(bitPattern: le64(record, 40))
            directoryOffset = Int64(bitPattern: le64(record, 48))
            directoryEnd = zip64Offset
            count = .zip64(le64(record, 32))
        }
        // (Sizes from a zip64 record can be any 63-bit values: their sum is checked, not trapped on.)
        let (end, overflow) = directoryOffset.addingReportingOverflow(directorySize)
        guard directoryOffset >= 0 && directorySize >= 0 && !overflow && end == directoryEnd else {
            throw .corrupt(
                "the zip's central directory (offset \(directoryOffset), \(directorySize) bytes) does not end "
                    + "where its end record starts (\(directoryEnd)): bytes were prepended or another zip is joined")
        }
        return (directoryOffset, directorySize, count)
    }

    /// How many entries a zip's end record says its central directory holds.
    enum EntryCount {
        /// The classic record's 16 bits: writers without zip64 keep the count modulo 65,536.
        case classic(UInt16)
        case zip64(UInt64)

        func agrees(with count: Int) -> Bool {
            switch self {
            case .classic(let stated): stated == UInt16(truncatingIfNeeded: count)
            case .zip64(let stated): stated == UInt64(count)
            }
        }

        var description: String {
            switch self {
            case .classic(let stated): "\(stated)"
            case .zip64(let stated): "\(stated)"
            }
        }
    }

    /// Walks the central directory's entries in the order of their local headers, each local header
    /// read once:
    /// - no entry's data may run into the next entry's local header (or the central directory):
    ///   entries that overlap are how a zip bomb with no nesting (Fifield's) makes each entry's own
    ///   ratio modest and the whole archive's immense, and no writer makes them;
    /// - an entry with flag bit 3 must have a data descriptor (after its compressed data: the
    ///   signature PK 7 8, the CRC-32, then both sizes in 4 bytes, or 8 for zip64) that gives the
    ///   central directory's CRC and sizes. Every reading the format allows (4- or 8-byte sizes; a
    ///   CRC equal to the signature) is tried: only a descriptor that none of them makes agree
    ///   rejects the archive. Bytes there without the signature (a descriptor without one, which
    ///   the format allows, or none at all, which some writers do) are not judged.
    /// - an entry's local header must give the central directory's name for it, byte for byte:
    ///   libarchive names the entry by the local one, which no checksum covers.
    /// Entries are otherwise left to libarchive, which checks the data against the central
    /// directory, and reports a missing or damaged local header.
    ///
    /// - Returns: the regular files' own compressed sizes by name (`Entries.compressedSizes`), when
    ///   every name is the one libarchive will report: no NUL (libarchive stops there), no Unicode
    ///   Path field, and listed once (a folder's name too); else none.
    private static func walkEntries(
        of file: BlockCheckedFile, directoryOffset: Int64, directorySize: Int, stated: EntryCount
    ) throws(ArchiveRejection) -> [String: Int64] {
        let directory: [UInt8]
        do { directory = try file.read(count: directorySize, at: directoryOffset) } catch {
            throw .corrupt(readFailure(error))
        }
        guard directory.count == directorySize else { throw .corrupt("the zip changed size while being read") }
        var entries: [Entry] = []
        // Whether every name is sure (see above); a damaged directory is libarchive's to report.
        var trusted = true
        var at = 0
        while at + 46 <= directory.count && le32(directory, at) == 0x0201_4B50 {
            let nameLength = Int(le16(directory, at + 28))
            let extraLength = Int(le16(directory, at + 30))
            let next = at + 46 + nameLength + extraLength + Int(le16(directory, at + 32))
            guard next <= directory.count else {
                trusted = false
                break
            }
            let nameBytes = Array(directory[(at + 46)..<(at + 46 + nameLength)])
            // A folder: its name ends in `/`, or its attributes say so (MS-DOS, or a Unix mode).
            let attributes = le32(directory, at + 38)
            var entry = Entry(
                name: String(decoding: nameBytes, as: UTF8.self), nameBytes: nameBytes,
                hasDescriptor: le16(directory, at + 8) & 0x8 != 0, method: le16(directory, at + 10),
                crc: le32(directory, at + 16),
                compressed: UInt64(le32(directory, at + 20)), uncompressed: UInt64(le32(directory, at + 24)),
                localOffset: UInt64(le32(directory, at + 42)),
                isFolder: isFolder(name: nameBytes, attributes: attributes, host: directory[at + 5]))
            let fields = extraFields(directory, from: at + 46 + nameLength, to: at + 46 + nameLength + extraLength)
            // Zip64: the values at their maximum are in the extra field (id 1), in this order.
            for (_, data) in fields.filter({ $0.id == 1 }) {
                var field = data.lowerBound
                func take(_ value: inout UInt64) {
                    guard value == 0xFFFF_FFFF, field + 8 <= data.upperBound else { return }
                    value = le64(directory, field)
                    field += 8
                }
                take(&entry.uncompressed)
                take(&entry.compressed)
                take(&entry.localOffset)
            }
            // Info-ZIP's Unicode Path field: libarchive names the entry by it, not by its name.
            if fields.contains(where: { $0.id == 0x7075 }) { trusted = false }
            entry.unicodeName = try unicodeName(directory, fields, of: entry, in: "central directory")
            if entry.nameBytes.contains(0) { trusted = false }
            entries.append(entry)
            at = next
        }

        // unzip refuses a zip whose end record counts otherwise; Python and libarchive read on.
        if at == directory.count, !stated.agrees(with: entries.count) {
            throw .corrupt(
                "the zip's end record counts \(stated.description) entries where its central directory holds "
                    + "\(entries.count): the zip is damaged")
        }
        // A local header past the central directory is libarchive's to report.
        let placed = entries.filter { $0.localOffset < UInt64(directoryOffset) }
        if placed.count < entries.count { trusted = false }
        let ordered = placed.sorted { $0.localOffset < $1.localOffset }
        // Where the entry before ended (its data and any data descriptor), and its name: no bytes
        // may lie between entries (an entry hidden from the central directory, which a streaming
        // reader would read and the others not).
        var previousEnd: (offset: Int64, name: String?, descriptor: Bool)? = (0, nil, false)
        for (index, entry) in ordered.enumerated() {
            let local = Int64(entry.localOffset)
            if let previous = previousEnd {
                try checkGap(from: previous, to: local, before: "the entry '\(entry.name)'")
            }
            previousEnd = nil
            // libarchive makes an entry marked as a folder one (by a `/` or its attributes, which no
            // CRC covers): data it holds was dropped without a word (unzip and Python read it).
            if entry.isFolder && entry.uncompressed > 0 {
                throw .corrupt(
                    "it is marked as a folder but holds \(entry.uncompressed) bytes: the zip is damaged",
                    member: entry.name)
            }
            var header: [UInt8]
            do { header = try file.read(count: 30, at: local) } catch {
                throw .corrupt(readFailure(error), member: entry.name)
            }
            guard header.count == 30, le32(header, 0) == 0x0403_4B50 else {
                trusted = false
                continue
            }
            let localNameLength = Int(le16(header, 26))
            let localExtraLength = Int(le16(header, 28))
            // Then its name and extra field.
            do { header += try file.read(count: localNameLength + localExtraLength, at: local + 30) } catch {
                throw .corrupt(readFailure(error), member: entry.name)
            }
            // libarchive names an entry by its local header, whose name no check covers: one damaged
            // there was skipped as an unrecognised member, or not seen at all (`.csx`), and its rows
            // were left out of an accepted archive. unzip and Python's zipfile refuse it too.
            let localName =
                localNameLength == entry.nameBytes.count && header.count >= 30 + localNameLength
                ? Array(header[30..<(30 + localNameLength)]) : nil
            guard localName == entry.nameBytes else {
                let named =
                    localName.map { "'\(String(decoding: $0, as: UTF8.self))'" }
                    ?? "a name of \(localNameLength) bytes"
                throw .corrupt(
                    "its local header gives \(named) where the central directory gives '\(entry.name)': "
                        + "the zip is damaged", member: entry.name)
            }
            // Info-ZIP's Unicode Path field, which libarchive names the entry by, in either header:
            // they must agree too (one in the local header alone renamed a member past the name
            // check; unzip refuses either).
            let localFields = extraFields(
                header, from: 30 + localNameLength, to: 30 + localNameLength + localExtraLength)
            let localUnicodeName = try unicodeName(header, localFields, of: entry, in: "local header")
            let (localNames, centralNames) = (localUnicodeName ?? entry.nameBytes, entry.unicodeName ?? entry.nameBytes)
            if localNames != centralNames {
                throw .corrupt(
                    "its local header names it '\(String(decoding: localNames, as: UTF8.self))' (Unicode Path "
                        + "field) where the central directory names it '\(String(decoding: centralNames, as: UTF8.self))'"
                        + ": the zip is damaged", member: entry.name)
            }
            // The method libarchive decodes by is the local header's; the central directory's must be it.
            if le16(header, 8) != entry.method {
                throw .corrupt(
                    "its local header gives compression method \(le16(header, 8)) where the central directory "
                        + "gives \(entry.method): the zip is damaged", member: entry.name)
            }
            let dataStart = local + 30 + Int64(localNameLength) + Int64(localExtraLength)
            let nextStart = index + 1 < ordered.count ? Int64(ordered[index + 1].localOffset) : directoryOffset
            guard let size = Int64(exactly: entry.compressed), dataStart <= nextStart - size else {
                let next =
                    index + 1 < ordered.count ? "the entry '\(ordered[index + 1].name)'" : "the central directory"
                throw .corrupt(
                    "its \(entry.compressed) compressed bytes from offset \(dataStart) run into \(next) at offset "
                        + "\(nextStart): the zip's entries overlap", member: entry.name)
            }
            if entry.hasDescriptor {
                try checkDescriptor(of: file, entry, at: dataStart + size, directoryOffset: directoryOffset)
            }
            previousEnd = (dataStart + size, entry.name, entry.hasDescriptor)
        }
        if let previous = previousEnd, ordered.count == entries.count {
            try checkGap(from: previous, to: directoryOffset, before: "the central directory")
        }
        guard trusted else { return [:] }
        var listed: [String: Int] = [:]
        for entry in entries { listed[entry.name, default: 0] += 1 }
        var sizes: [String: Int64] = [:]
        for entry in entries where !entry.isFolder && listed[entry.name] == 1 {
            sizes[entry.name] = Int64(entry.compressed)
        }
        return sizes
    }

    /// Bytes from `previous.offset` (where an entry's data ended, or the file's start) to `next`,
    /// where the next entry or the central directory starts: fewer bytes than a local header
    /// takes (30), or a data descriptor after an entry with flag bit 3 (with or without its
    /// signature, sizes of 4 or 8 bytes).
    private static func checkGap(
        from previous: (offset: Int64, name: String?, descriptor: Bool), to next: Int64, before: String
    ) throws(ArchiveRejection) {
        let gap = next - previous.offset
        // Fewer than 30 bytes cannot hold a local header; some writers leave a few. (Entries that
        // overlap, a gap below 0, are reported with their sizes by `walkEntries`.)
        if gap < 30 || (previous.descriptor && [12, 16, 20, 24].contains(gap)) { return }
        let after = previous.name.map { "after the entry '\($0)'" } ?? "at the start of the file"
        throw .corrupt(
            "\(gap) bytes \(after), before \(before), belong to no entry of the central directory "
                + "(an entry hidden from it, which a streaming reader would read): the zip is damaged",
            member: previous.name)
    }

    /// The extra fields of a header, in `bytes[from..<to]`: each one's id and where its data is
    /// (cut at `to`, and at the end of `bytes`).
    private static func extraFields(_ bytes: [UInt8], from: Int, to: Int) -> [(id: UInt16, data: Range<Int>)] {
        let end = min(to, bytes.count)
        var fields: [(id: UInt16, data: Range<Int>)] = []
        var at = from
        while at + 4 <= end {
            let length = Int(le16(bytes, at + 2))
            fields.append((le16(bytes, at), (at + 4)..<min(at + 4 + length, end)))
            at += 4 + length
        }
        return fields
    }

    /// The name in the one sound Info-ZIP Unicode Path field among `fields` (version 1, the
    /// CRC-32 of `entry`'s name, then the name in UTF-8), or nil. A field short, of another
    /// version or made for another name is ignored, as readers ignore it; two sound ones in one
    /// header (`header`) are corrupt: readers take one or the other.
    private static func unicodeName(
        _ bytes: [UInt8], _ fields: [(id: UInt16, data: Range<Int>)], of entry: Entry, in header: String
    ) throws(ArchiveRejection) -> [UInt8]? {
        let crc = entry.nameBytes.withUnsafeBufferPointer { name in
            UInt32(truncatingIfNeeded: CCompression.crc32(0, name.baseAddress, UInt32(name.count)))
        }
        var found: [UInt8]?
        for (id, data) in fields where id == 0x7075 && data.count >= 5 && bytes[data.lowerBound] == 1 {
            let at = data.lowerBound
            let stated =
                UInt32(bytes[at + 1]) | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3]) << 16
                | UInt32(bytes[at + 4]) << 24
            guard stated == crc else { continue }
            if found != nil {
                throw .corrupt(
                    "its \(header) holds two Unicode Path fields, which readers take differently: the zip is damaged",
                    member: entry.name)
            }
            found = Array(bytes[(at + 5)..<data.upperBound])
        }
        return found
    }

    /// Whether an entry is a folder as libarchive takes it: its name ends in `/`, or its
    /// attributes say so as its host (the high byte of "version made by") writes them: a Unix
    /// mode (3), the MS-DOS folder bit (0). Other hosts' bits are not read.
    private static func isFolder(name: [UInt8], attributes: UInt32, host: UInt8) -> Bool {
        if name.last == UInt8(ascii: "/") { return true }
        switch host {
        case 3: return (attributes >> 16) & 0o170000 == 0o040000
        case 0: return attributes & 0x10 != 0
        default: return false
        }
    }

    /// An entry of the central directory, as `walkEntries` needs it.
    private struct Entry {
        var name: String
        var nameBytes: [UInt8]
        /// Flag bit 3: its CRC and sizes follow its data.
        var hasDescriptor: Bool
        /// The compression method.
        var method: UInt16
        var crc: UInt32
        var compressed: UInt64
        var uncompressed: UInt64
        var localOffset: UInt64
        var isFolder: Bool
        /// The name in its Info-ZIP Unicode Path field, if it has one (`unicodePath`).
        var unicodeName: [UInt8]? = nil
    }

    /// The data descriptor of `entry`, at `position` (where its data ends), against the central
    /// directory's CRC and sizes (`walkEntries`).
    private static func checkDescriptor(
        of file: BlockCheckedFile, _ entry: Entry, at position: Int64, directoryOffset: Int64
    )
        throws(ArchiveRejection)
    {
        let (crc, compressed, uncompressed) = (entry.crc, entry.compressed, entry.uncompressed)
        let stated =
            "the central directory says CRC \(hex(crc)), \(compressed) bytes compressed, \(uncompressed) uncompressed"
        let descriptor: [UInt8]
        do {
            descriptor = try file.read(count: Int(min(24, directoryOffset - position)), at: position)
        } catch { throw .corrupt(readFailure(error), member: entry.name) }
        // Only a descriptor with its signature is told from what may follow instead: some writers
        // set bit 3 and write none (the next local header, or the central directory, follows the
        // data), and those bytes are libarchive's to judge, as the data is.
        guard le32OrNil(descriptor, 0) == 0x0807_4B50 else { return }
        var readings: [(crc: UInt32, compressed: UInt64, uncompressed: UInt64)] = []
        // With the signature, or without it and a CRC that happens to equal the signature.
        for start in [4, 0] {
            if start + 12 <= descriptor.count {
                readings.append(
                    (le32(descriptor, start), UInt64(le32(descriptor, start + 4)), UInt64(le32(descriptor, start + 8))))
            }
            if start + 20 <= descriptor.count {
                readings.append((le32(descriptor, start), le64(descriptor, start + 4), le64(descriptor, start + 12)))
            }
        }
        if readings.contains(where: { $0 == (crc, compressed, uncompressed) }) { return }
        let found =
            readings.first.map {
                "its data descriptor says CRC \(hex($0.crc)), \($0.compressed) bytes compressed, \($0.uncompressed) uncompressed"
            } ?? "its data descriptor is cut short"
        throw .corrupt("\(found), but \(stated)", member: entry.name)
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    private static func le32OrNil(_ bytes: [UInt8], _ at: Int) -> UInt32? {
        at + 4 <= bytes.count ? le32(bytes, at) : nil
    }

    private static func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    private static func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(le16(bytes, at)) | UInt32(le16(bytes, at + 2)) << 16
    }

    private static func le64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        UInt64(le32(bytes, at)) | UInt64(le32(bytes, at + 4)) << 32
    }
}
