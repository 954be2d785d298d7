/// The rows of a snapshot's tables (CONTRACT §6), as Compute produces them and Snapshot stores them.
///
/// Money in record tables is exact (`ExactDecimal`, stored as TEXT); the published indicator
/// figures are already rounded half-to-even (money 3 decimals, percentages 4).
public struct SnapshotContent: Sendable, Equatable {
    public var sourceArchives: [SourceArchiveRow] = []
    public var sourceMembers: [SourceMemberRow] = []
    public var enterprises: [EnterpriseRow] = []
    public var ecommerceSales: [EcommerceSalesRow] = []
    public var grdp: [GRDPRow] = []
    public var indicators: [IndicatorRow] = []
    public var districtIndicators: [DistrictIndicatorRow] = []
    public var quarantine: [QuarantineRow] = []
    /// A run's quarantined rows, given one at a time from the archive cache where they wait
    /// (`CachedQuarantine`) rather than held: the publish inserts and hashes these instead of
    /// `quarantine`, which is then empty. Nil everywhere else (a snapshot loaded has `quarantine`).
    var streamedQuarantine: StreamedRows<QuarantineRow>?
    /// With `streamedQuarantine`: how many of its rows have each reason, for a page that shows
    /// only the counts (`HTMLReport`).
    var streamedQuarantineByReason: [String: Int]?

    /// How many quarantined rows have each reason.
    var quarantineByReason: [String: Int] {
        streamedQuarantineByReason ?? quarantine.reduce(into: [:]) { $0[$1.reason, default: 0] += 1 }
    }
    /// Extra table `target_point`: the configured target trajectory, so exports need no config.
    public var targetPoints: [TargetPointRow] = []
    /// Extra table `district`: `region.districts`, code → name.
    public var districts: [DistrictRow] = []

    public init() {}
}

public struct SourceArchiveRow: Sendable, Equatable {
    public var path: String
    public var sha256: String
    public var bytes: Int64
    /// `accepted`, `rejected` or `excluded`.
    public var status: String
    public var reason: String?

    public init(path: String, sha256: String, bytes: Int64, status: String, reason: String?) {
        self.path = path
        self.sha256 = sha256
        self.bytes = bytes
        self.status = status
        self.reason = reason
    }
}

public struct SourceMemberRow: Sendable, Equatable {
    public var archivePath: String
    public var memberPath: String
    public var kind: String
    public var rowsRead: Int
    public var rowsAccepted: Int
    public var rowsQuarantined: Int
    public var rowsSuperseded: Int
    public var rowsExcluded: Int

    public init(
        archivePath: String, memberPath: String, kind: String, rowsRead: Int, rowsAccepted: Int,
        rowsQuarantined: Int, rowsSuperseded: Int, rowsExcluded: Int
    ) {
        self.archivePath = archivePath
        self.memberPath = memberPath
        self.kind = kind
        self.rowsRead = rowsRead
        self.rowsAccepted = rowsAccepted
        self.rowsQuarantined = rowsQuarantined
        self.rowsSuperseded = rowsSuperseded
        self.rowsExcluded = rowsExcluded
    }
}

public struct EnterpriseRow: Sendable, Equatable {
    public var taxCode: String
    public var year: Int
    public var name: String
    public var vsic: String
    public var section: String
    public var districtCode: String
    public var valueAddedMVND: ExactDecimal
    public var isCore: Bool
    public var source: SourceLocation

    public init(
        taxCode: String, year: Int, name: String, vsic: String, section: String, districtCode: String,
        valueAddedMVND: ExactDecimal, isCore: Bool, source: SourceLocation
    ) {
        self.taxCode = taxCode
        self.year = year
        self.name = name
        self.vsic = vsic
        self.section = section
        self.districtCode = districtCode
        self.valueAddedMVND = valueAddedMVND
        self.isCore = isCore
        self.source = source
    }

