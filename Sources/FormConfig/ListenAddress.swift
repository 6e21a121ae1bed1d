import DNSWire

/// An address to listen on: `127.0.0.1:5300`, `[::1]:5300`, or a bare address (port 53).
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(parsing text: String) {
        guard let (host, port) = HostPortText.parse(text, defaultPort: 53) else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
