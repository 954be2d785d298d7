import Foundation
import Testing

/// Bad command lines (CONTRACT §7: exit 64), as the operator of a nightly job sees them.
@Suite struct CommandLineUsageTests {
    /// With `--log-format json` stderr carries nothing but JSON lines, usage errors included: the
    /// error, the exit code (still 64) and the usage of the command concerned.
    @Test(
        arguments: [
            (["--log-format", "json", "validate", "--bogus"], "Unknown option '--bogus'", "grdp validate "),
            (["export", "--log-format", "json", "--table"], "Missing value for '--table <table>'", "grdp export "),
            (["--log-format=json", "run", "--year", "1800"], "--year 1800 is outside 1990–2100", "grdp run "),
            // A negative value is the value, not an option: said as what is wrong with it.
            (["--log-format=json", "run", "--year", "-5"], "--year -5 is outside 1990–2100", "grdp run "),
            (["--log-format=json", "run", "--wait-lock", "-1"], "--wait-lock takes a number of seconds", "grdp run "),
            // A mistyped year is not an empty table written over the portal's file.
            (["--log-format=json", "export", "--year", "224"], "--year 224 is outside 1990–2100", "grdp export "),
            // Taking the next word whatever it is, --year never swallows a flag silently.
            (["--log-format=json", "run", "--year", "--force"], "'--force' is invalid for '--year", "grdp run "),
            (["--log-format", "json"], "Missing command", "grdp [--config"),
            (["--log-format", "json", "diff", "a", "v1"], "'a' is not a snapshot version", "grdp diff "),
        ] as [([String], String, String)])
    func usageErrorsAreJSONLinesWithJSONLogs(arguments: [String], error: String, usage: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let run = try fixture.grdp(arguments)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        try #require(lines.count == 1, "\(run.stderr)")
        let object = try RecomputeTests.object(lines[0])
        #expect(object["level"] as? String == "error" && object["exit_code"] as? String == "64")
        // UTC to the millisecond, as every log line's time.
        let time = try Regex(#"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z"#)
        #expect((object["time"] as? String)?.wholeMatch(of: time) != nil, "\(lines[0])")
        #expect((object["error"] as? String)?.contains(error) == true, "\(lines[0])")
        #expect((object["usage"] as? String)?.hasPrefix(usage) == true, "\(lines[0])")
    }

    /// A missing input says what and where once, and what to do when there is something to do: a
    /// config named by an absolute path is not repeated; a relative one is shown as found from here;
    /// no snapshot yet asks for a run (exit 66 each).
    @Test func aMissingInputIsNamedOnceWithWhatToDo() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let absolute = fixture.root.appendingPathComponent("nowhere.yml").path
        let missing = try fixture.grdp("--config", absolute, "run")
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("Error: \(absolute): config file not found\n"), "\(missing.stderr)")
        let relative = try fixture.grdp("--config", "nowhere.yml", "run")
        #expect(relative.status == 66)
        #expect(relative.stderr.contains("nowhere.yml: config file not found ("), "\(relative.stderr)")
        let export = try fixture.grdp("export")
        #expect(export.status == 66)
        #expect(
            export.stderr.contains("Error: no snapshot in \(fixture.snapshots.path); run `grdp run` first\n"),
            "\(export.stderr)")
    }

    /// Text logs keep ArgumentParser's three lines for a usage error.
    @Test func usageErrorsStayTextWithoutJSONLogs() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let run = try fixture.grdp("validate", "--log-format", "text", "--bogus")
        #expect(run.status == 64)
        #expect(run.stderr.hasPrefix("Error: Unknown option '--bogus'\nUsage: grdp validate "), "\(run.stderr)")
    }

    /// A usage error found once a command runs (a snapshot version that is not one) shows that
    /// command's usage, as one found while parsing does, not the overview's.
    @Test(
        arguments: [
            (["export", "--snapshot", "xyz"], "export"), (["diff", "a", "b"], "diff"), (["verify", "zz"], "verify"),
            (["generate", "--out", "gen", "--years", "2020"], "generate"),
        ] as [([String], String)])
    func aCommandsUsageErrorShowsItsOwnUsage(arguments: [String], command: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let run = try fixture.grdp(arguments)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("Error: "), "\(run.stderr)")
        #expect(run.stderr.contains("\nUsage: grdp \(command) "), "\(run.stderr)")
        #expect(run.stderr.contains("See 'grdp \(command) --help'"), "\(run.stderr)")
    }

    /// `grdp help NAME` explains a command; a name that is no command is a bad command line,
    /// not the overview with exit 0.
    @Test func helpForAnUnknownCommandExits64() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        for arguments in [
            ["help", "bogus"], ["help", "export", "bogus"], ["--config", "pipeline.yml", "help", "nope"],
        ] {
            let run = try fixture.grdp(arguments)
            #expect(run.status == 64, "\(arguments)")
            #expect(run.stdout.isEmpty, "\(arguments)")
            #expect(run.stderr.hasPrefix("Error: "), "\(arguments): \(run.stderr)")
        }
        let known = try fixture.grdp("help", "export")
        #expect(known.status == 0)
        #expect(known.stdout.contains("USAGE: grdp export"))
        let overview = try fixture.grdp("help")
        #expect(overview.status == 0 && overview.stdout.contains("SUBCOMMANDS"))
    }

    /// An empty path (a shell variable left unset) is a bad command line, not a file that cannot
    /// be written (73) or the current folder (66, or returns generated into it).
    @Test(
        arguments: [
            (["export", "--output", ""], "--output"), (["generate", "--out", ""], "--out"),
            (["run", "--config", ""], "--config"), (["--config", "", "validate"], "--config"),
        ] as [([String], String)])
    func anEmptyPathIsAUsageError(arguments: [String], option: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let run = try fixture.grdp(arguments)
        #expect(run.status == 64, "\(arguments): \(run.stderr)")
        #expect(run.stderr.hasPrefix("Error: \(option) takes "), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.outputs.path))
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("returns/2020").path))
    }

    /// `generate`'s values are each told what is wrong with them (the form of --years, its order,
    /// its range; the counts; a negative seed taken as the seed's value), exit 64, nothing written.
    @Test(
        arguments: [
            (["--years", "2020"], "--years takes A-B, e.g. 2020-2024; it was given 2020"),
            (["--years", "2020-"], "--years takes A-B, e.g. 2020-2024; it was given 2020-"),
            (
                ["--years", "2024-2020"],
                "--years takes A-B with A no later than B, e.g. 2020-2024; it was given 2024-2020"
            ),
            (["--years", "1980-1985"], "--years must lie within 2000-2099; it was given 1980-1985"),
            (["--years", "2099-2101"], "--years must lie within 2000-2099; it was given 2099-2101"),
            (["--enterprises", "0"], "at least 2 enterprises are needed (one ICT-core, one other), not 0"),
            (["--transactions", "-1"], "transactions must be 0 or more, not -1"),
            (
                ["--transactions", "9223372036854775807"],
                "at most 1,000,000,000 transactions, not 9223372036854775807"
            ),
            (
                ["--layout", "increment", "--increment", "9223372036854775807"],
                "the increment takes at most 1,000,000,000 transactions, not 9223372036854775807"
            ),
            (["--seed", "-5"], "The value '-5' is invalid for '--seed <seed>'"),
        ] as [([String], String)])
    func generateSaysWhatIsWrongWithAValue(arguments: [String], error: String) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let out = fixture.root.appendingPathComponent("generated")
        let run = try fixture.grdp(["generate", "--out", out.path] + arguments)
        #expect(run.status == 64, "\(arguments): \(run.stderr)")
        #expect(run.stderr.contains(error), "\(arguments): \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    /// The hidden `bench-unpack` names an archive it cannot read and exits 65, as a run would
    /// reject it (it exited 70 without the name).
    @Test func benchUnpackNamesAnArchiveItCannotRead() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try FileManager.default.createDirectory(at: fixture.returns, withIntermediateDirectories: true)
        try Data("not a zip".utf8).write(to: fixture.returns.appendingPathComponent("2024-01-10_x.zip"))
        let run = try fixture.grdp("bench-unpack", fixture.returns.path)
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("2024-01-10_x.zip: "), "\(run.stderr)")
    }
}
