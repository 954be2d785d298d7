import Foundation
import Testing

@testable import GRDPCore

@Suite struct ExporterTests {
    let content = SnapshotFixtures.content()
    let meta = SnapshotFixtures.meta()

    private func render(_ table: ExportTable, _ format: ExportFormat, years: Set<Int>? = nil) throws -> String {
        try Exporter.render(table, format: format, content: content, meta: meta, years: years)
    }

    @Test func targetVsActualCSVIsExact() throws {
        // Money with 3 decimals, percentages and points with 4, empty cells for missing values
        // (2025 has no GRDP row), LF line endings.
        let expected = """
            year,grdp_bvnd,core_bvnd,ecommerce_bvnd,digitised_bvnd,de_bvnd,share_pct,target_pct,target_kind,gap_pp,status
            2023,34567.800,1.501,0.000,0.000,1.501,0.0043,12.6560,interpolated,-12.6517,behind
            2024,37000.000,7400.125,0.080,0.000,7400.205,20.0005,16.3280,interpolated,3.6725,met
            2025,,12.500,0.000,0.300,12.800,,20.0000,explicit,,no-grdp

            """
        #expect(try render(.targetVsActual, .csv) == expected)
        #expect(try !render(.targetVsActual, .csv).contains("\r"))
    }

    @Test func byDistrictCSVQuotesANameWithAComma() throws {
        let expected = """
            year,district_code,district_name,core_bvnd,ecommerce_bvnd,digitised_bvnd,de_bvnd
            2023,660,Gia Nghĩa,1.501,0.000,0.000,1.501
            2024,660,Gia Nghĩa,7400.125,0.000,0.000,7400.125
            2024,661,"Đắk Glong, huyện",0.000,0.000,0.000,0.000
            2024,unknown,,0.000,0.080,0.000,0.080

            """
        #expect(try render(.byDistrict, .csv) == expected)
    }

    @Test func quarantineCSVIsOrderedByLineNumberAndQuoted() throws {
        // Line 7 before line 12 (numeric, not text order); quotes doubled inside a quoted field.
        let expected = """
            archive_path,member_path,line,kind,reason,detail
            2024-03-01_giaphat.zip,transactions.csv,7,transaction,type-error,"amount '1.234,5.6' is not a number"
            2024-03-01_giaphat.zip,transactions.csv,12,transaction,unknown-status,"status ""lost"" is unknown"

            """
        var reversed = content
        reversed.quarantine.reverse()
        #expect(try Exporter.render(.quarantine, format: .csv, content: reversed, meta: meta, years: nil) == expected)
        // The year filter does not apply to the quarantine.
        #expect(try render(.quarantine, .csv, years: [1999]) == expected)
    }

