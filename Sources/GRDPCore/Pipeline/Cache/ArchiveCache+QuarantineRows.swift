internal import Foundation

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
        private(set) var offset = 0

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
            let range = try textRange()
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }

        /// Goes past a text `appendText` wrote.
        mutating func skipText() throws(Malformed) {
            _ = try textRange()
        }

        private mutating func textRange() throws(Malformed) -> Range<Int> {
            guard bytes.count - offset >= 4 else { throw Malformed() }
            let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            offset += 4
            guard bytes.count - offset >= length else { throw Malformed() }
            defer { offset += length }
            return offset..<(offset + length)
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

            /// Lets the rows go, keeping the memory for the next.
            mutating func removeAll() {
                bytes.removeAll(keepingCapacity: true)
            }

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

            /// Goes past the next row, making none of its texts; its reason.
            mutating func skip() throws(HeadCursor.Malformed) -> ReasonCode {
                switch try cursor.byte() {
                case 0: break
                case 1:
                    try cursor.skipText()
                    try cursor.skipText()
                    _ = try index(RecordKind.allCases)
                default: throw HeadCursor.Malformed()
                }
                _ = try cursor.int64()
                let reason = try index(ReasonCode.allCases)
                try cursor.skipText()
                try cursor.skipText()
                return reason
            }

            /// The offset of the next row in the section.
            var offset: Int { cursor.offset }

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

extension ArchiveCache {
    /// Where an entry's head and its sections lie, from the offsets written at its end; whatever
    /// does not fit within the file throws. The checksums are not checked here.
    struct HeadLayout {
        /// Where the head starts (after the rows and their padding).
        let headOffset: Int
        /// The JSON's bytes.
        let json: Range<Int>
        /// The texts section's bytes.
        let texts: Range<Int>
        /// The quarantine section's bytes (`QuarantineRows`).
        let quarantine: Range<Int>
        /// The head checksum's 8 bytes: the head is `headOffset..<headChecksum.lowerBound`.
        let headChecksum: Range<Int>

        init(_ bytes: UnsafeRawBufferPointer) throws(HeadCursor.Malformed) {
            // [head…][8-byte head checksum][8-byte head offset][8-byte checksum]
            guard bytes.count >= 16 + 8 + 8 + 8 else { throw HeadCursor.Malformed() }
            func int(at offset: Int) -> Int {
                // An offset or length past Int.max reads as negative, and is refused rather than trapped on.
                Int(
                    truncatingIfNeeded: UInt64(
                        littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            }
            let offsetStart = bytes.count - 16
            let headChecksumStart = offsetStart - 8
            headOffset = int(at: offsetStart)
            guard headOffset >= 0, headOffset <= headChecksumStart - 16 else { throw HeadCursor.Malformed() }
            let headCount = headChecksumStart - headOffset
            let jsonCount = int(at: headOffset)
            guard jsonCount >= 0, jsonCount <= headCount - 16 else { throw HeadCursor.Malformed() }
            json = (headOffset + 8)..<(headOffset + 8 + jsonCount)
            let textBytes = int(at: json.upperBound)
            let textsStart = json.upperBound + 8
            guard textBytes >= 0, textBytes <= headChecksumStart - textsStart - 8 else { throw HeadCursor.Malformed() }
            texts = textsStart..<(textsStart + textBytes)
            let quarantineStart = texts.upperBound + 8
            guard int(at: texts.upperBound) == headChecksumStart - quarantineStart else { throw HeadCursor.Malformed() }
            quarantine = quarantineStart..<headChecksumStart
            headChecksum = headChecksumStart..<offsetStart
        }
    }

    /// Leaves in an entry's quarantine section (`section`: its bytes, from byte `sectionOffset` of
    /// the entry at `path`) the quarantined rows of every member with more than `limit` of them:
    /// the member keeps its first `limit` and the counts of all (`MemberResult.quarantineSummary`),
    /// and the snapshot reads them all from the entry again (`CachedQuarantine`) when it takes
    /// them. Members with `limit` or fewer keep them all. (An archive just read does the same as
    /// it writes the section: `ArchiveIngest`, `Ingest.read`.)
    ///
    /// `counts[m]` of the section's rows are member `m`'s, which hold none yet. Every row is gone
    /// through, so a section that does not fit its counts throws. The section's pages leave memory
    /// once gone through.
    static func leaveQuarantine(
        of members: inout [MemberResult], counts: [Int], section bytes: UnsafeRawBufferPointer, sectionOffset: Int,
        path: String, archivePath: String, keepingFirst limit: Int
    ) throws(HeadCursor.Malformed) {
        var reader = QuarantineRows.Reader(bytes, archivePath: archivePath)
        // Checksummed and let go a few MiB at a time behind the reader: at 10 M transactions, half
        // of them quarantined, an archive's section is ~250 MB, which stood resident until its end.
        var released = 0
        func release(upTo offset: Int) {
            if let base = bytes.baseAddress { MappedFile.release(base + released, base + offset) }
            released = offset
        }
        for (index, count) in zip(members.indices, counts) {
            // (A row takes at least 18 bytes: a count that could not fit reserves nothing.)
            guard count >= 0, count <= (bytes.count - reader.offset) / 18 else { throw HeadCursor.Malformed() }
            let start = reader.offset
            guard members[index].quarantine.isEmpty else { throw HeadCursor.Malformed() }
            members[index].quarantine.reserveCapacity(min(count, limit))
            var byReason: [ReasonCode: Int] = [:]
            var checksum = ByteChecksum()
            var checked = start
            for row in 0..<count {
                if row < limit {
                    let entry = try reader.next(member: members[index])
                    byReason[entry.reason, default: 0] += 1
                    members[index].quarantine.append(entry)
                } else {
                    byReason[try reader.skip(), default: 0] += 1
                }
                if reader.offset - checked >= Self.quarantineReleaseBytes {
                    checksum.update(UnsafeRawBufferPointer(rebasing: bytes[checked..<reader.offset]))
                    checked = reader.offset
                    release(upTo: checked)
                }
            }
            checksum.update(UnsafeRawBufferPointer(rebasing: bytes[checked..<reader.offset]))
            guard count > limit else { continue }
            members[index].quarantineSummary = MemberResult.QuarantineSummary(count: count, byReason: byReason)
            members[index].cachedQuarantine = CachedQuarantine(
                path: path, range: (sectionOffset + start)..<(sectionOffset + reader.offset), count: count,
                checksum: checksum.value, archivePath: archivePath)
        }
        guard reader.isAtEnd else { throw HeadCursor.Malformed() }
        release(upTo: bytes.count)
    }

    /// How much of a quarantine section `leaveQuarantine` goes through before it lets it go.
    static let quarantineReleaseBytes = 8 << 20
}

/// A member's quarantined rows left in its archive's cache entry (`ArchiveCache.leaveQuarantine`),
/// read again one at a time when the snapshot takes them, instead of held in memory from the read
/// to the publish: at 10 M transactions with 1 % of rows quarantined, ~100,000 rows and their raw
/// lines were ~30 MB on the run's peak.
///
/// Each pass (the order check, the content hash, the insert, an export) reads the entry's bytes
/// anew, a MiB at a time, into memory of its own, with `pread`: no mapping keeps pages of the entry
/// resident, and an entry cut short during the run is a short read, not a fault. The bytes read
/// must be those gone through when the rows were left there (`checksum`): rows written to in
/// place, cut short or replaced since throw `SnapshotError.Code.cacheChanged` at the end of the
/// pass, so that a publish whose insert or hash read other bytes fails instead of publishing them.
struct CachedQuarantine: Sendable {
    /// The entry file.
    let path: String
    /// This member's rows, in the file.
    let range: Range<Int>
    let count: Int
    /// `ByteChecksum` of the bytes `range` when the rows were left there.
    let checksum: UInt64
    let archivePath: String

    /// Bytes read at a time (a row longer than this is read whole, in more).
    static let chunk = 1 << 20

    /// Calls `body` with every row, in order.
    func forEach(member: MemberResult, _ body: (QuarantineEntry) throws -> Void) throws {
        let file: InputFile
        do {
            file = try InputFile(URL(fileURLWithPath: path))
        } catch {
            throw changed(member, "cannot be opened: \(error)")
        }
        var buffer: [UInt8] = []
        var used = 0
        var next = range.lowerBound
        var read = ByteChecksum()
        for _ in 0..<count {
            while true {
                // A row whole in what is read so far, or more read (past a chunk's end, a long row).
                let decoded = buffer.withUnsafeBytes { bytes -> (QuarantineEntry, Int)? in
                    var reader = ArchiveCache.QuarantineRows.Reader(
                        UnsafeRawBufferPointer(rebasing: bytes[used...]), archivePath: archivePath)
                    guard let entry = try? reader.next(member: member) else { return nil }
                    return (entry, reader.offset)
                }
                if let (entry, length) = decoded {
                    used += length
                    try body(entry)
                    break
                }
                guard next < range.upperBound else { throw changed(member, "no longer reads as it did") }
                buffer.removeSubrange(0..<used)
                used = 0
                let more = min(Self.chunk, range.upperBound - next)
                let start = buffer.count
                buffer.append(contentsOf: repeatElement(0, count: more))
                let complete = buffer.withUnsafeMutableBytes { bytes in
                    FileSystem.read(
                        file.descriptor, into: UnsafeMutableRawBufferPointer(rebasing: bytes[start...]), at: next)
                }
                guard complete else { throw changed(member, "is shorter than when the run read it") }
                buffer.withUnsafeBytes { read.update(UnsafeRawBufferPointer(rebasing: $0[start...])) }
                next += more
            }
        }
        guard used == buffer.count, next == range.upperBound, read.value == checksum else {
            throw changed(member, "no longer reads as it did")
        }
    }

    private func changed(_ member: MemberResult, _ what: String) -> SnapshotError {
        SnapshotError(
            code: .cacheChanged,
            message: "the quarantined rows of \(archivePath), member \(member.path), left in the archive cache, "
                + "\(what): was a file in cache/archives changed during the run? Nothing is published; run again",
            path: path)
    }
}
