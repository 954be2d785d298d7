internal import Foundation

/// The nightly increment (`grdp generate --layout increment`): one more `.tar.gz` for a benchmark
/// set generated with the same seed, years, enterprises and transactions, so that `scripts/bench.sh`
/// can measure a run with one new archive on top of a set already processed.
///
/// It holds `increment` transaction rows: about 1 in 20 re-send an order of the set's last year that
/// was completed (and never revised), now refunded in full — the same id and channel, so they revise
/// earlier archives; of its fourth quarter alone with `recentRevisions` — and the rest are new
/// orders of the last year's fourth quarter
/// (`SyntheticDataset.incrementTransactions`). No enterprise or GRDP member. Its name,
/// `{last year + 1}-02-01_increment.tar.gz`, sorts after every archive of the benchmark layout
/// (`{last year + 1}-01-31_benchmark….tar.gz`).
extension ReturnsGenerator {
    var incrementArchiveName: String { "\(options.years.upperBound + 1)-02-01_increment.tar.gz" }

    func writeIncrement(_ dataset: Dataset, to archives: inout ArchiveSet) throws {
        let last = dataset.years.upperBound
        func isCandidate(_ transaction: Dataset.Transaction) -> Bool {
            transaction.finalStatus == .completed && !transaction.revisedToRefunded
        }
        // Candidates to revise: completed orders of the last year, counted, then chosen by selection
        // sampling (exactly `wanted` of them, in order, one quarter in memory at a time).
        let quarters = options.recentRevisions ? 4...4 : 1...4
        var candidates = 0
        for quarter in quarters {
            candidates += dataset.transactions(year: last, quarter: quarter).lazy.filter(isCandidate).count
        }
        let wanted = min(options.increment / 20, candidates)
        let fresh = options.increment - wanted

        var revisions = CSVText(convention: .en, capacity: wanted * 90)
        revisions.row(Self.englishTransactionHeader)
        var rng = SplitMix64.derived(from: options.seed, 6)
        var seen = 0
        var chosen = 0
        for quarter in quarters where chosen < wanted {
            for transaction in dataset.transactions(year: last, quarter: quarter) where isCandidate(transaction) {
                if rng.below(candidates - seen) < wanted - chosen {
                    revisions.row(benchmarkRow(transaction, status: .refunded, refundInFull: true))
                    chosen += 1
                }
                seen += 1
            }
        }

        var sends = CSVText(convention: .en, capacity: fresh * 90)
        sends.row(Self.englishTransactionHeader)
        for transaction in dataset.incrementTransactions(count: fresh) {
            sends.row(benchmarkRow(transaction, status: transaction.finalStatus, refundInFull: false))
        }
        try archives.write(
            incrementArchiveName, format: .tarGzip,
            members: [
                .init(path: "transactions_increment.csv", kind: .transaction, csv: sends),
                .init(path: "transactions_increment_revised.csv", kind: .transaction, csv: revisions),
            ])
    }
}
