import Foundation

/// A table ready to print: columns with their kinds, rows of cells. CSV, JSON, Markdown, HTML and
/// the data package all derive from this one model, so they cannot disagree.
struct ExportRows {
    struct Column {
        enum Kind {
            case integer
            /// Billion VND, 3 decimals.
            case money
            /// Percent or percentage points, 4 decimals.
            case percent
            case text
        }

        var name: String
        var kind: Kind
        /// For the data package: what the column holds, with its unit.
        var description: String
        /// Allowed values (data package `enum` constraint), if fixed.
        var allowed: [String]? = nil
    }

    enum Cell: Equatable {
        case missing
        case integer(Int)
        /// A number already formatted with its fixed decimals (`12.300`).
        case number(String)
        case text(String)

        /// The text of a CSV or table cell (empty when missing).
        var plainText: String {
            switch self {
            case .missing: ""
            case .integer(let value): String(value)
            case .number(let text): text
            case .text(let text): text
            }
        }
    }

    var title: String
    var columns: [Column]
    /// How many rows `forEachRow` gives.
    var count: Int
    /// Gives every row, in order, one at a time: a table read from a snapshot as it is printed
    /// (`QuarantineListing`) is never held whole.
    var forEachRow: (_ body: ([Cell]) throws -> Void) throws -> Void
    var primaryKey: [String]

    init(title: String, columns: [Column], rows: [[Cell]], primaryKey: [String]) {
        self.title = title
        self.columns = columns
        self.count = rows.count
        self.forEachRow = { body in for row in rows { try body(row) } }
        self.primaryKey = primaryKey
    }

    /// The rows of the `quarantine` table, as `listing` gives them.
    init(quarantine listing: QuarantineListing) {
        title = ExportRows.title(of: .quarantine)
        columns = ExportRows.columns(of: .quarantine)
        count = listing.count
        forEachRow = { body in
            // Archives, members, kinds and reasons repeat from row to row: each is normalised once.
            var normalised: [String: String] = [:]
            func repeated(_ value: String) -> Cell {
                if let known = normalised[value] { return .text(known) }
                let text = ExportRows.nfc(value)
                normalised[value] = text
                return .text(text)
            }
            try listing.forEachRow { row in
                try body([
                    repeated(row.archivePath), repeated(row.memberPath), .integer(row.line), repeated(row.kind),
                    repeated(row.reason), ExportRows.text(row.detail),
                ])
            }
        }
        primaryKey = ExportRows.primaryKey(of: .quarantine)
    }

    // Published text is NFC: an archive named on a Mac (NFD), or a quarantined value quoted in a
    // detail as the return spelled it, would otherwise not match the same name typed in NFC.
    private static func text(_ value: String) -> Cell { .text(nfc(value)) }

    /// `value` in NFC. ASCII is NFC as it is, and most texts are: Foundation's normalisation is
    /// most of the time of an export of 500,000 quarantined rows when every text goes through it.
    private static func nfc(_ value: String) -> String {
        value.utf8.allSatisfy { $0 < 0x80 } ? value : value.precomposedStringWithCanonicalMapping
    }
}

