/// The tables of a snapshot file (CONTRACT §6), schema version 1.
///
/// Exact money (`ExactDecimal`) is TEXT in canonical form so that it stays exact; the published,
/// already rounded indicator figures are REAL; flags are INTEGER 0/1. Tables are `STRICT`, so a
/// value always has its column's type, and the content hash (which tags every value with its
/// storage class) cannot depend on how a value happened to be bound.
enum SnapshotSchema {
    /// `PRAGMA user_version`.
    static let version: Int64 = 1
    /// `PRAGMA application_id`: "GRDP" in ASCII.
    static let applicationID: Int64 = 1_196_573_776

    struct Column {
        var name: String
        var type: String
        var nullable: Bool = false
    }

    struct Table {
        var name: String
        var columns: [Column]
        /// The natural key (a PRIMARY KEY constraint); empty where the contract defines none.
        var primaryKey: [String] = []
        /// Stored `WITHOUT ROWID` in the content hash's order (`ORDER BY` every column): the
        /// primary key is every column, in column order, so that reading the table back for the
        /// hash walks the b-tree instead of sorting it — the tables that grow with the data
        /// (hundreds of thousands of sales rows) would otherwise be sorted on every publish and
        /// every verify. Its rows must be distinct, which their grain guarantees.
        var storedInHashOrder = false

        var columnNames: [String] { columns.map(\.name) }

        var createSQL: String {
            var parts = columns.map { column in
                "\(column.name) \(column.type)" + (column.nullable ? "" : " NOT NULL")
            }
            if storedInHashOrder {
                parts.append("PRIMARY KEY (" + columnNames.joined(separator: ", ") + ")")
            } else if !primaryKey.isEmpty {
                parts.append("PRIMARY KEY (" + primaryKey.joined(separator: ", ") + ")")
            }
            return "CREATE TABLE \(name) (\n    " + parts.joined(separator: ",\n    ") + "\n) STRICT"
                + (storedInHashOrder ? ", WITHOUT ROWID" : "")
        }

        /// `ORDER BY` every column, in column order: a total order, so reads are deterministic.
        /// Columns are declared natural key first.
        var orderByAll: String {
            columns.indices.map { String($0 + 1) }.joined(separator: ", ")
        }

        /// A SELECT of every column of the rows `condition` keeps (nil: every row), in
        /// `orderByAll`'s order.
        func selectAllSQL(where condition: String? = nil) -> String {
            "SELECT " + columnNames.joined(separator: ", ") + " FROM \(name)"
                + (condition.map { " WHERE " + $0 } ?? "") + " ORDER BY \(orderByAll)"
        }

        var insertSQL: String { insertSQL(rows: 1) }

        /// One INSERT of `rows` rows: SQLite's per-statement cost is then paid once per batch.
        func insertSQL(rows: Int) -> String {
            let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
            return "INSERT INTO \(name) (" + columnNames.joined(separator: ", ") + ") VALUES "
                + Array(repeating: row, count: rows).joined(separator: ", ")
        }
    }

    static func text(_ name: String, nullable: Bool = false) -> Column {
        Column(name: name, type: "TEXT", nullable: nullable)
    }
    static func integer(_ name: String, nullable: Bool = false) -> Column {
        Column(name: name, type: "INTEGER", nullable: nullable)
    }
    static func real(_ name: String, nullable: Bool = false) -> Column {
        Column(name: name, type: "REAL", nullable: nullable)
    }

    static let meta = Table(
        name: "snapshot_meta", columns: [text("key"), text("value", nullable: true)], primaryKey: ["key"])

    static let sourceArchive = Table(
        name: "source_archive",
        columns: [text("path"), text("sha256"), integer("bytes"), text("status"), text("reason", nullable: true)],
        primaryKey: ["path"])

    static let sourceMember = Table(
        name: "source_member",
        columns: [
            text("archive_path"), text("member_path"), text("kind"), integer("rows_read"), integer("rows_accepted"),
            integer("rows_quarantined"), integer("rows_superseded"), integer("rows_excluded"),
        ])

    static let enterprise = Table(
        name: "enterprise",
        columns: [
            text("tax_code"), integer("year"), text("name"), text("vsic"), text("section"), text("district_code"),
            text("value_added_mvnd"), integer("is_core"), text("archive_path"), text("member_path"),
            integer("line"),
        ],
        primaryKey: ["tax_code", "year"])

    static let ecommerceSales = Table(
        name: "ecommerce_sales",
        columns: [
            integer("year"), integer("month"), text("channel"), text("seller_tax_code"),
            text("seller_district_code"), integer("transactions"), text("net_vnd"), text("va_vnd"),
            integer("counted"),
        ],
        storedInHashOrder: true)

    static let grdp = Table(
        name: "grdp",
        columns: [integer("year"), text("grdp_bvnd"), text("archive_path"), text("member_path"), integer("line")],
        primaryKey: ["year"])

