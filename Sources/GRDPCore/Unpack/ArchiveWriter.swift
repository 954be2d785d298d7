internal import CArchive
public import Foundation

/// Writes archives with libarchive's write API: for `grdp generate` and for tests that build
/// real archives (never used by `run`, which only reads).
public enum ArchiveWriter {
    public enum Format: String, Sendable, CaseIterable {
        case zip
        case tar
        case tarGzip = "tar.gz"
        case tarXz = "tar.xz"
        case tarBzip2 = "tar.bz2"
        /// A single gzipped file (`NAME.csv.gz`): exactly one member.
        case gzip = "gz"
    }

    /// One entry to write. `kind` other than `.file` writes a link, directory or device entry.
    public struct Entry: Sendable {
        public enum Kind: Sendable {
            case file
            case directory
            case symlink(target: String)
            case hardlink(target: String)
            case characterDevice
            case fifo
        }

        public var path: String
        public var data: [UInt8]
        public var kind: Kind
        /// Overrides the size written in the header (hostile tests: a member shorter than its header).
        public var declaredSize: Int64?
        /// Writes a sparse tar member holding only these ranges of `data`; the rest are holes (tests).
        public var sparseDataRegions: [Range<Int64>]?

        public init(path: String, data: [UInt8] = [], kind: Kind = .file, declaredSize: Int64? = nil) {
            self.path = path
            self.data = data
            self.kind = kind
            self.declaredSize = declaredSize
        }

        public init(path: String, text: String) {
            self.init(path: path, data: Array(text.utf8))
        }
    }

    public struct WriteError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes `entries` to `url` in `format`, replacing any file there. With `zipPassphrase`, a zip's
    /// entries are encrypted (traditional PKWARE encryption; hostile tests only).
    public static func write(_ entries: [Entry], format: Format, to url: URL, zipPassphrase: String? = nil) throws {
        guard let archive = archive_write_new() else { throw WriteError(description: "archive_write_new failed") }
        defer { archive_write_free(archive) }
        _ = setlocale(LC_CTYPE, "C.UTF-8")

        func check(_ status: Int32, _ what: String) throws {
            if status != ARCHIVE_OK {
                let message = archive_error_string(archive).map { String(cString: $0) } ?? "status \(status)"
                throw WriteError(description: "\(what): \(message)")
            }
        }

        switch format {
        case .zip:
            try check(archive_write_set_format_zip(archive), "zip format")
            if let zipPassphrase {
                try check(archive_write_set_format_option(archive, "zip", "encryption", "zipcrypt"), "zip encryption")
                try check(archive_write_set_passphrase(archive, zipPassphrase), "zip passphrase")
            }
        case .tar:
            try check(archive_write_set_format_pax_restricted(archive), "tar format")
        case .tarGzip:
            try check(archive_write_set_format_pax_restricted(archive), "tar format")
            try check(archive_write_add_filter_gzip(archive), "gzip filter")
            // No name or time in the gzip header: same input, same bytes.
            _ = archive_write_set_filter_option(archive, "gzip", "timestamp", nil)
        case .tarXz:
            try check(archive_write_set_format_pax_restricted(archive), "tar format")
            try check(archive_write_add_filter_xz(archive), "xz filter")
        case .tarBzip2:
            try check(archive_write_set_format_pax_restricted(archive), "tar format")
            try check(archive_write_add_filter_bzip2(archive), "bzip2 filter")
        case .gzip:
            guard entries.count == 1 else { throw WriteError(description: "a .gz file holds exactly one member") }
            try check(archive_write_set_format_raw(archive), "raw format")
            try check(archive_write_add_filter_gzip(archive), "gzip filter")
            _ = archive_write_set_filter_option(archive, "gzip", "timestamp", nil)
        }
        try check(archive_write_open_filename(archive, url.path), "open \(url.path)")

        for item in entries {
            guard let entry = archive_entry_new() else { throw WriteError(description: "archive_entry_new failed") }
            defer { archive_entry_free(entry) }
            archive_entry_set_pathname_utf8(entry, item.path)
            archive_entry_set_mtime(entry, 1_700_000_000, 0)
            archive_entry_set_perm(entry, 0o644)
            switch item.kind {
            case .file:
                archive_entry_set_filetype(entry, GRDP_AE_IFREG)
                archive_entry_set_size(entry, item.declaredSize ?? Int64(item.data.count))
                for region in item.sparseDataRegions ?? [] {
                    archive_entry_sparse_add_entry(entry, region.lowerBound, region.upperBound - region.lowerBound)
                }
            case .directory:
                archive_entry_set_filetype(entry, GRDP_AE_IFDIR)
                archive_entry_set_perm(entry, 0o755)
            case .symlink(let target):
                archive_entry_set_filetype(entry, GRDP_AE_IFLNK)
                archive_entry_set_symlink_utf8(entry, target)
            case .hardlink(let target):
                archive_entry_set_filetype(entry, GRDP_AE_IFREG)
                archive_entry_set_hardlink_utf8(entry, target)
                archive_entry_set_size(entry, 0)
            case .characterDevice:
                archive_entry_set_filetype(entry, GRDP_AE_IFCHR)
                archive_entry_set_rdev(entry, 0x0101)
            case .fifo:
                archive_entry_set_filetype(entry, GRDP_AE_IFIFO)
            }
            let headerStatus = archive_write_header(archive, entry)
            if headerStatus < ARCHIVE_WARN { try check(headerStatus, "header of \(item.path)") }
            if case .file = item.kind, !item.data.isEmpty {
                let written = item.data.withUnsafeBytes { buffer in
                    archive_write_data(archive, buffer.baseAddress, buffer.count)
                }
                if written < 0 { try check(Int32(written), "data of \(item.path)") }
            }
        }
        try check(archive_write_close(archive), "close \(url.path)")
    }

    /// A compression filter for `compress(_:with:to:)`.
    public enum Filter: String, Sendable, CaseIterable {
        case gzip
        case xz
        case bzip2
    }

    /// Writes `data` compressed with `filter`, with no archive format around it: one gzip member, one .xz
    /// or one .bz2 stream. Tests use it to compress arbitrary (also deliberately broken) tar bytes.
    public static func compress(_ data: [UInt8], with filter: Filter, to url: URL) throws {
        guard let archive = archive_write_new() else { throw WriteError(description: "archive_write_new failed") }
        defer { archive_write_free(archive) }

        func check(_ status: Int32, _ what: String) throws {
            if status != ARCHIVE_OK {
                let message = archive_error_string(archive).map { String(cString: $0) } ?? "status \(status)"
                throw WriteError(description: "\(what): \(message)")
            }
        }

        try check(archive_write_set_format_raw(archive), "raw format")
        switch filter {
        case .gzip:
            try check(archive_write_add_filter_gzip(archive), "gzip filter")
            _ = archive_write_set_filter_option(archive, "gzip", "timestamp", nil)
        case .xz:
            try check(archive_write_add_filter_xz(archive), "xz filter")
        case .bzip2:
            try check(archive_write_add_filter_bzip2(archive), "bzip2 filter")
        }
        try check(archive_write_open_filename(archive, url.path), "open \(url.path)")
        guard let entry = archive_entry_new() else { throw WriteError(description: "archive_entry_new failed") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, "data")
        archive_entry_set_filetype(entry, GRDP_AE_IFREG)
        archive_entry_set_size(entry, Int64(data.count))
        try check(archive_write_header(archive, entry), "raw header")
        if !data.isEmpty {
            let written = data.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
            if written < 0 { try check(Int32(written), "raw data") }
        }
        try check(archive_write_close(archive), "close \(url.path)")
    }
}
