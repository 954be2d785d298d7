public import Foundation

/// Writes synthetic statistical returns for Đắk Nông (`grdp generate`): dated archives of
/// enterprise survey returns, e-commerce transaction exports and GRDP tables, plus a
/// `pipeline.yml` configured for them. Same options ⇒ byte-identical files.
///
/// The figures are calibrated to published ones (DOMAIN.md): GRDP at current prices of about
/// 38,800 (2020) to 55,700 (2024) billion VND, and a digital-economy share near 6.6 % in 2022,
/// rising about 0.75 points a year, whatever the numbers of enterprises and transactions.
public struct ReturnsGenerator: Sendable {
    public struct Options: Sendable {
        public var seed: UInt64 = 1
        public var years: ClosedRange<Int> = 2020...2024
        public var enterprises: Int = 400
        public var transactions: Int = 20_000
        /// Remove an existing `<out>/returns` folder and `<out>/pipeline.yml` first. Without it, a
        /// non-empty `returns` folder or an existing `pipeline.yml` is an error: archives of an earlier
        /// generation left beside new ones would silently change every figure.
        public var replaceExisting: Bool = false
        /// Which archives to write: the realistic returns, or the benchmark's five `.tar.gz`.
        public var layout: Layout = .returns
        /// `.benchmark` only: spread the same transactions over this many `.tar.gz` of about
        /// `transactions / archives` each instead of one per year (nil: one per year).
        public var archives: Int?
        /// `.increment` only: transaction rows of the one archive written (new orders and revisions).
        public var increment: Int = 100_000
        /// `.increment` only: its revisions re-send orders of the last year's fourth quarter only
        /// (the quarter its new orders are of), not of any quarter: a night's return of recent
        /// orders, which revises recent ones (`scripts/bench.sh --recent-revisions`).
        public var recentRevisions = false
        /// `.benchmark` only: every this-many-th row of each member of first sends is dated the 30th
        /// of February of its year, which grdp quarantines (`type-error`): returns as dirty as a
        /// province receives, to measure what quarantined rows cost (`scripts/bench.sh --dirty`).
        /// From 100 on every member stays within the default `max_quarantine_ratio` of 0.01. Nil:
        /// every row sound.
        public var faultyEvery: Int?

        public init() {}
    }

    /// The archive layout `write(to:)` produces.
    public enum Layout: String, Sendable, CaseIterable {
        /// Dated returns in every accepted format and both number conventions (the default).
        case returns
        /// One `.tar.gz` per year, plain `en` numbers and ISO dates (`ReturnsGenerator+Benchmark.swift`),
        /// or `archives` of them with about the same number of transactions each.
        case benchmark
        /// One more `.tar.gz` for a benchmark set made with the same seed, years, enterprises and
        /// transactions: `increment` transaction rows (new orders of the last year's fourth quarter,
        /// and about 1 in 20 re-sending an earlier order of that year refunded), named to sort after
        /// every archive of the set (`ReturnsGenerator+Increment.swift`).
        case increment
    }

    /// Options out of range, or a file that cannot be written.
    public struct GenerationError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public var options: Options

    public init(options: Options) {
        self.options = options
    }

    /// The years a synthetic province's returns may cover.
    public static let yearRange = 2000...2099

    /// Checks the options (years within `yearRange`, at least 2 enterprises, transactions ≥ 0).
    public func validate() throws(GenerationError) {
        guard Self.yearRange.contains(options.years.lowerBound), Self.yearRange.contains(options.years.upperBound)
        else {
            throw GenerationError(
                message: "years must lie within \(Self.yearRange.lowerBound)-\(Self.yearRange.upperBound), "
                    + "not \(options.years.lowerBound)-\(options.years.upperBound)")
        }
        guard options.enterprises >= 2 else {
            throw GenerationError(
                message: "at least 2 enterprises are needed (one ICT-core, one other), not \(options.enterprises)")
        }
        guard options.enterprises <= 1_000_000 else {
            throw GenerationError(message: "at most 1,000,000 enterprises, not \(options.enterprises)")
        }
        guard options.transactions >= 0 else {
            throw GenerationError(message: "transactions must be 0 or more, not \(options.transactions)")
        }
        // (~80 GB of CSV; a larger count also passed what the generator's arithmetic can take.)
        guard options.transactions <= 1_000_000_000 else {
            throw GenerationError(message: "at most 1,000,000,000 transactions, not \(options.transactions)")
        }
        if let archives = options.archives {
            guard options.layout == .benchmark else {
                throw GenerationError(message: "archives applies to the benchmark layout only")
            }
            guard archives >= 1, archives <= max(1, options.transactions) else {
                throw GenerationError(
                    message:
                        "archives must lie within 1-\(max(1, options.transactions)) (one transaction each at least), not \(archives)"
                )
            }
        }
        if let every = options.faultyEvery {
            guard options.layout == .benchmark else {
                throw GenerationError(message: "faulty rows apply to the benchmark layout only")
            }
            guard every >= 2 else {
                throw GenerationError(message: "a faulty row every \(every) rows leaves none sound: 2 or more")
            }
        }
        if options.layout == .increment {
            guard options.increment >= 1 else {
                throw GenerationError(message: "the increment needs at least 1 transaction, not \(options.increment)")
            }
            guard options.increment <= 1_000_000_000 else {
                throw GenerationError(
                    message: "the increment takes at most 1,000,000,000 transactions, not \(options.increment)")
            }
        }
    }

