/// The TTL of a pool answer as health changes: full when every answered node is healthy, shorter
/// when a degraded node is in the answer, the minimum while failing over (fail-open); and, as
/// gdnsd does, never longer than the earliest moment the answer could change.
public struct HealthTTLPolicy: Sendable, Hashable {
    public var full: UInt32
    /// TTL while degraded nodes are in the answer.
    public var degraded: UInt32
    /// TTL during failover (some answered node is down and served by fail-open).
    public var minimum: UInt32
    /// Seconds between active checks (for the "earliest change" bound).
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
    ///   - checksUntilChange: the smallest number of checks after which an answered (or a
    ///     better-ranked, excluded) node could change state.
    public func ttl(answered: [HealthState], failOpen: Bool, checksUntilChange: Int) -> UInt32 {
        var ttl = full
        if answered.contains(where: { $0 == .degraded || $0 == .unknown }) { ttl = min(ttl, degraded) }
        if failOpen { ttl = minimum }
        if checksUntilChange != Int.max, checkInterval > 0 {
            let bound = UInt32(min(Double(UInt32.max), max(0, (Double(checksUntilChange) * checkInterval).rounded(.down))))
            ttl = min(ttl, max(bound, minimum))
        }
        return max(ttl, min(minimum, full))
    }
}
