import Synchronization

/// A request to stop a run early (SIGTERM from `systemctl stop`, SIGINT from Ctrl-C), made by the
/// command line's signal handler and honoured by the run at safe points: while it waits for the
/// lock, after the archives are hashed, before each archive is taken (those being read are
/// finished first), after the revisions, after Compute, and last before a snapshot is renamed
/// into place. The run then fails like any
/// other — no snapshot, the latest untouched, temporaries removed, a report written — instead of
/// dying with nothing said. Once a snapshot is renamed into place the run finishes its exports and
/// report: stopping then would leave them out of step.
public enum RunStop {
    /// The signal number asked with, 0 when none. Lock-free: the handler stores it.
    private static let requested = Atomic<Int32>(0)

    /// Records a stop asked by `signal`; returns whether one was asked before. Async-signal-safe
    /// (one atomic exchange) once `prepare` has run.
    @discardableResult
    public static func request(signal: Int32) -> Bool {
        requested.exchange(signal, ordering: .sequentiallyConsistent) != 0
    }

    /// Initializes the flag, so that a signal handler never runs its lazy initialization.
    public static func prepare() {
        _ = requested.load(ordering: .relaxed)
    }

    /// The signal a stop was asked with, if any.
    public static var signal: Int32? {
        let value = requested.load(ordering: .sequentiallyConsistent)
        return value == 0 ? nil : value
    }

    /// Throws `Stopped` when a stop was asked.
    static func check() throws(Stopped) {
        if let signal { throw Stopped(signal: signal) }
    }

    /// The run stopped on request, before anything was published (or another command, before
    /// what `outcome` says).
    public struct Stopped: Error, CustomStringConvertible {
        public var signal: Int32
        /// What was left as it was; nil for a run: no snapshot written.
        public var outcome: String?

        public init(signal: Int32, outcome: String? = nil) {
            self.signal = signal
            self.outcome = outcome
        }

        public var description: String {
            "stopped by \(Self.name(of: signal)) before "
                + (outcome ?? "publishing: no snapshot written, the latest stays the latest")
        }

        /// 128 + the signal's number, as a shell reports a process the signal ended.
        public var exitCode: Int32 { 128 + signal }

        public static func name(of signal: Int32) -> String {
            switch signal {
            case 1: "SIGHUP"
            case 2: "SIGINT"
            case 15: "SIGTERM"
            default: "signal \(signal)"
            }
        }
    }
}
