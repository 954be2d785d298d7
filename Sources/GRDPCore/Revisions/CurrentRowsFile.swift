internal import Foundation

/// What the partitioned key pass found, kept for the next run: which rows were current, for
/// which members in which order, and how many distinct keys they held.
///
/// A nightly run whose archives are those of the run before plus new ones need not take every
/// key again (`PartitionedRevisions.currentRows(…, kept:)`): an earlier row stays current unless a
/// new row has its key, so only the new rows' keys go into a table, and each earlier current row is
/// looked up in it, of the members whose spans of id numbers (`StemSpans`, kept per member) may hold
/// a new key. At 10 M transactions that replaces the scatter of 9 M keys into partition files
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
        /// `StemSpans.flattened` of its rows: nil when unknown (too many stems), then the next key
        /// pass reads all its rows.
        var stemSpans: [UInt64]? = nil

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
/// - this grdp build and these config settings wrote it (`PipelineConfig.figuresSHA256`; the
///   cache entries' rows are theirs);
/// - its checksum holds (`WordChecksum`): a file torn by a crash or damaged is not used;
/// - every member it names is this run's, same archive path and SHA-256, member, row count and
///   revision order; the run's other members are the new archives'.
/// Otherwise the run takes every key, as without it. Written after every partitioned key pass
/// (`--force`'s too, which does not read it) but `run --year`'s, whose archives the next night
/// counts as new (`last-run.json` is a full run's); named by a token the groups kept with it
/// carry (`KeptGroupsFile`). A `CacheStateFile`: the header, the bits, the checksum.
struct CurrentRowsFile {
    static let fileName = "current-rows.bin"
    static let formatTag = "grdp-current-rows-v2"

    private let file: CacheStateFile
    var url: URL { file.url }

    init(cacheFolder: URL, build: String, figuresSHA256: String) {
        file = CacheStateFile(
            url: cacheFolder.appendingPathComponent(Self.fileName), format: Self.formatTag, build: build,
            figuresSHA256: figuresSHA256)
    }

    private struct Header: CacheStateHeader {
        var format = CurrentRowsFile.formatTag
        var build: String
        var figuresSHA256: String
        var keys: Int
        var members: [CurrentRowsState.Member]
        /// Names this state: the groups kept with it (`KeptGroupsFile`) carry the same.
        var token: String
    }

    /// A kept state, and its token.
    struct Kept: Sendable {
        var state: CurrentRowsState
        var token: String
    }

    /// The kept state, when there is a sound one of this build and these config settings.
    func read() -> Kept? {
        file.read(Header.self) { header, reader in
            guard
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
            let bits = try reader.array(UInt64.self)
            guard bits.count == (rows + 63) / 64 else { return nil }
            return Kept(
                state: CurrentRowsState(members: header.members, keys: header.keys, bits: bits), token: header.token)
        }
    }

    /// Replaces the kept state with `state`, named `token` (unique to it).
    func write(_ state: CurrentRowsState, token: String) throws(OutputWriteError) {
        precondition(state.bits.count == (state.rows + 63) / 64, "a bit per row")
        let header = Header(
            build: file.build, figuresSHA256: file.figuresSHA256, keys: state.keys, members: state.members, token: token
        )
        try file.write(header) { writer throws(OutputWriteError) in try writer.array(state.bits) }
    }

    func remove() { file.remove() }
}
