public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a run supplies for `snapshot_meta`; the store adds `version` and `content_sha256`.
public struct SnapshotMetaDraft: Sendable, Equatable {
    /// UTC, ISO 8601.
    public var createdAt: String
    public var toolVersion: String
    public var configSHA256: String
    /// The snapshot this one was computed from (`run --year` keeps its other years), if any.
    public var parentVersion: Int?
    /// The command line, for provenance.
    public var command: String
    /// The config's region, which the exports name.
    public var region: SnapshotMeta.Region?
    /// The config's `targets.interpolation`, by which the chart draws the trajectory.
    public var targetInterpolation: PipelineConfig.Interpolation?
    /// The settings each year's figures were computed with (`SnapshotMeta.yearSettings`).
    public var yearSettings: YearSettings?

    public init(
        createdAt: String, toolVersion: String, configSHA256: String, parentVersion: Int?, command: String,
        region: SnapshotMeta.Region? = nil, targetInterpolation: PipelineConfig.Interpolation? = nil,
        yearSettings: YearSettings? = nil
    ) {
        self.createdAt = createdAt
        self.toolVersion = toolVersion
        self.configSHA256 = configSHA256
        self.parentVersion = parentVersion
        self.command = command
        self.region = region
        self.targetInterpolation = targetInterpolation
        self.yearSettings = yearSettings
    }
}

/// `run --year`: the `ecommerce_sales` rows of every year but the recomputed ones, copied as
/// stored from the latest snapshot into the new one (SQLite to SQLite, no row decoded): they are
/// most of a snapshot, and unchanged by definition.
public struct CarriedSales: Sendable, Equatable {
    /// The published snapshot they come from.
    public var from: URL
    /// Years whose rows are not carried (the recomputed ones: the content brings theirs).
    public var exceptYears: Set<Int>
    /// When the computed rows of those years can differ from that file's only under some keys
    /// (`RevisionLedger.touchedSalesKeys`): those keys. Only their rows are compared
    /// (`SalesRowsUpdate.diff(_:changedOnlyUnderKeysOf:)`).
    var changedOnlyUnder: SalesRowsUpdate.TouchedKeys?

    public init(from: URL, exceptYears: Set<Int>) {
        self.from = from
        self.exceptYears = exceptYears
    }

    /// Years as an SQL list for `IN (…)`, in order.
    static func sqlList(_ years: Set<Int>) -> String {
        years.sorted().map(String.init).joined(separator: ", ")
    }
}

/// How the written years' sales rows differ from the carried file's (nil: not to be had, every
/// row of the years is written), what they were compared with, and whether the touched keys were
/// found not to add up first.
struct SalesComparison: Sendable {
    var diff: SalesRowsUpdate.Diff?
    var compared: SalesRowsUpdate.Compared
    var missed: SalesRowsUpdate.Missed? = nil
}

/// The sales rows of a publish, computed a year at a time as the publish asks for them: each year's
/// rows are written and hashed, then let go, so that only one year's are in memory (at 10 M
/// transactions, ~700,000 rows of ~120 bytes, where every year's were 2.6 M, and a night that
/// recomputed three years held 359 MiB).
///
/// A publish that writes every row inserts them. One that carries the other years' rows from the
/// latest snapshot (`CarriedSales`, whose `exceptYears` are these years and any the file holds
/// that are gone now) starts from a copy of that file, and brings each year's rows in it to the
/// computed ones as they come (`SalesRowsUpdate.YearUpdate`).
struct SalesByYear {
    /// Each year the rows may hold, ascending; a year may give no rows.
    var years: [Int]
    /// About how many rows there will be, for the file's page size: from the inputs alone, so that
    /// the same inputs give the same file.
    var expectedRows: Int
    /// A year's indicators and district indicators (the content's other rows are what the publish
    /// was given); its sales rows, in Compute's order, are handed to the function it is given, in
    /// one or more consecutive parts, each inserted and hashed before the call returns.
    var compute: (Int, @escaping ([EcommerceSalesRow]) throws -> Void) throws -> SnapshotContent
    /// Where each year's digests go (`SalesDigests`): taken on the thread that hashes the rows
    /// when they are inserted, month by month before they are compared when they are.
    var digests: SalesDigestsByYear?
    /// With rows carried from a file copied: the digests of that file's rows by month
    /// (`SalesDigests.months`), whose months with the same digest now are left as they are.
    var earlierMonths: [Int: String]?
    /// The snapshot's `settings_sha256_by_year` from the years of its indicators, known once every
    /// year is computed (nil: the draft's).
    var yearSettings: (([Int]) -> YearSettings)?
}

/// How `SnapshotStore.publishMarking` went, besides its outcome.
struct PublishDetails: Equatable {
    /// Where the content hash stood at each month's sales rows (for the next run).
    var marks: ContentHash.Marks?
    /// When the written years' sales rows were updated in a copy of the carried file: how many
    /// were deleted and inserted.
    var salesChanges: SalesRowsUpdate.Changes?
    /// What that update compared the computed rows with.
    var salesCompared = SalesRowsUpdate.Compared.file
    /// When it went a year at a time: the months merged with the file's rows, and those whose
    /// digest let them be (`SalesRowsUpdate.YearUpdate`).
    var salesMonths: SalesRowsUpdate.Months?
    /// How many keys' rows, when those of some keys only were compared.
    var salesKeysCompared: Int?
    /// When the touched keys' rows were compared but did not add up (a mark the revision ledger
    /// missed), what did not: every row of the years was compared instead.
    var salesKeysMissed: SalesRowsUpdate.Missed?
    /// Whether the content hash was read back from the file, the rows in memory not giving it.
    var hashReadBack = false
    /// The published file's checksum (`RunCache.fileChecksum`), computed before its rename.
    var fileChecksum: String?
    /// Why `.snapshot-sequence` could not record the published version, if it could not.
    var sequenceError: String?
}

/// The result of `SnapshotStore.publish`.
public enum PublishOutcome: Sendable, Equatable {
    /// A new snapshot file was published.
    case published(SnapshotMeta)
    /// The content hash equals the one given to skip: nothing was written, no number was used.
    case upToDate(contentSHA256: String)
}

