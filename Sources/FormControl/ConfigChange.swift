import DNSWire
import FormConfig

/// One change to the configuration, as the API, the CLI and DNS UPDATE ask for it. Pools, nodes,
/// zones and records are edited in the document; nothing else (listeners, the API, the state
/// directory) can be changed while serving.
public enum ConfigChange: Sendable {
    /// A pool, as under `pools:` in the file.
    case addPool(ConfigNode)
    /// The keys given replace the pool's (`policy`, `ttl`, `health`, `names`, ...); `null` removes one.
    case updatePool(name: String, fields: ConfigNode)
    case removePool(name: String)
    /// A node, as under `pools[].nodes:`.
    case addNode(pool: String, node: ConfigNode)
    case updateNode(pool: String, id: String, fields: ConfigNode)
    case removeNode(pool: String, id: String)
    /// A zone from its master-file text.
    case addZone(origin: String, content: String)
    case removeZone(origin: String)
    /// Records in master-file syntax ("www 300 IN A 192.0.2.1"), relative names under the zone.
    case addRecords(zone: String, records: [String])
    /// Every record of `name` (of `type`, and with `data`, when given).
    case removeRecords(zone: String, name: String, type: String?, data: String?)
    /// An RFC 2136 UPDATE: prerequisites checked against the zone as it is when the change is
    /// made, then the operations in order, then the SOA serial goes up by one.
    case update(zone: String, prerequisites: [UpdateMessage.Record], operations: [ZoneUpdate], by: String)
    /// A whole configuration text (a rollback, an import, an edited file).
    case replace(text: String, action: String)

    /// In words, for the audit and approvals.
    public var action: String {
        switch self {
        case .addPool(let node): "add pool \(Self.poolName(node) ?? "?")"
        case .updatePool(let name, _): "update pool \(name)"
        case .removePool(let name): "remove pool \(name)"
        case .addNode(let pool, let node): "add node \(pool)/\(node["id"]?.scalar?.text ?? "?")"
        case .updateNode(let pool, let id, _): "update node \(pool)/\(id)"
        case .removeNode(let pool, let id): "remove node \(pool)/\(id)"
        case .addZone(let origin, _): "add zone \(origin)"
        case .removeZone(let origin): "remove zone \(origin)"
        case .addRecords(let zone, let records): "add \(records.count) record(s) to \(zone)"
        case .removeRecords(let zone, let name, let type, _): "remove \(name) \(type ?? "*") from \(zone)"
        case .update(let zone, _, let operations, let by):
            "DNS UPDATE of \(zone) (\(operations.count) operation(s)) by \(by)"
        case .replace(_, let action): action
        }
    }

    /// The pool it concerns, for pool-scoped tokens (nil: not one pool's).
    public var pool: String? {
        switch self {
        case .addPool(let node): Self.poolName(node)
        case .updatePool(let name, _), .removePool(let name): name
        case .addNode(let pool, _), .updateNode(let pool, _, _), .removeNode(let pool, _): pool
        default: nil
        }
    }
}

/// One operation of an UPDATE's update section (RFC 2136 2.5).
public enum ZoneUpdate: Sendable {
    /// Add to an RRset (class IN).
    case add(DNSResourceRecord)
    /// Delete an RRset (class ANY, a type), or every RRset of a name (type ANY: nil).
    case deleteRRSet(DNSName, RecordType?)
    /// Delete one record (class NONE).
    case deleteRecord(DNSName, RData)
}
