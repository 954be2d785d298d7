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
    /// Entries of `inputs.exclude` that name no file under the folder (a typo leaves the archive
    /// meant in the run): the run warns about each.
    public var unmatchedExcludes: [String]

    public init(
        archives: [ArchiveCandidate], ignoredFiles: [String], excluded: [String], unmatchedExcludes: [String] = []
    ) {
        self.archives = archives
        self.ignoredFiles = ignoredFiles
        self.excluded = excluded
        self.unmatchedExcludes = unmatchedExcludes
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

        // Paths are compared as their bytes (CONTRACT §3: "the UTF-8 string as it is"), not as
        // Swift compares strings (canonical equivalence): an entry names one archive, never also
        // another whose name differs only in its Unicode normalization.
        let excludeSet = Set(exclude.map { Array(MemberPath.normalized($0).utf8) })
        func isExcluded(_ path: String) -> Bool { excludeSet.contains(Array(path.utf8)) }
        var archives: [ArchiveCandidate] = []
        var excluded: [String] = []
        for file in files where archivePaths.contains(file.path) {
            if isExcluded(file.path) {
                excluded.append(file.path)
                continue
            }
            let expected = try sidecars[file.path].map { try firstWord(of: $0) }
            archives.append(
                ArchiveCandidate(relativePath: file.path, url: file.url, bytes: file.bytes, expectedSHA256: expected))
        }
        excluded += ignored.filter(isExcluded)
        ignored.removeAll(where: isExcluded)
        let found = Set(excluded.map { Array($0.utf8) })
        var unmatched: [String] = []
        for entry in exclude where !found.contains(Array(MemberPath.normalized(entry).utf8)) {
            if !unmatched.contains(where: { $0.utf8.elementsEqual(entry.utf8) }) { unmatched.append(entry) }
        }

        return ReturnsScan(
            archives: archives.sorted { precedesBytewise($0.relativePath, $1.relativePath) },
            ignoredFiles: ignored.sorted(by: precedesBytewise),
            excluded: excluded.sorted(by: precedesBytewise), unmatchedExcludes: unmatched)
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

    /// Lists `directory` recursively by the names' bytes (`readdir`), so that no name stops the
    /// scan. A name that is not valid UTF-8 (Latin-1 from an old share, say) is shown with each
    /// invalid byte written `\xHH` (`B\xE1o c\xE1o.zip`), and the file or folder is reached through
    /// a descriptor opened by its bytes (`/proc/self/fd/N`, kept open for the process): Foundation's
    /// paths are strings and cannot name it.
    private static func walk(
        _ directory: URL, prefix: String, files: inout [(path: String, url: URL, bytes: Int64)], others: inout [String]
    ) throws {
        guard let handle = opendir(directory.path) else {
            throw ReturnsScanError(kind: .unreadable, path: directory.path, errno: errno)
        }
        defer { closedir(handle) }
        var entries: [(name: String, raw: [UInt8])] = []
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                if errno != 0 { throw ReturnsScanError(kind: .unreadable, path: directory.path, errno: errno) }
                break
            }
            let raw = withUnsafeBytes(of: entry.pointee.d_name) { bytes in Array(bytes.prefix { $0 != 0 }) }
            if raw == [0x2E] || raw == [0x2E, 0x2E] { continue }
            entries.append((displayName(raw), raw))
        }
        let folder = dirfd(handle)
        for (name, raw) in entries {
            let relative = prefix + name
            let validName = String(validating: raw, as: UTF8.self) != nil
            var url = directory.appendingPathComponent(name)
            var link = stat()
            guard fstatat(folder, raw.map { CChar(bitPattern: $0) } + [0], &link, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw ReturnsScanError(kind: .unreadable, path: directory.path + "/" + name, errno: errno)
            }
            var type = link.st_mode & S_IFMT
            var size = Int64(link.st_size)
            if type == S_IFLNK {
                // Symlinks to regular files count as files; anything else they point to is listed.
                var target = stat()
                guard fstatat(folder, raw.map { CChar(bitPattern: $0) } + [0], &target, 0) == 0,
                    target.st_mode & S_IFMT == S_IFREG
                else {
                    others.append(relative)
                    continue
                }
                type = S_IFREG
                size = Int64(target.st_size)
            }
            guard type == S_IFDIR || type == S_IFREG else {
                others.append(relative)
                continue
            }
            if !validName {
                guard let opened = openedByBytes(raw, in: folder, directory: type == S_IFDIR) else {
                    throw ReturnsScanError(kind: .unreadable, path: directory.path + "/" + name, errno: errno)
                }
                url = opened
            }
            if type == S_IFDIR {
                try walk(url, prefix: relative + "/", files: &files, others: &others)
            } else {
                files.append((relative, url, size))
            }
        }
    }

    /// `raw` as text: itself when valid UTF-8, else its valid parts with each other byte written `\xHH`.
    static func displayName(_ raw: [UInt8]) -> String {
        if let valid = String(validating: raw, as: UTF8.self) { return valid }
        var text = ""
        var index = 0
        while index < raw.count {
            // The longest valid UTF-8 sequence starting here (1–4 bytes), else one invalid byte.
            var taken = false
            for length in stride(from: min(4, raw.count - index), through: 1, by: -1) {
                if let part = String(validating: raw[index..<index + length], as: UTF8.self) {
                    text += part
                    index += length
                    taken = true
                    break
                }
            }
            if !taken {
                text += "\\x" + String(raw[index], radix: 16, uppercase: true).leftPadded(to: 2)
                index += 1
            }
        }
        return text
    }

    /// A path that reaches the entry named `raw` in the folder open as `folder`: a descriptor
    /// opened by its bytes, named through `/proc/self/fd` and never closed (a scan opens one per such
    /// name). Nil where the system has no `/proc` (macOS names are always UTF-8).
    private static func openedByBytes(_ raw: [UInt8], in folder: Int32, directory: Bool) -> URL? {
        #if os(Linux)
            let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (directory ? O_DIRECTORY : 0)
            let fd = openat(folder, raw.map { CChar(bitPattern: $0) } + [0], flags)
            guard fd >= 0 else { return nil }
            return URL(fileURLWithPath: "/proc/self/fd/\(fd)", isDirectory: directory)
        #else
            errno = EILSEQ
            return nil
        #endif
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

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