extension ExportRows {
    static func columns(of table: ExportTable) -> [Column] {
        switch table {
        case .targetVsActual:
            [
                Column(name: "year", kind: .integer, description: "Calendar year."),
                Column(
                    name: "grdp_bvnd", kind: .money,
                    description: "GRDP at current prices, billion VND (empty when the year has no GRDP row)."),
                Column(
                    name: "core_bvnd", kind: .money,
                    description: "Value added of ICT-core enterprises, billion VND."),
                Column(
                    name: "ecommerce_bvnd", kind: .money,
                    description: "Value added of counted e-commerce sales, billion VND."),
                Column(
                    name: "digitised_bvnd", kind: .money,
                    description: "Digitised value added of other enterprises, billion VND."),
                Column(
                    name: "de_bvnd", kind: .money,
                    description: "Digital-economy value added = core + e-commerce + digitised, billion VND."),
                Column(
                    name: "share_pct", kind: .percent,
                    description: "Digital-economy value added as a percentage of GRDP (empty without GRDP)."),
                Column(
                    name: "target_pct", kind: .percent,
                    description: "Target share of GRDP, percent (empty when there is no target)."),
                Column(
                    name: "target_kind", kind: .text,
                    description: "How the target was found: explicit point, linear interpolation, or none.",
                    allowed: ["explicit", "interpolated", "none"]),
                Column(
                    name: "gap_pp", kind: .percent,
                    description: "share_pct − target_pct, percentage points (negative: behind the target)."),
                Column(
                    name: "status", kind: .text, description: "Standing against the target.",
                    allowed: ["met", "behind", "no-target", "no-grdp"]),
            ]
        case .byDistrict:
            [
                Column(name: "year", kind: .integer, description: "Calendar year."),
                Column(
                    name: "district_code", kind: .text,
                    description: "GSO district code (`unknown` when the seller's district is not known)."),
                Column(name: "district_name", kind: .text, description: "District name from the configuration."),
                Column(name: "core_bvnd", kind: .money, description: "ICT-core value added, billion VND."),
                Column(name: "ecommerce_bvnd", kind: .money, description: "E-commerce value added, billion VND."),
                Column(name: "digitised_bvnd", kind: .money, description: "Digitised value added, billion VND."),
                Column(name: "de_bvnd", kind: .money, description: "Digital-economy value added, billion VND."),
            ]
        case .quarantine:
            [
                Column(
                    name: "archive_path", kind: .text,
                    description: "Archive holding the row, relative to the returns folder."),
                Column(name: "member_path", kind: .text, description: "Member (file) inside the archive."),
                Column(
                    name: "line", kind: .integer,
                    description: "Physical line of the member on which the row starts (header = line 1)."),
                Column(name: "kind", kind: .text, description: "Record kind: enterprise, transaction or grdp."),
                Column(name: "reason", kind: .text, description: "Reason code (type-error, missing-cell, …)."),
                Column(name: "detail", kind: .text, description: "What was wrong, naming the field and value."),
            ]
        }
    }

    static func title(of table: ExportTable) -> String {
        switch table {
        case .targetVsActual: "Digital economy share of GRDP: target vs actual"
        case .byDistrict: "Digital-economy value added by district"
        case .quarantine: "Quarantined rows"
        }
    }

    static func primaryKey(of table: ExportTable) -> [String] {
        switch table {
        case .targetVsActual: ["year"]
        case .byDistrict: ["year", "district_code"]
        case .quarantine: []
        }
    }

    /// The rows of `table`, ordered as CONTRACT §7 says; `years` filters the per-year tables.
    /// The quarantine's rows are `content.quarantine`, sorted here (`QuarantineListing`).
    init(_ table: ExportTable, content: SnapshotContent, years: Set<Int>?) {
        func money(_ value: ExactDecimal?) -> Cell {
            value.map { .number($0.formatted(decimals: SnapshotSchema.moneyDecimals)) } ?? .missing
        }
        func percent(_ value: ExactDecimal?) -> Cell {
            value.map { .number($0.formatted(decimals: SnapshotSchema.percentDecimals)) } ?? .missing
        }
        func included(_ year: Int) -> Bool { years?.contains(year) ?? true }

        var rows: [[Cell]] = []
        switch table {
        case .targetVsActual:
            for row in content.indicators.filter({ included($0.year) }).sorted(by: { $0.year < $1.year }) {
                rows.append([
                    .integer(row.year), money(row.grdpBVND), money(row.coreBVND), money(row.ecommerceBVND),
                    money(row.digitisedBVND), money(row.deBVND), percent(row.sharePct), percent(row.targetPct),
                    .text(row.targetKind.rawValue), percent(row.gapPp), .text(row.status.rawValue),
                ])
            }
        case .byDistrict:
            var names: [String: String] = [:]
            for district in content.districts { names[district.code] = district.name }
            let sorted = content.districtIndicators.filter { included($0.year) }.sorted { a, b in
                a.year != b.year ? a.year < b.year : bytewiseLess(a.districtCode, b.districtCode)
            }
            for row in sorted {
                rows.append([
                    .integer(row.year), Self.text(row.districtCode), Self.text(names[row.districtCode] ?? ""),
                    money(row.coreBVND), money(row.ecommerceBVND), money(row.digitisedBVND), money(row.deBVND),
                ])
            }
        case .quarantine:
            self.init(quarantine: QuarantineListing(sorting: content.quarantine))
            return
        }
        self.init(
            title: ExportRows.title(of: table), columns: ExportRows.columns(of: table), rows: rows,
            primaryKey: ExportRows.primaryKey(of: table))
    }
}
