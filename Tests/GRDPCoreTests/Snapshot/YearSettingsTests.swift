import Foundation
import Testing

@testable import GRDPCore

/// `snapshot_meta.settings_sha256_by_year` as stored and read back (`YearSettings`).
@Suite struct YearSettingsTests {
    static let hash = String(repeating: "9f", count: 32)

    @Test func theTextIsOneLineInYearOrderAndReadsBack() throws {
        let settings = YearSettings(years: [2024: Self.hash, 2023: Self.hash])
        #expect(
            settings.text
                == "{\"scheme\":\"grdp-year-settings-v1\",\"years\":{\"2023\":\"\(Self.hash)\",\"2024\":\"\(Self.hash)\"}}"
        )
        #expect(YearSettings(text: settings.text) == settings)
        #expect(settings.settings(ofYear: 2023) == Self.hash && settings.settings(ofYear: 2022) == nil)
        #expect(YearSettings(text: YearSettings(years: [:]).text)?.years.isEmpty == true)
    }

    /// Another scheme's hashes are made otherwise: they tell nothing of a year (review 37, L3).
    @Test func aRecordOfAnotherSchemeTellsNothing() throws {
        let other = try #require(
            YearSettings(text: YearSettings(scheme: "grdp-year-settings-v9", years: [2023: Self.hash]).text))
        #expect(other.settings(ofYear: 2023) == nil)
    }

    @Test(arguments: [
        "", "{}", "[]", "{\"years\":{}}",
        "{\"scheme\":\"grdp-year-settings-v1\",\"years\":{\"2023\":\"\(hash)\"},\"extra\":1}",
        "{\"years\":{},\"scheme\":\"grdp-year-settings-v1\"}",
        "{\"scheme\": \"grdp-year-settings-v1\",\"years\":{}}",
        "{\"scheme\":\"Grdp\",\"years\":{}}",
        "{\"scheme\":\"grdp-year-settings-v1\",\"years\":{\"02023\":\"\(hash)\"}}",
        "{\"scheme\":\"grdp-year-settings-v1\",\"years\":{\"2023\":\"\(hash.uppercased())\"}}",
        "{\"scheme\":\"grdp-year-settings-v1\",\"years\":{\"2024\":\"\(hash)\",\"2023\":\"\(hash)\"}}",
        "{\"scheme\":\"grdp-year-settings-v1\",\"years\":{\"2023\":1}}",
    ])
    func anyOtherTextIsNoRecord(_ text: String) {
        #expect(YearSettings(text: text) == nil)
    }

    /// A rate applies to its year alone: another year's edit leaves a year's settings as they were.
    @Test func anFXRateIsInItsYearsSettingsAlone() throws {
        let yaml = """
            version: 1
            region: {code: "67"}
            inputs:
              fx:
                USD: {2023: 23800, 2024: 24900}

            """
        let file = URL(fileURLWithPath: "/tmp/pipeline.yml")
        let config = try ConfigLoader.parse(yaml: yaml, fileURL: file)
        let edited = try ConfigLoader.parse(
            yaml: yaml.replacingOccurrences(of: "2024: 24900", with: "2024: 25000"), fileURL: file)
        #expect(config.methodSHA256(forYear: 2023) == edited.methodSHA256(forYear: 2023))
        #expect(config.methodSHA256(forYear: 2024) != edited.methodSHA256(forYear: 2024))
        #expect(config.methodSHA256(forYear: 2023) != config.methodSHA256(forYear: 2024))
        // By value: a trailing zero is no new setting (review 38, N1).
        let respelt = try ConfigLoader.parse(
            yaml: yaml.replacingOccurrences(of: "2023: 23800", with: "2023: 23800.0"), fileURL: file)
        #expect(config.methodSHA256(forYear: 2023) == respelt.methodSHA256(forYear: 2023))
    }
}