/// The folder of versioned snapshot files `grdp-vNNNN.sqlite` (CONTRACT §6).
///
/// Publishing is atomic: the file is written completely under a temporary name
/// `.grdp-<random>.tmp` in the same folder, fsynced, then moved to its final name without ever
/// replacing a file, and the folder is fsynced. A reader, or a crash at any point, sees either no
/// new snapshot or a complete one; earlier snapshots are never opened for writing.
/// Only `run`, holding the lock, publishes or removes temporaries.
public struct SnapshotStore: Sendable {
    public let folder: URL
    /// The highest version published here that records other than the folder, the sequence file
    /// and the reports name (the run's cache: `last-run.json`, `published.json`): no new snapshot
    /// takes it or a number below it, also when all of those were deleted by hand.
    public let knownPublished: Int

    /// - Parameters:
    ///   - folder: `<outputs>/snapshots`.
    ///   - knownPublished: see `knownPublished` (0: none).
    public init(folder: URL, knownPublished: Int = 0) {
        self.folder = folder
        self.knownPublished = knownPublished
    }

    /// The published versions, ascending. A missing folder has none.
    public func versions() throws -> [Int] {
        let listed: [String]?
        do {
            listed = try FileSystem.directoryEntries(folder.path)
        } catch {
            // Reading, not writing: not an OutputWriteError (exit 73) for `export` or `snapshots`.
            throw SnapshotError(
                code: .unreadableFolder, message: "cannot list the snapshots folder", path: folder.path,
                systemErrno: error.errno)
        }
        guard let names = listed else { return [] }
        return names.compactMap { name -> Int? in
            guard let version = SnapshotStore.version(fromFileName: name),
                FileSystem.isRegularFile(folder.path + "/" + name)
            else { return nil }
            return version
        }.sorted()
    }

    /// `read` of the versions in the folder (`versions()`), given them again, listed anew, when a
    /// version it read was gone (`missingSnapshot`): readers take no lock (CONTRACT §7), so a run
    /// beside them may publish the next version and prune one they listed (`keep_snapshots`). At
    /// most `listingAttempts` listings; the last one's failure is thrown.
    public func withVersions<Result>(_ read: ([Int]) throws -> Result) throws -> Result {
        var attempt = 1
        while true {
            let listed = try versions()
            do {
                return try read(listed)
            } catch let error as SnapshotError where error.code == .missingSnapshot && attempt < Self.listingAttempts {
                attempt += 1
            }
        }
    }

    /// How many times `withVersions` lists the folder at most.
    static let listingAttempts = 20

    /// The newest published version, if any.
    public func latestVersion() throws -> Int? {
        try versions().last
    }

    /// `<folder>/grdp-v0007.sqlite`.
    public func url(for version: Int) -> URL {
        folder.appendingPathComponent(SnapshotStore.fileName(for: version), isDirectory: false)
    }

    /// `grdp-v0007.sqlite` (more digits from v10000 on).
    public static func fileName(for version: Int) -> String {
        "grdp-" + SnapshotMeta.label(version) + ".sqlite"
    }

    /// The version a published file name stands for; nil for any other name (`grdp-v7.sqlite` too).
    public static func version(fromFileName name: String) -> Int? {
        guard name.hasPrefix("grdp-v"), name.hasSuffix(".sqlite") else { return nil }
        let digits = name.dropFirst("grdp-v".count).dropLast(".sqlite".count)
        guard digits.isASCIIDigits, let version = Int(digits), version > 0, fileName(for: version) == name
        else { return nil }
        return version
    }

    /// Removes `.grdp-*.tmp` files (and their `-journal`) left by an interrupted run; returns their names.
    public func removeLeftoverTemporaries(olderThan seconds: Double? = nil) throws -> [String] {
        guard let names = try FileSystem.directoryEntries(folder.path) else { return [] }
        var removed: [String] = []
        // Every one that can go goes: one that cannot (a folder of that name, a file made
        // immutable) no longer keeps the others, and is the error thrown once they are gone.
        var firstFailure: OutputWriteError?
        let now = Date().timeIntervalSince1970
        for name in names.sorted() where FileSystem.isTemporaryName(name) {
            let path = folder.path + "/" + name
            if let seconds {
                guard let modified = FileSystem.modificationTime(path), now - modified > seconds else { continue }
            }
            if unlink(path) != 0 && errno != ENOENT {
                let code = errno
                if firstFailure == nil {
                    firstFailure = OutputWriteError(
                        path: path, operation: "remove leftover temporary file", errno: code)
                }
                continue
            }
            removed.append(name)
        }
        if let firstFailure { throw firstFailure }
        return removed
    }

    /// Writes `content` as the next version, unless its content hash equals `skipIfHashEquals`;
    /// with `carrying`, plus those sales rows of an earlier snapshot.
    ///
    /// The hash is computed by reading the written temporary file back with the same code that
    /// `verify` uses. `content`'s rows are let go once written, before that read: a caller that
    /// hands over its last copy (`consume`) frees them then. Throws `OutputWriteError` (disk full,
    /// permission denied: exit 73) or `SnapshotError`; on any failure the temporary file is
    /// removed and no snapshot changes.
    public func publish(
        _ content: consuming SnapshotContent, meta draft: SnapshotMetaDraft, skipIfHashEquals: String?,
        carrying carried: CarriedSales? = nil
    ) throws -> PublishOutcome {
        try publishMarking(consume content, meta: draft, skipIfHashEquals: skipIfHashEquals, carrying: carried).outcome
    }

