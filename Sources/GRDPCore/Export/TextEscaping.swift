/// Escaping for every output format, in one place.
public enum Escape {
    /// RFC 4180: quote a field holding `,`, `"`, CR or LF; double the quotes inside. Control
    /// characters other than TAB, CR and LF become U+FFFD (`printable`).
    static func csv(_ text: String) -> String {
        var needsQuotes = false
        var hasControls = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == 0x0A || byte == 0x0D {
                needsQuotes = true
            } else if mayBeUnprintable(byte) {
                hasControls = true
            }
        }
        let text = hasControls ? printable(text) : text
        guard needsQuotes else { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(scalar) }
        }
        return quoted + "\""
    }

    /// A text cell of a CSV export that a spreadsheet would not run as a formula: a cell starting
    /// with `=`, `+`, `-`, `@`, TAB or CR (a member path `=HYPERLINK(…)`, a district code `@SUM(…)`
    /// from a return) gets a leading `'`, as OWASP advises; then RFC 4180 quoting. A cell that
    /// starts with `'` gets one more, so that no two texts come out alike (`-5` and `'-5` were both
    /// `'-5`: two districts under one code; export audit 31, M2) and a reader gets the text back by
    /// taking one `'` off any text cell that starts with one. Only text columns: numbers
    /// (`-8.2279`) are written as they are. JSON, Markdown and HTML keep the text.
    static func csvText(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, "=+-@\t\r'".unicodeScalars.contains(first) else {
            return csv(text)
        }
        return csv("'" + text)
    }

    /// Whether `byte` of UTF-8 may belong to a control character `printable` replaces: C0 but for
    /// TAB, LF and CR, DEL, the lead byte 0xC2 of U+0080–U+00BF (C1 among them), or 0xE2, that of
    /// U+2000–U+2FFF (the bidi controls among them).
    private static func mayBeUnprintable(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D) || byte == 0x7F || byte == 0xC2 || byte == 0xE2
    }

    /// A control character: C0, DEL, C1, or a bidi control (`isBidiControl`). `controls`, for log
    /// lines, writes each out; `printable` replaces each but TAB, LF and CR (`isUnprintable`).
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || isBidiControl(scalar)
    }

    /// A control character `printable` replaces: `isControl`, but TAB, LF and CR.
    private static func isUnprintable(_ scalar: Unicode.Scalar) -> Bool {
        isControl(scalar) && scalar != "\t" && scalar != "\n" && scalar != "\r"
    }

    /// Unicode's explicit directional embeddings, overrides and isolates (U+202A–U+202E,
    /// U+2066–U+2069): one left open in a quarantined value from a return shows the rest of the
    /// line reversed in a terminal or a text viewer, the rest of a CSV row or a log line with it
    /// (export audit 39, L7; "Trojan Source"). No text of a statistical return needs them.
    private static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    /// `text` with its control characters but TAB, LF and CR (C0, DEL, C1, bidi controls) replaced
    /// by U+FFFD, the same in CSV, Markdown and HTML: a district code or a quarantined line from a
    /// return can hold an escape sequence, which would drive the terminal a CSV export is printed
    /// on (stdout is its default), or a NUL, at which many CSV readers stop (export audit 31, M3),
    /// or a right-to-left override. JSON escapes them instead (`\u001b`, `\u202e`), keeping the
    /// text exact; the snapshot keeps it as read.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnprintable) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isUnprintable(scalar) { out += "\u{FFFD}" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// Text for a line of a text log or a terminal, its control characters (C0, DEL, C1, bidi
    /// controls) written out as JSON writes them (`\n`, `\u001b`, `\u202e`…): member and file
    /// names come from the returns, and a name holding a line break forged a log line of its own,
    /// one holding escape sequences drove the terminal, one holding a right-to-left override showed
    /// the rest of the line reversed.
    public static func controls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) { out += escaped(scalar) } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// A JSON string literal (RFC 8259), non-ASCII kept as UTF-8.
    static func json(_ text: String) -> String {
        // Most texts hold nothing to escape: quoted as they are, without going scalar by scalar
        // (half the time of a JSON export of 500,000 quarantined rows). U+2028 and U+2029 begin
        // with the byte 0xE2 in UTF-8, which sends any text holding one the long way.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 != 0xE2 }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{2028}", "\u{2029}": out += escaped(scalar)
            case _ where scalar.value < 0x20 || isBidiControl(scalar): out += escaped(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A character as a JSON string escapes it: `\n`, `\r`, `\t`, `\b`, `\f`, else `\uXXXX`.
    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\u{08}": return "\\b"
        case "\u{0C}": return "\\f"
        default:
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
    }

    /// Text for HTML element content and attribute values.
    static func html(_ text: String) -> String {
        // As for `json`: a text with nothing to replace is itself.
        let plain = text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"):
                false
            default: !mayBeUnprintable(byte)
            }
        }
        if plain { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than TAB/LF/CR are not allowed in HTML text (`printable`).
                if isUnprintable(scalar) { out += "\u{FFFD}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// Whether `text` holds `://` or `www.` (any case), which `markdownCell` escapes: one pass over
    /// its bytes, nothing made (a quarantine export writes a cell per field of 500,000 rows).
    private static func mayAutolink(_ text: String) -> Bool {
        var (a, b, c): (UInt8, UInt8, UInt8) = (0, 0, 0)
        for byte in text.utf8 {
            if byte == UInt8(ascii: "/") && b == UInt8(ascii: ":") && c == UInt8(ascii: "/") { return true }
            // `| 0x20` lowers an ASCII letter; only `W` and `w` give `w`.
            if byte == UInt8(ascii: "."), a | 0x20 == UInt8(ascii: "w"), b | 0x20 == UInt8(ascii: "w"),
                c | 0x20 == UInt8(ascii: "w")
            {
                return true
            }
            (a, b, c) = (b, c, byte)
        }
        return false
    }

    /// A Markdown table cell: Markdown punctuation backslash-escaped (`&` too, which would start
    /// an entity: `A&amp;B` read `A&B`; export audit 31, L1), line breaks as spaces (a table row is
    /// one line), control characters as `printable` makes them. An underscore inside a word
    /// (`district_code`) cannot start emphasis and is left as is. A URL's `://` and a `www.` are
    /// written `\://` and `www\.`, which read the same: GitHub's renderer made a bare URL from a
    /// return a live link (export audit 39, L5; checked with cmark-gfm and markdown-it's linkify).
    /// (An e-mail address still becomes a `mailto:` link there: no escape stops that.)
    static func markdownCell(_ text: String) -> String {
        // As for `json`: a text with nothing to escape is itself.
        let plain = text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: "|"), UInt8(ascii: "*"), UInt8(ascii: "_"), UInt8(ascii: "`"),
                UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "#"),
                UInt8(ascii: "~"), UInt8(ascii: "&"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                false
            default: !mayBeUnprintable(byte)
            }
        }
        if plain && !mayAutolink(text) { return text }
        let scalars = Array(text.unicodeScalars)
        func isWordCharacter(_ index: Int) -> Bool {
            guard scalars.indices.contains(index) else { return false }
            let scalar = scalars[index]
            return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
        }
        var out = ""
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case "_" where isWordCharacter(index - 1) && isWordCharacter(index + 1):
                out.unicodeScalars.append(scalar)
            case "\\", "|", "*", "_", "`", "<", ">", "[", "]", "#", "~", "&":
                out += "\\"
                out.unicodeScalars.append(scalar)
            case ":" where index + 2 < scalars.count && scalars[index + 1] == "/" && scalars[index + 2] == "/":
                out += "\\:"
            case "." where index >= 3 && scalars[(index - 3)..<index].allSatisfy({ $0 == "w" || $0 == "W" }):
                out += "\\."
            case "\n" where index > 0 && scalars[index - 1] == "\r":
                // CRLF is one line break, one space (export audit 39: it was two).
                continue
            case "\n", "\r":
                out += " "
            case _ where isUnprintable(scalar):
                out += "\u{FFFD}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
