/// The `limits` of `pipeline.yml` (CONTRACT §2, §3): they apply to every regular member, data or not.
public struct UnpackLimits: Sendable, Hashable {
    /// Largest uncompressed size of one member, by its header and by the bytes actually read.
    public var maxMemberBytes: Int64
    /// Largest uncompressed ÷ compressed ratio of one member; equal passes.
    public var maxCompressionRatio: ExactDecimal

    public init(maxMemberBytes: Int64 = 2_147_483_648, maxCompressionRatio: ExactDecimal = ExactDecimal(200)) {
        self.maxMemberBytes = maxMemberBytes
        self.maxCompressionRatio = maxCompressionRatio
    }

    /// A member's ratio is checked once it has produced more than this many bytes (CONTRACT §3).
    static let ratioCheckThreshold: Int64 = 1 << 20

    /// True when `uncompressed ÷ compressed` exceeds the limit, computed exactly.
    /// Nothing compressed behind more than a MiB of output is an unbounded ratio.
    func ratioExceeded(uncompressed: Int64, compressed: Int64) -> Bool {
        guard uncompressed > Self.ratioCheckThreshold else { return false }
        guard compressed > 0 else { return true }
        return Rational(maxCompressionRatio) < Rational(Int128(uncompressed), Int128(compressed))
    }
}
