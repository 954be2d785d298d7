internal import CSQLite
public import Foundation

/// A published snapshot, opened read-only.
///
/// Published files are immutable, so the connection is opened with `SQLITE_OPEN_READONLY` and
/// `immutable=1`: SQLite takes no lock, looks for no journal and never writes the file (no
/// `-journal`, no `-shm`), so `export`, `verify` and `diff` can run beside a `run`.
/// Not `Sendable`: it owns one SQLite connection.
public final class SnapshotFile {
    public let url: URL
    public let meta: SnapshotMeta
    private let database: Database

    /// Opens the file at `url`; throws `SnapshotError` when it is not a readable grdp snapshot.
    public init(url: URL) throws(SnapshotError) {
        self.url = url
        self.database = try Database(path: url.path, mode: .readOnlyImmutable)
        self.meta = try SnapshotFile.readMeta(database)
    }

    /// Every table back into the row types, rows in key order.
    ///
    /// - Parameters:
    ///   - includingRecords: false leaves out `enterprise`, `ecommerce_sales` and `grdp`, the tables
    ///     that grow with the data and that no export reads.
    ///   - includingSales: false leaves out `ecommerce_sales` alone (`run --year` copies its rows
    ///     file to file instead: `CarriedSales`).
    ///   - includingQuarantine: false leaves out `quarantine`, which describes the inputs of the run
    ///     that wrote the file: a run carrying that file's other years needs none of it (at 10 M
    ///     transactions, 1 % of them quarantined, ~100,000 rows and their raw lines).
    public func loadContent(
        includingRecords: Bool = true, includingSales: Bool = true, includingQuarantine: Bool = true
    ) throws(SnapshotError) -> SnapshotContent {
        try reading {
            () throws(SnapshotError) in
            try SnapshotContent(
                loadingFrom: database, includingRecords: includingRecords, includingSales: includingSales,
                includingQuarantine: includingQuarantine)
        }
    }

    /// Every channel `ecommerce_sales` has, sorted.
    public func salesChannels() throws(SnapshotError) -> [String] {
        try reading { () throws(SnapshotError) in
            let statement = try database.prepare("SELECT DISTINCT channel FROM ecommerce_sales ORDER BY channel")
            var channels: [String] = []
            while try statement.step() {
                channels.append(statement.withBytes(at: 0) { String(decoding: $0, as: UTF8.self) })
            }
            return channels
        }
    }

    /// The archives `source_archive` lists as accepted (those whose rows the snapshot counts): path
    /// and SHA-256, in path order.
    public func acceptedArchives() throws(SnapshotError) -> [(path: String, sha256: String)] {
        try reading { () throws(SnapshotError) in
            let statement = try database.prepare(
                "SELECT path, sha256 FROM source_archive WHERE status = 'accepted' ORDER BY path")
            var archives: [(path: String, sha256: String)] = []
            while try statement.step() {
                archives.append(
                    (
                        statement.withBytes(at: 0) { String(decoding: $0, as: UTF8.self) },
                        statement.withBytes(at: 1) { String(decoding: $0, as: UTF8.self) }
                    ))
            }
            return archives
        }
    }

    /// The years of the `ecommerce_sales` rows: a seek each on the primary key, which begins with
    /// the year (at 10 M, ~2.6 M rows, where `DISTINCT` reads them all).
    func salesYears() throws(SnapshotError) -> Set<Int> {
        try reading { () throws(SnapshotError) in
            var years = Set<Int>()
            var after = Int64.min
            while let year = try database.integer(
                "SELECT year FROM ecommerce_sales WHERE year > \(after) ORDER BY year LIMIT 1")
            {
                years.insert(Int(year))
                after = year
            }
            return years
        }
    }

    /// How many `ecommerce_sales` rows are of none of `years`.
    public func salesRowCount(exceptYears years: Set<Int>) throws(SnapshotError) -> Int {
        try reading { () throws(SnapshotError) in
            Int(
                try database.integer(
                    "SELECT count(*) FROM ecommerce_sales WHERE year NOT IN (\(CarriedSales.sqlList(years)))") ?? 0)
        }
    }

