import DNSWire

/// One logical entry of a master file: its tokens (parentheses already joined across lines),
/// the line it started on and whether it started with blank space (meaning: same owner as before).
struct MasterFileEntry {
    var tokens: [PresentationToken]
    var line: Int
    var startsWithBlank: Bool
}

/// Splits RFC 1035 section 5.1 master-file text into entries.
///
/// Handles `;` comments, `( ... )` continuation across lines, `"quoted strings"` (which may hold
/// blanks, `;` and parentheses), and backslash escapes (kept in the token for the field parser).
struct MasterFileTokenizer {
    let text: [UInt8]
    let file: String

    init(text: String, file: String) {
        self.text = Array(text.utf8)
        self.file = file
    }

    /// The entries, and the first error that stopped tokenizing (entries before it are still returned,
    /// so their own problems are reported too).
    func entries() -> ([MasterFileEntry], ZoneFileError?) {
        var entries: [MasterFileEntry] = []
        var tokens: [PresentationToken] = []
        var line = 1
        var entryLine = 1
        var startsWithBlank = false
        var atLineStart = true
        var depth = 0
        var openLine = 0
        var i = 0
        let n = text.count

        func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D }

        while i < n {
            let c = text[i]
            if atLineStart {
                atLineStart = false
                if depth == 0 {
                    entryLine = line
                    startsWithBlank = isBlank(c)
                }
            }
            if c == 0x0A {  // newline
                line += 1
                atLineStart = true
                if depth == 0 {
                    if !tokens.isEmpty {
                        entries.append(
                            MasterFileEntry(tokens: tokens, line: entryLine, startsWithBlank: startsWithBlank))
                        tokens = []
                    }
                }
                i += 1
                continue
            }
            if isBlank(c) {
                i += 1
                continue
            }
            if c == UInt8(ascii: ";") {
                while i < n, text[i] != 0x0A { i += 1 }
                continue
            }
            if c == UInt8(ascii: "(") {
                if depth == 0 { openLine = line }
                depth += 1
                i += 1
                continue
            }
            if c == UInt8(ascii: ")") {
                guard depth > 0 else {
                    return (entries, ZoneFileError(file: file, line: line, message: "')' without '('"))
                }
                depth -= 1
                i += 1
                continue
            }
            if c == UInt8(ascii: "\"") {
                var value: [UInt8] = []
                i += 1
                var closed = false
                let quoteLine = line
                while i < n {
                    let d = text[i]
                    if d == UInt8(ascii: "\\"), i + 1 < n {
                        value.append(d)
                        value.append(text[i + 1])
                        if text[i + 1] == 0x0A { line += 1 }
                        i += 2
                        continue
                    }
                    if d == UInt8(ascii: "\"") {
                        closed = true
                        i += 1
                        break
                    }
                    if d == 0x0A { line += 1 }
                    value.append(d)
                    i += 1
                }
                guard closed else {
                    return (entries, ZoneFileError(file: file, line: quoteLine, message: "unterminated quoted string"))
                }
                tokens.append(PresentationToken(String(decoding: value, as: UTF8.self), quoted: true))
                continue
            }
            var value: [UInt8] = []
            while i < n {
                let d = text[i]
                if d == UInt8(ascii: "\\"), i + 1 < n {
                    value.append(d)
                    value.append(text[i + 1])
                    i += 2
                    continue
                }
                if isBlank(d) || d == 0x0A || d == UInt8(ascii: ";") || d == UInt8(ascii: "(")
                    || d == UInt8(ascii: ")") || d == UInt8(ascii: "\"")
                {
                    break
                }
                value.append(d)
                i += 1
            }
            tokens.append(PresentationToken(String(decoding: value, as: UTF8.self)))
        }
        guard depth == 0 else {
            return (entries, ZoneFileError(file: file, line: openLine, message: "'(' is never closed"))
        }
        if !tokens.isEmpty {
            entries.append(MasterFileEntry(tokens: tokens, line: entryLine, startsWithBlank: startsWithBlank))
        }
        return (entries, nil)
    }
}
