import Foundation

/// Shared by the fuzz targets: a config as the fuzzers need it (no YAML, no files).
enum FuzzSupport {
    static func config(numberFormat: PipelineConfig.NumberFormat) -> PipelineConfig {
        let url = URL(fileURLWithPath: "/nonexistent/pipeline.yml")
        return PipelineConfig(
            fileURL: url, sha256: "", version: 1,
            region: .init(code: "67", name: "Đắk Nông", utcOffsetMinutes: 420, districts: [:]),
            inputs: .init(
                returnsFolder: url, exclude: [], numberFormat: numberFormat, kinds: PipelineConfig.defaultKinds,
                columns: [.enterprise: ["tax_code": ["mst"]]], statuses: ["thanh cong": .completed],
                fx: ["USD": [2023: ExactDecimal(23800)]]),
            limits: .init(maxMemberBytes: 1 << 31, maxCompressionRatio: ExactDecimal(200)),
            quality: .init(maxQuarantineRatio: ExactDecimal(mantissa: 1, scale: 2)),
            outputs: .init(folder: url, keepSnapshots: 0, exports: []),
            methodology: .init(
                coreVSICPrefixes: PipelineConfig.defaultCoreVSICPrefixes, countedStatuses: [.completed],
                vaRatioDefault: ExactDecimal(mantissa: 1, scale: 1), vaRatioByChannel: [:], digitisedCoefficients: [:]),
            targets: .init(interpolation: .linear, points: []))
    }

    /// Splits `bytes` into chunks whose sizes come from the bytes themselves (deterministic per input).
    static func chunks(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = 0
        var seed = bytes.count
        while start < bytes.count {
            seed = (seed &* 1_103_515_245 &+ 12_345) & 0x7FFF_FFFF
            let size = 1 + seed % 7
            let end = min(bytes.count, start + size)
            result.append(bytes[start..<end])
            start = end
        }
        return result
    }

    static func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition {
            FileHandle.standardError.write(Data("FUZZ INVARIANT BROKEN: \(message())\n".utf8))
            abort()
        }
    }
}
