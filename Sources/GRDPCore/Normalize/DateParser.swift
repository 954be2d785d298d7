/// The date and timestamp forms of CONTRACT §4.3, reduced to the local calendar date.
///
/// Accepted, nothing else (no surrounding spaces; cells are trimmed first):
/// - `YYYY-MM-DD` (two-digit month and day);
/// - `YYYY-MM-DD[T ]HH:MM[:SS[.f…]]` with an optional `Z` or `±HH:MM` offset (the fraction may
///   have any number of digits, but only after seconds);
/// - `D/M/YYYY` and `D/M/YYYY H:MM[:SS]`, day first, always, one or two digits for day, month and
///   hour.
/// Hours 00–23, minutes and seconds 00–59, offsets `±HH:MM` with HH 00–23 and MM 00–59. Impossible
/// dates (31/02/2023, 2023-13-01, 29/02/2023) are rejected. A timestamp with an offset is moved to
/// the region's offset before its date is taken: 2023-12-31T20:00:00Z is 2024-01-01 at +07:00. A
/// date or timestamp without an offset is already local.
public enum DateParser {
    /// A calendar date in the region's local time.
    public struct LocalDate: Sendable, Hashable, CustomStringConvertible {
        public var year: Int
        public var month: Int
        public var day: Int

        public init(year: Int, month: Int, day: Int) {
            self.year = year
            self.month = month
            self.day = day
        }

        public var description: String {
            func pad(_ value: Int, _ width: Int) -> String {
                let digits = String(value)
                return String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
            return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
        }
    }

    /// The local date of `text`, with `utcOffsetMinutes` the region's offset (`+07:00` → 420).
    public static func parse(_ text: String, utcOffsetMinutes: Int) -> LocalDate? {
        var copy = text
        return copy.withUTF8 { parse($0, utcOffsetMinutes: utcOffsetMinutes) }
    }

    /// The local date of a (trimmed) cell's bytes, or nil when it is not one of the accepted forms.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, utcOffsetMinutes: Int) -> LocalDate? {
        var cursor = Cursor(bytes: bytes)
        if bytes.count >= 5 && bytes[4] == UInt8(ascii: "-") {
            return parseISO(&cursor, utcOffsetMinutes: utcOffsetMinutes)
        }
        return parseDayFirst(&cursor)
    }

    private static func parseISO(_ c: inout Cursor, utcOffsetMinutes: Int) -> LocalDate? {
        // Fixed positions: YYYY-MM-DD[(T| )HH:MM[:SS[.f…]][Z|±HH:MM]].
        let b = c.bytes
        let n = b.count
        guard n >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), let year = number(b, 0, 4),
            let month = number(b, 5, 2), let day = number(b, 8, 2),
            isValidDate(year: year, month: month, day: day)
        else { return nil }
        let date = LocalDate(year: year, month: month, day: day)
        if n == 10 { return date }
        guard n >= 16, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "), let hour = number(b, 11, 2),
            b[13] == UInt8(ascii: ":"), let minute = number(b, 14, 2), hour <= 23, minute <= 59
        else { return nil }
        var i = 16
        if i < n && b[i] == UInt8(ascii: ":") {
            guard let second = number(b, i + 1, 2), second <= 59 else { return nil }
            i += 3
            if i < n && b[i] == UInt8(ascii: ".") {
                i += 1
                let start = i
                while i < n && b[i] &- UInt8(ascii: "0") < 10 { i += 1 }
                guard i > start else { return nil }
            }
        }
        if i == n { return date }
        let offsetMinutes: Int
        if b[i] == UInt8(ascii: "Z") {
            offsetMinutes = 0
            i += 1
        } else {
            guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), let offsetHours = number(b, i + 1, 2),
                i + 3 < n, b[i + 3] == UInt8(ascii: ":"), let offsetMins = number(b, i + 4, 2), offsetHours <= 23,
                offsetMins <= 59
            else { return nil }
            offsetMinutes = (b[i] == UInt8(ascii: "-") ? -1 : 1) * (offsetHours * 60 + offsetMins)
            i += 6
        }
        guard i == n else { return nil }
        // Local time = UTC + region offset = written time − written offset + region offset.
        let localMinutes = hour * 60 + minute + utcOffsetMinutes - offsetMinutes
        let dayShift = localMinutes >= 0 ? localMinutes / 1440 : -((-localMinutes + 1439) / 1440)
        if dayShift == 0 { return date }
        return civil(fromDays: days(fromCivil: date) + dayShift)
    }

    /// The value of the `count` ASCII digits at `start`, or nil when they are not all digits (or
    /// run past the end).
    @inline(__always)
    private static func number(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Int? {
        guard start + count <= b.count else { return nil }
        var value = 0
        for k in start..<(start + count) {
            let digit = b[k] &- UInt8(ascii: "0")
            if digit >= 10 { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    private static func parseDayFirst(_ c: inout Cursor) -> LocalDate? {
        // Variable widths: a cursor.
        guard let day = c.digits(1...2), c.take("/"), let month = c.digits(1...2), c.take("/"),
            let year = c.digits(4), isValidDate(year: year, month: month, day: day)
        else { return nil }
        let date = LocalDate(year: year, month: month, day: day)
        if c.atEnd { return date }
        guard c.take(" "), let hour = c.digits(1...2), c.take(":"), let minute = c.digits(2), hour <= 23,
            minute <= 59
        else { return nil }
        if c.take(":") {
            guard let second = c.digits(2), second <= 59 else { return nil }
        }
        return c.atEnd ? date : nil
    }

    /// Whether the Gregorian calendar has this day.
    public static func isValidDate(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        return day <= daysInMonth(year: year, month: month)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }

    /// Days since 1970-01-01 (H. Hinnant's `days_from_civil`).
    static func days(fromCivil date: LocalDate) -> Int {
        let y = date.month <= 2 ? date.year - 1 : date.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (date.month + 9) % 12
        let doy = (153 * mp + 2) / 5 + date.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The date `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
    static func civil(fromDays days: Int) -> LocalDate {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return LocalDate(year: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// Reads a cell's bytes left to right.
    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var atEnd: Bool { index == bytes.count }

        /// Consumes `character` if it is next.
        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        /// Consumes exactly `count` digits.
        mutating func digits(_ count: Int) -> Int? {
            digits(count...count)
        }

        /// Consumes a run of digits whose length is in `lengths`; nil (consuming nothing) otherwise.
        mutating func digits(_ lengths: ClosedRange<Int>) -> Int? {
            let start = index
            var value = 0
            while index < bytes.count, index - start < lengths.upperBound {
                let digit = bytes[index] &- UInt8(ascii: "0")
                if digit >= 10 { break }
                value = value * 10 + Int(digit)
                index += 1
            }
            let length = index - start
            // A longer run than allowed is not this form (`2023` is not a two-digit day).
            if !lengths.contains(length) || (index < bytes.count && bytes[index] &- UInt8(ascii: "0") < 10) {
                index = start
                return nil
            }
            return value
        }
    }
}
