internal import Foundation
internal import Yams

/// A YAML node together with the dotted key path that led to it: every typed read either
/// returns a value or throws a `ConfigError` naming that path and the node's line.
///
/// Values are read from the scalar's *text*, never through YAML's own typing: `code: 67` is the
/// string "67", `0111` keeps its leading zero, and `0.1` is exactly one tenth.
struct ConfigNode {
    let node: Node
    /// `inputs.fx.USD.2023`, `targets.points[1].year`; empty for the document root.
    let path: String
    /// The file name used in messages.
    let file: String
    /// The line of the key this is the value of, when it is one: a value that is a block
    /// mapping or list starts on the line after its key, and a message about it named that line
    /// rather than the key's (config audit 31, L4e).
    var keyLine: Int? = nil

    /// Where a message about this node points: its key's line, else its own.
    var line: Int? { keyLine ?? node.mark?.line }

    /// `key:` with no value, `~` or `null` (plain style only: `"null"` is a string).
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func child(_ key: String, _ node: Node, keyLine: Int? = nil) -> ConfigNode {
        ConfigNode(node: node, path: path.isEmpty ? key : "\(path).\(key)", file: file, keyLine: keyLine)
    }

    /// An invalid-config error at this node.
    func error(_ message: String) -> ConfigError {
        ConfigError(kind: .invalid, file: file, line: line, key: path.isEmpty ? nil : path, message: message)
    }

    /// "'limits.keep_snapshots' must be …, not 'x'".
    func typeError(_ expected: String) -> ConfigError {
        error("'\(path)' must be \(expected), not \(shortDescription)")
    }

    /// The node as it reads in a message: a scalar's text, or what kind of node it is.
    var shortDescription: String {
        switch node {
        case .scalar(let scalar): "'\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    // MARK: Structure

    /// The entries of a mapping, in file order, keys as written (scalar text).
    /// Throws when this is not a mapping, a key is not a scalar, or a key occurs twice.
    func entries(expected: String = "a mapping") throws(ConfigError) -> [(key: String, value: ConfigNode)] {
        guard case .mapping(let mapping) = node else { throw typeError(expected) }
        var result: [(key: String, value: ConfigNode)] = []
        var seen: [String: Int] = [:]
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw ConfigError(
                    kind: .invalid, file: file, line: keyNode.mark?.line, key: path.isEmpty ? nil : path,
                    message: "a key in '\(path)' must be plain text")
            }
            let key = keyScalar.string
            let keyed = child(key, valueNode, keyLine: keyNode.mark?.line)
            if let firstLine = seen[key] {
                throw ConfigError(
                    kind: .invalid, file: file, line: keyNode.mark?.line, key: keyed.path,
                    message: "key '\(keyed.path)' is given twice (first on line \(firstLine))")
            }
            seen[key] = keyNode.mark?.line ?? 0
            result.append((key, keyed))
        }
        return result
    }

    /// A mapping with a fixed set of keys. Unknown keys are an error naming the key and its line;
    /// keys with a null value are left out, so that their default applies (their lines are kept in
    /// `empty`, for a required key's error).
    func fields(_ allowed: Set<String>) throws(ConfigError) -> Fields {
        if isNull { return Fields(values: [:]) }
        guard case .mapping(let mapping) = node else { throw typeError("a mapping") }
        for (keyNode, _) in mapping {
            if case .scalar(let scalar) = keyNode, !allowed.contains(scalar.string) {
                let keyPath = path.isEmpty ? scalar.string : "\(path).\(scalar.string)"
                throw ConfigError(
                    kind: .invalid, file: file, line: keyNode.mark?.line, key: keyPath,
                    message: "unknown key '\(keyPath)'" + Self.commaHint(scalar.string))
            }
        }
        var values: [String: ConfigNode] = [:]
        for (key, value) in try entries() where !value.isNull { values[key] = value }
        // Each key at its own line (an empty value's mark is where the next token starts, often the
        // next line).
        var lines: [String: Int] = [:]
        for (keyNode, _) in mapping {
            if case .scalar(let key) = keyNode, let line = keyNode.mark?.line { lines[key.string] = line }
        }
        return Fields(values: values, lines: lines)
    }

