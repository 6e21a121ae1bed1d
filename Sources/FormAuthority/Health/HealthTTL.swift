/// The TTL of a pool answer as health changes, the rule gdnsd uses: the full TTL while every
/// answered node passes its checks; from an answered node's first failed check, the time left until
/// it could be removed (never below the minimum), shrinking as further checks fail; shorter while a
/// degraded node is in the answer; the minimum while failing over (fail-open).
public struct HealthTTLPolicy: Sendable, Hashable {
    public var full: UInt32
    /// TTL while degraded nodes are in the answer. (Unknown nodes reach the policy already mapped by
    /// `unknown:`; an unchecked node is bounded by one check interval through `checksUntilRemoval`.)
    public var degraded: UInt32
    /// TTL during failover (some answered node is down and served by fail-open), and the floor.
    public var minimum: UInt32
    /// Seconds between active checks.
    public var checkInterval: Double

    public init(full: UInt32, degraded: UInt32, minimum: UInt32, checkInterval: Double) {
        self.full = full
        self.degraded = degraded
        self.minimum = minimum
        self.checkInterval = checkInterval
    }

    /// - Parameters:
    ///   - answered: effective states of the nodes in the answer.
    ///   - failOpen: the answer holds unhealthy nodes because nothing healthy was left.
    ///   - checksUntilRemoval: the fewest failed checks that would take an answered node out (nil
    ///     while every answered node passes its checks).
    public func ttl(answered: [HealthState], failOpen: Bool, checksUntilRemoval: Int?) -> UInt32 {
        var ttl = full
        if answered.contains(.degraded) { ttl = min(ttl, degraded) }
        if failOpen { ttl = minimum }
        if let checks = checksUntilRemoval, checkInterval > 0 {
            let seconds = (Double(checks) * checkInterval).rounded(.down)
            let bound = UInt32(min(Double(UInt32.max), max(0, seconds)))
            ttl = min(ttl, max(bound, minimum))
        }
        return max(ttl, min(minimum, full))
    }
}
