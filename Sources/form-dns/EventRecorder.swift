import FormAuthority
import FormConfig
import FormDNSServer
import FormStore
import Foundation
import Logging
import Synchronization

/// Turns what happens while serving into the event history (`StateKeeper.event`): health
/// transitions, overrides, applied changes, reloads, and a pool's fail-open and spill-over
/// periods, which it works out itself from the pools' health after each transition or override.
/// Every event also goes to the decision log and, as an alert where it raises one, the webhooks.
final class EventRecorder: Sendable {
    let keeper: StateKeeper?
    /// The decision log, which gets every event too (nil: off).
    let log: Logger?
    let alerts: AlertDispatcher?
    /// The server, once it exists (transitions can only come after it does).
    private let server = Mutex<DNSServer?>(nil)
    /// Pools answering fail-open now.
    private let failingOpen = Mutex<Set<String>>([])
    /// "pool/region" for each region spilling its clients over now.
    private let spilling = Mutex<Set<String>>([])
    /// Pools whose fail-open and spill-over state is to be worked out again. Once per
    /// `poolCheckDelay` at most, not once per transition: working it out reads the whole pool, and
    /// a storm of 10,000 transitions in a 10,000-node pool would otherwise read it 10,000 times.
    private let poolsToCheck = Mutex<Set<String>>([])
    static let poolCheckDelay = Duration.milliseconds(100)

    init(keeper: StateKeeper?, log: Logger? = nil, alerts: AlertDispatcher? = nil) {
        self.keeper = keeper
        self.log = log
        self.alerts = alerts
    }

    private func record(_ event: DNSEvent) {
        keeper?.event(event)
        alerts?.submit(event)
        var metadata: Logger.Metadata = ["kind": .string(event.kind.rawValue)]
        if let pool = event.pool { metadata["pool"] = .string(pool) }
        if let node = event.node { metadata["node"] = .string(node) }
        for (key, value) in event.detail { metadata[key] = .string(value) }
        log?.info("\(event.summary)", metadata: metadata)
    }

    func serve(_ server: DNSServer) { self.server.withLock { $0 = server } }

    func health(_ key: String, _ t: HealthTransition) {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        let (pool, node) = (parts.first ?? key, parts.count > 1 ? parts[1] : "")
        record(
            DNSEvent(
                kind: .health, pool: pool, node: node,
                summary: "\(pool)/\(node) \(t.from.rawValue) -> \(t.to.rawValue) (\(t.reason))",
                detail: ["from": t.from.rawValue, "to": t.to.rawValue, "reason": t.reason]))
        scheduleCheck(of: pool)
    }

    func override(_ key: NodeKey, _ value: HealthOverride?) {
        let what = value?.rawValue ?? "none"
        record(
            DNSEvent(
                kind: .override, pool: key.pool, node: key.node, summary: "\(key) override \(what)",
                detail: ["override": what]))
        scheduleCheck(of: key.pool)
    }

    /// Works out `pool`'s fail-open and spill-over state shortly (one check for every change
    /// that comes meanwhile).
    private func scheduleCheck(of pool: String) {
        guard poolsToCheck.withLock({ $0.insert(pool).inserted }) else { return }
        Task {
            try? await Task.sleep(for: Self.poolCheckDelay)
            // Out of the set first: a change while checking schedules the next check.
            _ = poolsToCheck.withLock { $0.remove(pool) }
            checkPool(pool)
        }
    }

    func applied(action: String, author: String, message: String, version: Int?, config: ServerConfig) {
        keeper?.retentionDays.store(config.eventRetentionDays, ordering: .relaxed)
        alerts?.configure(config.alerts)
        let records = action.contains("record") || action.hasPrefix("DNS UPDATE")
        var detail = ["action": action, "author": author]
        if let version { detail["version"] = String(version) }
        if !message.isEmpty { detail["message"] = message }
        let suffix = version.map { " (version \($0))" } ?? ""
        record(
            DNSEvent(
                kind: records ? .record : .config, summary: "\(action) by \(author)\(suffix)", detail: detail))
    }

    func reload(_ result: String, _ what: String) {
        record(DNSEvent(kind: .reload, summary: "reload \(result): \(what)", detail: ["result": result]))
    }

    /// Records the start or end of a pool's fail-open period (every enabled node of a pool that
    /// fails open is unhealthy) and of its regions' spill-over.
    func checkPool(_ name: String) {
        guard let geo = server.withLock({ $0 })?.currentBuilder().geo,
            let i = geo.pools.firstIndex(where: { $0.name == name }), let health = geo.health[i]
        else { return }
        let pool = geo.pools[i]
        let states = health.effectiveStates()
        checkSpillOver(pool, states: states, unknownAs: health.policy.unknownAs)
        let enabled = pool.nodes.filter(\.enabled)
        let failing =
            pool.policy.failOpen && !enabled.isEmpty
            && enabled.allSatisfy { (states[$0.id] ?? health.policy.unknownAs) == .unhealthy }
        let changed = failingOpen.withLock { set in
            failing ? set.insert(name).inserted : set.remove(name) != nil
        }
        guard changed else { return }
        record(
            DNSEvent(
                kind: .failOpen, pool: name,
                summary: failing
                    ? "\(name) answers fail-open: all \(enabled.count) nodes are down"
                    : "\(name) no longer answers fail-open",
                detail: ["state": failing ? "started" : "ended"]))
    }

    /// Records the regions that began or stopped spilling their clients over: fewer of their
    /// nodes up than the pool's `region_spill_threshold`.
    private func checkSpillOver(_ pool: GeoPool, states: [String: HealthState], unknownAs: HealthState) {
        let degraded = GeoSelector.degradedRegions(pool) { states[$0.id] ?? unknownAs }
        let prefix = pool.name + "/"
        let (began, ended) = spilling.withLock { set in
            let before = Set(set.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) })
            set.subtract(before.subtracting(degraded).map { prefix + $0 })
            set.formUnion(degraded.map { prefix + $0 })
            return (degraded.subtracting(before).sorted(), before.subtracting(degraded).sorted())
        }
        for region in began {
            record(
                DNSEvent(
                    kind: .spillOver, pool: pool.name,
                    summary: "\(pool.name) region \(region) spills over: under "
                        + "\(Int(pool.policy.regionSpillThreshold * 100))% of its nodes are up",
                    detail: ["state": "started", "region": region]))
        }
        for region in ended {
            record(
                DNSEvent(
                    kind: .spillOver, pool: pool.name, summary: "\(pool.name) region \(region) no longer spills over",
                    detail: ["state": "ended", "region": region]))
        }
    }
}
