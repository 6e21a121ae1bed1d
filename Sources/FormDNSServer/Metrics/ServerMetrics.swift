import CoreMetrics
import FormAuthority
import Prometheus
import Synchronization

/// The server's Prometheus metrics apart from the per-query counters: events counted as they
/// happen through swift-metrics (API requests, reloads, health transitions, check times), and
/// states read at scrape time (node health, configuration version, GeoIP build time, build info).
///
/// Its own registry, not the process-wide one, so several servers in one process (tests) keep
/// their counts apart.
public final class ServerMetrics: Sendable {
    public static let version = "0.6.0"

    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    /// The gauges set by the last scrape, so a node or database that is gone stops being reported.
    private let scraped = Mutex<[String: Prometheus.Gauge]>([:])

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["formdns_health_check_duration_seconds"] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
        ]
        self.factory = factory
    }

    /// An API request answered: `route` is the matched pattern (`/v1/pools/{pool}`), never a path
    /// with values in it.
    public func apiRequest(route: String, status: Int) {
        Counter(
            label: "formdns_api_requests_total", dimensions: [("route", route), ("status", String(status))],
            factory: factory
        ).increment()
    }

    /// A reload: "applied", "unchanged" or "failed".
    public func reload(result: String) {
        Counter(label: "formdns_reloads_total", dimensions: [("result", result)], factory: factory).increment()
    }

    public func healthTransition(pool: String, to state: HealthState) {
        Counter(
            label: "formdns_health_transitions_total", dimensions: [("pool", pool), ("to", state.rawValue)],
            factory: factory
        ).increment()
    }

    public func healthCheck(pool: String, check: String, took duration: Duration) {
        Timer(
            label: "formdns_health_check_duration_seconds", dimensions: [("pool", pool), ("check", check)],
            factory: factory
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// Alerts for a webhook: "sent", "failed" (given up), "deduplicated", "dropped" (too many waiting).
    public func alerts(webhook: String, result: String, count: Int) {
        Counter(
            label: "formdns_alerts_total", dimensions: [("webhook", webhook), ("result", result)], factory: factory
        ).increment(by: count)
    }

    /// One POST to a webhook: "2xx" ... "5xx", or "error" (no answer: refused, timed out).
    public func alertRequest(webhook: String, outcome: String) {
        Counter(
            label: "formdns_alert_requests_total", dimensions: [("webhook", webhook), ("outcome", outcome)],
            factory: factory
        ).increment()
    }

    /// The exposition: the registry (events and the states read now) and the query counters.
    public func exposition(queries: QueryCounts, builder: ResponseBuilder, configVersion: Int?) -> String {
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
                let made = previous[key] ?? registry.makeGauge(name: g.name, labels: g.labels, help: g.help)
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

extension Duration {
    fileprivate var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
