#if canImport(Glibc)
    import Glibc
#endif

/// The management API's bearer token: where it may come from and how it is compared.
///
/// It is read from the config (`management.token`), a file (`management.token_file`, or
/// `--token-file` for the CLI) or `$FORM_DNS_API_TOKEN`, never from a command-line argument (which
/// any local user sees in `ps`). An empty value counts as no token.
public enum ManagementToken {
    public static let minimumLength = 16
    public static let rule = "must be at least \(minimumLength) characters, without spaces or control characters"

    public struct Problem: Error, Sendable {
        public var message: String
    }

    public static func isAcceptable(_ token: String) -> Bool {
        token.utf8.count >= minimumLength && token.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F }
    }

    /// The token in `file` (one line; surrounding whitespace dropped). `what` names it in errors
    /// (a webhook's secret follows the same rules).
    public static func read(file: String, what: String = "token") -> Result<String, Problem> {
        guard let f = fopen(file, "r") else {
            return .failure(Problem(message: "cannot read \(file): \(String(cString: strerror(errno)))"))
        }
        defer { fclose(f) }
        var buffer = [CChar](repeating: 0, count: 4096)
        guard fgets(&buffer, Int32(buffer.count), f) != nil else {
            return .failure(Problem(message: "\(file) is empty"))
        }
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let token = String(line.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0.isWhitespace }.reversed())
        guard isAcceptable(token) else { return .failure(Problem(message: "the \(what) in \(file) \(rule)")) }
        return .success(token)
    }

    /// `$FORM_DNS_API_TOKEN`, nil when unset or empty.
    public static func fromEnvironment() -> String? {
        guard let p = getenv("FORM_DNS_API_TOKEN") else { return nil }
        let value = String(cString: p)
        return value.isEmpty ? nil : value
    }

    /// Compares in time that depends only on the lengths, never on where the first difference is.
    public static func matches(_ presented: some Collection<UInt8>, _ expected: some Collection<UInt8>) -> Bool {
        var difference: UInt8 = presented.count == expected.count ? 0 : 1
        var e = expected.makeIterator()
        for byte in presented {
            let other = e.next() ?? 0
            difference |= byte ^ other
        }
        return difference == 0
    }
}
