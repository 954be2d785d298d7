internal import Foundation

/// Runs `count` independent jobs on a few threads and hands their results to the caller in a fixed
/// order (index order unless told otherwise), keeping at most `window` jobs started but not yet
/// taken, not counting those said to be light. Jobs start in that same order.
///
/// The ingest reads archives this way, the largest first or in an order that shares a few of
/// them out more evenly (`Ingest.readingOrder`): archives are independent until the
/// revision ledger, which takes them in that fixed order and ranks their records by archive order
/// itself (CONTRACT §4.4). A fixed order, not the order jobs happen to finish in, keeps a run's
/// work the same from one run to the next. The window bounds memory to a few archives' rows,
/// however uneven their sizes. Archives the cache gives are light: their rows stay in the entry's
/// mapping, read in place, so one waiting to be taken holds little more memory than once taken
/// (an entry that fails its checks is read again into a new entry, mapped the same way).
final class OrderedWorkQueue<Result: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: every stored `var` is read and written only while `condition` is locked;
    // the `let`s are immutable. Results cross threads through `results` under that lock.
    private let condition = NSCondition()
    private let count: Int
    private let window: Int
    /// Job indices in the order they start and are taken.
    private let order: [Int]
    /// The jobs the window does not count.
    private let light: Set<Int>
    private var nextToStart = 0
    /// Jobs not light started and not yet taken.
    private var inWindow = 0
    private var results: [Int: Result] = [:]

    /// - Parameter order: a permutation of `0..<count`; nil is `0..<count`.
    /// - Parameter light: jobs (indices) that start whatever the window holds, and take no room in it.
    init(count: Int, window: Int, order: [Int]? = nil, light: Set<Int> = []) {
        precondition(window >= 1)
        let order = order ?? Array(0..<count)
        precondition(order.count == count && Set(order) == Set(0..<count), "order must be a permutation")
        self.count = count
        self.window = window
        self.order = order
        self.light = light
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
        for index in order {
            try take(index, wait(for: index))
        }
    }

    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while nextToStart < count && !light.contains(order[nextToStart]) && inWindow >= window {
            condition.wait()
        }
        guard nextToStart < count else { return nil }
        let index = order[nextToStart]
        nextToStart += 1
        if !light.contains(index) { inWindow += 1 }
        return index
    }

    private func deliver(_ index: Int, _ result: Result) {
        condition.lock()
        results[index] = result
        condition.broadcast()
        condition.unlock()
    }

    private func wait(for index: Int) -> Result {
        condition.lock()
        defer { condition.unlock() }
        while results[index] == nil {
            condition.wait()
        }
        if !light.contains(index) { inWindow -= 1 }
        condition.broadcast()
        return results.removeValue(forKey: index)!
    }

    /// No more jobs start; results still arriving are dropped.
    private func abandon() {
        condition.lock()
        nextToStart = count
        inWindow = 0
        results = [:]
        condition.broadcast()
        condition.unlock()
    }
}
