import Foundation
import GRDPCore
import Testing

/// `grdp diff` between snapshots whose years differ, with the real binary.
@Suite struct DiffYearsTests {
    /// A return bringing 2025 was diffed as `Years added: 2025` and nothing else: the new year's
    /// GRDP, share and status, the figures the diff is read for, were in no format.
    @Test func aYearAddedIsListedWithItsFigures() throws {
        let fixture = try Fixture.withFirstReturnPublished()
        defer { fixture.remove() }
        try fixture.write([.init(path: "grdp.csv", text: "year,grdp\n2025,60000\n")], format: .zip, as: "b.zip")
        let run = try fixture.grdp("run")
        try #require(run.status == 0, "\(run.stderr)")

        let csv = try fixture.grdp("diff", "v1", "v2", "--format", "csv")
        #expect(csv.status == 0)
        #expect(
            csv.stdout == """
                year,column,old,new,change
                2025,year,,added,
                2025,grdp_bvnd,,60000.000,
                2025,core_bvnd,,0.000,
                2025,ecommerce_bvnd,,0.000,
                2025,digitised_bvnd,,0.000,
                2025,de_bvnd,,0.000,
                2025,share_pct,,0.0000,
                2025,target_pct,,20.0000,
                2025,target_kind,,explicit,
                2025,gap_pp,,-20.0000,
                2025,status,,behind,

                """)

        let text = try fixture.grdp("diff", "v1", "v2")
        #expect(text.stdout.contains("  2025  status            –     behind\n"), "\(text.stdout)")
        #expect(text.stdout.contains("Years added: 2025\n"))

        let data = Data(try fixture.grdp("diff", "v1", "v2", "--format", "json").stdout.utf8)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["years_added"] as? [Int] == [2025])
        let changes = try #require(json["changes"] as? [[String: Any]])
        let share = try #require(changes.first { $0["column"] as? String == "share_pct" })
        #expect(share["old"] is NSNull && share["new"] as? String == "0.0000" && share["year"] as? Int == 2025)

        // The other way round, the year is removed: its figures on the old side.
        let back = try fixture.grdp("diff", "v2", "v1", "--format", "csv")
        #expect(back.stdout.contains("2025,year,removed,,\n2025,grdp_bvnd,60000.000,,\n"), "\(back.stdout)")
    }
}
