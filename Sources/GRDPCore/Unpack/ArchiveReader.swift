public import Foundation

/// Streams the members of one archive to an `ArchiveVisitor`, applying every rule of CONTRACT §3, and
/// never extracts anything to disk.
///
/// The format comes from the content: zip; tar (ustar, GNU, pax, v7); tar compressed with gzip, xz or
/// bzip2; and a gzip/xz/bzip2 stream whose content is not a tar, which is one member when the file's name
/// ends in `.gz` (`NAME.csv.gz` holds `NAME.csv`). We decompress ourselves (see `DecodedStream`) and give
/// libarchive only the tar stream, so that every CRC, length and trailing byte is checked.
///
/// Not `Sendable`: read one archive at a time on one thread; use one reader per concurrent archive.
public final class ArchiveReader {
    public let limits: UnpackLimits
    /// Raw (compressed) bytes of the current archive consumed so far, for progress.
    public private(set) var consumedBytes: Int64 = 0
    /// Reading a zip whose central directory was too large to be walked for overlaps (`ZipLayout`):
    /// its size, and the bytes all its members gave so far, held to the ratio limit times the file.
    /// Such a directory (over 64 MiB, a million entries and more) could hide entries that share
    /// their data, thousands of them each under the MiB no ratio holds (CONTRACT §3); the price is
    /// that such a zip of small members that pack very well together is refused too. A walked
    /// directory refuses overlaps itself, so a zip it passed is held to its members' own ratios
    /// only: small members that pack well together are not a bomb.
    private var zipBytes: Int64?
    private var zipProduced: Int64 = 0
    /// The largest zip central directory walked for overlaps and sizes (`ZipLayout.check`).
    var zipWalkLimit = ZipLayout.descriptorCheckLimit
    /// The blocks a zip is hashed and checked by (`BlockCheckedFile`); tests lower it to change a
    /// block the reader has not come to yet.
    var zipBlockSize = BlockCheckedFile.defaultBlockSize
    /// After reading an archive: the digest of the bytes its members were decoded from. A tar,
    /// compressed or not, and a single compressed member are hashed as they are read, from the
    /// file's start to its end; a zip is hashed whole before libarchive reads it at the offsets its
    /// directory names, and every block it reads is checked against that hash (`BlockCheckedFile`).
    private(set) var readDigest: FileDigest?

    /// Why an archive whose bytes are not those the run hashed is not taken.
    static let changedSinceHashed =
        "the file changed after this run hashed it (replaced or rewritten while the run read it): not taken; the "
        + "next run reads it again"

    public init(limits: UnpackLimits) {
        self.limits = limits
    }

    /// Streams the archive at `url`. `relativePath` decides only whether a compressed non-tar stream is a
    /// single member (`NAME.csv.gz` → `NAME.csv`).
    ///
    /// Throws `ArchiveRejection` for every fault of CONTRACT §3; errors thrown by the visitor propagate
    /// unchanged. The archive is valid only when this returns: a fault found after some members were
    /// delivered (a bad gzip trailer, a second archive appended) still rejects all of it.
    public func read(_ url: URL, relativePath: String, visitor: some ArchiveVisitor) throws {
        try read(FileLocation(url), relativePath: relativePath, visitor: visitor)
    }

    /// `read` of the archive at `location` (named by its path's bytes when it has no string path).
    public func read(_ location: FileLocation, relativePath: String, visitor: some ArchiveVisitor) throws {
        try read(location, relativePath: relativePath, expecting: nil, visitor: visitor)
    }

    /// `read`, and for a zip, whose bytes are all hashed before any is looked at, a rejection
    /// saying the file changed when they are not those of `expected` (the run's digest): not the
    /// fault the other bytes may have, which the run never recorded.
    func read(
        _ location: FileLocation, relativePath: String, expecting expected: FileDigest?, visitor: some ArchiveVisitor
    ) throws {
        consumedBytes = 0
        zipBytes = nil
        zipProduced = 0
        readDigest = nil
        let file: InputFile
        let size: Int64
        let head: [UInt8]
        do {
            file = try InputFile(location)
            size = try file.size()
            head = try file.read(count: ArchiveFormat.sniffLength, at: 0)
        } catch {
            throw ArchiveRejection.corrupt(error.description)
        }
        guard size > 0 else {
            throw ArchiveRejection(reason: .emptyArchive, member: nil, detail: "the file is empty (0 bytes)")
        }
        guard let format = ArchiveFormat.detect(head) else {
            throw ArchiveRejection.corrupt(
                "the content is not a zip, tar, or gzip, xz or bzip2 compressed file (\(size) bytes, "
                    + "starting with \(Self.hexPrefix(head)))")
        }
        let decoder: (any StreamDecoder)?
        switch format {
        case .zip:
            try readZip(file, expecting: expected, visitor: visitor)
            return
        case .tar: decoder = nil
        case .gzip: decoder = try GzipDecoder()
        case .xz: decoder = try XzDecoder()
        case .bzip2: decoder = try Bzip2Decoder()
        }
        let stream = DecodedStream(file: file, decoder: decoder)
        try readStream(stream, relativePath: relativePath, visitor: visitor)
        readDigest = stream.fileDigest
    }

