internal import Crypto
internal import Foundation

/// A cache file's JSON that checks itself: one line of JSON (which escapes any newline in a
/// string), then a line with that line's SHA-256. A file torn by a crash, damaged on disk or
/// edited by hand does not check out and is not used: the run does the work it would have saved
/// (`cache/last-run.json`, `cache/archive-digests.json`).
enum SealedJSON {
    /// `value` as a sealed file's bytes.
    static func bytes(of value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain values cannot fail; an empty body still checks out, and decodes as nothing.
        let body = Array((try? encoder.encode(value)) ?? Data())
        return body + [UInt8(ascii: "\n")] + Array(lowercaseHex(SHA256.hash(data: body)).utf8) + [UInt8(ascii: "\n")]
    }

    /// The value a sealed file holds; nil when it is missing, does not check out or does not decode.
    static func value<Value: Decodable>(_ type: Value.Type, at url: URL) -> Value? {
        guard let data = try? Data(contentsOf: url), let newline = data.firstIndex(of: UInt8(ascii: "\n")) else {
            return nil
        }
        let body = data[..<newline]
        guard String(decoding: data[(newline + 1)...], as: UTF8.self) == lowercaseHex(SHA256.hash(data: body)) + "\n"
        else { return nil }
        return try? JSONDecoder().decode(type, from: body)
    }
}
