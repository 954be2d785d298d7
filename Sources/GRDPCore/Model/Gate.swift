internal import Foundation
import Synchronization

/// A gate threads wait at until it is opened, once; opening it again does nothing. A thread that
/// must not start its work before another's is done (a night's sales digests, made once the
/// content hash no longer needs the core) waits here, and whoever may end first opens it.
final class Gate: @unchecked Sendable {
    // @unchecked Sendable: the semaphore is thread-safe, `opened` is behind its mutex.
    private let semaphore = DispatchSemaphore(value: 0)
    private let opened = Mutex(false)

    func open() {
        let first = opened.withLock { opened in
            defer { opened = true }
            return !opened
        }
        if first { semaphore.signal() }
    }

    /// Returns once the gate is open (at once when it is), and leaves it open for the next.
    func wait() {
        semaphore.wait()
        semaphore.signal()
    }
}
