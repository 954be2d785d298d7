internal import Foundation

extension SnapshotStore {
    /// A copy of a published snapshot into a new temporary file of the store's folder, made on
    /// another thread while the run computes, for the publish that carries rows from that file
    /// (`publishMarking(…, startedCopy:)`): a nightly run or `run --year` starts from a copy of
    /// the latest snapshot, and at 10 M transactions that copy took ~0.35 s after Compute, which
    /// runs mostly on one core.
    ///
    /// The publish given it owns the temporary from then on; `discard` removes it when none did.
    /// Either way the copy's thread has finished when they return. A run killed meanwhile leaves
    /// a `.grdp-*.tmp` that the next run removes, like any other temporary.
    final class StartedCopy {
        /// The published file copied.
        let source: URL
        /// The copy: a temporary in the store's folder.
        let temporaryPath: String
        private let copying: OnAnotherThread<OutputWriteError?>
        private var taken = false

        /// Creates the temporary and starts copying `source` into it.
        init(source: URL, temporaryPath: String) throws(OutputWriteError) {
            try FileSystem.createEmptyFile(temporaryPath)
            self.source = source
            self.temporaryPath = temporaryPath
            let sourcePath = source.path
            copying = OnAnotherThread { () -> OutputWriteError? in
                do throws(OutputWriteError) {
                    try FileSystem.copyContents(of: sourcePath, into: temporaryPath)
                    return nil
                } catch {
                    return error
                }
            }
        }

        /// Waits for the copy; throws what stopped it.
        func finish() throws(OutputWriteError) {
            if let error = copying.wait() { throw error }
        }

        /// The temporary, for the publish that takes it over (once).
        func take() -> String {
            precondition(!taken, "a started copy taken twice")
            taken = true
            return temporaryPath
        }

        /// Waits for the copy and removes the temporary, unless a publish took it over.
        func discard() {
            _ = copying.wait()
            if !taken {
                taken = true
                FileSystem.removeFile(temporaryPath)
            }
        }
    }

    /// Starts copying `latest` for a publish that will carry rows from it (`CarriedSales`); nil
    /// when that publish would not start from a copy (a file of an earlier layout, whose rows are
    /// carried one by one).
    func startCopy(of latest: URL) throws(OutputWriteError) -> StartedCopy? {
        guard SnapshotStore.hasCurrentSchema(latest) else { return nil }
        try FileSystem.makeDirectories(folder.path)
        return try StartedCopy(source: latest, temporaryPath: folder.path + "/" + FileSystem.temporaryName())
    }
}
