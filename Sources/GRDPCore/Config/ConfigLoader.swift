internal import Crypto
public import Foundation
internal import Yams

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Reads `pipeline.yml` into a validated `PipelineConfig` (CONTRACT §2).
///
/// Every key is checked: an unknown key, a missing required key or a value of the wrong type is a
/// `ConfigError` naming the dotted key path and its line. Numbers are read exactly from the YAML
/// text, codes stay strings (`code: 67` is "67"), and relative paths resolve against the folder
/// of the file.
public enum ConfigLoader {
    /// Reads and validates the file at `url`.
    public static func load(from url: URL) throws(ConfigError) -> PipelineConfig {
        let file = displayName(of: url)
        var status = stat()
        guard stat(url.path, &status) == 0 else {
            let code = errno
            // Where it was looked for, when the name given does not say (a relative path).
            let absolute = url.standardizedFileURL.path
            let place = absolute == file ? "" : " (\(absolute))"
            // Not there, or not reachable (a link loop, a folder on the way this user may not
            // enter, a name too long): the system's reason, not "not found" for every one.
            throw ConfigError(
                kind: .missingFile, file: file,
                message: code == ENOENT
                    ? "config file not found\(place)"
                    : "cannot read config file\(place): \(SystemReason.describe(code))")
        }
        // `pipeline.yml/`: a path that names a folder (the system would say ENOTDIR), however
        // Foundation's URL drops the slash.
        if url.hasDirectoryPath, FileSystem.nodeKind(followingLinks: url.path) != S_IFDIR {
            throw ConfigError(
                kind: .missingFile, file: file,
                message: "cannot read config file: the path ends with '/', as a folder's does, but "
                    + "\(url.path) is not a folder: give the file's path without it")
        }
        // A folder; a FIFO, which would block the read until some writer came (a cron job waiting
        // for ever), and which Foundation refuses with a "permission" error that sends the
        // operator the wrong way; a device.
        if let kind = nonRegularKind(atPath: url.path) {
            throw ConfigError(kind: .missingFile, file: file, message: "config path is \(kind), not a regular file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ConfigError(
                kind: .missingFile, file: file, message: "cannot read config file: \(SystemReason.describe(error))")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw ConfigError(kind: .invalid, file: file, message: "the file is not valid UTF-8")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return try parse(yaml: text, bytes: data, fileURL: url)
    }

    /// Validates YAML text as if it had been read from `fileURL` (relative paths resolve against its
    /// folder; `sha256` is that of the text's UTF-8 bytes). For tests.
    public static func parse(yaml: String, fileURL: URL) throws(ConfigError) -> PipelineConfig {
        try parse(yaml: yaml, bytes: Data(yaml.utf8), fileURL: fileURL)
    }

    /// What the node at `path` is (symlinks followed) when it is not a regular file: "a FIFO
    /// (named pipe)", "a character device", …; nil for a regular file or when `stat` fails (the
    /// read that follows then says why).
    static func nonRegularKind(atPath path: String) -> String? {
        guard let kind = FileSystem.nodeKind(followingLinks: path), kind != S_IFREG else { return nil }
        return FileSystem.kindName(kind)
    }

    /// The path as the user gave it (`pipeline.yml`, `../x/pipeline.yml`, `/etc/grdp.yml`).
    static func displayName(of url: URL) -> String {
        url.isFileURL ? url.relativePath : url.absoluteString
    }

    static func parse(yaml: String, bytes: Data, fileURL: URL) throws(ConfigError) -> PipelineConfig {
        let file = displayName(of: fileURL)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(kind: .invalid, file: file, key: "version", message: "missing required key 'version'")
            }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch let error as YamlError {
            throw yamlError(error, yaml: yaml, file: file)
        } catch {
            throw ConfigError(kind: .invalid, file: file, message: "not valid YAML: \(error)")
        }

        let folder = fileURL.absoluteURL.standardizedFileURL.deletingLastPathComponent()
        let document = ConfigNode(node: root, path: "", file: file)
        try document.refuseWhatGrdpCannotRead()
        guard case .mapping = root else {
            throw document.error(
                "the file must be a mapping of keys (version, region, inputs, …), not \(document.shortDescription)")
        }
        let top = try document.fields([
            "version", "region", "inputs", "limits", "quality", "outputs", "methodology", "targets",
        ])

        let versionNode = try required("version", in: top, path: "", file: file)
        let version = try versionNode.int(expected: "1")
        guard version == 1 else {
            throw versionNode.error("unsupported 'version' \(version): this program reads version 1")
        }

        let sha256 = hexSHA256(bytes)
        let config = PipelineConfig(
            fileURL: fileURL.absoluteURL.standardizedFileURL,
            sha256: sha256,
            version: version,
            region: try region(top["region"], keyLine: top.lines["region"], file: file),
            inputs: try inputs(top["inputs"], folder: folder, file: file),
            limits: try limits(top["limits"]),
            quality: try quality(top["quality"]),
            outputs: try outputs(top["outputs"], folder: folder),
            methodology: try methodology(top["methodology"]),
            targets: try targets(top["targets"])
        )
        try checkFolders(config, top: top, file: file)
        return config
    }

