import Foundation
import GRDPCore
import Logging

/// Human logs on stderr: `2026-11-29T06:18:12Z info Archive read archive=… rows=…`, or one JSON
/// object a line for log collectors (`--log-format json`).
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
        LoggingSystem.bootstrap { label in StderrLogHandler(format: format, logLevel: level, label: label) }
    }

    func log(event: LogEvent) {
        var merged = metadata
        for (key, value) in event.metadata ?? [:] { merged[key] = value }
        let time = Timestamp.now().iso8601
        let line: String
        switch format {
        case .text:
            let details = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            line = "\(time) \(event.level) \(event.message)\(details.isEmpty ? "" : " " + details)\n"
        case .json:
            var fields: [(String, JSONValue)] = [
                ("time", .string(time)), ("level", .string(event.level.rawValue)),
                ("message", .string(event.message.description)),
            ]
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) { fields.append((key, .string("\(value)"))) }
            line = JSONValue.object(fields).serialized() + "\n"
        }
        ProgressBar.shared.clearLine()
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// One line on stderr, redrawn in place, only when stderr is a terminal.
final class ProgressBar: @unchecked Sendable {
    // @unchecked Sendable: every access to `visible` happens under `lock`.
    static let shared = ProgressBar()
    private let lock = NSLock()
    private var visible = false
    let enabled = isatty(STDERR_FILENO) == 1
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
        let text = String(
            format: "\r%@ archive %d/%d  %.1f MiB  %d rows/s  %@", bar, min(event.archiveIndex + 1, event.archiveCount),
            event.archiveCount, megabytes, rate, event.archivePath)
        lock.withLock {
            FileHandle.standardError.write(Data((text + "\u{1B}[K").utf8))
            visible = true
        }
    }

    func clearLine() {
        guard enabled else { return }
        lock.withLock {
            if visible {
                FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
                visible = false
            }
        }
    }
}
