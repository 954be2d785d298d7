internal import Foundation

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

extension ArchiveCache {
    /// One archive's cache entry while the archive is read: a `.grdp-*.tmp` in the cache folder,
    /// opened at the archive's start, to which each transaction member's batch writes its rows a
    /// chunk at a time as Normalize appends them (`TransactionBatch.writeBuiltRows`), checksummed on the
    /// way. At the archive's end `finish` appends the head and the checksums, maps the file and
    /// renames it into place, and the batches read their rows from the mapping, as those of an
    /// entry loaded from the cache do. So an archive's rows wait on disk rather than in memory
    /// until the revision ledger takes them: at 10 M transactions the largest archive's were
    /// 120 MB, held twice over with two readers.
    ///
    /// A write that fails (a full disk, a file-size limit) stops the entry: the rows written are
    /// read back (`readBack`), the archive goes on in memory as without a cache, and the temporary
    /// is removed (`discard`); only the time the entry would have saved is lost. The entry is
    /// renamed into place only once complete; a rejected archive's temporary is removed at once,
    /// and a killed run's by the next run's sweep of `cache/archives`.
    ///
    /// Used by the one thread that reads the archive, never shared.
    final class EntryWriter {
        /// Where the complete entry goes.
        let url: URL
        /// What its head records it is of (`ArchiveCache.head`).
        let identity: ArchiveCache.Identity
        let temporaryPath: String
        /// Open while the entry is written and until it is mapped; -1 once closed.
        private var descriptor: Int32
        private var checksum = ByteChecksum()
        /// Bytes written so far: the rows of the members read, in member order.
        private(set) var written = 0
        /// The first thing that failed (a write, the mapping, the rename), for the log: from then on
        /// nothing more is written.
        private(set) var failure: OutputWriteError?
        /// Until it is renamed into place or removed.
        private var temporaryExists = true
        /// The quarantine section as it is written (`QuarantineRows`: every member's rows, in member
        /// order), which goes after the head's texts at `finish`: its last bytes in memory, the rest
        /// in a second temporary beside the entry once they pass `quarantineSpillBytes`. So an
        /// archive with millions of bad rows holds a MiB of them, not all: at 10 M transactions,
        /// half of them bad, a run held 1.7 GB before it wrote them here.
        private var quarantinePending: [UInt8] = []
        private var quarantineSpill: (descriptor: Int32, path: String)?
        private var quarantineSpilled = 0
        /// Bytes of the quarantine section so far.
        var quarantineBytes: Int { quarantineSpilled + quarantinePending.count }
        /// Where the quarantine section starts in the entry, once `finish` wrote it.
        private(set) var quarantineSectionOffset: Int?

        /// Quarantine bytes held before they go to the spill file.
        static let quarantineSpillBytes = 1 << 20

        /// The rows written before a failure could not be read back: the archive must be read again.
        struct RowsLost: Error {}

        /// Creates the temporary (and the cache folder when missing).
        init(cache: ArchiveCache, relativePath: String, digest: FileDigest) throws(OutputWriteError) {
            url = cache.folder.appendingPathComponent(cache.fileName(relativePath: relativePath, digest: digest))
            identity = cache.identity(relativePath: relativePath, digest: digest)
            try FileSystem.makeDirectories(cache.folder.path)
            temporaryPath = cache.folder.path + "/" + FileSystem.temporaryName()
            descriptor = try FileSystem.createReadWriteFile(at: temporaryPath)
        }

        deinit { discard() }

        /// Whether rows are still written here (no failure, not discarded nor finished).
        var isWriting: Bool { descriptor >= 0 && failure == nil }

        /// Appends `bytes` (whole rows) and returns the offset they start at; nil when the entry is
        /// no longer written or the write failed (`failure` says why; part of them may be in the
        /// file, past what `written` counts).
        func append(_ bytes: UnsafeRawBufferPointer) -> Int? {
            guard isWriting, write(bytes) else { return nil }
            checksum.update(bytes)
            let offset = written
            written += bytes.count
            return offset
        }

        /// Appends `bytes` (whole quarantined rows, `QuarantineRows.Writer`'s) to the quarantine
        /// section; false when the entry is no longer written or the write failed (`failure` says
        /// why).
        func appendQuarantine(_ bytes: UnsafeRawBufferPointer) -> Bool {
            guard isWriting else { return false }
            quarantinePending.append(contentsOf: bytes)
            guard quarantinePending.count >= Self.quarantineSpillBytes else { return true }
            do throws(OutputWriteError) {
                if quarantineSpill == nil { try createSpill() }
                let spill = quarantineSpill!
                try FileSystem.writeAll(quarantinePending, to: spill.descriptor, path: spill.path)
            } catch {
                failure = error
                return false
            }
            quarantineSpilled += quarantinePending.count
            quarantinePending.removeAll(keepingCapacity: true)
            return true
        }

        /// The quarantine section's spill file, beside the entry's temporary (a temporary too, which
        /// the next run's sweep removes should this one be killed).
        private func createSpill() throws(OutputWriteError) {
            let path = (temporaryPath as NSString).deletingLastPathComponent + "/" + FileSystem.temporaryName()
            quarantineSpill = (try FileSystem.createReadWriteFile(at: path), path)
        }