    /// The outputs folder may not be (in) the returns folder: the run would write its snapshots,
    /// cache and reports among the returns, read them back as returns and refuse every export
    /// there, failing each night after publishing. Said before anything is read, naming both keys.
    /// Compared as the system resolves the paths (links followed: the share reached through a link,
    /// an absolute path to its real place, a `snapshots` link into it, where the run published
    /// among the returns or failed 73 every night; config audit 31, F1), then by device and inode
    /// up the folders (a bind mount is another path to the same folder, which no link shows;
    /// review 31, M2).
    private static func checkFolders(_ config: PipelineConfig, top: Fields, file: String) throws(ConfigError) {
        let returns = config.inputs.returnsFolder.standardizedFileURL.path
        let realReturns = FileSystem.resolvedLocation(returns)
        let returnsIdentity = FileSystem.identity(of: returns)
        let places = [
            ("outputs.folder", config.outputs.folder), ("its snapshots folder", config.snapshotsFolder),
            ("its cache folder", config.cacheFolder), ("its reports folder", config.reportsFolder),
            ("its exports folder", config.exportsFolder),
        ]
        for (what, place) in places {
            let written = place.standardizedFileURL.path
            let real = FileSystem.resolvedLocation(written)
            let how: String
            if FileSystem.isResolved(real, within: realReturns) {
                let linked = real != written || realReturns != returns
                how =
                    "is \(real == realReturns ? "" : "inside ")inputs.returns (\(returns))"
                    + (linked ? ", once links are followed (\(real), in \(realReturns))" : "")
            } else if let returnsIdentity, FileSystem.isResolved(real, within: returnsIdentity) {
                how =
                    "is in inputs.returns (\(returns)) reached by another path (the same folder, device and inode, "
                    + "as under a bind mount)"
            } else {
                continue
            }
            let outputsFields = try? top["outputs"]?.fields(outputsKeys)
            throw ConfigError(
                kind: .invalid, file: file, line: outputsFields?.lines["folder"] ?? top.lines["outputs"],
                key: "outputs.folder",
                message: "\(what) (\(written)) \(how): grdp would write its snapshots and reports among the returns "
                    + "and read them back as returns; put the outputs folder outside the returns folder")
        }
    }

    /// Lower-case hex SHA-256 of `data`.
    static func hexSHA256(_ data: Data) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: data) {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func missing(_ key: String, file: String, line: Int? = nil) -> ConfigError {
        ConfigError(kind: .invalid, file: file, line: line, key: key, message: "missing required key '\(key)'")
    }

    /// The value of a required key of `fields` (the mapping at `path`). A key left out is
    /// `missing` (at `line`, when the mapping has one to name); a key given with no value
    /// (`code:`) names its own line.
    static func required(
        _ key: String, in fields: Fields, path: String, file: String, line: Int? = nil
    ) throws(ConfigError) -> ConfigNode {
        if let node = fields[key] { return node }
        let keyPath = path.isEmpty ? key : "\(path).\(key)"
        if let emptyLine = fields.emptyLine(key) {
            throw ConfigError(
                kind: .invalid, file: file, line: emptyLine, key: keyPath,
                message: "required key '\(keyPath)' has no value")
        }
        throw missing(keyPath, file: file, line: line)
    }

    /// A YAML syntax error, with its line; a key given twice with its path and both lines.
    static func yamlError(_ error: YamlError, yaml: String, file: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) \($0.text)" } ?? problem
            return ConfigError(kind: .invalid, file: file, line: mark.line, message: "not valid YAML: \(detail)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            if let key = duplicates.first, let found = duplicateKey(in: yaml, key: key, at: context.mark) {
                return ConfigError(
                    kind: .invalid, file: file, line: found.secondLine, key: found.path,
                    message: "key '\(found.path)' is given twice (first on line \(found.firstLine))")
            }
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return ConfigError(
                kind: .invalid, file: file, line: context.mark.line, message: "key \(keys) is given twice")
        default:
            return ConfigError(kind: .invalid, file: file, message: "not valid YAML: \(error)")
        }
    }

    /// `path` (absolute, or relative to `folder`) as an absolute, standardised file URL.
    static func resolve(_ path: String, against folder: URL) -> URL {
        let url =
            path.hasPrefix("/")
            ? URL(fileURLWithPath: path, isDirectory: true)
            : folder.appendingPathComponent(path, isDirectory: true)
        return url.standardizedFileURL
    }
}
