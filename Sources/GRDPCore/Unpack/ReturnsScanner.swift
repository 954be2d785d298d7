public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One archive found under `inputs.returns`.
public struct ArchiveCandidate: Sendable, Hashable {
    /// The path relative to `inputs.returns`, `/`-separated.
    public var relativePath: String
    public var url: URL
    public var bytes: Int64
    /// The first word of a sibling `NAME.sha256`, lowercased, when one exists. An empty sidecar gives ""
    /// (which matches no digest, so the archive is rejected rather than taken unchecked).
    public var expectedSHA256: String?

    public init(relativePath: String, url: URL, bytes: Int64, expectedSHA256: String?) {
        self.relativePath = relativePath
        self.url = url
        self.bytes = bytes
        self.expectedSHA256 = expectedSHA256
    }
}

/// What `ReturnsScanner.scan` found.
public struct ReturnsScan: Sendable {
    /// In bytewise order of `relativePath` (the order of revisions), excluded ones removed.
    public var archives: [ArchiveCandidate]
    /// Relative paths of files that are not archives (nor `.sha256` sidecars of one), bytewise order.
    /// Entries that are not regular files (a dangling symlink, a fifo, a symlink to a folder) are listed
    /// here too, so that nothing under the folder goes unmentioned.
    public var ignoredFiles: [String]
    /// Paths listed in `inputs.exclude` that exist, bytewise order.
    public var excluded: [String]

    public init(archives: [ArchiveCandidate], ignoredFiles: [String], excluded: [String]) {
        self.archives = archives
        self.ignoredFiles = ignoredFiles
        self.excluded = excluded
    }
}

/// The returns folder could not be scanned.
public struct ReturnsScanError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The folder does not exist (the CLI maps this to exit 66).
        case missingFolder
        /// The path exists but is not a folder.
        case notAFolder
        /// A folder or sidecar under it could not be read.
        case unreadable
    }

    public var kind: Kind
    public var path: String
    public var errno: Int32

    public var description: String {
        let reason = errno != 0 ? ": \(String(cString: strerror(errno))) (errno \(errno))" : ""
        switch kind {
        case .missingFolder: return "returns folder \(path) does not exist\(reason)"
        case .notAFolder: return "returns folder \(path) is not a folder"
        case .unreadable: return "cannot read \(path) in the returns folder\(reason)"
        }
    }
}

/// Finds the archives under `inputs.returns` (CONTRACT §3).
public enum ReturnsScanner {
    /// Name endings (case-insensitive) that make a regular file an archive.
    public static let archiveSuffixes = [
        ".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".csv.gz",
    ]

    /// Scans `folder` recursively. Symlinks to regular files count as files; symlinked folders are not
    /// followed (they are listed as ignored).
    public static func scan(folder: URL, exclude: [String]) throws -> ReturnsScan {
        var info = stat()
        guard stat(folder.path, &info) == 0 else {
            let code = errno
            throw ReturnsScanError(kind: code == ENOENT ? .missingFolder : .unreadable, path: folder.path, errno: code)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw ReturnsScanError(kind: .notAFolder, path: folder.path, errno: 0)
        }
        var files: [(path: String, url: URL, bytes: Int64)] = []
        var others: [String] = []
        try walk(folder, prefix: "", files: &files, others: &others)

        let archivePaths = Set(files.filter { isArchiveName($0.path) }.map(\.path))
        var sidecars: [String: URL] = [:]
        var ignored = others
        for file in files where !archivePaths.contains(file.path) {
            if file.path.lowercased().hasSuffix(".sha256"),
                case let base = String(file.path.dropLast(7)), archivePaths.contains(base)
            {
                sidecars[base] = file.url
            } else {
                ignored.append(file.path)
            }
        }

        let excludeSet = Set(exclude.map(MemberPath.normalized))
        var archives: [ArchiveCandidate] = []
        var excluded: [String] = []
        for file in files where archivePaths.contains(file.path) {
            if excludeSet.contains(file.path) {
                excluded.append(file.path)
                continue
            }
            let expected = try sidecars[file.path].map { try firstWord(of: $0) }
            archives.append(
                ArchiveCandidate(relativePath: file.path, url: file.url, bytes: file.bytes, expectedSHA256: expected))
        }
        excluded += ignored.filter { excludeSet.contains($0) }
        ignored.removeAll { excludeSet.contains($0) }

        return ReturnsScan(
            archives: archives.sorted { precedesBytewise($0.relativePath, $1.relativePath) },
            ignoredFiles: ignored.sorted(by: precedesBytewise),
            excluded: excluded.sorted(by: precedesBytewise))
    }

    /// Bytewise order of the UTF-8 strings (`B.zip` before `a.zip`, `2024-06-30_x.zip` before `2024/07-01_y.tar.gz`).
    public static func precedesBytewise(_ a: String, _ b: String) -> Bool {
        bytewiseLess(a, b)
    }

    /// True when the name of `path` ends in one of `archiveSuffixes`, ignoring case.
    public static func isArchiveName(_ path: String) -> Bool {
        let basename = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        let lowered = basename.lowercased()
        return archiveSuffixes.contains { lowered.hasSuffix($0) && lowered.utf8.count > $0.utf8.count }
    }

    private static func walk(
        _ directory: URL, prefix: String, files: inout [(path: String, url: URL, bytes: Int64)], others: inout [String]
    ) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw ReturnsScanError(kind: .unreadable, path: directory.path, errno: EACCES)
        }
        for name in names {
            let url = directory.appendingPathComponent(name)
            let relative = prefix + name
            var link = stat()
            guard lstat(url.path, &link) == 0 else {
                throw ReturnsScanError(kind: .unreadable, path: url.path, errno: errno)
            }
            switch link.st_mode & S_IFMT {
            case S_IFDIR:
                try walk(url, prefix: relative + "/", files: &files, others: &others)
            case S_IFREG:
                files.append((relative, url, Int64(link.st_size)))
            case S_IFLNK:
                var target = stat()
                if stat(url.path, &target) == 0 && target.st_mode & S_IFMT == S_IFREG {
                    files.append((relative, url, Int64(target.st_size)))
                } else {
                    others.append(relative)
                }
            default:
                others.append(relative)
            }
        }
    }

    /// The first whitespace-separated word of a `.sha256` file, lowercased ("" when it holds none).
    private static func firstWord(of url: URL) throws -> String {
        let bytes: [UInt8]
        do {
            bytes = try InputFile(url).read(count: 4096, at: 0)
        } catch {
            throw ReturnsScanError(kind: .unreadable, path: url.path, errno: error.errno)
        }
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C]
        let word = bytes.drop { whitespace.contains($0) }.prefix { !whitespace.contains($0) }
        return String(decoding: word, as: UTF8.self).lowercased()
    }
}
