/// Secrets in configuration text, hidden before the text leaves the process (the API's export,
/// versions and diffs, the audit chain): `management.token`, `update_keys[].secret` and the
/// password in a `fleet.store` URI. The store
/// keeps them (it must re-serve a version); it is private to form-dns (mode 0700), as the file is.
public enum ConfigRedaction {
    public static let secretKeys: Set<String> = ["token", "secret"]
    public static let placeholder = "<redacted>"

    /// `text` with the value of every secret key replaced, line by line (block or flow style).
    public static func redact(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { redact(line: String($0)) }
            .joined(separator: "\n")
    }

    /// One line: `  secret: "abc"` -> `  secret: <redacted>`; `{token: abc, x: 1}` -> `{token: <redacted>, x: 1}`.
    public static func redact(line: String) -> String {
        var out = line
        for key in secretKeys {
            var searchFrom = out.startIndex
            while let range = out.range(of: "\(key):", range: searchFrom..<out.endIndex) {
                // Only a whole key: at the line's start (after indentation, "- ", a diff mark) or after "{" / ", ".
                let before = out[out.startIndex..<range.lowerBound]
                let boundary =
                    before.allSatisfy { " -+\t".contains($0) } || before.hasSuffix("{") || before.hasSuffix(", ")
                    || before.hasSuffix("{ ")
                guard boundary else {
                    searchFrom = range.upperBound
                    continue
                }
                let valueStart = range.upperBound
                let rest = out[valueStart...]
                let end: String.Index
                if rest.contains("{") || before.hasSuffix("{") || before.hasSuffix(", ") || before.hasSuffix("{ ") {
                    end = rest.firstIndex(where: { $0 == "," || $0 == "}" }) ?? out.endIndex
                } else {
                    end = out.endIndex
                }
                let value = out[valueStart..<end].trimmingCharactersInSpaces
                if value.isEmpty {  // a mapping follows on the next lines: nothing on this one
                    searchFrom = range.upperBound
                    continue
                }
                out.replaceSubrange(valueStart..<end, with: " " + placeholder)
                searchFrom = out.index(valueStart, offsetBy: placeholder.count + 1)
            }
        }
        return redactingURIPasswords(out)
    }

    /// `postgresql://user:PASSWORD@host` -> `postgresql://user:<redacted>@host`.
    static func redactingURIPasswords(_ line: String) -> String {
        var out = line
        var searchFrom = out.startIndex
        while let scheme = out.range(of: "://", range: searchFrom..<out.endIndex) {
            let authorityEnd =
                out[scheme.upperBound...].firstIndex(where: { "/ \t\"'?#,}".contains($0) }) ?? out.endIndex
            let authority = scheme.upperBound..<authorityEnd
            if let at = out[authority].lastIndex(of: "@"), let colon = out[scheme.upperBound..<at].firstIndex(of: ":") {
                let password = out.index(after: colon)..<at
                if !password.isEmpty {
                    out.replaceSubrange(password, with: placeholder)
                    searchFrom = out.index(out.index(after: colon), offsetBy: placeholder.count)
                    continue
                }
            }
            searchFrom = scheme.upperBound
        }
        return out
    }
}

extension Substring {
    fileprivate var trimmingCharactersInSpaces: Substring {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
