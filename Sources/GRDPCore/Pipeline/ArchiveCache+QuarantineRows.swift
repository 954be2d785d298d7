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

    /// Leaves in an entry's quarantine section (`section`: a window onto it, nil when it is
    /// empty) the quarantined rows of every member with more than `limit` of them: the member
    /// keeps its first `limit` and the counts of all (`MemberResult.quarantineSummary`), and the
    /// snapshot reads them all from the section (`CachedQuarantine`) when it takes them. Members
    /// with `limit` or fewer keep them all.
    ///
    /// `counts[m]` of the section's rows are member `m`'s. With `decoding` the members hold none
    /// yet (an entry loaded): their first rows are made here. Without, they hold them all (an
    /// archive just read and its entry just written): those past the first `limit` are let go.
    /// Every row is gone through, so a section that does not fit its counts throws.
    static func leaveQuarantine(
        of members: inout [MemberResult], counts: [Int], in section: MappedFile?, archivePath: String,
        keepingFirst limit: Int, decoding: Bool
    ) throws(HeadCursor.Malformed) {
        let bytes = section?.bytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        var reader = QuarantineRows.Reader(bytes, archivePath: archivePath)
        for (index, count) in zip(members.indices, counts) {
            // (A row takes at least 18 bytes: a count that could not fit reserves nothing.)
            guard count >= 0, count <= (bytes.count - reader.offset) / 18 else { throw HeadCursor.Malformed() }
            let start = reader.offset
            if decoding {
                guard members[index].quarantine.isEmpty else { throw HeadCursor.Malformed() }
                members[index].quarantine.reserveCapacity(min(count, limit))
            } else {
                precondition(members[index].quarantine.count == count, "the member's rows are those of its entry")
            }
            var byReason: [ReasonCode: Int] = [:]
            for row in 0..<count {
                if decoding && row < limit {
                    let entry = try reader.next(member: members[index])
                    byReason[entry.reason, default: 0] += 1
                    members[index].quarantine.append(entry)
                } else {
                    byReason[try reader.skip(), default: 0] += 1
                }
            }
            guard count > limit else { continue }
            members[index].quarantine.removeSubrange(limit...)
            members[index].quarantine.reserveCapacity(0)
            members[index].quarantineSummary = MemberResult.QuarantineSummary(count: count, byReason: byReason)
            // (`count` > 0: the section is not empty.)
            members[index].cachedQuarantine = CachedQuarantine(
                file: section!, range: start..<reader.offset, count: count, archivePath: archivePath)
        }
        guard reader.isAtEnd else { throw HeadCursor.Malformed() }
        if let base = bytes.baseAddress { MappedFile.release(base, base + bytes.count) }
    }
}

/// A member's quarantined rows left in its archive's cache entry (`ArchiveCache.leaveQuarantine`),
/// read one at a time when the snapshot takes them, instead of held in memory from the read to
/// the publish: at 10 M transactions with 1 % of rows quarantined, ~100,000 rows and their raw
/// lines were ~30 MB on the run's peak.
///
/// The entry's quarantine section stays mapped, alone (a window: not the rows before it), while
/// rows are left in it. Its rows were gone through once when they were left there; entries are
/// never written in place (`MappedFile`), so they read the same.
struct CachedQuarantine: Sendable {
    /// The section.
    let file: MappedFile
    /// This member's rows, within `file`.
    let range: Range<Int>
    let count: Int
    let archivePath: String

    /// Calls `body` with every row, in order, a chunk of the entry resident at a time.
    func forEach(
        member: MemberResult, _ body: (QuarantineEntry) throws -> Void
    ) throws {
        let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[range])
        var reader = ArchiveCache.QuarantineRows.Reader(bytes, archivePath: archivePath)
        var released = 0
        for _ in 0..<count {
            let entry: QuarantineEntry
            do throws(ArchiveCache.HeadCursor.Malformed) {
                entry = try reader.next(member: member)
            } catch {
                throw changed(member)
            }
            try body(entry)
            if reader.offset - released >= 1 << 20, let base = bytes.baseAddress {
                MappedFile.release(base + released, base + reader.offset)
                released = reader.offset
            }
        }
        guard reader.isAtEnd else { throw changed(member) }
        if let base = bytes.baseAddress { MappedFile.release(base + released, base + bytes.count) }
    }

    private func changed(_ member: MemberResult) -> SnapshotError {
        SnapshotError(
            code: .cacheChanged,
            message: "the quarantined rows of \(archivePath), member \(member.path), changed in the archive cache "
                + "while the run read them (was a file in cache/archives written to?)",
            path: archivePath)
    }
}
