/// Escaping for every output format, in one place.
enum Escape {
    /// RFC 4180: quote a field holding `,`, `"`, CR or LF; double the quotes inside.
    static func csv(_ text: String) -> String {
        let needsQuotes = text.utf8.contains { byte in
            byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == 0x0A || byte == 0x0D
        }
        guard needsQuotes else { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(scalar) }
        }
        return quoted + "\""
    }

    /// A JSON string literal (RFC 8259), non-ASCII kept as UTF-8.
    static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Text for HTML element content and attribute values.
    static func html(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than TAB/LF/CR are not allowed in HTML text.
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r" {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A Markdown table cell: Markdown punctuation backslash-escaped, line breaks as spaces.
    /// An underscore inside a word (`district_code`) cannot start emphasis and is left as is.
    static func markdownCell(_ text: String) -> String {
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
            case "\\", "|", "*", "_", "`", "<", ">", "[", "]", "#", "~":
                out += "\\"
                out.unicodeScalars.append(scalar)
            case "\n", "\r":
                out += " "
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
