/// Why a query over TLS or HTTPS got no answer; each says which server and what it did.
public enum EncryptedDNSError: Error, Equatable, CustomStringConvertible {
    case connect(String, String)
    case handshake(String, String)
    case pinMismatch(String, found: String)
    case noHTTP2(String, String?)
    case http(String, status: Int)
    case notDNS(String, contentType: String)
    case malformed(String, String)
    case closed(String)
    case timeout(String)

    public var description: String {
        switch self {
        case .connect(let s, let why): return "\(s): cannot connect: \(why)"
        case .handshake(let s, let why): return "\(s): TLS handshake failed: \(why)"
        case .pinMismatch(let s, let found):
            return "\(s): the server's key (pin-sha256 \(found)) is not one of the pinned keys"
        case .noHTTP2(let s, let alpn): return "\(s): the server did not agree to HTTP/2 (ALPN \(alpn ?? "none"))"
        case .http(let s, let status): return "\(s): answered HTTP \(status)"
        case .notDNS(let s, let type): return "\(s): answered \(type.prefix(60)), not application/dns-message"
        case .malformed(let s, let why): return "\(s): \(why)"
        case .closed(let s): return "\(s): closed the connection before answering"
        case .timeout(let s): return "\(s): no answer in time"
        }
    }
}
