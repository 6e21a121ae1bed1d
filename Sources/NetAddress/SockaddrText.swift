#if canImport(Glibc)
    import Glibc
#endif

/// A literal IPv4/IPv6 address and a port as the C `sockaddr` that bind(2), connect(2) and
/// sendto(2) take: the one place that fills in `sockaddr_in`/`sockaddr_in6` for the servers, the
/// health checks, the join client and the CLIs.
public enum SockaddrText {
    /// `host` is not a literal IPv4 or IPv6 address. `with` then does not call its body: an
    /// address left all zeros would be 0.0.0.0 (this machine, or every address for bind).
    public struct InvalidAddress: Error, Equatable, CustomStringConvertible {
        public var host: String
        /// Why, when it is not the address itself (an unknown interface in a zone index).
        public var reason: String?
        public init(host: String, reason: String? = nil) {
            self.host = host
            self.reason = reason
        }
        public var description: String { "'\(host)' " + (reason ?? "is not an IPv4 or IPv6 address") }
    }

    /// Calls `body` with `host:port` as a `sockaddr_in6` if `host` has a colon, else a
    /// `sockaddr_in`, and its length. Throws, without calling `body`, if `host` is not a literal
    /// address of that family.
    public static func with<T>(
        host: String, port: UInt16,
        _ body: (UnsafePointer<sockaddr>, socklen_t) -> T
    ) throws(InvalidAddress) -> T {
        if host.contains(":") {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            let (address, zone) = HostPortText.splitZone(host) ?? (host, "")
            guard inet_pton(AF_INET6, address, &a.sin6_addr) == 1 else { throw InvalidAddress(host: host) }
            if !zone.isEmpty {
                // RFC 4007 11.2: the zone is an interface name or its index.
                a.sin6_scope_id = UInt32(zone) ?? if_nametoindex(zone)
                guard a.sin6_scope_id != 0 else { throw InvalidAddress(host: host, reason: "names no interface here") }
            }
            let length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            return withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
            }
        }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &a.sin_addr) == 1 else { throw InvalidAddress(host: host) }
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }
}
