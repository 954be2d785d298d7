/// Renders snapshot tables as CSV, JSON, Markdown or HTML (CONTRACT §7).
///
/// Pure functions of the snapshot: the same snapshot gives the same bytes. Numbers use `.` as
/// the decimal mark and no grouping; money has 3 decimals, percentages and points 4.
public enum Exporter {
    /// One table in one format; `years` filters `target-vs-actual` and `by-district` (nil = all).
    public static func render(
        _ table: ExportTable, format: ExportFormat, content: SnapshotContent, meta: SnapshotMeta, years: Set<Int>?
    ) -> String {
        switch format {
        case .csv: csv(ExportRows(table, content: content, years: years))
        case .json: json(ExportRows(table, content: content, years: years), table: table, meta: meta)
        case .md: markdown(ExportRows(table, content: content, years: years), meta: meta)
        case .html: HTMLReport(table: table, content: content, meta: meta, years: years).render()
        }
    }

    /// CSV with a header line, LF line endings, empty cells for missing values, text cells that
    /// would start a spreadsheet formula prefixed with `'` (`Escape.csvText`).
    static func csv(_ table: ExportRows) -> String {
        var out = table.columns.map { Escape.csv($0.name) }.joined(separator: ",") + "\n"
        for row in table.rows {
            out +=
                row.map { cell in
                    if case .text(let text) = cell { Escape.csvText(text) } else { Escape.csv(cell.plainText) }
                }.joined(separator: ",") + "\n"
        }
        return out
    }

    /// `{"table", "snapshot", "snapshot_version", "content_sha256", "created_at", "rows": [{…}]}`,
    /// one row per line; numbers are JSON numbers printed with their fixed decimals, missing is null.
    static func json(_ table: ExportRows, table name: ExportTable, meta: SnapshotMeta) -> String {
        var out = "{\n"
        out += "  \"table\": \(Escape.json(name.rawValue)),\n"
        out += "  \"title\": \(Escape.json(table.title)),\n"
        out += "  \"snapshot\": \(Escape.json(SnapshotMeta.label(meta.version))),\n"
        out += "  \"snapshot_version\": \(meta.version),\n"
        out += "  \"content_sha256\": \(Escape.json(meta.contentSHA256)),\n"
        out += "  \"created_at\": \(Escape.json(meta.createdAt)),\n"
        out += "  \"columns\": [" + table.columns.map { Escape.json($0.name) }.joined(separator: ", ") + "],\n"
        if table.rows.isEmpty {
            out += "  \"rows\": []\n"
        } else {
            out += "  \"rows\": [\n"
            for (index, row) in table.rows.enumerated() {
                let fields = zip(table.columns, row).map { column, cell in
                    Escape.json(column.name) + ": " + jsonValue(cell)
                }
                out += "    {" + fields.joined(separator: ", ") + "}"
                out += index == table.rows.count - 1 ? "\n" : ",\n"
            }
            out += "  ]\n"
        }
        return out + "}\n"
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
    static func markdown(_ table: ExportRows, meta: SnapshotMeta) -> String {
        var out = "# \(Escape.markdownCell(table.title)) (snapshot \(SnapshotMeta.label(meta.version)))\n\n"
        out += "| " + table.columns.map(\.name).map(Escape.markdownCell).joined(separator: " | ") + " |\n"
        out += "|" + table.columns.map { $0.kind == .text ? " --- " : " ---: " }.joined(separator: "|") + "|\n"
        for row in table.rows {
            out += "| " + row.map { Escape.markdownCell($0.plainText) }.joined(separator: " | ") + " |\n"
        }
        if table.rows.isEmpty {
            out += "\n_No rows._\n"
        }
        out += "\nSnapshot \(SnapshotMeta.label(meta.version)), created \(Escape.markdownCell(meta.createdAt)), "
        out += "content SHA-256 `\(meta.contentSHA256)`. Money in billion VND (3 decimals); "
        out += "shares in percent of GRDP and gaps in percentage points (4 decimals).\n"
        return out
    }
}
