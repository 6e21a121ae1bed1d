import DNSWire
import Foundation
import NetAddress

/// Which servers the stub asks and how patiently (resolv.conf(5) semantics).
public struct ResolverConfiguration: Sendable {
    public var servers: [Endpoint]
    /// Seconds to wait for one server on the first round; doubles each round (backoff).
    public var timeout: Double = 2
    /// Rounds over the server list.
    public var attempts: Int = 2
    /// Spread first tries across servers instead of preferring the best one.
    public var rotate = false
    /// Optional EDNS Client Subnet to send (RFC 7871), e.g. when the node knows its public prefix.
    public var clientSubnet: ClientSubnet? = nil
    /// Ask for DNSSEC records (DO) and unvalidated data (CD): set when the caller validates.
    public var dnssec = false
    /// DNS over TLS or HTTPS resolvers: asked when UDP/TCP 53 fails for want of a path (blocked),
    /// or only them with `encryptedOnly` (a network that must not see the name).
    public var encrypted: [EncryptedServer] = []
    public var encryptedOnly = false
    /// What their certificates must satisfy.
    public var trust = EncryptedDNSTrust()

    public init(
        servers: [Endpoint], timeout: Double = 2, attempts: Int = 2, rotate: Bool = false,
        clientSubnet: ClientSubnet? = nil
    ) {
        self.servers = servers
        self.timeout = timeout
        self.attempts = attempts
        self.rotate = rotate
        self.clientSubnet = clientSubnet
    }

    /// Parses resolv.conf text: `nameserver` lines (up to 3, as glibc), `options timeout:N attempts:N rotate`.
    public static func parse(resolvConf text: String) -> ResolverConfiguration {
        var config = ResolverConfiguration(servers: [], timeout: 5, attempts: 2)
        for raw in text.split(separator: "\n") {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first else { continue }
            switch keyword {
            case "nameserver":
                // A link-local server keeps its zone index (fe80::1%eth0): the socket is scoped to it.
                if words.count >= 2, config.servers.count < 3,
                    let e = Endpoint(parsing: words[1], defaultPort: 53, allowingZone: true)
                {
                    config.servers.append(e)
                }
            case "options":
                for option in words.dropFirst() {
                    if option.hasPrefix("timeout:"), let n = Double(option.dropFirst(8)) {
                        config.timeout = min(max(n, 0.1), 30)
                    }
                    if option.hasPrefix("attempts:"), let n = Int(option.dropFirst(9)) {
                        config.attempts = min(max(n, 1), 5)
                    }
                    if option == "rotate" { config.rotate = true }
                }
            default:
                continue
            }
        }
        return config
    }

    /// systemd-resolved's stub listeners (127.0.0.53 with search domains, 127.0.0.54 without).
    public static let resolvedStubs: Set<String> = ["127.0.0.53", "127.0.0.54"]

    /// The system's resolvers: `path` (resolv.conf), and when it points at systemd-resolved's stub,
    /// the real upstreams resolved lists in `resolvedPath` too. The stub is asked first, as every
    /// other program on the machine asks it; its upstreams come after, so a stub that is down or
    /// broken costs one timeout rather than the join. With `preferUpstreams` (a validating caller:
    /// the stub may drop DNSSEC records) the upstreams come first.
    public static func system(
        path: String = "/etc/resolv.conf", resolvedPath: String = "/run/systemd/resolve/resolv.conf",
        preferUpstreams: Bool = false
    ) -> ResolverConfiguration {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var c = parse(resolvConf: text)
        // resolv.conf(5): with no nameserver line, the local machine is used.
        if c.servers.isEmpty { c.servers = [Endpoint(host: "127.0.0.1", port: 53)] }
        if c.servers.contains(where: { resolvedStubs.contains($0.host) && $0.port == 53 }),
            let upstream = try? String(contentsOfFile: resolvedPath, encoding: .utf8)
        {
            let upstreams = parse(resolvConf: upstream).servers.filter { !resolvedStubs.contains($0.host) }
            let stubs = c.servers.filter { !upstreams.contains($0) }
            c.servers = preferUpstreams ? upstreams + stubs : stubs + upstreams
        }
        return c
    }
}
