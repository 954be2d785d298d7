/// A `pipeline.yml` that cannot be used: missing (exit 66) or invalid (exit 64).
///
/// The description names the file, the line and the dotted key path, so that an operator can
/// fix the file without reading code:
///
///     pipeline.yml, line 12: unknown key 'inputs.numbr_format'
///     pipeline.yml: missing required key 'region.code'
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The file does not exist or cannot be read (sysexits 66, EX_NOINPUT).
        case missingFile
        /// The file is not valid YAML, or breaks CONTRACT §2 (sysexits 64, EX_USAGE).
        case invalid
    }

    public var kind: Kind
    /// The config file's path as the user gave it.
    public var file: String
    /// 1-based line of the offending key or value, when known.
    public var line: Int?
    /// Dotted key path (`inputs.fx.USD.2023`, `targets.points[1].year`), when one is involved.
    public var key: String?
    public var message: String

    public init(kind: Kind, file: String, line: Int? = nil, key: String? = nil, message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        if let line {
            return "\(file), line \(line): \(message)"
        }
        return "\(file): \(message)"
    }

    /// The sysexits code the executable maps this error to.
    public var exitCode: Int32 {
        switch kind {
        case .missingFile: 66
        case .invalid: 64
        }
    }
}
