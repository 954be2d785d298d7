import Foundation
import Glibc

/// The run report of CONTRACT §8, built up while the run goes.
struct RunReport {
    var outcome: RunOutcome = .failed
    var snapshot: Int?
    var contentSHA256: String?
    var startedAt: Timestamp
    var finishedAt: Timestamp?
    var stages: [String: Double] = [:]
    var ingest: IngestResult?
    var errors: [String] = []
    /// Exit code of a failed run when it is not 70 (64, 66, 73).
    var failureExitCode: Int32?
    /// `run --year`: the years recomputed (nil: a full run).
    var recomputedYears: [Int]?
    /// `run --year`: the years whose rows it kept from the latest snapshot (not in the report's
    /// JSON; what its warnings say of them).
    var yearsKept: [Int] = []
    /// The configured exports under `<outputs>/exports`, of the snapshot published or, up to date,
    /// of the latest (each written, or found holding its bytes already).
    var exports: [String] = []
    /// Exports no longer configured that were symlinks: each link removed, the file it named left
    /// where it is (outside the outputs, a portal's perhaps), no longer updated by any run.
    var exportsLeftBehind: [(link: String, linkedFile: String)] = []
    /// `run --year`: the years kept from the latest snapshot whose target is not the one the config
    /// gives them now (their gap and status reckoned against the old one).
    var targetsNotRecomputed: [IndicatorCalculator.OtherTarget] = []
    /// `run --year`: the years kept from the latest snapshot when the settings their figures were
    /// computed with (`PipelineConfig.methodSHA256`) are not the config's now; nil when they are,
    /// or not known.
    var keptYearsOtherSettings: [Int]?
    /// A full run after a snapshot of `run --year`: the years that run kept whose published figures
    /// this run changed (`PipelineRunner.noteKeptYearsRecomputed`).
    var keptYearsRecomputed: (since: Int, rows: [(before: IndicatorRow, now: IndicatorRow?)])?
    /// A full run's years whose figures changed because records dated another year took their
    /// transactions (`PipelineRunner.noteYearsChangedByOtherYears`).
    var yearsChangedByOtherYears: YearsChangedByOtherYears?
    /// A night's transactions the new returns took the place of though dated in another year, by
    /// the year they left (`RevisionLedger.transactionsMovedOut`, or by key partition
    /// `PartitionedRevisions.CurrentRows.transactionsMovedOut`); nil when not known (`--force`,
    /// `--year`, no record of the last full run).
    var transactionsMovedOut: [Int: Int]?
    /// The channels of `va_ratio_by_channel` no transaction of the published snapshot has, and the
    /// channels of the returns that have no ratio of their own (`va_ratio_default` theirs).
    var channelsWithoutSales: (configured: [String], unconfigured: [String])?
    /// The data members whose headers hold columns no column of their kind matches, directly or by
    /// an `inputs.columns` alias, to be said (`PipelineRunner.columnsNotRead`: every such member
    /// under a config other than the latest snapshot's; else the new returns' columns no counted
    /// return left unread). Each member's whole list is in the report's archives,
    /// `columns_not_read`, whatever the config.
    var columnsNotRead: [(archive: String, member: String, kind: RecordKind, columns: [String])] = []
    /// CSV members that no pattern of `inputs.kinds` matches (each also a skipped member of its
    /// archive's), to be said: a new return's, or every archive's under a config other than the
    /// latest snapshot's.
    var unrecognizedMembers: [(archive: String, member: String)] = []
    /// Data members whose number convention no value decided, taken by default over a value the
    /// conventions read differently, to be said (as `unrecognizedMembers`: new returns').
    var conventionsDefaulted: [(archive: String, member: MemberResult)] = []
    /// Rows excluded as another province's by a `seller_province` or `province_code` value that is
    /// no code (digits), to be said (as `unrecognizedMembers`: new returns').
    var provincesNotCodes: [(archive: String, member: String, value: String, rows: Int)] = []
    /// Channels of new returns' transaction members that no ratio of `va_ratio_by_channel` names
    /// and no counted return had, to be said (`PipelineRunner.newChannelsWithoutRatio`).
    var newChannelsWithoutRatio: [(archive: String, member: String, channels: [String])] = []
    /// Under a config other than the latest snapshot's: `methodology.digitised_coefficients` names no
    /// section, so the digitised component is 0 in every year.
    var noDigitisedCoefficients = false
    /// A new snapshot's: every point of `targets.points` is under 1 % (`targets_below_one_percent`),
    /// targets written as fractions.
    var targetsBelowOnePercent = false
    /// A new snapshot's (or `validate`'s): what became of the archives the latest snapshot before
    /// it counted (`PipelineRunner.noteArchivesChanged`).
    var archivesChanged: ArchivesSinceLatest?
    /// A new snapshot's figures no return can make (`implausible_figures`).
    var implausibleFigures: [ImplausibleFigure] = []
    /// Versions removed by `outputs.keep_snapshots` after a new snapshot.
    var prunedSnapshots: [Int] = []
    /// Archive cache entries no archive of this run had (an archive gone or rewritten, another grdp
    /// build, other reading settings), removed after the run: why a night read archives again.
    var cacheEntriesRemoved = 0
    /// Archives (and excluded ones) whose SHA-256 came from `ArchiveDigestMemo`, not hashed again.
    var digestsRemembered = 0
    /// Up to date without reading any archive: the inputs are those of this snapshot's run
    /// (`RunCache`); `archives` then repeats what that run read.
    var inputsUnchangedSince: Int?

