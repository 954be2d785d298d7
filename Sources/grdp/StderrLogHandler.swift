import Foundation
import GRDPCore
import Logging
import Synchronization

/// Human logs on stderr: `2026-11-29T06:18:12.345Z info Archive read archive=… rows=…`, or one
/// JSON object a line for log collectors (`--log-format json`). Times to the millisecond: a
/// nightly run takes a second or two, and `--verbose` then shows which stage took it.
struct StderrLogHandler: LogHandler {
    var format: GlobalOptions.LogFormat
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static func bootstrap(format: GlobalOptions.LogFormat, level: Logger.Level) {
        activeFormat.withLock { $0 = format }
        // The bar is for a person reading text logs: not among JSON lines (each line one object), nor
        // under `--quiet` (only warnings and errors).
        ProgressBar.shared.allowed.withLock { $0 = format == .text && level <= .info }
        LoggingSystem.bootstrap { label in StderrLogHandler(format: format, logLevel: level, label: label) }
    }

    /// The format chosen at bootstrap, so that `Error: …` and the run summary keep to it:
    /// with `--log-format json`, stderr carries nothing but JSON lines.
    static let activeFormat = Mutex(GlobalOptions.LogFormat.text)

    /// True after a bootstrap with `--log-format json`.
    static var writesJSON: Bool { activeFormat.withLock { $0 } == .json }

    func log(event: LogEvent) {
        var merged = metadata
        for (key, value) in event.metadata ?? [:] { merged[key] = value }
        let line = Self.line(format: format, level: event.level, message: "\(event.message)", metadata: merged)
        ProgressBar.shared.clearLine()
        // Never fails nor traps: a log line that cannot be written must not stop the run.
        StandardStream.error.writeIgnoringErrors(line)
    }

    /// One log line as `format` writes it, newline included. Also for a line written before any
    /// bootstrap (a command line that did not parse), when there is no logger yet.
    static func line(
        format: GlobalOptions.LogFormat, level: Logger.Level, message: String, metadata: Logger.Metadata
    ) -> String {
        let time = Timestamp.now().iso8601Milliseconds
        switch format {
        case .text:
            let details = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\(Escape.controls("\($0.value)"))" }
                .joined(separator: " ")
            return "\(time) \(level) \(Escape.controls(message))\(details.isEmpty ? "" : " " + details)\n"
        case .json:
            var fields: [(String, JSONValue)] = [
                ("time", .string(time)), ("level", .string(level.rawValue)), ("message", .string(message)),
            ]
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { fields.append((key, .string("\(value)"))) }
            return JSONValue.object(fields).serialized() + "\n"
        }
    }
}

/// One line on stderr, redrawn in place, only when stderr is a terminal and carries text logs at
/// the info level or below (not `--log-format json`, not `--quiet`).
final class ProgressBar: @unchecked Sendable {
    // @unchecked Sendable: every access to `visible` happens under `lock`.
    static let shared = ProgressBar()
    private let lock = NSLock()
    private var visible = false
    private let isTerminal = isatty(STDERR_FILENO) == 1
    /// Set by the log's bootstrap (`StderrLogHandler.bootstrap`).
    let allowed = Mutex(true)
    var enabled: Bool { isTerminal && allowed.withLock { $0 } }
    private let start = Timestamp.now()

    func update(_ event: ProgressEvent) {
        guard enabled else { return }
        let fraction = event.bytesTotal > 0 ? Double(event.bytesDone) / Double(event.bytesTotal) : 1
        let width = 24
        let filled = Int((fraction * Double(width)).rounded(.down))
        let seconds = max(0.001, Timestamp.now().seconds(since: start))
        let rate = Int(Double(event.rows) / seconds)
        let megabytes = Double(event.bytesDone) / 1_048_576
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let status = String(
            format: "%@ archive %d/%d  %.1f MiB  %d rows/s", bar, min(event.archiveIndex + 1, event.archiveCount),
            event.archiveCount, megabytes, rate)
        // The archive's name written out as the log writes it: a name from the returns holding an
        // escape sequence or a right-to-left override drove the terminal (review 44, M1).
        let text = ProgressBar.fitted(
            status, path: Escape.controls(event.archivePath), columns: ProgressBar.terminalColumns())
        lock.withLock {
            StandardStream.error.writeIgnoringErrors("\r" + text + "\u{1B}[K")
            visible = true
        }
    }

    /// `status  path`, the path shortened from the left (`…/name.zip`) so that the line stays
    /// within `columns - 1`: a line that wraps cannot be redrawn in place by `\r`.
    static func fitted(_ status: String, path: String, columns: Int) -> String {
        let room = columns - 1 - status.count - 2
        if path.isEmpty || room < 8 { return String(status.prefix(max(columns - 1, 0))) }
        if path.count <= room { return status + "  " + path }
        return status + "  …" + String(path.suffix(room - 1))
    }

    /// The terminal's width (TIOCGWINSZ on stderr), else `$COLUMNS`, else 80.
    static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 {
            return columns
        }
        return 80
    }

    func clearLine() {
        guard enabled else { return }
        lock.withLock {
            if visible {
                StandardStream.error.writeIgnoringErrors("\r\u{1B}[K")
                visible = false
            }
        }
    }
}
