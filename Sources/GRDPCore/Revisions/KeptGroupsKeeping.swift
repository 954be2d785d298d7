internal import Foundation
internal import Logging

/// The transaction groups a partitioned run keeps for the next one: the groups of the years it
/// computes, written to `cache/kept-groups.bin` (`KeptGroupsFile`), bound by a token to the state
/// of its key pass (`current-rows.bin`), once a run.
///
/// Written on another thread beside Compute (which waits for the write before its sales rows, its
/// peak: `finish`), or on the caller's before Compute when the texts and index made for the file
/// would stand on that peak. A write that fails only costs time: the file is removed, the next run
/// groups every row of its years, and a warning says so.
final class KeptGroupsKeeping {
    private let logger: Logger
    /// The file and the token of the state the groups go with, once that state is kept; nil after
    /// `keep` (or when there is none to keep them for).
    private var pending: (file: KeptGroupsFile, token: String)?
    private var writing: (thread: OnAnotherThread<(any Error)?>, path: String)?
    /// The groups kept: their token and years, for `last-run.json` (`RunCache.KeptGroupsBinding`).
    private(set) var kept: (token: String, years: Set<Int>)?

    init(logger: Logger) {
        self.logger = logger
    }

    /// The groups will go to `file`, with `token`: that of the key pass's state just kept.
    func bind(to file: KeptGroupsFile, token: String) {
        pending = (file, token)
    }

    /// Where they will go, until `keep` (the file a night's groups are updated from).
    var file: KeptGroupsFile? { pending?.file }

    /// Keeps `groups()`, of `years` (nil: none, the file removed), once: on another thread
    /// `besideCompute`, else here. Nothing when no file is bound, or after the first call.
    func keep(years: Set<Int>, besideCompute: Bool, _ groups: @escaping @Sendable () -> KeptGroups?) {
        guard let (file, token) = pending else { return }
        pending = nil
        kept = years.isEmpty ? nil : (token, years)
        let write = { @Sendable () -> (any Error)? in
            do {
                guard let groups = groups() else {
                    file.remove()
                    return nil
                }
                try file.write(groups, token: token)
                return nil
            } catch {
                file.remove()
                return error
            }
        }
        if besideCompute {
            writing = (OnAnotherThread(write), file.url.path)
        } else {
            report(write(), path: file.url.path)
        }
    }

    /// Waits for a write begun beside Compute, if any.
    func finish() {
        guard let (thread, path) = writing else { return }
        writing = nil
        report(thread.wait(), path: path)
    }

    private func report(_ error: (any Error)?, path: String) {
        guard let error else { return }
        logger.warning(
            "The transaction groups could not be kept for the next run",
            metadata: ["file": "\(path)", "error": "\(error)"])
    }
}
