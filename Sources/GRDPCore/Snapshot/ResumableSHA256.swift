internal import CSHA256

/// SHA-256 whose state is a value that can be kept (in `last-run.json`) and taken up again: the
/// content hash of a snapshot whose earlier years' sales rows are those of the last one goes on
/// from where the last one's stood at the first year that changed (`ContentHash.Marks`).
///
/// The blocks are compressed with the CPU's SHA instructions where there are any (x86 SHA-NI),
/// else by portable code; both give the digest of FIPS 180-4, which the tests check against
/// swift-crypto's.
struct ResumableSHA256: Sendable, Equatable {
    private var state = grdp_sha256_state()

    init() {
        grdp_sha256_init(&state)
    }

    /// Bytes hashed so far.
    var length: UInt64 { state.length }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        grdp_sha256_update(&state, base, bytes.count)
    }

    /// The digest of everything hashed so far (the state is left as it was).
    func digest() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        withUnsafePointer(to: state) { state in
            digest.withUnsafeMutableBufferPointer { grdp_sha256_final(state, $0.baseAddress!) }
        }
        return digest
    }

    /// The eight working words.
    var words: [UInt32] {
        withUnsafeBytes(of: state.h) { Array($0.bindMemory(to: UInt32.self)) }
    }

    /// The bytes of the incomplete block (`length % 64` of them).
    var pending: [UInt8] {
        withUnsafeBytes(of: state.pending) { Array($0.prefix(Int(state.length % 64))) }
    }

    fileprivate init?(words: [UInt32], length: UInt64, pending: [UInt8]) {
        guard words.count == 8, pending.count == Int(length % 64) else { return nil }
        grdp_sha256_init(&state)
        withUnsafeMutableBytes(of: &state.h) { raw in
            for (index, word) in words.enumerated() {
                raw.storeBytes(of: word, toByteOffset: 4 * index, as: UInt32.self)
            }
        }
        withUnsafeMutableBytes(of: &state.pending) { raw in raw.copyBytes(from: pending) }
        state.length = length
    }

    /// Equal states give equal digests whatever comes next: the words, the length and the pending
    /// bytes (not the stale ones past them).
    static func == (a: ResumableSHA256, b: ResumableSHA256) -> Bool {
        a.length == b.length && a.words == b.words && a.pending == b.pending
    }

    /// Whether blocks are compressed with the CPU's SHA instructions.
    static var usesCPUInstructions: Bool { grdp_sha256_uses_cpu_instructions() != 0 }

    /// Tests only: false compresses with the portable code even where SHA-NI is there.
    static func allowCPUInstructions(_ allow: Bool) {
        grdp_sha256_allow_cpu_instructions(allow ? 1 : 0)
    }
}

extension ResumableSHA256: Codable {
    private enum CodingKeys: String, CodingKey {
        case words, length, pending
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let words = try container.decode([UInt32].self, forKey: .words)
        let length = try container.decode(UInt64.self, forKey: .length)
        let pending = try container.decode([UInt8].self, forKey: .pending)
        guard let state = ResumableSHA256(words: words, length: length, pending: pending) else {
            throw DecodingError.dataCorruptedError(
                forKey: .pending, in: container, debugDescription: "not a SHA-256 state")
        }
        self = state
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(words, forKey: .words)
        try container.encode(length, forKey: .length)
        try container.encode(pending, forKey: .pending)
    }
}
