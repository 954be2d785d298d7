internal import Yams

/// Where a key given twice stands. Yams refuses such a mapping while composing, naming only the
/// bare key and the line of its first occurrence; the operator needs its path (`region.code`, not
/// `code`) and the line of the second one.
extension ConfigLoader {
    struct DuplicateKey: Equatable {
        /// Dotted key path, as other config errors give it: `region.code`, `targets.points[1].year`.
        var path: String
        var firstLine: Int
        var secondLine: Int
    }

    /// Finds the key `key` that Yams reported at `mark` (its first occurrence) in `yaml`.
    ///
    /// The reported key is renamed in place (one character changed, so that every line and column
    /// stays) and the text composed again; other duplicates found on the way are renamed too. In
    /// the composed tree the renamed key is found by its position, with its path, and its twin
    /// beside it. Nil when that does not work out (a key that is not plain or quoted text): the
    /// message then names the bare key.
    static func duplicateKey(in yaml: String, key: String, at mark: Mark) -> DuplicateKey? {
        var scalars = Array(yaml.unicodeScalars)
        // Position (line, column) → the key as written, for every key renamed.
        var renamed: [Position: String] = [:]
        var next = key
        var at = Position(mark)
        for attempt in 0..<64 {
            guard let offset = offset(of: at, in: scalars), let marker = UnicodeScalar(0xE000 + attempt),
                rename(at: offset, in: &scalars, with: marker)
            else { return nil }
            renamed[at] = next
            do {
                guard let root = try Yams.compose(yaml: String(String.UnicodeScalarView(scalars))) else { return nil }
                return locate(Position(mark), key: key, in: root, path: "", renamed: renamed)
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                guard let other = duplicates.first else { return nil }
                next = other
                at = Position(context.mark)
            } catch {
                return nil
            }
        }
        return nil
    }

    /// A 1-based line and column, as Yams gives them (columns count Unicode scalars).
    struct Position: Hashable, Comparable {
        var line: Int
        var column: Int

        init(_ mark: Mark) {
            line = mark.line
            column = mark.column
        }

        static func < (a: Position, b: Position) -> Bool { (a.line, a.column) < (b.line, b.column) }
    }

    /// The index in `scalars` of `position`, counting line breaks as libyaml does (LF, CR, CR LF,
    /// NEL, LS, PS).
    static func offset(of position: Position, in scalars: [UnicodeScalar]) -> Int? {
        var line = 1
        var column = 1
        var index = 0
        while index < scalars.count {
            if line == position.line && column == position.column { return index }
            switch scalars[index].value {
            case 0x0D:
                if index + 1 < scalars.count && scalars[index + 1].value == 0x0A { index += 1 }
                fallthrough
            case 0x0A, 0x85, 0x2028, 0x2029:
                line += 1
                column = 1
            default:
                column += 1
            }
            index += 1
        }
        return nil
    }

    /// Changes the first character of the key that starts at `offset` (after its opening quote)
    /// to `marker`. False when the key is empty or not plain or quoted text.
    static func rename(at offset: Int, in scalars: inout [UnicodeScalar], with marker: UnicodeScalar) -> Bool {
        var index = offset
        let first = scalars[index]
        if first == "\"" || first == "'" { index += 1 }
        guard index < scalars.count else { return false }
        let character = scalars[index]
        // A closing quote (an empty key), an escape, or a character that gives the key its
        // structure (an explicit `?` key, an alias, a tag, a block) cannot be swapped.
        if character == first && index > offset { return false }
        if ["\\", "?", "*", "&", "!", "|", ">", "[", "{", "\n", "\r", " ", "\t"].contains(character) {
            return false
        }
        scalars[index] = marker
        return true
    }

    /// The key at `position` below `node`, with its path and the line of its twin.
    static func locate(
        _ position: Position, key: String, in node: Node, path: String, renamed: [Position: String]
    ) -> DuplicateKey? {
        switch node {
        case .mapping(let mapping):
            let keys: [(position: Position, text: String)] = mapping.keys.compactMap { keyNode in
                guard let mark = keyNode.mark, case .scalar(let scalar) = keyNode else { return nil }
                let at = Position(mark)
                return (at, renamed[at] ?? scalar.string)
            }
            if keys.contains(where: { $0.position == position }) {
                let twins = keys.filter { $0.text == key }.map(\.position).sorted()
                guard let second = twins.first(where: { $0 > position }) else { return nil }
                return DuplicateKey(
                    path: path.isEmpty ? key : "\(path).\(key)", firstLine: position.line, secondLine: second.line)
            }
            for (keyNode, value) in mapping {
                guard case .scalar(let scalar) = keyNode else { continue }
                let text = keyNode.mark.flatMap { renamed[Position($0)] } ?? scalar.string
                if let found = locate(
                    position, key: key, in: value, path: path.isEmpty ? text : "\(path).\(text)", renamed: renamed)
                {
                    return found
                }
            }
            return nil
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() {
                if let found = locate(position, key: key, in: item, path: "\(path)[\(index)]", renamed: renamed) {
                    return found
                }
            }
            return nil
        case .scalar, .alias:
            return nil
        }
    }
}
