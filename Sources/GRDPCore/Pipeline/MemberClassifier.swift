internal import Foundation

/// Decides what a member is from its basename and the `inputs.kinds` patterns (CONTRACT §3).
///
/// Patterns are globs matched against the whole basename, case-insensitively in every script
/// (`TỔNG_SẢN_PHẨM_2023.csv` matches `tổng_sản_phẩm*.csv`): both sides are compared as NFC text,
/// lower-cased, one character at a time. `*` matches any run of characters, `?` exactly one,
/// `[…]` one of a set (`[0-9]`, `[abc]`, `[!0-9]` or `[^0-9]` for none of them); a `[` without
/// its `]` is an ordinary character.
public struct MemberClassifier: Sendable {
    public enum Class: Sendable, Equatable {
        case data(RecordKind)
        /// A `.csv` member that no pattern matches: noted as `unrecognized-member`.
        case unrecognizedCSV
        /// Anything else: skipped silently.
        case other
    }

    private let patterns: [(RecordKind, [Glob.Token])]

    public init(kinds: [RecordKind: [String]]) {
        // First of enterprise, transaction, grdp when several match.
        patterns = [RecordKind.enterprise, .transaction, .grdp].flatMap { kind in
            (kinds[kind] ?? PipelineConfig.defaultKinds[kind] ?? []).map { (kind, Glob.compile(Self.folded($0))) }
        }
    }

    public func classify(memberPath: String) -> Class {
        var path = Substring(memberPath)
        while path.hasPrefix("./") { path = path.dropFirst(2) }
        let basename = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        let name = Self.folded(basename)
        if let (kind, _) = patterns.first(where: { Glob.matches(name[...], $0.1[...]) }) {
            return .data(kind)
        }
        return name.count >= 4 && String(name.suffix(4)) == ".csv" ? .unrecognizedCSV : .other
    }

    /// NFC, then Unicode lower case: the form both names and patterns are compared in.
    static func folded(_ text: String) -> [Character] {
        Array(text.precomposedStringWithCanonicalMapping.lowercased())
    }

    /// Matches `name` against `pattern` as `classify` does (both folded here).
    static func matches(_ name: String, pattern: String) -> Bool {
        Glob.matches(folded(name)[...], Glob.compile(folded(pattern))[...])
    }

    enum Glob {
        enum Token: Sendable, Equatable {
            case character(Character)
            /// `?`
            case any
            /// `*`
            case run
            /// `[…]`: single characters and ranges; `negated` for `[!…]` and `[^…]`.
            case set([ClosedRange<Character>], negated: Bool)

            func matches(_ character: Character) -> Bool {
                switch self {
                case .character(let own): own == character
                case .any: true
                case .run: false
                case .set(let ranges, let negated): ranges.contains { $0.contains(character) } != negated
                }
            }
        }

        static func compile(_ pattern: [Character]) -> [Token] {
            parse(pattern).tokens
        }

        /// Why `pattern` (folded) is surely a mistake, or nil: a `[` no `]` closes, which `compile`
        /// reads as an ordinary character, or a reversed range, which matches nothing (as in
        /// fnmatch). Either way a kind would take no member, silently. `[[]` matches a `[`.
        static func problem(in pattern: [Character]) -> String? {
            parse(pattern).problem
        }

        private static func parse(_ pattern: [Character]) -> (tokens: [Token], problem: String?) {
            var tokens: [Token] = []
            var problem: String?
            var index = 0
            while index < pattern.count {
                switch pattern[index] {
                case "*":
                    tokens.append(.run)
                    index += 1
                case "?":
                    tokens.append(.any)
                    index += 1
                case "[":
                    if let (set, next, reversed) = bracket(pattern, from: index) {
                        tokens.append(set)
                        index = next
                        if let (lower, upper) = reversed, problem == nil {
                            problem = "has the range '\(lower)-\(upper)', which matches nothing (write it low to high)"
                        }
                    } else {
                        tokens.append(.character("["))
                        index += 1
                        if problem == nil { problem = "has a '[' without its ']' (for a '[' itself, write '[[]')" }
                    }
                default:
                    tokens.append(.character(pattern[index]))
                    index += 1
                }
            }
            return (tokens, problem)
        }

        /// The set opened by the `[` at `start`, the index after its `]`, and its first reversed
        /// range if any; nil when no `]` closes it. A `]` first in the set (after any `!` or `^`)
        /// is one of its characters.
        private static func bracket(
            _ pattern: [Character], from start: Int
        ) -> (Token, Int, reversed: (Character, Character)?)? {
            var index = start + 1
            var negated = false
            if index < pattern.count && (pattern[index] == "!" || pattern[index] == "^") {
                negated = true
                index += 1
            }
            var ranges: [ClosedRange<Character>] = []
            var reversed: (Character, Character)?
            var first = true
            while index < pattern.count {
                let character = pattern[index]
                if character == "]" && !first { return (.set(ranges, negated: negated), index + 1, reversed) }
                first = false
                if index + 2 < pattern.count && pattern[index + 1] == "-" && pattern[index + 2] != "]" {
                    let upper = pattern[index + 2]
                    // A reversed range (`[z-a]`) matches nothing, as in fnmatch.
                    if character <= upper {
                        ranges.append(character...upper)
                    } else if reversed == nil {
                        reversed = (character, upper)
                    }
                    index += 3
                } else {
                    ranges.append(character...character)
                    index += 1
                }
            }
            return nil
        }

        /// The whole of `name` against the whole of `pattern`; a `*` backtracks to the last one.
        static func matches(_ name: ArraySlice<Character>, _ pattern: ArraySlice<Token>) -> Bool {
            var n = name.startIndex
            var p = pattern.startIndex
            var runAt: Int?
            var runName = 0
            while n < name.endIndex {
                if p < pattern.endIndex && pattern[p] != .run && pattern[p].matches(name[n]) {
                    n += 1
                    p += 1
                } else if p < pattern.endIndex && pattern[p] == .run {
                    runAt = p
                    runName = n
                    p += 1
                } else if let run = runAt {
                    p = run + 1
                    runName += 1
                    n = runName
                } else {
                    return false
                }
            }
            while p < pattern.endIndex && pattern[p] == .run { p += 1 }
            return p == pattern.endIndex
        }
    }
}
