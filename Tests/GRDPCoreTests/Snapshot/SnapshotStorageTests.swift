import Testing

@testable import GRDPCore

@Suite struct SnapshotStorageTests {
    @Test func storedDoublesReadBackAsTheRoundedFigures() {
        func back(_ value: Double, _ decimals: Int) -> String? {
            ExactDecimal(storedDouble: value, decimals: decimals)?.description
        }
        #expect(back(0.0043, 4) == "0.0043")
        #expect(back(-15.6685, 4) == "-15.6685")
        #expect(back(1e-05, 4) == "0.0000")
        #expect(back(0.0001, 4) == "0.0001")
        #expect(back(34567.8, 3) == "34567.800")
        #expect(back(1.25e16, 3) == "12500000000000000.000")
        #expect(back(0, 3) == "0.000")
        #expect(back(.nan, 3) == nil)
        #expect(back(.infinity, 3) == nil)
    }

    @Test func everyFigureOfUpToFifteenDigitsSurvivesAREALColumn() {
        // Published money has 3 decimals: up to 999 999 999 999.999 billion VND round-trips exactly.
        for text in ["999999999999.999", "123456789012.345", "-0.001", "0.005", "7400.205", "37000"] {
            let value = ExactDecimal(canonical: text)!
            #expect(ExactDecimal(storedDouble: value.doubleValue, decimals: 3) == value, "\(text)")
        }
    }

    @Test func exactAmountsAreStoredReduced() {
        #expect(ExactDecimal(canonical: "1.500")!.storageText == "1.5")
        #expect(ExactDecimal(canonical: "100")!.storageText == "100")
        #expect(ExactDecimal(canonical: "-0.250")!.storageText == "-0.25")
        #expect(ExactDecimal(canonical: "0.000")!.storageText == "0")
    }

    @Test func schemaHasTheContractTablesAndColumns() {
        let tables = Dictionary(
            uniqueKeysWithValues: SnapshotSchema.contentTables.map { ($0.name, $0.columnNames) })
        #expect(tables["source_archive"] == ["path", "sha256", "bytes", "status", "reason"])
        #expect(
            tables["source_member"] == [
                "archive_path", "member_path", "kind", "rows_read", "rows_accepted", "rows_quarantined",
                "rows_superseded", "rows_excluded",
            ])
        #expect(
            tables["enterprise"] == [
                "tax_code", "year", "name", "vsic", "section", "district_code", "value_added_mvnd", "is_core",
                "archive_path", "member_path", "line",
            ])
        #expect(
            tables["ecommerce_sales"] == [
                "year", "month", "channel", "seller_tax_code", "seller_district_code", "transactions", "net_vnd",
                "va_vnd", "counted",
            ])
        #expect(tables["grdp"] == ["year", "grdp_bvnd", "archive_path", "member_path", "line"])
        #expect(
            tables["indicator"] == [
                "year", "grdp_bvnd", "core_bvnd", "ecommerce_bvnd", "digitised_bvnd", "de_bvnd", "share_pct",
                "target_pct", "target_kind", "gap_pp", "status",
            ])
        #expect(
            tables["indicator_by_district"] == [
                "year", "district_code", "core_bvnd", "ecommerce_bvnd", "digitised_bvnd", "de_bvnd",
            ])
        #expect(
            tables["quarantine"] == ["archive_path", "member_path", "line", "kind", "reason", "detail", "raw"])
        #expect(tables["target_point"] == ["year", "share_pct", "source"])
        #expect(tables["district"] == ["code", "name"])
        #expect(SnapshotSchema.meta.columnNames == ["key", "value"])
    }

    @Test func immutableURIsEscapeReservedAndNonASCIIBytes() {
        #expect(Database.immutableURI("/a b/c.sqlite") == "file:/a b/c.sqlite?mode=ro&immutable=1")
        #expect(Database.immutableURI("/x?#%/ắ") == "file:/x%3F%23%25/%E1%BA%AF?mode=ro&immutable=1")
    }
}