    /// `publish`, also telling how it went (`PublishDetails`: where the content hash stood at each
    /// year's sales rows, for the next run; the sales rows changed in a copy; whether the hash was
    /// read back); with `resume`, going on from the marks of the snapshot carried from (see
    /// `ContentHash.computeMarking` for what the caller vouches).
    ///
    /// - Parameter startedCopy: the copy of `carried.from` that this publish starts from, begun
    ///   while the run computed (`startCopy(of:)`); the publish owns its temporary. One of another
    ///   file, or given to a publish that does not start from a copy, is discarded.
    /// - Parameter afterHash: called once the content hash from memory is done or failed (when
    ///   there is none, at once), on the thread that made it: the caller's work that must not take
    ///   the hash's core may start.
    func publishMarking(
        _ content: consuming SnapshotContent, meta draft: SnapshotMetaDraft, skipIfHashEquals: String?,
        carrying carried: CarriedSales? = nil, resume: ContentHash.Resume? = nil, startedCopy: StartedCopy? = nil,
        salesByYear: SalesByYear? = nil, afterHash: (@Sendable () -> Void)? = nil
    ) throws -> (outcome: PublishOutcome, details: PublishDetails) {
        var draft = draft
        precondition(
            salesByYear.map { byYear in
                content.ecommerceSales.isEmpty && carried.map { $0.exceptYears.isSuperset(of: byYear.years) } != false
            } != false,
            "sales rows by year are those of years not carried")
        // A publish carrying rows starts from a copy of the snapshot it carries them from, when that
        // file has this build's schema: changing the written years' rows costs less than copying
        // every other year's row by row (10 M: 0.6 s against 1.5 s).
        // A started copy is of such a file (`startCopy` checked).
        let early = startedCopy.flatMap { $0.source.path == carried?.from.path ? $0 : nil }
        if startedCopy !== early { startedCopy?.discard() }
        let copied = carried.flatMap { early != nil || SnapshotStore.hasCurrentSchema($0.from) ? $0 : nil }

        let folderPath = folder.path
        let temporaryPath: String
        if let early {
            temporaryPath = early.take()
        } else {
            try FileSystem.makeDirectories(folderPath)
            temporaryPath = folderPath + "/" + FileSystem.temporaryName()
            try FileSystem.createEmptyFile(temporaryPath)
        }
        var temporaryExists = true
        defer {
            if temporaryExists {
                // Not while the copy's thread may still write to it.
                _ = try? early?.finish()
                FileSystem.removeFile(temporaryPath)
                FileSystem.removeFile(temporaryPath + "-journal")
            }
        }

        let meta: SnapshotMeta
        var details = PublishDetails()
        // Beside the copy and the inserts, on other threads: how the written years' sales rows differ
        // from that file's (`SalesRowsUpdate`), and the content hash of the rows, taken from memory
        // (`ContentHash.computeMarking(of:)`; the file is read back only when it cannot be, and a
        // failure there is the insert's too, which reports it).
        // From the started copy's rows read ahead when they are those of the written years of
        // that very file (`SalesRowsUpdate.FileRows`): every row of those years, the rows of the
        // keys the ledger marked, or the rows of the keys a night touched as its kept groups made
        // them (`KeptGroupChanges`); else read from the file as the merge goes.
        let salesRows = content.ecommerceSales
        let readAhead = early?.takeReadAhead()
        // (By year, each year's rows are compared as they come, below.)
        if salesByYear != nil { _ = readAhead?.wait() }
        let salesDiff = (salesByYear != nil ? nil : copied).map { copied in
            OnAnotherThread {
                Result { () throws(SnapshotError) -> SalesComparison in
                    // Why the touched keys were not enough, when they were not (a bug: the log warns).
                    var missed: SalesRowsUpdate.Missed?
                    let fileRows = readAhead?.wait().flatMap { rows in
                        rows.years == copied.exceptYears && rows.path == copied.from.path ? rows : nil
                    }
                    var keyRows: SalesRowsUpdate.FileRows?
                    if let fileRows, fileRows.madeFromKeptGroups {
                        keyRows = fileRows
                    } else if let touched = copied.changedOnlyUnder, touched.years == copied.exceptYears {
                        if let fileRows, fileRows.touched === touched {
                            keyRows = fileRows
                        } else {
                            keyRows = try SalesRowsUpdate.FileRows.read(touched, from: copied.from.path)
                        }
                    }
                    if let keyRows {
                        switch try SalesRowsUpdate.diff(salesRows, changedOnlyUnderKeysOf: keyRows) {
                        case .diff(let diff):
                            return SalesComparison(
                                diff: diff, compared: keyRows.madeFromKeptGroups ? .keptGroups : .touchedKeys)
                        case .notUsable: break
                        case .missed(let what): missed = what
                        }
                    }
                    if let fileRows, fileRows.keys == nil {
                        return SalesComparison(
                            diff: try SalesRowsUpdate.diff(salesRows, against: fileRows), compared: .readAhead,
                            missed: missed)
                    }
                    return SalesComparison(
                        diff: try SalesRowsUpdate.diff(salesRows, years: copied.exceptYears, from: copied.from.path),
                        compared: .file, missed: missed)
                }
            }
        }
        defer { _ = salesDiff?.wait() }
        let memoryContent = copy content
        let carrying = carried.map { ContentHash.Carrying(exceptYears: $0.exceptYears, resume: resume) }
        let fromMemory =
            salesByYear != nil
            ? nil
            : OnAnotherThread {
                defer { afterHash?() }
                return try? ContentHash.computeMarking(of: memoryContent, path: temporaryPath, carrying: carrying)
            }
        if fromMemory == nil { afterHash?() }
        defer { _ = fromMemory?.wait() }
        // With the sales rows by year: hashed a year at a time beside their write; the carried
        // years' from the file they are carried from.
        // (Carried rows copied row by row, from a file of an older schema: the file is read back.)
        let byYearHash =
            salesByYear == nil || (carried != nil && copied == nil)
            ? nil
            : try? ContentHash.SalesByYear(
                before: copy content, path: temporaryPath,
                carrying: copied.map { ContentHash.Carrying(exceptYears: $0.exceptYears, resume: resume) },
                carriedPath: copied?.from.path)
        var byYearHashed: (hash: String, marks: ContentHash.Marks?)?
        do {
            do {
                if let early {
                    try early.finish()
                } else if let copied {
                    try FileSystem.copyContents(of: copied.from.path, into: temporaryPath)
                }
                let writer = try Database(path: temporaryPath, mode: .create)
                defer { writer.close() }
                // No journal: a failed write is never rolled back, the whole file is deleted instead.
                // No syncs by SQLite: the finished file is fsynced once, below, before the rename.
                try writer.execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
                if copied == nil {
                    // Large snapshots get 64 KiB pages: the b-trees of 100,000s of sales rows fill and
                    // split pages a sixteenth as often as with 4 KiB ones (insert ~0.5 s → ~0.3 s for
                    // 562k rows). Small ones keep 4 KiB: a page per table is their floor.
                    let carriedRows = try carried.map {
                        try SnapshotFile(url: $0.from).salesRowCount(exceptYears: $0.exceptYears)
                    }
                    let records =
                        (salesByYear?.expectedRows ?? content.ecommerceSales.count) + content.enterprises.count
                        + (carriedRows ?? 0)
                    try writer.execute(
                        """
                        PRAGMA page_size = \(records > 50_000 ? 65536 : 4096);
                        PRAGMA application_id = \(SnapshotSchema.applicationID);
                        PRAGMA user_version = \(SnapshotSchema.version);
                        """)
                }
                try writer.execute("BEGIN IMMEDIATE")
                for table in SnapshotSchema.allTables {
                    guard let copied else {
                        try writer.execute(table.createSQL)
                        continue
                    }
                    // Every table but the sales rows comes from `content`, whole. The sales rows of
                    // the written years are brought to `content`'s: only the rows that changed are
                    // deleted and inserted (`SalesRowsUpdate`), else all of them.
                    guard table.name == SnapshotSchema.ecommerceSales.name else {
                        try writer.execute("DELETE FROM \(table.name)")
                        continue
                    }
                    if let salesByYear {
                        // Brought to the computed rows a year at a time, below; a year the file
                        // holds and that is computed no more, emptied now.
                        let gone = copied.exceptYears.subtracting(salesByYear.years)
                        if !gone.isEmpty {
                            try writer.execute(
                                "DELETE FROM \(table.name) WHERE year IN (\(CarriedSales.sqlList(gone)))")
                            details.salesChanges = SalesRowsUpdate.Changes(deleted: writer.changes, inserted: 0)
                        }
                        details.salesCompared = .fileByYear
                        continue
                    }
                    let comparison = try salesDiff?.wait().get()
                    details.salesKeysMissed = comparison?.missed
                    if let comparison, let diff = comparison.diff {
                        try SalesRowsUpdate.apply(diff, in: writer)
                        details.salesChanges = diff.changes
                        details.salesCompared = comparison.compared
                        details.salesKeysCompared = diff.keys
                        content.ecommerceSales = []
                    } else {
                        let years = CarriedSales.sqlList(copied.exceptYears)
                        try writer.execute("DELETE FROM \(table.name) WHERE year IN (\(years))")
                    }
                }
                if let salesByYear {
                    let digests = salesByYear.digests
                    // Each part inserted here while another thread hashes it.
                    let insertAndHash = { [byYearHash] (rows: [EcommerceSalesRow]) throws in
                        let hashing = OnAnotherThread { () -> SnapshotError? in
                            defer { digests?.add(rows) }
                            do throws(SnapshotError) { try byYearHash?.add(rows) } catch { return error }
                            return nil
                        }
                        try insertRows(rows, writer)
                        if let error = hashing.wait() { throw error }
                    }
                    for year in salesByYear.years {
                        let computed: SnapshotContent
                        if let copied {
                            var update = try SalesRowsUpdate.YearUpdate(
                                year: year, source: copied.from.path, copy: writer,
                                earlier: salesByYear.earlierMonths, digests: digests)
                            computed = try salesByYear.compute(year) { part in
                                try update.add(part) { [byYearHash] () throws(SnapshotError) in
                                    try byYearHash?.add(part)
                                }
                            }
                            try update.finish()
                            details.salesChanges =
                                (details.salesChanges ?? .init(deleted: 0, inserted: 0)) + update.changes
                            details.salesMonths = (details.salesMonths ?? .init()) + update.months
                        } else {
                            computed = try salesByYear.compute(year, insertAndHash)
                        }
                        content.indicators += computed.indicators
                        content.districtIndicators += computed.districtIndicators
                    }
                    byYearHashed = try byYearHash?.finish(after: copy content).map { ($0.hash, $0.marks) }
                    if let settings = salesByYear.yearSettings {
                        draft.yearSettings = settings(content.indicators.map(\.year))
                    }
                }
                try content.insert(into: writer)
                content = SnapshotContent()
                try writer.execute("COMMIT")
                if let carried, copied == nil { try SnapshotStore.copy(carried, into: writer) }
            }

            let database = try Database(path: temporaryPath, mode: .create)
            defer { database.close() }
            try database.execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            // The content hash from memory; else a fresh connection reads the file back, with the code
            // `verify` runs.
            let (hash, marks): (String, ContentHash.Marks?)
            // A resume month taken from the kept groups holds only when the diff was made from
            // them (`Resume.fromMonthByKeptGroups`): else (a miss, or rows that could not be used)
            // the memory hash, which went on from that month, is not used, and the file is read
            // back from the resume's year.
            let monthHolds = resume?.fromMonthByKeptGroups != true || details.salesCompared == .keptGroups
            if monthHolds, let hashed = fromMemory?.wait() ?? byYearHashed {
                (hash, marks) = hashed
            } else {
                var fromYear = resume
                if !monthHolds { fromYear?.fromMonth = nil }
                (hash, marks) = try ContentHash.computeMarking(database, resume: fromYear)
                details.hashReadBack = true
            }
            details.marks = marks
            if let skipIfHashEquals, skipIfHashEquals == hash {
                return (.upToDate(contentSHA256: hash), details)
            }
            let version = try nextVersion()
            meta = SnapshotMeta(
                version: version, createdAt: draft.createdAt, toolVersion: draft.toolVersion,
                configSHA256: draft.configSHA256, contentSHA256: hash, parentVersion: draft.parentVersion,
                command: draft.command, region: draft.region, targetInterpolation: draft.targetInterpolation,
                yearSettings: draft.yearSettings)
            try database.execute("BEGIN IMMEDIATE")
            let insertMeta = try database.prepare(SnapshotSchema.meta.insertSQL)
            let key = SnapshotSchema.MetaKey.self
            var entries: [(String, SQLValue)] = [
                (key.version, .text(String(meta.version))), (key.createdAt, .text(meta.createdAt)),
                (key.toolVersion, .text(meta.toolVersion)), (key.configSHA256, .text(meta.configSHA256)),
                (key.contentSHA256, .text(meta.contentSHA256)),
                (key.parentVersion, meta.parentVersion.map { .text(String($0)) } ?? .null),
                (key.command, .text(meta.command)),
            ]
            if let region = meta.region {
                entries += [(key.regionCode, .text(region.code)), (key.regionName, .text(region.name))]
            }
            if let interpolation = meta.targetInterpolation {
                entries.append((key.targetInterpolation, .text(interpolation.rawValue)))
            }
            if let settings = meta.yearSettings {
                entries.append((key.settingsByYear, .text(settings.text)))
            }
            for (name, value) in entries {
                try insertMeta.run([.text(name), value])
            }
            try database.execute("COMMIT")
        } catch let error as SnapshotError {
            throw SnapshotStore.asOutputWriteError(error, path: temporaryPath) ?? error
        }

        let finalPath = url(for: meta.version).path
        // Published snapshots are immutable: read-only for everyone who may read it, so that no tool
        // opens one for writing by accident (the sqlite3 shell, for one, then opens it read-only).
        // Who may read it is the umask's to say, as for every other file a run writes: 0444 under
        // 022 or 002, 0400 under 077 (a snapshot holds enterprises' confidential returns).
        var created = stat()
        let readOnly = stat(temporaryPath, &created) == 0 ? created.st_mode & 0o444 : 0o444
        // A file system without Unix permissions (FAT or exFAT on a USB disk, some FUSE and NAS
        // mounts) cannot take them: the snapshot is published all the same (every run failed with
        // 73 there); its checksum, recorded as it is published, still finds a change made to it.
        if chmod(temporaryPath, readOnly) != 0, ![ENOSYS, EPERM, ENOTSUP, EOPNOTSUPP].contains(errno) {
            throw OutputWriteError(path: temporaryPath, operation: "make read-only", errno: errno)
        }
        // The bytes are final: their checksum (`RunCache.fileChecksum`) while they are synced, for
        // the caller to record as soon as the file is published. Opened here: the thread may
        // start only once the file has its new name.
        let opened = OpenedFile(temporaryPath)
        let checksumming = OnAnotherThread { opened.checksum() }
        defer { _ = checksumming.wait() }
        try FileSystem.syncFile(temporaryPath)
        // The last moment a stop asked (SIGTERM, Ctrl-C) leaves nothing published.
        try RunStop.check()
        // The number about to be published, and the temporary that becomes it: a kill between the
        // rename and `.snapshot-sequence` then still leaves a record of it (`settlePublishing`).
        let publishing = SnapshotStore.attempt { () throws(OutputWriteError) in
            try AtomicFile.write(
                "\(meta.version) \(temporaryPath.split(separator: "/").last ?? "")\n", to: publishingURL)
        }
        if let error = SnapshotStore.attempt({ () throws(OutputWriteError) in
            try FileSystem.moveNoReplace(temporaryPath, to: finalPath)
        }) {
            // Not published: the number stays free (CONTRACT §6: a run that writes no snapshot uses
            // no number).
            FileSystem.removeFile(publishingURL.path)
            if error.errno != EEXIST { throw error }
            throw SnapshotError(
                code: .versionConflict,
                message: "\(SnapshotMeta.label(meta.version)) appeared while this run was writing it; "
                    + "is another run publishing without the lock?",
                path: finalPath)
        }
        temporaryExists = false
        do {
            try FileSystem.syncDirectory(folderPath)
        } catch {
            // The rename is not known to be durable: withdraw the snapshot rather than report a
            // failed run beside a published file.
            FileSystem.removeFile(finalPath)
            throw error
        }
        // The number is recorded once the file holds it, so that a run that writes no snapshot
        // uses no number (CONTRACT §6). Recorded, it is not used again even if the file is deleted
        // by hand; a failure here only leaves that guard to `recordHighestPublished` next run.
        let recorded = SnapshotStore.attempt { () throws(OutputWriteError) in
            try AtomicFile.write("\(meta.version)\n", to: sequenceURL)
        }
        details.sequenceError = (recorded ?? publishing)?.description
        // Recorded: the marker has done its work (left in place, the next run settles it the same).
        if recorded == nil { FileSystem.removeFile(publishingURL.path) }
        details.fileChecksum = checksumming.wait()
        return (.published(meta), details)
    }