    /// The order the snapshot's rows come in (and `currentRecords`, `carryOver` give them): by tax
    /// code, then year.
    static func precedes(_ left: EnterpriseRow, _ right: EnterpriseRow) -> Bool {
        (left.taxCode, left.year) < (right.taxCode, right.year)
    }
}

public struct EcommerceSalesRow: Sendable, Equatable {
    // The year, month and flag after the wider fields, in 4 bytes: 104 bytes a row (measured
    // 2026-12-04) where `Int`s first took 128. A night at 10 M transactions holds 2024's 708,587
    // rows at once: 74 MB.
    public var channel: String
    public var sellerTaxCode: String
    public var sellerDistrictCode: String
    public var transactions: Int
    public var netVND: ExactDecimal
    public var vaVND: ExactDecimal
    // Transaction years are 16-bit from the normalizer on (`TransactionBatch.Row`); months 1–12.
    private var storedYear: Int16
    private var storedMonth: UInt8
    public var counted: Bool

    /// The years and months a row can hold (a snapshot's rows beyond are not read).
    public static let years = Int(Int16.min)...Int(Int16.max)
    public static let months = 0...Int(UInt8.max)

    public var year: Int {
        get { Int(storedYear) }
        set { storedYear = Int16(newValue) }
    }

    public var month: Int {
        get { Int(storedMonth) }
        set { storedMonth = UInt8(newValue) }
    }

    public init(
        year: Int, month: Int, channel: String, sellerTaxCode: String, sellerDistrictCode: String,
        transactions: Int, netVND: ExactDecimal, vaVND: ExactDecimal, counted: Bool
    ) {
        self.storedYear = Int16(year)
        self.storedMonth = UInt8(month)
        self.channel = channel
        self.sellerTaxCode = sellerTaxCode
        self.sellerDistrictCode = sellerDistrictCode
        self.transactions = transactions
        self.netVND = netVND
        self.vaVND = vaVND
        self.counted = counted
    }
}

extension Array {
    /// Whether `test` holds for the year (`year`) of every element, asked once per run of elements
    /// of one year, the elements read in place (the specialisations make no call per element).
    /// `allSatisfy` with a `Set` lookup per row copied each sales row (three texts retained and
    /// released) and hashed its year: ~0.035 s of one core in `carryOver` alone for a 10 M night's
    /// 2024 (708,000 rows, perf 2026-12-07), on the way to the publish.
    func everyYear(_ year: (borrowing Element) -> Int, _ test: (Int) -> Bool) -> Bool {
        withUnsafeBufferPointer { buffer in
            guard let elements = buffer.baseAddress else { return true }
            var last: Int?
            for index in buffer.indices where year(elements[index]) != last {
                last = year(elements[index])
                guard test(last!) else { return false }
            }
            return true
        }
    }

    /// The elements of `self` and `other` in one array ascending by `precedes`, as a stable sort of
    /// `self + other` gives them (`self`'s first among equals); in one pass when each is ascending
    /// already, with a comparison per element where the sort takes ~log2(count) of them.
    func merged(with other: [Element], by precedes: (Element, Element) -> Bool) -> [Element] {
        func isAscending(_ elements: [Element]) -> Bool {
            elements.indices.dropFirst().allSatisfy { !precedes(elements[$0], elements[$0 - 1]) }
        }
        guard isAscending(self), isAscending(other) else { return (self + other).sorted(by: precedes) }
        var merged: [Element] = []
        merged.reserveCapacity(count + other.count)
        var (mine, theirs) = (startIndex, other.startIndex)
        while mine < endIndex, theirs < other.endIndex {
            if precedes(other[theirs], self[mine]) {
                merged.append(other[theirs])
                theirs += 1
            } else {
                merged.append(self[mine])
                mine += 1
            }
        }
        merged += self[mine...]
        merged += other[theirs...]
        return merged
    }

    /// Whether the elements come in ascending years (`year`); read in place (see `everyYear`).
    func inYearOrder(_ year: (borrowing Element) -> Int) -> Bool {
        withUnsafeBufferPointer { buffer in
            guard let elements = buffer.baseAddress else { return true }
            return buffer.indices.dropFirst().allSatisfy { year(elements[$0 - 1]) <= year(elements[$0]) }
        }
    }
}

