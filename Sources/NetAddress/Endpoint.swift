/// A literal IPv4 or IPv6 address and a port: where a server listens, a resolver or a peer is.
/// Parsed from `127.0.0.1:53`, `[::1]:53` or a bare address (then the given default port); kept
/// as text, because that is what sockets, configs and JSON take and print.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible, Codable {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `allowingZone`: an IPv6 address may carry a zone index (`[fe80::1%eth0]:53`), as resolvers
    /// on a link do; servers and peers never need one.
    public init?(parsing text: String, defaultPort: UInt16, allowingZone: Bool = false) {
        guard let (host, port) = HostPortText.parse(text, defaultPort: Int(defaultPort), allowingZone: allowingZone)
        else { return nil }
        self.init(host: host, port: UInt16(port))
    }

    public var isIPv6: Bool { IPAddressText.parseIPv6(HostPortText.splitZone(host)?.address ?? host) != nil }
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
