/// An input that must exist does not: the returns folder, a snapshot version (exit 66).
public struct MissingInputError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var what: String

    public init(path: String, what: String) {
        self.path = path
        self.what = what
    }

    public var description: String { "\(what) not found: \(path)" }
}
