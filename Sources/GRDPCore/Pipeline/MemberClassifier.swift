/// Decides what a member is from its basename and the `inputs.kinds` patterns (CONTRACT §3).
public struct MemberClassifier: Sendable {
    public enum Class: Sendable, Equatable {
        case data(RecordKind)
        /// A `.csv` member that no pattern matches: noted as `unrecognized-member`.
        case unrecognizedCSV
        /// Anything else: skipped silently.
        case other
    }

    private let patterns: [(RecordKind, [[UInt8]])]

    public init(kinds: [RecordKind: [String]]) {
        // First of enterprise, transaction, grdp when several match.
        patterns = [RecordKind.enterprise, .transaction, .grdp].map { kind in
            (kind, (kinds[kind] ?? PipelineConfig.defaultKinds[kind] ?? []).map { Self.folded($0) })
        }
    }

    public func classify(memberPath: String) -> Class {
        var path = Substring(memberPath)
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        let basename = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        let name = Self.folded(basename)
        for (kind, kindPatterns) in patterns where kindPatterns.contains(where: { Self.matches(name[...], $0[...]) }) {
            return .data(kind)
        }
        return name.count >= 4 && Array(name.suffix(4)) == Array(".csv".utf8) ? .unrecognizedCSV : .other
    }

    /// ASCII case folding is enough for file-name patterns; other bytes compare as they are.
    static func folded(_ text: String) -> [UInt8] {
        text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
    }

    /// Glob matching with `*` (any run) and `?` (one byte).
    static func matches(_ name: ArraySlice<UInt8>, _ pattern: ArraySlice<UInt8>) -> Bool {
        var n = name.startIndex
        var p = pattern.startIndex
        var starP: Int?
        var starN = 0
        while n < name.endIndex {
            if p < pattern.endIndex && (pattern[p] == UInt8(ascii: "?") || pattern[p] == name[n]) {
                n += 1
                p += 1
            } else if p < pattern.endIndex && pattern[p] == UInt8(ascii: "*") {
                starP = p
                starN = n
                p += 1
            } else if let star = starP {
                p = star + 1
                starN += 1
                n = starN
            } else {
                return false
            }
        }
        while p < pattern.endIndex && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.endIndex
    }
}
