import Crypto
import Foundation

/// A file read wherever its reader seeks (a zip, which libarchive reads where its central directory
/// points, not from start to end), every byte given out checked to be the byte that one pass over
/// the whole file hashed. That pass's SHA-256 (`digest`) then names the very bytes decoded, as the
/// hash a tar's `DecodedStream` takes on its way from the first byte to the last does: a run takes
/// an archive only when that digest is the one it recorded for it (`Ingest`).
///
/// The stamp of the file (size and times) cannot say as much. A file rewritten in place after the
/// run hashed it, read, and rewritten back with its times put back before the check that followed
/// the read, had its other bytes' rows taken under the first bytes' digest (an audit did it to a
/// tar; a zip kept that hole until this type).
///
/// The pass keeps the SHA-256 of each `blockSize` block. A block read later is read whole and given
/// out only when its SHA-256 is the one the pass took; the last two blocks checked are held, so that
/// reads within them cost nothing more. A block that differs throws `FileChangedError`: the bytes of
/// the pass are no longer the file's, and no byte that is not theirs is given out.
///
/// Not `Sendable`: one reader at a time.
final class BlockCheckedFile {
    let file: InputFile
    let blockSize: Int
    /// The SHA-256 and size of the whole file as the pass read it, from its first byte to its end.
    let digest: FileDigest
    /// The file's size as the pass read it: what a reader is told, whatever the file grew to since.
    var size: Int64 { digest.bytes }
    private let blockDigests: [SHA256.Digest]
    /// The last two blocks checked, each in its own buffer: a zip header that runs over a block's
    /// end costs no second check of the first block when the reader comes back to it (a crafted
    /// zip could otherwise have each of thousands of entries re-read two whole blocks).
    private var slots: [(buffer: UnsafeMutableRawBufferPointer, index: Int?, count: Int)]
    /// The slot checked last (the other is the older one, reused next).
    private var newest = 0

    /// Block size of the production reader: a zip's central directory and the data of a few
    /// members each, checked at ~1 ms apiece.
    static let defaultBlockSize = 1 << 20

    /// Hashes `file` from its first byte to its end, block by block.
    init(_ file: InputFile, blockSize: Int = defaultBlockSize) throws(InputFileError) {
        precondition(blockSize > 0, "a block holds bytes")
        self.file = file
        self.blockSize = blockSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 16)
        let spare = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 16)
        var whole = SHA256()
        var blocks: [SHA256.Digest] = []
        var total: Int64 = 0
        do {
            while true {
                let count = try file.read(into: buffer, at: total)
                if count == 0 { break }
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                whole.update(bufferPointer: bytes)
                blocks.append(Self.sha256(bytes))
                total += Int64(count)
                if count < blockSize { break }
            }
        } catch {
            buffer.deallocate()
            spare.deallocate()
            throw error
        }
        slots = [(buffer, nil, 0), (spare, nil, 0)]
        blockDigests = blocks
        digest = FileDigest(hex: lowercaseHex(whole.finalize()), bytes: total)
    }

    deinit { for slot in slots { slot.buffer.deallocate() } }

    private static func sha256(_ bytes: UnsafeRawBufferPointer) -> SHA256.Digest {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return hasher.finalize()
    }

    /// A read asked for below the file's first byte: an offset read from a hostile zip (a zip64
    /// record's at 2^63 or more, negative once signed), not a change of the file.
    struct OffsetBeforeStart: Error, CustomStringConvertible {
        let offset: Int64
        var description: String { "an offset before the start of the file (\(offset))" }
    }

    /// The bytes from `offset` to the end of its block, checked; none at or past the end of the
    /// file. Valid until the next call but one. An offset below zero (read from a hostile
    /// directory) throws `OffsetBeforeStart`.
    func bytes(from offset: Int64) throws -> UnsafeRawBufferPointer {
        guard offset >= 0 else { throw OffsetBeforeStart(offset: offset) }
        guard offset < size else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let index = Int(offset / Int64(blockSize))
        let slot: Int
        if let found = slots.indices.first(where: { slots[$0].index == index }) {
            slot = found
        } else {
            // The older slot is reused: the newest may still be the reader's.
            slot = 1 - newest
            slots[slot].index = nil
            let start = Int64(index) * Int64(blockSize)
            let expected = Int(min(Int64(blockSize), size - start))
            let buffer = slots[slot].buffer
            let count = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<expected]), at: start)
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            guard count == expected, Self.sha256(bytes) == blockDigests[index] else {
                throw FileChangedError(
                    url: file.url,
                    detail: "the file changed while this run read it (its bytes \(start)–\(start + Int64(expected)) "
                        + "are not those it hashed): not taken; the next run reads it again")
            }
            slots[slot].index = index
            slots[slot].count = count
        }
        newest = slot
        let within = Int(offset - Int64(index) * Int64(blockSize))
        return UnsafeRawBufferPointer(rebasing: slots[slot].buffer[within..<slots[slot].count])
    }

    /// `count` bytes from `offset`, checked (fewer only at the end of the file).
    func read(count: Int, at offset: Int64) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(0, count))
        var position = offset
        while bytes.count < count {
            let block = try self.bytes(from: position)
            if block.isEmpty { break }
            let taken = min(block.count, count - bytes.count)
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: block[0..<taken]))
            position += Int64(taken)
        }
        return bytes
    }
}
