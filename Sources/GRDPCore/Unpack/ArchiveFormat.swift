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

/// The end of a zip file: its End Of Central Directory record must end exactly at the end of the file, and
/// the central directory must sit right before it (no bytes appended, none prepended, no second zip).
enum ZipLayout {
    private static let endRecordLength = 22

    static func checkEnd(of file: InputFile, size: Int64) throws(ArchiveRejection) {
        guard size >= Int64(endRecordLength) else {
            throw .corrupt("the zip is truncated: \(size) bytes cannot hold its end of central directory record")
        }
        let tailLength = Int(min(size, Int64(endRecordLength + 0xFFFF)))
        let tailStart = size - Int64(tailLength)
        let tail: [UInt8]
        do { tail = try file.read(count: tailLength, at: tailStart) } catch { throw .corrupt(error.description) }
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
        var directoryEnd = recordOffset
        if directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // Zip64: a locator right before the record points at the zip64 end record, which holds the sizes.
            let locatorOffset = recordOffset - 20
            guard locatorOffset >= 0 else { throw .corrupt("the zip64 end of central directory locator is missing") }
            let locator: [UInt8]
            do { locator = try file.read(count: 20, at: locatorOffset) } catch { throw .corrupt(error.description) }
            guard locator.count == 20 && locator.starts(with: [0x50, 0x4B, 0x06, 0x07]) else {
                throw .corrupt("the zip64 end of central directory locator is missing")
            }
            let zip64Offset = Int64(bitPattern: le64(locator, 8))
            let record: [UInt8]
            do { record = try file.read(count: 56, at: zip64Offset) } catch { throw .corrupt(error.description) }
            guard zip64Offset >= 0 && record.count == 56 && record.starts(with: [0x50, 0x4B, 0x06, 0x06]) else {
                throw .corrupt("the zip64 end of central directory record is missing")
            }
            directorySize = Int64(bitPattern: le64(record, 40))
            directoryOffset = Int64(bitPattern: le64(record, 48))
            directoryEnd = zip64Offset
        }
        guard directoryOffset >= 0 && directorySize >= 0 && directoryOffset + directorySize == directoryEnd else {
            throw .corrupt(
                "the zip's central directory (offset \(directoryOffset), \(directorySize) bytes) does not end "
                    + "where its end record starts (\(directoryEnd)): bytes were prepended or another zip is joined")
        }
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
