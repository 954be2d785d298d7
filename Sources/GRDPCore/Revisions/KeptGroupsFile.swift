internal import Foundation

/// The groups of some years' current rows as one key pass's state (`CurrentRowsState`) left them,
/// kept for the next run with their texts and their index as they were (not built again): a night
/// that resumes from that state takes those years' groups from these, its new rows added and the
/// rows they replace taken away (`PartitionedRevisions.takeGroups(…, updating:)`), instead of from
/// every current row of those years. At 10 M transactions, 2024's ~790,000 groups (38 MB), where
/// its 2.1 M rows took 0.3–0.5 s to group.
struct KeptGroups {
    /// The years whose groups these are, all of them (a year without groups has none).
    var years: Set<Int>
    var texts: LedgerTexts
    /// Each key once, each holding transactions.
    var groups: [TransactionGroupTable.Group]
    /// Of `groups` (`PartitionedRevisions`' group table).
    var index: SlotIndex
}

/// `<outputs>/cache/kept-groups.bin`: the `KeptGroups` of the years the last partitioned run
/// computed (a full run: its last year; a night: the years it touched), bound to the state that
/// run's key pass wrote to `current-rows.bin` by that file's token. A run that ends after writing
/// the state but before these leaves groups whose token is not the state's: they are not used.
/// `run --year` writes neither. A `CacheStateFile`: the header, the groups' texts (`LedgerTexts`),
/// the groups, their index (`SlotIndex`), the checksum.
///
/// Used only when exactly right, as `current-rows.bin`: this build and config settings, the checksum
/// holds, the token is the state's, and every group is sound. Otherwise the groups are taken from
/// every row, as without it. Not fsynced: it only saves time.
struct KeptGroupsFile {
    static let fileName = "kept-groups.bin"
    static let formatTag = "grdp-kept-groups-v1"

    private let file: CacheStateFile
    var url: URL { file.url }

    init(cacheFolder: URL, build: String, figuresSHA256: String) {
        file = CacheStateFile(
            url: cacheFolder.appendingPathComponent(Self.fileName), format: Self.formatTag, build: build,
            figuresSHA256: figuresSHA256)
    }

    private struct Header: CacheStateHeader {
        var format = KeptGroupsFile.formatTag
        var build: String
        var figuresSHA256: String
        /// The token of the `current-rows.bin` whose state these groups are.
        var token: String
        var years: [Int]
    }

    /// The kept groups of the state whose token is `token`, when there are sound ones; with room
    /// for an eighth more groups (a night's new keys are added without the array growing by a copy).
    func read(token: String) -> KeptGroups? {
        file.read(Header.self) { header, reader in
            guard header.token == token else { return nil }
            let kept = KeptGroups(
                years: Set(header.years), texts: try LedgerTexts(reading: &reader),
                groups: try reader.array(TransactionGroupTable.Group.self, growing: true),
                index: try SlotIndex(reading: &reader))
            guard kept.years.count == header.years.count, kept.index.count == kept.groups.count, Self.isSound(kept)
            else { return nil }
            return kept
        }
    }

    /// Whether every group is of one of the years, a month, a status and texts there are, holds
    /// transactions (no more than a run can take) and a sum of a scale rows can have (38
    /// decimals, `NumberParser`). From a file whose checksum holds, which may still have been made
    /// to lie: refused rather than trapped on, here or in Compute.
    private static func isSound(_ kept: KeptGroups) -> Bool {
        let statuses = UInt8(TransactionStatus.allCases.count)
        let texts = UInt32(kept.texts.count)
        let years = Set(kept.years.compactMap { Int16(exactly: $0) })
        guard years.count == kept.years.count else { return false }
        return kept.groups.allSatisfy { group in
            group.channel < texts && group.seller < texts && group.district < texts && years.contains(group.year)
                && (1...12).contains(group.month) && group.status < statuses
                && (1...Int(UInt32.max)).contains(group.transactions) && (0...38).contains(group.netVND.scale)
        }
    }

    /// Replaces the kept groups with `groups`, those of the state whose token is `token`.
    func write(_ groups: KeptGroups, token: String) throws(OutputWriteError) {
        let header = Header(
            build: file.build, figuresSHA256: file.figuresSHA256, token: token, years: groups.years.sorted())
        try file.write(header) { writer throws(OutputWriteError) in
            try groups.texts.write(to: &writer)
            try writer.array(groups.groups)
            try groups.index.write(to: &writer)
        }
    }

    func remove() { file.remove() }
}