    /// The `quarantine` table's rows in the order exports print them (`QuarantineListing`), read
    /// from the file one at a time each time the listing is gone through. SQLite sorts them in
    /// its sorter, which spills to temporary files past a few MiB, so no pass holds them all.
    /// `raw` is not read: no export prints it.
    func quarantineListing() throws(SnapshotError) -> QuarantineListing {
        let table = SnapshotSchema.quarantine
        // The table's columns in order but the last, `raw`: `RowDecoder` names them by position.
        let listed = table.columnNames.dropLast()
        precondition(table.columnNames.last == "raw", "the quarantine's raw line is its last column")
        let sql =
            "SELECT " + listed.joined(separator: ", ") + " FROM quarantine ORDER BY " + QuarantineListing.orderBy
        let count = try reading { () throws(SnapshotError) in
            Int(try database.integer("SELECT count(*) FROM quarantine") ?? 0)
        }
        return QuarantineListing(count: count) { [self] body in
            let statement = try reading { () throws(SnapshotError) in try database.prepare(sql) }
            while try sorting({ () throws(SnapshotError) in try statement.step() }) {
                let row = try reading { () throws(SnapshotError) in
                    var row = RowDecoder(statement: statement, table: table, path: database.path)
                    return QuarantineRow(
                        archivePath: try row.text(), memberPath: try row.text(), line: try row.int(),
                        kind: try row.text(), reason: try row.text(), detail: try row.text(), raw: "")
                }
                try body(row)
            }
        }
    }

    /// `reading`, for a step of a query SQLite sorts in its temporary files: those finding no room
    /// (`SQLITE_FULL`; the snapshot itself, immutable, is never written) are a failure to write,
    /// exit 73 naming where SQLite keeps them, not a damaged snapshot.
    private func sorting<T>(_ body: () throws(SnapshotError) -> T) throws -> T {
        do {
            return try body()
        } catch  where Self.isTemporaryFolderFull(error) {
            throw Self.temporaryFolderFull()
        } catch {
            return try reading { () throws(SnapshotError) in throw error }
        }
    }

    /// Whether `error` is SQLite finding no room in its temporary files (`SQLITE_FULL`): a
    /// published file is immutable, never written, so the room wanted is for sorting.
    static func isTemporaryFolderFull(_ error: SnapshotError) -> Bool {
        (error.sqliteCode ?? 0) & 0xFF == SQLITE_FULL
    }

    /// The failure to write, exit 73, of SQLite's temporary folder full, naming where it keeps them.
    ///
    /// - Parameter checking: the rows were sorted to check the snapshot, which is then not known
    ///   to be sound or damaged; else to read it, which it is not (it was read).
    public static func temporaryFolderFull(checking: Bool = false) -> OutputWriteError {
        let environment = ProcessInfo.processInfo.environment
        let folder = environment["SQLITE_TMPDIR"] ?? environment["TMPDIR"] ?? "/var/tmp"
        return OutputWriteError(
            path: folder, operation: "sort rows in SQLite's temporary files", errno: ENOSPC,
            detail: "SQLite keeps them in SQLITE_TMPDIR, else TMPDIR, /var/tmp, /usr/tmp or /tmp, "
                + "the first that can be written; "
                + (checking
                    ? "the snapshot could not be checked (nothing is known to be wrong with it, nor that it is sound)"
                    : "the snapshot is not damaged"))
    }

    /// How many `quarantine` rows have each reason.
    func quarantineCountsByReason() throws(SnapshotError) -> [String: Int] {
        try reading { () throws(SnapshotError) in
            var counts: [String: Int] = [:]
            for row in try database.rows("SELECT reason, count(*) FROM quarantine GROUP BY reason") {
                guard case .text(let reason) = row[0], case .integer(let count) = row[1] else {
                    throw SnapshotError(
                        code: .invalidSnapshot, message: "quarantine.reason holds \(row[0]), expected TEXT",
                        path: database.path)
                }
                counts[reason] = Int(count)
            }
            return counts
        }
    }

