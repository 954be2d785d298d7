extension ArchiveCache {
    /// A text of a binary section of an entry's head (the batches' texts, the quarantined rows):
    /// [4-byte length][UTF-8], little-endian, as `HeadCursor.text` reads it back.
    static func appendText(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: utf8)
        }
    }

    /// Reads a binary section of an entry's head in order; whatever would run past its end throws.
    struct HeadCursor {
        struct Malformed: Error {}

        private let bytes: UnsafeRawBufferPointer
        private var offset = 0

        init(_ bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        var isAtEnd: Bool { offset == bytes.count }

        mutating func byte() throws(Malformed) -> UInt8 {
            guard offset < bytes.count else { throw Malformed() }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func int64() throws(Malformed) -> Int64 {
            guard bytes.count - offset >= 8 else { throw Malformed() }
            defer { offset += 8 }
            return Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))
        }

        /// A text `appendText` wrote.
        mutating func text() throws(Malformed) -> String {
            guard bytes.count - offset >= 4 else { throw Malformed() }
            let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            offset += 4
            guard bytes.count - offset >= length else { throw Malformed() }
            defer { offset += length }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]), as: UTF8.self)
        }
    }

    /// The quarantine section of an entry's head: every member's quarantined rows, in member
    /// order, binary rather than in the head's JSON. A member with 100,000 quarantined rows (1 M
    /// rows, a tenth of them bad) took ~0.9 s of `JSONEncoder` and ~90 MB more at its peak to
    /// keep, and as long again to read back every run that takes the archive from the cache.
    ///
    /// Each row: a location byte — 0 when the row's archive, member and kind are the member's
    /// own, as `ArchiveIngest` makes them; 1 when they follow as [4-byte length][archive path]
    /// [4-byte length][member path][1-byte kind] — then [8-byte line][1-byte reason]
    /// [4-byte length][detail][4-byte length][raw]. Integers little-endian; a kind or reason is
    /// its index in `allCases` (the build is part of the entry's name).
    enum QuarantineRows {
        struct Writer {
            private(set) var bytes: [UInt8] = []

            mutating func append(_ entry: QuarantineEntry, archivePath: String, member: MemberResult) {
                let location = entry.location
                if location.archivePath == archivePath, location.memberPath == member.path, entry.kind == member.kind {
                    bytes.append(0)
                } else {
                    bytes.append(1)
                    ArchiveCache.appendText(location.archivePath, to: &bytes)
                    ArchiveCache.appendText(location.memberPath, to: &bytes)
                    bytes.append(UInt8(RecordKind.allCases.firstIndex(of: entry.kind)!))
                }
                withUnsafeBytes(of: Int64(location.line).littleEndian) { bytes.append(contentsOf: $0) }
                bytes.append(UInt8(ReasonCode.allCases.firstIndex(of: entry.reason)!))
                ArchiveCache.appendText(entry.detail, to: &bytes)
                ArchiveCache.appendText(entry.raw, to: &bytes)
            }
        }

        /// Reads the rows back in order; anything that does not fit the layout throws.
        struct Reader {
            private var cursor: HeadCursor
            private let archivePath: String

            init(_ bytes: UnsafeRawBufferPointer, archivePath: String) {
                cursor = HeadCursor(bytes)
                self.archivePath = archivePath
            }

            var isAtEnd: Bool { cursor.isAtEnd }

            mutating func next(member: MemberResult) throws(HeadCursor.Malformed) -> QuarantineEntry {
                let location: (archive: String, member: String, kind: RecordKind)
                switch try cursor.byte() {
                case 0: location = (archivePath, member.path, member.kind)
                case 1: location = (try cursor.text(), try cursor.text(), try index(RecordKind.allCases))
                default: throw HeadCursor.Malformed()
                }
                let line = Int(try cursor.int64())
                let reason = try index(ReasonCode.allCases)
                return QuarantineEntry(
                    location: SourceLocation(archivePath: location.archive, memberPath: location.member, line: line),
                    kind: location.kind, reason: reason, detail: try cursor.text(), raw: try cursor.text())
            }

            private mutating func index<Cases: Collection>(_ cases: Cases) throws(HeadCursor.Malformed)
                -> Cases.Element
            where Cases.Index == Int {
                let index = Int(try cursor.byte())
                guard cases.indices.contains(index) else { throw HeadCursor.Malformed() }
                return cases[index]
            }
        }
    }
}