    /// What the run had done when a later step failed (its exports, its report's neighbours):
    /// published this snapshot, or found the figures up to date in it. The summary says so: with
    /// `--quiet`, "Failed" alone read as if no snapshot had been published, when a new latest had.
    var doneBeforeFailure: (outcome: RunOutcome, snapshot: Int)?

    /// How many quarantined rows each member lists in the report (all are in the snapshot).
    static let firstQuarantinedLimit = 20

    init(startedAt: Timestamp) {
        self.startedAt = startedAt
    }

    var exitCode: Int32 {
        outcome == .failed ? (failureExitCode ?? 70) : outcome.exitCode
    }

    /// - Parameter context: what failed, said before the error ("run report not written: …").
    mutating func fail(_ error: any Error, saying context: String? = nil) {
        if outcome == .snapshot || outcome == .upToDate, let snapshot { doneBeforeFailure = (outcome, snapshot) }
        outcome = .failed
        errors.append(context.map { "\($0): \(error)" } ?? "\(error)")
        failureExitCode = ExitCodes.code(for: error)
    }

    func json() -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("outcome", .string(outcome.rawValue)),
            ("snapshot", snapshot.map { .string(SnapshotMeta.label($0)) } ?? .null),
        ]
        if let contentSHA256 { members.append(("content_sha256", .string(contentSHA256))) }
        // A failed run that had published `snapshot` ("snapshot") or found the figures up to date
        // in it ("up-to-date") before a later step failed (its exports): `snapshot` alone could not
        // tell a new latest from the one there before.
        if outcome == .failed, let done = doneBeforeFailure {
            members.append(("outcome_before_failure", .string(done.outcome.rawValue)))
        }
        members.append(("started_at", .string(startedAt.iso8601Microseconds)))
        members.append(("finished_at", finishedAt.map { .string($0.iso8601Microseconds) } ?? .null))
        members.append(
            (
                "stages",
                .object(
                    ["unpack", "normalize", "compute", "snapshot"].compactMap { name in
                        stages[name].map { (name, JSONValue.seconds($0)) }
                    })
            ))
        if let inputsUnchangedSince {
            members.append(("inputs_unchanged_since", .string(SnapshotMeta.label(inputsUnchangedSince))))
        }
        if let recomputedYears { members.append(("recomputed_years", .array(recomputedYears.map { .int($0) }))) }
        if !exports.isEmpty { members.append(("exports", .array(exports.map { .string($0) }))) }
        if !exportsLeftBehind.isEmpty {
            members.append(
                (
                    "exports_left_behind",
                    .array(
                        exportsLeftBehind.map {
                            .object([("link", .string($0.link)), ("linked_file", .string($0.linkedFile))])
                        })
                ))
        }
        if !targetsNotRecomputed.isEmpty {
            members.append(
                (
                    "targets_not_recomputed",
                    .array(
                        targetsNotRecomputed.map { other in
                            return .object([
                                ("year", .int(other.row.year)),
                                ("target_pct", Self.percent(other.row.targetPct)),
                                ("target_kind", .string(other.row.targetKind.rawValue)),
                                ("config_target_pct", Self.percent(other.targetPct)),
                                ("config_target_kind", .string(other.targetKind.rawValue)),
                            ])
                        })
                ))
        }
        if let years = keptYearsOtherSettings, !years.isEmpty {
            members.append(("kept_years_other_settings", .array(years.map { .int($0) })))
        }
        if let recomputed = keptYearsRecomputed {
            members.append(
                (
                    "kept_years_recomputed",
                    .array(
                        recomputed.rows.map { row in
                            .object([
                                ("year", .int(row.before.year)),
                                ("kept_in", .string(SnapshotMeta.label(recomputed.since))),
                                (
                                    "grdp_bvnd_before",
                                    row.before.grdpBVND.map { .number(SnapshotSchema.money($0)) } ?? .null
                                ),
                                ("grdp_bvnd", row.now?.grdpBVND.map { .number(SnapshotSchema.money($0)) } ?? .null),
                                ("de_bvnd_before", .number(SnapshotSchema.money(row.before.deBVND))),
                                ("de_bvnd", row.now.map { .number(SnapshotSchema.money($0.deBVND)) } ?? .null),
                                ("share_pct_before", Self.percent(row.before.sharePct)),
                                ("share_pct", Self.percent(row.now?.sharePct)),
                            ])
                        })
                ))
        }
        if let changed = yearsChangedByOtherYears {
            members.append(("years_changed_by_other_years", changed.json))
        }
        if let channels = channelsWithoutSales {
            members.append(("channels_without_sales", .array(channels.configured.map { .string($0) })))
            members.append(("channels_without_ratio", .array(channels.unconfigured.map { .string($0) })))
        }
        if let changed = archivesChanged {
            let since = JSONValue.string(SnapshotMeta.label(changed.since))
            if !changed.gone.isEmpty {
                members.append(
                    (
                        "archives_gone",
                        .array(
                            changed.gone.map {
                                .object([
                                    ("path", .string($0.path)), ("sha256", .string($0.sha256)), ("counted_in", since),
                                ])
                            })
                    ))
            }
            if !changed.rewritten.isEmpty {
                members.append(
                    (
                        "archives_rewritten",
                        .array(
                            changed.rewritten.map {
                                .object([
                                    ("path", .string($0.path)), ("sha256", .string($0.sha256)),
                                    ("counted_sha256", .string($0.countedSHA256)), ("counted_in", since),
                                ])
                            })
                    ))
            }
        }
        if targetsBelowOnePercent { members.append(("targets_below_one_percent", .bool(true))) }
        if !provincesNotCodes.isEmpty {
            members.append(
                (
                    "province_values_not_codes",
                    .array(
                        provincesNotCodes.map {
                            .object([
                                ("archive", .string($0.archive)), ("member", .string($0.member)),
                                ("value", .string($0.value)), ("rows", .int($0.rows)),
                            ])
                        })
                ))
        }
        if !newChannelsWithoutRatio.isEmpty {
            members.append(
                (
                    "new_channels_without_ratio",
                    .array(
                        newChannelsWithoutRatio.map {
                            .object([
                                ("archive", .string($0.archive)), ("member", .string($0.member)),
                                ("channels", .array($0.channels.map { .string($0) })),
                            ])
                        })
                ))
        }
        if !conventionsDefaulted.isEmpty {
            members.append(
                (
                    "conventions_defaulted",
                    .array(
                        conventionsDefaulted.map {
                            .object([
                                ("archive", .string($0.archive)), ("member", .string($0.member.path)),
                                ("number_format", .string($0.member.numberConvention.rawValue)),
                                ("value", .string($0.member.conventionDefaultedOver ?? "")),
                            ])
                        })
                ))
        }
        if !implausibleFigures.isEmpty {
            members.append(("implausible_figures", .array(implausibleFigures.map(\.json))))
        }
        if !prunedSnapshots.isEmpty {
            members.append(("pruned_snapshots", .array(prunedSnapshots.map { .string(SnapshotMeta.label($0)) })))
        }
        if cacheEntriesRemoved > 0 { members.append(("cache_entries_removed", .int(cacheEntriesRemoved))) }
        if digestsRemembered > 0 { members.append(("archive_digests_remembered", .int(digestsRemembered))) }
        members.append(("ignored_files", .array((ingest?.ignoredFiles ?? []).map { .string($0) })))
        if let unmatched = ingest?.unmatchedExcludes, !unmatched.isEmpty {
            members.append(("exclude_not_found", .array(unmatched.map { .string($0) })))
        }
        members.append(("archives", .array((ingest?.archives ?? []).map(Self.archiveJSON))))
        if !errors.isEmpty { members.append(("errors", .array(errors.map { .string($0) }))) }
        return .object(members)
    }

    /// How many of a list of members, values or channels a run says one by one, on stderr and in
    /// the log; the report lists them all.
    static let shownOneByOne = 5

    /// The lines for the first `shownOneByOne` of `items`, then one saying how many more the
    /// report lists under `key` (`… and 3 more (key in the report).`, `more` naming what they are).
    static func firstOf<Item>(
        _ items: [Item], key: String, more: String? = nil, _ line: (Item) -> String
    ) -> [String] {
        let rest = items.count - shownOneByOne
        return items.prefix(shownOneByOne).map(line)
            + (rest > 0 ? ["… and \(rest) more\(more.map { " " + $0 } ?? "") (\(key) in the report)."] : [])
    }

    /// A year's figures in a warning: `leading` (GRDP, e-commerce) first, then the digital economy's
    /// value added and its share; `no row` for a year without one.
    static func figures(_ row: IndicatorRow?, leading: (name: String, value: (IndicatorRow) -> ExactDecimal?))
        -> String
    {
        guard let row else { return "no row" }
        let share = row.sharePct.map { "\(SnapshotSchema.percent($0)) %" } ?? "none"
        let first = leading.value(row).map(SnapshotSchema.money) ?? "none"
        return "\(leading.name) \(first), de \(SnapshotSchema.money(row.deBVND)) billion VND, share \(share)"
    }

    /// What a member whose convention was taken by default over `conventionDefaultedOver` is said.
    static func conventionDefaulted(_ member: MemberResult) -> String {
        let value = member.conventionDefaultedOver ?? ""
        let readings = NumberParser.readSmaller(value, by: member.numberConvention)
        let (taken, other) = member.numberConvention == .vi ? ("vi", "en") : ("en", "vi")
        return "member '\(Escape.controls(member.path))': no value decides its number convention, and it was taken as "
            + "\(taken), its delimiter's default, which reads '\(Escape.controls(value))' as "
            + "\(readings.map { "\($0.smaller.reduced)" } ?? value), not \(readings.map { "\($0.larger.reduced)" } ?? "?")"
            + ": if the mark groups thousands there, the sender writes \(other) (inputs.number_format: \(other) reads "
            + "every member so; number_format_defaulted_over in the report)"
    }

    /// A share, target or gap as the report gives it: a number to 4 decimals, or null.
    static func percent(_ value: ExactDecimal?) -> JSONValue {
        value.map { .number(SnapshotSchema.percent($0)) } ?? .null
    }

    static func archiveJSON(_ archive: ArchiveOutcome) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("path", .string(archive.relativePath)),
            ("sha256", .string(archive.sha256)),
            ("bytes", .int(Int(archive.bytes))),
            ("status", .string(archive.status.rawValue)),
        ]
        if archive.fromCache { fields.append(("from_cache", .bool(true))) }
        if let rejection = archive.rejection {
            fields.append(("reason", .string(rejection.reason.rawValue)))
            fields.append(("member", rejection.member.map { .string($0) } ?? .null))
            fields.append(("detail", .string(rejection.detail)))
        }
        var memberValues: [JSONValue] = archive.members.map(memberJSON)
        if let rejection = archive.rejection, let member = rejection.member,
            !archive.members.contains(where: { $0.path == member })
        {
            var fields: [(String, JSONValue)] = [("path", .string(member))]
            if let kind = rejection.memberKind { fields.append(("kind", .string(kind.rawValue))) }
            fields += [
                ("status", .string("rejected")), ("reason", .string(rejection.reason.rawValue)),
                ("detail", .string(rejection.detail)),
            ]
            memberValues.append(.object(fields))
        }
        memberValues += archive.skipped.map { skipped in
            var fields: [(String, JSONValue)] = [
                ("path", .string(skipped.path)), ("status", .string("skipped")),
                ("reason", .string(skipped.reason.rawValue)), ("detail", .string(skipped.detail)),
            ]
            if let kind = skipped.namedLike { fields.append(("named_like", .string(kind.rawValue))) }
            return .object(fields)
        }
        fields.append(("members", .array(memberValues)))
        return .object(fields)
    }

    static func memberJSON(_ member: MemberResult) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("path", .string(member.path)),
            ("kind", .string(member.kind.rawValue)),
            ("status", .string(member.rejection == nil ? "accepted" : "rejected")),
        ]
        if let rejection = member.rejection { fields.append(("reason", .string(rejection.rawValue))) }
        if let unread = member.columnsNotRead {
            fields.append(("columns_not_read", .array(unread.map { .string($0) })))
        }
        fields += [
            ("number_format", .string(member.numberConvention.rawValue))
        ]
        if let value = member.conventionDefaultedOver {
            fields.append(("number_format_defaulted_over", .string(value)))
        }
        fields += [
            ("rows_read", .int(member.rowsRead)),
            ("rows_accepted", .int(member.rowsAccepted)),
            ("rows_superseded", .int(member.rowsSuperseded)),
            ("rows_excluded", .int(member.rowsExcluded)),
            ("rows_quarantined", .int(member.rowsQuarantined)),
            (
                "quarantined_by_reason",
                .object(
                    member.quarantinedByReason.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                        ($0.key.rawValue, .int($0.value))
                    })
            ),
            (
                "excluded_by_reason",
                .object(member.excludedByReason.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })
            ),
            (
                "first_quarantined",
                .array(
                    member.quarantine.prefix(firstQuarantinedLimit).map { entry in
                        .object([
                            ("line", .int(entry.location.line)), ("reason", .string(entry.reason.rawValue)),
                            ("detail", .string(entry.detail)),
                        ])
                    })
            ),
        ]
        return .object(fields)
    }

    /// The same summary, in a few lines, for stderr.
    func summaryLines() -> [String] {
        var lines: [String] = []
        let archives = ingest?.archives ?? []
        let accepted = archives.filter { $0.status == .accepted }.count
        let members = archives.flatMap(\.members)
        let rows = members.reduce(0) { $0 + $1.rowsRead }
        let quarantined = members.reduce(0) { $0 + $1.rowsQuarantined }
        let superseded = members.reduce(0) { $0 + $1.rowsSuperseded }
        let excluded = members.reduce(0) { $0 + $1.rowsExcluded }
        lines.append(
            "\(archives.count) archive(s), \(accepted) accepted; \(rows) rows read, \(quarantined) quarantined, "
                + "\(superseded) superseded, \(excluded) excluded")
        // A link or device named like a data member: rows that are not counted, said.
        for archive in archives where archive.status == .accepted {
            for skipped in archive.skipped {
                guard let kind = skipped.namedLike else { continue }
                lines.append(
                    "WARNING \(archive.relativePath): member '\(skipped.path)' is named like \(kind.rawValue) data but is "
                        + "\(skipped.detail): its rows, if it was to hold any, are not counted (a return made with links, "
                        + "or an entry damaged into one?)")
            }
        }
        // Said, not only listed in the report: a `.rar`, a `.zip.part` still copying, a link to an
        // archive on a share that is gone.
        if let ignored = ingest?.ignoredFiles, !ignored.isEmpty {
            lines.append(
                "\(ignored.count) file(s) in the returns folder not read (no archive, nor an archive's .sha256): "
                    + Ingest.someNames(ignored) + " (ignored_files in the report)")
        }
        let cached = archives.filter(\.fromCache).count
        if cached > 0 && inputsUnchangedSince == nil {
            lines.append(
                "\(cached) of \(archives.count) archive(s) unchanged since an earlier run: taken from the cache, not decompressed."
            )
        }
        if cacheEntriesRemoved > 0 {
            lines.append(
                "\(cacheEntriesRemoved) archive cache entr\(cacheEntriesRemoved == 1 ? "y" : "ies") no longer "
                    + "matching removed (archives gone or rewritten, another grdp build, other reading settings).")
        }
        for archive in archives where archive.status == .rejected {
            let rejection = archive.rejection
            let member = rejection?.member.map { ": member '\($0)'" } ?? ""
            lines.append(
                "REJECTED \(archive.relativePath)\(member): \(rejection?.detail ?? "") [\(rejection?.reason.rawValue ?? "")]"
            )
        }
        if let changed = archivesChanged, outcome == .snapshot || outcome == .valid {
            let since = SnapshotMeta.label(changed.since)
            // `run --year` keeps every other year's rows as they were (CONTRACT §7), these archives'
            // among them (audit 36, F1: "no longer count" said of rows the kept years still held).
            func years(_ list: [Int]) -> String { list.map(String.init).joined(separator: ", ") }
            let kept = recomputedYears.flatMap { recomputed in
                yearsKept.isEmpty
                    ? nil
                    : " in the years recomputed (\(years(recomputed))); the years --year kept "
                        + "(\(years(yearsKept))) keep"
            }
            if !changed.gone.isEmpty {
                lines.append(
                    "WARNING: \(changed.gone.count) archive(s) counted in \(since) are no longer in the returns folder, "
                        + "under their name or any other: " + Ingest.someNames(changed.gone.map(\.path))
                        + (outcome == .snapshot
                            ? ". Their rows no longer count\(kept.map { $0 + " them until a full run" } ?? "") "
                                + "(archives_gone in the report; `grdp diff "
                                + "\(since) \(snapshot.map(SnapshotMeta.label) ?? "")` shows what changed). "
                            : ". A run now would no longer count their rows (archives_gone in the report). ")
                        + "Put back a file removed by mistake and run again.")
            }
            if !changed.rewritten.isEmpty {
                lines.append(
                    "WARNING: \(changed.rewritten.count) archive(s) counted in \(since) hold other bytes now: "
                        + Ingest.someNames(changed.rewritten.map(\.path))
                        + (outcome == .snapshot
                            ? ". The rows counted are the new file's" : ". A run now would count the new file's rows")
                        + ", the earlier file's no longer"
                        + (kept.map { $0 + " the earlier file's rows, and none of the new file's, until a full run" }
                            ?? "")
                        + " (archives_rewritten in the report). A revised "
                        + "return is best delivered under a new date-prefixed name, beside the one it revises.")
            }
        }
        for figure in implausibleFigures where outcome == .snapshot {
            lines.append("WARNING: implausible figure published, \(figure) (implausible_figures in the report).")
        }
        for left in exportsLeftBehind {
            lines.append(
                "Export no longer configured: its link \(left.link) removed; \(left.linkedFile), which it named, is no "
                    + "longer updated: take it off the portal if it is published.")
        }
        if !targetsNotRecomputed.isEmpty && (outcome == .snapshot || outcome == .upToDate) {
            lines.append(
                "WARNING: targets in the config differ from those these years were computed with: "
                    + targetsNotRecomputed.map(\.description).joined(separator: ", ")
                    + ". --year keeps their rows as they were (target_pct, gap_pp, status): run without --year to "
                    + "recompute them (targets_not_recomputed in the report).")
        }
        if let years = keptYearsOtherSettings, !years.isEmpty, outcome == .snapshot || outcome == .upToDate {
            lines.append(
                "WARNING: the settings in the config (methodology, fx or reading settings) differ from those the "
                    + "kept years were computed with: " + years.map(String.init).joined(separator: ", ")
                    + ". --year keeps their figures as they were: run without --year to recompute them "
                    + "(kept_years_other_settings in the report).")
        }
        if let recomputed = keptYearsRecomputed, outcome == .snapshot {
            let since = SnapshotMeta.label(recomputed.since)
            func figures(_ row: IndicatorRow?) -> String { Self.figures(row, leading: ("GRDP", { $0.grdpBVND })) }
            lines.append(
                "WARNING: \(since) was made by run --year, which kept other years as they were; this run recomputes "
                    + "every year from the current returns and config, and changes years it kept: "
                    + recomputed.rows.map { "\($0.before.year) \(figures($0.before)) → \(figures($0.now))" }
                    .joined(separator: "; ") + " (kept_years_recomputed in the report).")
        }
        if let changed = yearsChangedByOtherYears, outcome == .snapshot {
            lines.append(changed.summary)
        }
        if !unrecognizedMembers.isEmpty && (outcome == .snapshot || outcome == .upToDate) {
            lines.append(
                "WARNING: \(unrecognizedMembers.count) CSV member(s) that no pattern of inputs.kinds matches are not "
                    + "read: "
                    + Ingest.someNames(unrecognizedMembers.map { "\($0.archive): '\(Escape.controls($0.member))'" })
                    + " (a data file renamed? status skipped, unrecognized-member, in the report).")
        }
        if outcome == .snapshot || outcome == .upToDate {
            lines += Self.firstOf(provincesNotCodes, key: "province_values_not_codes") { excluded in
                "WARNING \(excluded.archive): member '\(Escape.controls(excluded.member))': \(excluded.rows) row(s) "
                    + "excluded as another province's by '\(Escape.controls(excluded.value))', which is no province "
                    + "code (the region's name for its code?): they do not count (excluded_by_reason in the report)."
            }
            lines += Self.firstOf(newChannelsWithoutRatio, key: "new_channels_without_ratio") { fresh in
                "WARNING \(fresh.archive): member '\(Escape.controls(fresh.member))': channel(s) "
                    + Ingest.someNames(
                        fresh.channels.map {
                            // What an empty cell or a return without the column gives (§4.3).
                            $0 == "unknown" ? "'unknown' (no channel given)" : "'\(Escape.controls($0))'"
                        }, shown: 10)
                    + " new in the returns, with no ratio in methodology.ecommerce.va_ratio_by_channel: their "
                    + "sales take va_ratio_default (a channel respelled? new_channels_without_ratio in the report)."
            }
            lines += Self.firstOf(conventionsDefaulted, key: "conventions_defaulted") { defaulted in
                "WARNING \(defaulted.archive): " + Self.conventionDefaulted(defaulted.member)
            }
        }
        if targetsBelowOnePercent && outcome == .snapshot {
            lines.append(
                "WARNING: every point of targets.points is under 1 %: share_pct is a percentage of GRDP (20.0 for "
                    + "20 %), not a fraction (0.20); the published targets and statuses are as written "
                    + "(targets_below_one_percent in the report).")
        }
        if noDigitisedCoefficients && (outcome == .snapshot || outcome == .upToDate) {
            lines.append(
                "WARNING: methodology.digitised_coefficients names no section: the digitised component is 0 in every "
                    + "year (a map commented out leaves its key with no value, which is none).")
        }
        lines += Self.firstOf(columnsNotRead, key: "columns_not_read", more: "member(s) with columns not read") {
            unread in
            "WARNING \(unread.archive): member '\(unread.member)' has columns no \(unread.kind.rawValue) column "
                + "matches, directly or by an alias of inputs.columns, which are not read: "
                + unread.columns.map { "'\(Escape.controls($0))'" }.joined(separator: ", ")
                + " (an alias spelt otherwise, or a column renamed?)"
        }
        if let channels = channelsWithoutSales {
            // The channels of the returns are the returns' text.
            func quoted(_ names: [String]) -> String {
                names.map { "'\(Escape.controls($0))'" }.joined(separator: ", ")
            }
            var line =
                "WARNING: methodology.ecommerce.va_ratio_by_channel names channel(s) no transaction has: "
                + quoted(channels.configured) + " (a misspelling?)"
            if !channels.unconfigured.isEmpty {
                line += "; channels of the returns with no ratio of their own, which take va_ratio_default: "
                line += quoted(channels.unconfigured)
            }
            lines.append(line + ".")
        }
        // After a new snapshot, or finding the latest up to date (`keep_snapshots`).
        let removed =
            prunedSnapshots.isEmpty
            ? []
            : [
                "Removed old snapshots: \(prunedSnapshots.map(SnapshotMeta.label).joined(separator: ", "))."
            ]
        switch outcome {
        case .snapshot:
            let years = recomputedYears.map { " (recomputed " + $0.map(String.init).joined(separator: ", ") + ")" }
            lines.append("New snapshot \(snapshot.map(SnapshotMeta.label) ?? "")\(years ?? "").")
            lines += removed
        case .upToDate:
            if let inputsUnchangedSince {
                lines.append(
                    "Inputs unchanged since \(SnapshotMeta.label(inputsUnchangedSince)) (same archives, config "
                        + "settings and grdp build): no archive decompressed.")
            }
            lines.append("Up to date: \(snapshot.map(SnapshotMeta.label) ?? "") already holds these figures.")
            lines += removed
        case .rejected: lines.append("No snapshot written: fix or exclude the rejected input and run again.")
        case .locked: lines.append("Another run holds the lock; this run did nothing.")
        case .failed:
            switch doneBeforeFailure {
            case (.snapshot, let version)?:
                lines.append("New snapshot \(SnapshotMeta.label(version)) published (now the latest); then:")
            case (_, let version)?:
                lines.append("Up to date: \(SnapshotMeta.label(version)) already holds these figures; then:")
            case nil: break
            }
            lines.append(contentsOf: errors.map { "Failed: \($0)" })
        case .valid: lines.append("Inputs are valid.")
        }
        return lines
    }

    /// Publishes `run-<stamp>.json` atomically and never over another report: a taken name gets
    /// `-2`, `-3`, …. A kill mid-write leaves at most a hidden `.grdp-*.tmp`, never a half report.
    static func writeNewFile(_ report: JSONValue, folder: URL, stamp: String) throws -> URL {
        let bytes = Array((report.serialized(pretty: true) + "\n").utf8)
        var attempt = 1
        while true {
            let url = folder.appendingPathComponent(attempt == 1 ? "run-\(stamp).json" : "run-\(stamp)-\(attempt).json")
            // (No `catch … where` here: Swift 6.3.1 crashes compiling it on a typed throw.)
            do {
                try AtomicFile.write(bytes, to: url, replacing: false)
                return url
            } catch {
                guard error.errno == EEXIST else { throw error }
                attempt += 1
            }
        }
    }
}