    /// The member of a single compressed file named `relativePath`, or nil when the name does not make one:
    /// the basename minus `.gz`. A `.tar.gz` that holds no tar is corrupt, not a member named `NAME.tar`.
    static func singleMemberName(for relativePath: String) -> String? {
        let basename = relativePath.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        let lowered = basename.lowercased()
        guard lowered.hasSuffix(".gz"), !lowered.hasSuffix(".tar.gz"), basename.utf8.count > 3 else { return nil }
        return String(basename.dropLast(3))
    }

    // MARK: - Formats

    private func readZip(_ file: InputFile, expecting expected: FileDigest?, visitor: some ArchiveVisitor) throws {
        // Hashed whole first, block by block: the layout check and libarchive get only bytes of
        // that pass, whose digest is then the one of the bytes decoded.
        let checked: BlockCheckedFile
        do {
            checked = try BlockCheckedFile(file, blockSize: zipBlockSize)
        } catch {
            throw ArchiveRejection.corrupt(error.description)
        }
        readDigest = checked.digest
        if let expected, checked.digest != expected {
            throw ArchiveRejection.corrupt(Self.changedSinceHashed)
        }
        let entries = try ZipLayout.check(checked, walkLimit: zipWalkLimit)
        guard entries.exist else {
            // No entries: nothing to visit, and the ingest rejects it as holding no data member.
            consumedBytes = checked.size
            return
        }
        let reader = try LibArchiveReader(zipFrom: checked)
        zipBytes = entries.walked ? nil : checked.size
        defer { zipBytes = nil }
        try readEntries(from: reader, visitor: visitor) { entry in
            let dataStart = reader.position
            // For a zip entry, its own compressed size (CONTRACT §3), from the central directory: a member
            // whose first MiB is zeros and whose whole is not is not a bomb. Else (a name listed twice, sizes
            // that overlap) what libarchive consumed from the file since the header, as in a tar.
            let ownSize = entries.compressedSizes[entry.path]
            return { _ in
                let consumed = reader.position - dataStart
                return ownSize.map { max($0, consumed) } ?? consumed
            }
        } progress: {
            reader.position
        }
        consumedBytes = checked.size
    }

    private func readStream(_ stream: DecodedStream, relativePath: String, visitor: some ArchiveVisitor) throws {
        let first = try stream.peek()
        // A compressed stream that starts with zeros is an empty tar, unless its name makes it one member
        // (a .csv.gz of zeros is a member of zeros, held to the limits like any other).
        let singleName = Self.singleMemberName(for: relativePath)
        if !ArchiveFormat.isTarHeader(first, orEndMarker: singleName == nil) {
            guard let singleName else {
                // Damaged data decodes to garbage before its check fails (a bzip2 block is checked only after
                // all of it came out): look a little further for the damage, and report that.
                var decoded: Int64 = 0
                while decoded < 8 << 20 {
                    let block = try stream.next()
                    if block.isEmpty { break }
                    decoded += Int64(block.count)
                }
                throw ArchiveRejection.corrupt("the compressed data does not hold a tar archive")
            }
            try readSingleMember(singleName, from: stream, visitor: visitor)
            return
        }
        let reader = try LibArchiveReader(tarFrom: stream)
        var headerStart: Int64 = 0
        try readEntries(from: reader, visitor: visitor) { _ in
            // The compressed bytes behind the decoded range since this member's header.
            let rawAtHeader = stream.rawOffset(atDecoded: headerStart)
            let dataStart = reader.position
            return { dataBytes in stream.rawOffset(atDecoded: dataStart + dataBytes) - rawAtHeader }
        } progress: {
            stream.rawConsumed
        } beforeHeader: {
            headerStart = reader.position
        }
        // libarchive stops at the end-of-archive marker, or (accepting it silently) at a stream that ends on
        // a block boundary: that tar is truncated or unfinished.
        let end = reader.position
        guard end > headerStart else {
            throw ArchiveRejection.corrupt(
                "the tar has no end-of-archive marker: it is truncated after \(end) bytes"
                    + (stream.isCompressed ? " (decompressed)" : ""))
        }
        // Everything from the marker on must be zero, the marker's blocks included: some libarchive versions
        // consume the block after the first zero block without looking at it.
        try stream.requireZeros(from: headerStart) { (zeros: Int64, compressed: Int64) throws(ArchiveRejection) in
            consumedBytes = stream.rawConsumed
            // Padding is not a member, which the limits are for (CONTRACT §3: any zeros may follow the
            // marker), and packs as well as zeros do: not held to the ratio (a tar written with a large
            // blocking factor was refused). Zeros without end would still keep a run decoding for
            // hours: they are held to the largest member's size, which no record padding nears.
            if zeros > limits.maxMemberBytes {
                throw ArchiveRejection(
                    reason: .memberTooLarge, member: nil,
                    detail: "more than \(limits.maxMemberBytes) zero bytes follow the tar end-of-archive marker "
                        + "(stopped after \(zeros), from \(compressed) compressed bytes): padding is held to "
                        + "limits.max_member_bytes")
            }
        }
        // Past the members, at least the marker's first block; then any number of zeros (CONTRACT §3): a
        // whole number of blocks or not, the marker's second block there or not (GNU tar reads a lone zero
        // block with a warning). No member can be lost past a zero block, which no header is.
        guard stream.deliveredBytes - headerStart >= 512 else {
            throw ArchiveRejection.corrupt(
                "the tar has no end-of-archive marker: only \(stream.deliveredBytes - headerStart) zero bytes "
                    + "follow its last member, not a 512-byte block (truncated?)")
        }
        consumedBytes = stream.rawConsumed
    }

