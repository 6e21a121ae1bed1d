import DNSWire

/// What the authority decided for one question, before any wire encoding.
public struct Resolution: Hashable, Sendable {
    public var rcode: ResponseCode
    public var authoritative: Bool
    public var answers: [DNSResourceRecord] = []
    public var authorities: [DNSResourceRecord] = []
    public var additionals: [DNSResourceRecord] = []
    /// Referral glue must not be dropped silently: if it does not fit, the response is truncated.
    public var additionalRequired = false
    /// Set when the final name is a GeoDNS pool: its address records depend on the client and are
    /// appended per query (after any CNAMEs in `answers`).
    public var pool: Int? = nil
    public var poolOwner: DNSName? = nil

    public init(rcode: ResponseCode, authoritative: Bool) {
        self.rcode = rcode
        self.authoritative = authoritative
    }

    public static let refused = Resolution(rcode: .refused, authoritative: false)
}
