internal import Logging

/// What a run says of the returns it read, against those the latest snapshot counted
/// (`ReturnsAgainstLatest`): columns and CSV members not read, channels without a ratio, number
/// conventions taken by default, rows excluded by a province value that is no code. Each is in the
/// report, and the first few of each are said as warnings as the run publishes.
extension PipelineRunner {
    /// Under a config other than the latest snapshot's (a first run, an edit), which is when an
    /// alias or a channel can come misspelled, every return's; under the same config, the new
    /// returns' and what no counted return already had. A latest snapshot whose archives cannot be
    /// read for it (`counted` nil) tells no new return from an old one: none is said new (`verify`
    /// is what names a damaged file).
    func noteReturns(
        latest: SnapshotFile?, counted: [(path: String, sha256: String)]?, configChanged: Bool,
        report: inout RunReport
    ) {
        guard let ingest = report.ingest, latest == nil || counted != nil else { return }
        let returns = ReturnsAgainstLatest(
            ingest.archives, counted: Set(counted?.map(\.sha256) ?? []), configChanged: configChanged)
        report.columnsNotRead = Self.columnsNotRead(in: returns)
        report.newChannelsWithoutRatio = newChannelsWithoutRatio(in: returns, latest: latest)
        report.unrecognizedMembers = Self.unrecognizedMembers(in: returns)
        // A member whose convention no value decided, taken by default over a value the other
        // convention reads 1,000 times larger (audit 33, S2: GRDP `"55.700"` read as 55.7).
        // New returns' alone: the reading does not depend on the config's other settings.
        report.conventionsDefaulted = returns.new.flatMap { archive in
            archive.members.filter { $0.conventionDefaultedOver != nil }.map { (archive.relativePath, $0) }
        }
        // Rows excluded as another province's by a value that is no province code at all (the
        // province's name, `Đắk Nông`, for its code): 87 % of a platform's new return left out
        // with the report's counts alone saying so (audit 33, P1).
        report.provincesNotCodes = returns.said.flatMap { archive in
            archive.members.flatMap { member in
                member.excludedByReason.sorted { $0.key < $1.key }.compactMap { reason, rows in
                    MemberNormalizer.excludedProvince(in: reason).flatMap { value in
                        value.isASCIIDigits ? nil : (archive.relativePath, member.path, value, rows)
                    }
                }
            }
        }
        warnFirst(
            report.provincesNotCodes, "Rows excluded as another province's by a province value that is no province code"
        ) { ["archive": "\($0.archive)", "member": "\($0.member)", "value": "\($0.value)", "rows": "\($0.rows)"] }
        warnFirst(
            report.newChannelsWithoutRatio,
            "Channels new in these returns with no ratio in va_ratio_by_channel: their sales take va_ratio_default"
        ) {
            [
                "archive": "\($0.archive)", "member": "\($0.member)",
                "channels": "\(Ingest.someNames($0.channels, shown: 10))",
            ]
        }
        warnFirst(
            report.conventionsDefaulted,
            "Number convention taken by default over a value the other convention reads otherwise"
        ) {
            [
                "archive": "\($0.archive)", "member": "\($0.member.path)",
                "value": "\($0.member.conventionDefaultedOver ?? "")",
                "number_format": "\($0.member.numberConvention.rawValue)",
            ]
        }
        if !report.unrecognizedMembers.isEmpty {
            logger.warning(
                "CSV members that no pattern of inputs.kinds matches are not read",
                metadata: [
                    "members":
                        "\(Ingest.someNames(report.unrecognizedMembers.map { "\($0.archive): \($0.member)" }, shown: 10))"
                ])
        }
        warnFirst(
            report.columnsNotRead,
            "Header columns that no column of their kind matches, directly or by an alias, are not read"
        ) {
            [
                "archive": "\($0.archive)", "member": "\($0.member)",
                "columns": "\($0.columns.joined(separator: ", "))",
            ]
        }
    }

    /// `message` with each of the first `RunReport.shownOneByOne` of `items`' metadata (the
    /// summary and the report say how many more).
    private func warnFirst<Item>(
        _ items: [Item], _ message: Logger.Message, metadata: (Item) -> Logger.Metadata
    ) {
        for item in items.prefix(RunReport.shownOneByOne) {
            logger.warning(message, metadata: metadata(item))
        }
    }