/// Maps errors to the sysexits codes of CONTRACT §7, in one place.
public enum ExitCodes {
    public static func code(for error: any Error) -> Int32 {
        switch error {
        case let error as ConfigError: error.exitCode
        case let error as RunStop.Stopped: error.exitCode
        case is OutputWriteError: 73
        case is OutputLock.Busy: 75
        case is MissingInputError: 66
        // Only `bench-unpack` lets one out: a run records its rejections in the report.
        case is ArchiveRejection: 65
        case let error as ReturnsScanError:
            switch error.kind {
            // A returns folder that is missing, is a file, or cannot be read (sysexits' EX_NOINPUT:
            // an input that did not exist or was not readable): the paths to check, not a bug.
            case .missingFolder, .notAFolder, .unreadable: 66
            case .ambiguousName: 65
            }
        case let error as SnapshotError:
            switch error.code {
            // Not there, or not readable by this user (the folder, a file): the paths and
            // permissions to check (sysexits' EX_NOINPUT), as for the returns folder.
            case .missingSnapshot, .unreadableFolder, .unreadableSnapshot: 66
            case .damagedSnapshot: 65
            default: 70
            }
        default: 70
        }
    }
}

/// The years whose published figures a run changed because records dated another year took their
/// transactions (`PipelineRunner.noteYearsChangedByOtherYears`), and what this run can name that
/// may have done it.
struct YearsChangedByOtherYears {
    var since: Int
    var rows: [(year: Int, before: IndicatorRow?, now: IndicatorRow?)]
    /// How many transactions each year left, when the revisions counted them (a night, in memory
    /// or by key partition: `RunReport.transactionsMovedOut`); nil, the years are those no new
    /// return holds a record of.
    var movedOut: [Int: Int]?
    /// The accepted archives the latest snapshot did not count.
    var newReturns: [String]
    /// Archives it counted that are under another path now (renamed, or the same bytes sent again
    /// under another name): revision order follows the names.
    var renamed: [String]
    /// The config differs from the latest snapshot's (a rate added for a year lets a counted
    /// return's rows in).
    var configChanged: Bool

