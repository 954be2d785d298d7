import Foundation
import GRDPCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SIGTERM (`systemctl stop`, a cron timeout), SIGINT (Ctrl-C) and SIGHUP (a closed terminal) ask
/// `run`, `validate` and `export --output FILE` (at its next piece: the temporary removed, the
/// file as it was) to stop at their next safe point (`RunStop`) rather than kill them: the run
/// then fails like any other, with a report saying so, the latest snapshot untouched, and exits
/// 128 + the signal's number (143, 130, 129). A second such signal kills at once.
///
/// A signal the parent set to be ignored stays ignored (`nohup grdp run`: a closed terminal must
/// not stop it), and one it blocked stays blocked.
enum StopSignals {
    static func install() {
        RunStop.prepare()
        stopNoticeInJSON.store(StderrLogHandler.writesJSON, ordering: .relaxed)
        for number in [SIGTERM, SIGINT, SIGHUP] {
            let previous = signal(number, stopHandler)
            if unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                signal(number, SIG_IGN)
            }
        }
    }
}

/// Async-signal-safe: one atomic exchange, `write(2)`, and on a second signal the default action.
private func stopHandler(_ number: Int32) {
    if RunStop.request(signal: number) {
        signal(number, SIG_DFL)
        raise(number)
        return
    }
    // With --log-format json every line on stderr is one JSON object: this one has no time (a
    // clock read and formatted is not async-signal-safe), the run's next line has.
    let message: StaticString =
        stopNoticeInJSON.load(ordering: .relaxed)
        ? "{\"level\":\"notice\",\"message\":\"Stop asked: stopping at the next safe point (signal again to kill)\"}\n"
        : "grdp: stop asked: stopping at the next safe point (signal again to kill)\n"
    _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
}

/// Set by `install` before any handler can run; read by the handler (an atomic load: no
/// exclusivity tracking, which is not async-signal-safe, as a global `var`'s access may be).
private let stopNoticeInJSON = Atomic<Bool>(false)
