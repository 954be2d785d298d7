internal import Foundation
import Synchronization

/// A SHA-256 per year, and per month, of the `ecommerce_sales` rows a full run computed, kept in
/// `last-run.json` (`RunCache.sales`).
///
/// The next full run compares its own: the rows of a year whose digest did not change are already
/// in the latest snapshot file, byte for byte, so the new snapshot starts from a copy of that file
/// and inserts only the changed years' rows (`CarriedSales`), as `run --year` does. A nightly run
/// with one new return usually changes one or two years of many. The content hash is then read
/// back from the first changed year on (`ContentHash.Marks`). A run that writes a year at a time
/// (`SalesRowsUpdate.YearUpdate`) compares each month's digest before it reads that month's rows
/// from the file: a month whose rows did not change is left as it is, unread.
///
/// Only a digest of the same build counts: another build may compute or store the same rows
/// differently. The runner also requires that the latest snapshot is the one the digests were
/// recorded with (its version and content hash).
struct SalesDigests: Codable, Equatable {
    /// `BuildIdentity` of the build that computed the rows.
    var build: String
    /// Per year, the SHA-256 of its rows in snapshot order, every column: of its row count and of
    /// each month's number and digest.
    var years: [Int: String]
    /// Per month (`monthKey`), the SHA-256 of its rows in snapshot order; absent in files written
    /// before 2026-12-06 (nothing then compared month by month).
    var months: [Int: String]?

    /// The key of a year's month in `months`, and the year and month of a key.
    static func monthKey(year: Int, month: Int) -> Int { year * 100 + month }
    static func year(ofMonthKey key: Int) -> Int { key / 100 }
    static func month(ofMonthKey key: Int) -> Int { key % 100 }

    /// The digests of `rows`, which come sorted by year, then month (Compute's order); nil when
    /// they are not (then nothing is compared, and the next run writes every row).
    ///
    /// The months are hashed on both cores (`inParallel`), else one after the other on the calling
    /// thread; a year's digest is the SHA-256 of its row count and its months' digests: fixed by
    /// the rows alone, whichever core hashed what.
    ///
    /// - Parameter known: digests (by `monthKey`) of months whose rows the caller knows to be
    ///   those they were taken from: such a month of `rows` takes it and is not hashed again. A
    ///   month of `rows` that `known` lacks is hashed; a month only `known` has is not added.
    init?(build: String, rows: [EcommerceSalesRow], inParallel: Bool = true, known: [Int: String] = [:]) {
        var months: [(year: Int, month: Int, rows: Range<Int>)] = []
        var start = 0
        for index in rows.indices.dropFirst()
        where (rows[index].year, rows[index].month) != (rows[index - 1].year, rows[index - 1].month) {
            months.append((rows[start].year, rows[start].month, start..<index))
            start = index
        }
        if !rows.isEmpty {
            months.append((rows[start].year, rows[start].month, start..<rows.count))
        }
        guard zip(months, months.dropFirst()).allSatisfy({ ($0.year, $0.month) < ($1.year, $1.month) }) else {
            return nil
        }
        let spans = months
        // Each month's digest into its own slot: no lock (a `Mutex` here is a futex that
        // ThreadSanitizer cannot see, and each slot has one writer anyway); `concurrentPerform`
        // returns once every month is done.
        var digestOfMonth = spans.map { known[Self.monthKey(year: $0.year, month: $0.month)] ?? "" }
        let hashed = spans.indices.filter { digestOfMonth[$0].isEmpty }
        if inParallel {
            digestOfMonth.withUnsafeMutableBufferPointer { slots in
                nonisolated(unsafe) let slots = slots
                DispatchQueue.concurrentPerform(iterations: hashed.count) { step in
                    slots[hashed[step]] = Self.digest(rows[spans[hashed[step]].rows])
                }
            }
        } else {
            for index in hashed { digestOfMonth[index] = Self.digest(rows[spans[index].rows]) }
        }
        var collected = Collected()
        for (month, digest) in zip(spans, digestOfMonth) {
            collected.add(year: month.year, month: month.month, rows: month.rows.count, digest: digest)
        }
        collected.finishYear()
        self.init(build: build, years: collected.years, months: collected.months)
    }

