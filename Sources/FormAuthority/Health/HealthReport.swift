import Foundation

/// The JSON the management API serves at GET /v1/health (and `form-dns health` prints).
public struct HealthReport: Codable, Sendable {
    public struct Node: Codable, Sendable {
        public var id: String
        /// What answers use.
        public var state: HealthState
        /// The active checks' own state (before overrides and pushed reports).
        public var checkedState: HealthState
        public var consecutiveSuccesses: Int
        public var consecutiveFailures: Int
        public var lastCheck: LastCheck?
        public var override: HealthOverride?
        /// The fleet's verdict, which stands in for `checkedState` (nil: no fleet, or none yet).
        public var agreed: HealthState?
        /// Each authority's checked state, by name (a fleet's; filled in by the API).
        public var views: [String: HealthState]?
        public var pushed: Pushed?
        public var transitions: [Transition]

        /// A transition with wall-clock time (the state machine runs on a monotonic clock).
        public struct Transition: Codable, Sendable {
            public var time: Date
            public var from: HealthState
            public var to: HealthState
            public var reason: String
        }

        public struct LastCheck: Codable, Sendable {
            public var secondsAgo: Double
            public var ok: Bool
            public var latencyMs: Double?
            public var detail: String
        }

        public struct Pushed: Codable, Sendable {
            public var secondsAgo: Double
            public var state: HealthState?
            public var metrics: [String: Double]
            /// What the report implies now (after rules and staleness).
            public var implies: HealthState?
        }
    }

    public struct Pool: Codable, Sendable {
        public var name: String
        public var check: String
        public var nodes: [Node]
    }

    public var pools: [Pool]

    public static func make(_ geo: GeoContext) -> HealthReport {
        var pools: [Pool] = []
        for (i, pool) in geo.pools.enumerated() {
            guard let repo = geo.health[i] else { continue }
            let now = repo.clock()
            let wallNow = Date()
            let snapshot = repo.snapshot()
            let effective = repo.effectiveStates()
            let history = repo.history()
            let nodes = pool.nodes.map { n -> Node in
                let h = snapshot[n.id] ?? NodeHealth()
                return Node(
                    id: n.id, state: effective[n.id] ?? repo.policy.unknownAs, checkedState: h.state,
                    consecutiveSuccesses: h.consecutiveSuccesses, consecutiveFailures: h.consecutiveFailures,
                    lastCheck: h.lastCheck.map {
                        Node.LastCheck(
                            secondsAgo: round1(now - $0.at), ok: $0.ok, latencyMs: $0.latencyMs.map(round1),
                            detail: $0.detail)
                    },
                    override: h.override, agreed: h.agreed, views: nil,
                    pushed: h.pushed.map {
                        Node.Pushed(
                            secondsAgo: round1(now - $0.at), state: $0.state, metrics: $0.metrics,
                            implies: h.pushedState(at: now, push: repo.push))
                    },
                    transitions: (history[n.id] ?? []).map {
                        Node.Transition(
                            time: wallNow.addingTimeInterval($0.at - now), from: $0.from, to: $0.to, reason: $0.reason)
                    })
            }
            pools.append(Pool(name: pool.name, check: pool.health?.check.rawValue ?? "none", nodes: nodes))
        }
        return HealthReport(pools: pools)
    }

    static func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }

    public func json() -> Data { (try? Self.encoder().encode(self)) ?? Data() }

    /// How a report is written (also by what adds fields beside its pools).
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }

    public static func decode(_ data: Data) throws -> HealthReport {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.dateDecodingStrategy = .iso8601
        return try d.decode(HealthReport.self, from: data)
    }

    /// The table `form-dns health` prints: what the checker thinks, per node.
    public func table() -> String {
        func pad(_ s: String, _ n: Int) -> String {
            s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
        }
        var lines: [String] = []
        for p in pools {
            lines.append("pool \(p.name) (checks: \(p.check))")
            lines.append(
                pad("node", 14) + pad("state", 11) + pad("checked", 11) + pad("ok/fail", 9) + pad("last check", 40)
                    + pad("override", 11) + "pushed")
            for n in p.nodes {
                let last =
                    n.lastCheck.map {
                        let latency = $0.latencyMs.map { " \($0)ms" } ?? ""
                        return "\($0.ok ? "ok" : "FAIL") \($0.secondsAgo)s ago\(latency) \($0.detail)"
                    } ?? "-"
                let pushed =
                    n.pushed.map {
                        let metrics = $0.metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                        return "\($0.implies?.rawValue ?? "-") \($0.secondsAgo)s ago \(metrics.joined(separator: ","))"
                    } ?? "-"
                // Details and metric names come from nodes and checks: escaped, one row per node.
                lines.append(
                    pad(LogText.escape(n.id), 14) + pad(n.state.rawValue, 11) + pad(n.checkedState.rawValue, 11)
                        + pad("\(n.consecutiveSuccesses)/\(n.consecutiveFailures)", 9)
                        + pad(String(LogText.escape(last).prefix(39)), 40)
                        + pad(n.override?.rawValue ?? "-", 11) + LogText.escape(pushed))
            }
        }
        return lines.joined(separator: "\n")
    }
}
