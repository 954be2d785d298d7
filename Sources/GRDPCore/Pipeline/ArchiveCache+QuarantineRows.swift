extension ArchiveCache {
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
        struct Malformed: Error {}

        struct Writer {
            private(set) var bytes: [UInt8] = []

            mutating func append(_ entry: QuarantineEntry, archivePath: String, member: MemberResult) {
                let location = entry.location
                if location.archivePath == archivePath, location.memberPath == member.path, entry.kind == member.kind {
                    bytes.append(0)
                } else {
                    bytes.append(1)
                    text(location.archivePath)
                    text(location.memberPath)
                    bytes.append(UInt8(RecordKind.allCases.firstIndex(of: entry.kind)!))
                }
                withUnsafeBytes(of: Int64(location.line).littleEndian) { bytes.append(contentsOf: $0) }
                bytes.append(UInt8(ReasonCode.allCases.firstIndex(of: entry.reason)!))
                text(entry.detail)
                text(entry.raw)
            }

            private mutating func text(_ value: String) {
                var value = value
                value.withUTF8 { utf8 in
                    withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
                    bytes.append(contentsOf: utf8)
                }
            }
        }

        /// Reads the rows back in order; anything that does not fit the layout throws `Malformed`.
        struct Reader {
            private let bytes: UnsafeRawBufferPointer
            private let archivePath: String
            private var offset = 0

            init(_ bytes: UnsafeRawBufferPointer, archivePath: String) {
                self.bytes = bytes
                self.archivePath = archivePath
            }

            var isAtEnd: Bool { offset == bytes.count }

            mutating func next(member: MemberResult) throws(Malformed) -> QuarantineEntry {
                let location: (archive: String, member: String, kind: RecordKind)
                switch try byte() {
                case 0: location = (archivePath, member.path, member.kind)
                case 1: location = (try text(), try text(), try index(RecordKind.allCases))
                default: throw Malformed()
                }
                guard bytes.count - offset >= 8 else { throw Malformed() }
                let line = Int(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
                offset += 8
                let reason = try index(ReasonCode.allCases)
                return QuarantineEntry(
                    location: SourceLocation(archivePath: location.archive, memberPath: location.member, line: line),
                    kind: location.kind, reason: reason, detail: try text(), raw: try text())
            }

            private mutating func byte() throws(Malformed) -> UInt8 {
                guard offset < bytes.count else { throw Malformed() }
                defer { offset += 1 }
                return bytes[offset]
            }

            private mutating func index<Cases: Collection>(_ cases: Cases) throws(Malformed) -> Cases.Element
            where Cases.Index == Int {
                let index = Int(try byte())
                guard cases.indices.contains(index) else { throw Malformed() }
                return cases[index]
            }

            private mutating func text() throws(Malformed) -> String {
                guard bytes.count - offset >= 4 else { throw Malformed() }
                let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                offset += 4
                guard bytes.count - offset >= length else { throw Malformed() }
                defer { offset += length }
                return String(
                    decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]), as: UTF8.self)
            }
        }
    }
}
