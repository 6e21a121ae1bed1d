/// How often a watch probes and re-resolves, and how it backs off. Pure: the random source is
/// passed in, so tests choose it.
public struct WatchSettings: Sendable, Equatable {
    /// Seconds between probe rounds of the peers known (before jitter).
    public var probeInterval: Double = 30
    /// Each wait is stretched or shrunk by up to this fraction at random, so a fleet of nodes
    /// started together does not probe (or query) in step.
    public var jitter: Double = 0.1
    /// Re-resolving waits at least this long, whatever the TTL (a TTL of 0 must not become a loop).
    public var minResolveInterval: Double = 5
    /// ...and at most this long, whatever the TTL.
    public var maxResolveInterval: Double = 3600
    /// After a failed resolution (DNS down, nothing reachable) the next try waits this long,
    /// doubling with each failure in a row up to `maxBackoff`.
    public var retryInterval: Double = 2
    public var maxBackoff: Double = 300
    public var hysteresis = Hysteresis()

    public init() {}

    /// `seconds` stretched by the jitter; `unit` is a random number in 0..<1.
    public func jittered(_ seconds: Double, unit: Double) -> Double {
        max(0, seconds * (1 + jitter * (2 * unit - 1)))
    }

    /// Seconds until the next resolution after a good one whose answer lives `ttl` seconds.
    public func resolveDelay(ttl: UInt32) -> Double {
        min(max(Double(ttl), minResolveInterval), maxResolveInterval)
    }

    /// Seconds until the next resolution after `failures` failed ones in a row (1, 2, ...).
    public func backoff(failures: Int) -> Double {
        min(retryInterval * Double(1 << min(max(failures - 1, 0), 30)), maxBackoff)
    }

    /// Why settings cannot be used, or nil: a zero interval would probe in a loop, a ratio of
    /// 0 would freeze the set, one above 1 would let a slower peer win.
    public var problem: String? {
        if !(probeInterval >= 0.05 && probeInterval <= 86_400) { return "probe interval must be 0.05...86400 s" }
        if !(jitter >= 0 && jitter <= 0.5) { return "jitter must be 0...0.5" }
        if !(minResolveInterval >= 0.05 && minResolveInterval <= maxResolveInterval) {
            return "minimum resolve interval must be 0.05 s up to the maximum"
        }
        if !(retryInterval >= 0.05 && retryInterval <= maxBackoff) {
            return "retry interval must be 0.05 s up to the backoff"
        }
        if !(hysteresis.marginMs >= 0 && hysteresis.marginMs <= 10_000) { return "switch margin must be 0...10000 ms" }
        if !(hysteresis.ratio > 0 && hysteresis.ratio <= 1) { return "switch ratio must be above 0, at most 1" }
        return nil
    }
}
