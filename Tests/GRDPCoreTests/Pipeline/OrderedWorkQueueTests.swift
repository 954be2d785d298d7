import Foundation
import Testing

@testable import GRDPCore

/// The queue that reads archives: jobs start and results are taken in the order it is given,
/// never more than `window` of them started and not handed to `take`.
@Suite struct OrderedWorkQueueTests {
    @Test(arguments: [1, 2, 3])
    func resultsComeInTheGivenOrderWithinTheWindow(window: Int) {
        let order = [3, 1, 5, 0, 2, 4]
        let queue = OrderedWorkQueue<Int>(count: order.count, window: window, order: order)
        struct Tally {
            var started: [Int] = []
            var inFlight = 0
            var mostInFlight = 0
        }
        // An NSLock, not a `Mutex`: its futex is invisible to ThreadSanitizer, which then reports
        // the tally's guarded writes as a race (scripts/sanitize.sh thread).
        let tally = Locked(Tally())
        var taken: [Int] = []
        queue.run(threads: 2) { index in
            tally.withLock {
                $0.started.append(index)
                $0.inFlight += 1
                $0.mostInFlight = max($0.mostInFlight, $0.inFlight)
            }
            // The later jobs finish first, whatever order they started in.
            Thread.sleep(forTimeInterval: 0.002 * Double(6 - index))
            return index * 10
        } take: { index, result in
            #expect(result == index * 10)
            tally.withLock { $0.inFlight -= 1 }
            taken.append(index)
        }
        let (started, mostInFlight) = tally.withLock { ($0.started, $0.mostInFlight) }
        #expect(taken == order)
        // Claimed in order; two threads may record their starts the other way round.
        #expect(Set(started) == Set(order))
        // A slot is free once its result is handed to `take`, while `take` still holds it.
        #expect(mostInFlight <= window + 1)
    }

    /// Light jobs (archives the cache gives) start while the window is full of others, which still
    /// wait for room; every result is still taken in the given order.
    @Test func lightJobsStartWhileTheWindowIsFull() {
        let order = [0, 1, 2, 3, 4]
        let queue = OrderedWorkQueue<Int>(count: order.count, window: 1, order: order, light: [1, 2])
        let lightStarted = DispatchSemaphore(value: 0)
        let heavyInFlight = Locked((now: 0, most: 0))
        var taken: [Int] = []
        queue.run(threads: 2) { index in
            let light = index == 1 || index == 2
            if !light {
                heavyInFlight.withLock {
                    $0.now += 1
                    $0.most = max($0.most, $0.now)
                }
            }
            if light { lightStarted.signal() }
            if index == 0 {
                // Held until both light jobs started: without them outside the window, neither
                // could start before this one was taken.
                let both =
                    lightStarted.wait(timeout: .now() + 10) == .success
                    && lightStarted.wait(timeout: .now() + 10) == .success
                return both ? 0 : -1
            }
            return index
        } take: { index, result in
            #expect(result == index, "job \(index)")
            if index != 1 && index != 2 { heavyInFlight.withLock { $0.now -= 1 } }
            taken.append(index)
        }
        #expect(taken == order)
        // A slot is free once its result is handed to `take`, while `take` still holds it.
        #expect(heavyInFlight.withLock { $0.most } <= 2)
    }

    /// The largest archive first; equal sizes in revision order. Those with a cache entry after the
    /// ones to decompress, and those a kept revision ledger holds (the cache gives them without
    /// their rows) after all the others, each in the same order.
    @Test func archivesAreReadLargestFirst() {
        let sizes: [Int64] = [10, 300, 20, 300, 5]
        let candidates = sizes.enumerated().map { index, bytes in
            ArchiveCandidate(
                relativePath: "\(index).zip", url: URL(fileURLWithPath: "/r/\(index).zip"), bytes: bytes,
                expectedSHA256: nil)
        }
        #expect(Ingest.readingOrder(candidates) == [1, 3, 2, 0, 4])
        #expect(Ingest.readingOrder(candidates, last: [1, 2]) == [3, 0, 4, 1, 2])
        #expect(Ingest.readingOrder(candidates, last: Set(0..<5)) == [1, 3, 2, 0, 4])
        // Those with a cache entry after the ones to decompress, before those a ledger holds.
        #expect(Ingest.readingOrder(candidates, cached: [1, 0]) == [3, 2, 4, 1, 0])
        #expect(Ingest.readingOrder(candidates, cached: [1, 3], last: [2]) == [0, 4, 1, 3, 2])
    }