    /// Digests already made (one build's years, put together).
    init(build: String, years: [Int: String], months: [Int: String]? = nil) {
        self.build = build
        self.years = years
        self.months = months
    }

    /// Months' digests put together into their years', in order.
    struct Collected {
        private(set) var years: [Int: String] = [:]
        private(set) var months: [Int: String] = [:]
        private var year: (year: Int, rows: Int, months: [(Int, String)])?
        private var last: (year: Int, month: Int)?

        /// The next month's digest, after the months before it; false when it is not after them.
        @discardableResult
        mutating func add(year: Int, month: Int, rows: Int, digest: String) -> Bool {
            guard last.map({ ($0.year, $0.month) < (year, month) }) != false else { return false }
            last = (year, month)
            if let current = self.year, current.year != year { finishYear() }
            months[SalesDigests.monthKey(year: year, month: month)] = digest
            var current = self.year ?? (year, 0, [])
            current.rows += rows
            current.months.append((month, digest))
            self.year = current
            return true
        }

        /// The year begun, closed.
        mutating func finishYear() {
            guard let current = year else { return }
            years[current.year] = SalesDigests.yearDigest(rows: current.rows, months: current.months)
            year = nil
        }
    }

    /// A year's digest: its row count and its months' numbers and digests, in order.
    static func yearDigest(rows: Int, months: [(Int, String)]) -> String {
        var serializer = ContentHash.Serializer()
        serializer.string("grdp-sales-year-v2")
        serializer.count(rows)
        for (month, digest) in months {
            serializer.count(month)
            serializer.string(digest)
        }
        return serializer.finish()
    }

    /// `months` when they cover every year of `years` (each year with rows has a month), else nil:
    /// a month missing from them reads as a month the file has no row of, so only a full record
    /// may be trusted (digests put together from an older file's and this run's are not).
    var everyMonth: [Int: String]? {
        months.flatMap { months in Set(months.keys.map(Self.year(ofMonthKey:))) == Set(years.keys) ? months : nil }
    }

    /// These digests, with `earlier`'s of the years not in `computed` (a night's carried years).
    func adding(_ earlier: SalesDigests?, except computed: Set<Int>) -> SalesDigests {
        guard let earlier else { return self }
        let months = self.months.flatMap { months in
            earlier.months.map { earlier in
                months.merging(earlier.filter { !computed.contains(Self.year(ofMonthKey: $0.key)) }) { new, _ in new }
            }
        }
        return SalesDigests(
            build: build, years: years.merging(earlier.years.filter { !computed.contains($0.key) }) { new, _ in new },
            months: months)
    }

    /// Where the content hash of `year`'s rows may go on from (`ContentHash.Resume.fromMonth`): its
    /// first month whose digest differs from `earlier`'s (or that only one of them has), else
    /// `pastLastMonth`. Nil when the months cannot be compared: `earlier` of another build, or
    /// either without every month (a month `everyMonth` lacks would read as a month with no row).
    func firstChangedMonth(of year: Int, since earlier: SalesDigests) -> Int? {
        guard earlier.build == build, let months, let before = earlier.everyMonth else { return nil }
        let keys = Set(months.keys).union(before.keys).filter { Self.year(ofMonthKey: $0) == year }
        return keys.sorted().first { months[$0] != before[$0] }.map(Self.month(ofMonthKey:)) ?? Self.pastLastMonth
    }

