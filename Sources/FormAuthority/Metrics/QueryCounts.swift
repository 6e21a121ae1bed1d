/// A snapshot of query counters as labelled series, merged across workers and across the
/// layouts a server has answered with since it started (`QueryMetrics`).
public struct QueryCounts: Sendable, Equatable {
    /// A metric name and its label pairs, in order.
    public struct Series: Hashable, Sendable, Comparable {
        public var name: String
        public var labels: [Label]

        public struct Label: Hashable, Sendable {
            public var name: String
            public var value: String

            public init(name: String, value: String) {
                self.name = name
                self.value = value
            }
        }

        public init(_ name: String, _ labels: [(String, String)] = []) {
            self.name = name
            self.labels = labels.map { Label(name: $0.0, value: $0.1) }
        }

        public static func < (a: Series, b: Series) -> Bool {
            if a.name != b.name { return a.name < b.name }
            return a.labels.map { "\($0.name)=\($0.value)" }.lexicographicallyPrecedes(
                b.labels.map { "\($0.name)=\($0.value)" })
        }
    }

    /// Bucket counts (not cumulative; the last one is +Inf), with their sum.
    public struct Histogram: Sendable, Equatable {
        public var bounds: [Double]
        public var counts: [UInt64]
        public var sum: Double

        public var count: UInt64 { counts.reduce(0, +) }

        mutating func merge(_ other: Histogram) {
            guard other.bounds == bounds else { return }
            for i in counts.indices { counts[i] &+= other.counts[i] }
            sum += other.sum
        }
    }

    public var counters: [Series: UInt64] = [:]
    /// Point-in-time values; merged by taking the lowest (for a TTL: the shortest one given).
    public var gauges: [Series: Double] = [:]
    public var histograms: [Series: Histogram] = [:]

    public init() {}

    public mutating func merge(_ other: QueryCounts) {
        for (s, v) in other.counters { counters[s, default: 0] &+= v }
        for (s, v) in other.gauges { gauges[s] = min(gauges[s] ?? v, v) }
        for (s, h) in other.histograms {
            if histograms[s] == nil { histograms[s] = h } else { histograms[s]!.merge(h) }
        }
    }

    /// The value of a counter summed over every series of `name` whose labels include `matching`.
    public func total(_ name: String, _ matching: [String: String] = [:]) -> UInt64 {
        counters.filter { s, _ in
            s.name == name && matching.allSatisfy { k, v in s.labels.contains { $0.name == k && $0.value == v } }
        }.values.reduce(0, +)
    }
}