    private func readSingleMember(_ name: String, from stream: DecodedStream, visitor: some ArchiveVisitor) throws {
        let header = MemberHeader(path: name, declaredSize: nil)
        var member = MemberProgress(header: header, wanted: try visitor.begin(member: header))
        while true {
            let block = try rethrowNaming(name) { try stream.next() }
            if block.isEmpty { break }
            try deliver(block, to: &member, visitor: visitor, compressed: stream.rawConsumed)
            consumedBytes = stream.rawConsumed
        }
        try visitor.end(member: header)
    }

    // MARK: - Members

    /// The state of the regular member being read.
    private struct MemberProgress {
        var header: MemberHeader
        var wanted: Bool
        /// Uncompressed bytes produced (holes of a sparse member included).
        var produced: Int64 = 0
    }

    /// Reads every entry of `reader`. `atHeader` is called right after each regular member's header, with
    /// its entry, and returns the compressed side of the member's ratio from its data bytes read.
    private func readEntries(
        from reader: LibArchiveReader, visitor: some ArchiveVisitor,
        atHeader: (LibArchiveReader.Entry) -> (Int64) -> Int64, progress: () -> Int64,
        beforeHeader: () -> Void = {}
    ) throws {
        var seen: Set<String> = []
        while true {
            beforeHeader()
            guard let entry = try reader.nextEntry() else { break }
            let path = MemberPath.normalized(entry.path)
            if let reason = MemberPath.unsafeReason(bytes: entry.pathBytes) {
                throw ArchiveRejection(reason: .unsafeMemberPath, member: entry.path, detail: reason)
            }
            if entry.type == .directory {
                try rethrowNaming(path) { try reader.skipData() }
                continue
            }
            guard seen.insert(MemberPath.fileKey(path)).inserted else {
                throw ArchiveRejection(
                    reason: .duplicateMember, member: path, detail: "two members of the archive have this path")
            }
            switch entry.type {
            case .directory:
                continue
            case .symlink(let target):
                visitor.skipped(member: path, reason: .link, detail: "a symbolic link to '\(target)', skipped")
                try rethrowNaming(path) { try reader.skipData() }
            case .hardlink(let target):
                visitor.skipped(member: path, reason: .link, detail: "a hard link to '\(target)', skipped")
                try rethrowNaming(path) { try reader.skipData() }
            case .device(let kind):
                visitor.skipped(member: path, reason: .device, detail: "\(kind), skipped")
                try rethrowNaming(path) { try reader.skipData() }
            case .unknown(let mode):
                throw ArchiveRejection.corrupt(
                    "an entry of unknown type (mode \(String(mode, radix: 8)))", member: path)
            case .regular:
                try readRegular(entry, path: path, from: reader, visitor: visitor, compressedSince: atHeader(entry))
                consumedBytes = progress()
            }
        }
        consumedBytes = progress()
    }

