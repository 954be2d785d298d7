import Crypto

/// The decompressed bytes of one archive file, handed out in large blocks (to libarchive's read callback,
/// or straight to the visitor for a `.csv.gz`).
///
/// It decodes to the very end of the file: several concatenated compressed streams are one byte stream,
/// every check is verified, a file that ends inside a stream is truncated, and bytes after the last stream
/// that do not form another complete stream (zero padding included) are an error. With no decoder it
/// passes a plain tar through unchanged.
///
/// Blocks alternate between two buffers: libarchive may keep using a block until it asks for the next one,
/// and the two most recent blocks stay readable so that `requireZeros(from:)` can check what libarchive
/// read past the tar end-of-archive marker. Every block but the last is full, so libarchive's small
/// look-ahead never reaches back further than the previous block.
///
/// Not `Sendable`: owned by one `ArchiveReader` call. `deinit` frees the buffers.
final class DecodedStream {
    static let blockSize = 256 * 1024
    static let inputSize = 128 * 1024

    /// Where a delivered block came from: its decoded range and the raw bytes the decoder consumed for it.
    private struct Span {
        var decodedStart: Int64
        var decodedEnd: Int64
        var rawStart: Int64
        var rawEnd: Int64
    }

    private let file: InputFile
    private let decoder: (any StreamDecoder)?
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var fileAtEnd = false
    /// The current compressed stream ended; any further input must be another complete stream.
    private var decoderEnded = false
    private var producedInStream: Int64 = 0
    private var streamCount = 0
    /// The raw offset where the last complete stream ended.
    private var streamEnd: Int64 = 0

    private let buffers: [UnsafeMutableRawBufferPointer]
    /// Index of the buffer most recently handed out (or decoded ahead by `peek`).
    private var current = 1
    /// A block decoded by `peek()` and not yet handed out.
    private var pending: UnsafeRawBufferPointer?
    private var spans: [Span] = []
    private var delivered: [(buffer: Int, start: Int64, count: Int)] = []

    /// Raw (compressed) bytes of the file the decoder has consumed.
    private(set) var rawConsumed: Int64 = 0
    /// Every byte read from the file, in order (the stream reads it once, from its start to its end).
    private var fileHasher = SHA256()
    private var fileBytesRead: Int64 = 0
    private var fileEnded = false
    /// Decoded bytes handed out so far.
    private(set) var deliveredBytes: Int64 = 0
    private(set) var isFinished = false
    /// A fault to raise on the next block (see `fill`).
    private var deferredFailure: ArchiveRejection?
    /// An error met inside libarchive's read callback, which can only return a status.
    var failure: ArchiveRejection?

    init(file: InputFile, decoder: (any StreamDecoder)?) {
        self.file = file
        self.decoder = decoder
        input = .allocate(byteCount: Self.inputSize, alignment: 16)
        buffers = [
            .allocate(byteCount: Self.blockSize, alignment: 16),
            .allocate(byteCount: Self.blockSize, alignment: 16),
        ]
    }

    deinit {
        input.deallocate()
        for buffer in buffers { buffer.deallocate() }
    }

    /// The digest of the bytes read from the file, once it was read to its end: what was decoded
    /// came from exactly these bytes, whatever happened to the file meanwhile. Nil before.
    var fileDigest: FileDigest? {
        guard fileEnded else { return nil }
        return FileDigest(hex: lowercaseHex(fileHasher.finalize()), bytes: fileBytesRead)
    }

    /// Reads the file's next bytes into `buffer`, hashing them.
    private func readFile(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveRejection) -> Int {
        let count: Int
        do { count = try file.read(into: buffer) } catch { throw .corrupt(error.description) }
        fileHasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        fileBytesRead += Int64(count)
        if count < buffer.count { fileEnded = true }
        return count
    }

    /// The first block, decoded ahead without handing it out: `next()` returns it next.
    func peek() throws(ArchiveRejection) -> UnsafeRawBufferPointer {
        if let pending { return pending }
        precondition(deliveredBytes == 0 && delivered.isEmpty, "peek() only before the first block")
        let block = try decodeBlock()
        pending = block
        return block
    }

    /// The next block of decoded bytes; empty at the end of the stream (after every check passed).
    func next() throws(ArchiveRejection) -> UnsafeRawBufferPointer {
        let block: UnsafeRawBufferPointer
        if let pending {
            block = pending
            self.pending = nil
        } else {
            block = try decodeBlock()
        }
        if !block.isEmpty {
            delivered.append((current, deliveredBytes, block.count))
            if delivered.count > 2 { delivered.removeFirst() }  // only two buffers
            deliveredBytes += Int64(block.count)
        }
        return block
    }

    /// The raw file offset that corresponds to `position` in the decoded stream, interpolated within the
    /// block that holds it: the compressed-side measure of a member's ratio (CONTRACT §3).
    func rawOffset(atDecoded position: Int64) -> Int64 {
        guard let newest = spans.last else { return 0 }
        if position >= newest.decodedEnd { return newest.rawEnd }
        for span in spans.reversed() where position >= span.decodedStart {
            let length = span.decodedEnd - span.decodedStart
            guard length > 0 else { return span.rawEnd }
            let part = Int128(span.rawEnd - span.rawStart) * Int128(position - span.decodedStart) / Int128(length)
            return span.rawStart + Int64(part)
        }
        return spans[0].rawStart
    }