    /// What may have done it, in words.
    var sources: String {
        var parts: [String] = []
        if !newReturns.isEmpty { parts.append("the new returns " + Ingest.someNames(newReturns, shown: 3)) }
        if !renamed.isEmpty {
            parts.append("returns counted before under new names " + Ingest.someNames(renamed, shown: 3))
        }
        if configChanged { parts.append("the config's settings, changed since") }
        return parts.isEmpty ? "returns read again" : parts.joined(separator: "; ")
    }

    var json: JSONValue {
        func money(_ value: ExactDecimal?) -> JSONValue { value.map { .number(SnapshotSchema.money($0)) } ?? .null }
        return .object([
            ("since", .string(SnapshotMeta.label(since))),
            ("new_returns", .array(newReturns.map { .string($0) })),
            ("renamed", .array(renamed.map { .string($0) })), ("config_changed", .bool(configChanged)),
            ("counted_by_key", .bool(movedOut != nil)),
            (
                "years",
                .array(
                    rows.map { row in
                        var fields: [(String, JSONValue)] = [
                            ("year", .int(row.year)),
                            ("transactions_moved_out", movedOut.map { .int($0[row.year, default: 0]) } ?? .null),
                        ]
                        for (key, value) in [
                            ("grdp_bvnd", { (row: IndicatorRow) in row.grdpBVND }),
                            ("core_bvnd", { $0.coreBVND }), ("ecommerce_bvnd", { $0.ecommerceBVND }),
                            ("digitised_bvnd", { $0.digitisedBVND }), ("de_bvnd", { $0.deBVND }),
                        ] as [(String, (IndicatorRow) -> ExactDecimal?)] {
                            fields.append((key + "_before", money(row.before.flatMap(value))))
                            fields.append((key, money(row.now.flatMap(value))))
                        }
                        fields.append(("share_pct_before", RunReport.percent(row.before?.sharePct)))
                        fields.append(("share_pct", RunReport.percent(row.now?.sharePct)))
                        return .object(fields)
                    })
            ),
        ])
    }

    var summary: String {
        func figures(_ row: IndicatorRow?) -> String {
            RunReport.figures(row, leading: ("e-commerce", { $0.ecommerceBVND }))
        }
        let years = rows.map { row in
            let moved = movedOut?[row.year, default: 0] ?? 0
            return "\(row.year)\(moved > 0 ? " (\(moved) transaction(s) taken)" : "") "
                + "\(figures(row.before)) → \(figures(row.now))"
        }
        let which =
            movedOut != nil
            ? "that records dated another year took transactions from"
            : "no new return holds a record of, whose transactions records dated another year may have taken"
        return "WARNING: figures changed since \(SnapshotMeta.label(since)) in years \(which): "
            + years.joined(separator: "; ")
            + ". A record of the same channel and transaction_id replaces a transaction whatever its date (a "
            + "platform numbering its orders afresh each year?), here by way of \(sources). grdp diff shows the "
            + "change (years_changed_by_other_years in the report)."
    }
}
