import DNSWire
import FormConfig

extension ConfigChange {
    /// The document after this change. Only the document is edited here; whether the result is a
    /// valid configuration is the schema's and the loader's to say (`ControlPlane`).
    public func applied(to root: ConfigNode) throws(ChangeError) -> ConfigNode {
        var root = root
        switch self {
        case .addPool(let pool):
            guard let name = Self.poolName(pool) else { throw ChangeError(.invalid, "a pool needs a name or names") }
            var pools = root["pools"]?.list ?? []
            guard Self.poolIndex(name, in: pools) == nil else {
                throw ChangeError(.conflict, "pool \(name) exists")
            }
            pools.append(pool)
            root.set("pools", ConfigNode(.list(pools)))
        case .updatePool(let name, let fields):
            try Self.editPool(name, in: &root) { pool throws(ChangeError) in
                guard fields["name"] == nil || fields["name"]?.scalar?.text == name else {
                    throw ChangeError(.invalid, "a pool's name cannot change (add a new pool, then remove this one)")
                }
                pool.merge(fields)
            }
        case .removePool(let name):
            var pools = root["pools"]?.list ?? []
            guard let i = Self.poolIndex(name, in: pools) else { throw ChangeError(.notFound, "no pool \(name)") }
            pools.remove(at: i)
            root.set("pools", ConfigNode(.list(pools)))
        case .addNode(let poolName, let node):
            guard let id = node["id"]?.scalar?.text else { throw ChangeError(.invalid, "a node needs an id") }
            try Self.editPool(poolName, in: &root) { pool throws(ChangeError) in
                var nodes = pool["nodes"]?.list ?? []
                guard Self.index(of: id, key: "id", in: nodes) == nil else {
                    throw ChangeError(.conflict, "node \(poolName)/\(id) exists")
                }
                nodes.append(node)
                pool.set("nodes", ConfigNode(.list(nodes)))
            }
        case .updateNode(let poolName, let id, let fields):
            try Self.editNode(poolName, id, in: &root) { node throws(ChangeError) in
                guard fields["id"] == nil || fields["id"]?.scalar?.text == id else {
                    throw ChangeError(.invalid, "a node's id cannot change")
                }
                node.merge(fields)
            }
        case .removeNode(let poolName, let id):
            try Self.editPool(poolName, in: &root) { pool throws(ChangeError) in
                var nodes = pool["nodes"]?.list ?? []
                guard let i = Self.index(of: id, key: "id", in: nodes) else {
                    throw ChangeError(.notFound, "no node \(poolName)/\(id)")
                }
                nodes.remove(at: i)
                pool.set("nodes", ConfigNode(.list(nodes)))
            }
        case .addZone(let originText, let content):
            let origin = try Self.name(originText)
            var zones = root["zones"]?.list ?? []
            guard Self.zoneIndex(origin, in: zones) == nil else {
                throw ChangeError(.conflict, "zone \(origin) exists")
            }
            var zone = ConfigNode(.mapping([]))
            zone.set("origin", .string(origin.description))
            zone.set("content", .string(content))
            zones.append(zone)
            root.set("zones", ConfigNode(.list(zones)))
        case .removeZone(let originText):
            let origin = try Self.name(originText)
            var zones = root["zones"]?.list ?? []
            guard let i = Self.zoneIndex(origin, in: zones) else { throw ChangeError(.notFound, "no zone \(origin)") }
            zones.remove(at: i)
            root.set("zones", ConfigNode(.list(zones)))
        case .addRecords(let zoneName, let lines):
            try Self.editZone(zoneName, in: &root) { zone throws(ChangeError) in
                let soaTTL = try zone.records().first { $0.record.type == .soa }?.record.ttl ?? 3600
                let records = try zone.parseRecords(lines, defaultTTL: soaTTL)
                if let soa = records.first(where: { $0.type == .soa }) {
                    throw ChangeError(.invalid, "\(soa.name) SOA: change the SOA with an update of the zone")
                }
                guard try zone.add(records) > 0 else { throw ChangeError(.conflict, "every record given exists") }
                try zone.raiseSerial()
            }
        case .removeRecords(let zoneName, let nameText, let typeText, let dataText):
            try Self.editZone(zoneName, in: &root) { zone throws(ChangeError) in
                let owner = try Self.name(nameText, origin: zone.origin)
                let type = try typeText.map { t throws(ChangeError) in
                    guard let type = RecordType(mnemonic: t.uppercased()) else {
                        throw ChangeError(.invalid, "unknown record type \(t)")
                    }
                    return type
                }
                let data = try dataText.map { d throws(ChangeError) in
                    guard let type else { throw ChangeError(.invalid, "data needs a type") }
                    let probe = try zone.parseRecords(["@ 0 IN \(type) \(d)"], defaultTTL: 0)
                    return probe[0].data
                }
                if type == .soa || (type == nil && owner == zone.origin && data == nil) {
                    throw ChangeError(.invalid, "the zone's SOA cannot be removed (remove the zone instead)")
                }
                let removed = try zone.remove { r in
                    r.name == owner && (type == nil || r.type == type) && (data == nil || r.data == data)
                        && r.type != .soa
                }
                guard removed > 0 else { throw ChangeError(.notFound, "no such record in \(zone.origin)") }
                try zone.raiseSerial()
            }
        case .update(let zoneName, let prerequisites, let operations, _):
            try Self.editZone(zoneName, in: &root) { zone throws(ChangeError) in
                let records = try zone.records().map(\.record)
                try UpdatePrerequisites.check(prerequisites, against: records, zone: zone.origin)
                try zone.apply(operations)
            }
        case .replace(let text, _):
            do { return try ConfigDocument(parsing: text, source: "replacement").root } catch {
                throw ChangeError(.invalid, "the configuration is not valid YAML", errors: error.errors)
            }
        }
        return root
    }

