internal import Foundation

/// What the partitioned key pass found, kept for the next run: which rows were current, for
/// which members in which order, and how many distinct keys they held.
///
/// A nightly run whose archives are those of the run before plus new ones need not take every
/// key again (`PartitionedRevisions.currentRows(…, kept:)`): an earlier row stays current unless a
/// new row has its key, so only the new rows' keys go into a table, and each earlier current row is
/// looked up in it. At 10 M transactions that replaces the scatter of 9 M keys into partition files
/// and their tables.
struct CurrentRowsState: Equatable, Sendable {
    /// A member with transactions, as the key pass ordered it (revision order).
    struct Member: Codable, Equatable, Hashable, Sendable {
        var archivePath: String
        var archiveSHA256: String
        /// The member's index in its archive (`MemberRef.member`), and its path there.
        var member: Int
        var memberPath: String
        var rows: Int
        /// The least and greatest year of its rows.
        var years: [Int16]?

        var archive: ArchiveIdentity { ArchiveIdentity(relativePath: archivePath, sha256: archiveSHA256) }
    }

    var members: [Member]
    /// Distinct keys among the members' rows.
    var keys: Int
    /// One bit per row by position (members in order, rows in line order): set when current.
    var bits: [UInt64]

    var rows: Int { members.reduce(0) { $0 + $1.rows } }
}

/// `<outputs>/cache/current-rows.bin`: the `CurrentRowsState` the last partitioned key pass left.
///
/// Used only when exactly right (`PartitionedRevisions.currentRows(…, kept:)` checks the members):
/// - this grdp build and this config file wrote it (the cache entries' rows are theirs);
/// - its checksum holds (`WordChecksum`): a file torn by a crash or damaged is not used;
/// - every member it names is this run's, same archive path and SHA-256, member, row count and
///   revision order; the run's other members are the new archives'.
/// Otherwise the run takes every key, as without it. Written after every partitioned key pass
/// (`--force`'s too, which does not read it), not fsynced: it only saves time.
///
/// Layout: 8 bytes of tag, the header's length (8 bytes, little-endian), the header (JSON) padded
/// with zeros to whole words, the bits (little-endian words), the checksum of all before.
struct CurrentRowsFile {
    static let fileName = "current-rows.bin"
    static let tag = Array("GRDPCUR1".utf8)

    let url: URL
    let build: String
    let configSHA256: String

    init(cacheFolder: URL, build: String, configSHA256: String) {
        url = cacheFolder.appendingPathComponent(Self.fileName)
        self.build = build
        self.configSHA256 = configSHA256
    }

    private struct Header: Codable {
        var build: String
        var configSHA256: String
        var keys: Int
        var members: [CurrentRowsState.Member]
    }

    /// The bytes of `state`'s file.
    func encode(_ state: CurrentRowsState) -> [UInt8] {
        precondition(state.bits.count == (state.rows + 63) / 64, "a bit per row")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let header = Header(build: build, configSHA256: configSHA256, keys: state.keys, members: state.members)
        // Plain values: encoding cannot fail.
        var json = [UInt8]((try? encoder.encode(header)) ?? Data())
        let length = json.count
        json += [UInt8](repeating: 0, count: (8 - length % 8) % 8)
        var bytes = Self.tag
        bytes.reserveCapacity(16 + json.count + state.bits.count * 8 + 8)
        Self.append(UInt64(length), to: &bytes)
        bytes += json
        for word in state.bits { Self.append(word, to: &bytes) }
        var checksum = WordChecksum()
        bytes.withUnsafeBytes { checksum.update($0) }
        Self.append(checksum.value, to: &bytes)
        return bytes
    }

    /// The state in `bytes`, when they are a sound file of this build and config.
    func decode(_ bytes: [UInt8]) -> CurrentRowsState? {
        guard bytes.count >= 24, bytes.count % 8 == 0, Array(bytes[0..<8]) == Self.tag else { return nil }
        var checksum = WordChecksum()
        bytes.withUnsafeBytes { checksum.update(UnsafeRawBufferPointer(rebasing: $0[..<(bytes.count - 8)])) }
        guard checksum.value == Self.word(in: bytes, at: bytes.count - 8) else { return nil }
        let length = Self.word(in: bytes, at: 8)
        guard length <= UInt64(bytes.count - 24) else { return nil }
        let headerEnd = 16 + Int(length)
        guard let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[16..<headerEnd])),
            header.build == build, header.configSHA256 == configSHA256,
            header.members.allSatisfy({
                $0.rows > 0 && $0.member >= 0 && ($0.years.map { $0.count == 2 && $0[0] <= $0[1] } ?? true)
            })
        else { return nil }
        // Sound lengths only (a file whose checksum holds may still have been made to lie): rows
        // that 32-bit positions number, at most as many keys.
        var rows = 0
        for member in header.members {
            guard member.rows < Int(UInt32.max) - rows else { return nil }
            rows += member.rows
        }
        guard header.keys >= 0, header.keys <= rows else { return nil }
        let bitsStart = (headerEnd + 7) / 8 * 8
        let words = (rows + 63) / 64
        guard bitsStart + words * 8 == bytes.count - 8 else { return nil }
        let bits = (0..<words).map { Self.word(in: bytes, at: bitsStart + $0 * 8) }
        return CurrentRowsState(members: header.members, keys: header.keys, bits: bits)
    }

    /// The kept state, when there is a sound one of this build and config.
    func read() -> CurrentRowsState? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return decode([UInt8](data))
    }

    /// Replaces the kept state with `state`, atomically (not fsynced: see the type's notes).
    func write(_ state: CurrentRowsState) throws(OutputWriteError) {
        let bytes = encode(state)
        try AtomicFile.write(to: url, durable: false) { file throws(OutputWriteError) in
            try file.write(contentsOf: bytes)
        }
    }

    func remove() { FileSystem.removeFile(url.path) }

    private static func append(_ word: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: word.littleEndian) { bytes += $0 }
    }

    private static func word(in bytes: [UInt8], at offset: Int) -> UInt64 {
        bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }
}
