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
        let digests = Mutex<[Int: String]>([:])
        DispatchQueue.concurrentPerform(iterations: blocks.count) { index in
            let digest = Self.digest(rows[blocks[index]])
            digests.withLock { $0[blocks[index].lowerBound] = digest }
        }
        let blockDigests = digests.withLock { $0 }
        self.build = build
        self.years = [:]
        for year in years {
            var serializer = ContentHash.Serializer()
            serializer.string("grdp-sales-year-v1")
            serializer.count(year.rows.count)
            for block in stride(from: year.rows.lowerBound, to: year.rows.upperBound, by: Self.blockRows) {
                serializer.string(blockDigests[block]!)
            }
            self.years[year.year] = serializer.finish()
        }
    }

    /// Digests already made (one build's years, put together).
    init(build: String, years: [Int: String]) {
        self.build = build
        self.years = years
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
    private static func digest(_ rows: ArraySlice<EcommerceSalesRow>) -> String {
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

/// `SalesDigests` put together a year at a time, as a publish hands each year's rows over
/// (`SalesByYear`): the same digests as those of all the rows at once, since a year's digest
/// depends on its own rows alone.
final class SalesDigestsByYear: Sendable {
    private let build: String
    /// Nil once a year's rows came with another year's.
    private let years = Mutex<[Int: String]?>([:])

    init(build: String) {
        self.build = build
    }

    /// One year's rows (none: nothing to add).
    func add(_ rows: [EcommerceSalesRow]) {
        guard !rows.isEmpty else { return }
        let digests = SalesDigests(build: build, rows: rows)
        years.withLock { years in
            guard let digests, digests.years.count == 1, let year = digests.years.first,
                years?[year.key] == nil
            else {
                years = nil
                return
            }
            years?[year.key] = year.value
        }
    }

    var digests: SalesDigests? { years.withLock { $0 }.map { SalesDigests(build: build, years: $0) } }
}
