import NetAddress

/// `zones[].transfer`: who may copy a static zone by AXFR (RFC 5936), so Knot, NSD or BIND can
/// serve it as secondaries, and who is told when it changes (NOTIFY). Pool names are answered per
/// client and are not in the copy.
public struct ZoneTransfer: Sendable, Equatable {
    /// Client networks allowed to transfer the zone (over TCP); anyone else is refused.
    public var allow: [IPNetwork] = []
    /// Secondaries told of every new serial (NOTIFY, RFC 1996), and at start.
    public var notify: [Endpoint] = []

    public init(allow: [IPNetwork] = [], notify: [Endpoint] = []) {
        self.allow = allow
        self.notify = notify
    }

    /// Whether a transfer request from `source` may be served.
    public func allows(_ source: IPAddress?) -> Bool {
        guard let source else { return false }
        return allow.contains { $0.contains(source) }
    }
}
