import DNSWire
import FormAuthority
import FormConfig
import FormStore

/// Which `management.approvals` rule, if any, a change falls under. Decided on the configurations
/// before and after (so a rollback or a replaced file is judged by what it does, not how it is
/// asked for) plus the operator overrides in force.
enum ApprovalCheck {
    static func rule(
        isRollback: Bool, old: ServerConfig, new: ServerConfig, overrides: [NodeKey: HealthOverride],
        newOverrides: [NodeKey: HealthOverride]? = nil, rules: [ApprovalRule]
    ) -> ApprovalRule? {
        for rule in rules where applies(rule, isRollback, old, new, overrides, newOverrides ?? overrides) {
            return rule
        }
        return nil
    }

    static func applies(
        _ rule: ApprovalRule, _ isRollback: Bool, _ old: ServerConfig, _ new: ServerConfig,
        _ overrides: [NodeKey: HealthOverride], _ newOverrides: [NodeKey: HealthOverride]
    ) -> Bool {
        switch rule {
        case .rollback:
            return isRollback
        case .removePool:
            return !Set(old.geo.pools.map(\.name)).subtracting(new.geo.pools.map(\.name)).isEmpty
        case .removeZone:
            return !Set(old.zones.map(\.origin)).subtracting(new.zones.map(\.origin)).isEmpty
        case .nsSOA:
            return old.zones.contains { zone in
                guard let next = new.zones.first(where: { $0.origin == zone.origin }) else { return false }
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

    /// The apex NS and SOA records of an inline zone, as text (nil when the zone is read from a file
    /// or does not parse: the loader reports that).
    static func apexNSAndSOA(_ zone: ZoneConfig) -> Set<String>? {
        guard let text = zone.content else { return nil }
        let records = try? ZoneText(origin: zone.origin, text: text, name: zone.textName).records()
        return records.map { list in
            Set(
                list.map(\.record).filter { $0.name == zone.origin && ($0.type == .ns || $0.type == .soa) }
                    .map { r in
                        // A new serial alone (every UPDATE raises it) is not a change of the SOA.
                        guard case .soa(var soa) = r.data else { return r.description }
                        soa.serial = 0
                        var unserialled = r
                        unserialled.data = .soa(soa)
                        return unserialled.description
                    })
        }
    }
}
