internal import Foundation

/// The generated `pipeline.yml`: a complete, commented configuration (CONTRACT §2) for the
/// generated returns.
extension ReturnsGenerator {
    func pipelineYAML(_ dataset: SyntheticDataset) -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        let districts = SyntheticCatalog.districts.map { "    \(quoted($0.code)): \(quoted($0.name))" }
        var statusLines: [String] = []
        var seen: Set<String> = []
        for status in TransactionStatus.allCases {
            for spelling in SyntheticCatalog.vietnameseSpellings[status]!
            where seen.insert(normalisedKey(spelling)).inserted {
                statusLines.append("    \(quoted(spelling)): \(status.rawValue)")
            }
        }
        let rates = dataset.years.map { "\($0): \(SyntheticCatalog.usdRate($0))" }.joined(separator: ", ")
        let channels = SyntheticCatalog.channelRatios.map { "\($0.channel): \($0.text)" }.joined(separator: ", ")
        let coefficients = SyntheticCatalog.digitisedCoefficients.map { "\($0.section): \($0.text)" }
            .joined(separator: ", ")
        let o = options
        // The calibration year (`SyntheticCatalog`) is only in the data when the years hold it.
        let calibration =
            o.years.contains(2022)
            ? """
            # Calibrated to published Đắk Nông figures: GRDP at current prices about 47,300 billion VND
            # in 2022 and a digital-economy share near 6.6 % that year. Not real data.
            """
            : """
            # Scaled from published Đắk Nông figures (GRDP at current prices about 47,300 billion VND in
            # 2022); these years do not hold 2022, so their figures are extrapolated. Not real data.
            """

        return """
            # pipeline.yml for synthetic returns written by `grdp generate`
            #   seed \(o.seed), years \(o.years.lowerBound)-\(o.years.upperBound), \(o.enterprises) enterprises, \(o.transactions) transactions
            \(calibration)
            version: 1

            region:
              code: "67"                   # GSO province code of Đắk Nông
              name: "Đắk Nông"
              utc_offset: "+07:00"         # timestamps without an offset are Vietnam time
              districts:
            \(districts.joined(separator: "\n"))

            inputs:
              returns: returns             # relative to this file
              exclude: []
              number_format: auto          # each member decides: `;` exports are vi (1.234.567,5), others en
              kinds:                       # the defaults, spelled out
                enterprise: ["enterprise*.csv"]
                transaction: ["transaction*.csv", "ecommerce*.csv"]
                grdp: ["grdp*.csv"]
              columns:                     # Vietnamese headers of the district and social-commerce exports
                enterprise:
                  tax_code: ["MST", "Mã số thuế"]
                  name: ["Tên doanh nghiệp"]
                  vsic: ["Mã ngành VSIC"]
                  district_code: ["Mã huyện"]
                  employees: ["Số lao động"]
                  value_added: ["Giá trị tăng thêm"]
                  year: ["Năm"]
                transaction:
                  transaction_id: ["Mã đơn hàng"]
                  date: ["Ngày đặt"]
                  channel: ["Kênh"]
                  seller_tax_code: ["MST người bán"]
                  seller_province: ["Tỉnh người bán"]
                  seller_district_code: ["Huyện người bán"]
                  amount: ["Giá trị đơn hàng"]
                  refund_amount: ["Tiền hoàn"]
                  status: ["Trạng thái"]
              statuses:                    # Vietnamese spellings (English ones are built in)
            \(statusLines.joined(separator: "\n"))
              fx:                          # annual average VND per USD
                USD: {\(rates)}

            limits:
              max_member_bytes: 2147483648   # 2 GiB uncompressed per member
              max_compression_ratio: 200

            quality:
              max_quarantine_ratio: 0.01

            outputs:
              folder: Outputs
              keep_snapshots: 0            # keep all
              exports:
                - {table: target-vs-actual, format: csv}
                - {table: target-vs-actual, format: html}

            methodology:
              core_vsic_prefixes: ["26", "4651", "4652", "5820", "61", "62", "631", "951"]   # GSO core list, VSIC 2018
              ecommerce:
                counted_statuses: [completed]
                va_ratio_default: 0.10
                va_ratio_by_channel: {\(channels)}
              digitised_coefficients: {\(coefficients)}   # by VSIC section

            targets:
              interpolation: linear
              points:
                - {year: 2020, share_pct: 1.64, source: "2020 baseline (Resolution 09/NQ-TU)"}
                - {year: 2025, share_pct: 20.0, source: "Decision 411/QĐ-TTg"}
                - {year: 2030, share_pct: 30.0, source: "Decision 411/QĐ-TTg"}

            """
    }
}
