import Yams

extension ConfigNode {
    /// The node as block-style YAML that reads back to the same node (`ConfigDocument(parsing:)`):
    /// what a stored configuration version and `versions export` hold. Scalars keep their
    /// readings: a number stays plain, a string that would read as something else (`"2"`, `"yes"`,
    /// `"::1"`) is double-quoted, and multi-line text (a zone's `content`) is a literal block.
    public var yaml: String {
        var out = ""
        Self.emit(self, indent: 0, into: &out, inline: false)
        return out
    }

    /// Writes `node`; `inline` when it follows a `- ` or `key: ` already on the current line.
    private static func emit(_ node: ConfigNode, indent: Int, into out: inout String, inline: Bool) {
        let pad = String(repeating: " ", count: indent)
        switch node.content {
        case .scalar(let s):
            out += (inline ? " " : pad) + scalarText(s, indent: indent) + "\n"
        case .list(let items) where items.isEmpty:
            out += (inline ? " " : pad) + "[]\n"
        case .mapping(let entries) where entries.isEmpty:
            out += (inline ? " " : pad) + "{}\n"
        case .list(let items):
            if inline { out += "\n" }
            for item in items {
                out += pad + "-"
                if case .mapping(let entries) = item.content, !entries.isEmpty {
                    // "- first: x" then the other keys under it, two columns in.
                    emitEntries(entries, indent: indent + 2, into: &out, firstInline: true)
                } else {
                    emit(item, indent: indent + 2, into: &out, inline: true)
                }
            }
        case .mapping(let entries):
            if inline { out += "\n" }
            emitEntries(entries, indent: indent, into: &out, firstInline: false)
        }
    }

    private static func emitEntries(_ entries: [ConfigEntry], indent: Int, into out: inout String, firstInline: Bool) {
        let pad = String(repeating: " ", count: indent)
        for (i, entry) in entries.enumerated() {
            out += (i == 0 && firstInline ? " " : pad) + keyText(entry.key) + ":"
            emit(entry.value, indent: indent + 2, into: &out, inline: true)
        }
    }

    static func keyText(_ key: String) -> String {
        isPlainString(key) ? key : quoted(key)
    }

    static func scalarText(_ s: ConfigScalar, indent: Int) -> String {
        if s.isNull { return "null" }
        if s.integer != nil || s.number != nil || s.boolean != nil { return s.text }
        if s.text.contains("\n"), let block = literalBlock(s.text, indent: indent) { return block }
        return isPlainString(s.text) ? s.text : quoted(s.text)
    }

    /// Text YAML reads back as this same string when written without quotes.
    static func isPlainString(_ text: String) -> Bool {
        guard plainCharactersASCII(text) ?? plainCharacters(text) else { return false }
        // "yes", "null", "1e3", "0x1f", ".inf": YAML would read these as something else. Only text
        // that starts like a number or is one of YAML 1.1's words can; the rest is surely a string.
        let words: Set<String> = ["y", "yes", "n", "no", "true", "false", "on", "off", "null", "nan", "inf"]
        let startsWithDigit = text.utf8.first.map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false
        guard startsWithDigit || (text.utf8.count <= 5 && words.contains(text.lowercased())) else { return true }
        // No number has two dots (an address, "127.0.0.1:53"): no need to ask the YAML reader.
        if text.utf8.lazy.filter({ $0 == UInt8(ascii: ".") }).count >= 2 { return true }
        let resolved = Node(text)
        // ConfigDocument.integer, not `resolved.int`: Yams's base-60 reading traps on a large one.
        return ConfigDocument.integer(resolved) == nil && resolved.float == nil && resolved.bool == nil
            && resolved.null == nil
    }

    /// Whether `text` has only the characters a plain scalar may: a letter or digit first, then
    /// letters, digits, `._-/@+` and `:` (not last; a space never follows it, as none is allowed).
    private static func plainCharacters(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first)
        else { return false }
        return text.unicodeScalars.allSatisfy { c in
            c.properties.isAlphabetic || ("0"..."9").contains(c) || "._-/@+".unicodeScalars.contains(c)
                || (c == ":" && !text.hasSuffix(":"))
        }
    }

    /// `plainCharacters` for ASCII text, a byte at a time (most keys and values); nil for other text.
    private static func plainCharactersASCII(_ text: String) -> Bool? {
        let utf8 = text.utf8
        return utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
            guard let first = bytes.first else { return false }
            func alphanumeric(_ b: UInt8) -> Bool {
                (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z")
                    || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
            }
            guard first < 0x80 else { return nil }
            guard alphanumeric(first) else { return false }
            for (i, b) in bytes.enumerated() {
                if b >= 0x80 { return nil }
                switch b {
                case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "@"),
                    UInt8(ascii: "+"):
                    continue
                case UInt8(ascii: ":"):
                    if i == bytes.count - 1 { return false }
                default:
                    if !alphanumeric(b) { return false }
                }
            }
            return true
        } ?? nil
    }

    /// A double-quoted scalar: YAML's double-quoted escapes include JSON's.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for c in text.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if c.value < 0x20 || c.value == 0x7F || (0x80..<0xA0).contains(c.value) {
                    out += "\\x" + String(c.value, radix: 16).leftPadded(to: 2)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out + "\""
    }

    /// `|N` (with `-` or `+` chomping so the ending newlines are exact), or nil when the text has
    /// characters a literal block cannot hold.
    static func literalBlock(_ text: String, indent: Int) -> String? {
        // Tabs and newlines, and nothing else below space nor DEL (so no CR): a byte scan, as every
        // byte of a multi-byte character is 0x80 or above.
        let printable = text.utf8.allSatisfy { b in
            b == UInt8(ascii: "\n") || b == UInt8(ascii: "\t") || (b >= 0x20 && b != 0x7F)
        }
        guard printable else { return nil }
        let chomp: String
        var body = Substring(text)
        if text.hasSuffix("\n\n") || text == "\n" {
            chomp = "+"
            body.removeLast()
        } else if text.hasSuffix("\n") {
            chomp = ""
            body.removeLast()
        } else {
            chomp = "-"
        }
        let pad = String(repeating: " ", count: indent)
        // The indentation indicator: the first line may itself start with spaces.
        var out = "|2\(chomp)"
        out.reserveCapacity(text.utf8.count * 2)
        for line in body.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            out += "\n"
            if !line.isEmpty {
                out += pad
                out += Substring(line)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
