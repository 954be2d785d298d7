import CArchive
import Crypto
import Foundation
import Testing

@testable import GRDPCore

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-gen-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// SHA-256 of every file the summary lists, by relative path.
private func hashes(_ summary: GenerationSummary) throws -> [String: String] {
    var result: [String: String] = [:]
    for file in summary.files {
        let data = try Data(contentsOf: summary.folder.appendingPathComponent(file))
        result[file] = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
    return result
}

/// Regular members of an archive (libarchive's read API): path → bytes.
private func readArchive(_ url: URL) throws -> [String: [UInt8]] {
    let archive = try #require(archive_read_new())
    defer { archive_read_free(archive) }
    archive_read_support_filter_all(archive)
    if url.path.hasSuffix(".csv.gz") {
        archive_read_support_format_raw(archive)
    } else {
        archive_read_support_format_all(archive)
    }
    #expect(archive_read_open_filename(archive, url.path, 65536) == ARCHIVE_OK)
    var members: [String: [UInt8]] = [:]
    var entry: OpaquePointer?
    while archive_read_next_header(archive, &entry) == ARCHIVE_OK {
        let path = archive_entry_pathname(entry).map { String(cString: $0) } ?? "data"
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            #expect(n >= 0)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        members[path] = bytes
    }
    return members
}

private func options(seed: UInt64 = 1, enterprises: Int = 80, transactions: Int = 3_000) -> ReturnsGenerator.Options {
    var options = ReturnsGenerator.Options()
    options.seed = seed
    options.enterprises = enterprises
    options.transactions = transactions
    return options
}

@Suite struct GenerateReturnsTests {
    @Test func sameSeedWritesIdenticalBytes() throws {
        let a = try temporaryFolder()
        let b = try temporaryFolder()
        defer {
            try? FileManager.default.removeItem(at: a)
            try? FileManager.default.removeItem(at: b)
        }
        let first = try ReturnsGenerator(options: options()).write(to: a)
        let second = try ReturnsGenerator(options: options()).write(to: b)
        #expect(first.files == second.files)
        #expect(try hashes(first) == hashes(second))
        // Every format is there: zip, tar.gz, tar.xz, tar.bz2 and single .csv.gz files.
        for suffix in [".zip", ".tar.gz", ".tar.xz", ".tar.bz2", ".csv.gz"] {
            #expect(first.files.contains { $0.hasSuffix(suffix) }, "no \(suffix)")
        }
        #expect(first.files.contains("pipeline.yml"))
        #expect(first.files.contains("returns/2021-03-15_so-ke-hoach-dau-tu.zip"))
        #expect(first.rows[.transaction] ?? 0 >= 3_000)
        #expect(first.rows[.grdp] == 5 * 3 + 4)
    }

    @Test func differentSeedWritesDifferentBytes() throws {
        let a = try temporaryFolder()
        let b = try temporaryFolder()
        defer {
            try? FileManager.default.removeItem(at: a)
            try? FileManager.default.removeItem(at: b)
        }
        let first = try hashes(ReturnsGenerator(options: options(seed: 1)).write(to: a))
        let second = try hashes(ReturnsGenerator(options: options(seed: 2)).write(to: b))
        let differing = first.keys.filter { first[$0] != second[$0] }
        // Enterprise and transaction archives differ; GRDP tables are the calibration and may not.
        #expect(differing.contains { $0.hasSuffix("so-ke-hoach-dau-tu.zip") })
        #expect(differing.contains { $0.contains("san-tmdt") })
    }

    @Test func refusesToMixWithEarlierReturns() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try ReturnsGenerator(options: options(enterprises: 10, transactions: 100)).write(to: folder)
        #expect(throws: ReturnsGenerator.GenerationError.self) {
            try ReturnsGenerator(options: options(enterprises: 10, transactions: 100)).write(to: folder)
        }
        var replacing = options(seed: 9, enterprises: 10, transactions: 100)
        replacing.replaceExisting = true
        _ = try ReturnsGenerator(options: replacing).write(to: folder)
    }

    @Test func taxCodesAreValid() throws {
        // DOMAIN.md's example: 0100109106 (31·0+29·1+…+3·0 = 114; 114 mod 11 = 4; 10 − 4 = 6).
        #expect(SyntheticTaxCode.isValid("0100109106"))
        #expect(SyntheticTaxCode.isValid("0100109106-001"))
        #expect(!SyntheticTaxCode.isValid("0100109107"))
        #expect(!SyntheticTaxCode.isValid("010010910"))
        let dataset = SyntheticDataset(options: options(enterprises: 400, transactions: 2_000))
        #expect(Set(dataset.enterprises.map(\.taxCode)).count == 400)
        for enterprise in dataset.enterprises {
            #expect(SyntheticTaxCode.isValid(enterprise.taxCode), "\(enterprise.taxCode)")
            #expect(enterprise.taxCode.hasPrefix("64"))
        }
        #expect(dataset.enterprises.contains { $0.isBranch && $0.taxCode.hasSuffix("-001") })
        for quarter in 1...4 {
            for transaction in dataset.transactions(year: 2022, quarter: quarter) {
                let code = transaction.seller.code
                switch transaction.seller {
                case .individual: #expect(code.isEmpty || (code.count == 12 && code.hasPrefix("067")))
                default: #expect(SyntheticTaxCode.isValid(code), "\(code)")
                }
            }
        }
    }

    @Test func generatedConfigParses() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let summary = try ReturnsGenerator(options: options(enterprises: 20, transactions: 200)).write(to: folder)
        let config = try ConfigLoader.load(from: summary.configFile)
        #expect(config.region.code == "67")
        #expect(config.region.name == "Đắk Nông")
        #expect(config.region.utcOffsetMinutes == 420)
        #expect(config.region.districts.count == 8)
        #expect(config.region.districts["666"] == "Đắk R'Lấp")
        #expect(config.inputs.returnsFolder.path == folder.appendingPathComponent("returns").standardizedFileURL.path)
        #expect(config.inputs.statuses["thành công"] == .completed)
        #expect(config.inputs.statuses["đã hủy"] == .cancelled)
        #expect(config.inputs.columns[.enterprise]?["tax_code"] == ["mst", "mã số thuế"])
        #expect(config.inputs.fx["USD"]?[2022] == ExactDecimal(23_400))
        #expect(config.inputs.fx["USD"]?.count == 5)
        #expect(config.methodology.vaRatioByChannel["marketplace"] == ExactDecimal(canonical: "0.08"))
        #expect(config.methodology.digitisedCoefficients["K"] == ExactDecimal(canonical: "0.08"))
        #expect(config.targets.points.map(\.year) == [2020, 2025, 2030])
        #expect(config.outputs.exports.count == 2)
    }

    @Test func archivesHoldTheNamedMembers() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let summary = try ReturnsGenerator(options: options(enterprises: 40, transactions: 800)).write(to: folder)
        let returns = folder.appendingPathComponent("returns")
        let zip = try readArchive(returns.appendingPathComponent("2023-03-15_so-ke-hoach-dau-tu.zip"))
        #expect(
            Set(zip.keys) == [
                "dieu-tra-doanh-nghiep/enterprise_2022.csv", "dieu-tra-doanh-nghiep/huyen/enterprise_2022_vi.csv",
            ])
        let english = String(decoding: zip["dieu-tra-doanh-nghiep/enterprise_2022.csv"]!, as: UTF8.self)
        #expect(english.hasPrefix("tax_code,name,vsic,district_code,employees,value_added,"))
        let vietnamese = zip["dieu-tra-doanh-nghiep/huyen/enterprise_2022_vi.csv"]!
        #expect(Array(vietnamese.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: vietnamese, as: UTF8.self).contains("MST;Tên doanh nghiệp;"))

        let grdp = try readArchive(returns.appendingPathComponent("2023-01-20_cuc-thong-ke/grdp_2022.csv.gz"))
        let grdpText = String(decoding: try #require(grdp.values.first), as: UTF8.self)
        // 2021 revised to its final figure, 2022 preliminary (99 %), 2022 at 2010 prices, Đắk Lắk.
        #expect(grdpText.contains("2021,67,current,42600.0\n"))
        #expect(grdpText.contains("2022,67,current,46827.0\n"))
        #expect(grdpText.contains("2022,67,constant-2010,"))
        #expect(grdpText.contains("2022,66,,"))

        let quarter = try readArchive(returns.appendingPathComponent("2022-04-10_san-tmdt-q1.tar.gz"))
        #expect(quarter.keys.contains("transactions_q1.csv"))
        #expect(quarter.keys.contains("mang-xa-hoi/ecommerce_mxh_q1.csv"))
        #expect(quarter.keys.contains("transactions_q1_cap-nhat.csv"))  // 2021 Q4 orders refunded since
        #expect(summary.files.contains("returns/2022-10-10_san-tmdt-q3/transactions_q3.csv.gz"))
    }

    /// The 2022 share from the generated values, computed independently of the generator's own
    /// calibration: CONTRACT §5 with the generated pipeline.yml's methodology.
    @Test func defaultOptionsLandNearThePublishedShare() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let defaults = ReturnsGenerator.Options()
        let summary = try ReturnsGenerator(options: defaults).write(to: folder)
        let config = try ConfigLoader.load(from: summary.configFile)
        let dataset = SyntheticDataset(options: defaults)

        var shares: [Int: Double] = [:]
        for year in defaults.years {
            shares[year] = share(year: year, dataset: dataset, config: config)
        }
        let share2022 = try #require(shares[2022])
        #expect(share2022 >= 6.0 && share2022 <= 7.2, "2022 share \(share2022) %")
        // Rising over the years.
        for year in 2021...2024 { #expect(shares[year]! > shares[year - 1]!, "\(shares)") }
        // GRDP calibration: 2024 about 55,700 billion VND.
        #expect(dataset.grdp.last?.finalTenths == 557_000)
    }

    /// Same share for 10× fewer enterprises and 5× more transactions: values scale with the counts.
    @Test func shareDoesNotDependOnCounts() throws {
        let config = try ConfigLoader.parse(
            yaml: ReturnsGenerator(options: .init()).pipelineYAML(
                SyntheticDataset(options: options(enterprises: 2, transactions: 0))),
            fileURL: URL(fileURLWithPath: "/tmp/pipeline.yml"))
        for (enterprises, transactions) in [(40, 100_000), (1_000, 2_000), (5, 50)] {
            let dataset = SyntheticDataset(
                options: options(seed: 7, enterprises: enterprises, transactions: transactions))
            let value = share(year: 2022, dataset: dataset, config: config)
            #expect(
                value >= 6.0 && value <= 7.2, "\(enterprises) enterprises, \(transactions) transactions: \(value) %")
        }
    }
}