    /// A month after every month of a year: the content hash goes on from it past all the year's
    /// rows, when none of its months changed.
    static let pastLastMonth = 13

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
        for row in rows { serialize(row, into: &serializer) }
        return serializer.finish()
    }

    /// A row as `digest` hashes it: each field in as few bytes as it needs, every one of them
    /// telling where it ends (`ContentHash.Serializer.varint`, `shortString`), so that rows read
    /// back one way whatever their values. At 10 M transactions a night digests ~700,000 rows,
    /// a rebuild ~3.5 M: ~45 bytes a row where 8-byte fields and lengths made ~120, and SHA-256's
    /// time goes with the bytes. The encoding is this build's alone: digests of another build are
    /// never compared (`build`).
    @inline(__always)
    static func serialize(_ row: EcommerceSalesRow, into serializer: inout ContentHash.Serializer) {
        serializer.varint(signed: Int64(row.year))
        serializer.varint(signed: Int64(row.month))
        serializer.varint(signed: Int64(row.transactions))
        amount(row.netVND, into: &serializer)
        amount(row.vaVND, into: &serializer)
        serializer.tag(row.counted ? "1" : "0")
        serializer.shortString(row.channel)
        serializer.shortString(row.sellerTaxCode)
        serializer.shortString(row.sellerDistrictCode)
    }

    /// The mantissa's two 64-bit halves (the upper one's bit pattern: one byte for every amount
    /// that fits 64 bits and is not negative), then the scale (never negative).
    @inline(__always)
    private static func amount(_ value: ExactDecimal, into serializer: inout ContentHash.Serializer) {
        serializer.varint(UInt64(truncatingIfNeeded: value.mantissa >> 64))
        serializer.varint(UInt64(truncatingIfNeeded: value.mantissa))
        serializer.varint(UInt64(value.scale))
    }
}

/// `SalesDigests` put together as a publish hands the rows over a year at a time
/// (`SalesByYear`): each year's rows in one or more consecutive parts, or each month's digest
/// when the caller took it (`add(year:month:rows:digest:)`). The same digests as those of all the
/// rows at once, wherever the parts end.
final class SalesDigestsByYear: Sendable {
    private let build: String

    private struct State: ~Copyable {
        /// Nil once rows came out of (year, month) order.
        var collected: SalesDigests.Collected? = SalesDigests.Collected()
        /// The month being hashed: its rows so far, hashed as they come.
        var month: (year: Int, month: Int, rows: Int)?
        var serializer = ContentHash.Serializer()
    }

    private let state = Mutex<State>(State())

    init(build: String) {
        self.build = build
    }

    /// The next rows (none: nothing to add).
    func add(_ rows: [EcommerceSalesRow]) {
        state.withLock { state in
            for row in rows {
                guard state.collected != nil else { return }
                if let month = state.month, (month.year, month.month) != (row.year, row.month) {
                    Self.finishMonth(&state)
                }
                if state.month == nil { state.month = (row.year, row.month, 0) }
                state.month!.rows += 1
                SalesDigests.serialize(row, into: &state.serializer)
            }
        }
    }

    /// A month's digest, taken by the caller from its rows (`SalesDigests.digest`), in order.
    func add(year: Int, month: Int, rows: Int, digest: String) {
        state.withLock { state in
            Self.finishMonth(&state)
            if state.collected?.add(year: year, month: month, rows: rows, digest: digest) == false {
                state.collected = nil
            }
        }
    }

    private static func finishMonth(_ state: inout State) {
        guard let month = state.month else { return }
        state.month = nil
        var finished = ContentHash.Serializer()
        swap(&finished, &state.serializer)
        let digest = finished.finish()
        if state.collected?.add(year: month.year, month: month.month, rows: month.rows, digest: digest) == false {
            state.collected = nil
        }
    }

    /// The digests of every year handed over; nil when rows came out of order.
    var digests: SalesDigests? {
        state.withLock { state in
            Self.finishMonth(&state)
            state.collected?.finishYear()
            return state.collected.map { SalesDigests(build: build, years: $0.years, months: $0.months) }
        }
    }
}