    /// Brings `.snapshot-sequence` up to `highest`, the highest version in the folder, when a run that
    /// published it could not record it (killed in between, or the write failed), and to
    /// `knownPublished`; nil when it was recorded already or now is. A sequence file missing or
    /// unreadable is rewritten from the highest of the folder's, the reports' and `knownPublished`
    /// (`highestRecorded`), so that a number the reports or the cache name stays used also when
    /// other snapshots are still in the folder.
    public func recordHighestPublished(_ highest: Int?) -> OutputWriteError? {
        let recorded = recordedInSequenceFile()
        let known = max(highest ?? 0, knownPublished, recorded == nil ? highestReported() : 0)
        guard known > (recorded ?? 0) else { return nil }
        return SnapshotStore.attempt { () throws(OutputWriteError) in
            try AtomicFile.write("\(known)\n", to: sequenceURL)
        }
    }

    /// `<outputs>/.snapshot-publishing`: `N NAME` while the temporary `NAME` in the snapshots folder
    /// is being renamed to version N; removed once `.snapshot-sequence` records N, or when the
    /// rename fails. A run killed between the rename and that record leaves it behind.
    var publishingURL: URL { folder.deletingLastPathComponent().appendingPathComponent(".snapshot-publishing") }

    /// Settles what a run killed while publishing left in `.snapshot-publishing`, before the
    /// leftover temporaries are removed (they tell how far it got):
    /// - version N's file is in the folder: published (`recordHighestPublished` records it);
    /// - the temporary is still there: killed before the rename, N was never published and stays
    ///   free (CONTRACT §6: a run that writes no snapshot uses no number);
    /// - neither: N was published, then its file deleted by hand before any run recorded it:
    ///   recorded now, so that a number once visible is never given to another file (CONTRACT §6).
    ///
    /// Returns why the record could not be written, if it could not (the marker then stays, for
    /// the next run).
    public func settlePublishing() -> OutputWriteError? {
        guard let data = try? Data(contentsOf: publishingURL) else { return nil }
        let fields = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        if fields.count == 2, let version = Int(fields[0]), version > 0 {
            let name = String(fields[1])
            let published = FileManager.default.fileExists(atPath: url(for: version).path)
            let notRenamed =
                FileSystem.isTemporaryName(name) && !name.contains("/")
                && FileManager.default.fileExists(atPath: folder.path + "/" + name)
            if !published, !notRenamed, (recordedInSequenceFile() ?? 0) < version {
                if let error = SnapshotStore.attempt({ () throws(OutputWriteError) in
                    try AtomicFile.write("\(version)\n", to: sequenceURL)
                }) {
                    return error
                }
            }
        }
        // (Unreadable: not one grdp wrote, which writes it whole or not at all.)
        FileSystem.removeFile(publishingURL.path)
        return nil
    }

