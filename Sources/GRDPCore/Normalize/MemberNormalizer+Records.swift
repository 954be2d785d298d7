extension MemberNormalizer {
    /// enterprise: tax_code, year, vsic, value_added / gross_output / intermediate_consumption, name,
    /// district_code, employees.
    func enterprise(_ row: NormalizeRowCells) throws(NormalizeRowFault) -> RowOutcome {
        let taxCodeCell = try row.required(.taxCode)
        guard let taxCode = TaxCode.normalize(taxCodeCell, role: .enterprise) else {
            throw NormalizeRowFault(reason: .invalidTaxCode, detail: "tax_code \(row.quoted(.taxCode)) \(TaxCode.rule)")
        }
        let year = try row.year(.year)
        _ = try row.required(.vsic)
        let vsic: VSIC.Code
        switch VSIC.normalize(row.text(.vsic)) {
        case .success(let code):
            vsic = code
        case .failure(let problem):
            throw NormalizeRowFault(reason: .invalidVSIC, detail: "vsic \(row.quoted(.vsic)) \(problem.explanation)")
        }
        let valueAdded = try row.optionalNumber(.valueAdded)
        let grossOutput = try row.optionalNumber(.grossOutput)
        let intermediate = try row.optionalNumber(.intermediateConsumption)
        let va: ExactDecimal
        if let valueAdded {
            va = valueAdded
        } else if let grossOutput, let intermediate {
            do {
                va = try grossOutput - intermediate
            } catch {
                throw NormalizeRowFault(
                    reason: .outOfRange, detail: "gross_output − intermediate_consumption is too large")
            }
        } else {
            let absent = [(InputColumn.grossOutput, grossOutput), (.intermediateConsumption, intermediate)]
                .filter { $0.1 == nil }.map(\.0.rawValue)
            throw NormalizeRowFault(
                reason: .missingCell,
                detail: "value_added is empty and so is " + absent.joined(separator: " and ")
                    + " (value_added = gross_output − intermediate_consumption needs both)")
        }
        if RowMoneyLimit.magnitude(of: va, exceeds: RowMoneyLimit.enterpriseMVND) {
            throw NormalizeRowFault(
                reason: .outOfRange,
                detail: "value added \(va) million VND is beyond ±\(RowMoneyLimit.enterpriseMVND) (10¹⁵ VND): "
                    + "more than any enterprise's in a year")
        }
        let name = row.text(.name)
        let district = row.text(.districtCode)
        let employees = try row.optionalNumber(.employees)
        return .accepted(
            .enterprise(
                EnterpriseRecord(
                    taxCode: taxCode, year: year, name: name, vsic: vsic.digits, section: vsic.section,
                    districtCode: district, valueAddedMVND: va, employees: employees)))
    }

    /// transaction: transaction_id, date, amount, status, channel, seller_tax_code, seller_province,
    /// seller_district_code, currency, refund_amount; then the seller-province exclusion. Nil when
    /// the row is accepted into `collectedTransactions`.
    func transaction(_ row: NormalizeRowCells) throws(NormalizeRowFault) -> RowOutcome? {
        let transactionIDCell = try row.required(.transactionID)
        let dateCell = try row.required(.date)
        guard let date = DateParser.parse(dateCell, utcOffsetMinutes: utcOffsetMinutes) else {
            throw NormalizeRowFault(
                reason: .typeError, detail: "date \(row.quoted(.date)) is not a valid date or timestamp")
        }
        // The years a `year` cell may name (§4.3): a placeholder such as 0001-01-01 or 9999-12-31
        // would otherwise publish a row, and a target-vs-actual line, for year 1 or 9999.
        guard recordYears.contains(date.year) else {
            throw NormalizeRowFault(
                reason: .outOfRange,
                detail: "date \(row.quoted(.date)) falls in \(date.year) (local time), outside \(recordYearsText)")
        }
        let amount = try row.number(.amount, row.required(.amount))
        if amount.isNegative {
            throw NormalizeRowFault(reason: .outOfRange, detail: "amount \(row.quoted(.amount)) is negative")
        }
        let statusCell = try row.required(.status)
        guard let status = statusMemo.value(for: statusCell, compute: statuses.status(ofCell:)) else {
            throw NormalizeRowFault(
                reason: .unknownStatus,
                detail: "status \(row.quoted(.status)) is not a known status (add it under inputs.statuses)")
        }
        let channel = channelMemo.value(for: row.cell(.channel)) { cell in
            let lowered = CellText.lowercasedText(cell)
            return lowered.isEmpty ? "unknown" : lowered
        }
        let sellerTaxCodeValue = sellerMemo.value(for: row.cell(.sellerTaxCode)) {
            TaxCode.normalize($0, role: .seller)
        }
        guard let sellerTaxCode = sellerTaxCodeValue else {
            throw NormalizeRowFault(
                reason: .invalidTaxCode,
                detail: "seller_tax_code \(row.quoted(.sellerTaxCode)) \(TaxCode.rule), nor a 12-digit personal ID")
        }
        let sellerProvinceCell = row.cell(.sellerProvince)
        let sellerDistrictCell = row.cell(.sellerDistrictCode)
        let currencyCell = row.cell(.currency)
        let currency = currencyCell.isEmpty ? "" : CellText.text(currencyCell).uppercased()
        var rate: ExactDecimal? = nil
        if !currency.isEmpty && currency != "VND" {
            guard let found = fx[currency]?[date.year] else {
                throw NormalizeRowFault(
                    reason: .missingFXRate,
                    detail: "currency \(row.quoted(.currency)) has no rate for \(date.year) in inputs.fx")
            }
            rate = found
        }
        var refund = ExactDecimal.zero
        let refundCell = row.cell(.refundAmount)
        if !refundCell.isEmpty {
            refund = try row.number(.refundAmount, refundCell)
            if refund.isNegative || ExactDecimal.isLess(amount, refund) {
                throw NormalizeRowFault(
                    reason: .outOfRange,
                    detail: "refund_amount \(row.quoted(.refundAmount)) is not within 0…amount (\(amount))")
            }
        }
        var amountVND = amount
        var refundVND = refund
        if let rate {
            do {
                amountVND = try amount * rate
                refundVND = try refund * rate
            } catch {
                throw NormalizeRowFault(reason: .outOfRange, detail: "amount × fx rate \(rate) is too large")
            }
        }
        if ExactDecimal.isLess(RowMoneyLimit.transactionVND, amountVND) {
            throw NormalizeRowFault(
                reason: .outOfRange,
                detail: "amount \(row.quoted(.amount)) is \(amountVND) VND, over \(RowMoneyLimit.transactionVND) "
                    + "(10¹⁵ VND): more than any transaction")
        }
        if !sellerProvinceCell.isEmpty && !isRegion(sellerProvinceCell) {
            let sellerProvince = CellText.text(sellerProvinceCell)
            return .excluded(reason: "seller_province '\(sellerProvince)' is not the region's (\(regionCode))")
        }
        if collectedTransactions != nil {
            CellText.withTextBytes(transactionIDCell) { id in
                CellText.withTextBytes(sellerDistrictCell) { district in
                    collectedTransactions!.append(
                        id: id, year: date.year, month: date.month, amountVND: amountVND, refundVND: refundVND,
                        status: status, channel: channel, sellerTaxCode: sellerTaxCode, district: district)
                }
            }
            return nil
        }
        return .accepted(
            .transaction(
                TransactionRecord(
                    transactionID: CellText.text(transactionIDCell), year: date.year, month: date.month,
                    amountVND: amountVND, refundVND: refundVND, status: status, channel: channel,
                    sellerTaxCode: sellerTaxCode, sellerDistrictCode: CellText.text(sellerDistrictCell))))
    }

    /// The province value an exclusion reason of `transaction` or `grdp` names (`seller_province
    /// 'X' is not the region's (67)`), or nil for another reason. Kept beside the reasons it reads.
    static func excludedProvince(in reason: String) -> String? {
        let marker = "' is not the region's ("
        for prefix in ["seller_province '", "province_code '"] where reason.hasPrefix(prefix) {
            let value = reason.dropFirst(prefix.count)
            guard let end = value.indices.last(where: { value[$0...].hasPrefix(marker) }) else { return nil }
            return String(value[..<end])
        }
        return nil
    }

    /// grdp: year, grdp, province_code, price_basis; then the province and price-basis exclusions.
    func grdp(_ row: NormalizeRowCells) throws(NormalizeRowFault) -> RowOutcome {
        let year = try row.year(.year)
        let grdp = try row.number(.grdp, row.required(.grdp))
        if RowMoneyLimit.magnitude(of: grdp, exceeds: RowMoneyLimit.grdpBVND) {
            throw NormalizeRowFault(
                reason: .outOfRange,
                detail: "grdp \(row.quoted(.grdp)) billion VND is beyond ±\(RowMoneyLimit.grdpBVND) (10¹⁸ VND): "
                    + "more than any economy's")
        }
        if !grdp.isZero, RowMoneyLimit.magnitude(of: grdp, isBelow: RowMoneyLimit.smallestGRDPBVND) {
            throw NormalizeRowFault(
                reason: .outOfRange,
                detail: "grdp \(row.quoted(.grdp)) billion VND is under 1 billion VND and not 0: "
                    + "less than any province's (a unit mistake?)")
        }
        let provinceCell = row.cell(.provinceCode)
        if !provinceCell.isEmpty && !isRegion(provinceCell) {
            let province = CellText.text(provinceCell)
            return .excluded(reason: "province_code '\(province)' is not the region's (\(regionCode))")
        }
        let basis = row.text(.priceBasis)
        if !basis.isEmpty && basis.lowercased() != "current" {
            return .excluded(reason: "price_basis '\(basis)' is not current prices")
        }
        return .accepted(.grdp(GRDPRecord(year: year, grdpBVND: grdp)))
    }
}

