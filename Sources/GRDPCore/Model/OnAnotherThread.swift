internal import Foundation

/// A value computed on a thread of its own while the caller goes on; `wait` gives it.
///
/// The snapshot's work beside its inserts (the content hash from memory, the sales rows' merge,
/// a table's upper half read back) runs this way: a thread of its own rather than Dispatch's
/// pool, which the ledger's and Compute's `concurrentPerform` may have filled.
final class OnAnotherThread<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `value` is written by the thread before it signals `done`, and read
    // only after waiting for that.
    private let done = DispatchSemaphore(value: 0)
    private var value: Value?
    private var waited = false

    /// Starts `body` on a new thread (1 MiB of stack).
    init(_ body: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            value = body()
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The value, once computed; any number of calls, from one thread: the one that started it,
    /// or the one it was handed to (the rows a nightly run reads ahead are waited for by the
    /// snapshot's diff thread).
    func wait() -> Value {
        if !waited {
            done.wait()
            waited = true
        }
        return value!
    }

    /// The value, once computed, moved out to the caller, whose reference is then the only one (a
    /// ledger's arrays also held here would be copied whole at their first change). Once.
    func take() -> Value {
        let taken = wait()
        value = nil
        return taken
    }
}
