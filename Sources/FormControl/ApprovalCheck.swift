import DNSWire
import DNSZone
import FormAuthority
import FormConfig
import FormStore

/// Which `management.approvals` rule, if any, a change falls under. Decided on the configurations
/// before and after (so a rollback or a replaced file is judged by what it does, not how it is
/// asked for) plus the operator overrides in force.
enum ApprovalCheck {
    /// `oldZones` and `newZones` are the zones as loaded for each configuration.
    static func rule(
        isRollback: Bool, old: ServerConfig, new: ServerConfig, oldZones: [Zone], newZones: [Zone],
        overrides: [NodeKey: HealthOverride], newOverrides: [NodeKey: HealthOverride]? = nil, rules: [ApprovalRule]
    ) -> ApprovalRule? {
        for rule in rules
        where applies(rule, isRollback, old, new, (oldZones, newZones), overrides, newOverrides ?? overrides) {
            return rule
        }
        return nil
    }

    static func applies(
        _ rule: ApprovalRule, _ isRollback: Bool, _ old: ServerConfig, _ new: ServerConfig,
        _ zones: (old: [Zone], new: [Zone]), _ overrides: [NodeKey: HealthOverride],
        _ newOverrides: [NodeKey: HealthOverride]
    ) -> Bool {
        switch rule {
        case .rollback:
            return isRollback
        case .removePool:
            return !Set(old.geo.pools.map(\.name)).subtracting(new.geo.pools.map(\.name)).isEmpty
        case .removeZone:
            return !Set(old.zones.map(\.origin)).subtracting(new.zones.map(\.origin)).isEmpty
        case .nsSOA:
            return zones.old.contains { zone in
                guard let next = zones.new.first(where: { $0.origin == zone.origin }) else { return false }
                return apexNSAndSOA(zone) != apexNSAndSOA(next)
            }
        case .drainHalfRegion:
            return old.geo.pools.contains { pool in
                let next = new.geo.pools.first { $0.name == pool.name }
                for region in Set(pool.nodes.compactMap(\.location.region)) {
                    let total = pool.nodes.filter { $0.location.region == region }.count
                    let before = answering(pool, region, overrides)
                    let after = next.map { answering($0, region, newOverrides) } ?? 0
                    if after < before, after * 2 < total, before * 2 >= total { return true }
                }
                return false
            }
        }
    }

    /// Nodes of `region` that can be in answers: enabled, not drained or forced down.
    static func answering(_ pool: GeoPool, _ region: String, _ overrides: [NodeKey: HealthOverride]) -> Int {
        pool.nodes.filter { node in
            guard node.location.region == region, node.enabled else { return false }
            let o = overrides[NodeKey(pool: pool.name, node: node.id)]
            return o != .drain && o != .forceDown
        }.count
    }

    /// A zone's apex NS and SOA records as text, the SOA serial left out (every UPDATE raises it:
    /// a new serial alone is no change of the SOA). Read from the loaded zone, which the build
    /// has parsed already.
    static func apexNSAndSOA(_ zone: Zone) -> Set<String> {
        var soa = zone.soa
        soa.serial = 0
        var out: Set<String> = ["\(zone.soaTTL) \(RData.soa(soa))"]
        for ns in zone.nodes[zone.origin]?[.ns]?.records ?? [] { out.insert("NS \(ns)") }
        return out
    }
}
