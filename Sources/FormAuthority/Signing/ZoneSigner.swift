import DNSSEC
import DNSWire

/// One signed zone's keys as the answer path uses them: which DNSKEYs are published at the apex
/// and which keys sign what. A key-signing key (or a CSK) signs the DNSKEY RRset; zone-signing
/// keys sign everything else, or the CSK does when there is no ZSK.
public struct ZoneSigner: Sendable {
    public let origin: DNSName
    /// The DNSKEY RRset: every key published, signing or not (a ZSK pre-published for a rollover,
    /// a KSK whose DS is not at the parent yet).
    public let published: [DNSKEYRecord]
    /// Keys that sign the DNSKEY RRset.
    public let keySigning: [ZoneKey]
    /// Keys that sign every other RRset.
    public let zoneSigning: [ZoneKey]
    public let policy: SigningPolicy

    public init(
        origin: DNSName, published: [DNSKEYRecord], keySigning: [ZoneKey], zoneSigning: [ZoneKey],
        policy: SigningPolicy = SigningPolicy()
    ) {
        self.origin = origin
        self.published = published
        self.keySigning = keySigning
        self.zoneSigning = zoneSigning
        self.policy = policy
    }

    /// A zone signed by one combined key (flags 257) that also signs everything else.
    public init(origin: DNSName, csk: ZoneKey, policy: SigningPolicy = SigningPolicy()) {
        self.init(origin: origin, published: [csk.dnskey], keySigning: [csk], zoneSigning: [csk], policy: policy)
    }

    /// The keys whose RRSIGs an RRset of `type` carries.
    func signingKeys(for type: RecordType) -> [ZoneKey] {
        type == .dnskey ? keySigning : zoneSigning
    }
}
