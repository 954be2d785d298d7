public import Foundation

/// What a `run` was asked to do (CONTRACT §7).
public struct RunOptions: Sendable {
    /// Recompute only these years; nil: all.
    public var years: Set<Int>?
    public var force: Bool
    public var waitLockSeconds: Int
    /// `snapshot_meta.command`: the command line as asked.
    public var command: String
    public var toolVersion: String

    public init(years: Set<Int>?, force: Bool, waitLockSeconds: Int, command: String, toolVersion: String) {
        self.years = years
        self.force = force
        self.waitLockSeconds = waitLockSeconds
        self.command = command
        self.toolVersion = toolVersion
    }
}

/// How a run ended (CONTRACT §8) and its exit code (§7).
public enum RunOutcome: String, Sendable {
    case snapshot
    case upToDate = "up-to-date"
    case rejected
    case locked
    case failed
    /// `validate` found nothing to reject.
    case valid

    public var exitCode: Int32 {
        switch self {
        case .snapshot, .upToDate, .valid: 0
        case .rejected: 65
        case .locked: 75
        case .failed: 70
        }
    }
}

public struct RunResult: Sendable {
    public var outcome: RunOutcome
    public var exitCode: Int32
    public var snapshotVersion: Int?
    public var report: JSONValue
    public var reportURL: URL?
    /// A few lines for stderr.
    public var summary: [String]
}
