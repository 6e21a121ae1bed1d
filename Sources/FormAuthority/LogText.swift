/// Text from outside (URIs, request bodies, node reports, DNS data) made safe for one log line or
/// a terminal: control characters, DEL and backslashes are written as escapes (`\n`, `\x1b`), so
/// nobody can end a line early, forge another entry or send terminal escape sequences.
public enum LogText {
    public static func escape(_ text: some StringProtocol, limit: Int = 2048) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out += "..."
                break
            }
            count += 1
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x5C: out += "\\\\"
            case 0x00..<0x20, 0x7F, 0x80..<0xA0, 0x2028, 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += scalar.value < 0x100 ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex : "\\u{\(hex)}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
