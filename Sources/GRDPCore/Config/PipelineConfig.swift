public import Foundation

/// A validated `pipeline.yml` (CONTRACT §2). Relative paths are already resolved against the
/// file's folder. Built by `ConfigLoader`.
public struct PipelineConfig: Sendable {
    /// Number conventions for numeric cells (CONTRACT §4.2).
    public enum NumberFormat: String, Sendable, Codable {
        case auto
        case en
        case vi
    }

    public enum Interpolation: String, Sendable {
        case linear
        case none
    }

    public struct Region: Sendable {
        public var code: String
        public var name: String
        /// Offset from UTC in minutes (`+07:00` → 420).
        public var utcOffsetMinutes: Int
        public var districts: [String: String]
    }

    public struct Inputs: Sendable {
        public var returnsFolder: URL
        /// Archive paths relative to `returnsFolder`.
        public var exclude: [String]
        public var numberFormat: NumberFormat
        /// Basename glob patterns per kind; a kind's list replaces its defaults.
        public var kinds: [RecordKind: [String]]
        /// Extra header aliases per kind: canonical column → aliases (already header-normalised).
        public var columns: [RecordKind: [String: [String]]]
        /// Extra status spellings (already header-normalised) → canonical status.
        public var statuses: [String: TransactionStatus]
        /// Annual average VND per unit: currency code (upper case) → year → rate.
        public var fx: [String: [Int: ExactDecimal]]
    }

    public struct Limits: Sendable {
        public var maxMemberBytes: Int64
        public var maxCompressionRatio: ExactDecimal
    }

    public struct Quality: Sendable {
        public var maxQuarantineRatio: ExactDecimal
    }

    public struct ExportSpec: Sendable, Hashable {
        public var table: String
        public var format: String
    }

    public struct Outputs: Sendable {
        public var folder: URL
        public var keepSnapshots: Int
        public var exports: [ExportSpec]
    }

    public struct Methodology: Sendable {
        public var coreVSICPrefixes: [String]
        public var countedStatuses: Set<TransactionStatus>
        public var vaRatioDefault: ExactDecimal
        /// Channel (lowercased) → ratio.
        public var vaRatioByChannel: [String: ExactDecimal]
        /// Section letter (upper case) → coefficient.
        public var digitisedCoefficients: [String: ExactDecimal]
    }

    public struct TargetPoint: Sendable, Hashable {
        public var year: Int
        public var sharePct: ExactDecimal
        public var source: String
    }

    public struct Targets: Sendable {
        public var interpolation: Interpolation
        /// Sorted by year; no year twice.
        public var points: [TargetPoint]
    }

    /// The file this was read from.
    public var fileURL: URL
    /// SHA-256 (lower-case hex) of the file's bytes: `snapshot_meta.config_sha256`.
    public var sha256: String
    public var version: Int
    public var region: Region
    public var inputs: Inputs
    public var limits: Limits
    public var quality: Quality
    public var outputs: Outputs
    public var methodology: Methodology
    public var targets: Targets
}

extension PipelineConfig {
    public static let defaultKinds: [RecordKind: [String]] = [
        .enterprise: ["enterprise*.csv"],
        .transaction: ["transaction*.csv", "ecommerce*.csv"],
        .grdp: ["grdp*.csv"],
    ]

    /// The GSO ICT-core list, VSIC 2018 (DOMAIN.md).
    public static let defaultCoreVSICPrefixes = ["26", "4651", "4652", "5820", "61", "62", "631", "951"]

    /// The configured outputs' well-known places.
    public var snapshotsFolder: URL { outputs.folder.appendingPathComponent("snapshots", isDirectory: true) }
    public var reportsFolder: URL { outputs.folder.appendingPathComponent("reports", isDirectory: true) }
    public var exportsFolder: URL { outputs.folder.appendingPathComponent("exports", isDirectory: true) }
    public var lockFile: URL { outputs.folder.appendingPathComponent(".lock") }
    /// What lets a run skip work already done (`RunCache`); deleting it only costs time.
    public var cacheFolder: URL { outputs.folder.appendingPathComponent("cache", isDirectory: true) }
}
