import GeoIP

/// Ranks a pool's nodes for one client location. Pure: no I/O, no clock, no randomness.
public enum GeoSelector {
    /// Why a node is or is not in the answer.
    public enum Verdict: Hashable, Sendable {
        case selected(rank: Int)
        case belowCut(rank: Int)
        case disabled
        /// Down (checks, or an operator's drain/force-down): not answered.
        case unhealthy
        /// Down, but answered anyway because no node of the pool is up (fail-open).
        case failOpen(rank: Int)
    }

    /// One candidate with every number that went into its rank (what `explain` prints).
    public struct Candidate: Hashable, Sendable {
        public var node: PoolNode
        public var distanceKm: Double
        public var countryFactor: Double
        public var regionFactor: Double
        public var cost: Double
        public var tieBreak: UInt64
        public var verdict: Verdict
        public var health: HealthState = .healthy
        /// The node's region is degraded (too few nodes up): its cost carries the spill penalty.
        public var regionDegraded = false
    }

    /// Regions whose share of enabled nodes that are up is below the pool's threshold.
    public static func degradedRegions(_ pool: GeoPool, health: ((PoolNode) -> HealthState)?) -> Set<String> {
        guard let health, pool.policy.regionSpillThreshold > 0 else { return [] }
        var total: [String: Int] = [:], up: [String: Int] = [:]
        for n in pool.nodes where n.enabled {
            guard let r = n.location.region else { continue }
            total[r, default: 0] += 1
            if health(n) != .unhealthy { up[r, default: 0] += 1 }
        }
        return Set(
            total.filter { r, t in t > 1 && Double(up[r] ?? 0) / Double(t) < pool.policy.regionSpillThreshold }.keys)
    }

    /// Ranks every node: ascending cost, then the tie-break. `cellKey` identifies the client's
    /// network (the ECS/source prefix that decided its location), so equal-cost nodes are ordered
    /// the same way for one network (no flapping) and differently across networks (load spread).
    /// With no client location every distance counts as 0: ranking falls to weights and the tie-break.
    /// `health` gives each node's effective state: unhealthy nodes are dropped (unless every
    /// node is down: fail-open), degraded ones cost `degradedPenalty` times more.
    public static func rank(
        _ pool: GeoPool, client: GeoLocation?, cellKey: UInt64,
        health: ((PoolNode) -> HealthState)? = nil
    ) -> [Candidate] {
        let policy = pool.policy
        let degradedRegions = degradedRegions(pool, health: health)
        var candidates: [Candidate] = []
        candidates.reserveCapacity(pool.nodes.count)
        for node in pool.nodes {
            let distance = client?.distance(to: node.location) ?? 0
            let countryFactor =
                (client?.country != nil && client?.country == node.location.country) ? policy.countryBias : 1
            let regionFactor = (client?.region != nil && client?.region == node.location.region) ? policy.regionBias : 1
            let state = health?(node) ?? .healthy
            var cost =
                (policy.strategy.cost(distanceKm: distance) + 1) * countryFactor * regionFactor / max(node.weight, 1e-9)
            if state == .degraded { cost *= policy.degradedPenalty }
            let spilled = node.location.region.map(degradedRegions.contains) ?? false
            if spilled { cost *= policy.spillPenalty }
            candidates.append(
                Candidate(
                    node: node, distanceKm: distance, countryFactor: countryFactor, regionFactor: regionFactor,
                    cost: cost, tieBreak: tieBreak(cellKey, node.id), verdict: .disabled, health: state,
                    regionDegraded: spilled))
        }
        var enabled = candidates.filter { $0.node.enabled && $0.health != .unhealthy }
        var down = candidates.filter { $0.node.enabled && $0.health == .unhealthy }
        let failOpen = enabled.isEmpty && policy.failOpen && !down.isEmpty
        if failOpen { swap(&enabled, &down) }
        enabled.sort { a, b in
            // Costs within a relative 1e-9 are equal: float noise must not decide a rank.
            if abs(a.cost - b.cost) > 1e-9 * max(a.cost, b.cost) { return a.cost < b.cost }
            if a.tieBreak != b.tieBreak { return a.tieBreak < b.tieBreak }
            return a.node.id < b.node.id
        }
        for i in enabled.indices {
            if failOpen {
                enabled[i].verdict = i < policy.maxAnswers ? .failOpen(rank: i + 1) : .unhealthy
            } else {
                enabled[i].verdict = i < policy.maxAnswers ? .selected(rank: i + 1) : .belowCut(rank: i + 1)
            }
        }
        for i in down.indices { down[i].verdict = .unhealthy }
        return enabled + down + candidates.filter { !$0.node.enabled }
    }