    /// Writes `<out>/returns/...` archives and `<out>/pipeline.yml` configured for them.
    ///
    /// `.increment` adds its one archive to `<out>/returns` whatever is there already (an existing
    /// increment archive is an error unless `replaceExisting`), and writes `pipeline.yml` only when
    /// there is none.
    ///
    /// Archive members are built whole in memory (`ArchiveWriter` takes a member's bytes): one
    /// quarter of transactions at a time, about 8 MB per 60,000 transactions.
    public func write(to out: URL) throws -> GenerationSummary {
        try validate()
        let fileManager = FileManager.default
        let returns = out.appendingPathComponent("returns", isDirectory: true)
        let configURL = out.appendingPathComponent("pipeline.yml")
        let isIncrement = options.layout == .increment
        var leftovers: [(path: String, errno: Int32)] = []
        if isIncrement {
            let archive = returns.appendingPathComponent(incrementArchiveName)
            if fileManager.fileExists(atPath: archive.path) {
                guard options.replaceExisting else {
                    throw GenerationError(message: "\(archive.path) exists already; remove it or replace it (--force)")
                }
                try Self.remove(archive, in: out)
            }
        } else if options.replaceExisting {
            leftovers = try Self.removeTogether(
                [returns, configURL].filter { fileManager.fileExists(atPath: $0.path) }, in: out)
        } else {
            if let existing = try? fileManager.contentsOfDirectory(atPath: returns.path), !existing.isEmpty {
                throw GenerationError(message: "\(returns.path) is not empty; remove it or replace it (--force)")
            }
            if fileManager.fileExists(atPath: configURL.path) {
                throw GenerationError(message: "\(configURL.path) exists already; remove it or replace it (--force)")
            }
        }
        // What cannot be written exits 73 (CONTRACT §7), named by path and errno: Foundation's and
        // libarchive's errors are turned into `OutputWriteError` here, where the writing is.
        var writer = ArchiveSet(returns: returns)
        do {
            try fileManager.createDirectory(at: returns, withIntermediateDirectories: true)

            let dataset = SyntheticDataset(options: options)
            switch options.layout {
            case .returns:
                try writeGRDP(dataset, to: &writer)
                try writeEnterprises(dataset, to: &writer)
                try writeTransactions(dataset, to: &writer)
            case .benchmark:
                if let archives = options.archives {
                    try writeBenchmark(dataset, archives: archives, to: &writer)
                } else {
                    try writeBenchmark(dataset, to: &writer)
                }
            case .increment:
                try writeIncrement(dataset, to: &writer)
            }

            if !(isIncrement && fileManager.fileExists(atPath: configURL.path)) {
                let yaml = pipelineYAML(dataset)
                try Data(yaml.utf8).write(to: configURL)
                writer.files.append("pipeline.yml")
                writer.bytes += Int64(yaml.utf8.count)
            }
        } catch let error as OutputWriteError {
            throw error
        } catch {
            throw Self.writeFailure(error, in: out)
        }

        if let leftover = leftovers.first {
            throw OutputWriteError(
                path: leftover.path, operation: "remove", errno: leftover.errno,
                detail: "the returns it replaces were set aside there and the new ones written; it could not be "
                    + "removed whole (\(leftovers.count) such): remove it by hand")
        }
        return GenerationSummary(
            folder: out, configFile: configURL, files: writer.files.sorted(), bytes: writer.bytes, rows: writer.rows)
    }
}

