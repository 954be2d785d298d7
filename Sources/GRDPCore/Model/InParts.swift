internal import Foundation

/// Work cut in parts run at once, one on each core (the machines this runs on have two).
enum InParts {
    /// Runs `body` for parts 0…`parts` − 1 at once; each part's outcome, in part order (a failed
    /// part does not stop the others).
    static func run<Value, Failure: Error>(
        _ parts: Int, _ body: @Sendable (Int) throws(Failure) -> Value
    ) -> [Result<Value, Failure>] {
        let outcomes = Outcomes<Value, Failure>(parts)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            do throws(Failure) {
                outcomes.store(part, .success(try body(part)))
            } catch {
                outcomes.store(part, .failure(error))
            }
        }
        return outcomes.all
    }

    /// The parts' outcomes as their threads give them.
    private final class Outcomes<Value, Failure: Error>: @unchecked Sendable {
        // @unchecked Sendable: each thread stores only its own part, under the lock, and `all` is
        // read after `concurrentPerform` returns.
        private var outcomes: [Result<Value, Failure>?]
        private let lock = NSLock()

        init(_ parts: Int) { outcomes = Array(repeating: nil, count: parts) }

        func store(_ part: Int, _ outcome: Result<Value, Failure>) {
            lock.withLock { outcomes[part] = outcome }
        }

        var all: [Result<Value, Failure>] { lock.withLock { outcomes.map { $0! } } }
    }
}