extension MemberNormalizer {
    /// Whether a (trimmed) province cell is the region's code (after NFC, compared exactly).
    func isRegion(_ cell: UnsafeBufferPointer<UInt8>) -> Bool {
        if sameBytes(regionBytes, cell) {
            return true
        }
        return !CellText.isASCII(cell) && CellText.text(cell) == regionCode
    }
}

/// The largest money figure one row may carry. The contract sets no upper bound (§4.3: `amount`
/// ≥ 0), but a figure past these is a typo (digits doubled, a wrong column) and not a return:
/// kept, it would swamp its year, and a year's figure past ~9 × 10¹² billion VND cannot be
/// published exactly as a REAL (`SQLValue.published`), which stopped the whole run (exit 70)
/// without naming the row. Quarantined as `out-of-range` instead, with its line.
enum RowMoneyLimit {
    /// A transaction's amount in VND, after any fx conversion: 10¹⁵ VND (1,000,000 billion, about
    /// a tenth of Vietnam's GDP; its whole e-commerce market is under 10¹⁵ a year).
    static let transactionVND = ExactDecimal(1_000_000_000_000_000)
    /// An enterprise's value added (or gross output − intermediate consumption), either sign,
    /// in million VND: 10⁹ (10¹⁵ VND; the largest enterprise's is ~5 × 10¹³).
    static let enterpriseMVND = ExactDecimal(1_000_000_000)
    /// A GRDP in billion VND, either sign: 10⁹ (10¹⁸ VND, ~90 times Vietnam's GDP).
    static let grdpBVND = ExactDecimal(1_000_000_000)
    /// A GRDP other than 0 (which §5 reads as no GRDP) is at least 1 billion VND either way: the
    /// smallest province's is ~10,000. Below it, the share of GRDP grows past what a REAL holds to
    /// 4 decimals (a GRDP of 10⁻¹⁵ stopped the run, exit 70, naming no row).
    static let smallestGRDPBVND = ExactDecimal(1)

