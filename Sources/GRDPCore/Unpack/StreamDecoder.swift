internal import CCompression

/// One step of a decompressor: how much input it took, how much output it gave, and whether the
/// current compressed stream (one gzip member, one .xz or .bz2 stream) ended, its check verified.
struct DecodeStep {
    var consumed: Int
    var produced: Int
    var streamEnded: Bool
    /// A fault found in this step; the bytes produced before it are still counted.
    var failure: ArchiveRejection?
}

/// A decompressor for one compressed stream at a time; `reset()` prepares it for a following stream.
///
/// We decompress ourselves rather than through libarchive's filters: libarchive 3.6 does not check the
/// gzip CRC/ISIZE trailer, ignores trailing garbage and reads only the first of concatenated gzip members.
/// Each implementation verifies its format's checks (gzip CRC-32 and ISIZE, xz block and stream checks,
/// bzip2 block and stream CRCs) before it reports `streamEnded`.
protocol StreamDecoder: AnyObject {
    /// `gzip`, `xz` or `bzip2`, for messages.
    var name: String { get }
    /// Decodes from `input` into `output` (both non-empty unless `input` is at end of file).
    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, inputAtEnd: Bool)
        -> DecodeStep
    /// Starts over for another concatenated stream.
    func reset() throws(ArchiveRejection)
}

/// gzip through zlib's `inflate` with windowBits 15 + 16: zlib checks the CRC-32 and ISIZE trailer itself.
final class GzipDecoder: StreamDecoder {
    let name = "gzip"
    /// zlib keeps a pointer back to its `z_stream` and refuses a moved one: it lives at a fixed address.
    private let stream: UnsafeMutablePointer<z_stream>

    init() throws(ArchiveRejection) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = grdp_inflate_init2(stream, 15 + 16)
        guard status == Z_OK else {
            stream.deallocate()
            throw .corrupt("gzip: cannot initialise zlib (status \(status))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func reset() throws(ArchiveRejection) {
        let status = inflateReset(stream)
        guard status == Z_OK else { throw .corrupt("gzip: cannot reset zlib (status \(status))") }
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, inputAtEnd: Bool)
        -> DecodeStep
    {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let status = inflate(stream, Z_NO_FLUSH)
        var step = DecodeStep(
            consumed: input.count - Int(stream.pointee.avail_in),
            produced: output.count - Int(stream.pointee.avail_out),
            streamEnded: status == Z_STREAM_END)
        switch status {
        case Z_OK, Z_STREAM_END, Z_BUF_ERROR:  // Z_BUF_ERROR: no progress possible now (the caller decides)
            break
        default:
            let message = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
            step.failure = .corrupt("gzip data is corrupt: \(message)")
        }
        return step
    }
}

/// xz through liblzma's stream decoder, one .xz stream at a time (no `LZMA_CONCATENATED`, so stream padding
/// is refused like any other trailing bytes). An integrity check liblzma cannot verify is an error.
final class XzDecoder: StreamDecoder {
    let name = "xz"
    private let stream: UnsafeMutablePointer<lzma_stream>
    /// Refuse dictionaries beyond this rather than allocate whatever a header asks for.
    private static let memoryLimit: UInt64 = 1 << 30

    init() throws(ArchiveRejection) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: grdp_lzma_stream_init())
        let status = lzma_stream_decoder(stream, Self.memoryLimit, GRDP_LZMA_TELL_UNSUPPORTED_CHECK)
        guard status == LZMA_OK else {
            stream.deallocate()
            throw .corrupt("xz: cannot initialise liblzma (\(Self.describe(status)))")
        }
    }

    deinit {
        lzma_end(stream)
        stream.deallocate()
    }

    func reset() throws(ArchiveRejection) {
        let status = lzma_stream_decoder(stream, Self.memoryLimit, GRDP_LZMA_TELL_UNSUPPORTED_CHECK)
        guard status == LZMA_OK else { throw .corrupt("xz: cannot reset liblzma (\(Self.describe(status)))") }
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, inputAtEnd: Bool)
        -> DecodeStep
    {
        stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_in = input.count
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = output.count
        let status = lzma_code(stream, inputAtEnd ? LZMA_FINISH : LZMA_RUN)
        var step = DecodeStep(
            consumed: input.count - stream.pointee.avail_in,
            produced: output.count - stream.pointee.avail_out,
            streamEnded: status == LZMA_STREAM_END)
        switch status {
        case LZMA_OK, LZMA_STREAM_END, LZMA_BUF_ERROR:
            break
        default:
            step.failure = .corrupt("xz data is corrupt: \(Self.describe(status))")
        }
        return step
    }

    private static func describe(_ status: lzma_ret) -> String {
        switch status {
        case LZMA_DATA_ERROR: "data error (a check or size does not match)"
        case LZMA_FORMAT_ERROR: "not in the .xz format"
        case LZMA_OPTIONS_ERROR: "unsupported options"
        case LZMA_UNSUPPORTED_CHECK: "integrity check of a type that cannot be verified"
        case LZMA_MEM_ERROR: "out of memory"
        case LZMA_MEMLIMIT_ERROR: "needs more than \(memoryLimit >> 20) MiB of memory"
        default: "liblzma status \(status.rawValue)"
        }
    }
}

/// bzip2 through libbz2, one stream at a time; libbz2 checks every block CRC and the stream CRC.
final class Bzip2Decoder: StreamDecoder {
    let name = "bzip2"
    /// libbz2 keeps a pointer back to its `bz_stream` and refuses a moved one.
    private let stream: UnsafeMutablePointer<bz_stream>
    private var initialised = false

    init() throws(ArchiveRejection) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: bz_stream())
        let status = BZ2_bzDecompressInit(stream, 0, 0)
        guard status == BZ_OK else {
            stream.deallocate()
            throw .corrupt("bzip2: cannot initialise libbz2 (status \(status))")
        }
        initialised = true
    }

    deinit {
        if initialised { BZ2_bzDecompressEnd(stream) }
        stream.deallocate()
    }

    func reset() throws(ArchiveRejection) {
        if initialised { BZ2_bzDecompressEnd(stream) }
        initialised = false
        stream.pointee = bz_stream()
        let status = BZ2_bzDecompressInit(stream, 0, 0)
        guard status == BZ_OK else { throw .corrupt("bzip2: cannot reset libbz2 (status \(status))") }
        initialised = true
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, inputAtEnd: Bool)
        -> DecodeStep
    {
        stream.pointee.next_in = UnsafeMutablePointer(
            mutating: input.baseAddress?.assumingMemoryBound(to: CChar.self))
        stream.pointee.avail_in = UInt32(input.count)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: CChar.self)
        stream.pointee.avail_out = UInt32(output.count)
        let status = BZ2_bzDecompress(stream)
        var step = DecodeStep(
            consumed: input.count - Int(stream.pointee.avail_in),
            produced: output.count - Int(stream.pointee.avail_out),
            streamEnded: status == BZ_STREAM_END)
        switch status {
        case BZ_OK, BZ_STREAM_END:
            break
        case BZ_DATA_ERROR_MAGIC:
            step.failure = .corrupt("bzip2 data is corrupt: not a bzip2 stream")
        case BZ_DATA_ERROR:
            step.failure = .corrupt("bzip2 data is corrupt: a CRC does not match or the data is damaged")
        default:
            step.failure = .corrupt("bzip2 data is corrupt: libbz2 status \(status)")
        }
        return step
    }
}