    @Test func rowsAreOrderedWhateverTheContentOrder() throws {
        var reversed = content
        reversed.indicators.reverse()
        reversed.districtIndicators.reverse()
        for table in ExportTable.allCases {
            for format in ExportFormat.allCases {
                #expect(
                    try Exporter.render(table, format: format, content: reversed, meta: meta, years: nil)
                        == render(table, format), "\(table) \(format)")
            }
        }
    }

    @Test func yearFilterAppliesToPerYearTables() throws {
        let targets = try render(.targetVsActual, .csv, years: [2024])
        #expect(
            targets == """
                year,grdp_bvnd,core_bvnd,ecommerce_bvnd,digitised_bvnd,de_bvnd,share_pct,target_pct,target_kind,gap_pp,status
                2024,37000.000,7400.125,0.080,0.000,7400.205,20.0005,16.3280,interpolated,3.6725,met

                """)
        let districts = try render(.byDistrict, .csv, years: [2023, 2025])
        #expect(districts.split(separator: "\n").count == 2)
        #expect(districts.hasSuffix("2023,660,Gia Nghĩa,1.501,0.000,0.000,1.501\n"))
        #expect(try render(.targetVsActual, .csv, years: [1990]).split(separator: "\n").count == 1)
    }

    @Test func csvEscaping() throws {
        #expect(Escape.csv("plain") == "plain")
        #expect(Escape.csv("a,b") == "\"a,b\"")
        #expect(Escape.csv("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(Escape.csv("two\nlines") == "\"two\nlines\"")
        #expect(Escape.csv("cr\r") == "\"cr\r\"")
        #expect(Escape.csv("") == "")
    }

    /// Texts with nothing to escape are returned as they are (a fast path over the bytes); one
    /// character that needs escaping anywhere sends the text the long way.
    @Test func jsonHTMLAndMarkdownEscapeEveryCharacterThatNeedsIt() throws {
        for plain in ["", "plain", "Đắk Nông, 660", "a=b; (x) {y} 100%"] {
            #expect(Escape.json(plain) == "\"" + plain + "\"")
            #expect(Escape.html(plain) == plain)
            #expect(Escape.markdownCell(plain) == plain)
        }
        #expect(Escape.json("Đắk \"x\" \\ y") == #""Đắk \"x\" \\ y""#)
        #expect(Escape.json("a\u{2028}b\u{2029}c") == #""a\u2028b\u2029c""#)
        #expect(Escape.json("tab\tnl\ncr\r\u{01}") == #""tab\tnl\ncr\r\u0001""#)
        #expect(Escape.json("– em‑dash, ₫") == "\"– em‑dash, ₫\"")
        #expect(Escape.html("Đắk <b> & \"x\" 'y'") == "Đắk &lt;b&gt; &amp; &quot;x&quot; &#39;y&#39;")
        #expect(Escape.html("a\u{01}b\tc\nd") == "a\u{FFFD}b\tc\nd")
        #expect(Escape.markdownCell("district_code") == "district_code")
        #expect(Escape.markdownCell("_x | y*") == "\\_x \\| y\\*")
        #expect(Escape.markdownCell("two\nlines\r") == "two lines ")
        #expect(Escape.markdownCell("Đắk [a] #1 ~b~ `c` <d>") == "Đắk \\[a\\] \\#1 \\~b\\~ \\`c\\` \\<d\\>")
        // A bare URL from a return would be a live link on GitHub (export audit 39, L5).
        #expect(
            Escape.markdownCell("see http://evil.example/x, WWW.evil.example or www.x")
                == "see http\\://evil.example/x, WWW\\.evil.example or www\\.x")
        #expect(Escape.markdownCell("10:30 a.b www") == "10:30 a.b www")
        #expect(Escape.markdownCell("a:/b ww.c :// Www.d") == "a:/b ww.c \\:// Www\\.d")
        #expect(Escape.markdownCell("a:/b ww.c w.ww") == "a:/b ww.c w.ww")
        // An entity would be read as the character it names (export audit 31, L1).
        #expect(Escape.markdownCell("A&amp;B &lt;") == "A\\&amp;B \\&lt;")
    }

    /// A control character from a return (an escape sequence in a district code, a NUL in a
    /// quarantined line) would drive the terminal a CSV export is printed on, or stop a CSV
    /// reader: CSV, Markdown and HTML give U+FFFD for each, the same text in all three; JSON
    /// escapes it; TAB, LF and CR are kept, as each format writes them (export audit 31, M3).
    @Test func controlCharactersArePrintableAndTheSameInEveryTextFormat() throws {
        let hostile = "esc\u{1B}[31mRED\u{1B}[0m nul\u{0}x del\u{7F} c1\u{85}\u{9B}2J tab\tend"
        let shown = "esc\u{FFFD}[31mRED\u{FFFD}[0m nul\u{FFFD}x del\u{FFFD} c1\u{FFFD}\u{FFFD}2J tab\tend"
        #expect(Escape.printable(hostile) == shown)
        #expect(Escape.csv(hostile) == shown)
        #expect(Escape.csvText(hostile) == shown)
        #expect(Escape.markdownCell(hostile) == shown.replacingOccurrences(of: "[", with: "\\["))
        #expect(Escape.html(hostile) == shown)
        #expect(Escape.json(hostile).contains("\\u001b[31mRED"))
        // Quoted when it must be, after the replacement; text around C1's lead byte is kept.
        #expect(Escape.csv("a,\u{1B}\"") == "\"a,\u{FFFD}\"\"\"")
        #expect(Escape.csv("25 °C · «x» \u{A0}") == "25 °C · «x» \u{A0}")
        #expect(Escape.html("25 °C\u{85}") == "25 °C\u{FFFD}")

        var edited = content
        edited.districtIndicators[0].districtCode = "66\u{1B}0;title\u{7}0"
        for format in [ExportFormat.csv, .md, .html] {
            let text = try Exporter.render(.byDistrict, format: format, content: edited, meta: meta, years: nil)
            #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(format)")
            #expect(text.contains("66\u{FFFD}0;title\u{FFFD}0"), "\(format)")
        }
    }

    /// A bidi override or isolate left open in a value from a return shows the rest of the line
    /// reversed in a terminal or a text viewer (export audit 39, L7): CSV, Markdown and HTML give
    /// U+FFFD for each, a log line writes it out, JSON escapes it and reads back exact. Other text
    /// of U+2000–U+2FFF (dashes, ellipsis, the đồng sign) is kept.
    @Test func bidiControlsAreShownAsReplacementsAndJSONKeepsThem() throws {
        let hostile =
            "year '\u{202E}4202\u{202C}' lri\u{2066}x\u{2069} lre\u{202A} rle\u{202B} lro\u{202D} fsi\u{2068} "
            + "rli\u{2067}"
        let shown =
            "year '\u{FFFD}4202\u{FFFD}' lri\u{FFFD}x\u{FFFD} lre\u{FFFD} rle\u{FFFD} lro\u{FFFD} fsi\u{FFFD} "
            + "rli\u{FFFD}"
        #expect(Escape.printable(hostile) == shown)
        #expect(Escape.csv(hostile) == shown)
        #expect(Escape.csvText(hostile) == shown)
        #expect(Escape.markdownCell(hostile) == shown)
        #expect(Escape.html(hostile) == shown.replacingOccurrences(of: "'", with: "&#39;"))
        #expect(Escape.controls("a\u{202E}b") == #"a\u202eb"#)
        let json = Escape.json(hostile)
        #expect(json.contains(#"'\u202e4202\u202c'"#) && !json.unicodeScalars.contains { $0.value == 0x202E })
        let decoded = try JSONSerialization.jsonObject(with: Data("[\(json)]".utf8)) as? [String]
        #expect(decoded == [hostile])
        let kept = "– … ₫ ‰ € ← 2024–2025 Đắk Nông"
        for escaped in [Escape.csv(kept), Escape.markdownCell(kept), Escape.html(kept), Escape.controls(kept)] {
            #expect(escaped == kept)
        }
        #expect(Escape.json(kept) == "\"" + kept + "\"")

        var edited = content
        edited.districtIndicators[0].districtCode = "66\u{202E}0"
        for format in [ExportFormat.csv, .md, .html] {
            let text = try Exporter.render(.byDistrict, format: format, content: edited, meta: meta, years: nil)
            #expect(!text.unicodeScalars.contains { $0.value == 0x202E }, "\(format)")
            #expect(text.contains("66\u{FFFD}0"), "\(format)")
        }
    }

    @Test func csvTextThatASpreadsheetWouldRunGetsAQuote() throws {
        #expect(Escape.csvText("=1+1") == "'=1+1")
        #expect(Escape.csvText("+660") == "'+660")
        #expect(Escape.csvText("-2") == "'-2")
        #expect(Escape.csvText("@SUM(A1)") == "'@SUM(A1)")
        #expect(Escape.csvText("\tx") == "'\tx")
        #expect(Escape.csvText("=A1,\"x\"") == "\"'=A1,\"\"x\"\"\"")
        #expect(Escape.csvText("a=b") == "a=b")
        #expect(Escape.csvText("") == "")
        // A text that starts with the quote gets one more: `-5` and `'-5` stay two codes, and
        // taking one `'` off gives each back (export audit 31, M2).
        #expect(Escape.csvText("'-5") == "''-5")
        #expect(Escape.csvText("'x") == "''x")
        #expect(Escape.csvText("-5") != Escape.csvText("'-5"))
        #expect(Escape.csvText("x'") == "x'")
    }

    @Test func jsonParsesWithNumbersAndNulls() throws {
        let text = try render(.targetVsActual, .json)
        let object = try #require(
            JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["snapshot"] as? String == "v0007")
        #expect(object["snapshot_version"] as? Int == 7)
        #expect(object["content_sha256"] as? String == meta.contentSHA256)
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.count == 3)
        #expect(rows[0]["year"] as? Int == 2023)
        #expect((rows[1]["share_pct"] as? NSNumber)?.doubleValue == 20.0005)
        #expect(rows[2]["grdp_bvnd"] is NSNull)
        #expect(rows[2]["status"] as? String == "no-grdp")
        // Numbers are printed with their fixed decimals.
        #expect(text.contains("\"grdp_bvnd\": 34567.800"))
        #expect(text.contains("\"gap_pp\": -12.6517"))
        #expect(text.contains("\"target_pct\": 20.0000"))
    }

    @Test func jsonOfEveryTableParses() throws {
        var hostile = content
        hostile.quarantine[0].detail = "tab\there, newline\nand \u{1} control, backslash \\ and \"quote\""
        for table in ExportTable.allCases {
            let text = try Exporter.render(table, format: .json, content: hostile, meta: meta, years: nil)
            let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(object["table"] as? String == table.rawValue)
        }
        let text = try Exporter.render(.quarantine, format: .json, content: hostile, meta: meta, years: nil)
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows[0]["detail"] as? String == hostile.quarantine[0].detail)
        let empty = try Exporter.render(.quarantine, format: .json, content: SnapshotContent(), meta: meta, years: nil)
        let emptyObject = try #require(JSONSerialization.jsonObject(with: Data(empty.utf8)) as? [String: Any])
        #expect((emptyObject["rows"] as? [Any])?.isEmpty == true)
    }

    @Test func markdownHasATitleAndATable() throws {
        let text = try render(.byDistrict, .md)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "# Digital-economy value added by district (snapshot v0007)")
        #expect(
            lines[2]
                == "| year | district_code | district_name | core_bvnd | ecommerce_bvnd | digitised_bvnd | de_bvnd |")
        #expect(lines[3] == "| ---: | --- | --- | ---: | ---: | ---: | ---: |")
        #expect(lines[4] == "| 2023 | 660 | Gia Nghĩa | 1.501 | 0.000 | 0.000 | 1.501 |")
        #expect(text.contains(meta.contentSHA256))
        #expect(Escape.markdownCell("a|b\nc") == "a\\|b c")
        #expect(Escape.markdownCell("12\r\n34\r5\n\n6") == "12 34 5  6")
    }

    /// Years come from returns of 1990–2100; a snapshot edited to hold a year far from the others
    /// (10^15, or the ends of Int) gets a page without the share chart, where drawing its axis
    /// once tried to allocate petabytes or trapped counting the span.
    @Test(arguments: [1_000_000_000_000_000, Int.max, Int.min])
    func htmlOfYearsTooFarApartHasNoShareChart(_ far: Int) throws {
        var edited = content
        var row = try #require(edited.indicators.first)
        row.year = far
        edited.indicators.append(row)
        let html = try Exporter.render(.targetVsActual, format: .html, content: edited, meta: meta, years: nil)
        #expect(html.contains("<p class=\"empty\">No chart: the years run from "), "\(far)")
        #expect(html.contains("\(far)"))
        for table in [ExportTable.byDistrict, .quarantine] {
            _ = try Exporter.render(table, format: .html, content: edited, meta: meta, years: nil)
        }
    }

    @Test func htmlIsSelfContainedWithChartsAndEscapedText() throws {
        var hostile = content
        hostile.districts[0].name = "<script>alert(1)</script> & Co"
        hostile.sourceArchives[0].path = "2024/\"quoted\" <b>.zip"
        let html = try Exporter.render(.targetVsActual, format: .html, content: hostile, meta: meta, years: nil)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<svg"))
        #expect(html.components(separatedBy: "<svg").count == 3)
        #expect(html.contains("<style>"))
        // Nothing fetched from the network, no script.
        #expect(!html.contains("<script"))
        #expect(!html.contains("src="))
        #expect(!html.contains("href="))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"))
        #expect(html.contains("2024/&quot;quoted&quot; &lt;b&gt;.zip"))
        // Snapshot version, provenance and quarantine summary.
        #expect(html.contains("v0007"))
        #expect(html.contains(String(repeating: "ab", count: 32)))
        #expect(html.contains("<td>type-error</td><td class=\"num\">1</td>"))
        #expect(html.contains("<td>unknown-status</td><td class=\"num\">1</td>"))
        // Explicit target points are drawn, and the interpolated trajectory through them.
        #expect(html.components(separatedBy: "class=\"target-point\"").count == 4)
        #expect(html.contains("class=\"target-line\""))
        #expect(html.contains("class=\"actual-line\""))
        // The headline names the latest year with a share.
        #expect(
            html.contains(
                "In 2024 the digital economy was <strong>20.0005 %</strong> of GRDP against a target of 16.3280 % "
                    + "(interpolated): <span class=\"status-met\">met</span>, 3.6725 percentage points above it."))
    }

    /// The latest share's label stays inside the chart (export audit 39, L4): with no target
    /// point after the latest year it sits at the right edge, and a share at the top of the scale
    /// at the top; it then goes left of its dot, or below it.
    @Test func theLatestSharesLabelStaysInsideTheChart() throws {
        func label(_ content: SnapshotContent) throws -> (x: Double, y: Double, end: Bool, text: String) {
            let html = try Exporter.render(.targetVsActual, format: .html, content: content, meta: meta, years: nil)
            let line = try #require(html.split(separator: "\n").first { $0.hasPrefix("<text class=\"value\"") })
            func number(_ name: String) throws -> Double {
                let start = try #require(line.range(of: " \(name)=\"")).upperBound
                return try #require(Double(line[start...].prefix { $0 != "\"" }))
            }
            let text = line.split(separator: ">")[1].split(separator: "<")[0]
            return (try number("x"), try number("y"), line.contains("text-anchor=\"end\""), String(text))
        }
        let latest = try #require(content.indicators.last { $0.sharePct != nil })
        var atTheEdge = content
        atTheEdge.targetPoints.removeAll { $0.year > latest.year }
        atTheEdge.indicators.removeAll { $0.year > latest.year }
        let edge = try label(atTheEdge)
        #expect(edge.end && edge.x <= 720 - 20 && edge.x - Double(edge.text.count) * 8 >= 0, "\(edge)")
        let inside = try label(content)
        #expect(!inside.end && inside.x + Double(inside.text.count) * 8 <= 720, "\(inside)")
        // 20 % at the top of a scale of 0–20 %: its dot at the plot's top (y 16), the label below.
        var top = atTheEdge
        top.targetPoints.removeAll()
        let last = try #require(top.indicators.lastIndex { $0.sharePct != nil })
        top.indicators[last].sharePct = ExactDecimal(20)
        let topmost = try label(top)
        #expect(topmost.text == "20.00 %" && topmost.y == 36, "\(topmost)")
    }

    /// A share exactly on its target is said in words, not as "0.0000 percentage points above it";
    /// a total of under 10 billion VND keeps two significant digits above its bar (2023's 1.501
    /// read "2", and a province's 0.109 read "0" above a visible bar).
    /// HTML groups thousands by a narrow no-break space, never a comma or a point: `1,123.848`
    /// reads as 1.123848 thousand to a reader used to the decimal comma.
    @Test func htmlGroupsThousandsByANarrowSpace() throws {
        let space = "\u{202F}"
        let cases = [
            "38800.000": "38\(space)800.000", "-1234.5": "-1\(space)234.5", "999": "999", "1000": "1\(space)000",
            "1234567.0001": "1\(space)234\(space)567.0001", "n/a": "n/a", "": "",
        ]
        for (number, shown) in cases { #expect(HTMLReport.grouped(number) == shown, "\(number)") }
        let html = try Exporter.render(.targetVsActual, format: .html, content: content, meta: meta, years: nil)
        let cells = html.split(separator: "<td").map(String.init).filter { $0.contains(space) }
        #expect(!cells.isEmpty)
        // No figure (a cell's or a label's text) grouped by a comma; SVG coordinates are `x,y`.
        #expect(html.range(of: #">-?\d{1,3},\d{3}"#, options: .regularExpression) == nil)
    }

    @Test func htmlSaysAGapOfZeroInWordsAndSmallTotalsWithTheirDigits() throws {
        var onTarget = content
        let last = try #require(onTarget.indicators.lastIndex { $0.sharePct != nil })
        onTarget.indicators[last].targetPct = onTarget.indicators[last].sharePct
        onTarget.indicators[last].gapPp = .zero
        let html = try Exporter.render(.targetVsActual, format: .html, content: onTarget, meta: meta, years: nil)
        #expect(html.contains("<span class=\"status-met\">met</span>, on it to 4 decimals."))
        #expect(!html.contains("0.0000 percentage points"))
        // Behind by less than the last decimal: the status, decided on the unrounded figures, is
        // not contradicted ("behind, exactly on it" before; export audit 31, L3).
        onTarget.indicators[last].status = .behind
        let behind = try Exporter.render(.targetVsActual, format: .html, content: onTarget, meta: meta, years: nil)
        #expect(
            behind.contains(
                "<span class=\"status-behind\">behind</span>, below it by less than 0.0001 percentage points."))
        #expect(html.contains("text-anchor=\"middle\">1.5</text>"))
        #expect(html.contains("text-anchor=\"middle\">7\u{202F}400</text>"))
        let totals = ["0.109": "0.11", "0.0449": "0.045", "5.25": "5.2", "9.96": "10.0", "10": "10", "-0.5": "-0.50"]
        for (total, shown) in totals {
            #expect(HTMLReport.barTotal(try #require(ExactDecimal(canonical: total))) == shown, "\(total)")
        }
    }

    /// `run --year` keeps the other years' rows as they were (CONTRACT §7), targets and all, while
    /// `target_point` holds the config's points now: the chart drew the new trajectory beside a
    /// table of the old targets, 2023 at 24.66 % in one and 12.6560 % in the other (export audit
    /// 31, H1). The table's targets that are not on the trajectory are drawn, outlined, and said.
    @Test func htmlDrawsAndSaysTableTargetsThatAreNotOnTheTrajectory() throws {
        let consistent = try render(.targetVsActual, .html)
        #expect(!consistent.contains("target-kept"))
        #expect(!consistent.contains("not on the trajectory"))

        var edited = content
        // The 2025 point moved from 20 to 40: 2023 and 2024 (interpolated) were computed with the
        // old one; 2025 (explicit) is recomputed, as `run --year 2025` would.
        edited.targetPoints[1].sharePct = try #require(ExactDecimal(canonical: "40"))
        let last = try #require(edited.indicators.firstIndex { $0.year == 2025 })
        edited.indicators[last].targetPct = edited.targetPoints[1].sharePct
        let html = try Exporter.render(.targetVsActual, format: .html, content: edited, meta: meta, years: nil)
        #expect(html.components(separatedBy: "class=\"target-kept\"").count == 3)
        #expect(html.contains("<title>Target 2023 in the table: 12.6560 % (interpolated), from other target points"))
        #expect(html.contains("<title>Target 2024 in the table: 16.3280 % (interpolated), from other target points"))
        #expect(html.contains("The table's targets for 2023, 2024 are not on the trajectory drawn"))
        // The table itself keeps what the snapshot says.
        #expect(html.contains("16.3280"))
        // Only the years shown are looked at.
        let one = try Exporter.render(.targetVsActual, format: .html, content: edited, meta: meta, years: [2025])
        #expect(!one.contains("target-kept"))
    }

    /// A target point's tooltip gives it as the table publishes it, 4 decimals half-to-even, not
    /// as configured (`6.60005` was shown beside a table of `6.6000`; export audit 31, M1).
    @Test func htmlTargetPointsAreRoundedAsTheTableIs() throws {
        var edited = content
        edited.targetPoints[0].sharePct = try #require(ExactDecimal(canonical: "1.64005"))
        let html = try Exporter.render(.targetVsActual, format: .html, content: edited, meta: meta, years: nil)
        #expect(html.contains("<title>Target 2020: 1.6400 % ("), "\(html)")
        #expect(html.contains("<title>Target 2025: 20.0000 % ("))
        #expect(!html.contains("1.64005"))
    }

    /// The province is named in every export but the CSV (the data portal's table), from the
    /// snapshot's `region_code` and `region_name`: the published page never said which province
    /// it was of (export audit 31, L4). A snapshot of an earlier grdp, without them, names none.
    @Test func exportsNameTheRegionOfTheSnapshot() throws {
        var named = meta
        named.region = SnapshotMeta.Region(code: "67", name: "Đắk Nông")
        func render(_ format: ExportFormat, _ meta: SnapshotMeta) throws -> String {
            try Exporter.render(.targetVsActual, format: format, content: content, meta: meta, years: nil)
        }
        let html = try render(.html, named)
        #expect(
            html.contains(
                "<title>Digital economy share of GRDP: target vs actual — Đắk Nông (province 67) — snapshot v0007</title>"
            ))
        #expect(html.contains("<p class=\"meta\"><strong>Đắk Nông (province 67)</strong> · Snapshot"))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(try render(.json, named).utf8)) as? [String: Any])
        #expect((json["region"] as? [String: String]) == ["code": "67", "name": "Đắk Nông"])
        #expect(
            try render(.md, named).hasPrefix("# ")
                && render(.md, named).contains(", Đắk Nông (province 67) (snapshot v0007)\n"))
        #expect(try render(.csv, named) == render(.csv, meta))
        let package = Exporter.dataPackage(tables: [.targetVsActual], meta: named)
        #expect(package.contains("\"title\": \"Digital-economy indicators of Đắk Nông (province 67), snapshot v0007\""))
        // Without a name, the code; without either (an earlier grdp's snapshot), nothing.
        named.region?.name = ""
        #expect(try render(.html, named).contains("<strong>province 67</strong> · Snapshot"))
        #expect(try !render(.html, meta).contains("province 67"))
        #expect(try render(.json, meta).contains("\"region\"") == false)
    }

    @Test func htmlForTheQuarantineListsEveryRow() throws {
        let html = try render(.quarantine, .html)
        #expect(html.contains("<svg") == false)
        #expect(html.contains("status &quot;lost&quot; is unknown"))
    }

    @Test func htmlOfAnEmptySnapshotRenders() throws {
        let html = try Exporter.render(
            .targetVsActual, format: .html, content: SnapshotContent(), meta: meta, years: nil)
        #expect(html.contains("No years to show."))
        #expect(html.contains("No rows were quarantined."))
    }

    @Test func outputIsDeterministic() throws {
        for table in ExportTable.allCases {
            for format in ExportFormat.allCases {
                #expect(try render(table, format) == render(table, format))
            }
        }
    }

    @Test func exportsFromAPublishedSnapshotEqualExportsFromTheContent() throws {
        let folder = try SnapshotFixtures.temporaryFolder()
        defer { SnapshotFixtures.remove(folder) }
        let file = try SnapshotFixtures.publishedFile(content, in: folder)
        let loaded = try file.loadContent()
        for table in ExportTable.allCases {
            for format in ExportFormat.allCases {
                #expect(
                    try Exporter.render(table, format: format, content: loaded, meta: file.meta, years: nil)
                        == Exporter.render(table, format: format, content: content, meta: file.meta, years: nil))
            }
        }
    }

    @Test func dataPackageDescribesTheCSVColumns() throws {
        let text = Exporter.dataPackage(tables: [.targetVsActual, .byDistrict, .quarantine], meta: meta)
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["profile"] as? String == "tabular-data-package")
        let snapshot = try #require(object["grdp_snapshot"] as? [String: Any])
        #expect(snapshot["content_sha256"] as? String == meta.contentSHA256)
        #expect(snapshot["label"] as? String == "v0007")
        let resources = try #require(object["resources"] as? [[String: Any]])
        #expect(
            resources.map { $0["path"] as? String } == ["target-vs-actual.csv", "by-district.csv", "quarantine.csv"])
        for (resource, table) in zip(resources, ExportTable.allCases) {
            let schema = try #require(resource["schema"] as? [String: Any])
            let fields = try #require(schema["fields"] as? [[String: Any]])
            let header = try render(table, .csv).split(separator: "\n")[0]
            #expect(fields.compactMap { $0["name"] as? String }.joined(separator: ",") == header)
        }
        let fields = try #require(
            ((resources[0]["schema"] as? [String: Any])?["fields"] as? [[String: Any]]))
        #expect(fields[1]["type"] as? String == "number")
        #expect(fields[1]["unit"] as? String == "billion VND")
        #expect(fields[0]["type"] as? String == "integer")
        #expect(
            (fields[8]["constraints"] as? [String: Any])?["enum"] as? [String] == ["explicit", "interpolated", "none"])
    }

    @Test func chartTicksAreNice() throws {
        let ticks = SVGChart.Ticks(low: 0, high: 23.4)
        #expect(ticks.mantissa == 5 && ticks.exponent == 0)
        #expect(ticks.values.map(ticks.label) == ["0", "5", "10", "15", "20", "25"])
        let small = SVGChart.Ticks(low: 0, high: 0.8)
        #expect(small.values.map(small.label) == ["0", "0.2", "0.4", "0.6", "0.8"])
        let large = SVGChart.Ticks(low: -1200, high: 7400)
        #expect(large.values.map(large.label).first == "-2000")
        #expect(large.values.map(large.label).last == "8000")
        #expect(SVGChart.number(12.345) == "12.3")
        #expect(SVGChart.number(-0.04) == "0")
        #expect(SVGChart.number(-3.25) == "-3.3" || SVGChart.number(-3.25) == "-3.2")
    }
}
