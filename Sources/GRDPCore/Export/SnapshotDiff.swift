/// Differences between two snapshots (CONTRACT §7 `diff`): per year and column of `indicator`
/// (a year only one side has: its figures against an empty cell), years added or removed, and
/// archives whose bytes differ.
public struct SnapshotDiff: Sendable {
    public struct Change: Sendable, Equatable {
        public var year: Int
        public var column: String
        public var old: String
        public var new: String
        /// new − old for numeric columns, empty otherwise.
        public var change: String
    }

    public struct ArchiveChange: Sendable, Equatable {
        public var path: String
        public var oldSHA256: String
        public var newSHA256: String
    }

    public var from: SnapshotMeta
    public var to: SnapshotMeta
    public var changes: [Change] = []
    public var yearsAdded: [Int] = []
    public var yearsRemoved: [Int] = []
    public var archivesChanged: [ArchiveChange] = []

    public init(from: SnapshotMeta, fromContent: SnapshotContent, to: SnapshotMeta, toContent: SnapshotContent) {
        self.from = from
        self.to = to
        let old = IndicatorRow.byYear(fromContent.indicators)
        let new = IndicatorRow.byYear(toContent.indicators)
        yearsAdded = new.keys.filter { old[$0] == nil }.sorted()
        yearsRemoved = old.keys.filter { new[$0] == nil }.sorted()
        // A year added (or removed) differs in every column it has a figure in: its figures are
        // listed against an empty side, not just named, so that the new year's share is in the diff.
        let blank = Self.columns.map { _ in "" }
        for year in Set(old.keys).union(new.keys).sorted() {
            let a = old[year].map(Self.cells) ?? blank
            let b = new[year].map(Self.cells) ?? blank
            for (index, column) in Self.columns.enumerated() where a[index] != b[index] {
                var change = ""
                if let x = ExactDecimal(canonical: a[index]), let y = ExactDecimal(canonical: b[index]),
                    let difference = try? y - x
                {
                    change = difference.description
                }
                changes.append(Change(year: year, column: column, old: a[index], new: b[index], change: change))
            }
        }
        let oldArchives = Dictionary(
            fromContent.sourceArchives.map { ($0.path, $0.sha256) }, uniquingKeysWith: { a, _ in a })
        let newArchives = Dictionary(
            toContent.sourceArchives.map { ($0.path, $0.sha256) }, uniquingKeysWith: { a, _ in a })
        for path in Set(oldArchives.keys).union(newArchives.keys).sorted(by: bytewiseLess) {
            let a = oldArchives[path] ?? ""
            let b = newArchives[path] ?? ""
            if a != b { archivesChanged.append(ArchiveChange(path: path, oldSHA256: a, newSHA256: b)) }
        }
    }

    static let columns = [
        "grdp_bvnd", "core_bvnd", "ecommerce_bvnd", "digitised_bvnd", "de_bvnd", "share_pct", "target_pct",
        "target_kind", "gap_pp", "status",
    ]

    static func cells(_ row: IndicatorRow) -> [String] {
        [
            row.grdpBVND?.formatted(decimals: 3) ?? "", row.coreBVND.formatted(decimals: 3),
            row.ecommerceBVND.formatted(decimals: 3), row.digitisedBVND.formatted(decimals: 3),
            row.deBVND.formatted(decimals: 3), row.sharePct?.formatted(decimals: 4) ?? "",
            row.targetPct?.formatted(decimals: 4) ?? "", row.targetKind.rawValue,
            row.gapPp?.formatted(decimals: 4) ?? "", row.status.rawValue,
        ]
    }

    public var isEmpty: Bool {
        changes.isEmpty && yearsAdded.isEmpty && yearsRemoved.isEmpty && archivesChanged.isEmpty
    }

