import FormAuthority
import FormConfig
import FormDNSServer
import FormStore
import Foundation
import Logging
import Synchronization

/// Turns what happens while serving into the event history (`StateKeeper.event`): health
/// transitions, overrides, applied changes, reloads, and a pool's fail-open periods, which it
/// works out itself from the pools' health after each transition or override.
final class EventRecorder: Sendable {
    let keeper: StateKeeper?
    /// The decision log, which gets every event too (nil: off).
    let log: Logger?
    /// The server, once it exists (transitions can only come after it does).
    private let server = Mutex<DNSServer?>(nil)
    /// Pools answering fail-open now.
    private let failingOpen = Mutex<Set<String>>([])

    init(keeper: StateKeeper?, log: Logger? = nil) {
        self.keeper = keeper
        self.log = log
    }

    private func record(_ event: DNSEvent) {
        keeper?.event(event)
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
        checkFailOpen(pool: pool)
    }

    func override(_ key: NodeKey, _ value: HealthOverride?) {
        let what = value?.rawValue ?? "none"
        record(
            DNSEvent(
                kind: .override, pool: key.pool, node: key.node, summary: "\(key) override \(what)",
                detail: ["override": what]))
        checkFailOpen(pool: key.pool)
    }

    func applied(action: String, author: String, message: String, version: Int?, config: ServerConfig) {
        keeper?.retentionDays.store(config.eventRetentionDays, ordering: .relaxed)
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

    /// Records the start or end of a fail-open period: every enabled node of a pool that fails
    /// open is unhealthy.
    func checkFailOpen(pool name: String) {
        guard let geo = server.withLock({ $0 })?.currentBuilder().geo,
            let i = geo.pools.firstIndex(where: { $0.name == name }), let health = geo.health[i]
        else { return }
        let pool = geo.pools[i]
        let states = health.effectiveStates()
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
}