/// CONTRACT §5 on the generator's final values (after every revision). Double is fine here: it is a
/// band check of a test, not a published figure.
private func share(year: Int, dataset: SyntheticDataset, config: PipelineConfig) -> Double {
    let method = config.methodology
    func isCore(_ vsic: String) -> Bool { method.coreVSICPrefixes.contains { vsic.hasPrefix($0) } }
    func ratio(_ channel: String) -> Double { (method.vaRatioByChannel[channel] ?? method.vaRatioDefault).doubleValue }

    // Enterprise records of the year, by tax code (value added in million VND).
    var records: [String: (vsic: String, section: Character, va: Double)] = [:]
    for record in dataset.records where record.year == year {
        let enterprise = dataset.enterprises[record.enterprise]
        records[enterprise.taxCode] = (
            enterprise.activity.vsic, enterprise.activity.section, Double(record.valueAddedTenths) / 10
        )
    }
    func match(_ code: String) -> String? {
        if records[code] != nil { return code }
        if code.count == 14, records[String(code.prefix(10))] != nil { return String(code.prefix(10)) }
        return nil
    }

    var core = 0.0
    for record in records.values where isCore(record.vsic) { core += record.va * 1e6 }
    var ecommerce = 0.0
    var ecommerceBySeller: [String: Double] = [:]
    for quarter in 1...4 {
        for t in dataset.transactions(year: year, quarter: quarter) {
            guard method.countedStatuses.contains(t.finalStatus) else { continue }
            guard t.sellerProvince.isEmpty || t.sellerProvince == config.region.code else { continue }
            let seller = match(t.seller.code)
            if let seller, isCore(records[seller]!.vsic) { continue }
            let rate = t.inUSD ? config.inputs.fx["USD"]![year]!.doubleValue : 1
            let va = Double(t.amount - t.refund) * rate / (t.inUSD ? 100 : 1) * ratio(t.channel.rawValue)
            ecommerce += va
            if let seller { ecommerceBySeller[seller, default: 0] += va }
        }
    }
    var digitised = 0.0
    for (code, record) in records where !isCore(record.vsic) {
        let coefficient = method.digitisedCoefficients[String(record.section)]?.doubleValue ?? 0
        digitised += max(0, record.va * 1e6 - (ecommerceBySeller[code] ?? 0)) * coefficient
    }
    let grdp = Double(dataset.grdp.first { $0.year == year }!.finalTenths) / 10 * 1e9
    return (core + ecommerce + digitised) / grdp * 100
}

