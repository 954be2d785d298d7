/// Where a record came from: archive (relative to `inputs.returns`), member path and physical line.
public struct SourceLocation: Sendable, Hashable, Codable {
    public var archivePath: String
    public var memberPath: String
    public var line: Int

    public init(archivePath: String, memberPath: String, line: Int) {
        self.archivePath = archivePath
        self.memberPath = memberPath
        self.line = line
    }
}

/// The years a return may name (CONTRACT §4.3: a `year` cell; a transaction's local date): a
/// placeholder such as 0001-01-01 or 9999-12-31 is out of range, not a year to publish.
public let recordYears = 1990...2100

/// `recordYears` as messages name it: `1990–2100`.
public let recordYearsText = "\(recordYears.lowerBound)–\(recordYears.upperBound)"

/// One accepted enterprise survey record (money in million VND).
public struct EnterpriseRecord: Sendable, Hashable {
    /// `0100109106` or `0100109106-001`.
    public var taxCode: String
    public var year: Int
    public var name: String
    /// Digits only, section letter and dots removed (`62010`).
    public var vsic: String
    /// Section letter derived from the division (`J`).
    public var section: Character
    public var districtCode: String
    public var valueAddedMVND: ExactDecimal
    public var employees: ExactDecimal?

    public init(
        taxCode: String, year: Int, name: String, vsic: String, section: Character,
        districtCode: String, valueAddedMVND: ExactDecimal, employees: ExactDecimal?
    ) {
        self.taxCode = taxCode
        self.year = year
        self.name = name
        self.vsic = vsic
        self.section = section
        self.districtCode = districtCode
        self.valueAddedMVND = valueAddedMVND
        self.employees = employees
    }
}

/// One accepted, in-scope e-commerce transaction. Amounts already converted to VND.
public struct TransactionRecord: Sendable, Hashable {
    public var transactionID: String
    /// Local (region.utc_offset) year and month of the transaction's date.
    public var year: Int
    public var month: Int
    public var amountVND: ExactDecimal
    public var refundVND: ExactDecimal
    public var status: TransactionStatus
    /// Trimmed, lowercased; `unknown` when empty.
    public var channel: String
    /// Normalised seller tax code; empty for an individual seller without one.
    public var sellerTaxCode: String
    public var sellerDistrictCode: String

    public init(
        transactionID: String, year: Int, month: Int, amountVND: ExactDecimal, refundVND: ExactDecimal,
        status: TransactionStatus, channel: String, sellerTaxCode: String, sellerDistrictCode: String
    ) {
        self.transactionID = transactionID
        self.year = year
        self.month = month
        self.amountVND = amountVND
        self.refundVND = refundVND
        self.status = status
        self.channel = channel
        self.sellerTaxCode = sellerTaxCode
        self.sellerDistrictCode = sellerDistrictCode
    }
}

/// One accepted GRDP row at current prices (billion VND).
public struct GRDPRecord: Sendable, Hashable {
    public var year: Int
    public var grdpBVND: ExactDecimal

    public init(year: Int, grdpBVND: ExactDecimal) {
        self.year = year
        self.grdpBVND = grdpBVND
    }
}

/// A typed record of any kind, as Normalize hands it on.
public enum Record: Sendable, Hashable {
    case enterprise(EnterpriseRecord)
    case transaction(TransactionRecord)
    case grdp(GRDPRecord)

    /// The year whose figures it counts in.
    var year: Int {
        switch self {
        case .enterprise(let record): record.year
        case .transaction(let record): record.year
        case .grdp(let record): record.year
        }
    }
}

/// The outcome of normalizing one data row.
public enum RowOutcome: Sendable, Hashable {
    case accepted(Record)
    /// Valid but out of scope (another province, constant prices); counted, not quarantined.
    case excluded(reason: String)
    case quarantined(reason: ReasonCode, detail: String)
}

/// A quarantined row, with its provenance and raw text.
public struct QuarantineEntry: Sendable, Hashable, Codable {
    public var location: SourceLocation
    public var kind: RecordKind
    public var reason: ReasonCode
    public var detail: String
    public var raw: String

    public init(location: SourceLocation, kind: RecordKind, reason: ReasonCode, detail: String, raw: String) {
        self.location = location
        self.kind = kind
        self.reason = reason
        self.detail = detail
        self.raw = raw
    }
}
