/// The archives of `inputs.returns`, listed and hashed, before any is decompressed.
public struct ScannedInputs: Sendable {
    public var scan: ReturnsScan
    /// SHA-256 and size of each of `scan.archives`, in order; nil when it could not be read (reading
    /// it again rejects it, naming the error).
    public var archiveDigests: [FileDigest?]
    /// The same for `scan.excluded`.
    public var excludedDigests: [FileDigest?]
    /// Time spent listing and hashing.
    public var seconds: Double
    /// The digests to remember for the next run (`ArchiveDigestMemo`), when the scan was given a
    /// memo: every file hashed or remembered by this one.
    var digestMemo: ArchiveDigestMemo?
    /// How many of the files' digests came from the memo, not hashed again.
    var digestsRemembered = 0

    /// The size of every archive to read, in bytes (progress, the ledger's starting size).
    public var archiveBytes: Int64 { scan.archives.reduce(0) { $0 + $1.bytes } }

    /// A SHA-256 over everything a run's snapshot and report depend on: the build
    /// (`BuildIdentity`), the config's settings that change the figures
    /// (`PipelineConfig.figuresSHA256`: not a comment, nor the outputs, which a run up to date
    /// writes as configured), and every file of the returns folder — each archive's path, SHA-256,
    /// size and `.sha256` sidecar digest, the excluded archives, the ignored names; and the entries
    /// of `inputs.exclude` that name no file, which the report lists (`exclude_not_found`). Same
    /// fingerprint, same figures: grdp is deterministic (CONTRACT §6). Nil when an archive could
    /// not be hashed.
    public func fingerprint(build: String, figuresSHA256: String) -> String? {
        var serializer = ContentHash.Serializer()
        serializer.string("grdp-inputs-v2")
        serializer.string(build)
        serializer.string(figuresSHA256)
        serializer.count(scan.archives.count)
        for (archive, digest) in zip(scan.archives, archiveDigests) {
            guard let digest else { return nil }
            serializer.string(archive.relativePath)
            serializer.string(digest.hex)
            serializer.count(Int(digest.bytes))
            serializer.string(
                archive.sidecarProblem.map { "sidecar unusable " + $0 }
                    ?? archive.expectedSHA256.map { "sidecar " + $0 } ?? "no sidecar")
        }
        serializer.count(scan.excluded.count)
        for (path, digest) in zip(scan.excluded, excludedDigests) {
            serializer.string(path)
            serializer.string(digest?.hex ?? "unreadable")
        }
        serializer.count(scan.ignoredFiles.count)
        for name in scan.ignoredFiles { serializer.string(name) }
        serializer.count(scan.unmatchedExcludes.count)
        for entry in scan.unmatchedExcludes { serializer.string(entry) }
        return serializer.finish()
    }
}
