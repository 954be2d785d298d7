/// SplitMix64 (Steele, Lea & Flood, 2014): a small, fast, seedable generator.
///
/// `grdp generate` must write the same bytes for the same seed on every machine and every Swift
/// version, so nothing here goes through the standard library's `random(in:using:)` (whose
/// algorithm is not a promise) or through `exp`/`log` (libm results may differ by an ulp between
/// platforms). Only integer arithmetic and IEEE `+ - * /` are used.
struct SplitMix64: RandomNumberGenerator {
    private(set) var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// An independent stream for one part of the data (`derived(from: seed, 2022, 3)`), so that
    /// the transactions of one quarter can be generated again without replaying the others.
    static func derived(from seed: UInt64, _ parts: UInt64...) -> SplitMix64 {
        var mixed = seed
        for part in parts {
            mixed = finalize(mixed &+ 0x9E37_79B9_7F4A_7C15 &* (part &+ 1))
        }
        return SplitMix64(seed: mixed)
    }

    static func finalize(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.finalize(state)
    }

    /// Uniform in `0..<n` (multiply-high; the bias, below 2⁻⁵⁰ for our sizes, does not matter here).
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform in `range`.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.count)
    }

    /// Uniform in [0, 1), 53 bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }

    /// An index drawn with the given (not necessarily normalised) weights.
    mutating func weighted(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var target = unit() * total
        for (index, weight) in weights.enumerated() {
            if target < weight { return index }
            target -= weight
        }
        return weights.count - 1
    }

    /// A skewed positive size (about 1 to 33, median about 2): a few large units, many small ones.
    mutating func size() -> Double {
        1 / (0.03 + unit())
    }
}
