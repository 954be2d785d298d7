extension ArchiveCandidate {
    /// The archive's SHA-256 (lowercase hex) and size, checked against its `.sha256` sidecar when it has one.
    ///
    /// Throws `ArchiveRejection` (`corrupt-archive`) on a mismatch (CONTRACT §3), and when the file cannot
    /// be read.
    public func verifiedDigest() throws -> FileDigest {
        let digest: FileDigest
        do {
            digest = try FileDigest.sha256(of: url)
        } catch {
            throw ArchiveRejection.corrupt("cannot read the archive: \(error)")
        }
        try checkSidecar(digest.hex)
        return digest
    }

    /// Throws `corrupt-archive` when a `.sha256` sidecar names another digest than `hex`.
    public func checkSidecar(_ hex: String) throws {
        if let sidecarProblem {
            throw ArchiveRejection.corrupt(
                "its .sha256 is \(sidecarProblem), not a file to read: the archive cannot be checked against it")
        }
        if let expected = expectedSHA256, expected != hex {
            let isDigest = expected.isSHA256Hex
            let shown =
                expected.isEmpty
                ? "an empty .sha256 file"
                : isDigest
                    ? "'\(expected)' in its .sha256 file"
                    : "its .sha256 file, whose first word '\(expected)' is not a SHA-256 (64 hex digits)"
            throw ArchiveRejection.corrupt("SHA-256 \(hex) does not match \(shown)")
        }
    }
}
