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
    /// Each key once; a group whose transactions have all been replaced since holds none, and is
    /// not handed to Compute.
    var groups: [TransactionGroupTable.Group]
    /// Of `groups` (`PartitionedRevisions`' group table).
    var index: SlotIndex
}

/// `<outputs>/cache/kept-groups.bin`: the `KeptGroups` of the years the last partitioned run
/// computed (a full run: its last year; a night or `run --year`: its years), bound to the state
/// that run's key pass wrote to `current-rows.bin` by that file's token. A run that resumes from
/// another state, or ends before writing these (the state written, not the groups), leaves
/// groups whose token is not the state's: they are not used.
///
/// Used only when exactly right, as `current-rows.bin`: this build and config, the checksum
/// holds, the token is the state's, and every group is sound. Otherwise the groups are taken from
/// every row, as without it. Not fsynced: it only saves time.
struct KeptGroupsFile {
    static let fileName = "kept-groups.bin"
    static let formatTag = "grdp-kept-groups-v1"

    let url: URL
    let build: String
    let configSHA256: String

    init(cacheFolder: URL, build: String, configSHA256: String) {
        url = cacheFolder.appendingPathComponent(Self.fileName)
        self.build = build
        self.configSHA256 = configSHA256
    }

    private struct Header: Codable {
        var format = KeptGroupsFile.formatTag
        var build: String
        var configSHA256: String
        /// The token of the `current-rows.bin` whose state these groups are.
        var token: String
        var years: [Int]
    }

    /// The kept groups of the state whose token is `token`, when there are sound ones; with room
    /// for an eighth more groups (a night's new keys are added without the array growing by a copy).
    func read(token: String) -> KeptGroups? {
        guard let file = try? InputFile(url), var reader = try? LedgerStateReader(file),
            let json = try? reader.header(), let header = try? JSONDecoder().decode(Header.self, from: Data(json)),
            header.format == Self.formatTag, header.build == build, header.configSHA256 == configSHA256,
            header.token == token, let texts = try? LedgerTexts(reading: &reader),
            let groups = try? reader.array(TransactionGroupTable.Group.self, growing: true),
            let index = try? SlotIndex(reading: &reader), (try? reader.finish()) != nil
        else { return nil }
        let kept = KeptGroups(years: Set(header.years), texts: texts, groups: groups, index: index)
        guard kept.years.count == header.years.count, index.count == groups.count, Self.isSound(kept) else {
            return nil
        }
        return kept
    }

    /// Whether every group is of one of the years, a month, a status and texts there are, holds
    /// transactions or none at all, and a scale a sum can have. (From a file whose checksum holds,
    /// which may still have been made to lie: refused rather than trapped on.)
    private static func isSound(_ kept: KeptGroups) -> Bool {
        let statuses = UInt8(TransactionStatus.allCases.count)
        let texts = UInt32(kept.texts.count)
        let years = Set(kept.years.compactMap { Int16(exactly: $0) })
        guard years.count == kept.years.count else { return false }
        return kept.groups.allSatisfy { group in
            group.channel < texts && group.seller < texts && group.district < texts && years.contains(group.year)
                && (1...12).contains(group.month) && group.status < statuses && group.netVND.scale >= 0
                && (group.transactions > 0 || group.transactions == 0 && group.netVND.isZero)
        }
    }

    /// Replaces the kept groups with `groups`, those of the state whose token is `token`,
    /// atomically (not fsynced: see the type's notes).
    func write(_ groups: KeptGroups, token: String) throws(OutputWriteError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let header = Header(build: build, configSHA256: configSHA256, token: token, years: groups.years.sorted())
        // Plain values: encoding cannot fail.
        let json = [UInt8]((try? encoder.encode(header)) ?? Data())
        try AtomicFile.write(to: url, durable: false) { file throws(OutputWriteError) in
            var writer = LedgerStateWriter(file)
            try writer.header(json)
            try groups.texts.write(to: &writer)
            try writer.array(groups.groups)
            try groups.index.write(to: &writer)
            try writer.finish()
        }
    }

    func remove() { FileSystem.removeFile(url.path) }
}
