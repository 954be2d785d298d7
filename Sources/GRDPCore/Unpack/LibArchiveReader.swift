internal import CArchive
import Foundation

/// One libarchive read handle: every `archive_read_*` call of the pipeline lives in this file.
///
/// Only the tar format (fed our own decompressed stream through a read callback) or the seekable zip
/// format (reading the file itself) is enabled, never `*_all()`. Every status other than `ARCHIVE_OK`
/// becomes an `ArchiveRejection` (`corrupt-archive`); callers add the member name.
///
/// Not `Sendable`: owned by one `ArchiveReader.read` call. `deinit` frees the handle.
final class LibArchiveReader {
    enum EntryType: Equatable {
        case regular
        case directory
        case symlink(target: String)
        case hardlink(target: String)
        case device(String)
        case unknown(UInt32)
    }

    struct Entry {
        var path: String
        /// The name's bytes, UTF-8 or not (`path` then writes the odd ones `\xHH`): what a path
        /// rule (absolute, `..`) is checked on, not that spelling.
        var pathBytes: [UInt8]
        var type: EntryType
        var declaredSize: Int64?
        var isEncrypted: Bool
    }

    /// One `archive_read_data_block` result: a block of the member at `offset`, or its end (`bytes` empty).
    struct Block {
        var bytes: UnsafeRawBufferPointer
        var offset: Int64
        var isEnd: Bool
    }

    private let archive: OpaquePointer
    /// The tar's stream, whose failure inside the read callback is the real cause of libarchive's.
    private let source: DecodedStream?
    /// Retained here because libarchive holds it, unretained, as the read callback's client data.
    private let tarInput: TarInput?
    /// The same for a zip's callbacks.
    private let zipInput: ZipInput?

    /// What libarchive's tar read callback is given: the stream, and its extension headers looked
    /// at block by block as libarchive takes it (`TarExtensionHeaders`).
    private final class TarInput {
        let stream: DecodedStream
        let extensions = TarExtensionHeaders()
        init(_ stream: DecodedStream) { self.stream = stream }
    }

    /// libarchive converts names with the C library's locale: make it UTF-8 once, before reading names.
    private static let utf8Locale: Bool = setlocale(LC_CTYPE, "C.UTF-8") != nil

    /// Reads a tar from `source`, our decompressed (or plain) byte stream.
    init(tarFrom source: DecodedStream) throws(ArchiveRejection) {
        _ = Self.utf8Locale
        guard let archive = archive_read_new() else { throw .corrupt("libarchive: cannot allocate a reader") }
        self.archive = archive
        self.source = source
        let input = TarInput(source)
        tarInput = input
        zipInput = nil
        // From here on `deinit` frees the handle, also when this initialiser throws.
        try check(archive_read_support_format_tar(archive), "cannot enable the tar format")
        let client = Unmanaged.passUnretained(input).toOpaque()
        let status = archive_read_open2(
            archive, client, nil,
            { _, client, buffer in
                // Called by libarchive for the next block; an error can only be reported as a status.
                let input = Unmanaged<TarInput>.fromOpaque(client!).takeUnretainedValue()
                let source = input.stream
                do {
                    let block = try source.next()
                    // Before libarchive reads the headers in it, and settles on one reading of them.
                    try input.extensions.scan(block)
                    buffer?.pointee = UnsafeRawPointer(block.baseAddress)
                    return la_ssize_t(block.count)
                } catch {
                    source.failure = error as? ArchiveRejection ?? .corrupt("\(error)")
                    return la_ssize_t(ARCHIVE_FATAL)
                }
            }, nil, nil)
        try check(status, "not a readable tar archive")
    }

    /// What libarchive's zip callbacks are given: the file, every byte checked against its hash
    /// (`BlockCheckedFile`), and where libarchive is in it.
    private final class ZipInput {
        let file: BlockCheckedFile
        var position: Int64 = 0
        /// The real cause of a failed read (a block that changed, a read error).
        var failure: ArchiveRejection?
        init(_ file: BlockCheckedFile) { self.file = file }
    }

    /// Reads a zip through its central directory, from `file`: every byte libarchive gets is one
    /// the file held when `file` hashed it.
    init(zipFrom file: BlockCheckedFile) throws(ArchiveRejection) {
        _ = Self.utf8Locale
        guard let archive = archive_read_new() else { throw .corrupt("libarchive: cannot allocate a reader") }
        self.archive = archive
        self.source = nil
        tarInput = nil
        let input = ZipInput(file)
        zipInput = input
        try check(archive_read_support_format_zip_seekable(archive), "cannot enable the zip format")
        try check(
            archive_read_set_read_callback(archive) { _, client, buffer in
                let input = Unmanaged<ZipInput>.fromOpaque(client!).takeUnretainedValue()
                do {
                    let bytes = try input.file.bytes(from: input.position)
                    buffer?.pointee = bytes.baseAddress
                    input.position += Int64(bytes.count)
                    return la_ssize_t(bytes.count)
                } catch {
                    input.failure = .corrupt(ZipLayout.readFailure(error))
                    return la_ssize_t(ARCHIVE_FATAL)
                }
            }, "cannot set the zip's read callback")
        try check(
            archive_read_set_seek_callback(archive) { _, client, offset, whence in
                let input = Unmanaged<ZipInput>.fromOpaque(client!).takeUnretainedValue()
                let base: Int64? =
                    switch whence {
                    case SEEK_SET: 0
                    case SEEK_CUR: input.position
                    case SEEK_END: input.file.size
                    default: nil
                    }
                // An offset from a hostile directory must not trap on overflow: refused instead.
                guard let base else { return la_int64_t(ARCHIVE_FATAL) }
                let (target, overflow) = base.addingReportingOverflow(offset)
                guard !overflow, target >= 0 else { return la_int64_t(ARCHIVE_FATAL) }
                input.position = target
                return target
            }, "cannot set the zip's seek callback")
        try check(
            archive_read_set_skip_callback(archive) { _, client, request in
                let input = Unmanaged<ZipInput>.fromOpaque(client!).takeUnretainedValue()
                let skipped = max(0, min(request, input.file.size - input.position))
                input.position += skipped
                return skipped
            }, "cannot set the zip's skip callback")
        try check(
            archive_read_set_callback_data(archive, Unmanaged.passUnretained(input).toOpaque()),
            "cannot set the zip's callback data")
        try check(archive_read_open1(archive), "not a readable zip archive")
    }

