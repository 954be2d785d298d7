/// What became of the archives a snapshot counted, in the returns folder a run (or `validate`)
/// reads now: gone from it under their path or any other, or at their path with other bytes.
struct ArchivesSinceLatest {
    /// The version that counted them.
    var since: Int
    var gone: [(path: String, sha256: String)]
    /// `sha256` is the file's now.
    var rewritten: [(path: String, sha256: String, countedSHA256: String)]
}
