import Foundation
import Testing

@testable import GRDPCore

#if canImport(Glibc)
    import Glibc
#endif

/// Config errors an operator can act on: each names the file, the dotted key path and the line.
@Suite struct ConfigLoaderErrorTests {
    static let file = URL(fileURLWithPath: "/srv/grdp/conf/pipeline.yml")

    /// The error thrown for `yaml`, or nil when it parses.
    static func failure(_ yaml: String) -> ConfigError? {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, fileURL: file)
            return nil
        } catch {
            return error
        }
    }

    /// A `[` without its `]` is an ordinary character to the matcher, and a reversed range
    /// matches nothing: a pattern with either would take no member as data, without a word.
    @Test(
        arguments: [
            ("enterprise[0-9.csv", "without its ']'"),
            ("grdp[9-0].csv", "range '9-0'"),
            ("grdp_[Z-a]*.csv", "range 'z-a'"),
            ("[!abc", "without its ']'"),
        ])
    func aKindsPatternThatCanMatchNothingIsInvalid(pattern: String, reason: String) throws {
        let yaml =
            "version: 1\nregion: {code: \"67\"}\ninputs:\n  kinds:\n    grdp:\n      - \"grdp*.csv\"\n"
            + "      - \"\(pattern)\"\n"
        let error = try #require(Self.failure(yaml), "\(pattern)")
        #expect(error.kind == .invalid && error.exitCode == 64)
        #expect(error.key == "inputs.kinds.grdp[1]")
        #expect(error.line == 7)
        #expect(error.message.contains(reason), "\(error)")
        #expect(error.description.hasPrefix("/srv/grdp/conf/pipeline.yml, line 7: 'inputs.kinds.grdp[1]': "))
    }

    /// Sets, ranges, negations, a `]` first in a set and `[[]` for a `[` itself stay valid.
    @Test func validGlobsAreAccepted() throws {
        let patterns = ["grdp[0-9]*.csv", "grdp[!x].csv", "grdp[^x].csv", "grdp[]]*.csv", "grdp[[]x].csv", "*?.csv"]
        let list = patterns.map { "\"\($0)\"" }.joined(separator: ", ")
        let config = try ConfigLoader.parse(
            yaml: "version: 1\nregion: {code: \"67\"}\ninputs:\n  kinds:\n    grdp: [\(list)]\n", fileURL: Self.file)
        #expect(config.inputs.kinds[.grdp] == patterns)
    }

    /// A required key given with no value names its line, as every other config error does; one
    /// left out altogether has no line of its own.
    @Test(
        arguments: [
            ("version:\nregion: {code: \"67\"}\n", "version", 1),
            ("version: 1\nregion:\n  name: x\n  code:\n", "region.code", 4),
            ("version: 1\nregion: {code: ~}\n", "region.code", 2),
            ("version: 1\n\nregion:\n", "region.code", 3),
            (
                "version: 1\nregion: {code: \"67\"}\noutputs:\n  exports:\n    - {table: , format: csv}\n",
                "outputs.exports[0].table", 5
            ),
            (
                "version: 1\nregion: {code: \"67\"}\ntargets:\n  points:\n    - year: 2020\n      share_pct:\n",
                "targets.points[0].share_pct", 6
            ),
        ] as [(String, String, Int)])
    func anEmptyRequiredKeyNamesItsLine(yaml: String, key: String, line: Int) throws {
        let error = try #require(Self.failure(yaml))
        #expect(error.exitCode == 64)
        #expect(error.key == key)
        #expect(error.line == line, "\(error)")
        #expect(error.description.hasPrefix("/srv/grdp/conf/pipeline.yml, line \(line): "), "\(error)")
        #expect(error.message.contains("'\(key)'"), "\(error)")
    }

    /// YAML refuses a mapping with a key given twice; the message names the key's path, not the
    /// bare key, at the line of the second one and with the line of the first.
    @Test(
        arguments: [
            ("version: 1\nregion:\n  code: \"67\"\n  code: \"68\"\n", "region.code", 4, 3),
            ("version: 1\nregion: {code: \"67\", name: x, code: \"68\"}\n", "region.code", 2, 2),
            ("version: 1\nregion: {code: \"67\"}\nversion: 1\n", "version", 3, 1),
            (
                "version: 1\nregion: {code: \"67\"}\ntargets:\n  points:\n    - {year: 2020, share_pct: 1}\n"
                    + "    - year: 2025\n      share_pct: 2\n      year: 2026\n",
                "targets.points[1].year", 8, 6
            ),
            // Three times, and another mapping with a key twice: still the first reported.
            (
                "version: 1\nregion: {code: \"67\"}\ninputs:\n  fx:\n    USD: {2023: 1, 2023: 2, 2023: 3}\n"
                    + "    EUR:\n      2024: 1\n      2024: 2\n",
                "inputs.fx.USD.2023", 5, 5
            ),
            (
                "version: 1\r\nregion:\r\n  name: \"Đắk Nông\"\r\n  \"code\": \"67\"\r\n  code: \"67\"\r\n",
                "region.code", 5, 4
            ),
        ] as [(String, String, Int, Int)])
    func aKeyGivenTwiceNamesItsPathAndBothLines(yaml: String, key: String, line: Int, firstLine: Int) throws {
        let error = try #require(Self.failure(yaml))
        #expect(error.exitCode == 64)
        #expect(error.key == key)
        #expect(error.line == line)
        #expect(
            error.description
                == "/srv/grdp/conf/pipeline.yml, line \(line): key '\(key)' is given twice (first on line \(firstLine))"
        )
    }

    /// A FIFO given as the config is refused for what it is (exit 66, as a folder is), without
    /// opening it: Foundation's own refusal spoke of permissions.
    @Test func aFIFOGivenAsTheConfigIsNotARegularFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("pipeline.yml")
        try #require(mkfifo(fifo.path, 0o600) == 0)
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.load(from: fifo) }
        #expect(error.kind == .missingFile && error.exitCode == 66)
        #expect(error.message == "config path is a FIFO (named pipe), not a regular file", "\(error)")
        #expect(!error.description.contains("permission"))
    }

    /// A config file that cannot be reached says why in the system's words (a link loop, a name too
    /// long: "not found" sent the operator to look for a file that is there), exit 66.
    @Test func aConfigThatCannotBeReachedSaysWhy() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let loop = folder.appendingPathComponent("loop.yml")
        try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: loop.path)
        let looped = try #require(throws: ConfigError.self) { try ConfigLoader.load(from: loop) }
        #expect(looped.exitCode == 66)
        #expect(
            looped.message.hasSuffix(
                "cannot read config file: Too many levels of symbolic links (ELOOP, errno \(ELOOP))"))
        let long = folder.appendingPathComponent(String(repeating: "b", count: 300) + ".yml")
        let tooLong = try #require(throws: ConfigError.self) { try ConfigLoader.load(from: long) }
        #expect(tooLong.message.hasSuffix("(ENAMETOOLONG, errno \(ENAMETOOLONG))"), "\(tooLong)")
        // `pipeline.yml/` names a folder: not read as the file.
        let file = folder.appendingPathComponent("pipeline.yml")
        try Data("version: 1\nregion: {code: \"67\"}\n".utf8).write(to: file)
        #expect(throws: Never.self) { try ConfigLoader.load(from: file) }
        let slashed = try #require(throws: ConfigError.self) {
            try ConfigLoader.load(from: URL(fileURLWithPath: file.path + "/"))
        }
        #expect(slashed.exitCode == 66 && slashed.message.contains("the path ends with '/'"), "\(slashed)")
        let missing = try #require(throws: ConfigError.self) {
            try ConfigLoader.load(from: folder.appendingPathComponent("none.yml"))
        }
        #expect(missing.message.hasPrefix("config file not found"), "\(missing)")
    }

    /// An outputs folder that is, or is in, the returns folder is a config error naming both
    /// (the run would read its own snapshots and reports as returns, then fail every export);
    /// beside it, or the returns inside the outputs' parent, is fine.
    @Test func anOutputsFolderInTheReturnsFolderIsRefused() throws {
        for (returns, outputs, inside) in [
            (".", "Outputs", true), ("data", "data", true), ("data", "data/out", true),
            ("data/", "./data/x/../out", true),
            ("data", "data-out", false), ("data/returns", "data", false), ("returns", "../Outputs", false),
        ] {
            let yaml =
                "version: 1\nregion: {code: \"67\"}\ninputs:\n  returns: \(returns)\noutputs:\n  folder: \(outputs)\n"
            let error = Self.failure(yaml)
            #expect((error != nil) == inside, "\(returns) / \(outputs): \(String(describing: error))")
            guard let error else { continue }
            #expect(error.exitCode == 64 && error.key == "outputs.folder" && error.line == 6, "\(error)")
            #expect(error.message.contains("inputs.returns (/srv/grdp/conf"), "\(error)")
        }
    }

    /// The same once links are followed (config audit 31, F1): the returns share reached through
    /// a link and the outputs written to its real path, an absolute path to the returns' real
    /// place, or a `snapshots` link into the returns. The run published its snapshot, cache and
    /// reports among the returns, then failed every night on its exports (73), or published there
    /// without a word (the link). Now 64 before anything is written; a link to elsewhere is fine.
    @Test func anOutputsFolderThatIsTheReturnsFolderThroughALinkIsRefused() throws {
        let folder = try TemporaryFolder()
        let fm = FileManager.default
        let real = folder.url.appendingPathComponent("share/returns")
        try fm.createDirectory(at: real, withIntermediateDirectories: true)
        try fm.createSymbolicLink(
            at: folder.url.appendingPathComponent("mounted"),
            withDestinationURL: folder.url.appendingPathComponent("share"))
        try fm.createDirectory(at: folder.url.appendingPathComponent("Outputs"), withIntermediateDirectories: true)
        func load(returns: String, outputs: String) -> ConfigError? {
            let yaml =
                "version: 1\nregion: {code: \"67\"}\ninputs:\n  returns: \(returns)\noutputs:\n  folder: \(outputs)\n"
            do {
                _ = try ConfigLoader.parse(yaml: yaml, fileURL: folder.url.appendingPathComponent("pipeline.yml"))
                return nil
            } catch {
                return error
            }
        }
        for (returns, outputs, what) in [
            ("mounted/returns", "share/returns", "outputs.folder"),
            ("mounted/returns", "share/returns/out", "outputs.folder"),
            ("share/returns", folder.url.appendingPathComponent("mounted/returns").path, "outputs.folder"),
        ] {
            let error = try #require(load(returns: returns, outputs: outputs), "\(returns) / \(outputs)")
            #expect(error.exitCode == 64 && error.key == "outputs.folder" && error.line == 6, "\(error)")
            #expect(error.message.hasPrefix("\(what) ("), "\(error)")
            #expect(error.message.contains("once links are followed"), "\(error)")
        }
        #expect(load(returns: "mounted/returns", outputs: "Outputs") == nil)
        // A snapshots folder that is a link into the returns.
        try fm.createSymbolicLink(
            at: folder.url.appendingPathComponent("Outputs/snapshots"), withDestinationURL: real)
        let linked = try #require(load(returns: "share/returns", outputs: "Outputs"))
        #expect(linked.message.hasPrefix("its snapshots folder ("), "\(linked)")
        try fm.removeItem(at: folder.url.appendingPathComponent("Outputs/snapshots"))
        try fm.createSymbolicLink(
            at: folder.url.appendingPathComponent("Outputs/snapshots"),
            withDestinationURL: folder.url.appendingPathComponent("elsewhere"))
        #expect(load(returns: "share/returns", outputs: "Outputs") == nil)
    }

    /// A bind mount of the returns share is another path to the same folder, which no link shows:
    /// compared by device and inode too (review 31, M2). Mounting needs root (CI runs as root);
    /// where `mount --bind` is refused there is nothing to test.
    @Test func anOutputsFolderInTheReturnsFolderThroughABindMountIsRefused() throws {
        let folder = try TemporaryFolder()
        let fm = FileManager.default
        let share = folder.url.appendingPathComponent("share")
        let bind = folder.url.appendingPathComponent("bind")
        try fm.createDirectory(at: share.appendingPathComponent("returns"), withIntermediateDirectories: true)
        try fm.createDirectory(at: bind, withIntermediateDirectories: true)
        func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        guard getuid() == 0, (try? run("/bin/mount", ["--bind", share.path, bind.path])) == 0 else { return }
        // Unmounted before the folder goes: removing it through the mount would empty `share`.
        defer { #expect((try? run("/bin/umount", [bind.path])) == 0, "bind mount left at \(bind.path)") }
        let yaml =
            "version: 1\nregion: {code: \"67\"}\ninputs:\n  returns: share/returns\noutputs:\n  folder: bind/returns/Out\n"
        let error = try #require(
            throws: ConfigError.self,
            performing: {
                try ConfigLoader.parse(yaml: yaml, fileURL: folder.url.appendingPathComponent("pipeline.yml"))
            })
        #expect(error.exitCode == 64 && error.key == "outputs.folder" && error.line == 6, "\(error)")
        #expect(error.message.contains("reached by another path"), "\(error)")
        let beside = yaml.replacingOccurrences(of: "bind/returns/Out", with: "bind/Out")
        #expect(throws: Never.self) {
            try ConfigLoader.parse(yaml: beside, fileURL: folder.url.appendingPathComponent("pipeline.yml"))
        }
    }

    /// An fx rate written `24.900` is 24,900 VND to a Vietnamese reader and 24.9 to YAML: taken
    /// as 24.9, every USD amount was converted 1,000 times too small without a word (config audit
    /// 31, F3). With no other rate of the currency to go by, it is refused, giving both readings
    /// and guessing neither (review 31, M3: "write 165125" was offered for a yen rate).
    @Test(arguments: ["24.900", "\"24.900\"", "1.000", "165.125", " 24.900 ", "+24.900"])
    func anFxRateGroupedLikeVietnameseAloneIsRefused(rate: String) throws {
        let yaml = "version: 1\nregion: {code: \"67\"}\ninputs:\n  fx:\n    USD: {2024: \(rate)}\n"
        let error = try #require(Self.failure(yaml), "\(rate)")
        #expect(error.exitCode == 64 && error.key == "inputs.fx.USD.2024" && error.line == 5, "\(error)")
        #expect(error.message.contains("as Vietnamese writes it, or"), "\(error)")
        #expect(error.message.contains("whichever is meant"), "\(error)")
    }

    /// Beside the currency's other rates, one reading is near them and the other 1,000 times
    /// off: a dollar rate `24.900` among 23,000s is refused as the grouping it is, naming 24900;
    /// yen, won and baht rates with three decimals among their like are read as written.
    @Test func anFxRateGroupedLikeVietnameseIsJudgedByTheCurrencysOtherRates() throws {
        func config(_ rates: String) -> String {
            "version: 1\nregion: {code: \"67\"}\ninputs:\n  fx:\n    X: 1\n".replacingOccurrences(
                of: "    X: 1\n", with: rates)
        }
        let dollar = try #require(Self.failure(config("    USD: {2022: 23400, 2023: 23800, 2024: 24.900}\n")))
        #expect(dollar.key == "inputs.fx.USD.2024" && dollar.line == 5, "\(dollar)")
        #expect(
            dollar.message.hasSuffix(
                "read by YAML as 24.9, about 1,000 times below the currency's other rates; a point grouping "
                    + "thousands, as Vietnamese writes it, makes it 24900: write 24900 (or 24.9000 if 24.9 is meant)"),
            "\(dollar)")
        for rates in [
            "    JPY: {2023: 160, 2024: 165.125}\n", "    KRW: {2022: 18.2, 2023: 18.125, 2024: 18.4}\n",
            "    THB: {2023: 700.5, 2024: 700.375}\n", "    USD: {2024: 24900}\n", "    USD: {2024: 24.9}\n",
            "    USD: {2024: 24.9000}\n", "    USD: {2024: 1234.500}\n", "    USD: {2024: 2.49e4}\n",
        ] {
            #expect(Self.failure(config(rates)) == nil, "\(rates)")
        }
        // A `+` before it, which YAML reads past as well (audit 32, M2: `+24.900` was taken as 24.9).
        let signed = try #require(Self.failure(config("    USD: {2022: 23400, 2023: 23800, 2024: +24.900}\n")))
        #expect(signed.key == "inputs.fx.USD.2024" && signed.message.contains("makes it 24900"), "\(signed)")
        // Neither reading near the others: both given.
        let neither = try #require(Self.failure(config("    USD: {2023: 23800, 2024: 400.000}\n")))
        #expect(neither.message.contains("whichever is meant"), "\(neither)")
        // Every rate of the currency written so: either reading fits the others alike, and both
        // are given (audit 32, M1; the README says so).
        let alike = try #require(Self.failure(config("    JPY: {2023: 160.125, 2024: 165.125}\n")))
        #expect(alike.key == "inputs.fx.JPY.2023" && alike.message.contains("whichever is meant"), "\(alike)")
        // No number at all: said as such, not as a rate at or below 0 (audit 32, L3).
        let underscored = try #require(Self.failure(config("    USD: {2024: 24_900}\n")))
        #expect(
            underscored.message.hasSuffix("must be a number greater than 0 (VND per unit), not '24_900'"),
            "\(underscored)")
        let loaded = try ConfigLoader.parse(
            yaml: config("    JPY: {2023: 160, 2024: 165.125}\n"), fileURL: Self.file)
        #expect(loaded.inputs.fx["JPY"]?[2024] == ExactDecimal(canonical: "165.125"))
    }

    /// A rate 100 times or more from the currency's other rates is refused, naming both (audit 33,
    /// E12: `24.9` among dollar rates of 23,800 converted 2023's dollar sales 1,000 times too
    /// small without a word); rates that move as currencies do are read.
    @Test func anFxRateFarFromTheCurrencysOtherRatesIsRefused() throws {
        func config(_ rates: String) -> String {
            "version: 1\nregion: {code: \"67\"}\ninputs:\n  fx:\n" + rates
        }
        let short = try #require(Self.failure(config("    USD: {2022: 23400, 2023: 24.9, 2024: 24900}\n")))
        #expect(short.exitCode == 64 && short.key == "inputs.fx.USD.2023" && short.line == 5, "\(short)")
        #expect(
            short.message.hasSuffix(
                "is 24.9 VND per unit, below the currency's 2024 rate (24900) by a factor of 100 or more, which no "
                    + "currency moves by in two years: write each rate in VND per unit, in full (24900, not 24.9)"),
            "\(short)")
        // Judged by the rates of the two years either side, whatever lies further.
        let near = try #require(Self.failure(config("    USD: {2010: 24, 2020: 23200, 2022: 23.4}\n")))
        #expect(
            near.key == "inputs.fx.USD.2020" && near.message.contains("above the currency's 2022 rate (23.4)"),
            "\(near)")
        let two = try #require(Self.failure(config("    EUR: {2023: 25800000, 2024: 26100}\n")))
        #expect(two.key == "inputs.fx.EUR.2023" && two.message.contains("above the currency's 2024 rate"), "\(two)")
        for rates in [
            "    USD: {2020: 23200, 2021: 23100, 2022: 23400, 2023: 23800, 2024: 24900}\n",
            "    KRW: {2023: 18.1, 2024: 18.4}\n", "    JPY: {2020: 217, 2024: 165}\n", "    USD: {2024: 24.9}\n",
            // Rates more than two years apart are not compared: a currency may lose 99 % in a
            // decade (cross-check audit 40, L1).
            "    ARS: {2013: 3900, 2024: 27}\n",
        ] {
            #expect(Self.failure(config(rates)) == nil, "\(rates)")
        }
    }

    /// A YAML tag grdp would not honour is refused, naming the key: it was dropped and the text
    /// taken (`!!binary` text became the region's name; config audit 31, L1). `!!str`, `!!int`,
    /// `!!float` and no tag at all are read as before.
    @Test func aYAMLTagGrdpDoesNotHonourIsRefused() throws {
        for (yaml, key, tag) in [
            ("version: !!null 1\nregion: {code: \"67\"}\n", "version", "!!null"),
            ("version: !!bool 1\nregion: {code: \"67\"}\n", "version", "!!bool"),
            ("version: 1\nregion: {code: \"67\", name: !!binary aGVsbG8=}\n", "region.name", "!!binary"),
            (
                "version: 1\nregion: {code: \"67\"}\ninputs:\n  fx:\n    USD: {2024: !foo 24900}\n",
                "inputs.fx.USD.2024", "!foo"
            ),
            ("version: 1\nregion: {code: \"67\"}\ntargets:\n  points: !!set\n    ? a\n", "targets.points", "!!set"),
        ] {
            let error = try #require(Self.failure(yaml), "\(yaml)")
            #expect(error.exitCode == 64 && error.key == key, "\(error)")
            #expect(error.message.contains("has the YAML tag '\(tag)'"), "\(error)")
        }
        for yaml in [
            "version: !!int 1\nregion: {code: !!str 67}\n",
            "version: 1\nregion: {code: \"67\", name: !!str Đắk Nông}\n",
            "version: 1\nregion: {code: \"67\"}\ntargets:\n  points:\n    - {year: 2025, share_pct: !!float 20, source: x}\n",
        ] {
            #expect(Self.failure(yaml) == nil, "\(yaml)")
        }
    }

    /// A NUL in a text (YAML's `"\0"`) names no path: `outputs.folder: "a\0b"` made a folder
    /// `a%00b` (config audit 31, L2). Refused wherever a text is read.
    @Test func aTextHoldingANULIsRefused() throws {
        for (yaml, key, line) in [
            ("version: 1\nregion: {code: \"67\"}\noutputs:\n  folder: \"a\\0b\"\n", "outputs.folder", 4),
            ("version: 1\nregion: {code: \"67\", name: \"Đắk\\0Nông\"}\n", "region.name", 2),
            // A key too (review 31, L4).
            (
                "version: 1\nregion:\n  code: \"67\"\n  districts: {\"66\\0\": Gia Nghĩa}\n",
                "region.districts.66\u{0}", 4
            ),
        ] {
            let error = try #require(Self.failure(yaml), "\(yaml)")
            #expect(error.exitCode == 64 && error.key == key && error.line == line, "\(error)")
            #expect(error.message.contains("NUL character"), "\(error)")
        }
    }

    /// A message about a value written as a block (a list or mapping on the lines below its
    /// key) names the key's line, not the line its first item is on (config audit 31, L4e: 110
    /// such messages pointed one line low).
    @Test func anErrorAboutABlockValueNamesItsKeysLine() throws {
        let column = try #require(
            Self.failure(
                "version: 1\nregion: {code: \"67\"}\ninputs:\n  columns:\n    enterprise:\n      tax-code:\n"
                    + "        - \"MST\"\n"))
        #expect(column.line == 6 && column.key == "inputs.columns.enterprise.tax-code", "\(column)")
        let points = try #require(
            Self.failure("version: 1\nregion: {code: \"67\"}\ntargets:\n  points:\n    year: 2020\n"))
        #expect(points.line == 4 && points.key == "targets.points", "\(points)")
        // A scalar's key and value share their line, as before.
        let scalar = try #require(
            Self.failure("version: 1\nregion: {code: \"67\"}\nquality:\n  max_quarantine_ratio: x\n"))
        #expect(scalar.line == 4, "\(scalar)")
    }

    /// A number written with a comma inside `{…}` is split there by YAML (`share_pct: 0,2` is
    /// `share_pct: 0` and a key `2`; `2024: 24,900` a rate of 24 and a year `900`): the message
    /// says so, not only that `2` is an unknown key (config audit 31, L4b).
    @Test func aNumberWithACommaInAFlowMappingIsExplained() throws {
        for yaml in [
            "version: 1\nregion: {code: \"67\"}\ntargets:\n  points:\n    - {year: 2025, share_pct: 0,2, source: x}\n",
            "version: 1\nregion: {code: \"67\"}\ninputs:\n  fx:\n    USD: {2024: 24,900}\n",
        ] {
            let error = try #require(Self.failure(yaml))
            #expect(error.exitCode == 64 && error.line == 5, "\(error)")
            #expect(error.message.contains("a comma between {…} separates entries"), "\(error)")
        }
        let unknown = try #require(Self.failure("version: 1\nregion: {code: \"67\"}\nextra: 1\n"))
        #expect(!unknown.message.contains("comma"), "\(unknown)")
    }

    /// `region.code` is a GSO province code (CONTRACT §2): two digits. Anything else would
    /// exclude every GRDP row and sale whose province cell is filled in.
    @Test(arguments: ["Đắk Nông", "7", "067", "6 7", "DN"])
    func aRegionCodeIsTwoDigits(code: String) throws {
        let error = try #require(Self.failure("version: 1\nregion:\n  code: \"\(code)\"\n"), "\(code)")
        #expect(error.exitCode == 64 && error.key == "region.code" && error.line == 3)
        #expect(error.message.contains("two digits"), "\(error)")
        for valid in ["code: \"67\"", "code: 67", "code: \" 01 \""] {
            #expect(Self.failure("version: 1\nregion: {\(valid)}\n") == nil, "\(valid)")
        }
    }
}
