internal import Foundation
import Synchronization

/// A SHA-256 per year of the `ecommerce_sales` rows a full run computed, kept in `last-run.json`
/// (`RunCache.sales`).
///
/// The next full run compares its own: the rows of a year whose digest did not change are already
/// in the latest snapshot file, byte for byte, so the new snapshot starts from a copy of that file
/// and inserts only the changed years' rows (`CarriedSales`), as `run --year` does. A nightly run
/// with one new return usually changes one or two years of many. The content hash is then read
/// back from the first changed year on (`ContentHash.Marks`).
///
/// Only a digest of the same build counts: another build may compute or store the same rows
/// differently. The runner also requires that the latest snapshot is the one the digests were
/// recorded with (its version and content hash).
struct SalesDigests: Codable, Equatable {
    /// `BuildIdentity` of the build that computed the rows.
    var build: String
    /// Per year, the SHA-256 of its rows in snapshot order, every column.
    var years: [Int: String]

    /// The digests of `rows`, which come sorted by year first (Compute's order); nil when they are
    /// not (then nothing is compared, and the next run writes every row).
    ///
    /// A year's rows are hashed in blocks of `blockRows` on both cores, and its digest is the
    /// SHA-256 of its row count and its blocks' digests: fixed by the rows alone, whichever core
    /// hashed what.
    init?(build: String, rows: [EcommerceSalesRow]) {
        var years: [(year: Int, rows: Range<Int>)] = []
        var start = 0
        for index in rows.indices.dropFirst() where rows[index].year != rows[index - 1].year {
            years.append((rows[start].year, start..<index))
            start = index
        }
        if !rows.isEmpty { years.append((rows[start].year, start..<rows.count)) }
        guard Set(years.map(\.year)).count == years.count else { return nil }
        let blocks = years.flatMap { year in
            stride(from: year.rows.lowerBound, to: year.rows.upperBound, by: Self.blockRows).map {
                $0..<min($0 + Self.blockRows, year.rows.upperBound)
            }
        }
        // Each block's digest into its own slot: no lock (a `Mutex` here is a futex that
        // ThreadSanitizer cannot see, and each slot has one writer anyway); `concurrentPerform`
        // returns once every block is done.
        var digestOfBlock = [String](repeating: "", count: blocks.count)
        digestOfBlock.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots
            DispatchQueue.concurrentPerform(iterations: blocks.count) { index in
                slots[index] = Self.digest(rows[blocks[index]])
            }
        }
        var blockDigests: [Int: String] = [:]
        for (block, digest) in zip(blocks, digestOfBlock) { blockDigests[block.lowerBound] = digest }
        self.build = build
        self.years = [:]
        for year in years {
            self.years[year.year] = Self.yearDigest(
                rows: year.rows.count,
                blocks: stride(from: year.rows.lowerBound, to: year.rows.upperBound, by: Self.blockRows).map {
                    blockDigests[$0]!
                })
        }
    }

    /// Digests already made (one build's years, put together).
    init(build: String, years: [Int: String]) {
        self.build = build
        self.years = years
    }

    /// A year's digest: its row count and its blocks' digests, in order.
    static func yearDigest(rows: Int, blocks: [String]) -> String {
        var serializer = ContentHash.Serializer()
        serializer.string("grdp-sales-year-v1")
        serializer.count(rows)
        for block in blocks { serializer.string(block) }
        return serializer.finish()
    }

    /// Rows hashed together: enough to keep a core busy, few enough to share a year's rows out.
    static let blockRows = 1 << 15

    /// The years whose rows differ from `earlier`'s, or appear in only one of the two; nil when
    /// `earlier` comes from another build (every year must then be written).
    func changedYears(since earlier: SalesDigests) -> Set<Int>? {
        guard earlier.build == build else { return nil }
        return Set(years.keys).union(earlier.years.keys).filter { years[$0] != earlier.years[$0] }
    }

    /// The SHA-256 of some rows, every column. Amounts as their mantissa and scale, which tell
    /// apart at least what their stored text does.
    static func digest(_ rows: ArraySlice<EcommerceSalesRow>) -> String {
        var serializer = ContentHash.Serializer()
        for row in rows {
            integer(row.year, into: &serializer)
            integer(row.month, into: &serializer)
            integer(row.transactions, into: &serializer)
            amount(row.netVND, into: &serializer)
            amount(row.vaVND, into: &serializer)
            serializer.tag(row.counted ? "1" : "0")
            serializer.string(row.channel)
            serializer.string(row.sellerTaxCode)
            serializer.string(row.sellerDistrictCode)
        }
        return serializer.finish()
    }

    private static func integer(_ value: Int, into serializer: inout ContentHash.Serializer) {
        serializer.uint64(UInt64(bitPattern: Int64(value)))
    }

    private static func amount(_ value: ExactDecimal, into serializer: inout ContentHash.Serializer) {
        serializer.uint64(UInt64(truncatingIfNeeded: value.mantissa >> 64))
        serializer.uint64(UInt64(truncatingIfNeeded: value.mantissa))
        integer(value.scale, into: &serializer)
    }
}

/// `SalesDigests` put together a year at a time, as a publish hands the rows over
/// (`SalesByYear`): each year's rows in one or more consecutive parts, then `finishYear`. The
/// same digests as those of all the rows at once: a year's digest is its row count and the
/// digests of its blocks of `SalesDigests.blockRows` rows from its first, wherever the parts end.
final class SalesDigestsByYear: Sendable {
    private let build: String
    private struct State {
        /// Nil once rows came out of year order.
        var years: [Int: String]? = [:]
        var year: Int?
        var count = 0
        var blocks: [String] = []
        /// The rows of the year's block not yet complete.
        var pending: [EcommerceSalesRow] = []
    }
    private let state = Mutex<State>(State())

    init(build: String) {
        self.build = build
    }

    /// The next rows of the year being handed over (none: nothing to add).
    func add(_ rows: [EcommerceSalesRow]) {
        guard let first = rows.first else { return }
        state.withLock { state in
            guard state.years != nil else { return }
            if state.year != first.year {
                if state.year != nil { Self.finish(&state) }
                guard state.years?[first.year] == nil else {
                    state.years = nil
                    return
                }
                state.year = first.year
            }
            guard rows.allSatisfy({ $0.year == first.year }) else {
                state.years = nil
                return
            }
            state.count += rows.count
            var rest = rows[...]
            if !state.pending.isEmpty {
                let taken = min(SalesDigests.blockRows - state.pending.count, rest.count)
                state.pending += rest.prefix(taken)
                rest = rest.dropFirst(taken)
                guard state.pending.count == SalesDigests.blockRows else { return }
                state.blocks.append(SalesDigests.digest(state.pending[...]))
                state.pending = []
            }
            while rest.count >= SalesDigests.blockRows {
                state.blocks.append(SalesDigests.digest(rest.prefix(SalesDigests.blockRows)))
                rest = rest.dropFirst(SalesDigests.blockRows)
            }
            state.pending = Array(rest)
        }
    }

    private static func finish(_ state: inout State) {
        guard let year = state.year else { return }
        if !state.pending.isEmpty { state.blocks.append(SalesDigests.digest(state.pending[...])) }
        state.years?[year] = SalesDigests.yearDigest(rows: state.count, blocks: state.blocks)
        state.year = nil
        state.count = 0
        state.blocks = []
        state.pending = []
    }

    /// The digests of every year handed over.
    var digests: SalesDigests? {
        state.withLock { state in
            Self.finish(&state)
            return state.years.map { SalesDigests(build: build, years: $0) }
        }
    }
}
