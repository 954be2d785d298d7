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
    /// For a file whose name is not UTF-8: the descriptor `url` (`/proc/self/fd/N`) names, open
    /// while the candidate lives.
    var opened: OpenedByBytes?

    public init(relativePath: String, url: URL, bytes: Int64, expectedSHA256: String?) {
        self.relativePath = relativePath
        self.url = url
        self.bytes = bytes
        self.expectedSHA256 = expectedSHA256
    }
}

/// A file opened by the bytes of its name (not UTF-8, so no `String` path names it), reachable as
/// `url` while this lives; closed with it.
final class OpenedByBytes: Sendable, Hashable {
    let descriptor: Int32
    var url: URL { URL(fileURLWithPath: "/proc/self/fd/\(descriptor)") }

    init(_ descriptor: Int32) { self.descriptor = descriptor }
    deinit { close(descriptor) }

    static func == (a: OpenedByBytes, b: OpenedByBytes) -> Bool { a === b }
    func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
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
    /// Entries of `inputs.exclude` that name no path byte for byte but one in another Unicode
    /// normalization (typed precomposed, stored decomposed by a Mac): that file is excluded, as
    /// before grdp compared bytes, and the run warns.
    public var excludedByEquivalence: [ExcludeMatch]

    public struct ExcludeMatch: Sendable, Equatable {
        public var entry: String
        public var path: String
    }

    public init(
        archives: [ArchiveCandidate], ignoredFiles: [String], excluded: [String], unmatchedExcludes: [String] = [],
        excludedByEquivalence: [ExcludeMatch] = []
    ) {
        self.archives = archives
        self.ignoredFiles = ignoredFiles
        self.excluded = excluded
        self.unmatchedExcludes = unmatchedExcludes
        self.excludedByEquivalence = excludedByEquivalence
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
        /// Two files would be shown under the same path: a name that is not UTF-8, written with
        /// `\\xHH` escapes, spells another file's name (the run could not tell them apart in its
        /// reports, cache and snapshot).
        case ambiguousName
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
        case .ambiguousName:
            return "two files under the returns folder would both be named \(path) (a name that is not UTF-8 is "
                + "shown with its odd bytes written \\xHH): rename one of them"
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
        var files: [Found] = []
        var others: [String] = []
        guard let top = opendir(folder.path) else {
            throw ReturnsScanError(kind: .unreadable, path: folder.path, errno: errno)
        }
        try walk(top, url: folder, display: folder.path, prefix: "", files: &files, others: &others)
        var shown = Set<[UInt8]>()
        for path in files.map(\.path) + others where !shown.insert(Array(path.utf8)).inserted {
            throw ReturnsScanError(kind: .ambiguousName, path: path, errno: 0)
        }

        let archivePaths = Set(files.filter { isArchiveName($0.path) }.map(\.path))
        var sidecars: [String: URL] = [:]
        var ignored = others
        for file in files where !archivePaths.contains(file.path) {
            if file.path.lowercased().hasSuffix(".sha256"),
                case let base = String(file.path.dropLast(7)), archivePaths.contains(base), let url = file.url
            {
                sidecars[base] = url
            } else {
                ignored.append(file.path)
            }
        }

        // Paths are compared as their bytes (CONTRACT §3: "the UTF-8 string as it is"), not as
        // Swift compares strings (canonical equivalence): an entry names one archive, never also
        // another whose name differs only in its Unicode normalization. An entry that names no
        // path byte for byte but one in another normalization (typed precomposed for a name a Mac
        // stored decomposed) still excludes that file, as it did before, with a warning.
        let entries = exclude.map(MemberPath.normalized)
        var excludeSet = Set(entries.map { Array($0.utf8) })
        let allPaths = files.map(\.path) + ignored
        let allBytes = Set(allPaths.map { Array($0.utf8) })
        var byEquivalence: [ReturnsScan.ExcludeMatch] = []
        for (entry, normalized) in zip(exclude, entries) where !allBytes.contains(Array(normalized.utf8)) {
            for path in allPaths where path == normalized && !excludeSet.contains(Array(path.utf8)) {
                excludeSet.insert(Array(path.utf8))
                byEquivalence.append(.init(entry: entry, path: path))
            }
        }
        func isExcluded(_ path: String) -> Bool { excludeSet.contains(Array(path.utf8)) }
        var archives: [ArchiveCandidate] = []
        var excluded: [String] = []
        for file in files where archivePaths.contains(file.path) {
            if isExcluded(file.path) {
                excluded.append(file.path)
                continue
            }
            guard let url = file.url else { continue }
            let expected = try sidecars[file.path].map { try firstWord(of: $0) }
            var candidate = ArchiveCandidate(
                relativePath: file.path, url: url, bytes: file.bytes, expectedSHA256: expected)
            candidate.opened = file.opened
            archives.append(candidate)
        }
        excluded += ignored.filter(isExcluded)
        ignored.removeAll(where: isExcluded)
        let found = Set(excluded.map { Array($0.utf8) })
        var unmatched: [String] = []
        for (entry, normalized) in zip(exclude, entries)
        where !found.contains(Array(normalized.utf8)) && !byEquivalence.contains(where: { $0.entry == entry }) {
            if !unmatched.contains(where: { $0.utf8.elementsEqual(entry.utf8) }) { unmatched.append(entry) }
        }

        return ReturnsScan(
            archives: archives.sorted { precedesBytewise($0.relativePath, $1.relativePath) },
            ignoredFiles: ignored.sorted(by: precedesBytewise),
            excluded: excluded.sorted(by: precedesBytewise), unmatchedExcludes: unmatched,
            excludedByEquivalence: byEquivalence)
    }

