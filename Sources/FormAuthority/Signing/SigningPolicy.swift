/// How long signatures live and how fast misses may be signed: one zone's `dnssec:` settings as
/// the signer uses them. Times are seconds.
public struct SigningPolicy: Sendable, Equatable {
    /// From signing to expiry (Knot's rrsig-lifetime default: 14 days).
    public var lifetime: UInt32 = 14 * 86_400
    /// A signature with less than this left is made again (Knot's rrsig-refresh: 7 days).
    public var refresh: UInt32 = 7 * 86_400
    /// Inception this far in the past, so validators whose clocks lag still accept (BIND: 1 hour).
    public var inceptionOffset: UInt32 = 3_600
    /// Expiries are spread over this much (less than `lifetime - refresh`), so signatures made
    /// together do not all come due together.
    public var jitter: UInt32 = 86_400
    /// New signatures per second for names not signed ahead (NXDOMAIN, wildcard and CNAME-to-pool
    /// answers): what a random-subdomain flood can cost. Beyond it such queries get SERVFAIL.
    public var missSigningRate: Int = 2_000

    public init() {}

    /// Inception and expiry for a signature made at `now`; `spread` (any number, e.g. a hash of
    /// what is signed) picks the jitter so the same RRset gets the same expiry within one second.
    func validity(now: UInt32, spread: Int) -> (inception: UInt32, expiration: UInt32) {
        let jitter = self.jitter == 0 ? 0 : UInt32(truncatingIfNeeded: UInt(bitPattern: spread) % UInt(self.jitter))
        return (now &- inceptionOffset, now &+ lifetime &- jitter)
    }
}