private func benchmarkOptions(transactions: Int = 5_000, archives: Int? = nil) -> ReturnsGenerator.Options {
    var options = options(enterprises: 40, transactions: transactions)
    options.layout = .benchmark
    options.archives = archives
    return options
}

/// Data lines of every member of every archive of `summary` whose path passes `include`.
private func dataLines(_ summary: GenerationSummary, members include: (String) -> Bool) throws -> [String] {
    var lines: [String] = []
    for file in summary.files where file.hasSuffix(".tar.gz") {
        for (path, bytes) in try readArchive(summary.folder.appendingPathComponent(file)) where include(path) {
            lines += String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst().map(String.init)
        }
    }
    return lines
}

private func isBytewiseSorted(_ names: [String]) -> Bool {
    zip(names, names.dropFirst()).allSatisfy { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
}

/// `--layout benchmark --archives K` and `--layout increment` (scripts/bench.sh's scenarios).
@Suite struct GenerateBenchmarkLayoutTests {
    @Test func archivesSpreadTheSameTransactionsOverK() throws {
        let yearly = try temporaryFolder()
        let split = try temporaryFolder()
        let again = try temporaryFolder()
        defer { for url in [yearly, split, again] { try? FileManager.default.removeItem(at: url) } }
        let byYear = try ReturnsGenerator(options: benchmarkOptions()).write(to: yearly)
        let inSeven = try ReturnsGenerator(options: benchmarkOptions(archives: 7)).write(to: split)

        let archives = inSeven.files.filter { $0.hasSuffix(".tar.gz") }
        #expect(archives == (1...7).map { "returns/2025-01-31_benchmark-000\($0).tar.gz" })
        #expect(isBytewiseSorted(archives))
        #expect(byYear.files.filter { $0.hasSuffix(".tar.gz") }.count == 5)

        // First sends: 5,000 in all, 714 or 715 an archive.
        var total = 0
        for file in archives {
            let members = try readArchive(split.appendingPathComponent(file))
            let sends = members.filter { $0.key.hasPrefix("transactions_") && !$0.key.hasSuffix("_revised.csv") }
            #expect(sends.count == 1, "\(file): \(members.keys.sorted())")
            let rows = sends.values.reduce(0) { $0 + $1.filter { $0 == 0x0A }.count - 1 }
            #expect(rows == 714 || rows == 715, "\(file): \(rows)")
            total += rows
        }
        #expect(total == 5_000)

        // The same rows as the yearly layout, only cut differently: every transaction row (first
        // sends and revisions), enterprise and GRDP row.
        #expect(inSeven.rows == byYear.rows)
        for prefix in ["transactions_", "enterprise_", "grdp_"] {
            let a = try dataLines(byYear) { $0.hasPrefix(prefix) }.sorted()
            let b = try dataLines(inSeven) { $0.hasPrefix(prefix) }.sorted()
            #expect(a == b, "\(prefix) rows differ")
        }
        #expect(
            try Data(contentsOf: inSeven.configFile) == Data(contentsOf: byYear.configFile),
            "the same pipeline.yml")

        // Deterministic.
        let second = try ReturnsGenerator(options: benchmarkOptions(archives: 7)).write(to: again)
        #expect(try hashes(second).values.sorted() == hashes(inSeven).values.sorted())
        #expect(second.files == inSeven.files)
    }

    @Test func archivesOutOfRangeAreRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for archives in [0, 101] {
            #expect(throws: ReturnsGenerator.GenerationError.self) {
                try ReturnsGenerator(options: benchmarkOptions(transactions: 100, archives: archives)).validate()
            }
        }
        var returnsLayout = options(enterprises: 10, transactions: 100)
        returnsLayout.archives = 3
        #expect(throws: ReturnsGenerator.GenerationError.self) { try returnsLayout.validateThroughGenerator() }
        // One archive: everything in it; as many archives as transactions: one each.
        let one = try ReturnsGenerator(options: benchmarkOptions(transactions: 100, archives: 1)).write(to: folder)
        #expect(one.files == ["pipeline.yml", "returns/2025-01-31_benchmark-0001.tar.gz"])
        var replacing = benchmarkOptions(transactions: 100, archives: 100)
        replacing.replaceExisting = true
        let hundred = try ReturnsGenerator(options: replacing).write(to: folder)
        #expect(hundred.files.filter { $0.hasSuffix(".tar.gz") }.count == 100)
        #expect(hundred.files.last == "returns/2025-01-31_benchmark-0100.tar.gz")
    }

    /// `--faulty-every N` (scripts/bench.sh --dirty): every Nth row of each member of first sends
    /// dated the 30th of February, in the yearly layout as in K archives; nothing else changes, and
    /// grdp quarantines exactly those rows as type errors, every member within the default ratio.
    @Test func faultyRowsAreEveryNthFirstSendOfAMemberAndAreQuarantined() throws {
        let sound = try temporaryFolder()
        let yearly = try temporaryFolder()
        let split = try temporaryFolder()
        defer { for url in [sound, yearly, split] { try? FileManager.default.removeItem(at: url) } }
        var faulty = benchmarkOptions()
        faulty.faultyEvery = 100
        let base = try ReturnsGenerator(options: benchmarkOptions()).write(to: sound)
        let dirty = try ReturnsGenerator(options: faulty).write(to: yearly)
        faulty.archives = 7
        let dirtySplit = try ReturnsGenerator(options: faulty).write(to: split)
        // Same options, same bytes (CONTRACT §7), faulty rows included.
        let again = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: again) }
        #expect(try hashes(ReturnsGenerator(options: faulty).write(to: again)) == hashes(dirtySplit))

        /// Each member's data lines, by member path, for the members whose path passes `include`.
        func members(_ summary: GenerationSummary, _ include: (String) -> Bool) throws -> [String: [String]] {
            var lines: [String: [String]] = [:]
            for file in summary.files where file.hasSuffix(".tar.gz") {
                for (path, bytes) in try readArchive(summary.folder.appendingPathComponent(file)) where include(path) {
                    lines[path] = String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst().map(
                        String.init)
                }
            }
            return lines
        }
        func isSends(_ path: String) -> Bool { path.hasPrefix("transactions_") && !path.hasSuffix("_revised.csv") }
        var faultyRows = 0
        for (split, dirtySummary, baseSummary) in [(false, dirty, base), (true, dirtySplit, base)] {
            let after = try members(dirtySummary, isSends)
            let before = try members(baseSummary, isSends).values.flatMap { $0 }
            let sent = Set(before)
            var changed = 0
            for (path, lines) in after {
                for (index, line) in lines.enumerated() {
                    let isFaulty = (index + 1) % 100 == 0
                    #expect(sent.contains(line) != isFaulty, "\(path) row \(index + 1): \(line)")
                    if isFaulty {
                        changed += 1
                        #expect(line.split(separator: ",")[1].hasSuffix("-02-30"), "\(line)")
                    }
                }
            }
            #expect(after.values.reduce(0) { $0 + $1.count } == 5_000)
            #expect(changed == after.values.reduce(0) { $0 + $1.count / 100 }, "split: \(split)")
            if !split { faultyRows = changed }
        }
        #expect(faultyRows > 0)
        #expect(try members(dirty) { !isSends($0) } == members(base) { !isSends($0) }, "nothing else changes")

        let config = try ConfigLoader.parse(
            yaml: String(contentsOf: dirty.configFile, encoding: .utf8), fileURL: dirty.configFile)
        let scan = try ReturnsScanner.scan(folder: config.inputs.returnsFolder, exclude: [])
        var quarantined: [ReasonCode] = []
        for candidate in scan.archives {
            let read = Ingest.read(
                candidate, config: config, classifier: MemberClassifier(kinds: config.inputs.kinds),
                limits: UnpackLimits(
                    maxMemberBytes: config.limits.maxMemberBytes,
                    maxCompressionRatio: config.limits.maxCompressionRatio))
            #expect(read.status == .accepted, "\(candidate.relativePath): \(String(describing: read.rejection))")
            quarantined += read.members.flatMap { $0.quarantine.map(\.reason) }
        }
        #expect(quarantined.count == faultyRows && quarantined.allSatisfy { $0 == .typeError })
    }

    @Test func faultyRowsNeedTheBenchmarkLayoutAndSomeSoundOnes() {
        var options = benchmarkOptions()
        options.faultyEvery = 1
        #expect(throws: ReturnsGenerator.GenerationError.self) { try ReturnsGenerator(options: options).validate() }
        options.faultyEvery = 2
        options.layout = .returns
        #expect(throws: ReturnsGenerator.GenerationError.self) { try ReturnsGenerator(options: options).validate() }
    }

    @Test func incrementSortsLastAndRevisesEarlierOrders() throws {
        for archives in [nil, 12] {
            let folder = try temporaryFolder()
            let alone = try temporaryFolder()
            defer { for url in [folder, alone] { try? FileManager.default.removeItem(at: url) } }
            let base = try ReturnsGenerator(options: benchmarkOptions(archives: archives)).write(to: folder)
            let configBefore = try Data(contentsOf: base.configFile)

            var increment = benchmarkOptions()
            increment.layout = .increment
            increment.increment = 800
            let added = try ReturnsGenerator(options: increment).write(to: folder)
            #expect(added.files == ["returns/2025-02-01_increment.tar.gz"])
            #expect(added.rows[.transaction] == 800)
            #expect(try Data(contentsOf: base.configFile) == configBefore, "pipeline.yml left alone")
            let returns = try FileManager.default.contentsOfDirectory(
                atPath: folder.appendingPathComponent("returns").path)
            let sorted = returns.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            #expect(sorted.last == "2025-02-01_increment.tar.gz")
            #expect(sorted.count == (archives ?? 5) + 1)

            // 40 re-send an earlier completed order of 2024 refunded; 760 are new ids.
            let members = try readArchive(folder.appendingPathComponent("returns/2025-02-01_increment.tar.gz"))
            func rows(_ path: String) -> [[Substring]] {
                String(decoding: members[path] ?? [], as: UTF8.self).split(separator: "\n").dropFirst()
                    .map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            }
            let revisions = rows("transactions_increment_revised.csv")
            let fresh = rows("transactions_increment.csv")
            #expect(revisions.count == 40)
            #expect(fresh.count == 760)
            let earlier = Dictionary(
                try dataLines(base) { $0.hasPrefix("transactions_") }.map {
                    let fields = $0.split(separator: ",", omittingEmptySubsequences: false)
                    return (String(fields[0]), fields)
                }, uniquingKeysWith: { first, _ in first })
            for revision in revisions {
                let id = String(revision[0])
                let sent = try #require(earlier[id], "\(id) revises nothing")
                #expect(id.contains("2024Q"))
                #expect(sent[2] == revision[2], "same channel")
                #expect(revision[8] == revision[6], "refunded in full")
            }
            for row in fresh {
                #expect(earlier[String(row[0])] == nil)
                #expect(row[0].contains("2024Q4N-"))
            }

            // Again: refused, unless replacing; deterministic; written alone with the same pipeline.yml.
            #expect(throws: ReturnsGenerator.GenerationError.self) {
                try ReturnsGenerator(options: increment).write(to: folder)
            }
            let one = try hashes(added)
            var replacing = increment
            replacing.replaceExisting = true
            let replaced = try ReturnsGenerator(options: replacing).write(to: folder)
            let single = try ReturnsGenerator(options: increment).write(to: alone)
            #expect(single.files == ["pipeline.yml", "returns/2025-02-01_increment.tar.gz"])
            #expect(try Data(contentsOf: single.configFile) == configBefore)
            #expect(try hashes(replaced) == one)
            #expect(try hashes(single)["returns/2025-02-01_increment.tar.gz"] == one.values.first)
        }
    }
}

