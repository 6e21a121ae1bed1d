/// Text from the network (a discovery record's `id` or `region`, a probe's reply line, an error
/// that quotes a server) made safe to print on a terminal or in a log line.
///
/// A hostile DNS server or entry node could otherwise send escape sequences that move the cursor,
/// clear the screen or recolour text, or a newline that fakes a row of the peer table. Control
/// characters (C0, DEL, C1), line and paragraph separators and the bidirectional overrides are
/// written as escapes (`\x1b`, `\u{202e}`), and a backslash as `\\`, so the escaped text is
/// unambiguous. JSON output does not need this: JSONEncoder escapes control characters itself.
public enum TerminalText {
    public static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x5C:
                out.append(contentsOf: "\\\\".unicodeScalars)
            case 0x00..<0x20, 0x7F:
                out.append(contentsOf: ("\\x" + hex(v, digits: 2)).unicodeScalars)
            case 0x80..<0xA0, 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069, 0xFEFF:
                out.append(contentsOf: ("\\u{" + hex(v, digits: 4) + "}").unicodeScalars)
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func hex(_ v: UInt32, digits: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}