    /// Only the `indicator` table, rows by year: enough for `snapshots` and `diff`.
    public func loadIndicators() throws(SnapshotError) -> [IndicatorRow] {
        try reading { () throws(SnapshotError) in try SnapshotContent.loadIndicators(from: database) }
    }

    /// `body`'s result; a table that SQLite cannot read, or that does not hold what grdp wrote,
    /// is a damaged snapshot (`SnapshotStore.damaged`, exit 65), as a file that does not open is.
    private func reading<T>(_ body: () throws(SnapshotError) -> T) throws(SnapshotError) -> T {
        do {
            return try body()
        } catch {
            guard error.code == .sqlite || error.code == .invalidSnapshot else { throw error }
            throw SnapshotStore.damaged(meta.version, error)
        }
    }

    /// The content hash recomputed from the stored tables.
    /// - Parameter inHalves: large tables read as two halves at once, on two threads, the second
    ///   half's rows serialised into memory until the first is hashed (`verify`: at 10 M, ~1.4 s
    ///   and ~190 MiB); false reads them in one pass on this thread, holding none (a run checking
    ///   its latest file beside its own work).
    public func contentSHA256(inHalves: Bool = true) throws(SnapshotError) -> String {
        try ContentHash.compute(database, splitThreshold: inHalves ? ContentHash.splitThreshold : nil)
    }

    /// Runs every check of `grdp verify`; an empty result means the file is sound.
    ///
    /// - Parameter expectedVersion: the version the file name says, checked against the meta.
    /// - Parameter contentInHalves: see `contentSHA256(inHalves:)`.
    public func verify(expectedVersion: Int? = nil, contentInHalves: Bool = true) -> [VerifyFailure] {
        var failures: [VerifyFailure] = []

        do {
            let rows = try database.rows("PRAGMA integrity_check")
            let messages = rows.compactMap { row -> String? in
                if case .text(let text) = row.first { return text }
                return nil
            }
            if messages != ["ok"] {
                let shown = messages.prefix(5).joined(separator: "; ")
                failures.append(VerifyFailure(check: .integrity, message: "integrity_check: \(shown)"))
            }
        } catch {
            failures.append(Self.failure(.integrity, error))
        }

        do {
            let applicationID = try database.integer("PRAGMA application_id") ?? 0
            if applicationID != SnapshotSchema.applicationID {
                failures.append(
                    VerifyFailure(
                        check: .applicationID,
                        message: "application_id is \(applicationID), expected \(SnapshotSchema.applicationID)"))
            }
            let userVersion = try database.integer("PRAGMA user_version") ?? 0
            if userVersion != SnapshotSchema.version {
                failures.append(
                    VerifyFailure(
                        check: .schemaVersion,
                        message: "user_version is \(userVersion), expected \(SnapshotSchema.version)"))
            }
        } catch {
            failures.append(VerifyFailure(check: .applicationID, message: error.description))
        }

        // Each table with its columns, for a message that names what is missing.
        var missingTables: Set<String> = []
        for table in SnapshotSchema.allTables {
            do {
                let rows = try database.rows("PRAGMA table_info(\(ContentHash.quoteIdentifier(table.name)))")
                let present = Set(
                    rows.compactMap { row -> String? in
                        if row.count > 1, case .text(let name) = row[1] { return name }
                        return nil
                    })
                if present.isEmpty {
                    missingTables.insert(table.name)
                    failures.append(VerifyFailure(check: .schema, message: "table \(table.name) is missing"))
                } else {
                    let missing = table.columnNames.filter { !present.contains($0) }
                    if !missing.isEmpty {
                        failures.append(
                            VerifyFailure(
                                check: .schema,
                                message: "table \(table.name) lacks column(s) " + missing.joined(separator: ", ")))
                    }
                }
            } catch {
                failures.append(VerifyFailure(check: .schema, message: error.description))
            }
        }
        // Then the whole catalogue against what grdp creates, statement for statement: no table
        // recreated or altered (a key, a default, a collation, a check), and no table, index, view
        // or trigger added (a view or trigger changes what other readers see, and none is in the
        // content hash). `ecommerce_sales` may have the layout of the snapshots published before it
        // was stored `WITHOUT ROWID`.
        do {
            let found = try SnapshotSchema.catalogue(of: database)
            let sales = SnapshotSchema.CatalogueEntry(type: "table", name: SnapshotSchema.ecommerceSales.name)
            let earlier = found[sales] == SnapshotSchema.earlierSalesTable.createSQL
            let expected = try SnapshotSchema.expectedCatalogue(earlierSalesLayout: earlier)
            for (entry, sql) in found.sorted(by: { $0.key < $1.key }) where expected[entry] != sql {
                failures.append(
                    VerifyFailure(
                        check: .schema,
                        message: expected[entry] == nil
                            ? "\(entry.type) \(entry.name) is not one grdp creates (added since)"
                            : "\(entry.type) \(entry.name) is not defined as grdp creates it (recreated or altered since)"
                    ))
            }
            for entry in expected.keys.sorted() where found[entry] == nil && !missingTables.contains(entry.name) {
                if entry.type == "table" || !missingTables.contains(entry.table) {
                    failures.append(
                        VerifyFailure(check: .schema, message: "\(entry.type) \(entry.name) is missing (dropped since)")
                    )
                }
            }
        } catch {
            failures.append(VerifyFailure(check: .schema, message: error.description))
        }

        if let expectedVersion, meta.version != expectedVersion {
            failures.append(
                VerifyFailure(
                    check: .meta,
                    message: "snapshot_meta says version \(meta.version), the file name says \(expectedVersion)"))
        }
        // `snapshot_meta` is outside the content hash (CONTRACT §6): at least its keys and the form
        // of its values must be those grdp writes.
        for problem in metaProblems() {
            failures.append(VerifyFailure(check: .meta, message: "snapshot_meta: \(problem)"))
        }

        do {
            let recomputed = try contentSHA256(inHalves: contentInHalves)
            if recomputed != meta.contentSHA256 {
                failures.append(
                    VerifyFailure(
                        check: .contentHash,
                        message: "content_sha256 recomputed as \(recomputed), snapshot_meta says \(meta.contentSHA256)"
                    ))
            }
        } catch {
            failures.append(Self.failure(.contentHash, error, saying: "cannot recompute: "))
        }
        return failures
    }

