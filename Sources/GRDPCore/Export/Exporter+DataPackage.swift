extension Exporter {
    /// The data package's file name, beside the CSVs in `<outputs>/exports/`.
    public static let dataPackageFileName = "datapackage.json"

    /// A Frictionless `datapackage.json` describing the CSV files `<table>.csv` written beside it:
    /// columns, types, units (in the descriptions), and the snapshot version and content hash.
    public static func dataPackage(tables: [ExportTable], meta: SnapshotMeta) -> String {
        let label = SnapshotMeta.label(meta.version)
        var out = "{\n"
        out += "  \"profile\": \"tabular-data-package\",\n"
        out += "  \"name\": \"grdp-digital-economy\",\n"
        let region = meta.region.map { " of \($0.description)" } ?? ""
        out += "  \"title\": \(Escape.json("Digital-economy indicators\(region), snapshot \(label)")),\n"
        let description =
            "Value added of the digital economy and its share of GRDP against the policy targets, exported "
            + "from grdp snapshot \(label) (content SHA-256 \(meta.contentSHA256)). Money in billion VND at "
            + "current prices with 3 decimals; shares in percent and gaps in percentage points with 4 "
            + "decimals; published figures rounded half-to-even. A text cell that starts with =, +, -, @, TAB, "
            + "CR or ' has one ' put before it, so that a spreadsheet does not run it as a formula: take one ' "
            + "off a text cell that starts with one to get the text. Control characters other than TAB, LF and "
            + "CR, and bidi controls, are shown as U+FFFD."
        out += "  \"description\": \(Escape.json(description)),\n"
        out += "  \"version\": \(Escape.json(String(meta.version))),\n"
        out += "  \"created\": \(Escape.json(meta.createdAt)),\n"
        out += "  \"grdp_snapshot\": {\n"
        out += "    \"version\": \(meta.version),\n"
        out += "    \"label\": \(Escape.json(label)),\n"
        out += "    \"content_sha256\": \(Escape.json(meta.contentSHA256)),\n"
        out += "    \"created_at\": \(Escape.json(meta.createdAt)),\n"
        out += "    \"tool_version\": \(Escape.json(meta.toolVersion)),\n"
        out += "    \"config_sha256\": \(Escape.json(meta.configSHA256))\n"
        out += "  },\n"
        out += "  \"resources\": ["
        var seen = Set<ExportTable>()
        let unique = tables.filter { seen.insert($0).inserted }
        for (index, table) in unique.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += resource(table)
        }
        out += unique.isEmpty ? "]\n" : "\n  ]\n"
        return out + "}\n"
    }

    private static func resource(_ table: ExportTable) -> String {
        var out = "    {\n"
        out += "      \"name\": \(Escape.json(table.rawValue)),\n"
        out += "      \"path\": \(Escape.json(table.fileName(.csv))),\n"
        out += "      \"title\": \(Escape.json(ExportRows.title(of: table))),\n"
        out += "      \"profile\": \"tabular-data-resource\",\n"
        out += "      \"format\": \"csv\",\n"
        out += "      \"mediatype\": \"text/csv\",\n"
        out += "      \"encoding\": \"utf-8\",\n"
        out += "      \"dialect\": {\"delimiter\": \",\", \"doubleQuote\": true, \"lineTerminator\": \"\\n\", "
        out += "\"quoteChar\": \"\\\"\", \"header\": true},\n"
        out += "      \"schema\": {\n"
        out += "        \"fields\": [\n"
        let columns = ExportRows.columns(of: table)
        for (index, column) in columns.enumerated() {
            var field = "          {\"name\": \(Escape.json(column.name)), \"type\": "
            switch column.kind {
            case .integer: field += "\"integer\""
            case .money, .percent: field += "\"number\", \"decimalChar\": \".\", \"bareNumber\": true"
            case .text: field += "\"string\""
            }
            field += ", \"description\": \(Escape.json(column.description))"
            switch column.kind {
            case .money: field += ", \"unit\": \"billion VND\""
            case .percent: field += column.name == "gap_pp" ? ", \"unit\": \"percentage points\"" : ", \"unit\": \"%\""
            default: break
            }
            if let allowed = column.allowed {
                field += ", \"constraints\": {\"enum\": ["
                field += allowed.map(Escape.json).joined(separator: ", ") + "]}"
            }
            field += "}"
            out += field + (index == columns.count - 1 ? "\n" : ",\n")
        }
        out += "        ],\n"
        out += "        \"missingValues\": [\"\"]"
        let key = ExportRows.primaryKey(of: table)
        if !key.isEmpty {
            out += ",\n        \"primaryKey\": [" + key.map(Escape.json).joined(separator: ", ") + "]"
        }
        out += "\n      }\n"
        return out + "    }"
    }
}