    /// For a terminal: the two snapshots, a table of changed cells (numbers right-aligned, the
    /// change signed), years added or removed, and archives whose SHA-256 differs. Archive names
    /// come from whoever delivers a return, and the commands from the operator: their control
    /// characters are written out (`Escape.controls`), so that a name holding ESC or a line break
    /// drives no terminal and forges no line (export audit 39, M1).
    public func text() -> String {
        func describe(_ meta: SnapshotMeta) -> String {
            "  \(SnapshotMeta.label(meta.version))  created \(meta.createdAt)  \(Escape.controls(meta.command))"
        }
        var lines = ["Snapshot diff \(SnapshotMeta.label(from.version)) → \(SnapshotMeta.label(to.version))"]
        lines += [describe(from), describe(to), ""]
        if changes.isEmpty && yearsAdded.isEmpty && yearsRemoved.isEmpty {
            lines.append("Indicators: no differences.")
        } else if !changes.isEmpty {
            lines.append("Indicators that changed (money in billion VND, shares in %, gaps in percentage points):")
            var table = [["year", "column", "old", "new", "change"]]
            for change in changes {
                let delta = change.change.isEmpty ? "" : (change.change.hasPrefix("-") ? "" : "+") + change.change
                table.append([
                    String(change.year), change.column, change.old.isEmpty ? "–" : change.old,
                    change.new.isEmpty ? "–" : change.new, delta,
                ])
            }
            let widths = (0..<5).map { column in table.map { $0[column].count }.max() ?? 0 }
            for row in table {
                let cells = row.enumerated().map { column, cell in
                    let pad = String(repeating: " ", count: widths[column] - cell.count)
                    // Numbers (old, new, change) and their headings right-aligned.
                    return column >= 2 ? pad + cell : cell + pad
                }
                lines.append("  " + cells.joined(separator: "  ").trimmingTrailingSpaces())
            }
        }
        if !yearsAdded.isEmpty {
            lines.append("Years added: " + yearsAdded.map(String.init).joined(separator: ", "))
        }
        if !yearsRemoved.isEmpty {
            lines.append("Years removed: " + yearsRemoved.map(String.init).joined(separator: ", "))
        }
        lines.append("")
        if archivesChanged.isEmpty {
            lines.append("Archives: the same files (SHA-256) in both.")
        } else {
            lines.append("Archives that differ (SHA-256):")
            for archive in archivesChanged {
                let what: String
                let hashes: String
                if archive.oldSHA256.isEmpty {
                    (what, hashes) = ("added  ", String(archive.newSHA256.prefix(12)))
                } else if archive.newSHA256.isEmpty {
                    (what, hashes) = ("removed", String(archive.oldSHA256.prefix(12)))
                } else {
                    (what, hashes) = ("changed", "\(archive.oldSHA256.prefix(12)) → \(archive.newSHA256.prefix(12))")
                }
                lines.append("  \(what)  \(Escape.controls(archive.path))  (\(hashes)…)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func csv() -> String {
        var rows: [(year: Int, line: String)] = []
        for year in yearsAdded { rows.append((year, "\(year),year,,added,")) }
        for year in yearsRemoved { rows.append((year, "\(year),year,removed,,")) }
        for change in changes {
            rows.append((change.year, "\(change.year),\(change.column),\(change.old),\(change.new),\(change.change)"))
        }
        // Stable: a year's columns keep the `indicator` column order.
        rows.sort { $0.year < $1.year }
        return (["year,column,old,new,change"] + rows.map(\.line)).joined(separator: "\n") + "\n"
    }

    public func json() -> JSONValue {
        .object([
            ("from", .string(SnapshotMeta.label(from.version))),
            ("to", .string(SnapshotMeta.label(to.version))),
            ("years_added", .array(yearsAdded.map { .int($0) })),
            ("years_removed", .array(yearsRemoved.map { .int($0) })),
            (
                "changes",
                .array(
                    changes.map { change in
                        .object([
                            ("year", .int(change.year)), ("column", .string(change.column)),
                            ("old", change.old.isEmpty ? .null : .string(change.old)),
                            ("new", change.new.isEmpty ? .null : .string(change.new)),
                            ("change", change.change.isEmpty ? .null : .number(change.change)),
                        ])
                    })
            ),
            (
                "archives_changed",
                .array(
                    archivesChanged.map { archive in
                        .object([
                            ("path", .string(archive.path)),
                            ("old_sha256", archive.oldSHA256.isEmpty ? .null : .string(archive.oldSHA256)),
                            ("new_sha256", archive.newSHA256.isEmpty ? .null : .string(archive.newSHA256)),
                        ])
                    })
            ),
        ])
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
