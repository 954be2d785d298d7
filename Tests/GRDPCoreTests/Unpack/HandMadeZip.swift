/// A zip written byte by byte, stored entries only, for the faults no writer makes: the local and
/// central headers made to disagree (names, extra fields, methods, attributes), entries left out
/// of the central directory, an end record that miscounts. Every CRC and size is right, so only
/// the fault made can be what a reader objects to.
struct HandMadeZip {
    struct Entry {
        var name: String
        var data: [UInt8]
        /// The name's bytes in both headers, when not `name` in UTF-8 (a name that is not UTF-8).
        var rawName: [UInt8]? = nil
        /// The central directory's name, when not `name`.
        var centralName: String? = nil
        var localExtra: [UInt8] = []
        var centralExtra: [UInt8] = []
        /// The method the local header gives (the data is stored whatever it says).
        var localMethod: UInt16 = 0
        var centralMethod: UInt16 = 0
        var externalAttributes: UInt32 = 0o100644 << 16
        /// The host "version made by" names, which says how to read the attributes: 3 Unix, 0 MS-DOS.
        var host: UInt8 = 3
        /// Written as a local entry, left out of the central directory.
        var hidden = false
        /// Bytes after the entry's data that belong to no entry.
        var paddingAfter: [UInt8] = []
    }

    var entries: [Entry]
    /// The count the end record gives, when not the central directory's.
    var statedCount: Int? = nil

    var bytes: [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        var listed = 0
        for entry in entries {
            let offset = UInt32(out.count)
            let crc = Self.crc32(entry.data)
            let size = UInt32(entry.data.count)
            let name = entry.rawName ?? Array(entry.name.utf8)
            out +=
                Self.le32(0x0403_4B50) + Self.le16(20) + Self.le16(0) + Self.le16(entry.localMethod)
                + Self.le16(0) + Self.le16(0) + Self.le32(crc) + Self.le32(size) + Self.le32(size)
                + Self.le16(UInt16(name.count)) + Self.le16(UInt16(entry.localExtra.count)) + name + entry.localExtra
                + entry.data + entry.paddingAfter
            guard !entry.hidden else { continue }
            listed += 1
            let centralName = entry.centralName.map { Array($0.utf8) } ?? name
            central +=
                Self.le32(0x0201_4B50) + [0x1E, entry.host] + Self.le16(20) + Self.le16(0)
                + Self.le16(entry.centralMethod) + Self.le16(0) + Self.le16(0) + Self.le32(crc) + Self.le32(size)
                + Self.le32(size) + Self.le16(UInt16(centralName.count)) + Self.le16(UInt16(entry.centralExtra.count))
                + Self.le16(0) + Self.le16(0) + Self.le16(0) + Self.le32(entry.externalAttributes) + Self.le32(offset)
                + centralName + entry.centralExtra
        }
        let directoryOffset = UInt32(out.count)
        let count = UInt16(statedCount ?? listed)
        return out + central + Self.le32(0x0605_4B50) + Self.le16(0) + Self.le16(0) + Self.le16(count)
            + Self.le16(count) + Self.le32(UInt32(central.count)) + Self.le32(directoryOffset) + Self.le16(0)
    }

    /// An Info-ZIP Unicode Path extra field (0x7075) naming `name`, for a header whose own name is
    /// `headerName` (its CRC-32 made wrong by `crcOffBy`, when not 0: readers ignore it then).
    static func unicodePath(_ name: String, headerName: String, crcOffBy: UInt32 = 0) -> [UInt8] {
        let field = [1] + le32(crc32(Array(headerName.utf8)) &+ crcOffBy) + Array(name.utf8)
        return le16(0x7075) + le16(UInt16(field.count)) + field
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }

    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
}
