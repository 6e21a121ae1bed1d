import DNSWire

/// What the configuration hands the answer path for DNSSEC: each signed zone's keys, the signature
/// cache (kept from one builder to the next) and the clock.
public struct SigningSetup: Sendable {
    /// Signed zones by apex.
    public var zones: [DNSName: ZoneSigner]
    public var cache: SignatureCache
    /// Seconds since 1970, with fractions.
    public var clock: @Sendable () -> Double

    public init(
        zones: [DNSName: ZoneSigner], cache: SignatureCache = SignatureCache(),
        clock: @escaping @Sendable () -> Double
    ) {
        self.zones = zones
        self.cache = cache
        self.clock = clock
    }
}