    private func readRegular(
        _ entry: LibArchiveReader.Entry, path: String, from reader: LibArchiveReader, visitor: some ArchiveVisitor,
        compressedSince: (Int64) -> Int64
    ) throws {
        guard !path.isEmpty else { throw ArchiveRejection.corrupt("a regular member has an empty name") }
        if entry.isEncrypted {
            throw ArchiveRejection.corrupt("the member is encrypted and cannot be read", member: path)
        }
        if let size = entry.declaredSize {
            guard size >= 0 else { throw ArchiveRejection.corrupt("the header gives a negative size", member: path) }
            if size > limits.maxMemberBytes {
                throw ArchiveRejection(
                    reason: .memberTooLarge, member: path,
                    detail: "its header declares \(size) bytes, above the limit of \(limits.maxMemberBytes) bytes")
            }
        }
        let header = MemberHeader(path: path, declaredSize: entry.declaredSize)
        var member = MemberProgress(header: header, wanted: try visitor.begin(member: header))
        var dataBytes: Int64 = 0
        while true {
            let block = try rethrowNaming(path) { try reader.readBlock() }
            if block.offset > member.produced {
                try deliverZeros(count: block.offset - member.produced, to: &member, visitor: visitor) {
                    compressedSince(dataBytes)
                }
            } else if block.offset < member.produced {
                throw ArchiveRejection.corrupt(
                    "data at offset \(block.offset) overlaps the \(member.produced) bytes already read", member: path)
            }
            if block.isEnd { break }
            dataBytes += Int64(block.bytes.count)
            try deliver(block.bytes, to: &member, visitor: visitor, compressed: compressedSince(dataBytes))
        }
        if let size = entry.declaredSize, size != member.produced {
            throw ArchiveRejection.corrupt(
                "the member holds \(member.produced) bytes but its header says \(size)", member: path)
        }
        try visitor.end(member: header)
    }

    /// Applies the limits to one more block, then hands it to the visitor when it wanted the member.
    private func deliver(
        _ bytes: UnsafeRawBufferPointer, to member: inout MemberProgress, visitor: some ArchiveVisitor,
        compressed: @autoclosure () -> Int64
    ) throws {
        guard !bytes.isEmpty else { return }
        member.produced += Int64(bytes.count)
        if member.produced > limits.maxMemberBytes {
            throw ArchiveRejection(
                reason: .memberTooLarge, member: member.header.path,
                detail: "more than \(limits.maxMemberBytes) bytes uncompressed (stopped after \(member.produced))")
        }
        if member.produced > UnpackLimits.ratioCheckThreshold {
            let compressedBytes = compressed()
            if limits.ratioExceeded(uncompressed: member.produced, compressed: compressedBytes) {
                let ratio = compressedBytes > 0 ? "about \(member.produced / compressedBytes)" : "unbounded"
                throw ArchiveRejection(
                    reason: .compressionRatio, member: member.header.path,
                    detail: "compression ratio \(ratio) (\(member.produced) bytes from \(compressedBytes) "
                        + "compressed) exceeds the limit of \(limits.maxCompressionRatio)")
            }
        }
        // The whole zip, after the member (whose own limit, when passed too, is the one to report).
        if let zipBytes {
            zipProduced += Int64(bytes.count)
            if limits.ratioExceeded(uncompressed: zipProduced, compressed: zipBytes) {
                throw ArchiveRejection(
                    reason: .compressionRatio, member: member.header.path,
                    detail: "the zip's members gave \(zipProduced) bytes in all from its \(zipBytes): more than "
                        + "\(limits.maxCompressionRatio) times the file (entries that share their data)")
            }
        }
        if member.wanted { try visitor.consume(bytes) }
    }

    /// The holes of a sparse tar member read as zeros.
    private func deliverZeros(
        count: Int64, to member: inout MemberProgress, visitor: some ArchiveVisitor, compressed: () -> Int64
    ) throws {
        var remaining = count
        try Self.zeros.withUnsafeBytes { zeros in
            while remaining > 0 {
                let chunk = Int(min(remaining, Int64(zeros.count)))
                try deliver(
                    UnsafeRawBufferPointer(rebasing: zeros[0..<chunk]), to: &member, visitor: visitor,
                    compressed: compressed())
                remaining -= Int64(chunk)
            }
        }
    }

    private static let zeros = [UInt8](repeating: 0, count: 64 * 1024)

    /// Runs `body`, naming `member` in a rejection that names none.
    private func rethrowNaming<T>(_ member: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let rejection as ArchiveRejection { throw rejection.naming(member) }
    }

    private static func hexPrefix(_ bytes: [UInt8]) -> String {
        lowercaseHex(bytes.prefix(8), separator: " ")
    }
}