        /// Gives `batch` back the rows it wrote here, read into memory: true when it has them all
        /// again (or wrote none), false when they could not be read.
        func readBack(into batch: inout TransactionBatch) -> Bool {
            let count = batch.rowsInEntry
            guard count > 0 else { return true }
            guard descriptor >= 0 else { return false }
            var complete = false
            let rows = [TransactionBatch.Row](unsafeUninitializedCapacity: count) { buffer, initialized in
                complete = FileSystem.read(
                    descriptor, into: UnsafeMutableRawBufferPointer(buffer), at: batch.entryOffset)
                initialized = complete ? count : 0
            }
            guard complete else { return false }
            batch.takeBack(rows)
            return true
        }

        /// Completes the entry after the rows (`[0–7 zero bytes][head][quarantine section's length]
        /// [quarantine section][head checksum][head offset][checksum of all before]`; the head
        /// checksum covers the head and the section), maps it and renames it into place; returns the
        /// mapping, which the batches then read their rows from. Nil when it could not be completed
        /// or mapped (`failure` says why): the rows are then read back (`readBack`) before
        /// `discard`. A rename that fails leaves the mapping good (the file is unlinked, the mapping
        /// stays): the entry is only not kept.
        ///
        /// `head`: `ArchiveCache.head`, the JSON and the texts; the quarantine section is what
        /// `appendQuarantine` was given.
        func finish(head: [UInt8]) -> MappedFile? {
            guard isWriting else { return nil }
            var headChecksum = ByteChecksum()
            func emit(_ bytes: UnsafeRawBufferPointer, inHead: Bool = true) -> Bool {
                guard write(bytes) else { return false }
                checksum.update(bytes)
                if inHead { headChecksum.update(bytes) }
                written += bytes.count
                return true
            }
            func emit(_ bytes: [UInt8], inHead: Bool = true) -> Bool {
                bytes.withUnsafeBytes { emit($0, inHead: inHead) }
            }
            func emit(_ value: UInt64, inHead: Bool = true) -> Bool {
                withUnsafeBytes(of: value.littleEndian) { emit($0, inHead: inHead) }
            }
            let padding = ArchiveCache.headPadding(after: written)
            let headOffset = written + padding
            guard emit([UInt8](repeating: 0, count: padding), inHead: false), emit(head),
                emit(UInt64(quarantineBytes))
            else { return nil }
            quarantineSectionOffset = written
            if let spill = quarantineSpill {
                // A MiB at a time, as it was written, each given back to the file system once
                // copied: on a nearly full disk, the section is not there twice over.
                var buffer = [UInt8](repeating: 0, count: Self.quarantineSpillBytes)
                var offset = 0
                while offset < quarantineSpilled {
                    let count = min(buffer.count, quarantineSpilled - offset)
                    let read = buffer.withUnsafeMutableBytes {
                        FileSystem.read(
                            spill.descriptor, into: UnsafeMutableRawBufferPointer(rebasing: $0[..<count]), at: offset)
                    }
                    guard read else {
                        failure = OutputWriteError(path: spill.path, operation: "read back", errno: currentErrno())
                        return nil
                    }
                    guard buffer.withUnsafeBytes({ emit(UnsafeRawBufferPointer(rebasing: $0[..<count])) }) else {
                        return nil
                    }
                    FileSystem.releaseBlocks(of: spill.descriptor, offset..<(offset + count))
                    offset += count
                }
                removeSpill()
            }
            guard emit(quarantinePending), emit(headChecksum.bytes, inHead: false),
                emit(UInt64(headOffset), inHead: false), emit(checksum.bytes, inHead: false)
            else { return nil }
            quarantinePending = []
            guard let file = MappedFile(descriptor: descriptor, count: written) else {
                failure = OutputWriteError(path: temporaryPath, operation: "map", errno: currentErrno())
                return nil
            }
            // A file system that reports a failed write only at close (NFS) has not kept the
            // entry, nor perhaps the rows this run would read through the mapping: the archive is
            // read again in memory (with the descriptor closed, `readBack` has nothing to read).
            let closed = close(descriptor)
            descriptor = -1
            guard closed == 0 else {
                failure = OutputWriteError(path: temporaryPath, operation: "close", errno: currentErrno())
                return nil
            }
            do throws(OutputWriteError) {
                try FileSystem.renameReplacing(temporaryPath, to: url.path)
                temporaryExists = false
            } catch {
                failure = error
                discard()
            }
            return file
        }

        /// Closes and removes the temporary, unless it was renamed into place (`finish`).
        func discard() {
            if descriptor >= 0 {
                close(descriptor)
                descriptor = -1
            }
            if temporaryExists {
                FileSystem.removeFile(temporaryPath)
                temporaryExists = false
            }
            removeSpill()
        }

        private func removeSpill() {
            guard let spill = quarantineSpill else { return }
            close(spill.descriptor)
            FileSystem.removeFile(spill.path)
            quarantineSpill = nil
        }

        private func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
            do throws(OutputWriteError) {
                try FileSystem.writeAll(bytes, to: descriptor, path: temporaryPath)
                return true
            } catch {
                failure = error
                return false
            }
        }
    }
}
