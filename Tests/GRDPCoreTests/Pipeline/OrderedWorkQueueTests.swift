import Foundation
import Logging
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
        // `maxBalanced` archives are still shared out; beyond, largest first.
        let eight = Self.candidates([31, 76, 70, 17, 48, 78, 61, 81])
        #expect(Ingest.readingOrder(eight, threads: 2) == [7, 5, 1, 2, 4, 6, 0, 3])
        let many = Self.candidates((0...Ingest.maxBalanced).map { Int64(10 + $0 * $0) })
        #expect(Ingest.readingOrder(many, threads: 2) == Array(many.indices.reversed()))
    }

    /// `Ingest.run` reads the archives in the order for the threads it is given: five real archives
    /// on disk, sized as the benchmark's (26, 33, 41, 52 and 66 KB of CSV, uncompressed `.tar`),
    /// are taken (`consume`) as `readingOrder` shares them out over two readers, and largest first
    /// over one; the outcomes come back in revision order either way.
    @Test func aRunReadsInTheOrderForItsThreads() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grdp-order-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let returns = folder.appendingPathComponent("returns")
        try FileManager.default.createDirectory(at: returns, withIntermediateDirectories: true)
        for (year, kib) in zip(2021..., [26, 33, 41, 52, 66]) {
            // ~70 bytes a row.
            let csv = ArchiveCacheStreamingTests.transactions(kib * 1024 / 70, idPrefix: "Y\(year)-")
            try ArchiveWriter.write(
                [.init(path: "transactions.csv", text: csv)], format: .tar,
                to: returns.appendingPathComponent("\(year)-01-31_returns.tar"))
        }
        let config = try ConfigLoader.parse(
            yaml: ArchiveCacheTests.yaml, fileURL: folder.appendingPathComponent("pipeline.yml"))
        let candidates = try ReturnsScanner.scan(folder: returns, exclude: []).archives
        #expect(candidates.map(\.relativePath).map { $0.prefix(4) } == ["2021", "2022", "2023", "2024", "2025"])
        let shared = Ingest.readingOrder(candidates, threads: 2)
        #expect(shared == [4, 3, 1, 2, 0], "sizes \(candidates.map(\.bytes))")
        #expect(Ingest.readingOrder(candidates, threads: 1) == [4, 3, 2, 1, 0])
        for (threads, expected) in [(2, shared), (1, [4, 3, 2, 1, 0])] {
            var taken: [Int] = []
            let result = try Ingest.run(config: config, logger: Logger(label: "test"), threads: threads) { index, _ in
                taken.append(index)
            }
            #expect(taken == expected, "\(threads) thread(s)")
            #expect(result.archives.map(\.relativePath) == candidates.map(\.relativePath))
            #expect(result.archives.allSatisfy { $0.status == .accepted })
        }
    }

    /// The queue's window counts: an order that would end sooner if readers never waited for it
    /// (95, 69, 30, 67, 27, 21, 12 on two: 162 against largest first's 164) ends later with it
    /// (174), and is not chosen; nor is one holding more bytes in flight at once than largest
    /// first (91, 81, 81, 91, 35, 17: 253 against 182).
    @Test func theOrderChosenCountsTheQueuesWindow() {
        let sizes: [Int64] = [95, 69, 67, 30, 27, 21, 12]
        let chosen = Ingest.readingOrder(Self.candidates(sizes), threads: 2)
        #expect(chosen == [1, 0, 5, 3, 2, 4, 6])
        #expect(Self.run(chosen, sizes, readers: 2).end < Self.run(Array(0..<7), sizes, readers: 2).end)
        #expect(Self.run([0, 1, 3, 2, 4, 5, 6], sizes, readers: 2).end == 174)
        let even: [Int64] = [91, 91, 81, 81, 35, 17]
        let evenChosen = Ingest.readingOrder(Self.candidates(even), threads: 2)
        #expect(evenChosen == [2, 0, 3, 1, 4, 5])
        #expect(Self.run(evenChosen, even, readers: 2).most <= Self.run(Array(0..<6), even, readers: 2).most)
        #expect(Self.run([0, 2, 3, 1, 4, 5], even, readers: 2).most == 253)
    }

    /// Against every order, by brute force, with the queue run here unit of time by unit of time:
    /// the order chosen ends as soon as the best of those holding no more in flight than largest
    /// first, and never later nor holding more than largest first.
    @Test(arguments: [2, 3])
    func theOrderChosenEndsAsSoonAsAnyOrder(threads: Int) {
        var random = SplitMix64(seed: UInt64(threads))
        func orders(_ items: [Int]) -> [[Int]] {
            items.isEmpty
                ? [[]] : items.flatMap { item in orders(items.filter { $0 != item }).map { [item] + $0 } }
        }
        for _ in 0..<60 {
            let count = Int(random.next() % 5) + 2
            let sizes = (0..<count).map { _ in Int64(random.next() % 100) + 1 }
            let order = Ingest.readingOrder(Self.candidates(sizes), threads: threads)
            let chosen = Self.run(order, sizes, readers: threads)
            let largestFirst = Self.run(Ingest.readingOrder(Self.candidates(sizes)), sizes, readers: threads)
            let best = orders(Array(0..<count)).map { Self.run($0, sizes, readers: threads) }
                .filter { $0.most <= largestFirst.most }.map(\.end).min()!
            #expect(chosen.end == best, "\(sizes)")
            #expect(chosen.end <= largestFirst.end && chosen.most <= largestFirst.most, "\(sizes)")
        }
    }

    /// `OrderedWorkQueue` reading jobs of the given sizes in `order`, a unit of size per unit of
    /// time: a free reader claims the next job while fewer than `readers + 1` are claimed and not
    /// taken; jobs are taken in order once done. When the last is done, and the most size claimed
    /// and not taken at once.
    private static func run(_ order: [Int], _ sizes: [Int64], readers: Int) -> (end: Int64, most: Int64) {
        var left = [Int64](repeating: 0, count: readers)
        var job = [Int?](repeating: nil, count: readers)
        var done = Set<Int>()
        var (next, taken, time, end, most) = (0, 0, Int64(0), Int64(0), Int64(0))
        while taken < order.count {
            while taken < order.count, done.contains(order[taken]) { taken += 1 }
            for reader in 0..<readers where job[reader] == nil && next < order.count && next - taken < readers + 1 {
                job[reader] = order[next]
                left[reader] = sizes[order[next]]
                next += 1
            }
            most = max(most, order[taken..<next].reduce(0) { $0 + sizes[$1] })
            time += 1
            for reader in 0..<readers {
                guard let running = job[reader] else { continue }
                left[reader] -= 1
                if left[reader] == 0 {
                    done.insert(running)
                    job[reader] = nil
                    end = time
                }
            }
        }
        return (end, most)
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
