/// The header of one regular archive member, as `ArchiveReader` hands it to an `ArchiveVisitor`.
public struct MemberHeader: Sendable, Hashable {
    /// The member path with any leading `./` removed (CONTRACT §3).
    public var path: String
    /// The size the archive header declares, when it declares one (a `.csv.gz` does not).
    public var declaredSize: Int64?

    public init(path: String, declaredSize: Int64?) {
        self.path = path
        self.declaredSize = declaredSize
    }
}

/// Receives the members of one archive from `ArchiveReader.read(_:relativePath:visitor:)`.
///
/// The reader calls `begin`, then `consume` for each block (only when `begin` returned true), then `end`,
/// for every regular member in stored order. Every regular member's data is read through even when the
/// visitor declined it, because the limits of CONTRACT §3 apply to all of them.
///
/// Nothing a visitor receives counts until `read` returns without throwing: the archive may still be
/// rejected after the last `end` (a CRC in the compressed trailer, bytes after the tar end marker).
public protocol ArchiveVisitor: AnyObject {
    /// A regular member starts. Return true to receive its bytes.
    func begin(member: MemberHeader) throws -> Bool
    /// The next block of the current member (valid only during the call; at most one block, never a whole member).
    func consume(_ bytes: UnsafeRawBufferPointer) throws
    /// The current member's data is complete and matched its header.
    func end(member: MemberHeader) throws
    /// Symlinks, hardlinks, devices, fifos and sockets: skipped and noted (reason `.link` or `.device`).
    func skipped(member: String, reason: ReasonCode, detail: String)
}