    /// `<outputs>/.snapshot-sequence`: the highest version published here (written once the file
    /// is renamed into place), so that a number is never used twice (CONTRACT §6), also after the
    /// latest file was deleted by hand. The next version is one past both it and the highest
    /// file's.
    var sequenceURL: URL { folder.deletingLastPathComponent().appendingPathComponent(".snapshot-sequence") }

    /// The highest version published here (`.snapshot-sequence`) when it is above `latest`, the
    /// highest in the folder: that file was deleted, or replaced by something not a regular file,
    /// since it was published. Nil when it is not, or the sequence file cannot tell (its fallback,
    /// the reports, is read only where a number is to be chosen).
    public func published(above latest: Int) -> Int? {
        guard let recorded = recordedInSequenceFile(), recorded > latest else { return nil }
        // Published since `latest` was listed, by a run beside the reader (the number is recorded
        // once the file is renamed in): there, not gone.
        return FileSystem.isRegularFile(url(for: recorded).path) ? nil : recorded
    }

    /// Snapshot numbers stop below this: one a night for 2.7 million years. A higher one known is
    /// a stray file or an edited record, named so that it can be removed (it overflowed `Int`).
    static let versionCeiling = 1_000_000_000

    /// The number the next snapshot takes: one past every number published or recorded.
    func nextVersion() throws -> Int {
        let sequence = recordedInSequenceFile()
        // Each place a number is known from: the files; the version `sequenceURL` records, or,
        // when it is missing or unreadable (an outputs folder restored without its hidden file),
        // the highest a run report in `<outputs>/reports` names (a run names there the snapshot
        // it published; read only in that case: a few thousand small files after years); and
        // never below `knownPublished`.
        let sources: [(number: Int, place: String)] = [
            (try versions().max() ?? 0, "a file in the snapshots folder"),
            (sequence ?? 0, sequenceURL.path),
            (sequence == nil ? highestReported() : 0, "a run report in the reports folder"),
            (knownPublished, "cache/last-run.json or cache/published.json"),
        ]
        let highest = sources.map(\.number).max() ?? 0
        guard highest < Self.versionCeiling - 1 else {
            let place = sources.first { $0.number == highest }!.place
            let shown = place.hasPrefix("a file") ? url(for: highest).path : place
            throw OutputWriteError.refusal(
                path: folder.path, operation: "number a new snapshot", errno: EOVERFLOW,
                reason: "the highest snapshot number known, \(highest), comes from \(shown); grdp numbers "
                    + "snapshots below \(Self.versionCeiling): a number that high is a stray file or an edited "
                    + "record, to remove")
        }
        return highest + 1
    }

