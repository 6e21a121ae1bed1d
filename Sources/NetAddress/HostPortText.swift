/// "address:port" text as servers and resolvers are written: `127.0.0.1:5300`, `[::1]:5300`, or a
/// bare address (IPv4 or IPv6, then `defaultPort`). The one parser behind form-dns's `--listen`
/// and form-join's `--resolver` and resolv.conf.
public enum HostPortText {
    /// The address (without brackets) and port, or nil if the address is not a literal IPv4/IPv6
    /// address or the port is not a number in 0...65535.
    public static func parse(_ text: String, defaultPort: Int) -> (host: String, port: Int)? {
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
        guard (0...65535).contains(port),
            IPAddressText.parseIPv4(host) != nil || IPAddressText.parseIPv6(host) != nil
        else { return nil }
        return (host, port)
    }
}