extension GenerateBenchmarkLayoutTests {
    /// `--recent-revisions`: the increment's revisions re-send orders of the last year's fourth
    /// quarter alone (a night's return of recent orders), as many as without it; without it they
    /// come from every quarter. The same seed gives the same bytes either way (CONTRACT §7), and
    /// the two archives differ.
    @Test func recentRevisionsReviseOnlyTheLastQuarter() throws {
        var quartersRevised: [Bool: Set<Int>] = [:]
        var archives: [Bool: [String: String]] = [:]
        for recent in [false, true] {
            let folder = try temporaryFolder()
            let alone = try temporaryFolder()
            defer { for url in [folder, alone] { try? FileManager.default.removeItem(at: url) } }
            _ = try ReturnsGenerator(options: benchmarkOptions()).write(to: folder)
            var increment = benchmarkOptions()
            increment.layout = .increment
            increment.increment = 800
            increment.recentRevisions = recent
            let added = try ReturnsGenerator(options: increment).write(to: folder)
            archives[recent] = try hashes(added)
            let again = try ReturnsGenerator(options: increment).write(to: alone)
            #expect(try hashes(again)["returns/2025-02-01_increment.tar.gz"] == archives[recent]?.values.first)
            let members = try readArchive(folder.appendingPathComponent("returns/2025-02-01_increment.tar.gz"))
            let revisions = String(decoding: members["transactions_increment_revised.csv"] ?? [], as: UTF8.self)
                .split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            #expect(revisions.count == 40, "\(recent)")
            // The date's month (ISO dates): the quarter of each order re-sent.
            quartersRevised[recent] = Set(
                revisions.compactMap { Int($0[1].dropFirst(5).prefix(2)).map { ($0 + 2) / 3 } })
        }
        #expect(quartersRevised[true] == [4])
        #expect(quartersRevised[false] == [1, 2, 3, 4])
        #expect(archives[true] != archives[false])
    }
}

extension ReturnsGenerator.Options {
    fileprivate func validateThroughGenerator() throws { try ReturnsGenerator(options: self).validate() }
}
