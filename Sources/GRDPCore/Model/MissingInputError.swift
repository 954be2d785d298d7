/// An input that must exist does not: the returns folder, a snapshot version (exit 66).
public struct MissingInputError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var what: String
    /// What to do about it, when there is something to say.
    public var hint: String?

    /// `path` is a folder that holds no `what` at all (no snapshot yet), rather than the missing
    /// input itself.
    public var inFolder: Bool

    public init(path: String, what: String, hint: String? = nil, inFolder: Bool = false) {
        self.path = path
        self.what = what
        self.hint = hint
        self.inFolder = inFolder
    }

    public var description: String {
        (inFolder ? "no \(what) in \(path)" : "\(what) not found: \(path)") + (hint.map { "; \($0)" } ?? "")
    }
}