    /// The failure of `check` on `error`: one that could not be made for want of temporary room
    /// (`VerifyFailure.cannotCheck`) names the folder, not the file.
    private static func failure(_ check: VerifyFailure.Check, _ error: SnapshotError, saying prefix: String = "")
        -> VerifyFailure
    {
        let cannotCheck = isTemporaryFolderFull(error)
        let reason = cannotCheck ? temporaryFolderFull(checking: true).description : error.description
        return VerifyFailure(check: check, message: prefix + reason, cannotCheck: cannotCheck)
    }

    /// What in `snapshot_meta` is not as grdp writes it: a key it never writes, a time not in
    /// `YYYY-MM-DDTHH:MM:SS[.fff]Z`, a SHA-256 not in 64 lower-case hex digits, a parent not below the
    /// version, an empty tool version or command.
    private func metaProblems() -> [String] {
        var problems: [String] = []
        let values = (try? Self.metaValues(database)) ?? [:]
        let keys = Set(SnapshotSchema.MetaKey.all)
        for name in values.keys.sorted() where !keys.contains(name) {
            problems.append("key '\(name)' is not one grdp writes")
        }
        // `YYYY-MM-DDTHH:MM:SS`, an optional fraction, `Z`.
        let time = Array(meta.createdAt.utf8)
        let timeShape = Array("0000-00-00T00:00:00".utf8)
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        var isTime =
            time.count > timeShape.count && time.last == UInt8(ascii: "Z")
            && zip(time, timeShape).allSatisfy { byte, shape in
                shape == UInt8(ascii: "0") ? isDigit(byte) : byte == shape
            }
        if isTime {
            let fraction = time[timeShape.count..<(time.count - 1)]
            isTime =
                fraction.isEmpty
                || (fraction.first == UInt8(ascii: ".") && fraction.count > 1
                    && fraction.dropFirst().allSatisfy(isDigit))
        }
        if !isTime { problems.append("created_at '\(meta.createdAt)' is not a UTC time as grdp writes it") }
        for (key, value) in [("config_sha256", meta.configSHA256), ("content_sha256", meta.contentSHA256)] {
            if !value.isSHA256Hex { problems.append("\(key) '\(value)' is not a SHA-256 in hex") }
        }
        if let parent = meta.parentVersion, !(1..<meta.version).contains(parent) {
            problems.append("parent_version \(parent) is not an earlier version than \(meta.version)")
        }
        if meta.toolVersion.isEmpty { problems.append("tool_version is empty") }
        // The region and interpolation keys (since 2026-12-06): as the config loader takes them.
        let key = SnapshotSchema.MetaKey.self
        if let code = values[key.regionCode] {
            if code?.utf8.count != 2 || code?.isASCIIDigits != true {
                problems.append("region_code '\(code ?? "")' is not two digits")
            }
            if values[key.regionName] == nil { problems.append("region_code is given without region_name") }
        } else if values[key.regionName] != nil {
            problems.append("region_name is given without region_code")
        }
        if let interpolation = values[key.targetInterpolation],
            PipelineConfig.Interpolation(rawValue: interpolation ?? "") == nil
        {
            problems.append("target_interpolation '\(interpolation ?? "")' is neither linear nor none")
        }
        if let settings = values[key.settingsByYear], YearSettings(text: settings ?? "") == nil {
            problems.append(
                "settings_sha256_by_year is not a scheme and a JSON object of years and SHA-256s as grdp writes it")
        }
        if meta.command.isEmpty { problems.append("command is empty") }
        return problems
    }