    /// For a key of digits alone, which is what a number written with a comma inside `{…}` leaves
    /// after the comma (`share_pct: 0,2` is `share_pct: 0` and a key `2`): what it likely was
    /// (config audit 31, L4b: the message sent a statistician to the wrong problem).
    static func commaHint(_ key: String) -> String {
        guard !key.isEmpty, key.isASCIIDigits else { return "" }
        return " (a comma between {…} separates entries: a number written with a comma, 0,2 or 24,900, is "
            + "split there; write 0.2 or 24900)"
    }

    /// Refuses, here or below, what grdp could only misread, once for the whole file before any
    /// key is looked at:
    /// - a YAML tag grdp would not honour: `!!null 1`, `!!bool 1`, `!!binary …`, `!!set`, a tag
    ///   of one's own (`!foo`). grdp reads every value from its text, so such a tag was dropped
    ///   without a word and the text taken (config audit 31, L1: the base64 text of `!!binary`
    ///   became the region's name). A value may still say what it is (`!!str`, `!!int`,
    ///   `!!float`), or carry the tag YAML would give it anyway;
    /// - a NUL (YAML's `"\0"`), in a key or a value: no path, name or pattern holds one, and a
    ///   folder `"a\0b"` was made as `a%00b` (config audit 31, L2).
    func refuseWhatGrdpCannotRead() throws(ConfigError) {
        func short(_ tag: Tag) -> String {
            let name = tag.description
            return name.hasPrefix("tag:yaml.org,2002:") ? "!!" + name.dropFirst("tag:yaml.org,2002:".count) : name
        }
        func refuse(_ tag: Tag) -> ConfigError {
            error(
                "\(path.isEmpty ? "the file" : "'\(path)'") has the YAML tag '\(short(tag))', which grdp does not read: "
                    + "write the value without it")
        }
        switch node {
        case .scalar(let scalar):
            guard !scalar.string.utf8.contains(0) else {
                throw error("'\(path)' holds a NUL character (\"\\0\"), which no path, name or pattern may hold")
            }
            let name = scalar.tag.description
            let implicit = Node.Scalar(scalar.string).tag.description
            let typed = ["tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"]
            // An untagged scalar's tag is implicit (empty) or `!` (quoted), resolved or not.
            guard name.isEmpty || name == "!" || name == implicit || typed.contains(name) else {
                throw refuse(scalar.tag)
            }
        case .mapping(let mapping):
            guard ["", "!", "tag:yaml.org,2002:map"].contains(mapping.tag.description) else {
                throw refuse(mapping.tag)
            }
            for (key, value) in mapping {
                let keyText = key.scalar?.string ?? ""
                try child(keyText, key).refuseWhatGrdpCannotRead()
                try child(keyText, value, keyLine: key.mark?.line).refuseWhatGrdpCannotRead()
            }
        case .sequence(let sequence):
            guard ["", "!", "tag:yaml.org,2002:seq"].contains(sequence.tag.description) else {
                throw refuse(sequence.tag)
            }
            for (index, item) in sequence.enumerated() {
                try ConfigNode(node: item, path: "\(path)[\(index)]", file: file).refuseWhatGrdpCannotRead()
            }
        case .alias:
            break
        }
    }

