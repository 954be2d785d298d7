import Glibc

/// UTC wall-clock times for reports and snapshot metadata (CONTRACT §6, §8).
public struct Timestamp: Sendable, Comparable {
    public var seconds: Int
    public var microseconds: Int

    public static func now() -> Timestamp {
        var value = timespec()
        clock_gettime(CLOCK_REALTIME, &value)
        return Timestamp(seconds: Int(value.tv_sec), microseconds: Int(value.tv_nsec) / 1000)
    }

    /// Seconds on a clock that never jumps, for measuring durations.
    public static func monotonic() -> Double {
        var value = timespec()
        clock_gettime(CLOCK_MONOTONIC, &value)
        return Double(value.tv_sec) + Double(value.tv_nsec) / 1_000_000_000
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        (a.seconds, a.microseconds) < (b.seconds, b.microseconds)
    }

    private var fields: tm {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return parts
    }

    private static func pad(_ value: Int32, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// `2026-11-29T06:18:12Z`
    public var iso8601: String {
        let t = fields
        return "\(Self.pad(t.tm_year + 1900, 4))-\(Self.pad(t.tm_mon + 1, 2))-\(Self.pad(t.tm_mday, 2))T"
            + "\(Self.pad(t.tm_hour, 2)):\(Self.pad(t.tm_min, 2)):\(Self.pad(t.tm_sec, 2))Z"
    }

    /// `2026-11-29T06:18:12.123Z`: log lines, whose order within a second says where a run's time went.
    public var iso8601Milliseconds: String {
        var text = iso8601
        text.removeLast()
        return text + "." + Self.pad(Int32(microseconds / 1000), 3) + "Z"
    }

    /// `2026-11-29T06:18:12.123456Z`
    public var iso8601Microseconds: String {
        var text = iso8601
        text.removeLast()
        return text + "." + Self.pad(Int32(microseconds), 6) + "Z"
    }

    /// `20261129T061812.123456Z`: sorts in time order and is safe in any file system.
    public var compactMicroseconds: String {
        let t = fields
        return "\(Self.pad(t.tm_year + 1900, 4))\(Self.pad(t.tm_mon + 1, 2))\(Self.pad(t.tm_mday, 2))T"
            + "\(Self.pad(t.tm_hour, 2))\(Self.pad(t.tm_min, 2))\(Self.pad(t.tm_sec, 2))."
            + Self.pad(Int32(microseconds), 6) + "Z"
    }

    /// Seconds elapsed since `start`.
    public func seconds(since start: Timestamp) -> Double {
        Double(seconds - start.seconds) + Double(microseconds - start.microseconds) / 1_000_000
    }
}
