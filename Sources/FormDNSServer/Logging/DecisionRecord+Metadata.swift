import FormAuthority
import Logging

extension DecisionRecord {
    /// The decision as swift-log metadata (nested: the candidates are a list of fields).
    public var metadata: Logger.Metadata {
        [
            "pool": .string(pool), "client_network": .string(clientNetwork), "located_by": .string(locatedBy),
            "location": .string(location), "reason": .string(reason), "ttl": .stringConvertible(Int(ttl)),
            "ipv4_nodes": .array(ipv4Nodes.map { .string($0) }), "ipv6_nodes": .array(ipv6Nodes.map { .string($0) }),
            "candidates": .array(
                candidates.map { c in
                    .dictionary([
                        "node": .string(c.node), "distance_km": .stringConvertible((c.distanceKm * 10).rounded() / 10),
                        "cost": .stringConvertible(c.cost), "verdict": .string(c.verdict),
                    ])
                }),
        ]
    }
}