    /// What decides a client's answer, as a value two locations can be compared by: the enabled
    /// nodes (by index in the pool) in rank order with every healthy node, grouped where the costs
    /// tie (the tie-break then depends only on the client's network). Two locations with the same
    /// signature get the same answer for the same network while no node is degraded and no region
    /// spills (those scale costs, which can reorder differently); removing down nodes keeps the
    /// order of the rest, so it holds under failures too.
    public static func orderSignature(_ pool: GeoPool, client: GeoLocation?) -> [[Int32]] {
        let ranked = rank(pool, client: client, cellKey: 0)
        let index = Dictionary(pool.nodes.enumerated().map { ($1.id, Int32($0)) }, uniquingKeysWith: { a, _ in a })
        var groups: [[Int32]] = []
        var groupCost = -Double.infinity
        for c in ranked where c.node.enabled {
            let id = index[c.node.id] ?? -1
            if let last = groups.indices.last, abs(c.cost - groupCost) <= 1e-9 * max(c.cost, groupCost) {
                groups[last].append(id)
            } else {
                groups.append([id])
                groupCost = c.cost
            }
        }
        return groups.map { $0.sorted() }
    }

    /// The nodes to answer with for one address family, best first, at most `maxAnswers`.
    /// Ranked over the nodes that have an address of that family, so AAAA is never short
    /// because the best nodes happen to be IPv4-only.
    public static func select(_ ranked: [Candidate], ipv6: Bool, maxAnswers: Int) -> [PoolNode] {
        var out: [PoolNode] = []
        let answerable = ranked.filter {
            switch $0.verdict {
            case .selected, .belowCut, .failOpen: return true
            default: return false
            }
        }
        for c in answerable where ipv6 ? c.node.ipv6 != nil : c.node.ipv4 != nil {
            out.append(c.node)
            if out.count == maxAnswers { break }
        }
        return out
    }

    /// FNV-1a over the cell key and the node id: stable across processes (unlike `Hasher`).
    static func tieBreak(_ cellKey: UInt64, _ id: String) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for i in 0..<8 { h = (h ^ ((cellKey >> UInt64(8 * i)) & 0xFF)) &* 0x100000001b3 }
        for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return h
    }

    /// The centroid of a region's enabled nodes (for a `region` default location).
    public static func centroid(of region: String, in pool: GeoPool) -> GeoLocation? {
        centroid(of: pool.nodes.filter { $0.location.region == region }).map {
            GeoLocation(latitude: $0.latitude, longitude: $0.longitude, country: nil, region: region)
        }
    }

    /// The mean coordinate of the enabled nodes given (nil if none). Adequate for the regional
    /// clusters it is used for; not meant for sets straddling the antimeridian.
    public static func centroid(of nodes: [PoolNode]) -> GeoLocation? {
        let enabled = nodes.filter(\.enabled)
        guard !enabled.isEmpty else { return nil }
        let lat = enabled.map(\.location.latitude).reduce(0, +) / Double(enabled.count)
        let lon = enabled.map(\.location.longitude).reduce(0, +) / Double(enabled.count)
        return GeoLocation(latitude: lat, longitude: lon)
    }
}