    /// A file under the folder: its path relative to it as shown, how to open it (nil for a file
    /// whose name is not UTF-8 that is no archive or sidecar: it is only listed), its size.
    private struct Found {
        var path: String
        var url: URL?
        var bytes: Int64
        var opened: OpenedByBytes?
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

    /// Lists the open folder `handle` (closed here) recursively by the names' bytes (`readdir`),
    /// so that no name stops the scan. A name that is not UTF-8 (Latin-1 from an old share, say)
    /// is shown with each invalid byte written `\xHH` (`B\xE1o c\xE1o.zip`). Below such a name no
    /// `String` path reaches a file (`url` nil): folders are opened by their bytes and closed once
    /// listed; an archive or a `.sha256` file is opened by its bytes and kept open while the
    /// scan's result lives (`OpenedByBytes`, `/proc/self/fd/N`); other files are only listed.
    private static func walk(
        _ handle: OpaquePointer, url directory: URL?, display: String, prefix: String, files: inout [Found],
        others: inout [String]
    ) throws {
        defer { closedir(handle) }
        var entries: [(name: String, raw: [UInt8])] = []
        while true {
            errno = 0
            guard let entry = readdir(handle) else {
                if errno != 0 { throw ReturnsScanError(kind: .unreadable, path: display, errno: errno) }
                break
            }
            let raw = withUnsafeBytes(of: entry.pointee.d_name) { bytes in Array(bytes.prefix { $0 != 0 }) }
            if raw == [0x2E] || raw == [0x2E, 0x2E] { continue }
            entries.append((displayName(raw), raw))
        }
        let folder = dirfd(handle)
        for (name, raw) in entries {
            let relative = prefix + name
            let cName = raw.map { CChar(bitPattern: $0) } + [0]
            let url = String(validating: raw, as: UTF8.self) != nil ? directory?.appendingPathComponent(name) : nil
            var link = stat()
            guard fstatat(folder, cName, &link, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw ReturnsScanError(kind: .unreadable, path: display + "/" + name, errno: errno)
            }
            var type = link.st_mode & S_IFMT
            var size = Int64(link.st_size)
            if type == S_IFLNK {
                // Symlinks to regular files count as files; anything else they point to is listed.
                var target = stat()
                guard fstatat(folder, cName, &target, 0) == 0, target.st_mode & S_IFMT == S_IFREG else {
                    others.append(relative)
                    continue
                }
                type = S_IFREG
                size = Int64(target.st_size)
            }
            switch type {
            case S_IFDIR:
                let child: OpaquePointer?
                if let url {
                    child = opendir(url.path)
                } else {
                    let fd = openat(folder, cName, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                    child = fd >= 0 ? fdopendir(fd) : nil
                    if child == nil && fd >= 0 { close(fd) }
                }
                guard let child else {
                    throw ReturnsScanError(kind: .unreadable, path: display + "/" + name, errno: errno)
                }
                try walk(
                    child, url: url, display: display + "/" + name, prefix: relative + "/", files: &files,
                    others: &others)
            case S_IFREG:
                if url == nil && (isArchiveName(relative) || relative.lowercased().hasSuffix(".sha256")) {
                    guard let opened = openedByBytes(cName, in: folder) else {
                        throw ReturnsScanError(kind: .unreadable, path: display + "/" + name, errno: errno)
                    }
                    files.append(Found(path: relative, url: opened.url, bytes: size, opened: opened))
                } else {
                    files.append(Found(path: relative, url: url, bytes: size))
                }
            default:
                others.append(relative)
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

    /// The file named `name` (its bytes) in the folder open as `folder`, opened; nil where the
    /// system has no `/proc` to name the descriptor (macOS names are always UTF-8).
    private static func openedByBytes(_ name: [CChar], in folder: Int32) -> OpenedByBytes? {
        #if os(Linux)
            let fd = openat(folder, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            return fd >= 0 ? OpenedByBytes(fd) : nil
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
