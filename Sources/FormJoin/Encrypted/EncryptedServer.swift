import NetAddress

/// A resolver reached over TLS (DNS over TLS, RFC 7858) or HTTPS (DNS over HTTPS, RFC 8484), for
/// networks that block or watch port 53. Written `tls://ADDRESS[:PORT][#NAME]` or
/// `https://ADDRESS[:PORT][/PATH][#NAME]`: a literal address (the join client resolves nothing to
/// reach its resolver), and the name its certificate must carry (also sent as SNI). Without a
/// name the certificate must carry the address.
public struct EncryptedServer: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// DNS over TLS: length-prefixed messages on one TLS connection, ALPN "dot", port 853.
        case tls
        /// DNS over HTTPS: one HTTP/2 POST of application/dns-message per query, ALPN "h2", port 443.
        case https
    }

    public var kind: Kind
    public var endpoint: Endpoint
    public var serverName: String?
    /// The DoH path (POST); unused for DoT.
    public var path: String

    public init(kind: Kind, endpoint: Endpoint, serverName: String? = nil, path: String = "/dns-query") {
        self.kind = kind
        self.endpoint = endpoint
        self.serverName = serverName
        self.path = path
    }

    public var description: String {
        let name = serverName.map { "#\($0)" } ?? ""
        switch kind {
        case .tls: return "tls://\(endpoint)\(name)"
        case .https: return "https://\(endpoint)\(path)\(name)"
        }
    }

    /// The server written as above, or nil (with no guessing: a host name instead of an address, a
    /// path on a tls:// server, a name with characters no certificate carries).
    public static func parse(_ text: String) -> EncryptedServer? {
        let kind: Kind
        var rest: Substring
        if text.hasPrefix("tls://") {
            kind = .tls
            rest = text.dropFirst(6)
        } else if text.hasPrefix("https://") {
            kind = .https
            rest = text.dropFirst(8)
        } else {
            return nil
        }
        var serverName: String? = nil
        if let hash = rest.firstIndex(of: "#") {
            let name = String(rest[rest.index(after: hash)...])
            guard isHostName(name) else { return nil }
            serverName = name
            rest = rest[..<hash]
        }
        var path = "/dns-query"
        // The path starts at the first '/' after the address (an IPv6 address is in brackets).
        let afterAddress = rest.hasPrefix("[") ? rest.firstIndex(of: "]") ?? rest.startIndex : rest.startIndex
        if let slash = rest[afterAddress...].firstIndex(of: "/") {
            guard kind == .https else { return nil }
            path = String(rest[slash...])
            guard path.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "?" && $0 != "#" }) else { return nil }
            rest = rest[..<slash]
        }
        guard let endpoint = Endpoint(parsing: String(rest), defaultPort: kind == .tls ? 853 : 443), endpoint.port != 0
        else { return nil }
        return EncryptedServer(kind: kind, endpoint: endpoint, serverName: serverName, path: path)
    }

    /// A DNS host name as certificates carry them: letters, digits, '-' and '.', at most 253 octets.
    /// An address is not a name: SNI cannot carry one, and without `#NAME` the address is checked.
    static func isHostName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 253 && !name.hasPrefix(".") && !name.hasPrefix("-")
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
            && IPAddressText.parseIPv4(name) == nil
    }
}
