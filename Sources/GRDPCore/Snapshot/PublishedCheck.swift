internal import Foundation

/// Whether a snapshot's file is still the one published, computed on another thread from when it
/// is made, and waited for when the answer is needed:
/// - when its checksum was recorded (`RunCache.Published`), the file's checksum against it (at
///   10 M, ~0.05 s);
/// - when none was (the cache deleted, a run killed between publishing and recording, an older
///   grdp), every check of `grdp verify` (its rows against the content hash it holds, its
///   integrity, schema, meta, no journal beside it), its bytes the same before and after (at
///   10 M, ~2.5 s).
///
/// A run asks it of the latest snapshot, which it trusts (copies its rows, resumes its content
/// hash, says it is up to date) only when it is intact, and then records a checksum not recorded
/// yet (`recordIfVerified`), so that the next runs check its bytes alone. `export`, `diff` and
/// `snapshots` have it made of the snapshots they read, on their own connection
/// (`SnapshotStore.openPublished`): a figure is never taken from a file edited or damaged since
/// it was published.
final class PublishedCheck {
    typealias Outcome = (checksum: String?, failures: [VerifyFailure])
    private let recorded: String?
    private let hashing: OnAnotherThread<Outcome>?
    private let outcome: Outcome?

    /// The check of a file already made (`SnapshotStore.openPublished`, on its own connection).
    init(recorded: String?, outcome: Outcome) {
        self.recorded = recorded
        self.outcome = outcome
        hashing = nil
    }

    init(version: Int, recorded checksums: [Int: String], store: SnapshotStore) {
        let recorded = checksums[version]
        self.recorded = recorded
        outcome = nil
        let url = store.url(for: version)
        hashing = OnAnotherThread {
            guard recorded == nil else { return (RunCache.fileChecksum(url), []) }
            // Its bytes before and after its checks: the checksum recorded is of the file checked.
            // The content hash in one pass on this thread: beside the run's own work, the two
            // halves' second connection and the rows they hold would stand on the run's peak
            // (10 M: 254 MiB).
            let before = RunCache.fileChecksum(url)
            var failures: [VerifyFailure]
            do {
                failures = try store.verify(version: version, contentInHalves: false)
            } catch {
                failures = [VerifyFailure(check: .open, message: "\(error)")]
            }
            let after = RunCache.fileChecksum(url)
            if before != after {
                failures.append(VerifyFailure(check: .open, message: "the file changed while it was checked"))
            }
            return (before, failures)
        }
    }

    /// The checksum and failures, once computed.
    private var result: Outcome { outcome ?? hashing!.wait() }

    /// Whether the file is the one published: its bytes are those recorded, or, with none
    /// recorded, it passes `verify` (false too when it could not be read to tell: `readable`).
    var isIntact: Bool {
        guard let recorded else { return result.checksum != nil && result.failures.isEmpty }
        return result.checksum == recorded
    }

    /// When the file is not shown intact only because a check could not be made for want of room
    /// (`VerifyFailure.cannotCheck`, every failure so): the failure to write to say instead of
    /// calling it damaged.
    var cannotCheck: OutputWriteError? {
        let failures = result.failures
        guard !failures.isEmpty, failures.allSatisfy(\.cannotCheck) else { return nil }
        return SnapshotFile.temporaryFolderFull(checking: true)
    }

    /// Whether the file could be read through to compute its checksum.
    var readable: Bool { result.checksum != nil }

    /// Why the file is not trusted, for the error that names it (when `isIntact` is false).
    func problem(_ label: String) -> String {
        guard readable else {
            return "snapshot \(label) could not be read through to check it (permissions? grdp verify \(label) "
                + "tells more)"
        }
        guard recorded == nil else {
            return "snapshot \(label) is not the file published: its checksum is not the one recorded when it "
                + "was written (damaged on disk, or edited; grdp verify \(label) tells more)"
        }
        let failures = result.failures
        return "snapshot \(label) cannot be trusted: no checksum of it was recorded (the cache deleted, or a "
            + "run stopped before recording it), and checked as grdp verify checks it, it fails: "
            + failures.prefix(3).map(\.description).joined(separator: "; ")
            + (failures.count > 3 ? "; and \(failures.count - 3) more" : "")
    }

    /// Records the file's checksum for the next runs when none was and it passed every check;
    /// a failure to record only costs the next run the same check. Only a run, which holds the
    /// lock, records.
    func recordIfVerified(version: Int, store: SnapshotStore, in folder: URL) {
        guard recorded == nil, isIntact, let checksum = result.checksum,
            let existing = try? store.versions()
        else { return }
        try? RunCache.Published.record(checksum, version: version, existing: Set(existing), in: folder)
    }

    /// Waits for the hashing thread (the run does not end with it still reading the file),
    /// unless the run was asked to stop: then the process ends at once, and the check (at
    /// 10 M ~2–3 s when no checksum was recorded) with it.
    func finish() {
        guard RunStop.signal == nil else { return }
        _ = result
    }
}
