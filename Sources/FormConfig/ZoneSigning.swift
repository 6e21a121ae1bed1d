import DNSSEC

/// A zone's `dnssec:` settings: sign it online with the keys in `state_dir/keys`.
public struct ZoneSigning: Sendable, Equatable {
    /// The algorithm of the key made when the zone has none yet.
    public var algorithm: DNSSECAlgorithm = .ecdsaP256SHA256
    /// Seconds from signing to expiry.
    public var signatureLifetime: Int = 14 * 86_400
    /// A signature with less than this many seconds left is made again.
    public var signatureRefresh: Int = 7 * 86_400
    /// New signatures per second for answers made per query (NXDOMAIN, wildcards).
    public var missSigningRate: Int = 2_000

    public init() {}
}
