/// A CSV member being written: RFC 4180 quoting, a chosen delimiter and line ending, optional BOM.
struct CSVText {
    let delimiter: UInt8
    let lineEnding: [UInt8]
    private(set) var bytes: [UInt8] = []
    private(set) var rows = 0

    /// `en` members: `,` and LF. `vi` members (Excel in a Vietnamese locale): `;`, CRLF and a BOM.
    init(convention: SyntheticNumberFormat, capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
        switch convention {
        case .en:
            delimiter = UInt8(ascii: ",")
            lineEnding = [UInt8(ascii: "\n")]
        case .vi:
            delimiter = UInt8(ascii: ";")
            lineEnding = [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
            bytes.append(contentsOf: [0xEF, 0xBB, 0xBF])
        }
    }

    /// Appends one row (the header counts as a row here; `rows` counts data rows after it).
    mutating func row(_ fields: [String]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(delimiter) }
            let utf8 = field.utf8
            let needsQuotes = utf8.contains { $0 == delimiter || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
            if needsQuotes {
                bytes.append(0x22)
                for byte in utf8 {
                    if byte == 0x22 { bytes.append(0x22) }
                    bytes.append(byte)
                }
                bytes.append(0x22)
            } else {
                bytes.append(contentsOf: utf8)
            }
        }
        bytes.append(contentsOf: lineEnding)
        rows += 1
    }

    var dataRows: Int { max(0, rows - 1) }
}

/// The two number conventions of CONTRACT §4.2, as the generator writes them.
enum SyntheticNumberFormat {
    case en
    case vi

    /// An integer, grouped by thousands or not (`1,234,567` / `1.234.567` / `1234567`).
    func integer(_ value: Int64, grouped: Bool) -> String {
        let negative = value < 0
        let digits = Array(String(value.magnitude).utf8)
        var out: [UInt8] = negative ? [UInt8(ascii: "-")] : []
        let mark: UInt8 = self == .en ? UInt8(ascii: ",") : UInt8(ascii: ".")
        for (index, digit) in digits.enumerated() {
            if grouped && index > 0 && (digits.count - index) % 3 == 0 { out.append(mark) }
            out.append(digit)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `units / 10^decimals` with exactly `decimals` places (`12345.6`, `12.345,6`).
    func fixed(_ units: Int64, decimals: Int, grouped: Bool) -> String {
        var divisor: Int64 = 1
        for _ in 0..<decimals { divisor *= 10 }
        let whole = integer(units / divisor, grouped: grouped)
        guard decimals > 0 else { return whole }
        let fraction = String(units.magnitude % UInt64(divisor))
        let padded = String(repeating: "0", count: decimals - fraction.count) + fraction
        return whole + (self == .en ? "." : ",") + padded
    }
}