    /// A few archives to decompress are read in the order that ends soonest on the readers when
    /// largest first leaves one reading alone: the 10 M benchmark's five (MB), on two readers,
    /// 2025, 2024, 2022, 2023, 2021 (readers end at 107 and 111) where largest first ends at 99
    /// and 119. Archives with a cache entry or a kept ledger still come after, as they were.
    @Test func aFewArchivesAreSharedOutEvenly() {
        let candidates = Self.candidates([26, 33, 41, 52, 66])
        #expect(Ingest.readingOrder(candidates, threads: 2) == [4, 3, 1, 2, 0])
        #expect(Ingest.readingOrder(candidates, threads: 1) == [4, 3, 2, 1, 0])
        #expect(Ingest.readingOrder(candidates, cached: [0], threads: 2) == [4, 3, 2, 1, 0])
        #expect(Ingest.readingOrder(candidates, cached: [3], last: [1], threads: 2) == [4, 2, 0, 3, 1])
        // As many readers as archives, or more: largest first.
        #expect(Ingest.readingOrder(candidates, threads: 5) == [4, 3, 2, 1, 0])
        // Equal sizes: no order ends sooner, so revision order.
        #expect(Ingest.readingOrder(Self.candidates([7, 7, 7, 7, 7]), threads: 2) == [0, 1, 2, 3, 4])
        // Beyond `maxBalanced` archives, largest first.
        let many = Self.candidates((0...Ingest.maxBalanced).map { Int64(10 + $0 * $0) })
        #expect(Ingest.readingOrder(many, threads: 2) == Array(many.indices.reversed()))
    }

    /// Against every order, by brute force: the order chosen ends as soon as the best of them (the
    /// readers' end computed here on its own), and never later than largest first.
    @Test(arguments: [2, 3])
    func theOrderChosenEndsAsSoonAsAnyOrder(threads: Int) {
        var random = SplitMix64(seed: UInt64(threads))
        func end(_ order: [Int], _ sizes: [Int64]) -> Int64 {
            var readers = [Int64](repeating: 0, count: threads)
            for index in order {
                let reader = readers.firstIndex(of: readers.min()!)!
                readers[reader] += sizes[index]
            }
            return readers.max()!
        }
        func orders(_ items: [Int]) -> [[Int]] {
            items.isEmpty
                ? [[]] : items.flatMap { item in orders(items.filter { $0 != item }).map { [item] + $0 } }
        }
        for _ in 0..<60 {
            let count = Int(random.next() % 5) + 2
            let sizes = (0..<count).map { _ in Int64(random.next() % 100) + 1 }
            let chosen = Ingest.readingOrder(Self.candidates(sizes), threads: threads)
            let largestFirst = Ingest.readingOrder(Self.candidates(sizes))
            #expect(chosen.sorted() == Array(0..<count))
            #expect(end(chosen, sizes) == orders(Array(0..<count)).map { end($0, sizes) }.min()!, "\(sizes)")
            #expect(end(chosen, sizes) <= end(largestFirst, sizes), "\(sizes)")
        }
    }

    private static func candidates(_ sizes: [Int64]) -> [ArchiveCandidate] {
        sizes.enumerated().map { index, bytes in
            ArchiveCandidate(
                relativePath: "\(index).zip", url: URL(fileURLWithPath: "/r/\(index).zip"), bytes: bytes,
                expectedSHA256: nil)
        }
    }
}

/// A value behind an `NSLock` (a pthread mutex, which ThreadSanitizer sees).
private final class Locked<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only reached through `withLock`, under `lock`.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
