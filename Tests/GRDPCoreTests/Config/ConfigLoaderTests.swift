import Foundation
import Testing

@testable import GRDPCore

/// A config as if read from `/srv/grdp/conf/pipeline.yml`.
private let configURL = URL(fileURLWithPath: "/srv/grdp/conf/pipeline.yml")

private func parse(_ yaml: String) throws(ConfigError) -> PipelineConfig {
    try ConfigLoader.parse(yaml: yaml, fileURL: configURL)
}

/// The error thrown for `yaml`, or nil when it parses.
private func failure(_ yaml: String) -> ConfigError? {
    do {
        _ = try parse(yaml)
        return nil
    } catch {
        return error
    }
}

private let fullConfig = """
    version: 1
    region:
      code: 67                    # a number in YAML, a string to us
      name: "Đắk Nông"
      utc_offset: "+07:00"
      districts: {660: "Gia Nghĩa", "661": "Đắk Glong"}
    inputs:
      returns: ../data/returns
      exclude: [2023-01-01_bad.zip, ./old/x.tar.gz]
      number_format: vi
      kinds:
        transaction: ["orders*.csv"]
      columns:
        enterprise: {tax_code: ["MST", " ma_so_thue "], Value_Added: ["Giá trị tăng thêm"]}
        grdp: {grdp: ["tong_grdp"]}
      statuses:
        " Thành Công ": completed
        huy: CANCELLED
      fx:
        USD: {2023: 23800, 2024: "24900.5"}
        eur: {2024: 26500}
    limits:
      max_member_bytes: 1048576
      max_compression_ratio: 50.5
    quality:
      max_quarantine_ratio: 0.05
    outputs:
      folder: /var/lib/grdp/out
      keep_snapshots: 30
      exports:
        - {table: by-district, format: json}
        - {table: quarantine, format: md}
    methodology:
      core_vsic_prefixes: [26, "0111", 6201]
      ecommerce:
        counted_statuses: [completed, pending]
        va_ratio_default: 0.1
        va_ratio_by_channel: {Marketplace: 0.08, website: 0.12}
      digitised_coefficients: {c: 0.03, G: 0.05}
    targets:
      interpolation: none
      points:
        - {year: 2030, share_pct: 30, source: "Decision 411/QĐ-TTg"}
        - {year: 2020, share_pct: 1.64}
    """