    /// `snapshot_meta` as key → value (nil for a NULL, or a value that is neither text nor an
    /// integer).
    static func metaValues(_ database: Database) throws(SnapshotError) -> [String: String?] {
        var values: [String: String?] = [:]
        for row in try database.rows("SELECT key, value FROM snapshot_meta") {
            guard row.count == 2, case .text(let key) = row[0] else { continue }
            switch row[1] {
            case .text(let value): values[key] = .some(value)
            case .integer(let value): values[key] = .some(String(value))
            default: values[key] = .some(nil)
            }
        }
        return values
    }

    static func readMeta(_ database: Database) throws(SnapshotError) -> SnapshotMeta {
        let values = try metaValues(database)
        func invalid(_ message: String) -> SnapshotError {
            SnapshotError(code: .invalidSnapshot, message: "snapshot_meta: \(message)", path: database.path)
        }
        func required(_ key: String) throws(SnapshotError) -> String {
            guard let entry = values[key], let value = entry else { throw invalid("\(key) is missing") }
            return value
        }
        let key = SnapshotSchema.MetaKey.self
        guard let version = Int(try required(key.version)), version > 0 else {
            throw invalid("version is not a positive integer")
        }
        var parent: Int?
        if let entry = values[key.parentVersion], let text = entry, !text.isEmpty {
            guard let value = Int(text) else { throw invalid("parent_version '\(text)' is not an integer") }
            parent = value
        }
        var region: SnapshotMeta.Region?
        if let entry = values[key.regionCode], let code = entry {
            region = SnapshotMeta.Region(code: code, name: (values[key.regionName] ?? nil) ?? "")
        }
        let interpolation = (values[key.targetInterpolation] ?? nil).flatMap(PipelineConfig.Interpolation.init)
        let settings = (values[key.settingsByYear] ?? nil).flatMap(YearSettings.init(text:))
        return SnapshotMeta(
            version: version, createdAt: try required(key.createdAt), toolVersion: try required(key.toolVersion),
            configSHA256: try required(key.configSHA256), contentSHA256: try required(key.contentSHA256),
            parentVersion: parent, command: try required(key.command), region: region,
            targetInterpolation: interpolation, yearSettings: settings)
    }
}
