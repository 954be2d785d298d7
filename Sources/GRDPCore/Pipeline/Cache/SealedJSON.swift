internal import Crypto
internal import Foundation

/// A cache file's JSON that checks itself: one line of JSON (which escapes any newline in a
/// string), then a line with that line's SHA-256. A file torn by a crash, damaged on disk or
/// edited by hand does not check out and is not used: the run does the work it would have saved
/// (`cache/last-run.json`, `cache/archive-digests.json`).
enum SealedJSON {
    /// `value` as a sealed file's bytes, to be written to `url`; an `OutputWriteError` naming it
    /// when `value` does not encode (a value that cannot be written whole is not written at all:
    /// an empty body would check out).
    static func bytes(of value: some Encodable, for url: URL) throws(OutputWriteError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body: [UInt8]
        do {
            body = Array(try encoder.encode(value))
        } catch {
            throw OutputWriteError(path: url.path, operation: "encode", errno: EINVAL, detail: "\(error)")
        }
        return body + [UInt8(ascii: "\n")] + Array(lowercaseHex(SHA256.hash(data: body)).utf8) + [UInt8(ascii: "\n")]
    }

    /// The value a sealed file holds; nil when it is missing, does not check out or does not decode.
    static func value<Value: Decodable>(_ type: Value.Type, at url: URL) -> Value? {
        valueAndBody(type, at: url)?.value
    }

    /// The value a sealed file holds and the JSON it was decoded from (checked: another type may
    /// be decoded from it later); nil when it is missing, does not check out or does not decode.
    static func valueAndBody<Value: Decodable>(_ type: Value.Type, at url: URL) -> (value: Value, body: Data)? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        // The first newline found in the bytes themselves: `Data`'s own `firstIndex(of:)` takes
        // them one index at a time, each an exclusive access checked at run time (2,000 archives:
        // a 2.4 MB `last-run.json`, ~0.04 s of a night's 0.3 s spent reading that file).
        guard let newline = data.withUnsafeBytes({ $0.firstIndex(of: UInt8(ascii: "\n")) }) else { return nil }
        let body = data[data.startIndex..<(data.startIndex + newline)]
        let seal = Array(lowercaseHex(SHA256.hash(data: body)).utf8) + [UInt8(ascii: "\n")]
        guard data.withUnsafeBytes({ $0[(newline + 1)...].elementsEqual(seal) }),
            let value = try? JSONDecoder().decode(type, from: body)
        else { return nil }
        return (value, body)
    }
}