extension ReturnsGenerator {
    /// A Foundation file error as an `OutputWriteError`: the file it names (else `folder`) and the
    /// POSIX error under it (EIO when it carries none, as libarchive's do not).
    static func writeFailure(_ error: any Error, in folder: URL, operation: String = "write") -> OutputWriteError {
        let path = (error as NSError).userInfo[NSFilePathErrorKey] as? String ?? folder.path
        let posix = SystemReason.posixErrno(of: error)
        return OutputWriteError(
            path: path, operation: operation, errno: posix ?? EIO, detail: posix == nil ? "\(error)" : nil)
    }

    /// Removes what `--force` replaces; what cannot be removed exits 73 like what cannot be
    /// written, naming the file and the system's reason.
    private static func remove(_ url: URL, in folder: URL) throws(OutputWriteError) {
        do {
            try FileManager.default.removeItem(at: url)
        } catch {
            throw writeFailure(error, in: folder, operation: "remove")
        }
    }

    /// Sets the old returns and `pipeline.yml` aside together or not at all, then removes them:
    /// each is renamed to `.grdp-replaced-*` in `folder` first, and when one cannot be (an
    /// immutable file or folder), those already moved are put back before the failure is thrown
    /// (never a config left naming returns that are gone). Once both are aside the old set is
    /// gone as a unit: what cannot then be removed (a file in it made immutable) stays under its
    /// aside name, and is returned so that the new set is written and the leftover named after it
    /// (exit 73). Leftovers of an earlier `--force` (killed, or blocked so) are removed first.
    private static func removeTogether(_ urls: [URL], in folder: URL) throws(OutputWriteError) -> [(
        path: String, errno: Int32
    )] {
        let fileManager = FileManager.default
        let earlier = ((try? fileManager.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasPrefix(replacedPrefix) }.map { folder.appendingPathComponent($0) }
        var aside: [(original: URL, moved: URL)] = []
        for url in urls {
            let moved = folder.appendingPathComponent(replacedPrefix + UUID().uuidString)
            do {
                try fileManager.moveItem(at: url, to: moved)
            } catch {
                var notBack: [String] = []
                for (original, moved) in aside.reversed()
                where (try? fileManager.moveItem(at: moved, to: original)) == nil {
                    notBack.append("\(original.path) is still at \(moved.path)")
                }
                var failure = writeFailure(error, in: folder, operation: "remove")
                failure.path = url.path
                if !notBack.isEmpty {
                    failure.detail = "and could not put back what it had set aside: " + notBack.joined(separator: "; ")
                }
                throw failure
            }
            aside.append((url, moved))
        }
        return (earlier + aside.map(\.moved)).compactMap { url in
            do {
                try fileManager.removeItem(at: url)
                return nil
            } catch {
                return (url.path, SystemReason.posixErrno(of: error) ?? EIO)
            }
        }
    }

    /// The name an old returns folder or `pipeline.yml` takes while `--force` removes it.
    static let replacedPrefix = ".grdp-replaced-"
}

/// What `ReturnsGenerator.write(to:)` wrote.
public struct GenerationSummary: Sendable {
    /// The output folder.
    public var folder: URL
    /// The generated `pipeline.yml`.
    public var configFile: URL
    /// Every file written, relative to `folder` (`returns/2021-03-15_so-ke-hoach-dau-tu.zip`, `pipeline.yml`),
    /// sorted bytewise.
    public var files: [String]
    /// Total size of those files.
    public var bytes: Int64
    /// Data rows written per kind, counting every row of every member: first sends, revisions and
    /// rows the pipeline excludes (other provinces, constant prices).
    public var rows: [RecordKind: Int]
}

/// Writes archives under `returns/` and keeps the tally.
struct ArchiveSet {
    let returns: URL
    var files: [String] = []
    var bytes: Int64 = 0
    var rows: [RecordKind: Int] = [.enterprise: 0, .transaction: 0, .grdp: 0]

    init(returns: URL) {
        self.returns = returns
    }

    /// One data member of an archive.
    struct Member {
        var path: String
        var kind: RecordKind
        var csv: CSVText
    }

    /// Writes `members` (those with data rows) to `relativePath`; writes nothing when none has data.
    mutating func write(_ relativePath: String, format: ArchiveWriter.Format, members: [Member]) throws {
        let withData = members.filter { $0.csv.dataRows > 0 }
        guard !withData.isEmpty else { return }
        let url = returns.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let entries = withData.map { ArchiveWriter.Entry(path: $0.path, data: $0.csv.bytes) }
        try ArchiveWriter.write(entries, format: format, to: url)
        for member in withData { rows[member.kind, default: 0] += member.csv.dataRows }
        files.append("returns/" + relativePath)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value ?? 0
        bytes += size
    }
}
