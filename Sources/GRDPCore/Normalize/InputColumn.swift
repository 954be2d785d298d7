/// The canonical columns of the three record kinds (CONTRACT §4.3).
public enum InputColumn: String, Sendable, Hashable, CaseIterable {
    // enterprise
    case taxCode = "tax_code"
    case year
    case vsic
    case valueAdded = "value_added"
    case grossOutput = "gross_output"
    case intermediateConsumption = "intermediate_consumption"
    case name
    case districtCode = "district_code"
    case employees
    // transaction
    case transactionID = "transaction_id"
    case date
    case amount
    case status
    case channel
    case sellerTaxCode = "seller_tax_code"
    case sellerProvince = "seller_province"
    case sellerDistrictCode = "seller_district_code"
    case currency
    case refundAmount = "refund_amount"
    // grdp
    case grdp
    case provinceCode = "province_code"
    case priceBasis = "price_basis"

    /// A kind's columns in the order of the table of §4.3, which is also the order in which a row's
    /// faults are looked for.
    public static func columns(of kind: RecordKind) -> [InputColumn] {
        switch kind {
        case .enterprise:
            [
                .taxCode, .year, .vsic, .valueAdded, .grossOutput, .intermediateConsumption, .name, .districtCode,
                .employees,
            ]
        case .transaction:
            [
                .transactionID, .date, .amount, .status, .channel, .sellerTaxCode, .sellerProvince,
                .sellerDistrictCode, .currency, .refundAmount,
            ]
        case .grdp:
            [.year, .grdp, .provinceCode, .priceBasis]
        }
    }

    /// A kind's numeric columns: the ones whose values decide a member's number convention.
    public static func numericColumns(of kind: RecordKind) -> [InputColumn] {
        switch kind {
        case .enterprise: [.valueAdded, .grossOutput, .intermediateConsumption, .employees]
        case .transaction: [.amount, .refundAmount]
        case .grdp: [.grdp]
        }
    }

    /// Position in `allCases`, for array-backed lookups (a switch: hashing the raw value per cell
    /// was a fifth of Normalize's time).
    var ordinal: Int {
        switch self {
        case .taxCode: 0
        case .year: 1
        case .vsic: 2
        case .valueAdded: 3
        case .grossOutput: 4
        case .intermediateConsumption: 5
        case .name: 6
        case .districtCode: 7
        case .employees: 8
        case .transactionID: 9
        case .date: 10
        case .amount: 11
        case .status: 12
        case .channel: 13
        case .sellerTaxCode: 14
        case .sellerProvince: 15
        case .sellerDistrictCode: 16
        case .currency: 17
        case .refundAmount: 18
        case .grdp: 19
        case .provinceCode: 20
        case .priceBasis: 21
        }
    }
}
