public import Foundation

/// The decompression floor for `scripts/bench.sh` (`grdp bench-unpack DIR`): every archive under a
/// folder read to the end through the same `ArchiveReader` the pipeline uses, every member's bytes
/// dropped. What a run costs above this is normalize, compute and snapshot.
public enum UnpackBenchmark {
    public struct Result: Sendable {
        public var archives = 0
        public var members = 0
        /// Uncompressed bytes of every regular member.
        public var bytes: Int64 = 0
        public var seconds = 0.0
    }

    /// Reads every archive of `folder` (bytewise order, as a run) and, with `digest`, also takes its
    /// SHA-256 as a run does. Throws the first archive fault.
    public static func run(folder: URL, digest: Bool, limits: UnpackLimits = UnpackLimits()) throws -> Result {
        let scan = try ReturnsScanner.scan(folder: folder, exclude: [])
        let start = Timestamp.now()
        var result = Result()
        for candidate in scan.archives {
            if digest { _ = try FileDigest.sha256(of: candidate.location) }
            let sink = Sink()
            do {
                try ArchiveReader(limits: limits).read(
                    candidate.location, relativePath: candidate.relativePath, visitor: sink)
            } catch var rejection as ArchiveRejection {
                // Named, as a run names it (exit 65: the archive, not grdp).
                rejection.detail = "\(candidate.relativePath): \(rejection.detail)"
                throw rejection
            }
            result.archives += 1
            result.members += sink.members
            result.bytes += sink.bytes
        }
        result.seconds = Timestamp.now().seconds(since: start)
        return result
    }

    /// Takes every regular member and drops its bytes.
    private final class Sink: ArchiveVisitor {
        var members = 0
        var bytes: Int64 = 0

        func begin(member: MemberHeader) throws -> Bool {
            members += 1
            return true
        }

        func consume(_ bytes: UnsafeRawBufferPointer) throws {
            self.bytes += Int64(bytes.count)
        }

        func end(member: MemberHeader) throws {}
        func skipped(member: String, reason: ReasonCode, detail: String) {}
    }
}