    /// |`value`| > `limit` (a positive limit).
    static func magnitude(of value: ExactDecimal, exceeds limit: ExactDecimal) -> Bool {
        ExactDecimal.isLess(limit, value) || ExactDecimal.isLess(value, negated(limit))
    }

    /// |`value`| < `limit` (a positive limit).
    static func magnitude(of value: ExactDecimal, isBelow limit: ExactDecimal) -> Bool {
        ExactDecimal.isLess(value, limit) && ExactDecimal.isLess(negated(limit), value)
    }

    /// −`limit`: one of the constants above, far from the mantissa's bounds.
    private static func negated(_ limit: ExactDecimal) -> ExactDecimal {
        ExactDecimal(mantissa: -limit.mantissa, scale: limit.scale)
    }
}

extension ExactDecimal {
    /// `a < b`, exactly, without going through `Rational` when a common scale fits in 128 bits.
    static func isLess(_ a: ExactDecimal, _ b: ExactDecimal) -> Bool {
        if a.scale == b.scale { return a.mantissa < b.mantissa }
        let scale = Swift.max(a.scale, b.scale)
        guard scale <= 38 else { return a < b }
        let (x, xOverflow) = a.mantissa.multipliedReportingOverflow(by: powersOfTen[scale - a.scale])
        let (y, yOverflow) = b.mantissa.multipliedReportingOverflow(by: powersOfTen[scale - b.scale])
        if xOverflow || yOverflow { return a < b }
        return x < y
    }

    /// 10⁰ … 10³⁸.
    private static let powersOfTen: [Int128] = {
        var powers: [Int128] = [1]
        for _ in 1...38 { powers.append(powers[powers.count - 1] * 10) }
        return powers
    }()
}

extension TaxCode {
    /// The rule a rejected code breaks, for detail sentences.
    static let rule = "is not a tax code (10 digits with a valid check digit, optionally -ddd for a branch)"
}

extension VSIC.Problem {
    var explanation: String {
        switch self {
        case .notFourOrFiveDigits:
            "is not 4 or 5 digits after dots, spaces and a section letter are removed"
        case .noSuchDivision(let division):
            "has no VSIC 2018 division \(division)"
        case .notASection(let letter):
            "starts with '\(letter)', which is not a VSIC 2018 section letter (A–U)"
        }
    }
}