    /// A pool's name as the API and the loaded configuration know it: `name`, else its first name
    /// (as `pools[].name` defaults).
    public static func poolName(_ pool: ConfigNode) -> String? {
        if let name = pool["name"]?.scalar?.text, !name.isEmpty { return name }
        return pool["names"]?.list?.first?.scalar.flatMap { try? DNSName(parsing: $0.text, origin: .root) }?.description
    }

    static func poolIndex(_ name: String, in pools: [ConfigNode]) -> Int? {
        pools.firstIndex { poolName($0) == name }
    }

    static func index(of value: String, key: String, in list: [ConfigNode]) -> Int? {
        list.firstIndex { $0[key]?.scalar?.text == value }
    }

    static func name(_ text: String, origin: DNSName = .root) throws(ChangeError) -> DNSName {
        do { return try DNSName(parsing: text, origin: origin) } catch {
            throw ChangeError(.invalid, "'\(text)' is not a domain name: \(error)")
        }
    }

    static func zoneIndex(_ origin: DNSName, in zones: [ConfigNode]) -> Int? {
        zones.firstIndex { z in
            (z["origin"]?.scalar?.text).flatMap { try? DNSName(parsing: $0, origin: .root) } == origin
        }
    }

    static func editPool(
        _ name: String, in root: inout ConfigNode, _ edit: (inout ConfigNode) throws(ChangeError) -> Void
    ) throws(ChangeError) {
        var pools = root["pools"]?.list ?? []
        guard let i = poolIndex(name, in: pools) else { throw ChangeError(.notFound, "no pool \(name)") }
        try edit(&pools[i])
        root.set("pools", ConfigNode(.list(pools)))
    }

    static func editNode(
        _ pool: String, _ id: String, in root: inout ConfigNode, _ edit: (inout ConfigNode) throws(ChangeError) -> Void
    ) throws(ChangeError) {
        try editPool(pool, in: &root) { p throws(ChangeError) in
            var nodes = p["nodes"]?.list ?? []
            guard let i = index(of: id, key: "id", in: nodes) else {
                throw ChangeError(.notFound, "no node \(pool)/\(id)")
            }
            try edit(&nodes[i])
            p.set("nodes", ConfigNode(.list(nodes)))
        }
    }

    /// Edits a zone's inline text (`ControlPlane` inlines every zone's file when it seeds).
    static func editZone(
        _ originText: String, in root: inout ConfigNode, _ edit: (inout ZoneText) throws(ChangeError) -> Void
    ) throws(ChangeError) {
        let origin = try name(originText)
        var zones = root["zones"]?.list ?? []
        guard let i = zoneIndex(origin, in: zones) else { throw ChangeError(.notFound, "no zone \(origin)") }
        guard let text = zones[i]["content"]?.scalar?.text else {
            throw ChangeError(.unavailable, "zone \(origin) is read from a file, not held in the configuration")
        }
        var zone = ZoneText(origin: origin, text: text, name: "zone \(origin)")
        try edit(&zone)
        zones[i].set("content", .string(zone.text))
        root.set("zones", ConfigNode(.list(zones)))
    }
}