    deinit { archive_read_free(archive) }

    /// Bytes libarchive consumed from its input (our decoded stream for a tar, the file for a zip).
    var position: Int64 { archive_filter_bytes(archive, 0) }

    /// The bytes of a name libarchive could not give in UTF-8 (a zip without the UTF-8 flag from an
    /// old Windows zipper, a tar of Latin-1 names). The member is named with its odd bytes written
    /// `\xHH`, as an archive's own name is (`ReturnsScanner.displayName`): each made U+FFFD, two
    /// members `transactions_\x82.csv` and `transactions_\x8A.csv` were one path, and the archive
    /// was rejected as `duplicate-member`.
    private static func bytes(_ raw: UnsafePointer<CChar>) -> [UInt8] {
        Array(UnsafeBufferPointer(start: raw, count: strlen(raw))).map { UInt8(bitPattern: $0) }
    }

    /// The next entry, or nil at the end of the archive.
    func nextEntry() throws(ArchiveRejection) -> Entry? {
        var handle: OpaquePointer?
        let status = archive_read_next_header(archive, &handle)
        if status == ARCHIVE_EOF { return nil }
        let bytes = handle.flatMap { (archive_entry_pathname_utf8($0) ?? archive_entry_pathname($0)).map(Self.bytes) }
        let path = bytes.map(ReturnsScanner.displayName)
        guard status == ARCHIVE_OK, let entry = handle else {
            throw failure(status, "cannot read a member header").naming(path)
        }
        guard let path else { throw .corrupt("a member has no readable name") }
        let type: EntryType
        if let target = archive_entry_hardlink_utf8(entry) ?? archive_entry_hardlink(entry) {
            type = .hardlink(target: String(cString: target))
        } else {
            switch archive_entry_filetype(entry) & GRDP_AE_IFMT {
            case GRDP_AE_IFREG: type = .regular
            case GRDP_AE_IFDIR: type = .directory
            case GRDP_AE_IFLNK:
                let target = archive_entry_symlink_utf8(entry) ?? archive_entry_symlink(entry)
                type = .symlink(target: target.map { String(cString: $0) } ?? "")
            case GRDP_AE_IFCHR: type = .device("a character device")
            case GRDP_AE_IFBLK: type = .device("a block device")
            case GRDP_AE_IFIFO: type = .device("a fifo")
            case GRDP_AE_IFSOCK: type = .device("a socket")
            case let other: type = .unknown(UInt32(other))
            }
        }
        return Entry(
            path: path, pathBytes: bytes ?? [], type: type,
            declaredSize: archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil,
            isEncrypted: archive_entry_is_encrypted(entry) != 0)
    }

    /// The next block of the current entry's data (valid until the next call), or its end.
    func readBlock() throws(ArchiveRejection) -> Block {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        let status = archive_read_data_block(archive, &buffer, &size, &offset)
        if status == ARCHIVE_EOF {
            return Block(bytes: UnsafeRawBufferPointer(start: nil, count: 0), offset: offset, isEnd: true)
        }
        // ARCHIVE_WARN from a zip is a bad CRC or size, with no bytes delivered: never data.
        guard status == ARCHIVE_OK else { throw failure(status, "cannot read the member's data") }
        return Block(bytes: UnsafeRawBufferPointer(start: buffer, count: size), offset: offset, isEnd: false)
    }

    /// Reads past the rest of the current entry's data (directories, links, devices).
    func skipData() throws(ArchiveRejection) {
        try check(archive_read_data_skip(archive), "cannot skip the member's data")
    }

    private func check(_ status: Int32, _ what: String) throws(ArchiveRejection) {
        if status != ARCHIVE_OK { throw failure(status, what) }
    }

    /// The rejection for a failed call: our stream's own error when the read callback failed (it is the
    /// real cause), else libarchive's message, which may be NULL.
    private func failure(_ status: Int32, _ what: String) -> ArchiveRejection {
        if let failure = source?.failure ?? zipInput?.failure { return failure }
        let message = archive_error_string(archive).map { String(cString: $0) }
        let errno = archive_errno(archive)
        let statusName =
            switch status {
            case ARCHIVE_WARN: "ARCHIVE_WARN"
            case ARCHIVE_RETRY: "ARCHIVE_RETRY"
            case ARCHIVE_FAILED: "ARCHIVE_FAILED"
            case ARCHIVE_FATAL: "ARCHIVE_FATAL"
            default: "status \(status)"
            }
        var detail = "\(what): " + (message ?? "libarchive gives no message")
        // Positive values are system errnos; libarchive's own codes (ARCHIVE_ERRNO_MISC = -1) say nothing more.
        detail += " (libarchive \(statusName)" + (errno > 0 ? ": \(SystemReason.describe(errno)))" : ")")
        return .corrupt(detail)
    }
}
