import Testing

@testable import GRDPCore

@Suite struct MemberNormalizerHeaderTests {
    @Test func headerNamesMatchTrimmedCaseInsensitiveAndThroughAliases() {
        let config = normalizeConfig(columns: [.enterprise: ["tax_code": ["MST", "Mã số thuế"], "year": ["nam"]]])
        // " VSIC " and "Value_Added" match after trimming and case folding; "MST" is an alias; "ghi chú"
        // is unknown and ignored.
        let result = normalize(
            "MST,Nam, VSIC ,Value_Added,ghi chú\n0100109106,2023,6201,5,x\n", kind: .enterprise, config: config)
        #expect(result.headerError == nil)
        #expect(result.outcomes.first?.enterprise?.taxCode == "0100109106")
        #expect(result.outcomes.first?.enterprise?.year == 2023)
    }

    @Test func aliasesMatchInNFC() {
        // The configured alias is precomposed; the header writes it decomposed ("a\u{0303}" for "ã",
        // "o\u{0302}\u{0301}" for "ố") and in upper case.
        let config = normalizeConfig(columns: [.enterprise: ["tax_code": ["mã số thuế"]]])
        let header = "MA\u{0303} SO\u{0302}\u{0301} THUE\u{0302}\u{0301},year,vsic,value_added\n"
        let result = normalize(header + "0100109106,2023,6201,5\n", kind: .enterprise, config: config)
        #expect(result.headerError == nil)
        #expect(result.outcomes.first?.enterprise?.taxCode == "0100109106")
    }

    @Test func missingRequiredColumns() {
        let missingVSIC = normalize("tax_code,year,value_added\n", kind: .enterprise)
        #expect(missingVSIC.headerError?.columns == ["vsic"])
        #expect(missingVSIC.headerError?.memberPath == "returns/enterprise.csv")
        // Neither value_added nor both gross_output and intermediate_consumption.
        let noValue = normalize("tax_code,year,vsic,gross_output\n", kind: .enterprise)
        #expect(noValue.headerError?.columns == ["value_added", "intermediate_consumption"])
        #expect(noValue.headerError?.description.contains("header-error") == true)
        // Both inputs of value_added suffice.
        let derived = normalize("tax_code,year,vsic,gross_output,intermediate_consumption\n", kind: .enterprise)
        #expect(derived.headerError == nil)
        let transaction = normalize("transaction_id,amount\n", kind: .transaction)
        #expect(transaction.headerError?.columns == ["date", "status"])
        let grdp = normalize("year;value\n2023;5\n", kind: .grdp)
        #expect(grdp.headerError?.columns == ["grdp"])
        #expect(grdp.rows.isEmpty)
    }

    @Test func aColumnNamedTwiceAfterAliasMapping() {
        let config = normalizeConfig(columns: [.grdp: ["grdp": ["grdp_bvnd"]]])
        let result = normalize("year,grdp,GRDP_BVND\n2023,1,2\n", kind: .grdp, config: config)
        #expect(result.headerError?.columns == ["grdp"])
        #expect(result.headerError?.detail.contains("'grdp' (as 'grdp', 'GRDP_BVND')") == true)
        // Two unknown columns with the same name are ignored, like every unknown column.
        #expect(normalize("year,grdp,note,note\n2023,1,a,b\n", kind: .grdp).headerError == nil)
    }

    @Test func aHeaderErrorIsThrownAgainByLaterCalls() throws {
        let normalizer = MemberNormalizer(kind: .grdp, config: normalizeConfig(), memberPath: "grdp.csv")
        let feedError = #expect(throws: HeaderError.self) {
            try Array("year,value\n2023,1\n".utf8).withUnsafeBytes { try normalizer.feed($0) { _ in } }
        }
        #expect(feedError?.columns == ["grdp"])
        let finishError = #expect(throws: HeaderError.self) { try normalizer.finish { _ in } }
        #expect(finishError == feedError)
    }

    @Test func noHeaderAtAll() {
        for text in ["", "\n\n   \n", "\u{FEFF}"] {
            let result = normalize(text, kind: .grdp)
            #expect(result.headerError?.columns == [])
            #expect(result.headerError?.detail == "the member has no header line")
        }
    }

    @Test func anUnclosedQuoteInTheHeader() {
        let result = normalize("year,\"grdp\n2023,1\n", kind: .grdp)
        #expect(result.headerError != nil)
    }

    @Test func columnOrdinalsFollowAllCases() {
        #expect(InputColumn.allCases.map(\.ordinal) == Array(0..<InputColumn.allCases.count))
        // Every kind's fault order is the table of §4.3.
        #expect(InputColumn.columns(of: .grdp).map(\.rawValue) == ["year", "grdp", "province_code", "price_basis"])
    }

    @Test func headerOnlyMemberHasNoRows() {
        let result = normalize("year,grdp\n", kind: .grdp)
        #expect(result.headerError == nil)
        #expect(result.rows.isEmpty)
        #expect(result.convention == .en)  // `,`-delimited, nothing decisive
    }
}
