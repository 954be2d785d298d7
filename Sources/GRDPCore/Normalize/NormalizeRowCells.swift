/// Why a row is quarantined: the first fault found, in the order of CONTRACT §4.1/§4.3.
struct NormalizeRowFault: Error {
    var reason: ReasonCode
    var detail: String
}

/// The cells of one well-formed row, by column, trimmed; an absent column reads as an empty cell.
struct NormalizeRowCells {
    let cells: CSVRecord.Cells
    let layout: HeaderLayout
    let convention: PipelineConfig.NumberFormat

    /// The trimmed cell of `column` (empty when the header lacks the column).
    func cell(_ column: InputColumn) -> UnsafeBufferPointer<UInt8> {
        guard let index = layout[column] else { return UnsafeBufferPointer(start: nil, count: 0) }
        return CellText.trimmed(cells.cell(index))
    }

    /// The cell of a required column; `missing-cell` when empty.
    func required(_ column: InputColumn) throws(NormalizeRowFault) -> UnsafeBufferPointer<UInt8> {
        let value = cell(column)
        if value.isEmpty { throw NormalizeRowFault(reason: .missingCell, detail: "\(column.rawValue) is empty") }
        return value
    }

    /// A number in the member's convention; `type-error` when it is not one.
    func number(_ column: InputColumn, _ value: UnsafeBufferPointer<UInt8>) throws(NormalizeRowFault) -> ExactDecimal {
        guard let number = NumberParser.parse(value, convention: convention) else {
            throw NormalizeRowFault(
                reason: .typeError,
                detail: "\(column.rawValue) \(CellText.quoted(value)) is not a number in this member's format "
                    + "(\(convention.rawValue))")
        }
        if _slowPath(number.scale > Self.maxDecimalPlaces) {
            let places = number.reduced.scale
            if places > Self.maxDecimalPlaces {
                throw NormalizeRowFault(
                    reason: .outOfRange,
                    detail: "\(column.rawValue) \(CellText.quoted(value)) has \(places) decimal places, more than the "
                        + "\(Self.maxDecimalPlaces) a figure may have")
            }
        }
        return number
    }

    /// Decimal places a number may have, trailing zeros aside. The contract sets no limit, but
    /// grdp computes money exactly in 38 digits, and each place of an amount is carried through
    /// the VA ratio's and the 9 of VND to billion VND: one amount with 22 places
    /// (`1667775000.0000000000000000000001`) overflowed its year's sum and stopped the whole run
    /// (exit 70), naming no row. No currency has such places; a floating-point export's
    /// `0.30000000000000004` has 17.
    static let maxDecimalPlaces = 18

    /// The number of a column when its cell is not empty.
    func optionalNumber(_ column: InputColumn) throws(NormalizeRowFault) -> ExactDecimal? {
        let value = cell(column)
        return value.isEmpty ? nil : try number(column, value)
    }

    /// A year: digits only [`type-error`], 4 of them within 1990–2100 [`out-of-range`].
    func year(_ column: InputColumn) throws(NormalizeRowFault) -> Int {
        let value = try required(column)
        guard value.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else {
            throw NormalizeRowFault(
                reason: .typeError, detail: "\(column.rawValue) \(CellText.quoted(value)) is not a whole number")
        }
        var year = 0
        if value.count == 4 {
            for digit in value { year = year * 10 + Int(digit - UInt8(ascii: "0")) }
        }
        guard value.count == 4, recordYears.contains(year) else {
            throw NormalizeRowFault(
                reason: .outOfRange,
                detail: "\(column.rawValue) \(CellText.quoted(value)) is not a 4-digit year within \(recordYearsText)")
        }
        return year
    }

    /// Trimmed NFC text of a column.
    func text(_ column: InputColumn) -> String {
        CellText.text(cell(column))
    }

    func quoted(_ column: InputColumn) -> String {
        CellText.quoted(cell(column))
    }
}
