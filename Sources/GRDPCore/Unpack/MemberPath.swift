/// The member path rules of CONTRACT §3.
enum MemberPath {
    /// `path` with every leading `./` removed.
    static func normalized(_ path: String) -> String {
        var rest = Substring(path)
        while rest.hasPrefix("./") { rest = rest.dropFirst(2) }
        return String(rest)
    }

    /// The file `path` extracts to, for telling duplicates (CONTRACT §3: two members with the same
    /// path): empty and `.` components dropped, so `a//x.csv` and `a/./x.csv` are `a/x.csv`, as
    /// `tar -x` and unzip write them (the later one over the earlier). The member keeps its own
    /// path everywhere else.
    static func fileKey(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }.joined(separator: "/")
    }

    /// Why the member named by `path`'s bytes is unsafe, or nil: absolute (`/`, `\`, a drive letter
    /// such as `C:`) or with a `..` component, splitting on both `/` and `\`, every leading `./`
    /// removed first. The bytes, UTF-8 or not: a code page's `\xC9tats/`, written so, is not absolute.
    static func unsafeReason(bytes path: [UInt8]) -> String? {
        var rest = path[...]
        while rest.starts(with: [UInt8(ascii: "."), UInt8(ascii: "/")]) { rest = rest.dropFirst(2) }
        let bytes = Array(rest)
        if let first = bytes.first, first == UInt8(ascii: "/") || first == UInt8(ascii: "\\") {
            return "the path is absolute"
        }
        if bytes.count >= 2, bytes[1] == UInt8(ascii: ":"),
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bytes[0] & 0xDF)
        {
            return "the path starts with a drive letter"
        }
        let components = bytes.split(
            omittingEmptySubsequences: false, whereSeparator: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") })
        if components.contains(where: { $0.elementsEqual("..".utf8) }) {
            return "the path has a '..' component"
        }
        return nil
    }
}
