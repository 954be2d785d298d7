/// A rejected archive: the reason code of CONTRACT §3, the member (nil when the fault is not about one)
/// and a detail sentence that carries the underlying libarchive, zlib, liblzma or libbz2 message.
///
/// An archive is rejected as a whole: nothing read from it before the fault counts.
public struct ArchiveRejection: Error, Sendable, CustomStringConvertible, Codable {
    public var reason: ReasonCode
    public var member: String?
    public var detail: String
    /// The kind `member` was read as, when a data member's header was refused (`header-error`):
    /// what the `inputs.kinds` patterns made of it.
    public var memberKind: RecordKind?

    public init(reason: ReasonCode, member: String?, detail: String, memberKind: RecordKind? = nil) {
        self.reason = reason
        self.member = member
        self.detail = detail
        self.memberKind = memberKind
    }

    /// `member 'data/x.csv': Truncated tar archive [corrupt-archive]`.
    public var description: String {
        let prefix = member.map { "member '\($0)': " } ?? ""
        return "\(prefix)\(detail) [\(reason.rawValue)]"
    }

    static func corrupt(_ detail: String, member: String? = nil) -> ArchiveRejection {
        ArchiveRejection(reason: .corruptArchive, member: member, detail: detail)
    }

    /// The same rejection, naming `member` when it names none yet.
    func naming(_ member: String?) -> ArchiveRejection {
        var copy = self
        if copy.member == nil { copy.member = member }
        return copy
    }
}
