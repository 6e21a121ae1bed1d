import FormAuthority
import Foundation

/// `cookies`: DNS cookies (RFC 7873) with RFC 9018 server cookies.
public struct CookieSettings: Sendable, Equatable {
    public var enabled = true
    /// A file of one or two secrets, 32 hex digits each: the first makes cookies, the second (the
    /// one rotated out) is still accepted. Shared by every authority of a fleet, so a client's
    /// cookie is good at all of them. nil: a random secret of this process's own.
    public var secretFile: String? = nil
    /// The secrets read from `secretFile`: current, then previous.
    public var secrets: [SipHash24] = []

    public init() {}

    /// The secrets in `file`, or why they cannot be used.
    public static func read(file path: String) -> Result<[SipHash24], CookieSecretError> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return .failure(CookieSecretError(message: "cannot read \(path)"))
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard (1...2).contains(lines.count) else {
            return .failure(CookieSecretError(
                message: "\(path) must hold one or two secrets (current, then previous), one per line; it has "
                    + "\(lines.count)"))
        }
        var keys: [SipHash24] = []
        for (i, line) in lines.enumerated() {
            guard let bytes = Self.hex(line), let key = SipHash24(key: bytes) else {
                return .failure(CookieSecretError(
                    message: "\(path): secret \(i + 1) must be 32 hex digits (16 octets, RFC 9018), e.g. from "
                        + "'openssl rand -hex 16'"))
            }
            keys.append(key)
        }
        return .success(keys)
    }

    static func hex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        for k in stride(from: 0, to: digits.count, by: 2) {
            guard let h = UInt8(String(decoding: digits[k..<k + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(h)
        }
        return out
    }
}

public struct CookieSecretError: Error, Sendable {
    public var message: String
}
