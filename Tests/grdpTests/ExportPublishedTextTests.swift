import Foundation
import GRDPCore
import Testing

/// What `grdp export` publishes from text that came from the returns: member paths, district
/// codes and quarantined values, which reach the open-data portal and the spreadsheets of its
/// readers. Real archives, a real run and the real binary.
@Suite struct ExportPublishedTextTests {
    /// A fixture whose quarantined rows are kept (not a rejected member): ratio 1.
    static func fixture() throws -> Fixture {
        let fixture = try Fixture()
        let yaml = Fixture.pipelineYAML.replacingOccurrences(
            of: "outputs:\n", with: "quality:\n  max_quarantine_ratio: 1\noutputs:\n")
        try yaml.write(to: fixture.config, atomically: true, encoding: .utf8)
        return fixture
    }

    static func export(_ fixture: Fixture, _ arguments: String...) throws -> Execution {
        let export = try fixture.grdp(["export"] + arguments)
        try #require(export.status == 0, "\(export.stderr)")
        return export
    }

    static func rows(_ csv: String) -> [[String]] {
        csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// A member path `=cmd|…` or a district code `@SUM(…)` opened in a spreadsheet ran as a
    /// formula: the CSV cell now starts with `'`; numbers (`-0.005`) and JSON keep their text.
    @Test func csvTextCellsThatASpreadsheetWouldRunAsFormulasStartWithAQuote() throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        try fixture.write(
            [
                .init(
                    path: "enterprise.csv",
                    text: """
                        tax_code,year,vsic,value_added,name,district_code
                        0100109106,2023,62010,-5,A,+660
                        0101243150,2023,4711,2000,B,663

                        """),
                .init(
                    path: "=HYPERLINK(x)/transactions.csv",
                    text: """
                        transaction_id,date,amount,status,channel,seller_tax_code,seller_province,seller_district_code
                        T1,2023-06-01,100000000,completed,marketplace,,67,@SUM(1)
                        T2,2023-06-02,50000000,completed,marketplace,,67,-2
                        T3,2023-06-03,@x,completed,marketplace,,67,

                        """),
                .init(path: "grdp.csv", text: "year,grdp\n2023,51000\n"),
            ], format: .zip, as: "a.zip")
        let run = try fixture.grdp("run")
        try #require(run.status == 0, "\(run.stderr)")

        let districts = Self.rows(try Self.export(fixture, "--table", "by-district").stdout)
        #expect(districts.map { $0[1] } == ["district_code", "'+660", "'-2", "663", "'@SUM(1)"])
        #expect(districts[1][3] == "-0.005", "a negative number is a number, not a formula")

        let quarantine = Self.rows(try Self.export(fixture, "--table", "quarantine").stdout)
        #expect(quarantine[1][1] == "'=HYPERLINK(x)/transactions.csv")
        #expect(quarantine[1][5] == "amount '@x' is not a number in this member's format (en)")

        let targets = Self.rows(try Self.export(fixture).stdout)
        #expect(targets[1][9].hasPrefix("-"), "gap_pp stays a number: \(targets[1])")

        let json = try Self.export(fixture, "--table", "quarantine", "--format", "json").stdout
        #expect(json.contains("\"member_path\": \"=HYPERLINK(x)/transactions.csv\""))
    }

