import Foundation
import GRDPCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SIGTERM (`systemctl stop`, a cron timeout), SIGINT (Ctrl-C) and SIGHUP (a closed terminal) ask
/// `run` and `validate` to stop at their next safe point (`RunStop`) rather than kill them: the run
/// then fails like any other, with a report saying so, the latest snapshot untouched, and exits
/// 128 + the signal's number (143, 130, 129). A second such signal kills at once.
enum StopSignals {
    static func install() {
        RunStop.prepare()
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number, stopHandler)
            sigaddset(&unblocked, number)
        }
        // A parent may have started grdp with these blocked (a mask is inherited; Foundation's
        // Process, for one, passes its thread's): unblocked here, before any thread is started,
        // so that every thread of the run takes them.
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
    }
}

/// Async-signal-safe: one atomic exchange, `write(2)`, and on a second signal the default action.
private func stopHandler(_ number: Int32) {
    if RunStop.request(signal: number) {
        signal(number, SIG_DFL)
        raise(number)
        return
    }
    let message: StaticString = "grdp: stopping at the next safe point, nothing published (signal again to kill)\n"
    _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
}