    /// The version `sequenceURL` holds; nil when it is missing or unreadable.
    private func recordedInSequenceFile() -> Int? {
        guard let data = try? Data(contentsOf: sequenceURL),
            let version = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
            version > 0
        else { return nil }
        return version
    }

    /// The highest `snapshot` any report in `<outputs>/reports` names; 0 when none.
    func highestReported() -> Int {
        let reports = folder.deletingLastPathComponent().appendingPathComponent("reports")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: reports.path) else { return 0 }
        var highest = 0
        for name in names where name.hasPrefix("run-") && name.hasSuffix(".json") {
            guard let data = try? Data(contentsOf: reports.appendingPathComponent(name)),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let label = object["snapshot"] as? String,
                let version = SnapshotStore.version(fromFileName: "grdp-" + label + ".sqlite")
            else { continue }
            highest = max(highest, version)
        }
        return highest
    }

    /// Whether the file at `url` holds exactly the tables this build writes (the same CREATE
    /// statements, nothing more), with this build's application_id and user_version: a snapshot
    /// that `run --year` may start from a copy of. An older layout (the sales table before it was
    /// stored in hash order) is not, and is carried row by row instead.
    static func hasCurrentSchema(_ url: URL) -> Bool {
        do {
            let source = try Database(path: url.path, mode: .readOnlyImmutable)
            defer { source.close() }
            return try SnapshotSchema.catalogue(of: source)
                == SnapshotSchema.expectedCatalogue(earlierSalesLayout: false)
                && source.integer("PRAGMA application_id") == SnapshotSchema.applicationID
                && source.integer("PRAGMA user_version") == SnapshotSchema.version
        } catch {
            return false
        }
    }

    /// Copies the carried sales rows, in key order, from the snapshot they come from (attached
    /// immutable: published files never change, so no lock is taken on it).
    private static func copy(_ carried: CarriedSales, into database: Database) throws(SnapshotError) {
        let attach = try database.prepare("ATTACH DATABASE ? AS carried")
        try attach.run([.text(Database.immutableURI(carried.from.path))])
        let table = SnapshotSchema.ecommerceSales
        let columns = table.columnNames.joined(separator: ", ")
        let years = CarriedSales.sqlList(carried.exceptYears)
        try database.execute(
            """
            INSERT INTO main.\(table.name) (\(columns))
            SELECT \(columns) FROM carried.\(table.name) WHERE year NOT IN (\(years)) ORDER BY \(table.orderByAll);
            DETACH DATABASE carried;
            """)
    }

    /// Removes the oldest versions so that at most `keep` remain (`outputs.keep_snapshots`;
    /// 0 keeps all). The latest is always kept, so a number is never used twice. Returns the
    /// removed versions.
    public func prune(keeping keep: Int) throws -> [Int] {
        guard keep > 0 else { return [] }
        let all = try versions()
        guard all.count > keep else { return [] }
        let removed = Array(all.prefix(all.count - keep))
        for version in removed {
            let path = url(for: version).path
            if unlink(path) != 0 && errno != ENOENT {
                throw OutputWriteError(path: path, operation: "remove old snapshot", errno: errno)
            }
        }
        try FileSystem.syncDirectory(folder.path)
        return removed
    }

    /// Opens a published version read-only; `SnapshotError.Code.missingSnapshot` when absent (exit 66).
    public func open(version: Int) throws -> SnapshotFile {
        let url = url(for: version)
        guard FileSystem.isRegularFile(url.path) else { throw missing(version) }
        // A file this user may not open is not damaged: said as what it is (SQLite says only
        // "unable to open database file", which a published file that cannot be read means).
        // Gone meanwhile (a run pruned it, `keep_snapshots`, while a reader that takes no lock
        // had listed it): missing, not unreadable nor damaged.
        if let code = FileSystem.openError(forReading: url.path) {
            if code == ENOENT { throw missing(version) }
            throw SnapshotError(
                code: .unreadableSnapshot,
                message: "snapshot \(SnapshotMeta.label(version)) cannot be opened for reading: "
                    + "\(SystemReason.describe(code)); nothing is known to be wrong with its content",
                path: url.path)
        }
        do {
            return try SnapshotFile(url: url)
        } catch {
            guard FileSystem.isRegularFile(url.path) else { throw missing(version) }
            throw SnapshotStore.damaged(version, error)
        }
    }

    /// `version` is not (or no longer) in the folder: exit 66.
    func missing(_ version: Int) -> SnapshotError {
        SnapshotError(
            code: .missingSnapshot, message: "snapshot \(SnapshotMeta.label(version)) does not exist",
            path: url(for: version).path)
    }

    /// Opens a published version for `export`, `diff` and `snapshots`, once it is shown to be the
    /// file published (`PublishedCheck`): its bytes are those recorded in `published.json`
    /// (`recorded`, from `recordedChecksums`), or, with none recorded and `fullCheckWithoutRecord`,
    /// it passes every check of `grdp verify` (`snapshots` lists a file without a record as it
    /// reads). A file edited or damaged since (a flipped digit in a figure, a row deleted, an
    /// index added) is `damagedSnapshot` (exit 65) naming it, before anything is written from it;
    /// a check that could not be made for want of room (SQLite's temporary folder full) is that
    /// failure to write (exit 73), not damage. Nothing is recorded: only `run`, holding the lock,
    /// writes the cache.
    ///
    /// The bytes checked are those of the file SQLite has open, read through its descriptor
    /// (`/proc/self/fd/N`), and the full check runs on the same connection: a file renamed over
    /// the snapshot's name between the check and the read cannot be read in its place. (A file
    /// written in place while it is read, which needs its read-only mode changed first, is not
    /// guarded against: `verify` finds it afterwards.)
    ///
    /// - Parameter fullCheck: told, before a full check, why it is made (no record).
    public func openPublished(
        version: Int, recorded: [Int: String], fullCheckWithoutRecord: Bool = true,
        fullCheck: (String) -> Void = { _ in }
    ) throws -> SnapshotFile {
        try openPublished(
            version: version, recorded: recorded, fullCheckWithoutRecord: fullCheckWithoutRecord, fullCheck: fullCheck,
            afterOpening: {})
    }

    /// `openPublished`, with `afterOpening` run once SQLite has opened the file, before it is
    /// checked: where a test renames another file over its name.
    func openPublished(
        version: Int, recorded: [Int: String], fullCheckWithoutRecord: Bool, fullCheck: (String) -> Void,
        afterOpening: () throws -> Void
    ) throws -> SnapshotFile {
        let (file, bytes) = try openReadingOwnBytes(version: version)
        try afterOpening()
        let checksum = recorded[version]
        guard checksum != nil || fullCheckWithoutRecord else { return file }
        var failures: [VerifyFailure] = []
        if checksum == nil {
            fullCheck(
                "no checksum of \(SnapshotMeta.label(version)) recorded in \(RunCache.Published.fileName) (the cache "
                    + "deleted?): it is checked as grdp verify checks it")
            // One pass, on the connection the export reads (the halves' second connection would
            // open the file by its name again).
            failures = verify(
                open: file, version: version, recordedChecksum: nil, contentInHalves: false, reading: bytes.path)
        }
        let check = PublishedCheck(recorded: checksum, outcome: (RunCache.fileChecksum(bytes), failures))
        guard check.isIntact else {
            if let cannotCheck = check.cannotCheck { throw cannotCheck }
            // Its bytes read by name, and the name gone meanwhile (pruned): missing, not damaged.
            if !FileSystem.isRegularFile(file.url.path) { throw missing(version) }
            throw SnapshotError(
                code: .damagedSnapshot, message: check.problem(SnapshotMeta.label(version)), path: file.url.path)
        }
        return file
    }

    /// `open(version:)`, and where to read the file's own bytes (its header, its checksum): the
    /// descriptor SQLite opened on it (`/proc/self/fd/N`), the one new among those on its name
    /// (another thread's are on other files), so that they are those of the file whose rows are
    /// read, whatever is renamed over its name or pruned meanwhile; its path when that descriptor
    /// cannot be told.
    func openReadingOwnBytes(version: Int) throws -> (file: SnapshotFile, bytes: URL) {
        let before = descriptors(on: version)
        let file = try open(version: version)
        let new = descriptors(on: version).subtracting(before)
        return (file, URL(fileURLWithPath: Set(new.map(\.file)).count == 1 ? new.first!.link : file.url.path))
    }

    /// The descriptors this process holds on `version`'s file, by the name the system gives it
    /// (its folder's links resolved; `(deleted)` once another was renamed over it): each as
    /// `/proc/self/fd/N` and the file's device and inode.
    func descriptors(on version: Int) -> Set<Descriptor> {
        guard
            let name = realpath(folder.path, nil).map({ resolved in
                defer { free(resolved) }
                return String(cString: resolved) + "/" + Self.fileName(for: version)
            })
        else { return [] }
        return Set(Self.openDescriptors().compactMap { Self.regularFile($0, named: name) })
    }

    /// A descriptor open on a regular file: `/proc/self/fd/N`, and the file's device and inode.
    struct Descriptor: Hashable {
        var link: String
        var file: [UInt64]
    }

    /// The descriptors this process has open (`/proc/self/fd`); none where the system has no such
    /// folder.
    static func openDescriptors() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [])
    }

    /// `/proc/self/fd/N` for `descriptor`, and the file's device and inode, when it is open on a
    /// regular file the system names `path` (`path (deleted)` once another was renamed over that
    /// name): opened, that link opens that very file, not the name's.
    static func regularFile(_ descriptor: String, named path: String) -> Descriptor? {
        guard let number = Int32(descriptor) else { return nil }
        let link = "/proc/self/fd/\(descriptor)"
        var status = stat()
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link),
            target == path || target == path + " (deleted)",
            fstat(number, &status) == 0, status.st_mode & S_IFMT == S_IFREG
        else { return nil }
        return Descriptor(link: link, file: [UInt64(status.st_dev), UInt64(status.st_ino)])
    }

    /// A published file that cannot be read: it was written whole, checked and made read-only, so
    /// it was damaged or edited since.
    static func damaged(_ version: Int, _ error: SnapshotError) -> SnapshotError {
        SnapshotError(
            code: .damagedSnapshot,
            message: "snapshot \(SnapshotMeta.label(version)) cannot be read, it is damaged (grdp verify "
                + "\(SnapshotMeta.label(version)) tells more): \(error.message)",
            path: error.path, sql: error.sql, sqliteCode: error.sqliteCode, systemErrno: error.systemErrno)
    }

    /// The checksum of each snapshot file as a run published it, by version (`cacheFolder`'s
    /// `published.json`, `RunCache.Published`), for `verify(version:recordedChecksum:)`; and why
    /// there are none when that file is there but unreadable (`verify` then checks no file's
    /// bytes, and says so).
    public static func recordedChecksums(cacheFolder: URL) -> (checksums: [Int: String], problem: String?) {
        RunCache.Published.read(from: cacheFolder)
    }

    /// Every check of `grdp verify` on `version`'s file (`SnapshotFile.verify`), and what lies
    /// beside it: a `-wal` or `-journal` holding changes, or a header switched to WAL mode
    /// (grdp reads a published file alone, `immutable=1`, but other SQLite readers would read
    /// those changes). Throws only when the version does not exist (exit 66); a file that cannot
    /// even be opened yields a failure of check `open`.
    ///
    /// - Parameter recordedChecksum: the file's checksum recorded when it was published
    ///   (`recordedChecksums`); bytes that differ fail `file-checksum`.
    /// - Parameter contentInHalves: see `SnapshotFile.contentSHA256(inHalves:)`.
    public func verify(version: Int, recordedChecksum: String? = nil, contentInHalves: Bool = true) throws
        -> [VerifyFailure]
    {
        // The file's own bytes (header, checksum) read through the descriptor SQLite opened, as
        // `openPublished` reads them: the file checked, even when a run prunes it meanwhile.
        let file: SnapshotFile
        let bytes: URL
        do {
            (file, bytes) = try openReadingOwnBytes(version: version)
        } catch let error as SnapshotError where error.code != .missingSnapshot && error.code != .unreadableSnapshot {
            // Not sending the reader to `grdp verify`, which this is.
            let hint = " (grdp verify \(SnapshotMeta.label(version)) tells more)"
            return [VerifyFailure(check: .open, message: error.description.replacingOccurrences(of: hint, with: ""))]
        }
        return verify(
            open: file, version: version, recordedChecksum: recordedChecksum, contentInHalves: contentInHalves,
            reading: bytes.path)
    }

    /// `verify(version:…)`'s checks on a file already open.
    ///
    /// - Parameter reading: where to read the file's own bytes (its header, its checksum): a path
    ///   to the descriptor SQLite holds on it (`/proc/self/fd/N`), so that they are those of the
    ///   file whose rows were checked; nil, its path.
    func verify(
        open file: SnapshotFile, version: Int, recordedChecksum: String?, contentInHalves: Bool,
        reading: String? = nil
    ) -> [VerifyFailure] {
        var failures = file.verify(expectedVersion: version, contentInHalves: contentInHalves)
        let path = url(for: version).path
        let bytes = URL(fileURLWithPath: reading ?? path)
        // Only a journal SQLite would act on: a rollback journal whose header holds its magic (a
        // hot one: the file is mid-write, and a reader rolls it back), a WAL with its magic and
        // frames. One left zeroed (journal_mode=PERSIST after a rollback) or empty is inert.
        let journals: [(suffix: String, magic: [[UInt8]], holdsChanges: (Int) -> Bool)] = [
            ("-journal", [[0xD9, 0xD5, 0x05, 0xF9, 0x20, 0xA1, 0x63, 0xD7]], { $0 > 0 }),
            ("-wal", [[0x37, 0x7F, 0x06, 0x82], [0x37, 0x7F, 0x06, 0x83]], { $0 > 32 }),
        ]
        for journal in journals {
            guard let file = try? InputFile(URL(fileURLWithPath: path + journal.suffix)),
                let size = try? file.size(), journal.holdsChanges(Int(size)),
                let head = try? file.read(count: 8, at: 0),
                journal.magic.contains(where: { head.starts(with: $0) })
            else { continue }
            failures.append(
                VerifyFailure(
                    check: .journal,
                    message: "a \(journal.suffix) file of \(size) bytes holding changes lies beside it: something "
                        + "wrote to the snapshot after it was published (other SQLite readers see those changes; grdp "
                        + "reads the file alone)"))
        }
        if let header = try? InputFile(bytes).read(count: 20, at: 0), header.count == 20,
            header[18] != 1 || header[19] != 1
        {
            failures.append(
                VerifyFailure(
                    check: .journal,
                    message:
                        "its header says WAL mode (bytes 18–19 are \(header[18]), \(header[19]); grdp writes 1, 1): "
                        + "something opened it for writing after it was published"))
        }
        if let recorded = recordedChecksum, let checksum = RunCache.fileChecksum(bytes),
            checksum != recorded
        {
            failures.append(
                VerifyFailure(
                    check: .fileChecksum,
                    message: "its bytes are not those recorded when it was published (checksum \(checksum), "
                        + "recorded \(recorded) in cache/\(RunCache.Published.fileName)): edited or damaged since"))
        }
        return failures
    }

    /// Runs `body`, returning its error instead of throwing it. (Swift 6.3.1 crashes compiling a
    /// `catch … where` clause on a typed throw here.)
    private static func attempt(_ body: () throws(OutputWriteError) -> Void) -> OutputWriteError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    /// SQLite's "cannot write" results become `OutputWriteError`, naming the path and errno.
    static func asOutputWriteError(_ error: SnapshotError, path: String) -> OutputWriteError? {
        guard let code = error.sqliteCode else { return nil }
        let primary = code & 0xFF
        let systemErrno = error.systemErrno
        switch primary {
        case 13:  // SQLITE_FULL
            return OutputWriteError(
                path: path, operation: "write snapshot", errno: systemErrno ?? ENOSPC, detail: error.message)
        case 14:  // SQLITE_CANTOPEN
            return OutputWriteError(
                path: path, operation: "create snapshot", errno: systemErrno ?? EACCES, detail: error.message)
        case 10, 8, 3:  // SQLITE_IOERR, SQLITE_READONLY, SQLITE_PERM
            return OutputWriteError(
                path: path, operation: "write snapshot", errno: systemErrno ?? EIO, detail: error.message)
        default:
            return nil
        }
    }
}