    /// An archive named on a Mac (NFD) and a quarantined value typed in NFD were published in NFD:
    /// the same name did not match, nor group with, its NFC spelling in the portal.
    @Test func exportedTextIsNFCWhateverTheReturnsSpelling() throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let archive = "Đắk_Mil.zip".decomposedStringWithCanonicalMapping
        let value = "Mười".decomposedStringWithCanonicalMapping
        try fixture.write(
            [
                .init(
                    path: "enterprise.csv",
                    text: "tax_code,year,vsic,value_added\n0100109106,2023,62010,1500\n0100109106,2023,62010,\(value)\n"
                ),
                .init(path: "grdp.csv", text: "year,grdp\n2023,51000\n"),
            ], format: .zip, as: archive)
        let run = try fixture.grdp("run")
        try #require(run.status == 0, "\(run.stderr)")
        for format in ["csv", "json", "md", "html"] {
            let text = try Self.export(fixture, "--table", "quarantine", "--format", format).stdout
            #expect(text == text.precomposedStringWithCanonicalMapping, "\(format) is not NFC")
            #expect(text.unicodeScalars.contains { $0 == "\u{1EAF}" }, "\(format): no precomposed ắ")
        }
        let csv = try Self.export(fixture, "--table", "quarantine").stdout
        #expect(
            Array(csv.utf8)
                == Array(
                    ("archive_path,member_path,line,kind,reason,detail\n"
                        + "Đắk_Mil.zip,enterprise.csv,3,enterprise,type-error,"
                        + "value_added 'Mười' is not a number in this member's format (en)\n")
                        .precomposedStringWithCanonicalMapping.utf8))
    }

    /// The components chart put 2021 and 2023 side by side, as if consecutive, when 2022 had no
    /// figures: every year of the span now has its slot, the empty one labelled and noted.
    @Test func htmlComponentsChartKeepsTheSlotOfAYearWithoutFigures() throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        try fixture.write(
            [
                .init(
                    path: "enterprise.csv",
                    text: "tax_code,year,vsic,value_added\n0100109106,2021,62010,1000\n0100109106,2023,62010,1500\n"),
                .init(path: "grdp.csv", text: "year,grdp\n2021,40000\n2023,51000\n"),
            ], format: .zip, as: "a.zip")
        let run = try fixture.grdp("run")
        try #require(run.status == 0, "\(run.stderr)")
        let html = try Self.export(fixture, "--format", "html").stdout
        let parts = try #require(html.components(separatedBy: "id=\"parts-title\"").last)
        let chart = try #require(parts.components(separatedBy: "</section>").first)
        func tickX(_ year: Int) -> Double? {
            let marker = "text-anchor=\"middle\">\(year)</text>"
            guard let line = chart.split(separator: "\n").first(where: { $0.contains(marker) && $0.contains("tick") }),
                let range = line.range(of: "x=\""),
                let end = line[range.upperBound...].firstIndex(of: "\"")
            else { return nil }
            return Double(line[range.upperBound..<end])
        }
        let x2021 = try #require(tickX(2021))
        let x2022 = try #require(tickX(2022), "no slot for 2022")
        let x2023 = try #require(tickX(2023))
        #expect(abs((x2022 - x2021) - (x2023 - x2022)) < 0.2)
        #expect(chart.contains("No figures in this snapshot for 2022."))
    }

    /// `--year 1999` of a snapshot without 1999 printed a header alone, silently, like a year
    /// with no figures; `--year` with the quarantine table was ignored silently.
    @Test func aYearTheSnapshotDoesNotHoldIsSaidOnStderr() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        let absent = try Self.export(fixture, "--year", "1999", "--year", "2023")
        #expect(absent.stdout.split(separator: "\n").count == 2)
        #expect(absent.stderr.contains("years=1999"), "\(absent.stderr)")
        let held = try Self.export(fixture, "--year", "2023")
        #expect(!held.stderr.contains("No row"), "\(held.stderr)")
        let quarantine = try Self.export(fixture, "--table", "quarantine", "--year", "2023")
        #expect(quarantine.stderr.contains("--year does not apply to the quarantine table"), "\(quarantine.stderr)")
    }

    /// `Int("+1")` is 1: `--snapshot v+1` exported v0001 instead of being refused.
    @Test(arguments: ["v+1", "+1", "v-0", "v 1"])
    func aSnapshotVersionThatIsNotDigitsIsAUsageError(_ version: String) throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        let export = try fixture.grdp("export", "--snapshot", version)
        #expect(export.status == 64, "\(export.stderr)")
        #expect(export.stdout.isEmpty)
    }
}