    static let indicator = Table(
        name: "indicator",
        columns: [
            integer("year"), real("grdp_bvnd", nullable: true), real("core_bvnd"), real("ecommerce_bvnd"),
            real("digitised_bvnd"), real("de_bvnd"), real("share_pct", nullable: true),
            real("target_pct", nullable: true), text("target_kind"), real("gap_pp", nullable: true),
            text("status"),
        ],
        primaryKey: ["year"])

    static let indicatorByDistrict = Table(
        name: "indicator_by_district",
        columns: [
            integer("year"), text("district_code"), real("core_bvnd"), real("ecommerce_bvnd"),
            real("digitised_bvnd"), real("de_bvnd"),
        ],
        primaryKey: ["year", "district_code"])

    static let quarantine = Table(
        name: "quarantine",
        columns: [
            text("archive_path"), text("member_path"), integer("line"), text("kind"), text("reason"),
            text("detail"), text("raw"),
        ])

    static let targetPoint = Table(
        name: "target_point", columns: [integer("year"), text("share_pct"), text("source")], primaryKey: ["year"])

    static let district = Table(name: "district", columns: [text("code"), text("name")], primaryKey: ["code"])

    /// Every table holding content (all but `snapshot_meta`).
    static let contentTables: [Table] = [
        sourceArchive, sourceMember, enterprise, ecommerceSales, grdp, indicator, indicatorByDistrict, quarantine,
        targetPoint, district,
    ]

    /// `snapshot_meta` and every content table: what a snapshot file holds, in creation order.
    static var allTables: [Table] { [meta] + contentTables }

    /// `ecommerce_sales` as snapshots published before it was stored `WITHOUT ROWID` hold it: the
    /// same columns, no key, rows by rowid. They still verify and are still read.
    static var earlierSalesTable: Table {
        var table = ecommerceSales
        table.storedInHashOrder = false
        return table
    }

    /// An object of a snapshot's catalogue (`sqlite_master`): its type, name and table.
    struct CatalogueEntry: Hashable, Comparable {
        var type: String
        var name: String
        var table: String

        init(type: String, name: String, table: String? = nil) {
            self.type = type
            self.name = name
            self.table = table ?? name
        }

        static func < (a: CatalogueEntry, b: CatalogueEntry) -> Bool {
            (a.type, a.name, a.table) < (b.type, b.name, b.table)
        }
    }

    /// Every object of `database`'s catalogue with its statement (none for a key's own index).
    static func catalogue(of database: Database) throws(SnapshotError) -> [CatalogueEntry: String?] {
        var entries: [CatalogueEntry: String?] = [:]
        for row in try database.rows("SELECT type, name, tbl_name, sql FROM sqlite_master") {
            guard row.count == 4, case .text(let type) = row[0], case .text(let name) = row[1],
                case .text(let table) = row[2]
            else { continue }
            let sql: String? = if case .text(let text) = row[3] { text } else { nil }
            entries[CatalogueEntry(type: type, name: name, table: table)] = sql
        }
        return entries
    }

    /// The catalogue of a snapshot as grdp creates it (with `earlierSalesLayout`, as grdp created
    /// it before `ecommerce_sales` was stored `WITHOUT ROWID`): made in memory by the same
    /// statements, so that SQLite names the keys' own indexes as it does in a file.
    static func expectedCatalogue(earlierSalesLayout: Bool) throws(SnapshotError) -> [CatalogueEntry: String?] {
        let fresh = try Database(path: ":memory:", mode: .create)
        defer { fresh.close() }
        for table in allTables {
            try fresh.execute(
                (earlierSalesLayout && table.name == ecommerceSales.name ? earlierSalesTable : table).createSQL)
        }
        return try catalogue(of: fresh)
    }

    /// The keys of `snapshot_meta`.
    enum MetaKey {
        static let version = "version"
        static let createdAt = "created_at"
        static let toolVersion = "tool_version"
        static let configSHA256 = "config_sha256"
        static let contentSHA256 = "content_sha256"
        static let parentVersion = "parent_version"
        static let command = "command"
        /// The config's `region.code` and `region.name` (since 2026-12-06): the exports name them.
        static let regionCode = "region_code"
        static let regionName = "region_name"
        /// The config's `targets.interpolation` (since 2026-12-06): how the chart draws the trajectory.
        static let targetInterpolation = "target_interpolation"
        /// The settings each year's figures were computed with (since 2026-12-06; `YearSettings`):
        /// `run --year` keeps other years as they were, and says when their settings are not the
        /// config's now (`kept_years_other_settings`).
        static let settingsByYear = "settings_sha256_by_year"
        static let all = [
            version, createdAt, toolVersion, configSHA256, contentSHA256, parentVersion, command, regionCode,
            regionName, targetInterpolation, settingsByYear,
        ]
    }

    /// Decimals of the published figures stored as REAL (CONTRACT §5).
    static let moneyDecimals = 3
    static let percentDecimals = 4

    /// A money figure as published (billion VND, 3 decimals, half-to-even).
    static func money(_ value: ExactDecimal) -> String { value.formatted(decimals: moneyDecimals) }

    /// A share, target or gap as published (4 decimals, half-to-even).
    static func percent(_ value: ExactDecimal) -> String { value.formatted(decimals: percentDecimals) }
}
