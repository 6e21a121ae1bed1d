import FormAuthority
import FormDNSServer
import FormStore

/// Operator overrides on the serving pools: read for the approval rules, set for the API and
/// approvals, and saved in the store so they survive a restart.
struct NodeOverrides: Sendable {
    let server: DNSServer
    let keeper: StateKeeper?
    let events: EventRecorder

    func all() -> [NodeKey: HealthOverride] {
        guard let geo = server.currentBuilder().geo else { return [:] }
        var out: [NodeKey: HealthOverride] = [:]
        for (i, pool) in geo.pools.enumerated() {
            for (id, node) in geo.health[i]?.snapshot() ?? [:] {
                if let o = node.override { out[NodeKey(pool: pool.name, node: id)] = o }
            }
        }
        return out
    }

    /// False when the pool has no such node or no health settings.
    func set(_ key: NodeKey, _ value: HealthOverride?) -> Bool {
        guard let geo = server.currentBuilder().geo, let i = geo.pools.firstIndex(where: { $0.name == key.pool }),
            geo.pools[i].nodes.contains(where: { $0.id == key.node }), let repository = geo.health[i]
        else { return false }
        repository.setOverride(node: key.node, value)
        keeper?.saveOverride(key, value)
        events.override(key, value)
        return true
    }

    /// Puts in force an override another authority of the fleet set (and stored, and recorded).
    func adopt(_ key: NodeKey, _ value: HealthOverride?) {
        guard let geo = server.currentBuilder().geo, let i = geo.pools.firstIndex(where: { $0.name == key.pool }),
            geo.pools[i].nodes.contains(where: { $0.id == key.node })
        else { return }
        geo.health[i]?.setOverride(node: key.node, value)
    }
}
