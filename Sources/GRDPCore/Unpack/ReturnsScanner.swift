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
    /// Where the file is: `url`, or for a path that is not UTF-8 the bytes of that path.
    public var location: FileLocation
    /// What its `NAME.sha256` is when it is there but not a file to read ("a FIFO (named pipe)",
    /// "a folder", "a symbolic link that leads nowhere"): the archive cannot be checked against
    /// it, and is rejected rather than taken unchecked (`checkSidecar`).
    public var sidecarProblem: String?

    public init(relativePath: String, url: URL, bytes: Int64, expectedSHA256: String?) {
        self.init(relativePath: relativePath, location: FileLocation(url), bytes: bytes, expectedSHA256: expectedSHA256)
    }

    init(relativePath: String, location: FileLocation, bytes: Int64, expectedSHA256: String?) {
        self.relativePath = relativePath
        self.url = location.url
        self.location = location
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
    /// Where each of `excluded` is (same order), for its digest.
    public var excludedLocations: [FileLocation]
    /// Entries of `inputs.exclude` that name no file under the folder (a typo leaves the archive
    /// meant in the run): the run warns about each.
    public var unmatchedExcludes: [String]
    /// Entries of `inputs.exclude` that name no path byte for byte but one in another Unicode
    /// normalization (typed precomposed, stored decomposed by a Mac): that file is excluded, as
    /// before grdp compared bytes, and the run warns.
    public var excludedByEquivalence: [ExcludeMatch]
    /// Entries of `inputs.exclude` that name a folder under the returns folder, and how many
    /// archives below it they excluded (each is in `excluded`): the run says so.
    public var excludedFolders: [ExcludedFolder]

    public struct ExcludeMatch: Sendable, Equatable {
        public var entry: String
        public var path: String
    }

    public struct ExcludedFolder: Sendable, Equatable {
        public var entry: String
        public var archives: Int
    }

    public init(
        archives: [ArchiveCandidate], ignoredFiles: [String], excluded: [String], unmatchedExcludes: [String] = [],
        excludedByEquivalence: [ExcludeMatch] = [], excludedLocations: [FileLocation] = [],
        excludedFolders: [ExcludedFolder] = []
    ) {
        self.archives = archives
        self.ignoredFiles = ignoredFiles
        self.excluded = excluded
        self.unmatchedExcludes = unmatchedExcludes
        self.excludedByEquivalence = excludedByEquivalence
        self.excludedLocations = excludedLocations
        self.excludedFolders = excludedFolders
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
        /// Two files would be one path for the run: their names differ only in Unicode
        /// normalization (canonically equivalent), or a name that is not UTF-8, written with `\\xHH`
        /// escapes, spells another file's name (the run could not tell them apart in its reports,
        /// cache and snapshot).
        case ambiguousName
    }

    public var kind: Kind
    public var path: String
    public var errno: Int32

    public var description: String {
        let reason = errno != 0 ? ": \(SystemReason.describe(errno))" : ""
        switch kind {
        case .missingFolder: return "returns folder \(path) does not exist\(reason)"
        case .notAFolder: return "returns folder \(path) is not a folder"
        case .unreadable:
            return "cannot read \(path)\(reason); an archive of the returns folder could be missed, so none was read"
        case .ambiguousName:
            return "two files under the returns folder have the same name for grdp, \(path): names that differ "
                + "only in their Unicode normalization (NFC, NFD) are one name, and a name that is not UTF-8 is "
                + "shown with its odd bytes written \\xHH; rename one of them"
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
        // Not regular files (nor folders), each with where it is: a FIFO, a socket, a device, a
        // link to nothing or to no file.
        var others: [(path: String, location: FileLocation)] = []
        var folders: [(path: String, location: FileLocation)] = []
        try walk(FileLocation(folder), folder: folder, prefix: "", files: &files, others: &others, folders: &folders)
        // One path, one file: by bytes (an escaped name spelling a real one) and as Swift compares
        // strings (NFC and NFD spellings, which the run's tables, keyed by `String`, would merge).
        var shown = Set<[UInt8]>()
        var equivalent = Set<String>()
        for path in files.map(\.path) + others.map(\.path)
        where !shown.insert(Array(path.utf8)).inserted || !equivalent.insert(path).inserted {
            throw ReturnsScanError(kind: .ambiguousName, path: path, errno: 0)
        }

        let archivePaths = Set(files.filter { isArchiveName($0.path) }.map(\.path))
        var sidecars: [String: FileLocation] = [:]
        // An archive's `.sha256` that is no file to read (a FIFO, a folder, a link to nothing): the
        // archive is rejected naming it (not listed as a file not read besides).
        var sidecarProblems: [String: String] = [:]
        var problemSidecars = Set<String>()
        // By its location, whose path is the bytes below a folder whose name is not UTF-8 (its
        // displayed path, with `\xHH`, names nothing).
        for other in others where other.path.lowercased().hasSuffix(".sha256") {
            let base = String(other.path.dropLast(7))
            guard archivePaths.contains(base) else { continue }
            sidecarProblems[base] = sidecarKind(other.location)
            problemSidecars.insert(other.path)
        }
        for entry in folders where archivePaths.contains(String(entry.path.dropLast(7))) {
            sidecarProblems[String(entry.path.dropLast(7))] = "a folder"
        }
        var ignored = others.map(\.path).filter { !problemSidecars.contains($0) }
        for file in files where !archivePaths.contains(file.path) {
            if file.path.lowercased().hasSuffix(".sha256"),
                case let base = String(file.path.dropLast(7)), archivePaths.contains(base)
            {
                sidecars[base] = file.location
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
        // An entry that names a folder under the returns folder (`2023/withdrawn`, with a slash at
        // the end or not) excludes every archive below it: the folder is what the operator means
        // to leave out, and each of its archives is still recorded as excluded, digest and all.
        // By its bytes, as a file's entry is.
        var folderEntries: [(entry: String, prefix: [UInt8])] = []
        for (entry, normalized) in zip(exclude, entries) {
            var name = Substring(normalized)
            while name.hasSuffix("/") { name = name.dropLast() }
            guard !name.isEmpty, !allBytes.contains(Array(name.utf8)) else { continue }
            let prefix = Array((name + "/").utf8)
            if allPaths.contains(where: { $0.utf8.starts(with: prefix) }) { folderEntries.append((entry, prefix)) }
        }
        func isExcluded(_ path: String) -> Bool {
            excludeSet.contains(Array(path.utf8))
                || folderEntries.contains { path.utf8.starts(with: $0.prefix) && isArchiveName(path) }
        }
        var archives: [ArchiveCandidate] = []
        var excluded: [(path: String, location: FileLocation)] = []
        for file in files where archivePaths.contains(file.path) {
            if isExcluded(file.path) {
                excluded.append((file.path, file.location))
                continue
            }
            let expected = try sidecars[file.path].map { try firstWord(of: $0) }
            var candidate = ArchiveCandidate(
                relativePath: file.path, location: file.location, bytes: file.bytes, expectedSHA256: expected)
            candidate.sidecarProblem = sidecarProblems[file.path]
            archives.append(candidate)
        }
        excluded.sort { precedesBytewise($0.path, $1.path) }
        // A sidecar an entry names is found (it still checks its archive), and so is a file that is no
        // archive (it stays listed as ignored: `source_archive` holds archives, CONTRACT §6): not "no file".
        let found = Set(
            excluded.map { Array($0.path.utf8) }
                + files.filter { $0.path.lowercased().hasSuffix(".sha256") }.map { Array($0.path.utf8) }
                + ignored.filter(isExcluded).map { Array($0.utf8) })
        var unmatched: [String] = []
        for (entry, normalized) in zip(exclude, entries)
        where !found.contains(Array(normalized.utf8)) && !byEquivalence.contains(where: { $0.entry == entry })
            && !folderEntries.contains(where: { $0.entry.utf8.elementsEqual(entry.utf8) })
        {
            if !unmatched.contains(where: { $0.utf8.elementsEqual(entry.utf8) }) { unmatched.append(entry) }
        }

        return ReturnsScan(
            archives: archives.sorted { precedesBytewise($0.relativePath, $1.relativePath) },
            ignoredFiles: ignored.sorted(by: precedesBytewise),
            excluded: excluded.map(\.path), unmatchedExcludes: unmatched,
            excludedByEquivalence: byEquivalence, excludedLocations: excluded.map(\.location),
            excludedFolders: folderEntries.map { entry in
                ReturnsScan.ExcludedFolder(
                    entry: entry.entry,
                    archives: excluded.filter { $0.path.utf8.starts(with: entry.prefix) }.count)
            })
    }

    /// A file under the folder: its path relative to it as shown, where it is, its size.
    private struct Found {
        var path: String
        var location: FileLocation
        var bytes: Int64
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

    /// Lists the folder at `directory` recursively, by the names' bytes (`readdir`), so that no
    /// name stops the scan. A name that is not UTF-8 (Latin-1 from an old
    /// share, say) is shown with each invalid byte written `\xHH` (`B\xE1o c\xE1o.zip`); below
    /// such a name a file's location is the bytes of its path (`FileLocation`), opened only when
    /// the file is used.
    private static func walk(
        _ directory: FileLocation, folder: URL, prefix: String, files: inout [Found],
        others: inout [(path: String, location: FileLocation)],
        folders: inout [(path: String, location: FileLocation)]
    ) throws {
        func display(_ relative: String) -> String { folder.appendingPathComponent(relative).path }
        guard let handle = directory.withSystemPath({ opendir($0) }) else {
            let code = errno
            // A subfolder removed or renamed since its parent was listed: not there for this run.
            if code == ENOENT && !prefix.isEmpty { return }
            throw ReturnsScanError(kind: .unreadable, path: directory.url.path, errno: code)
        }
        var entries: [(name: String, raw: [UInt8])] = []
        do {
            defer { closedir(handle) }
            while true {
                errno = 0
                guard let entry = readdir(handle) else {
                    if errno != 0 { throw ReturnsScanError(kind: .unreadable, path: directory.url.path, errno: errno) }
                    break
                }
                let name = FileSystem.entryName(entry)
                if name == [0x2E] || name == [0x2E, 0x2E] { continue }
                entries.append((displayName(name), name))
            }
        }
        for (name, bytes) in entries {
            let relative = prefix + name
            // A string path while every name on the way is UTF-8; the path's bytes from then on.
            let location =
                directory.pathBytes == nil && String(validating: bytes, as: UTF8.self) != nil
                ? FileLocation(directory.url.appendingPathComponent(name))
                : FileLocation(
                    url: folder.appendingPathComponent(relative),
                    pathBytes: (directory.pathBytes ?? Array(directory.url.path.utf8)) + [UInt8(ascii: "/")] + bytes)
            var link = stat()
            guard location.withSystemPath({ lstat($0, &link) }) == 0 else {
                let code = errno
                // Renamed or removed since the folder was listed (a browser's `x.zip.crdownload`
                // becoming `x.zip`, an operator moving a rejected return out): not there for this
                // run, as if it had gone a moment earlier; the next run sees what is there then.
                if code == ENOENT { continue }
                throw ReturnsScanError(kind: .unreadable, path: display(relative), errno: code)
            }
            var type = link.st_mode & S_IFMT
            var size = Int64(link.st_size)
            if type == S_IFLNK {
                // Symlinks to regular files count as files; anything else they point to is listed.
                var target = stat()
                guard location.withSystemPath({ stat($0, &target) }) == 0, target.st_mode & S_IFMT == S_IFREG else {
                    others.append((relative, location))
                    continue
                }
                type = S_IFREG
                size = Int64(target.st_size)
            }
            switch type {
            case S_IFDIR:
                // Kept for an archive whose checksum it would be (`sidecarProblem`).
                if relative.lowercased().hasSuffix(".sha256") { folders.append((relative, location)) }
                try walk(
                    location, folder: folder, prefix: relative + "/", files: &files, others: &others, folders: &folders)
            case S_IFREG:
                files.append(Found(path: relative, location: location, bytes: size))
            default:
                others.append((relative, location))
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

    /// A sidecar's bytes as UTF-8 without a byte-order mark. Windows writes one: Notepad saving
    /// UTF-8 puts EF BB BF first, and PowerShell 5's `>` writes UTF-16 (`sha256sum x.zip > x.zip.sha256`).
    /// Taken as they were, the digest's first word held the mark (shown as the same 64 digits in the
    /// rejection) or a NUL between every digit, and the archive was rejected every night.
    static func text(ofSidecar bytes: [UInt8]) -> [UInt8] {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return Array(bytes.dropFirst(3)) }
        let littleEndian = bytes.starts(with: [0xFF, 0xFE])
        guard littleEndian || bytes.starts(with: [0xFE, 0xFF]) else { return bytes }
        let units = stride(from: 2, to: bytes.count - 1, by: 2).map { index in
            littleEndian
                ? UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8
                : UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        }
        return Array(String(decoding: units, as: UTF16.self).utf8)
    }

    /// What a sidecar that is no regular file is, in words: "a FIFO (named pipe)", "a symbolic
    /// link that leads nowhere", or, when it cannot be followed, the system's reason.
    private static func sidecarKind(_ location: FileLocation) -> String {
        var status = stat()
        guard location.withSystemPath({ stat($0, &status) }) == 0 else {
            let code = errno
            return code == ENOENT
                ? "a symbolic link that leads nowhere"
                : "a link that cannot be followed: \(SystemReason.describe(code))"
        }
        return FileSystem.kindName(status.st_mode & S_IFMT)
    }

    /// The first whitespace-separated word of a `.sha256` file, lowercased ("" when it holds none).
    private static func firstWord(of location: FileLocation) throws -> String {
        let bytes: [UInt8]
        do {
            bytes = try InputFile(location).read(count: 4096, at: 0)
        } catch {
            throw ReturnsScanError(kind: .unreadable, path: location.url.path, errno: error.errno)
        }
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C]
        let word = text(ofSidecar: bytes).drop { whitespace.contains($0) }.prefix { !whitespace.contains($0) }
        return String(decoding: word, as: UTF8.self).lowercased()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
