import DNSWire
import NetAddress

/// `zones[].transfer`: who may copy a static zone by AXFR (RFC 5936) or IXFR (RFC 1995), so
/// Knot, NSD or BIND can serve it as secondaries, and who is told when it changes (NOTIFY). Pool
/// names are answered per client and are not in the copy.
///
/// As a Knot ACL with both: a request is served when it comes from `allow` (if given) and is
/// signed with one of `keys` (if given).
public struct ZoneTransfer: Sendable, Equatable {
    /// Client networks allowed to transfer the zone (over TCP); empty: any address (then `keys`
    /// must be given).
    public var allow: [IPNetwork] = []
    /// TSIG keys (names of `update_keys`) one of which must sign a transfer; empty: none needed.
    public var keys: [DNSName] = []
    /// Secondaries told of every new serial (NOTIFY, RFC 1996), and at start.
    public var notify: [Endpoint] = []

    public init(allow: [IPNetwork] = [], keys: [DNSName] = [], notify: [Endpoint] = []) {
        self.allow = allow
        self.keys = keys
        self.notify = notify
    }

    /// Whether a transfer request from `source` passes `allow`.
    public func allows(_ source: IPAddress?) -> Bool {
        if allow.isEmpty { return true }
        guard let source else { return false }
        return allow.contains { $0.contains(source) }
    }
}
