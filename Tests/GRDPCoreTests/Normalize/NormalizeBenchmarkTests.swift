import Foundation
import Testing

@testable import GRDPCore

/// Throughput of Normalize on a 1M-row transaction member (about 80 MiB). Off by default; run with
/// `GRDP_NORMALIZE_BENCH=1 swift test -c release --filter NormalizeBenchmark`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["GRDP_NORMALIZE_BENCH"] != nil))
struct NormalizeBenchmarkTests {
    @Test func oneMillionTransactions() throws {
        var text =
            "transaction_id,date,amount,status,channel,seller_tax_code,seller_province,"
            + "seller_district_code,currency,refund_amount\n"
        text.reserveCapacity(90_000_000)
        for i in 0..<1_000_000 {
            text += "TX\(1_000_000 + i),2024-\(i % 9 + 1 < 10 ? "0" : "")\(i % 9 + 1)-1\(i % 10)T10:20:30+07:00,"
            text += "\"\(i % 1000),\(100 + i % 900).50\",Completed,marketplace,0100109106,67,660,,\(i % 7)\n"
        }
        let bytes = Array(text.utf8)
        let normalizer = MemberNormalizer(kind: .transaction, config: normalizeConfig(), memberPath: "t.csv")
        var accepted = 0
        let clock = ContinuousClock()
        let cpuStart = threadCPUSeconds()
        let elapsed = try clock.measure {
            try bytes.withUnsafeBytes { all in
                var start = 0
                while start < all.count {
                    let end = min(all.count, start + 65536)
                    try normalizer.feed(UnsafeRawBufferPointer(rebasing: all[start..<end])) { row in
                        if case .accepted = row.outcome { accepted += 1 }
                    }
                    start = end
                }
            }
            try normalizer.finish { row in
                if case .accepted = row.outcome { accepted += 1 }
            }
        }
        let cpu = threadCPUSeconds() - cpuStart
        print("normalize: \(bytes.count) bytes, 1,000,000 rows in \(elapsed) (thread CPU \(cpu) s)")
        #expect(accepted == 1_000_000)
    }
}

/// CPU time of the calling thread: steadier than wall time on a shared machine.
private func threadCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}
