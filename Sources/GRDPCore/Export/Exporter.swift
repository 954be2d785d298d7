/// Renders snapshot tables as CSV, JSON, Markdown or HTML (CONTRACT §7).
///
/// Pure functions of the snapshot: the same snapshot gives the same bytes. Numbers use `.` as
/// the decimal mark and no grouping; money has 3 decimals, percentages and points 4.
public enum Exporter {
    /// One table in one format, whole; `years` filters `target-vs-actual` and `by-district` (nil =
    /// all). The quarantine's rows are `content.quarantine`.
    public static func render(
        _ table: ExportTable, format: ExportFormat, content: SnapshotContent, meta: SnapshotMeta, years: Set<Int>?
    ) throws -> String {
        let bytes = try ExportText.gathering { out in
            try write(table, format: format, content: content, meta: meta, years: years, quarantine: nil, into: &out)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One table of the snapshot `file` in one format, handed to `deliver` in pieces as it is made
    /// (`ExportText`). The quarantine's rows are read from the file in the order they are printed,
    /// one at a time: an export of 500,000 of them holds a few MiB, not their text twice over.
    ///
    /// Throws a `SnapshotError` when the file cannot be read (a damaged snapshot: exit 65), and
    /// whatever `deliver` throws; either may come after some pieces were delivered.
    public static func write(
        _ table: ExportTable, format: ExportFormat, from file: SnapshotFile, years: Set<Int>?,
        to deliver: ([UInt8]) throws -> Void
    ) throws {
        let content = try exportContent(of: file, countingQuarantine: format == .html)
        let quarantine = table == .quarantine ? try file.quarantineListing() : nil
        try write(
            table, format: format, content: content, meta: file.meta, years: years, quarantine: quarantine,
            to: deliver)
    }

    /// `write(_:format:content:meta:years:quarantine:into:)`, handed to `deliver` in pieces.
    static func write(
        _ table: ExportTable, format: ExportFormat, content: SnapshotContent, meta: SnapshotMeta, years: Set<Int>?,
        quarantine: QuarantineListing?, to deliver: ([UInt8]) throws -> Void
    ) throws {
        try withoutActuallyEscaping(deliver) { deliver in
            var out = ExportText(deliver: deliver)
            try write(
                table, format: format, content: content, meta: meta, years: years, quarantine: quarantine, into: &out)
            try out.finish()
        }
    }

    /// What the exports of `file` read: every table but the records and the quarantine's rows.
    /// With `countingQuarantine` (an HTML page, which shows them), the quarantine's counts by
    /// reason, from SQL: a scan of the table that the other formats need not pay for. The
    /// quarantine table's rows are read as they are printed (`SnapshotFile.quarantineListing()`).
    static func exportContent(of file: SnapshotFile, countingQuarantine: Bool) throws(SnapshotError)
        -> SnapshotContent
    {
        var content = try file.loadContent(includingRecords: false, includingQuarantine: false)
        if countingQuarantine { content.streamedQuarantineByReason = try file.quarantineCountsByReason() }
        return content
    }

    /// `quarantine`, when given, is the rows the quarantine table lists instead of `content.quarantine`.
    static func write(
        _ table: ExportTable, format: ExportFormat, content: SnapshotContent, meta: SnapshotMeta, years: Set<Int>?,
        quarantine: QuarantineListing?, into out: inout ExportText
    ) throws {
        func rows() -> ExportRows {
            if table == .quarantine, let quarantine { return ExportRows(quarantine: quarantine) }
            return ExportRows(table, content: content, years: years)
        }
        switch format {
        case .csv: try csv(rows(), into: &out)
        case .json: try json(rows(), table: table, meta: meta, into: &out)
        case .md: try markdown(rows(), meta: meta, into: &out)
        case .html:
            try HTMLReport(table: table, content: content, meta: meta, years: years).write(
                into: &out, quarantine: table == .quarantine ? rows() : nil)
        }
    }

    /// CSV with a header line, LF line endings, empty cells for missing values, text cells that
    /// would start a spreadsheet formula prefixed with `'` (`Escape.csvText`).
    static func csv(_ table: ExportRows, into out: inout ExportText) throws {
        try out.append(table.columns.map { Escape.csv($0.name) }.joined(separator: ",") + "\n")
        try table.forEachRow { row in
            try out.append(
                row.map { cell in
                    if case .text(let text) = cell { Escape.csvText(text) } else { Escape.csv(cell.plainText) }
                }.joined(separator: ",") + "\n")
        }
    }

    /// `{"table", "snapshot", "snapshot_version", "content_sha256", "created_at", "rows": [{…}]}`,
    /// one row per line; numbers are JSON numbers printed with their fixed decimals, missing is null.
    static func json(
        _ table: ExportRows, table name: ExportTable, meta: SnapshotMeta, into out: inout ExportText
    ) throws {
        var head = "{\n"
        head += "  \"table\": \(Escape.json(name.rawValue)),\n"
        head += "  \"title\": \(Escape.json(table.title)),\n"
        if let region = meta.region {
            head += "  \"region\": {\"code\": \(Escape.json(region.code)), \"name\": \(Escape.json(region.name))},\n"
        }
        head += "  \"snapshot\": \(Escape.json(SnapshotMeta.label(meta.version))),\n"
        head += "  \"snapshot_version\": \(meta.version),\n"
        head += "  \"content_sha256\": \(Escape.json(meta.contentSHA256)),\n"
        head += "  \"created_at\": \(Escape.json(meta.createdAt)),\n"
        head += "  \"columns\": [" + table.columns.map { Escape.json($0.name) }.joined(separator: ", ") + "],\n"
        try out.append(head)
        guard table.count > 0 else {
            try out.append("  \"rows\": []\n}\n")
            return
        }
        try out.append("  \"rows\": [\n")
        var first = true
        try table.forEachRow { row in
            let fields = zip(table.columns, row).map { column, cell in
                Escape.json(column.name) + ": " + jsonValue(cell)
            }
            try out.append((first ? "" : ",\n") + "    {" + fields.joined(separator: ", ") + "}")
            first = false
        }
        try out.append("\n  ]\n}\n")
    }

    static func jsonValue(_ cell: ExportRows.Cell) -> String {
        switch cell {
        case .missing: "null"
        case .integer(let value): String(value)
        case .number(let text): text
        case .text(let text): Escape.json(text)
        }
    }

    /// A title line, a pipe table (numbers right-aligned) and a provenance line.
    static func markdown(_ table: ExportRows, meta: SnapshotMeta, into out: inout ExportText) throws {
        let region = meta.region.map { ", " + Escape.markdownCell($0.description) } ?? ""
        var head = "# \(Escape.markdownCell(table.title))\(region) (snapshot \(SnapshotMeta.label(meta.version)))\n\n"
        head += "| " + table.columns.map(\.name).map(Escape.markdownCell).joined(separator: " | ") + " |\n"
        head += "|" + table.columns.map { $0.kind == .text ? " --- " : " ---: " }.joined(separator: "|") + "|\n"
        try out.append(head)
        try table.forEachRow { row in
            try out.append("| " + row.map { Escape.markdownCell($0.plainText) }.joined(separator: " | ") + " |\n")
        }
        var tail = table.count == 0 ? "\n_No rows._\n" : ""
        tail += "\nSnapshot \(SnapshotMeta.label(meta.version)), created \(Escape.markdownCell(meta.createdAt)), "
        tail += "content SHA-256 `\(meta.contentSHA256)`. Money in billion VND (3 decimals); "
        tail += "shares in percent of GRDP and gaps in percentage points (4 decimals).\n"
        try out.append(tail)
    }
}
