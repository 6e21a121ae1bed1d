import DNSWire
import Foundation
import GeoIP
import NetAddress

/// Renders how a pool answer is chosen for one client: what operators read to debug GeoDNS.
public enum GeoExplainer {
    public enum Failure: Error, CustomStringConvertible {
        case noPool(DNSName)
        public var description: String {
            switch self {
            case .noPool(let n): return "\(n) is not a pool name in this configuration"
            }
        }
    }

    public static func explain(_ geo: GeoContext, name: DNSName, source: IPAddress, clientSubnet: IPNetwork?)
        throws(Failure) -> String
    {
        guard let index = geo.poolNames[name] else { throw .noPool(name) }
        let pool = geo.pools[index]
        let ecs = clientSubnet.map { ($0.address, $0.prefixLength) }
        var placement = geo.place(pool: index, source: source, clientSubnet: ecs)
        let repository = geo.health[index]
        let ranked = PoolAnswerer.rank(pool, placement: &placement, health: repository)
        let entry = PoolAnswerer.entry(pool, placement: placement, ranked: ranked, health: repository)
        var out: [String] = []
        let p = pool.policy
        out.append(
            "pool \(pool.name) (\(pool.names.map(\.description).joined(separator: ", "))): "
                + "strategy \(p.strategy.name), country bias \(fmt(p.countryBias)), region bias \(fmt(p.regionBias)), "
                + "max \(p.maxAnswers) answers, TTL \(pool.ttl)"
        )
        var ecsNote = "none"
        if let s = clientSubnet {
            ecsNote =
                pool.acceptsClientSubnet(from: source)
                ? "\(s)" : "\(s) (ignored: \(pool.ecsEnabled ? "resolver not trusted" : "ECS disabled for this pool"))"
        }
        out.append("query from \(source), client subnet \(ecsNote)")
        out.append("client location: \(placement.location.map(\.description) ?? "unknown") [\(placement.source)]")
        let scope =
            placement.viaClientSubnet ? "\(min(placement.network.prefixLength, clientSubnet?.prefixLength ?? 0))" : "0"
        out.append("decided by network \(placement.network); ECS scope \(scope)")
        let spilled = Set(ranked.filter(\.regionDegraded).compactMap(\.node.location.region)).sorted()
        if !spilled.isEmpty {
            out.append(
                "regional degradation: \(spilled.joined(separator: ", ")) below "
                    + "\(Int(p.regionSpillThreshold * 100))% of nodes up: "
                    + "clients spill over to the nearest healthy regions"
            )
        }
        out.append("")
        out.append(
            pad("rank", 5) + pad("node", 14) + pad("ipv4", 16) + pad("ipv6", 22) + pad("km", 10) + pad("weight", 8)
                + pad("country", 9) + pad("region", 8) + pad("health", 10) + pad("cost", 14) + "verdict")
        for c in ranked {
            let rank: String
            let verdict: String
            switch c.verdict {
            case .selected(let r):
                rank = "\(r)"
                verdict = "selected"
            case .belowCut(let r):
                rank = "\(r)"
                verdict = "dropped: below max_answers"
            case .disabled:
                rank = "-"
                verdict = "dropped: disabled"
            case .unhealthy:
                rank = "-"
                verdict = "dropped: unhealthy"
            case .failOpen(let r):
                rank = "\(r)"
                verdict = "selected: fail-open (every node is down)"
            }
            out.append(
                pad(rank, 5) + pad(c.node.id, 14) + pad(c.node.ipv4.map(IPAddressText.format) ?? "-", 16)
                    + pad(c.node.ipv6.map(IPAddressText.format) ?? "-", 22)
                    + pad(String(format: "%.0f", c.distanceKm), 10)
                    + pad(fmt(c.node.weight), 8) + pad(c.countryFactor == 1 ? "-" : "x\(fmt(c.countryFactor))", 9)
                    + pad(c.regionFactor == 1 ? "-" : "x\(fmt(c.regionFactor))", 8)
                    + pad(c.health.rawValue + (c.regionDegraded ? "*" : ""), 10)
                    + pad(String(format: "%.4g", c.cost), 14) + verdict)
        }
        // A fleet: where its verdict, not this authority's own checks, decides a node's health.
        let nodes = repository?.snapshot() ?? [:]
        for c in ranked {
            guard let agreed = nodes[c.node.id]?.agreed, let own = nodes[c.node.id]?.state, agreed != own else {
                continue
            }
            out.append(
                "fleet: \(c.node.id) is \(own.rawValue) by this authority's checks; the fleet's verdict, which "
                    + "answers use, is \(agreed.rawValue)")
        }
        out.append("")
        out.append("TTL \(entry.ttl)")
        out.append(
            "A answer:    "
                + (entry.ipv4.isEmpty ? "NODATA" : entry.ipv4.map(IPAddressText.format).joined(separator: " ")))
        out.append(
            "AAAA answer: "
                + (entry.ipv6.isEmpty ? "NODATA" : entry.ipv6.map(IPAddressText.format).joined(separator: " ")))
        return out.joined(separator: "\n")
    }

    static func fmt(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(format: "%g", d) }
    static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }
}
