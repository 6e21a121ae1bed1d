import FormAuthority
import FormStore
import Foundation
import NetAddress

/// What the dashboard shows at one moment: every entry node with its place and health, the
/// answers each client region got from each node, the query totals, the last events. Counts are
/// running totals; the page turns two snapshots into rates. A pool-limited reader sees its
/// pools only, and no server-wide totals.
struct DashboardSnapshot: Encodable, Sendable {
    struct Node: Encodable, Sendable {
        var pool: String
        var id: String
        var ipv4: String?
        var ipv6: String?
        var latitude: Double?
        var longitude: Double?
        var region: String?
        var country: String?
        var enabled: Bool
        var state: String
        var override: String?
        var latencyMs: Double?
    }

    struct Flow: Encodable, Sendable {
        var pool: String
        var region: String
        var node: String
        var answers: UInt64
    }

    struct Queries: Encodable, Sendable {
        var total: UInt64
        /// The sampled answer times (one query in 256): their sum and count.
        var durationSumSeconds: Double
        var durationCount: UInt64
    }

    struct Event: Encodable, Sendable {
        var time: String
        var kind: String
        var pool: String?
        var node: String?
        var summary: String
    }

    var time: String
    var version: Int?
    var nodes: [Node]
    var flows: [Flow]
    var queries: Queries?
    var events: [Event]

    /// The snapshot of `builder` and `counts` that a caller limited to `pools` (empty: all) may see.
    init(
        builder: ResponseBuilder, counts: QueryCounts, events: [DNSEvent], version: Int?, pools: [String],
        now: Date = Date()
    ) {
        let visible = { (pool: String) in pools.isEmpty || pools.contains(pool) }
        time = APIRoutes.iso(now)
        self.version = version
        var nodes: [Node] = []
        if let geo = builder.geo {
            for (i, pool) in geo.pools.enumerated() where visible(pool.name) {
                let health = geo.health[i]
                let states = health?.effectiveStates() ?? [:]
                let snapshot = health?.snapshot() ?? [:]
                for node in pool.nodes {
                    let place = node.location
                    let state = states[node.id] ?? health?.policy.unknownAs ?? .healthy
                    nodes.append(
                        Node(
                            pool: pool.name, id: node.id, ipv4: node.ipv4.flatMap(Self.address),
                            ipv6: node.ipv6.flatMap(Self.address),
                            latitude: place.hasCoordinates ? place.latitude : nil,
                            longitude: place.hasCoordinates ? place.longitude : nil, region: place.region,
                            country: place.country, enabled: node.enabled, state: state.rawValue,
                            override: snapshot[node.id]?.override?.rawValue,
                            latencyMs: snapshot[node.id]?.lastCheck?.latencyMs))
                }
            }
        }
        self.nodes = nodes
        flows = counts.counters.compactMap { series, count in
            guard series.name == "formdns_geo_answers_total", count > 0 else { return nil }
            let label = { (name: String) in series.labels.first { $0.name == name }?.value ?? "" }
            guard visible(label("pool")) else { return nil }
            return Flow(pool: label("pool"), region: label("client_region"), node: label("node"), answers: count)
        }.sorted { ($0.pool, $0.region, $0.node) < ($1.pool, $1.region, $1.node) }
        if pools.isEmpty {
            let durations = counts.histograms.first { $0.key.name == "formdns_dns_request_duration_seconds" }?.value
            queries = Queries(
                total: counts.total("formdns_dns_requests_total"), durationSumSeconds: durations?.sum ?? 0,
                durationCount: durations?.count ?? 0)
        }
        self.events = events.map {
            Event(
                time: APIRoutes.iso($0.time), kind: $0.kind.rawValue, pool: $0.pool, node: $0.node, summary: $0.summary)
        }
    }

    static func address(_ bytes: [UInt8]) -> String? { IPAddress(bytes: bytes)?.description }

    func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and optionals only: encoding cannot fail.
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}
