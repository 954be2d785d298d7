import Testing

@testable import GRDPCore

@Suite struct MemberNormalizerRowTests {
    @Test func enterpriseRows() {
        let text = """
            tax_code,year,vsic,value_added,name,district_code,employees
            0100109106,2023,J62010,"1,234.5", Công ty A ,660,12
            0312345673-001,2023,46.51,100,B,661,
            0312345673001,2024,C 10.10,-7.25,,,
            0100109105,2023,6201,1,C,,
            0100109106,23,6201,1,D,,
            0100109106,2023,0400,1,E,,
            0100109106,2023,6201,,F,,
            0100109106,2023,6201,5,G,,1.5.6

            """
        let result = normalize(text, kind: .enterprise)
        #expect(result.convention == .en)  // "1,234.5": both marks, the last (.) is the decimal mark
        #expect(result.lines == [2, 3, 4, 5, 6, 7, 8, 9])
        #expect(
            result.outcomes[0].enterprise
                == EnterpriseRecord(
                    taxCode: "0100109106", year: 2023, name: "Công ty A", vsic: "62010", section: "J",
                    districtCode: "660", valueAddedMVND: dec("1234.5"), employees: dec("12")))
        #expect(
            result.outcomes[1].enterprise
                == EnterpriseRecord(
                    taxCode: "0312345673-001", year: 2023, name: "B", vsic: "4651", section: "G",
                    districtCode: "661", valueAddedMVND: dec("100"), employees: nil))
        // 13 digits without the dash are normalised; value added may be negative.
        #expect(result.outcomes[2].enterprise?.taxCode == "0312345673-001")
        #expect(result.outcomes[2].enterprise?.valueAddedMVND == dec("-7.25"))
        #expect(result.outcomes[2].enterprise?.section == "C")
        #expect(result.reasons[3...] == [.invalidTaxCode, .outOfRange, .invalidVSIC, .missingCell, .typeError])
        #expect(result.detail(4) == "year '23' is not a 4-digit year within 1990–2100")
        #expect(result.detail(5) == "vsic '0400' has no VSIC 2018 division 04")
        #expect(result.detail(7) == "employees '1.5.6' is not a number in this member's format (en)")
        #expect(result.rows[3].raw == "0100109105,2023,6201,1,C,,")
    }

    /// A quarantined row keeps at most 64 KiB of its line (cut before a character, never inside
    /// one) and says how long it was: a line of a gigabyte (a member without line breaks) did not
    /// fit a SQLite value and failed the run with exit 70, naming no archive.
    @Test func aQuarantinedRowKeepsAtMost64KiBOfItsLine() throws {
        let limit = MemberNormalizer.rawLimit
        // "ấ" is 3 bytes, the first at byte limit - 1 of the line: the cut must fall before it.
        let head = "0100109106,2023,6201,1,"
        let filler =
            String(repeating: "x", count: limit - head.utf8.count - 1) + "ấ" + String(repeating: "y", count: 40_000)
        let line = head + filler + ",,,extra"
        let text = "tax_code,year,vsic,value_added,name,district_code,employees\n\(line)\n0100109106,2023,6201,1,A,,\n"
        let result = normalize(text, kind: .enterprise)
        #expect(result.reasons.first == .fieldCount)
        let raw = result.rows[0].raw
        let bytes = Array(line.utf8)
        #expect(raw.hasSuffix("… [\(bytes.count) bytes in all]"))
        #expect(raw == String(decoding: bytes[..<(limit - 1)], as: UTF8.self) + "… [\(bytes.count) bytes in all]")
        #expect(!raw.contains("\u{FFFD}"))
        #expect(!raw.contains("ấ"))
        #expect(result.rows[1].raw.isEmpty || result.rows[1].raw == "0100109106,2023,6201,1,A,,")

        var record = CSVRecord()
        record.raw = Array("abcdé".utf8)
        #expect(record.rawText(atMost: 10) == "abcdé")
        #expect(record.rawText(atMost: 5) == "abcd… [6 bytes in all]")
        #expect(record.rawText(atMost: 4) == "abcd… [6 bytes in all]")
    }

    @Test func valueAddedFromGrossOutputAndIntermediateConsumption() {
        let text = """
            tax_code;year;vsic;gross_output;intermediate_consumption;value_added
            0100109106;2023;6201;500,5;200,25;
            0100109106;2024;6201;500;;
            0100109106;2025;6201;;;
            0100109106;2026;6201;1.000;1;7
            0100109106;2027;6201;x;1;7

            """
        let result = normalize(text, kind: .enterprise)
        #expect(result.convention == .vi)  // "500,5": one comma followed by one digit → decimal comma
        // 500.5 − 200.25 = 300.25 million VND.
        #expect(result.outcomes[0].enterprise?.valueAddedMVND == dec("300.25"))
        #expect(result.reasons[1] == .missingCell)
        #expect(
            result.detail(1) == "value_added is empty and so is intermediate_consumption "
                + "(value_added = gross_output − intermediate_consumption needs both)")
        #expect(result.reasons[2] == .missingCell)
        // A given value_added wins over gross_output − intermediate_consumption (999 would be 1.000 − 1).
        #expect(result.outcomes[3].enterprise?.valueAddedMVND == dec("7"))
        // Every numeric cell given must be a number, even when value_added is given.
        #expect(result.reasons[4] == .typeError)
    }

    /// An fx rate written with trailing zeros is the same setting (`readingSHA256`), so reading
    /// gives the same rows under either spelling, a quarantined row's detail, which names the
    /// rate, included: else a night reading an archive from the cache, after such an edit, and a run
    /// from scratch would quarantine it in other words.
    @Test func anFXRateWrittenWithTrailingZerosReadsTheSame() throws {
        let text = """
            transaction_id,date,amount,status,currency
            T1,2024-05-01,100.50,completed,USD
            T2,2024-05-01,999999999999999999.999999999999999999,completed,USD

            """
        let written = try PipelineConfigReadingTests.config(PipelineConfigReadingTests.base)
        let withZeros = try PipelineConfigReadingTests.edited("2024: 24900", "2024: 24900.0")
        #expect(written.readingSHA256 == withZeros.readingSHA256)
        let results = [written, withZeros].map { config in
            normalize(text, kind: .transaction, config: normalizeConfig(fx: config.inputs.fx))
        }
        #expect(results[0] == results[1])
        #expect(results[1].outcomes[0].transaction?.amountVND == dec("2502450"))
        #expect(results[1].detail(1) == "amount × fx rate 24900 is too large")
    }

    @Test func transactionRows() {
        let config = normalizeConfig(fx: ["USD": [2023: dec("23800"), 2024: dec("24900")]])
        let text = """
            transaction_id,date,amount,status,channel,seller_tax_code,seller_province,seller_district_code,currency,refund_amount
            T1,2023-12-31T20:00:00Z,"1,500,000",Completed, Marketplace ,0100109106,67,660,,
            T2,4/12/2023,100.50,success,,,,,usd,10.25
            T3,2023-05-01,10,completed,web,001088012345,01,,,
            T4,2023-05-01,10,shipped,,,,,,
            T5,2023-05-01,-1,completed,,,,,,
            T6,2023-05-01,10,completed,,,,,EUR,
            T7,2023-05-01,10,completed,,,,,,11
            T8,31/02/2023,10,completed,,,,,,
            T9,2022-01-01,10,completed,,,,,USD,
            ,2023-05-01,10,completed,,,,,,
            T11,2023-05-01,10,refunded,,0100109105,,,,
            T12,2023-05-01,10,Returned,,,67,,VND,10
            T13,2023-05-01,10,,,,,,,

            """
        let result = normalize(text, kind: .transaction, config: config)
        #expect(result.convention == .en)  // "1,500,000": a repeated comma groups thousands
        // 2023-12-31 20:00 UTC is 2024-01-01 03:00 at +07:00: January 2024.
        #expect(
            result.outcomes[0].transaction
                == TransactionRecord(
                    transactionID: "T1", year: 2024, month: 1, amountVND: dec("1500000"), refundVND: .zero,
                    status: .completed, channel: "marketplace", sellerTaxCode: "0100109106",
                    sellerDistrictCode: "660"))
        // 4/12/2023 is 4 December 2023; 100.50 USD × 23,800 = 2,391,900 VND; 10.25 × 23,800 = 243,950.
        #expect(
            result.outcomes[1].transaction
                == TransactionRecord(
                    transactionID: "T2", year: 2023, month: 12, amountVND: dec("2391900"), refundVND: dec("243950"),
                    status: .completed, channel: "unknown", sellerTaxCode: "", sellerDistrictCode: ""))
        #expect(result.outcomes[2].isExcluded)
        #expect(result.outcomes[2] == .excluded(reason: "seller_province '01' is not the region's (67)"))
        #expect(result.rows[2].raw == "T3,2023-05-01,10,completed,web,001088012345,01,,,")
        #expect(
            result.reasons[3...9] == [
                .unknownStatus, .outOfRange, .missingFXRate, .outOfRange, .typeError, .missingFXRate, .missingCell,
            ])
        #expect(result.detail(5) == "currency 'EUR' has no rate for 2023 in inputs.fx")
        #expect(result.detail(6) == "refund_amount '11' is not within 0…amount (10)")
        #expect(result.detail(7) == "date '31/02/2023' is not a valid date or timestamp")
        #expect(result.detail(9) == "transaction_id is empty")
        #expect(result.reasons[10] == .invalidTaxCode)
        // VND needs no rate; a refund equal to the amount is within range; "Returned" → refunded.
        #expect(result.outcomes[11].transaction?.refundVND == dec("10"))
        #expect(result.outcomes[11].transaction?.status == .refunded)
        #expect(result.reasons[12] == .missingCell)
        #expect(result.lines == Array(2...14))
    }

    /// A transaction's local year must be one a `year` cell may name, 1990–2100 [`out-of-range`]:
    /// placeholder dates (0001-01-01, 9999-12-31) published rows for year 1 or 10000. The bound is
    /// the local year: 17:00 UTC on 31 December is the next day at +07:00.
    @Test func aDateOutside1990To2100IsOutOfRange() {
        let text = """
            transaction_id,date,amount,status
            A,1990-01-01,1,completed
            B,1989-12-31T17:00:00Z,1,completed
            C,2100-12-31 23:59:59,1,completed
            D,1989-12-31,1,completed
            E,1989-12-31T16:59:59Z,1,completed
            F,2100-12-31T17:00:00Z,1,completed
            G,0001-01-01,1,completed
            H,0000-01-01,1,completed
            I,9999-12-31T23:00Z,1,completed
            J,1/1/0001,1,completed
            K,1/1/2101,1,completed

            """
        let result = normalize(text, kind: .transaction, config: normalizeConfig())
        #expect(result.outcomes[0].transaction?.year == 1990)
        #expect(result.outcomes[1].transaction.map { [$0.year, $0.month] } == [1990, 1])
        #expect(result.outcomes[2].transaction?.year == 2100)
        #expect(result.reasons[3...10].allSatisfy { $0 == .outOfRange }, "\(result.reasons)")
        #expect(result.detail(3) == "date '1989-12-31' falls in 1989 (local time), outside 1990–2100")
        #expect(result.detail(5) == "date '2100-12-31T17:00:00Z' falls in 2101 (local time), outside 1990–2100")
        #expect(result.detail(8) == "date '9999-12-31T23:00Z' falls in 10000 (local time), outside 1990–2100")
        #expect(result.lines == Array(2...12))
    }

    /// A money figure past what any one row can carry (`RowMoneyLimit`) is `out-of-range` with its
    /// line, not a year's figure that SQLite cannot hold exactly (which stopped the run, exit 70,
    /// naming no row). At the limit it is accepted; the transaction's is after fx conversion.
    @Test func aMoneyFigurePastTheRowLimitIsOutOfRange() {
        let transactions = normalize(
            """
            transaction_id,date,amount,status,currency
            A,2024-05-01,1000000000000000,completed,
            B,2024-05-01,1000000000000000.001,completed,
            C,2024-05-01,123456789012345678901234,completed,
            D,2024-05-01,40000000000,completed,USD
            E,2024-05-01,50000000000,completed,USD

            """, kind: .transaction, config: normalizeConfig(fx: ["USD": [2024: dec("25000")]]))
        #expect(transactions.reasons == [nil, .outOfRange, .outOfRange, nil, .outOfRange], "\(transactions.reasons)")
        #expect(
            transactions.detail(2)
                == "amount '123456789012345678901234' is 123456789012345678901234 VND, over 1000000000000000 "
                + "(10¹⁵ VND): more than any transaction")
        #expect(transactions.lines == Array(2...6))

        let enterprises = normalize(
            """
            tax_code,year,vsic,value_added,gross_output,intermediate_consumption
            0100109106,2024,6201,1000000000,,
            0100109106,2024,6201,-1000000000,,
            0100109106,2024,6201,1000000000.5,,
            0100109106,2024,6201,-1000000001,,
            0100109106,2024,6201,,3000000000,1000000000

            """, kind: .enterprise)
        #expect(enterprises.reasons == [nil, nil, .outOfRange, .outOfRange, .outOfRange], "\(enterprises.reasons)")
        #expect(
            enterprises.detail(4)
                == "value added 2000000000 million VND is beyond ±1000000000 (10¹⁵ VND): more than any enterprise's in a year"
        )

        // GRDP: within ±10⁹ billion VND, and 0 (no GRDP, §5) or at least 1 billion VND either way.
        let grdp = normalize(
            "year,grdp\n2024,1000000000\n2024,1000000001\n2024,-1000000001\n2024,0.000\n2024,1\n2024,-1\n"
                + "2024,0.999\n2024,0.000000000000001\n2024,-0.5\n",
            kind: .grdp)
        #expect(grdp.reasons == [nil, .outOfRange, .outOfRange, nil, nil, nil, .outOfRange, .outOfRange, .outOfRange])
        #expect(
            grdp.detail(7)
                == "grdp '0.000000000000001' billion VND is under 1 billion VND and not 0: less than any province's "
                + "(a unit mistake?)")
    }

    /// A quote opened on line 3 and never closed, 17 MiB before the member ends: that record is
    /// past the 16 MiB a record may have, and is quarantined with its line and size, its raw text
    /// cut to 64 KiB; the rows before it stand. In 64 KiB chunks, as a member is read, or whole.
    @Test func aRecordPastTheLimitIsQuarantinedWithItsSize() {
        let tail = [UInt8](repeating: UInt8(ascii: "x"), count: 17 << 20)
        let head = Array(
            "transaction_id,date,amount,status\nA,2024-05-01,1,completed\n\"B,2024-05-01,1,completed\n".utf8)
        let bytes = head + tail
        let size = bytes.count - 59  // from line 3 to the end
        for chunkSize in [65536, nil] as [Int?] {
            let result = normalizeMember(bytes, kind: .transaction, config: normalizeConfig(), chunkSize: chunkSize)
            #expect(result.lines == [2, 3])
            #expect(result.reasons == [nil, .fieldCount])
            #expect(
                result.detail(1)
                    == "the record is \(size) bytes, more than a record may have (16777216): a quoted cell opened on "
                    + "line 3 or later is not closed before the end of the member")
            #expect(result.rows[1].raw.hasSuffix("… [\(size) bytes in all]"))
            #expect(result.rows[1].raw.utf8.count < 70_000)
        }
    }

    /// A header past the 16 MiB a record may have (under the 64 MiB the delimiter is looked for
    /// in) is a header error naming its size: the member cannot be read.
    @Test func aHeaderPastTheRecordLimitIsAHeaderError() throws {
        let bytes = Array(repeating: UInt8(ascii: "x"), count: 17 << 20) + Array(",amount\n1,2\n".utf8)
        let result = normalizeMember(bytes, kind: .transaction, config: normalizeConfig(), chunkSize: 65536)
        let error = try #require(result.headerError)
        #expect(error.detail == "the header is \((17 << 20) + 7) bytes, more than a record may have (16777216)")
        #expect(result.rows.isEmpty)
    }

    /// A number may have 18 decimal places, trailing zeros aside (`NormalizeRowCells.maxDecimalPlaces`):
    /// past them it is `out-of-range`, in any numeric column, in either convention.
    @Test func aNumberPast18DecimalPlacesIsOutOfRange() {
        let transactions = normalize(
            """
            transaction_id,date,amount,status,refund_amount
            A,2024-05-01,1.123456789012345678,completed,
            B,2024-05-01,1.1234567890123456789,completed,
            C,2024-05-01,7.000000000000000000000000,completed,
            D,2024-05-01,0.30000000000000004,completed,0.0000000000000000001
            E,2024-05-01,1667775000.0000000000000000000001,completed,

            """, kind: .transaction)
        #expect(transactions.reasons == [nil, .outOfRange, nil, .outOfRange, .outOfRange], "\(transactions.reasons)")
        #expect(
            transactions.detail(1)
                == "amount '1.1234567890123456789' has 19 decimal places, more than the 18 a figure may have")
        #expect(transactions.detail(3)?.hasPrefix("refund_amount '0.0000000000000000001' has 19") == true)
        let enterprises = normalize(
            "tax_code;year;vsic;value_added\n0100109106;2024;6201;1,0000000000000000001\n0100109106;2024;6201;1,5\n",
            kind: .enterprise)
        #expect(enterprises.reasons == [.outOfRange, nil])
    }

    @Test func refundBoundsAcrossScales() {
        // 10.50 ≤ 10.5 (equal); 10.51 > 10.5; 10.000001 > 10; 0 and 0.000 are within 0…amount; a
        // repeated status and seller (remembered from the row before) still map the same.
        let text = """
            transaction_id,date,amount,status,seller_tax_code,refund_amount
            A,2023-05-01,10.5,Completed,0100109106,10.50
            B,2023-05-01,10.5,Completed,0100109106,10.51
            C,2023-05-01,10,Completed,0100109106,10.000001
            D,2023-05-01,10,Completed,0100109105,0
            E,2023-05-01,0,refunded,,0.000

            """
        let result = normalize(text, kind: .transaction)
        #expect(result.reasons == [nil, .outOfRange, .outOfRange, .invalidTaxCode, nil])
        #expect(result.outcomes[0].transaction?.refundVND == dec("10.5"))
        #expect(result.outcomes[4].transaction?.status == .refunded)
        #expect(result.outcomes[4].transaction?.sellerTaxCode == "")
    }

    /// A `year` cell (CONTRACT §4.3): 4 digits within 1990–2100, both ends included, else
    /// `out-of-range`; the same rule for enterprise and GRDP rows. (In a mutation pass, 1990–2099
    /// passed the member normalizer's suites: no test held the upper end.)
    @Test func aYearCellIsWithin1990To2100BothEndsIncluded() {
        let enterprises = """
            tax_code,year,vsic,value_added
            0100109106,1990,6201,1
            0100109106,2100,6201,1
            0100109106,1989,6201,1
            0100109106,2101,6201,1
            0100109106,02024,6201,1

            """
        let result = normalize(enterprises, kind: .enterprise)
        #expect(result.outcomes[0].enterprise?.year == 1990)
        #expect(result.outcomes[1].enterprise?.year == 2100)
        #expect(result.reasons[2...] == [.outOfRange, .outOfRange, .outOfRange])
        #expect(result.detail(3) == "year '2101' is not a 4-digit year within 1990–2100")
        #expect(result.detail(4) == "year '02024' is not a 4-digit year within 1990–2100")

        let grdp = normalize("year,grdp\n2100,1\n2101,1\n", kind: .grdp)
        #expect(grdp.outcomes[0].grdp == GRDPRecord(year: 2100, grdpBVND: dec("1")))
        #expect(grdp.reasons[1...] == [.outOfRange])
        #expect(grdp.lines == [2, 3])
    }

    @Test func grdpRows() {
        let text = """
            year;grdp;province_code;price_basis
            2023;55.700,5;67;current
            2024;24.500;67;constant-2010
            2024;1.234;62;
            2024;56.000;;Current
            1989;1;;
            20x4;1;;
            2024;;;

            """
        let result = normalize(text, kind: .grdp)
        #expect(result.convention == .vi)
        #expect(result.outcomes[0].grdp == GRDPRecord(year: 2023, grdpBVND: dec("55700.5")))
        #expect(result.outcomes[1] == .excluded(reason: "price_basis 'constant-2010' is not current prices"))
        #expect(result.outcomes[2] == .excluded(reason: "province_code '62' is not the region's (67)"))
        #expect(result.outcomes[3].grdp == GRDPRecord(year: 2024, grdpBVND: dec("56000")))
        #expect(result.reasons[4...] == [.outOfRange, .typeError, .missingCell])
        #expect(result.detail(5) == "year '20x4' is not a whole number")
    }

    @Test func faultOrder() {
        // field-count, then encoding-error, then the fields in the order of the table of §4.3.
        let bytes =
            Array(
                """
                transaction_id,date,amount,status,seller_tax_code,currency,refund_amount
                T1,bad-date,bad-amount,bad-status,bad,EUR,-1
                T2,2023-01-01,bad-amount,bad-status,bad,EUR,-1
                T3,2023-01-01,5,bad-status,bad,EUR,-1
                T4,2023-01-01,5,completed,bad,EUR,-1
                T5,2023-01-01,5,completed,,EUR,-1
                T6,2023-01-01,5,completed,,,-1
                T7,2023-01-01,5,completed,,,x
                ,bad-date,bad-amount,bad-status,bad,EUR,-1,extra

                """.utf8) + Array("T9,bad-date,x,x,x,x,".utf8) + [0xFF] + Array("\n".utf8)
            + Array("T10,bad-date,x,x,x,x".utf8) + [0xFF] + Array("\n".utf8)
        let result = normalize(bytes, kind: .transaction)
        #expect(
            result.reasons == [
                .typeError, .typeError, .unknownStatus, .invalidTaxCode, .missingFXRate, .outOfRange, .typeError,
                .fieldCount, .encodingError, .fieldCount,
            ])
        #expect(result.detail(0) == "date 'bad-date' is not a valid date or timestamp")
        #expect(result.detail(1) == "amount 'bad-amount' is not a number in this member's format (en)")
        #expect(result.detail(7) == "the row has 8 cells, the header has 7")
        #expect(result.detail(8) == "the row is not valid UTF-8")
        #expect(result.rows[8].raw == "T9,bad-date,x,x,x,x,\u{FFFD}")

        // A row out of the province but with a fault is quarantined, not excluded.
        let grdp = normalize("year,grdp,province_code\n2023,x,62\n2023,5,62\n", kind: .grdp)
        #expect(grdp.reasons == [.typeError, nil])
        #expect(grdp.outcomes[1].isExcluded)

        // enterprise: tax_code before year before vsic before the values.
        let enterprise = normalize(
            "tax_code,year,vsic,value_added\nbad,x,bad,x\n0100109106,x,bad,x\n0100109106,2023,bad,x\n"
                + "0100109106,2023,6201,x\n", kind: .enterprise)
        #expect(enterprise.reasons == [.invalidTaxCode, .typeError, .invalidVSIC, .typeError])
    }

    @Test func textIsTrimmedAndNFC() {
        // "Nguyễn" typed decomposed: e + U+0302 (circumflex) + U+0303 (tilde).
        let decomposed = "Nguye\u{0302}\u{0303}n Văn A"
        let result = normalize(
            "tax_code,year,vsic,value_added,name\n0100109106,2023,6201,1,  \(decomposed)\t\n", kind: .enterprise)
        let name = result.outcomes[0].enterprise?.name ?? ""
        #expect(Array(name.unicodeScalars) == Array("Nguy\u{1EC5}n V\u{0103}n A".unicodeScalars))
        #expect(name.utf8.count == "Nguyễn Văn A".utf8.count)
    }

    @Test func quotedLineBreaksShiftLaterLineNumbers() {
        let text = """
            tax_code,year,vsic,value_added,name
            0100109106,2023,6201,1,"Công ty
            TNHH ""Một"", chi nhánh
            Đắk Nông"
            0100109106,2023,6201,x,plain

            0100109106,2023,6201,2,"last
            """
        let result = normalize(text, kind: .enterprise)
        // Row 1 starts on line 2 and spans 2–4; the next row is on line 5; line 6 is blank; the last
        // row starts on line 7 and its quote is never closed: it runs to the end, quarantined.
        #expect(result.lines == [2, 5, 7])
        #expect(result.outcomes[0].enterprise?.name == "Công ty\nTNHH \"Một\", chi nhánh\nĐắk Nông")
        #expect(result.reasons == [nil, .typeError, .fieldCount])
        #expect(result.detail(2)?.contains("not closed") == true)
        #expect(result.rows[2].raw == "0100109106,2023,6201,2,\"last")
    }

    @Test func crlfBomAndBlankLinesInAMember() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("year;grdp\r\n\r\n2023;1,5\r\n   \r\n2024;2\r\n".utf8)
        let result = normalize(bytes, kind: .grdp)
        #expect(result.lines == [3, 5])
        #expect(
            result.outcomes.compactMap(\.grdp) == [
                GRDPRecord(year: 2023, grdpBVND: dec("1.5")), GRDPRecord(year: 2024, grdpBVND: dec("2")),
            ])
        #expect(result.rows[0].raw == "2023;1,5")
    }

    @Test func strayQuotesAndNulBytes() {
        let bytes =
            Array("tax_code,year,vsic,value_added,name\n0100109106,2023,6201,1,Cty \"ABC\" 2\n".utf8)
            + Array("0100109106,2023,6201,1".utf8) + [0] + Array(",x\n0100109106,2023,6201,1,a".utf8) + [0]
            + Array("b\n".utf8)
        let result = normalize(bytes, kind: .enterprise)
        #expect(result.outcomes[0].enterprise?.name == "Cty \"ABC\" 2")
        #expect(result.reasons[1] == .typeError)  // "1\0" is not a number
        #expect(result.outcomes[2].enterprise?.name == "a\u{0}b")
        #expect(result.lines == [2, 3, 4])
    }

    @Test func rawIsKeptForAcceptedRowsOnlyOnRequest() {
        let lean = normalize("year,grdp\n2023,5\n2023,x\n", kind: .grdp, keepRaw: false)
        #expect(lean.rows.map(\.raw) == ["", "2023,x"])
        let full = normalize("year,grdp\n2023,5\n2023,x\n", kind: .grdp, keepRaw: true)
        #expect(full.rows.map(\.raw) == ["2023,5", "2023,x"])
    }
}
