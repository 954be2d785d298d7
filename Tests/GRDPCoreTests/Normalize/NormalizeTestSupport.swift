import Foundation
import Testing

@testable import GRDPCore

/// A configuration for the sample province: Đắk Nông, code 67, UTC+07:00.
func normalizeConfig(
    numberFormat: PipelineConfig.NumberFormat = .auto,
    columns: [RecordKind: [String: [String]]] = [:],
    statuses: [String: TransactionStatus] = [:],
    fx: [String: [Int: ExactDecimal]] = [:],
    utcOffsetMinutes: Int = 420
) -> PipelineConfig {
    PipelineConfig(
        fileURL: URL(fileURLWithPath: "/tmp/pipeline.yml"), sha256: "", version: 1,
        region: .init(code: "67", name: "Đắk Nông", utcOffsetMinutes: utcOffsetMinutes, districts: [:]),
        inputs: .init(
            returnsFolder: URL(fileURLWithPath: "/tmp/returns"), exclude: [], numberFormat: numberFormat,
            kinds: PipelineConfig.defaultKinds, columns: columns, statuses: statuses, fx: fx),
        limits: .init(maxMemberBytes: 2_147_483_648, maxCompressionRatio: ExactDecimal(200)),
        quality: .init(maxQuarantineRatio: dec("0.01")),
        outputs: .init(folder: URL(fileURLWithPath: "/tmp/outputs"), keepSnapshots: 0, exports: []),
        methodology: .init(
            coreVSICPrefixes: PipelineConfig.defaultCoreVSICPrefixes, countedStatuses: [.completed],
            vaRatioDefault: dec("0.10"), vaRatioByChannel: [:], digitisedCoefficients: [:]),
        targets: .init(interpolation: .linear, points: []))
}

/// A canonical decimal literal.
func dec(_ text: String) -> ExactDecimal {
    ExactDecimal(canonical: text)!
}

/// What a member gave: its rows, its convention, or the header error that stopped it.
struct MemberResult: Equatable {
    var rows: [NormalizedRow] = []
    var convention: PipelineConfig.NumberFormat = .auto
    var headerError: HeaderError?

    var outcomes: [RowOutcome] { rows.map(\.outcome) }
    var lines: [Int] { rows.map(\.line) }

    /// The quarantine reasons, `nil` for rows not quarantined.
    var reasons: [ReasonCode?] {
        rows.map { row in
            if case .quarantined(let reason, _) = row.outcome { return reason }
            return nil
        }
    }

    func detail(_ index: Int) -> String? {
        if case .quarantined(_, let detail) = rows[index].outcome { return detail }
        return nil
    }
}

/// Normalizes `bytes` fed in chunks of `chunkSize` bytes (nil: all at once).
func normalizeMember(
    _ bytes: [UInt8], kind: RecordKind, config: PipelineConfig, chunkSize: Int? = nil, keepRaw: Bool = true
) -> MemberResult {
    let normalizer = MemberNormalizer(kind: kind, config: config, memberPath: "returns/\(kind.rawValue).csv")
    normalizer.keepsRawForAcceptedRows = keepRaw
    var result = MemberResult()
    do {
        try bytes.withUnsafeBytes { all in
            let size = max(1, chunkSize ?? all.count)
            var start = 0
            while start < all.count {
                let end = min(all.count, start + size)
                try normalizer.feed(UnsafeRawBufferPointer(rebasing: all[start..<end])) { result.rows.append($0) }
                start = end
            }
        }
        try normalizer.finish { result.rows.append($0) }
    } catch let error as HeaderError {
        result.headerError = error
    } catch {
        Issue.record("unexpected error \(error)")
    }
    result.convention = normalizer.numberConvention
    return result
}

/// Normalizes `text` all at once, and checks that one byte at a time (and a few odd chunk sizes)
/// gives exactly the same result.
func normalize(
    _ text: String, kind: RecordKind, config: PipelineConfig = normalizeConfig(), keepRaw: Bool = true,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> MemberResult {
    normalize(Array(text.utf8), kind: kind, config: config, keepRaw: keepRaw, sourceLocation: sourceLocation)
}

func normalize(
    _ bytes: [UInt8], kind: RecordKind, config: PipelineConfig = normalizeConfig(), keepRaw: Bool = true,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> MemberResult {
    let whole = normalizeMember(bytes, kind: kind, config: config, keepRaw: keepRaw)
    for chunkSize in [1, 2, 7] {
        let chunked = normalizeMember(bytes, kind: kind, config: config, chunkSize: chunkSize, keepRaw: keepRaw)
        #expect(
            chunked == whole, "chunks of \(chunkSize) bytes differ from all at once", sourceLocation: sourceLocation)
    }
    return whole
}

/// Reads `bytes` with `CSVReader` all at once, checking that one byte at a time gives the same records.
func readCSV(_ bytes: [UInt8], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [CSVRecord] {
    let whole = try CSVReader.records(of: bytes)
    let reader = CSVReader()
    var records: [CSVRecord] = []
    for byte in bytes {
        try withUnsafeBytes(of: byte) { try reader.feed($0) { records.append($0) } }
    }
    try reader.finish { records.append($0) }
    #expect(records == whole, "one byte at a time differs from all at once", sourceLocation: sourceLocation)
    return whole
}

func readCSV(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [CSVRecord] {
    try readCSV(Array(text.utf8), sourceLocation: sourceLocation)
}

extension RowOutcome {
    var enterprise: EnterpriseRecord? {
        if case .accepted(.enterprise(let record)) = self { return record }
        return nil
    }

    var transaction: TransactionRecord? {
        if case .accepted(.transaction(let record)) = self { return record }
        return nil
    }

    var grdp: GRDPRecord? {
        if case .accepted(.grdp(let record)) = self { return record }
        return nil
    }

    var isExcluded: Bool {
        if case .excluded = self { return true }
        return false
    }
}
