import ArgumentParser
import Foundation
import GRDPCore

/// `grdp bench-unpack DIR`: the decompression floor for `scripts/bench.sh`. Hidden from help.
struct BenchUnpackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-unpack",
        abstract: "Read every archive under a folder to nowhere (the benchmark's decompression floor).",
        shouldDisplay: false)

    @Argument(help: "Folder of archives (a returns folder).") var folder: String
    @Flag(name: .long, help: "Also take each archive's SHA-256, as a run does.") var digest = false

    func run() throws {
        let result = try UnpackBenchmark.run(folder: URL(fileURLWithPath: folder), digest: digest)
        let mib = Double(result.bytes) / 1_048_576
        try emit(
            "archives=\(result.archives) members=\(result.members) bytes=\(result.bytes) "
                + "seconds=\(String(format: "%.3f", result.seconds)) "
                + "MiB/s=\(String(format: "%.1f", mib / max(result.seconds, 1e-9)))\n")
    }
}
