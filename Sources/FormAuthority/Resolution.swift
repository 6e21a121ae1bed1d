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
    /// For a signed zone: what a negative answer denies (the NSEC a DO query gets with it).
    public var denial: Denial? = nil
    /// Set for a referral: the zone cut whose DS (or proof of no DS) a signed answer carries.
    public var referral: DNSName? = nil

    public init(rcode: ResponseCode, authoritative: Bool) {
        self.rcode = rcode
        self.authoritative = authoritative
    }

    /// What a negative answer proves, in the terms of compact denial (RFC 9824): the name holds
    /// these types and not the one asked, or the name does not exist at all.
    public enum Denial: Hashable, Sendable {
        /// The name holds `types` (a pool name: and the address types its pool can answer).
        case noData(DNSName, types: [RecordType])
        /// A pool name in one answer: `types` is all it holds, the address types of that answer
        /// included (a family with no node in it is denied, so it must not be listed).
        case poolNoData(DNSName, types: [RecordType])
        case nxDomain(DNSName)
    }

    public static let refused = Resolution(rcode: .refused, authoritative: false)
}