extension Array where Element == EcommerceSalesRow {
    /// How many rows lead the array before the first that is not of `year` or is of `month` or
    /// later; read in place (see `everyYear(_:_:)`).
    func leadingCount(ofYear year: Int, beforeMonth month: Int) -> Int {
        withUnsafeBufferPointer { buffer in
            guard let rows = buffer.baseAddress else { return 0 }
            var count = 0
            while count < buffer.count, rows[count].year == year, rows[count].month < month { count += 1 }
            return count
        }
    }
}

public struct GRDPRow: Sendable, Equatable {
    public var year: Int
    public var grdpBVND: ExactDecimal
    public var source: SourceLocation

    public init(year: Int, grdpBVND: ExactDecimal, source: SourceLocation) {
        self.year = year
        self.grdpBVND = grdpBVND
        self.source = source
    }
}

/// How a year's target was found (CONTRACT §5).
public enum TargetKind: String, Sendable, Equatable, Codable {
    case explicit
    case interpolated
    case none
}

/// A year's standing against its target (CONTRACT §5).
public enum IndicatorStatus: String, Sendable, Equatable, Codable {
    case met
    case behind
    case noTarget = "no-target"
    case noGRDP = "no-grdp"
}

/// One row of `indicator`: published figures, rounded (money 3 decimals, percentages 4).
public struct IndicatorRow: Sendable, Equatable {
    public var year: Int
    public var grdpBVND: ExactDecimal?
    public var coreBVND: ExactDecimal
    public var ecommerceBVND: ExactDecimal
    public var digitisedBVND: ExactDecimal
    public var deBVND: ExactDecimal
    public var sharePct: ExactDecimal?
    public var targetPct: ExactDecimal?
    public var targetKind: TargetKind
    public var gapPp: ExactDecimal?
    public var status: IndicatorStatus

    public init(
        year: Int, grdpBVND: ExactDecimal?, coreBVND: ExactDecimal, ecommerceBVND: ExactDecimal,
        digitisedBVND: ExactDecimal, deBVND: ExactDecimal, sharePct: ExactDecimal?, targetPct: ExactDecimal?,
        targetKind: TargetKind, gapPp: ExactDecimal?, status: IndicatorStatus
    ) {
        self.year = year
        self.grdpBVND = grdpBVND
        self.coreBVND = coreBVND
        self.ecommerceBVND = ecommerceBVND
        self.digitisedBVND = digitisedBVND
        self.deBVND = deBVND
        self.sharePct = sharePct
        self.targetPct = targetPct
        self.targetKind = targetKind
        self.gapPp = gapPp
        self.status = status
    }
}

extension IndicatorRow {
    /// The figures its year's returns make (GRDP, the components, their total and share), not its
    /// target, which the config gives.
    var figures: [ExactDecimal?] { [grdpBVND, coreBVND, ecommerceBVND, digitisedBVND, deBVND, sharePct] }

