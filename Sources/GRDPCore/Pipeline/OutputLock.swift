public import Foundation
import Glibc

/// The run lock of CONTRACT §7: `flock` on `<outputs>/.lock`, never deleted, released by the
/// kernel when the process dies however it dies.
public final class OutputLock {
    private let descriptor: Int32
    public let url: URL

    /// Another run holds the lock (exit 75).
    public struct Busy: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var waited: Int
        public var description: String {
            waited > 0
                ? "another grdp run holds the lock \(path) (waited \(waited) s)"
                : "another grdp run holds the lock \(path); try again later or pass --wait-lock SECONDS"
        }
    }

    /// Takes the lock, waiting up to `waitSeconds` (0: fail at once); `waiting` is called once,
    /// when the lock is held by another run and the wait begins.
    public init(url: URL, waitSeconds: Int, waiting: () -> Void = {}) throws {
        self.url = url
        var fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, FileSystem.fileMode)
        // A lock file another user created without group write (an older grdp made it 0644): `flock`
        // needs no write access on a local file system, so a run by a member of the group still locks.
        if fd < 0 && errno == EACCES { fd = open(url.path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else {
            throw OutputWriteError(path: url.path, operation: "open the lock file", errno: errno)
        }
        // Monotonic and to the nanosecond: whole wall-clock seconds made `--wait-lock 1` give up
        // anywhere between 0 and 1 s, and a clock step could stretch or cut the wait.
        // Saturated: a wait of more seconds than 2^63 ns holds (292 years) is a wait without end.
        let wait = Int64(max(0, waitSeconds)).multipliedReportingOverflow(by: 1_000_000_000)
        let end = OutputLock.monotonicNanoseconds().addingReportingOverflow(wait.partialValue)
        let deadline = wait.overflow || end.overflow ? Int64.max : end.partialValue
        var told = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            guard error == EWOULDBLOCK || error == EINTR else {
                close(fd)
                throw OutputWriteError(path: url.path, operation: "lock", errno: error)
            }
            if OutputLock.monotonicNanoseconds() >= deadline {
                close(fd)
                throw Busy(path: url.path, waited: waitSeconds)
            }
            // A stop asked while waiting (SIGTERM during a long --wait-lock) ends the wait.
            if let signal = RunStop.signal {
                close(fd)
                throw RunStop.Stopped(signal: signal)
            }
            if !told {
                told = true
                waiting()
            }
            usleep(100_000)
        }
        self.descriptor = fd
    }

    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