    /// The items of a list.
    func items(expected: String = "a list") throws(ConfigError) -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw typeError(expected) }
        return sequence.enumerated().map { index, item in
            ConfigNode(node: item, path: "\(path)[\(index)]", file: file)
        }
    }

    // MARK: Scalars

    /// The scalar's text as written (quoted or not; never a NUL: `refuseWhatGrdpCannotRead`).
    func text(expected: String = "text") throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node, !isNull else { throw typeError(expected) }
        return scalar.string
    }

    /// A whole number (optionally quoted): decimal digits with an optional sign, or any number
    /// YAML writes (`1e9`, `2.0`) whose value is whole.
    func int(expected: String = "a whole number") throws(ConfigError) -> Int {
        let value = try decimal(expected: expected).reduced
        guard value.scale == 0 else { throw typeError(expected) }
        guard let whole = Int(exactly: value.mantissa) else {
            throw error("'\(path)' is \(shortDescription): larger than grdp can hold (\(Int.max) at most)")
        }
        return whole
    }

    /// An exact decimal from the scalar's text (`23800`, `0.1`, `"1.64"`), in any form YAML writes
    /// a number in (`.5`, `1.`, `+0.10`, `1e-1`, `2.5E3`): never through `Double`. A number with
    /// more digits than grdp computes with (38, written out: `1e40` has 41) is refused as such, not
    /// as the wrong type.
    func decimal(expected: String = "a number") throws(ConfigError) -> ExactDecimal {
        let raw = try text(expected: expected).trimmingCharacters(in: .whitespaces)
        guard let canonical = Self.canonicalNumber(raw) else { throw typeError(expected) }
        guard let value = ExactDecimal(canonical: canonical) else {
            throw error(
                "'\(path)' is \(shortDescription): more digits than grdp computes with (38 at most, written out)")
        }
        // Carried exactly through sums of amounts that may have 18 decimal places themselves, a
        // ratio, coefficient or rate with more would stop runs on ordinary amounts (exit 70: 0.3
        // repeated 28 times, times 3 × 10^11 VND, is past 38 digits). Refused at load instead, past
        // the places a cell may have (`NormalizeRowCells.maxDecimalPlaces`): no one's ratio needs more.
        let places = value.reduced.scale
        guard places <= NormalizeRowCells.maxDecimalPlaces else {
            throw error(
                "'\(path)' is \(shortDescription): \(places) decimal places, more than grdp can carry "
                    + "through its exact sums (at most \(NormalizeRowCells.maxDecimalPlaces))")
        }
        return value
    }

    /// `raw`, a number as YAML writes one (`[-+]?(\.d+|d+(\.d*)?)([eE][-+]?d+)?`), as plain decimal text
    /// (`-`, digits, at most one `.` with digits on both sides); nil when it is no such number.
    static func canonicalNumber(_ raw: String) -> String? {
        var text = Substring(raw)
        var sign = ""
        if let first = text.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            text = text.dropFirst()
        }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            var power = text[text.index(after: e)...]
            var negative = false
            if let first = power.first, first == "+" || first == "-" {
                negative = first == "-"
                power = power.dropFirst()
            }
            // Far beyond any digit grdp keeps: refused, not computed.
            guard power.isASCIIDigits, power.count <= 4, let value = Int(power) else { return nil }
            exponent = negative ? -value : value
            text = text[..<e]
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard whole.isEmpty || whole.isASCIIDigits, fraction.isEmpty || fraction.isASCIIDigits,
            !(whole.isEmpty && fraction.isEmpty)
        else { return nil }
        // The digits and where the point goes among them, moved by the exponent.
        var digits = String(whole + fraction)
        var point = whole.count + exponent
        if point < 0 {
            digits = String(repeating: "0", count: -point) + digits
            point = 0
        }
        if point > digits.count { digits += String(repeating: "0", count: point - digits.count) }
        var integer = String(digits.prefix(point).drop { $0 == "0" })
        if integer.isEmpty { integer = "0" }
        let decimals = digits.dropFirst(point)
        return sign + integer + (decimals.isEmpty ? "" : "." + decimals)
    }

    /// A decimal within `range` (both ends included).
    func decimal(in range: ClosedRange<ExactDecimal>, expected: String) throws(ConfigError) -> ExactDecimal {
        let value = try decimal(expected: expected)
        guard range.contains(value) else { throw typeError(expected) }
        return value
    }

    /// A decimal > 0.
    func positiveDecimal(expected: String) throws(ConfigError) -> ExactDecimal {
        let value = try decimal(expected: expected)
        guard value > .zero else { throw typeError(expected) }
        return value
    }

    /// One of a fixed set of words, compared after trimming and lowercasing.
    func choice<T: RawRepresentable>(_ type: T.Type, expected: String) throws(ConfigError) -> T
    where T.RawValue == String {
        let raw = try text(expected: expected)
        guard let value = T(rawValue: raw.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw typeError(expected)
        }
        return value
    }
}

/// The present, non-null values of a fixed-key mapping.
struct Fields {
    var values: [String: ConfigNode]
    /// Every key's line.
    var lines: [String: Int] = [:]

    /// The line of `key` when it is given with no value (`code:`, `code: ~`).
    func emptyLine(_ key: String) -> Int? { values[key] == nil ? lines[key] : nil }

    subscript(key: String) -> ConfigNode? { values[key] }
}

/// Header-style normalisation for alias, status and channel keys: trimmed, NFC, lowercased.
func normalisedKey(_ text: String) -> String {
    text.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping.lowercased()
}
