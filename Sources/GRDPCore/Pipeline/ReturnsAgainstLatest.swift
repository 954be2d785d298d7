/// A run's accepted archives against those the latest snapshot counted: which returns are new
/// tonight, and which a run says things of (the new ones; every one under a config other than the
/// latest snapshot's, a first run included). What the publish says of columns, members and values
/// of the returns (`PipelineRunner.settleOutcome`) is said of `said`, and not again of what
/// `counted` already had.
struct ReturnsAgainstLatest {
    /// Accepted archives the latest snapshot counted (by SHA-256); none under a changed config,
    /// so that nothing is taken as known.
    let counted: [ArchiveOutcome]
    /// Accepted archives it did not count.
    let new: [ArchiveOutcome]
    /// `new`, or every accepted archive under a changed config.
    let said: [ArchiveOutcome]
    /// Accepted archives the latest snapshot counted, whatever the config: for what their bytes
    /// alone decide (the channels they name).
    let countedByLatest: [ArchiveOutcome]

    init(_ archives: [ArchiveOutcome], counted digests: Set<String>, configChanged: Bool) {
        let accepted = archives.filter { $0.status == .accepted }
        new = accepted.filter { !digests.contains($0.sha256) }
        countedByLatest = accepted.filter { digests.contains($0.sha256) }
        counted = configChanged ? [] : countedByLatest
        said = configChanged ? accepted : new
    }
}
