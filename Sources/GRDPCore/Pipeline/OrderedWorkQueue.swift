internal import Foundation

/// Runs `count` independent jobs on a few threads and hands their results to the caller in a fixed
/// order (index order unless told otherwise), keeping at most `window` jobs started but not yet
/// taken. Jobs start in that same order.
///
/// The ingest reads archives this way, the largest first: archives are independent until the
/// revision ledger, which takes them in that fixed order and ranks their records by archive order
/// itself (CONTRACT §4.4). A fixed order, not the order jobs happen to finish in, keeps a run's
/// work the same from one run to the next. The window bounds memory to a few archives' rows,
/// however uneven their sizes.
final class OrderedWorkQueue<Result: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: every stored `var` is read and written only while `condition` is locked;
    // the `let`s are immutable. Results cross threads through `results` under that lock.
    private let condition = NSCondition()
    private let count: Int
    private let window: Int
    /// Job indices in the order they start and are taken.
    private let order: [Int]
    private var nextToStart = 0
    private var nextToTake = 0
    private var results: [Int: Result] = [:]

    /// - Parameter order: a permutation of `0..<count`; nil is `0..<count`.
    init(count: Int, window: Int, order: [Int]? = nil) {
        precondition(window >= 1)
        let order = order ?? Array(0..<count)
        precondition(order.count == count && Set(order) == Set(0..<count), "order must be a permutation")
        self.count = count
        self.window = window
        self.order = order
    }

    /// Starts `threads` worker threads running `job` on indices in `order`, then calls `take` on
    /// this thread with each result in that order. Returns when every result was taken.
    func run(threads: Int, job: @escaping @Sendable (Int) -> Result, take: (Int, Result) throws -> Void) rethrows {
        let group = DispatchGroup()
        for _ in 0..<max(1, min(threads, count)) {
            group.enter()
            let worker = Thread { [self] in
                while let index = claim() { deliver(index, job(index)) }
                group.leave()
            }
            // Normalizing a large member recurses little but uses some stack for the record machine.
            worker.stackSize = 4 << 20
            worker.start()
        }
        defer {
            // On a throwing `take`, let the workers drain so that none outlives this call.
            abandon()
            group.wait()
        }
        for position in 0..<count {
            let index = order[position]
            try take(index, wait(for: index, at: position))
        }
    }

    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while nextToStart < count && nextToStart - nextToTake >= window {
            condition.wait()
        }
        guard nextToStart < count else { return nil }
        nextToStart += 1
        return order[nextToStart - 1]
    }

    private func deliver(_ index: Int, _ result: Result) {
        condition.lock()
        results[index] = result
        condition.broadcast()
        condition.unlock()
    }

    private func wait(for index: Int, at position: Int) -> Result {
        condition.lock()
        defer { condition.unlock() }
        while results[index] == nil {
            condition.wait()
        }
        nextToTake = position + 1
        condition.broadcast()
        return results.removeValue(forKey: index)!
    }

    /// No more jobs start; results still arriving are dropped.
    private func abandon() {
        condition.lock()
        nextToStart = count
        nextToTake = count
        results = [:]
        condition.broadcast()
        condition.unlock()
    }
}