    /// `rows` by year (the first of a year given twice, which no snapshot holds).
    static func byYear(_ rows: [IndicatorRow]) -> [Int: IndicatorRow] {
        Dictionary(rows.map { ($0.year, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// One row of `indicator_by_district` (billion VND, rounded to 3 decimals).
public struct DistrictIndicatorRow: Sendable, Equatable {
    public var year: Int
    public var districtCode: String
    public var coreBVND: ExactDecimal
    public var ecommerceBVND: ExactDecimal
    public var digitisedBVND: ExactDecimal
    public var deBVND: ExactDecimal

    public init(
        year: Int, districtCode: String, coreBVND: ExactDecimal, ecommerceBVND: ExactDecimal,
        digitisedBVND: ExactDecimal, deBVND: ExactDecimal
    ) {
        self.year = year
        self.districtCode = districtCode
        self.coreBVND = coreBVND
        self.ecommerceBVND = ecommerceBVND
        self.digitisedBVND = digitisedBVND
        self.deBVND = deBVND
    }
}

public struct QuarantineRow: Sendable, Equatable {
    public var archivePath: String
    public var memberPath: String
    public var line: Int
    public var kind: String
    public var reason: String
    public var detail: String
    public var raw: String

    public init(
        archivePath: String, memberPath: String, line: Int, kind: String, reason: String, detail: String,
        raw: String
    ) {
        self.archivePath = archivePath
        self.memberPath = memberPath
        self.line = line
        self.kind = kind
        self.reason = reason
        self.detail = detail
        self.raw = raw
    }
}

/// The `snapshot_meta` table.
public struct SnapshotMeta: Sendable, Equatable {
    public var version: Int
    public var createdAt: String
    public var toolVersion: String
    public var configSHA256: String
    public var contentSHA256: String
    public var parentVersion: Int?
    public var command: String
    /// The region the figures are of (`region.code`, `region.name` of the config that computed
    /// them; nil in snapshots of grdp before 2026-12-06), which the exports name.
    public var region: Region?
    /// `targets.interpolation` of the config that wrote the snapshot (`target_interpolation`;
    /// nil before 2026-12-06): how the chart draws the trajectory through `target_point`, which
    /// the rows cannot tell once `run --year` kept some computed under another setting.
    public var targetInterpolation: PipelineConfig.Interpolation?
    /// The settings each year's figures were computed with (`settings_sha256_by_year`; nil before
    /// 2026-12-06): a full run computes every year with its config's, `run --year` keeps the
    /// others' (`kept_years_other_settings`).
    public var yearSettings: YearSettings?

    /// `snapshot_meta`'s `region_code` and `region_name`.
    public struct Region: Sendable, Equatable {
        public var code: String
        public var name: String

        public init(code: String, name: String) {
            self.code = code
            self.name = name
        }

        /// `Đắk Nông (province 67)`, or `province 67` without a name.
        public var description: String {
            name.isEmpty ? "province \(code)" : "\(name) (province \(code))"
        }
    }

    public init(
        version: Int, createdAt: String, toolVersion: String, configSHA256: String, contentSHA256: String,
        parentVersion: Int?, command: String, region: Region? = nil,
        targetInterpolation: PipelineConfig.Interpolation? = nil, yearSettings: YearSettings? = nil
    ) {
        self.version = version
        self.createdAt = createdAt
        self.toolVersion = toolVersion
        self.configSHA256 = configSHA256
        self.contentSHA256 = contentSHA256
        self.parentVersion = parentVersion
        self.command = command
        self.region = region
        self.targetInterpolation = targetInterpolation
        self.yearSettings = yearSettings
    }

    /// `v0007`.
    public static func label(_ version: Int) -> String {
        "v" + String(repeating: "0", count: max(0, 4 - String(version).count)) + String(version)
    }

    /// The version a label names as a user types it — `v0003`, `V3`, `0003` or `3` → 3; nil for
    /// anything else (`v+1`, `v-0`, `v 1`). `v0000` is 0: a version no run publishes (they start at
    /// 1), which a command asking for it finds missing, as any other that does not exist.
    public static func version(label: String) -> Int? {
        let digits = label.hasPrefix("v") || label.hasPrefix("V") ? label.dropFirst() : Substring(label)
        guard digits.isASCIIDigits, let version = Int(digits) else { return nil }
        return version
    }
}

/// One configured target point (extra table `target_point`).
public struct TargetPointRow: Sendable, Equatable {
    public var year: Int
    public var sharePct: ExactDecimal
    public var source: String

    public init(year: Int, sharePct: ExactDecimal, source: String) {
        self.year = year
        self.sharePct = sharePct
        self.source = source
    }
}

/// One district of `region.districts` (extra table `district`).
public struct DistrictRow: Sendable, Equatable {
    public var code: String
    public var name: String

    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }
}