    /// The data members whose headers hold columns grdp does not read (`columns_not_read`, said):
    /// every such member's under a changed config; otherwise those of the new returns, and of their
    /// columns only those no member of its kind in a counted return left unread too. A return
    /// renamed `price_basis` to `gia` and its constant-price GRDP row won, the 2024 share 8.1001 →
    /// 18.4093 % with the column listed in the report alone (audit 33, A8); the columns a
    /// platform's exports always carry and grdp never reads are not said again with each new one.
    static func columnsNotRead(in returns: ReturnsAgainstLatest)
        -> [(archive: String, member: String, kind: RecordKind, columns: [String])]
    {
        let known = Set(
            returns.counted.flatMap { archive in
                archive.members.flatMap { member in (member.columnsNotRead ?? []).map { [member.kind.rawValue, $0] } }
            })
        return returns.said.flatMap { archive in
            archive.members.compactMap { member in
                let unread = (member.columnsNotRead ?? []).filter { !known.contains([member.kind.rawValue, $0]) }
                return unread.isEmpty ? nil : (archive.relativePath, member.path, member.kind, unread)
            }
        }
    }

    /// The channels of `returns.new` whose rows include counted sales, that
    /// `methodology.ecommerce.va_ratio_by_channel` names no ratio for and that no return the latest
    /// snapshot counted had with counted sales (`new_channels_without_ratio`): a platform that
    /// respelled its channel (`market place`, `sàn TMĐT`) had its sales take `va_ratio_default`
    /// instead of the marketplace ratio, with nothing said (audit 33, A9); one that dropped the
    /// column, `unknown`'s (A6). Whatever the config: a channel comes with the return (review 37,
    /// M1: under a config edit it went unsaid, then counted). Not on a first run, nor with no ratio
    /// by channel at all, where every channel takes the default by design. A counted member whose
    /// channels are not known (over `TransactionBatch.channelsKept` of them) leaves it to the latest
    /// snapshot's channels.
    func newChannelsWithoutRatio(in returns: ReturnsAgainstLatest, latest: SnapshotFile?)
        -> [(archive: String, member: String, channels: [String])]
    {
        let configured = config.methodology.vaRatioByChannel
        // Every channel taking the default (none named, or all with its ratio): no channel's
        // spelling moves a figure (review 38, N2). A first run has no return before it to be new
        // against: a channel without a ratio takes the default as CONTRACT §5 has it.
        guard latest != nil,
            configured.values.contains(where: { $0 != config.methodology.vaRatioDefault })
        else { return [] }
        let counted = config.methodology.countedStatuses
        func withCountedSales(_ member: MemberResult) -> [String] {
            (member.channels ?? [:]).filter { $0.value.contains(where: counted.contains) }.keys.sorted(by: bytewiseLess)
        }
        let countedMembers = returns.countedByLatest.flatMap { $0.members.filter { $0.kind == .transaction } }
        var known = Set(configured.keys).union(countedMembers.flatMap(withCountedSales))
        if countedMembers.contains(where: { $0.channels == nil }) {
            known.formUnion((try? latest?.salesChannels()) ?? [])
        }
        return returns.new.flatMap { archive in
            archive.members.compactMap { member in
                let fresh = withCountedSales(member).filter { !known.contains($0) }
                return fresh.isEmpty ? nil : (archive.relativePath, member.path, fresh)
            }
        }
    }

    /// The CSV members that no pattern of `inputs.kinds` matches (`unrecognized-member`, noted in
    /// the report as CONTRACT §3 says), to be said: every archive's under a changed config;
    /// otherwise the new returns', but for a name a counted return's member had too (a
    /// `manifest.csv` every return carries). A platform's file renamed `don-hang_mxh_q4.csv` left a
    /// quarter's social-commerce sales out with the report alone saying so (audit 33, R1).
    static func unrecognizedMembers(in returns: ReturnsAgainstLatest) -> [(archive: String, member: String)] {
        func unrecognized(_ archive: ArchiveOutcome) -> [SkippedMember] {
            archive.skipped.filter { $0.reason == .unrecognizedMember }
        }
        func name(_ path: String) -> Substring { path.split(separator: "/").last ?? Substring(path) }
        let known = Set(returns.counted.flatMap(unrecognized).map { name($0.path) })
        return returns.said.flatMap { archive in
            unrecognized(archive).filter { !known.contains(name($0.path)) }.map { (archive.relativePath, $0.path) }
        }
    }
}
