import Synchronization

/// Where sampled GeoDNS decisions go: one `DecisionRecord` per sampled fresh decision (a cache
/// miss), handed to `sink`. Whether a decision is sampled is settled first, from a counter, so
/// the decisions not sampled cost one atomic add and no formatting at all.
public final class DecisionLog: Sendable {
    public let rate: Double
    let sink: @Sendable (DecisionRecord) -> Void
    private let counter = Atomic<UInt64>(0)
    /// Of every 2^32 decisions, this many are sampled, spread evenly (a golden-ratio sequence).
    private let threshold: UInt64

    public init(rate: Double, sink: @escaping @Sendable (DecisionRecord) -> Void) {
        self.rate = min(max(rate, 0), 1)
        self.sink = sink
        threshold = UInt64(self.rate * 4_294_967_296)
    }

    /// Whether the next decision is to be logged.
    @inline(__always)
    public func sample() -> Bool {
        guard threshold > 0 else { return false }
        let n = counter.add(1, ordering: .relaxed).newValue
        return (n &* 0x9E37_79B9_7F4A_7C15) >> 32 < threshold
    }
}

/// One GeoDNS decision, as the decision log writes it.
public struct DecisionRecord: Sendable {
    public struct Candidate: Sendable {
        public var node: String
        public var distanceKm: Double
        public var cost: Double
        public var verdict: String
    }

    public var pool: String
    /// The block the answer holds for (a network, never a single client address).
    public var clientNetwork: String
    /// How the client was placed: "ecs" or "source", then "network map", "GeoIP database",
    /// "default" or "not found".
    public var locatedBy: String
    public var location: String
    public var candidates: [Candidate]
    public var ipv4Nodes: [String]
    public var ipv6Nodes: [String]
    public var reason: String
    public var ttl: UInt32
}
