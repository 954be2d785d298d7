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
        /// The source's sales rows of the years the publish will likely write, read ahead
        /// (`SalesRowsUpdate.FileRows`; nil inside when that read failed: the diff then reads the
        /// file itself, and reports what is wrong). Nil when none, or once handed over.
        private var readingAhead: OnAnotherThread<SalesRowsUpdate.FileRows?>?
        private var taken = false

        /// Creates the temporary and starts copying `source` into it; `readAhead`, rows of
        /// `source` being read, goes with the copy to the publish.
        init(
            source: URL, temporaryPath: String, readAhead: OnAnotherThread<SalesRowsUpdate.FileRows?>? = nil
        ) throws(OutputWriteError) {
            readingAhead = readAhead
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

        /// Gives the publish rows for its diff, made on another thread from now on
        /// (`KeptGroupChanges`), when none were given with the copy and the publish has not begun;
        /// false (`rows` not called) otherwise.
        func handOver(making rows: @escaping @Sendable () -> SalesRowsUpdate.FileRows?) -> Bool {
            guard readingAhead == nil, !taken else { return false }
            readingAhead = OnAnotherThread(rows)
            return true
        }

        /// The rows read ahead, for the one thread that will wait for them; nil once taken or when
        /// there are none.
        func takeReadAhead() -> OnAnotherThread<SalesRowsUpdate.FileRows?>? {
            defer { readingAhead = nil }
            return readingAhead
        }

        /// Waits for the copy (and the rows read ahead, unless handed over) and removes the
        /// temporary, unless a publish took it over.
        func discard() {
            _ = copying.wait()
            _ = takeReadAhead()?.wait()
            if !taken {
                taken = true
                FileSystem.removeFile(temporaryPath)
            }
        }
    }

    /// Starts copying `latest` for a publish that will carry rows from it (`CarriedSales`); nil
    /// when that publish would not start from a copy (a file of an earlier layout, whose rows are
    /// carried one by one).
    ///
    /// `readAhead`, the latest file's sales rows being read for the publish's diff, goes with the
    /// copy; with no copy made, it is waited for here.
    func startCopy(
        of latest: URL, readAhead: OnAnotherThread<SalesRowsUpdate.FileRows?>? = nil
    ) throws(OutputWriteError) -> StartedCopy? {
        guard SnapshotStore.hasCurrentSchema(latest) else {
            _ = readAhead?.wait()
            return nil
        }
        do {
            try FileSystem.makeDirectories(folder.path)
            return try StartedCopy(
                source: latest, temporaryPath: folder.path + "/" + FileSystem.temporaryName(), readAhead: readAhead)
        } catch {
            _ = readAhead?.wait()
            throw error
        }
    }
}