    /// Checks that every decoded byte from `position` to the end of the stream is zero, decoding the rest
    /// of the file (and so verifying its checks). After a tar end-of-archive marker only zeros may follow:
    /// a second archive concatenated after the first is refused rather than half read.
    ///
    /// `check` sees the zero bytes after `position` so far and the raw bytes consumed since then, after each
    /// block, so that the caller can stop a bomb of zeros.
    func requireZeros(
        from position: Int64, check: (_ zeros: Int64, _ compressed: Int64) throws(ArchiveRejection) -> Void
    ) throws(ArchiveRejection) {
        let rawAtEnd = rawOffset(atDecoded: position)
        if pending != nil { _ = try next() }
        let handedOut = delivered
        if let oldest = handedOut.first, position < oldest.start {
            throw .corrupt("cannot verify the end of the tar stream at \(offsetName) \(position)")
        }
        for block in handedOut {
            let end = block.start + Int64(block.count)
            guard end > position else { continue }
            let from = Int(max(0, position - block.start))
            let bytes = UnsafeRawBufferPointer(rebasing: buffers[block.buffer][from..<block.count])
            if let offset = Self.firstNonZero(bytes) {
                throw dataAfterEnd(at: block.start + Int64(from + offset), marker: position)
            }
        }
        while true {
            let start = deliveredBytes
            let block = try next()
            if block.isEmpty { return }
            if let offset = Self.firstNonZero(block) {
                throw dataAfterEnd(at: start + Int64(offset), marker: position)
            }
            try check(deliveredBytes - position, rawConsumed - rawAtEnd)
        }
    }

    // MARK: - Decoding

    private func decodeBlock() throws(ArchiveRejection) -> UnsafeRawBufferPointer {
        current = 1 - current
        let buffer = buffers[current]
        let rawBefore = rawConsumed
        let decodedBefore = deliveredBytes + Int64(pending?.count ?? 0)
        let count = try fill(buffer)
        spans.append(
            Span(
                decodedStart: decodedBefore, decodedEnd: decodedBefore + Int64(count),
                rawStart: rawBefore, rawEnd: rawConsumed))
        if spans.count > 8 { spans.removeFirst() }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    /// Fills `block` completely unless the stream ends first; returns the byte count.
    ///
    /// A decoding fault met after some bytes of the block were produced is raised by the next call, once
    /// those bytes are used: it is then reported where the reader actually needs the broken part (a
    /// trailer fault after the tar's last member belongs to no member).
    private func fill(_ block: UnsafeMutableRawBufferPointer) throws(ArchiveRejection) -> Int {
        if let deferredFailure {
            self.deferredFailure = nil
            throw deferredFailure
        }
        if isFinished { return 0 }
        var filled = 0
        do {
            try fill(block, filled: &filled)
        } catch {
            guard filled > 0 else { throw error }
            deferredFailure = error
        }
        return filled
    }

    private func fill(_ block: UnsafeMutableRawBufferPointer, filled: inout Int) throws(ArchiveRejection) {
        guard let decoder else {
            filled = try readFile(into: block)
            rawConsumed += Int64(filled)
            if filled < block.count { isFinished = true }
            return
        }
        var idleSteps = 0
        while filled < block.count {
            if inputStart == inputEnd && !fileAtEnd { try refill() }
            let available = inputEnd - inputStart
            if decoderEnded {
                guard available > 0 else {
                    isFinished = true
                    break
                }
                try decoder.reset()
                decoderEnded = false
                producedInStream = 0
            }
            let atEnd = fileAtEnd && available == 0
            let step = decoder.decode(
                UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]),
                into: UnsafeMutableRawBufferPointer(rebasing: block[filled...]), inputAtEnd: atEnd)
            inputStart += step.consumed
            filled += step.produced
            rawConsumed += Int64(step.consumed)
            producedInStream += Int64(step.produced)
            if let failure = step.failure { throw streamFailure(failure, decoder: decoder) }
            if step.streamEnded {
                decoderEnded = true
                streamEnd = rawConsumed
                streamCount += 1
                continue
            }
            if step.consumed == 0 && step.produced == 0 {
                if atEnd {
                    throw streamFailure(
                        .corrupt(
                            "\(decoder.name) data is truncated: the file ends inside a compressed stream "
                                + "(after \(rawConsumed) bytes)"), decoder: decoder)
                }
                idleSteps += 1
                if idleSteps > 2 { throw .corrupt("\(decoder.name): the decompressor makes no progress") }
            } else {
                idleSteps = 0
            }
        }
    }

    private func refill() throws(ArchiveRejection) {
        let count = try readFile(into: input)
        inputStart = 0
        inputEnd = count
        if count < input.count { fileAtEnd = true }
    }

    /// A decoder error; when it comes right after a complete stream, it is about trailing bytes.
    private func streamFailure(_ error: ArchiveRejection, decoder: any StreamDecoder) -> ArchiveRejection {
        guard streamCount > 0 && producedInStream == 0 else { return error }
        return .corrupt(
            "the \(decoder.name) data ends at byte \(streamEnd) but the file goes on with bytes that are "
                + "not another complete \(decoder.name) stream (\(error.detail))")
    }

    private func dataAfterEnd(at offset: Int64, marker: Int64) -> ArchiveRejection {
        .corrupt(
            "non-zero bytes (at \(offsetName) \(offset)) follow the tar end-of-archive marker (which ends "
                + "at \(marker)): another archive or garbage is appended")
    }

    /// Whether the file is compressed: a plain tar's offsets are the file's own, which messages say.
    var isCompressed: Bool { decoder != nil }

    private var offsetName: String { isCompressed ? "decompressed offset" : "offset" }

    /// The offset of the first non-zero byte, word by word.
    static func firstNonZero(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        var index = 0
        while index + 8 <= count && base.loadUnaligned(fromByteOffset: index, as: UInt64.self) == 0 {
            index += 8
        }
        while index < count {
            if base.load(fromByteOffset: index, as: UInt8.self) != 0 { return index }
            index += 1
        }
        return nil
    }
}
