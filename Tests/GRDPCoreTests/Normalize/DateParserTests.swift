import Testing

@testable import GRDPCore

@Suite struct NormalizeDateParserTests {
    /// The local date at +07:00 (Vietnam), as text; nil when not a date.
    private func local(_ text: String, offset: Int = 420) -> String? {
        DateParser.parse(text, utcOffsetMinutes: offset)?.description
    }

    @Test func isoDatesAndTimestamps() {
        #expect(local("2024-03-05") == "2024-03-05")
        #expect(local("2024-03-05T10:20") == "2024-03-05")
        #expect(local("2024-03-05 10:20") == "2024-03-05")
        #expect(local("2024-03-05T10:20:30") == "2024-03-05")
        #expect(local("2024-03-05T10:20:30.5") == "2024-03-05")
        #expect(local("2024-03-05T10:20:30.123456789") == "2024-03-05")
        #expect(local("2024-03-05T10:20:30+07:00") == "2024-03-05")
        #expect(local("2024-03-05T10:20+07:00") == "2024-03-05")
        #expect(local("2024-03-05T23:59:59.999-05:00") == "2024-03-06")  // 04:59:59 UTC → 11:59 local
    }

    @Test func theUTCOffsetMovesTheYearBoundary() {
        // 2023-12-31 20:00 UTC + 7 h = 2024-01-01 03:00 in Vietnam.
        #expect(local("2023-12-31T20:00:00Z") == "2024-01-01")
        // 16:59 UTC + 7 h = 23:59 the same day; 17:00 UTC is already the next day.
        #expect(local("2023-12-31T16:59:59Z") == "2023-12-31")
        #expect(local("2023-12-31T17:00:00Z") == "2024-01-01")
        // Without an offset the time is already local.
        #expect(local("2023-12-31T20:00:00") == "2023-12-31")
        // 2024-01-01 01:00 at +09:00 = 2023-12-31 16:00 UTC = 23:00 in Vietnam: still 2023.
        #expect(local("2024-01-01T01:00:00+09:00") == "2023-12-31")
        // 2024-03-01 00:30 at +07:00 in a region at UTC−05:00: 2024-02-29 12:30 (leap year).
        #expect(local("2024-03-01T00:30:00+07:00", offset: -300) == "2024-02-29")
        // Month boundary: 2024-01-31 18:00 UTC → 2024-02-01 01:00 local.
        #expect(local("2024-01-31T18:00Z") == "2024-02-01")
    }

    @Test func dayFirstDates() {
        #expect(local("4/12/2023") == "2023-12-04")  // 4 December, day first, always
        #expect(local("04/12/2023") == "2023-12-04")
        #expect(local("31/1/2024") == "2024-01-31")
        #expect(local("4/12/2023 9:05") == "2023-12-04")
        #expect(local("4/12/2023 23:59:59") == "2023-12-04")
        #expect(local("29/02/2024") == "2024-02-29")
    }

    @Test func impossibleAndMalformed() {
        for text in [
            "31/02/2023", "29/02/2023", "2023-13-01", "2023-00-10", "2023-04-31", "0/1/2023", "1/0/2023",
            "32/1/2023", "2023-1-5", "2023-01-5", "23-01-05", "2023/01/05", "12/2023", "1/1/23",
            "2023-01-05T24:00", "2023-01-05T23:60", "2023-01-05T10:00:60", "2023-01-05T10", "2023-01-05T1:00",
            "2023-01-05T10:00.5", "2023-01-05T10:00:00.", "2023-01-05T10:00:00+0700", "2023-01-05T10:00:00+07",
            "2023-01-05T10:00:00 +07:00", "2023-01-05T10:00:00UTC", "2023-01-05T10:00:00z", "2023-01-05t10:00",
            "2023-01-05Z", "4/12/2023T10:00", "4/12/2023 10:00Z", "4/12/2023 10:00:00.5", "4/12/2023 24:00",
            "4/12/2023 10:5", "", "today", "2023-01-05T10:00:00+24:00", "2023-01-05T10:00:00+07:60",
            "123/1/2023", "1/123/2023", "1/1/20233",
        ] {
            #expect(local(text) == nil, "accepted '\(text)'")
        }
    }

    @Test func calendarArithmetic() {
        // Round trip over a wide range, and the leap rules (2000 leap, 1900 and 2100 not).
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            #expect(DateParser.days(fromCivil: DateParser.civil(fromDays: days)) == days)
        }
        #expect(DateParser.days(fromCivil: .init(year: 1970, month: 1, day: 1)) == 0)
        #expect(DateParser.isValidDate(year: 2000, month: 2, day: 29))
        #expect(!DateParser.isValidDate(year: 1900, month: 2, day: 29))
        #expect(!DateParser.isValidDate(year: 2100, month: 2, day: 29))
    }
}
