/// An input that must exist does not: the returns folder, a snapshot version (exit 66).
public struct MissingInputError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var what: String
    /// What to do about it, when there is something to say.
    public var hint: String?

    public init(path: String, what: String, hint: String? = nil) {
        self.path = path
        self.what = what
        self.hint = hint
    }

    public var description: String { "\(what) not found: \(path)" + (hint.map { "; \($0)" } ?? "") }
}
