/// "address:port" text as servers and resolvers are written: `127.0.0.1:5300`, `[::1]:5300`, or a
/// bare address (IPv4 or IPv6, then `defaultPort`). The one parser behind form-dns's `--listen`
/// and form-join's `--resolver` and resolv.conf.
public enum HostPortText {
    /// The address (without brackets) and port, or nil if the address is not a literal IPv4/IPv6
    /// address or the port is not a number in 0...65535.
    ///
    /// With `allowingZone`, an IPv6 address may carry a zone index as resolv.conf writes it
    /// (`fe80::1%eth0`, `[fe80::1%2]:53`): an interface name or number (RFC 4007 11.2), kept in
    /// `host`. A link-local address means nothing without one.
    public static func parse(_ text: String, defaultPort: Int, allowingZone: Bool = false) -> (host: String, port: Int)?
    {
        var host = text
        var port = defaultPort
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()) else { return nil }
                port = p
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            guard let p = Int(text[text.index(after: colon)...]) else { return nil }
            port = p
        }
        guard (0...65535).contains(port) else { return nil }
        if allowingZone, let (address, zone) = splitZone(host) {
            guard IPAddressText.parseIPv6(address) != nil, isInterfaceName(zone) else { return nil }
            return (host, port)
        }
        guard IPAddressText.parseIPv4(host) != nil || IPAddressText.parseIPv6(host) != nil else { return nil }
        return (host, port)
    }

    /// `fe80::1%eth0` as ("fe80::1", "eth0"); nil without a `%`.
    public static func splitZone(_ host: String) -> (address: String, zone: String)? {
        guard let percent = host.firstIndex(of: "%") else { return nil }
        return (String(host[..<percent]), String(host[host.index(after: percent)...]))
    }

    /// A Linux interface name (at most 15 octets, no '/', ':' or white space) or an index.
    static func isInterfaceName(_ zone: String) -> Bool {
        !zone.isEmpty && zone.utf8.count <= 15
            && zone.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-@".contains($0)) }
    }
}
