/// A tar written block by block, for extension headers in combinations no writer makes (a pax
/// global header setting `path`, a GNU long name beside a pax path). Checksums are right.
enum HandMadeTar {
    /// A ustar header: `name`, `typeflag`, `size`, with the POSIX magic and a sound checksum.
    static func header(_ name: String, typeflag: Character, size: Int, magic: Bool = true) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { block[offset + index] = byte }
        }
        put(String(name.prefix(100)), at: 0)
        put("0000644", at: 100)
        put("0000000", at: 108)
        put("0000000", at: 116)
        let octal = String(size, radix: 8)
        put(String(repeating: "0", count: 11 - octal.count) + octal, at: 124)
        put("00000000000", at: 136)
        block[156] = typeflag.asciiValue!
        if magic {
            put("ustar", at: 257)
            put("00", at: 263)
        }
        for index in 148..<156 { block[index] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: 6 - digits.count) + digits, at: 148)
        block[154] = 0
        return block
    }

    /// `data` padded to whole blocks.
    static func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    /// A member: its header, then its data.
    static func member(_ name: String, typeflag: Character = "0", magic: Bool = true, _ data: [UInt8]) -> [UInt8] {
        header(name, typeflag: typeflag, size: data.count, magic: magic) + padded(data)
    }

    /// A pax header (`x`, or `g` for global) holding `records`.
    static func pax(_ typeflag: Character, _ records: [(String, String)], magic: Bool = true) -> [UInt8] {
        var data: [UInt8] = []
        for (key, value) in records {
            let body = " \(key)=\(value)\n"
            // The length counts its own digits.
            var length = body.utf8.count + 1
            while String(length).utf8.count + body.utf8.count != length { length += 1 }
            data += Array("\(length)\(body)".utf8)
        }
        return member("PaxHeader", typeflag: typeflag, magic: magic, data)
    }

    /// A GNU long name header for the member after it.
    static func longName(_ name: String, magic: Bool = true) -> [UInt8] {
        member("././@LongLink", typeflag: "L", magic: magic, Array(name.utf8) + [0])
    }

    /// The end-of-archive marker.
    static let end = [UInt8](repeating: 0, count: 1024)
}