@Suite struct ConfigLoaderTests {
    @Test func minimalConfigTakesEveryDefault() throws {
        let config = try parse("version: 1\nregion: {code: \"67\"}\n")
        #expect(config.version == 1)
        #expect(config.region.code == "67")
        #expect(config.region.name == "")
        #expect(config.region.utcOffsetMinutes == 420)
        #expect(config.region.districts.isEmpty)
        #expect(config.inputs.returnsFolder.path == "/srv/grdp/conf/Inputs/returns")
        #expect(config.inputs.exclude.isEmpty)
        #expect(config.inputs.numberFormat == .auto)
        #expect(config.inputs.kinds == PipelineConfig.defaultKinds)
        #expect(config.inputs.columns.isEmpty)
        #expect(config.inputs.statuses.isEmpty)
        #expect(config.inputs.fx.isEmpty)
        #expect(config.limits.maxMemberBytes == 2_147_483_648)
        #expect(config.limits.maxCompressionRatio == ExactDecimal(200))
        #expect(config.quality.maxQuarantineRatio == dec("0.01"))
        #expect(config.outputs.folder.path == "/srv/grdp/conf/Outputs")
        #expect(config.outputs.keepSnapshots == 0)
        #expect(
            config.outputs.exports == [
                .init(table: "target-vs-actual", format: "csv"), .init(table: "target-vs-actual", format: "html"),
            ])
        #expect(config.methodology.coreVSICPrefixes == ["26", "4651", "4652", "5820", "61", "62", "631", "951"])
        #expect(config.methodology.countedStatuses == [.completed])
        #expect(config.methodology.vaRatioDefault == dec("0.10"))
        #expect(config.methodology.vaRatioByChannel.isEmpty)
        #expect(config.methodology.digitisedCoefficients.isEmpty)
        #expect(config.targets.interpolation == .linear)
        #expect(config.targets.points.isEmpty)
        #expect(config.fileURL.path == "/srv/grdp/conf/pipeline.yml")
        #expect(config.sha256.count == 64)
    }

    @Test func fullConfigReadsEveryKey() throws {
        let config = try parse(fullConfig)
        #expect(config.region.code == "67")
        #expect(config.region.name == "Đắk Nông")
        #expect(config.region.districts == ["660": "Gia Nghĩa", "661": "Đắk Glong"])
        #expect(config.inputs.returnsFolder.path == "/srv/grdp/data/returns")
        #expect(config.inputs.exclude == ["2023-01-01_bad.zip", "old/x.tar.gz"])
        #expect(config.inputs.numberFormat == .vi)
        #expect(config.inputs.kinds[.transaction] == ["orders*.csv"])
        #expect(config.inputs.kinds[.enterprise] == ["enterprise*.csv"])
        #expect(config.inputs.kinds[.grdp] == ["grdp*.csv"])
        #expect(config.inputs.columns[.enterprise]?["tax_code"] == ["mst", "ma_so_thue"])
        #expect(config.inputs.columns[.enterprise]?["value_added"] == ["giá trị tăng thêm"])
        #expect(config.inputs.columns[.grdp]?["grdp"] == ["tong_grdp"])
        #expect(config.inputs.statuses == ["thành công": .completed, "huy": .cancelled])
        #expect(config.inputs.fx["USD"] == [2023: dec("23800"), 2024: dec("24900.5")])
        #expect(config.inputs.fx["EUR"] == [2024: dec("26500")])
        #expect(config.limits.maxMemberBytes == 1_048_576)
        #expect(config.limits.maxCompressionRatio == dec("50.5"))
        #expect(config.quality.maxQuarantineRatio == dec("0.05"))
        #expect(config.outputs.folder.path == "/var/lib/grdp/out")
        #expect(config.outputs.keepSnapshots == 30)
        #expect(
            config.outputs.exports == [
                .init(table: "by-district", format: "json"), .init(table: "quarantine", format: "md"),
            ])
        #expect(config.methodology.coreVSICPrefixes == ["26", "0111", "6201"])
        #expect(config.methodology.countedStatuses == [.completed, .pending])
        #expect(config.methodology.vaRatioByChannel.isEmpty == false)
        #expect(config.methodology.digitisedCoefficients == ["C": dec("0.03"), "G": dec("0.05")])
        #expect(config.targets.interpolation == .none)
        #expect(config.targets.points.map(\.year) == [2020, 2030])
        #expect(config.targets.points[0].sharePct == dec("1.64"))
        #expect(config.targets.points[0].source == "")
        #expect(config.targets.points[1].source == "Decision 411/QĐ-TTg")
    }

    @Test func numbersAreExact() throws {
        let config = try parse(
            """
            version: 1
            region: {code: "67"}
            methodology:
              ecommerce: {va_ratio_default: 0.1, va_ratio_by_channel: {social: "0.3"}}
            """)
        // 0.1 is exactly one tenth: mantissa 1, scale 1 (a Double would be 0.1000000000000000055…).
        #expect(config.methodology.vaRatioDefault.reduced == ExactDecimal(mantissa: 1, scale: 1))
        #expect(try config.methodology.vaRatioDefault * ExactDecimal(3) == dec("0.3"))
        #expect(config.methodology.vaRatioByChannel["social"] == dec("0.3"))
    }

    @Test func relativePathsResolveAgainstTheConfigFolder() throws {
        let yaml = "version: 1\nregion: {code: \"67\"}\ninputs: {returns: ./a/../returns}\noutputs: {folder: out}\n"
        let config = try ConfigLoader.parse(yaml: yaml, fileURL: URL(fileURLWithPath: "/x/y/z/pipeline.yml"))
        #expect(config.inputs.returnsFolder.path == "/x/y/z/returns")
        #expect(config.outputs.folder.path == "/x/y/z/out")
        let absolute = try ConfigLoader.parse(
            yaml: "version: 1\nregion: {code: \"67\"}\ninputs: {returns: /data/r}\n",
            fileURL: URL(fileURLWithPath: "/x/pipeline.yml"))
        #expect(absolute.inputs.returnsFolder.path == "/data/r")
    }

    @Test func loadsFromDiskWithHashAndRelativePaths() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("pipeline.yml")
        let text = "version: 1\nregion: {code: \"67\"}\ninputs: {returns: returns}\n"
        try Data(text.utf8).write(to: url)
        let config = try ConfigLoader.load(from: url)
        #expect(config.inputs.returnsFolder.path == folder.appendingPathComponent("returns").standardizedFileURL.path)
        // sha256 of the file's bytes (hexSHA256 itself is checked against a FIPS vector below).
        #expect(config.sha256 == ConfigLoader.hexSHA256(Data(text.utf8)))
        #expect(config.sha256 == (try ConfigLoader.parse(yaml: text, fileURL: url)).sha256)

        let missing = folder.appendingPathComponent("nope.yml")
        #expect(throws: ConfigError.self) { try ConfigLoader.load(from: missing) }
        do {
            _ = try ConfigLoader.load(from: missing)
        } catch {
            #expect(error.kind == .missingFile)
            #expect(error.description.contains("nope.yml"))
        }
    }

    @Test func hashOfKnownText() {
        // SHA-256 of "abc" (FIPS 180-2 test vector).
        #expect(
            ConfigLoader.hexSHA256(Data("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func unknownKeyNamesKeyPathAndLine() throws {
        let error = try #require(
            failure(
                """
                version: 1
                region:
                  code: "67"
                inputs:
                  returns: x
                  numbr_format: vi
                """))
        #expect(error.kind == .invalid)
        #expect(error.line == 6)
        #expect(error.key == "inputs.numbr_format")
        #expect(error.description == "/srv/grdp/conf/pipeline.yml, line 6: unknown key 'inputs.numbr_format'")

        let top = try #require(failure("version: 1\nregion: {code: \"67\"}\nextra: 1\n"))
        #expect(top.line == 3)
        #expect(top.key == "extra")

        let deep = try #require(
            failure(
                "version: 1\nregion: {code: \"67\"}\ntargets:\n  points:\n    - {year: 2020, share_pct: 1, sorce: x}\n")
        )
        #expect(deep.key == "targets.points[0].sorce")
        #expect(deep.line == 5)
    }

    @Test func missingRequiredKeys() throws {
        let noCode = try #require(failure("version: 1\nregion: {name: \"Đắk Nông\"}\n"))
        #expect(noCode.kind == .invalid)
        // A `region` mapping without its code: the line of `region`, in a flow mapping or a block.
        #expect(noCode.description == "/srv/grdp/conf/pipeline.yml, line 2: missing required key 'region.code'")
        let blockNoCode = try #require(failure("version: 1\n\nregion:\n  name: x\n  utc_offset: \"+07:00\"\n"))
        #expect(blockNoCode.key == "region.code" && blockNoCode.line == 3)
        let noRegion = try #require(failure("version: 1\n"))
        #expect(noRegion.key == "region.code")
        #expect(noRegion.line == nil)
        let noVersion = try #require(failure("region: {code: \"67\"}\n"))
        #expect(noVersion.key == "version")
        let badVersion = try #require(failure("version: 2\nregion: {code: \"67\"}\n"))
        #expect(badVersion.key == "version")
        #expect(badVersion.line == 1)
        let empty = try #require(failure(""))
        #expect(empty.key == "version")
        let nullCode = try #require(failure("version: 1\nregion:\n  code:\n"))
        #expect(nullCode.key == "region.code")
    }

    @Test(
        arguments: [
            ("outputs:\n  keep_snapshots: \"x\"\n", "outputs.keep_snapshots", 4),
            ("outputs:\n  keep_snapshots: -1\n", "outputs.keep_snapshots", 4),
            ("region: {code: \"67\", districts: [1, 2]}\n", "region.districts", 4),
            ("inputs:\n  number_format: xx\n", "inputs.number_format", 4),
            ("targets:\n  interpolation: cubic\n", "targets.interpolation", 4),
            ("inputs:\n  statuses: {\"thanh cong\": done}\n", "inputs.statuses.thanh cong", 4),
            ("limits:\n  max_member_bytes: -5\n", "limits.max_member_bytes", 4),
            ("limits:\n  max_compression_ratio: -1\n", "limits.max_compression_ratio", 4),
            ("limits:\n  max_member_bytes: 1.5\n", "limits.max_member_bytes", 4),
            ("quality:\n  max_quarantine_ratio: 2\n", "quality.max_quarantine_ratio", 4),
            ("inputs:\n  fx: {USD: {2023: abc}}\n", "inputs.fx.USD.2023", 4),
            ("inputs:\n  fx: {USD: {year: 23800}}\n", "inputs.fx.USD.year", 4),
            ("inputs:\n  fx: {USD: {2023: 0}}\n", "inputs.fx.USD.2023", 4),
            ("inputs:\n  kinds: {enterprise: \"enterprise*.csv\"}\n", "inputs.kinds.enterprise", 4),
            ("inputs:\n  kinds: {firm: [\"x*.csv\"]}\n", "inputs.kinds.firm", 4),
            ("inputs:\n  columns: {enterprise: {tax_cod: [mst]}}\n", "inputs.columns.enterprise.tax_cod", 4),
            ("outputs:\n  exports: [{table: target-vs-actual, format: pdf}]\n", "outputs.exports[0].format", 4),
            ("outputs:\n  exports: [{table: totals, format: csv}]\n", "outputs.exports[0].table", 4),
            ("outputs:\n  exports: [{table: quarantine}]\n", "outputs.exports[0].format", 4),
            (
                "methodology:\n  ecommerce: {counted_statuses: [completed, shipped]}\n",
                "methodology.ecommerce.counted_statuses[1]", 4
            ),
            ("methodology:\n  ecommerce: {va_ratio_default: \"0,1\"}\n", "methodology.ecommerce.va_ratio_default", 4),
            ("methodology:\n  ecommerce: {va_ratio_default: [0.1]}\n", "methodology.ecommerce.va_ratio_default", 4),
            ("methodology:\n  digitised_coefficients: {CC: 0.03}\n", "methodology.digitised_coefficients.CC", 4),
            ("methodology:\n  digitised_coefficients: {V: 0.03}\n", "methodology.digitised_coefficients.V", 4),
            ("methodology:\n  core_vsic_prefixes: [\"62a\"]\n", "methodology.core_vsic_prefixes[0]", 4),
            ("region: {code: \"67\", utc_offset: \"+7\"}\n", "region.utc_offset", 4),
            ("targets:\n  points: [{year: 20, share_pct: 1}]\n", "targets.points[0].year", 4),
            ("targets:\n  points: {year: 2020}\n", "targets.points", 4),
        ] as [(String, String, Int)])
    func wrongTypesNameKeyAndLine(snippet: String, key: String, line: Int) throws {
        // Line 1 is `version`, line 2 `region`; the snippet's value is on line 4.
        var yaml = "version: 1\nregion: {code: \"67\"}\n" + snippet
        if snippet.hasPrefix("region:") { yaml = "version: 1\n# region\n# below\n" + snippet }
        let error = try #require(failure(yaml))
        #expect(error.kind == .invalid)
        #expect(error.key == key)
        #expect(error.line == line)
        #expect(error.description.hasPrefix("/srv/grdp/conf/pipeline.yml, line \(line): "))
    }

    @Test func duplicateTargetYearIsInvalid() throws {
        let error = try #require(
            failure(
                """
                version: 1
                region: {code: "67"}
                targets:
                  points:
                    - {year: 2025, share_pct: 20}
                    - {year: 2025, share_pct: 25}
                """))
        #expect(error.line == 6)
        #expect(error.message.contains("2025"))
    }

    @Test func duplicateKeysAfterNormalisationAreInvalid() throws {
        let error = try #require(
            failure(
                "version: 1\nregion: {code: \"67\"}\ninputs:\n  statuses: {\"Xong\": completed, \" xong\": completed}\n"
            ))
        #expect(error.line == 4)
        let yamlDuplicate = try #require(failure("version: 1\nregion: {code: \"67\"}\nregion: {code: \"68\"}\n"))
        #expect(yamlDuplicate.kind == .invalid)
        #expect(yamlDuplicate.line != nil)
    }

    /// One header alias for two columns of a kind would give the header to whichever is mapped
    /// last: an error naming both. The same alias under two kinds, or twice for one column, is fine.
    @Test func anAliasNamesOneColumnOfItsKind() throws {
        let error = try #require(
            failure(
                """
                version: 1
                region: {code: "67"}
                inputs:
                  columns:
                    transaction:
                      amount: ["Amt"]
                      status: [" amt", state]
                """))
        #expect(error.kind == .invalid)
        #expect(error.line == 7)
        #expect(error.key == "inputs.columns.transaction.status[0]")
        #expect(error.message.contains("'amt'") && error.message.contains("'amount'"), "\(error.message)")
        let config = try parse(
            """
            version: 1
            region: {code: "67"}
            inputs:
              columns:
                transaction: {seller_tax_code: [mst, mst]}
                enterprise: {tax_code: [mst]}
            """)
        #expect(config.inputs.columns[.transaction]?["seller_tax_code"] == ["mst", "mst"])
        #expect(config.inputs.columns[.enterprise]?["tax_code"] == ["mst"])
    }

    @Test func kindListReplacesOnlyThatKind() throws {
        let config = try parse(
            "version: 1\nregion: {code: \"67\"}\ninputs:\n  kinds:\n    grdp: [\"tai-khoan*.csv\", \"grdp*.csv\"]\n")
        #expect(config.inputs.kinds[.grdp] == ["tai-khoan*.csv", "grdp*.csv"])
        #expect(config.inputs.kinds[.enterprise] == ["enterprise*.csv"])
        #expect(config.inputs.kinds[.transaction] == ["transaction*.csv", "ecommerce*.csv"])
    }

    /// `inputs.statuses` adds spellings and may redefine a default one, but a status's own name
    /// always means that status (`completed: cancelled` stopped counting every completed sale); a
    /// header alias may not be another column's own name (every such member was rejected).
    @Test func aStatusNameOrAColumnNameCannotBeRedefined() throws {
        let head = "version: 1\nregion: {code: \"67\"}\ninputs:\n"
        let redefined = try parse(
            head + "  statuses: {delivered: pending, \"Thành công\": completed, completed: completed}\n")
        #expect(redefined.inputs.statuses["delivered"] == .pending)
        #expect(redefined.inputs.statuses["completed"] == .completed)
        for yaml in ["  statuses: {completed: cancelled}\n", "  statuses:\n    \" Pending \": refunded\n"] {
            let error = #expect(throws: ConfigError.self) { try parse(head + yaml) }
            #expect(error?.message.contains("cannot be redefined") == true, "\(String(describing: error))")
        }
        let alias = #expect(throws: ConfigError.self) {
            try parse(head + "  columns:\n    enterprise: {tax_code: [\"mst\", \"Name\"]}\n")
        }
        #expect(
            alias?.message.contains("is the name of the enterprise column 'name'") == true,
            "\(String(describing: alias))")
        #expect(alias?.line == 5, "\(String(describing: alias))")
        let own = try parse(head + "  columns:\n    enterprise: {tax_code: [\"mst\", \"Tax_Code\"]}\n")
        #expect(own.inputs.columns[.enterprise]?["tax_code"] == ["mst", "tax_code"])
    }

    /// The region's name and the districts' codes and names are NFC, as every text grdp writes and
    /// the returns' codes are read (export audit 39, L1: a name written decomposed went out so in
    /// the exports' titles; a code so named no district of the snapshot's).
    @Test func regionTextsAreNFC() throws {
        let decomposed = "Đắk Nông".decomposedStringWithCanonicalMapping
        #expect(decomposed.unicodeScalars.count != "Đắk Nông".unicodeScalars.count)
        let config = try parse(
            """
            version: 1
            region: {code: "67", name: "\(decomposed)", districts: {"\("é1".decomposedStringWithCanonicalMapping)": "\(decomposed)"}}

            """)
        #expect(config.region.name.unicodeScalars.elementsEqual("Đắk Nông".unicodeScalars))
        #expect(config.region.districts.keys.map { Array($0.unicodeScalars) } == [Array("é1".unicodeScalars)])
        #expect(config.region.districts.values.map { Array($0.unicodeScalars) } == [Array("Đắk Nông".unicodeScalars)])
    }

    /// "A key given with no value means its default" (CONTRACT §2), inside the maps too: a channel
    /// with no ratio takes va_ratio_default's (listed with it: a channel named), a section with no coefficient
    /// has none, a status spelling with no status adds nothing, a district with no name has none.
    @Test func anEntryWithNoValueInAMapMeansItsDefault() throws {
        let config = try parse(
            """
            version: 1
            region: {code: "67", districts: {"660": , "661": "Đắk Glong"}}
            inputs:
              statuses: {"xong": , "thành công": completed}
            methodology:
              ecommerce: {va_ratio_default: 0.2, va_ratio_by_channel: {marketplace: , website: 0.12}}
              digitised_coefficients: {C: , G: 0.05}

            """)
        #expect(config.region.districts == ["660": "", "661": "Đắk Glong"])
        #expect(config.inputs.statuses.keys.sorted() == ["thành công"])
        #expect(config.methodology.vaRatioByChannel.keys.sorted() == ["marketplace", "website"])
        #expect(config.methodology.vaRatioByChannel["marketplace"] == config.methodology.vaRatioDefault)
        #expect(config.methodology.digitisedCoefficients.keys.sorted() == ["G"])
        #expect(throws: ConfigError.self) {
            try parse("version: 1\nregion: {code: \"67\"}\nmethodology:\n  digitised_coefficients: {C: , c: 0.1}\n")
        }
    }

    /// A number in any form YAML writes one is taken exactly (never through `Double`): `.5`, `1.`,
    /// `+0.10`, `1e-1`, and a whole number as `1e9` or `2.0`. One with more significant digits than
    /// grdp computes with, or a whole number past `Int.max`, is refused saying so, not as the wrong
    /// type ("must be a ratio between 0 and 1" for a ratio that is one).
    @Test func numbersInEveryYAMLFormAreTakenExactly() throws {
        func ratio(_ text: String) throws -> ExactDecimal {
            try parse("version: 1\nregion: {code: \"67\"}\nmethodology:\n  ecommerce: {va_ratio_default: \(text)}\n")
                .methodology.vaRatioDefault
        }
        for (text, value) in [
            (".5", "0.5"), ("1.", "1"), ("+0.10", "0.1"), ("1e-1", "0.1"), ("2.5E-2", "0.025"), ("-0e3", "0"),
            ("0.125", "0.125"), ("\"0.2\"", "0.2"), ("000.75", "0.75"),
        ] {
            #expect(try ratio(text).reduced == ExactDecimal(canonical: value)!, "\(text)")
        }
        for text in ["0,1", "1e", ".", "+", "1e+-1", "0x10", "1.2.3", "1e99999", ". 5"] {
            #expect(throws: ConfigError.self, "\(text)") { try ratio(text) }
        }
        // A value out of a key's bounds is told the bounds, not a reason it already meets.
        let base = "version: 1\nregion: {code: \"67\"}\n"
        let highRatio = try #require(failure(base + "limits: {max_compression_ratio: 3000000000}\n"))
        #expect(
            highRatio.description.hasSuffix(
                "'limits.max_compression_ratio' must be a number from 0 to 2147483647, not '3000000000'"),
            "\(highRatio)")
        #expect(
            try parse(base + "limits: {max_compression_ratio: 2147483647}\n").limits.maxCompressionRatio
                == ExactDecimal(2_147_483_647))
        let hugeRate = try #require(failure(base + "inputs: {fx: {USD: {2024: 1e40}}}\n"))
        #expect(
            hugeRate.description.hasSuffix(
                "'inputs.fx.USD.2024' is '1e40': more digits than grdp computes with (38 at most, written out)"),
            "\(hugeRate)")
        let bytes = try parse("version: 1\nregion: {code: \"67\"}\nlimits: {max_member_bytes: 2e9}\n")
        #expect(bytes.limits.maxMemberBytes == 2_000_000_000)
        let precise = "0.1000000000000000000000000000000000000001"
        #expect {
            try ratio(precise)
        } throws: { error in
            "\(error)".contains("more digits than grdp computes with (38 at most, written out)")
                && "\(error)".contains("methodology.ecommerce.va_ratio_default")
        }
        // More decimal places than a cell may have (18): refused at load, not left to stop a run
        // (exit 70) once Compute meets an ordinary amount (cross-check R3: 28 places).
        #expect(try ratio("1e-18") == ExactDecimal(canonical: "0.000000000000000001")!)
        #expect(try ratio("0.333333333333333333000") == ExactDecimal(canonical: "0.333333333333333333")!)
        for tooFine in [
            "1e-19", "0.3333333333333333333", "0." + String(repeating: "3", count: 28), "1e-30", "1e-60",
            "0." + String(repeating: "0", count: 40) + "1",
        ] {
            #expect {
                try ratio(tooFine)
            } throws: { error in "\(error)".contains("decimal places, more than grdp can carry") }
        }
        #expect {
            try parse("version: 1\nregion: {code: \"67\"}\nlimits: {max_member_bytes: 9223372036854775808}\n")
        } throws: { error in "\(error)".contains("larger than grdp can hold") }
        #expect(throws: ConfigError.self) {
            try parse("version: 1\nregion: {code: \"67\"}\nlimits: {max_member_bytes: 1.5e0}\n")
        }
        // A quoted numeral is the number it spells (the README's reading of "a value of the wrong
        // type", CONTRACT §2); a whole-number key takes any form whose value is whole.
        for version in ["\"1\"", "1.0", "'1'", "1e0"] {
            #expect(try parse("version: \(version)\nregion: {code: \"67\"}\n").version == 1, "\(version)")
        }
        let quoted = try parse(
            "version: 1\nregion: {code: \"67\"}\nlimits: {max_member_bytes: \"100\"}\n"
                + "targets:\n  points:\n    - {year: 2025, share_pct: \"20\"}\n")
        #expect(quoted.limits.maxMemberBytes == 100)
        #expect(quoted.targets.points.first?.sharePct == ExactDecimal(canonical: "20")!)
        for wrong in ["\"20 %\"", "twenty", "[20]", "{a: 20}", "\"\""] {
            #expect(throws: ConfigError.self, "\(wrong)") {
                try parse(
                    "version: 1\nregion: {code: \"67\"}\ntargets:\n  points:\n    - {year: 2025, share_pct: \(wrong)}\n"
                )
            }
        }
        for version in ["2", "\"2\"", "1.5", "one"] {
            #expect(throws: ConfigError.self, "\(version)") {
                try parse("version: \(version)\nregion: {code: \"67\"}\n")
            }
        }
    }

    /// A leading `./` is ignored everywhere (CONTRACT §3): `./gdp*.csv` is `gdp*.csv`; any other
    /// folder in a pattern is still an error, as a pattern matches a member's basename.
    @Test func aKindPatternMayStartWithDotSlash() throws {
        let config = try parse(
            "version: 1\nregion: {code: \"67\"}\ninputs:\n  kinds:\n    grdp: [\"./gdp*.csv\", \"././grdp*.csv\"]\n")
        #expect(config.inputs.kinds[.grdp] == ["gdp*.csv", "grdp*.csv"])
        #expect(throws: ConfigError.self) {
            try parse("version: 1\nregion: {code: \"67\"}\ninputs:\n  kinds:\n    grdp: [\"data/gdp*.csv\"]\n")
        }
        #expect(throws: ConfigError.self) {
            try parse("version: 1\nregion: {code: \"67\"}\ninputs:\n  kinds:\n    grdp: [\"./\"]\n")
        }
    }

    @Test func nullMeansDefault() throws {
        let config = try parse(
            """
            version: 1
            region:
              code: "67"
              utc_offset:
              districts: ~
            inputs:
              returns:
              kinds:
                enterprise: null
              number_format:
            limits:
            outputs:
              exports:
              keep_snapshots: ~
            methodology:
              core_vsic_prefixes:
              ecommerce:
                va_ratio_default:
            targets:
              points:
            """)
        #expect(config.region.utcOffsetMinutes == 420)
        #expect(config.inputs.returnsFolder.path == "/srv/grdp/conf/Inputs/returns")
        #expect(config.inputs.kinds == PipelineConfig.defaultKinds)
        #expect(config.inputs.numberFormat == .auto)
        #expect(config.outputs.exports.count == 2)
        #expect(config.outputs.keepSnapshots == 0)
        #expect(config.methodology.coreVSICPrefixes == PipelineConfig.defaultCoreVSICPrefixes)
        #expect(config.methodology.vaRatioDefault == dec("0.1"))
        #expect(config.targets.points.isEmpty)
    }

    @Test func codesStayStrings() throws {
        let config = try parse(
            """
            version: 1
            region: {code: 67, utc_offset: "-03:30", districts: {660: "Gia Nghĩa", "0661": x}}
            methodology: {core_vsic_prefixes: [26, "0111", 0126]}
            """)
        #expect(config.region.code == "67")
        #expect(config.region.utcOffsetMinutes == -210)
        #expect(config.region.districts["660"] == "Gia Nghĩa")
        #expect(config.region.districts["0661"] == "x")
        // Leading zeros are kept, quoted or not (we read the text, not YAML's octal).
        #expect(config.methodology.coreVSICPrefixes == ["26", "0111", "0126"])
    }

    @Test func aliasAndStatusKeysAreNormalisedLikeHeaders() throws {
        // "Thành công" typed in decomposed form (NFD) with spaces and capitals.
        let decomposed = "  THÀNH CÔNG ".decomposedStringWithCanonicalMapping
        let config = try parse(
            """
            version: 1
            region: {code: "67"}
            inputs:
              statuses: {"\(decomposed)": Refunded}
              columns:
                transaction: {Transaction_ID: ["  Mã Đơn  "]}
            """)
        #expect(config.inputs.statuses == ["thành công": .refunded])
        #expect(config.inputs.columns[.transaction]?["transaction_id"] == ["mã đơn"])
    }

    @Test func messagesNameThePathAsGiven() throws {
        // A relative path (as `--config pipeline.yml` gives) is named as typed.
        do {
            _ = try ConfigLoader.parse(yaml: "version: 1\n", fileURL: URL(fileURLWithPath: "pipeline.yml"))
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "pipeline.yml: missing required key 'region.code'")
        }
    }

    @Test func yamlSyntaxErrorHasALine() throws {
        let error = try #require(failure("version: 1\nregion: {code: \"67\"\ninputs: [\n"))
        #expect(error.kind == .invalid)
        #expect(error.line != nil)
    }
}
