import FormAuthority
import Prometheus
import Synchronization

/// The server's Prometheus metrics apart from the per-query counters: events counted as they
/// happen (API requests, reloads, health transitions, check times, alerts), and states read at
/// scrape time (node health, configuration version, GeoIP build time, build info).
///
/// Its own swift-prometheus registry, not the process-wide one, so several servers in one
/// process (tests) keep their counts apart. Every family is made on the registry with its help
/// text: swift-metrics' API has no place for one, and the registry refuses a family made both
/// ways, so going through swift-metrics would leave every `# HELP` line out (which `promtool
/// check metrics` reports).
public final class ServerMetrics: Sendable {
    public static let version = "0.6.0"

    let registry = PrometheusCollectorRegistry()
    /// The gauges set by the last scrape, so a node or database that is gone stops being reported.
    private let scraped = Mutex<[String: Prometheus.Gauge]>([:])

    static let checkBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
    ]

    public init() {}

    /// A family's name and help, as the registry takes them (`name` whole, unit included).
    static func family(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    private func counter(_ name: String, _ help: String, _ labels: [(String, String)]) -> Prometheus.Counter {
        registry.makeCounter(descriptor: Self.family(name, help), labels: labels)
    }

    /// An API request answered: `route` is the matched pattern (`/v1/pools/{pool}`), never a path
    /// with values in it.
    public func apiRequest(route: String, status: Int) {
        counter(
            "formdns_api_requests_total", "Management API requests by route pattern and status.",
            [("route", route), ("status", String(status))]
        ).increment()
    }

    /// A reload: "applied", "unchanged" or "failed".
    public func reload(result: String) {
        counter("formdns_reloads_total", "SIGHUP reloads by result: applied, unchanged, failed.", [("result", result)])
            .increment()
    }

    public func healthTransition(pool: String, to state: HealthState) {
        counter(
            "formdns_health_transitions_total", "Changes of a node's checked health state, by pool and new state.",
            [("pool", pool), ("to", state.rawValue)]
        ).increment()
    }

    /// Records check times of one pool: the histogram is looked up once, here.
    public func healthCheckRecorder(pool: String, check: String) -> @Sendable (Duration) -> Void {
        let histogram = registry.makeDurationHistogram(
            descriptor: Self.family(
                "formdns_health_check_duration_seconds", "How long each completed active health check took."),
            labels: [("pool", pool), ("check", check)], buckets: Self.checkBuckets)
        return { histogram.record($0) }
    }

    /// Alerts for a webhook: "sent", "failed" (given up), "deduplicated", "dropped" (too many waiting).
    public func alerts(webhook: String, result: String, count: Int) {
        counter(
            "formdns_alerts_total", "Alerts per webhook: sent, failed (given up), deduplicated, dropped.",
            [("webhook", webhook), ("result", result)]
        ).increment(by: Int64(count))
    }

    /// One POST to a webhook: "2xx" ... "5xx", or "error" (no answer: refused, timed out).
    public func alertRequest(webhook: String, outcome: String) {
        counter(
            "formdns_alert_requests_total", "POSTs to a webhook by answer: 2xx to 5xx, or error (refused, timed out).",
            [("webhook", webhook), ("outcome", outcome)]
        ).increment()
    }

    /// The exposition: the registry (events and the states read now) and the query counters.
    public func exposition(
        queries: QueryCounts, builder: ResponseBuilder, configVersion: Int?, fleet: FleetStatus.Snapshot? = nil,
        storeWritable: Bool? = nil
    ) -> String {
        var gauges: [String: (name: String, labels: [(String, String)], help: String, value: Double)] = [:]
        func gauge(_ name: String, _ labels: [(String, String)], _ help: String, _ value: Double) {
            let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
            gauges[key] = (name, labels, help, value)
        }
        gauge(
            "formdns_build_info", [("version", Self.version)], "Always 1; the version of form-dns that serves.", 1)
        if let configVersion {
            gauge("formdns_config_version", [], "The stored configuration version serving now.", Double(configVersion))
        }
        if let storeWritable {
            gauge(
                "formdns_store_writable", [],
                "1 while the store (state_dir) takes writes, 0 while it cannot (a full disk, read-only): "
                    + "changes are refused, answers go on.", storeWritable ? 1 : 0)
        }
        if let fleet {
            gauge(
                "formdns_fleet_store_up", [("authority", fleet.authority)],
                "1 while the fleet's shared store answers, 0 while it does not (answers go on; changes are refused).",
                fleet.storeReachable ? 1 : 0)
            gauge(
                "formdns_fleet_authorities_reporting", [],
                "Authorities whose health views are fresh (this one included).", Double(fleet.reporting.count))
            for (key, node) in fleet.nodes {
                gauge(
                    "formdns_fleet_node_down_views", [("pool", key.pool), ("node", key.node)],
                    "Authorities that see the node unhealthy.",
                    Double(node.views.values.filter { $0 == .unhealthy }.count))
            }
        }
        if let geo = builder.geo {
            for (i, pool) in geo.pools.enumerated() {
                guard let health = geo.health[i] else { continue }
                let states = health.effectiveStates()
                for node in pool.nodes {
                    gauge(
                        "formdns_health_node_state", [("pool", pool.name), ("node", node.id)],
                        "A node's effective health: 2 healthy, 1 degraded, 0 unhealthy, -1 unknown.",
                        Self.value(states[node.id] ?? health.policy.unknownAs))
                }
            }
            for db in geo.locator.databases {
                let file = String(db.path.split(separator: "/").last ?? "")
                gauge(
                    "formdns_geoip_database_build_timestamp_seconds", [("database", file)],
                    "When each GeoIP database was built (its metadata's build_epoch).", Double(db.buildEpoch))
            }
        }
        scraped.withLock { previous in
            for (key, g) in previous where gauges[key] == nil { registry.unregisterGauge(g) }
            var now: [String: Prometheus.Gauge] = [:]
            for (key, g) in gauges {
                let made =
                    previous[key] ?? registry.makeGauge(descriptor: Self.family(g.name, g.help), labels: g.labels)
                made.set(g.value)
                now[key] = made
            }
            previous = now
        }
        return registry.emitToString() + queries.exposition
    }

    static func value(_ state: HealthState) -> Double {
        switch state {
        case .healthy: return 2
        case .degraded: return 1
        case .unhealthy: return 0
        case .unknown: return -1
        }
    }
}
