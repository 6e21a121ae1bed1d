import DNSWire
import GeoIP
import NetAddress

/// Answers GeoDNS pool names: where the client is (ECS when present and allowed, else the query's
/// source), which nodes it gets, and the TTL, memoised per event loop in a `GeoAnswerCache`.
///
/// Shared by the responder (per query) and `explain` (offline and over the API), as gdnsd's offline
/// test tool shares its server's code: both call `rank` and `entry`, so they cannot disagree.
/// No I/O and no clock of its own: health comes from the pools' repositories.
public struct PoolAnswerer: Sendable {
    public let geo: GeoContext
    /// Per pool, what the per-query path reads (as references, so reading costs one retain).
    let runtime: [Runtime]
    /// Signs pool answers for DO queries when a pool's zone is signed.
    let signing: PoolSigning?

    /// What a pool answer in a signed zone is signed with: the signer and, per pool, its zone.
    struct PoolSigning: Sendable {
        let signer: ResponseSigner
        let poolZones: [Int]
    }

    final class Runtime: Sendable {
        let ecsEnabled: Bool
        let trustedResolvers: [IPNetwork]
        let health: HealthRepository?

        init(_ p: GeoPool, health: HealthRepository?) {
            ecsEnabled = p.ecsEnabled
            trustedResolvers = p.trustedResolvers
            self.health = health
        }

        @inline(__always)
        func acceptsClientSubnet(from source: IPAddress) -> Bool {
            ecsEnabled && (trustedResolvers.isEmpty || trustedResolvers.contains { $0.contains(source) })
        }
    }

    public init(geo: GeoContext, signer: ResponseSigner? = nil, poolZones: [Int] = []) {
        self.geo = geo
        runtime = geo.pools.enumerated().map { i, p in Runtime(p, health: geo.health[i]) }
        signing = signer.map { PoolSigning(signer: $0, poolZones: poolZones) }
    }

    static let unspecified = IPAddress(high: 0, low: 0, isIPv4: true)

    /// The pool's answer for this query and the ECS scope to return with it.
    func answer(
        pool index: Int, view: DNSQueryView, source: IPAddress?,
        cache: GeoAnswerCache?
    ) -> (GeoAnswerCache.Entry, scope: UInt8) {
        let from = source ?? Self.unspecified
        let ecs = placementAddress(index, view: view, source: from)
        let entry = answer(pool: index, from: from, ecs: ecs, cache: cache)
        // RFC 7871 7.2.1: ECS not used (absent, SOURCE 0, disabled, untrusted) -> SCOPE 0; otherwise
        // the block the answer holds for, no longer than SOURCE.
        return (entry, ecs == nil ? 0 : min(entry.networkPrefix, view.ecsSourcePrefix))
    }

    /// The client's address for placement: ECS when present, non-zero and allowed for this pool.
    private func placementAddress(_ pool: Int, view: DNSQueryView, source: IPAddress) -> (IPAddress, Int)? {
        guard view.hasClientSubnet, view.ecsSourcePrefix > 0, runtime[pool].acceptsClientSubnet(from: source) else {
            return nil
        }
        let address = IPAddress(high: view.ecsAddressHigh, low: view.ecsAddressLow, isIPv4: view.ecsFamily == 1)
        return (address, Int(view.ecsSourcePrefix))
    }

    private func answer(
        pool index: Int, from: IPAddress, ecs: (IPAddress, Int)?,
        cache: GeoAnswerCache?
    ) -> GeoAnswerCache.Entry {
        let key = ecs.map { $0.0.masked(to: $0.1) } ?? from
        let repository = runtime[index].health
        let generation = repository?.generation.load(ordering: .acquiring) ?? 0
        if let hit = cache?.lookup(pool: index, address: key, generation: generation) { return hit }
        let pool = geo.pools[index]
        var placement = geo.place(pool: index, source: from, clientSubnet: ecs)
        let ranked = Self.rank(pool, placement: &placement, health: repository)
        let entry = Self.entry(
            pool, placement: placement, ranked: ranked, health: repository, generation: generation,
            clientRegion: geo.regionLabel(placement.location),
            signing: signing.flatMap { s in s.signer.isSigned(zone: s.poolZones[index]) ? (s, index) : nil })
        cache?.insert(pool: index, network: placement.network, entry: entry)
        if let log = geo.decisionLog, log.sample() {
            log.sink(Self.record(pool, placement: placement, ranked: ranked, entry: entry))
        }
        return entry
    }

    /// A decision as the decision log writes it.
    static func record(
        _ pool: GeoPool, placement: GeoContext.ClientPlacement, ranked: [GeoSelector.Candidate],
        entry: GeoAnswerCache.Entry
    ) -> DecisionRecord {
        let how = placement.defaulted ? "default" : placement.locatedBy.rawValue
        let location =
            placement.location.map { l in
                [l.country, l.region, l.hasCoordinates ? "\(l.latitude),\(l.longitude)" : nil].compactMap { $0 }
                    .joined(separator: " ")
            } ?? "unknown"
        func names(_ indices: [Int32]) -> [String] {
            indices.compactMap { Int($0) < pool.nodes.count ? pool.nodes[Int($0)].id : nil }
        }
        return DecisionRecord(
            pool: pool.name, clientNetwork: "\(placement.network)",
            locatedBy: (placement.viaClientSubnet ? "ecs " : "source ") + how, location: location,
            candidates: ranked.map {
                DecisionRecord.Candidate(
                    node: $0.node.id, distanceKm: $0.distanceKm, cost: $0.cost, verdict: "\($0.verdict)")
            },
            ipv4Nodes: names(entry.decision.ipv4Nodes), ipv6Nodes: names(entry.decision.ipv6Nodes),
            reason: entry.decision.reason.label, ttl: entry.ttl)
    }

    /// Ranks a pool's nodes for one placed client, with the pool's current health if it has checks.
    /// The widened answer block (`AnswerScopeMap`) holds only while no cost is scaled by health: with
    /// a degraded node or a spilling region the client's own deciding network is used instead (its
    /// cell key, its cache block, its ECS scope), so `placement` may come back narrowed.
    static func rank(
        _ pool: GeoPool, placement: inout GeoContext.ClientPlacement,
        health: HealthRepository?
    ) -> [GeoSelector.Candidate] {
        let states = health?.stateLookup()
        let ranked = GeoSelector.rank(
            pool, client: placement.location, cellKey: GeoContext.cellKey(placement.network),
            health: states)
        guard placement.network != placement.decidingNetwork,
            ranked.contains(where: { $0.health == .degraded || $0.regionDegraded })
        else { return ranked }
        placement.network = placement.decidingNetwork
        return GeoSelector.rank(
            pool, client: placement.location, cellKey: GeoContext.cellKey(placement.network),
            health: states)
    }

    /// Encodes a pool's answer from its ranking, with the TTL health allows (`HealthTTLPolicy`).
    static func entry(
        _ pool: GeoPool, placement: GeoContext.ClientPlacement, ranked: [GeoSelector.Candidate],
        health: HealthRepository? = nil, generation: Int = 0, clientRegion: Int32 = 0,
        signing: (PoolSigning, pool: Int)? = nil
    ) -> GeoAnswerCache.Entry {
        let v4Nodes = GeoSelector.select(ranked, ipv6: false, maxAnswers: pool.policy.maxAnswers)
        let v6Nodes = GeoSelector.select(ranked, ipv6: true, maxAnswers: pool.policy.maxAnswers)
        let v4 = v4Nodes.compactMap(\.ipv4)
        let v6 = v6Nodes.compactMap(\.ipv6)
        let ttl = Self.ttl(pool, ranked: ranked, answered: v4Nodes + v6Nodes, health: health)
        func template(_ addresses: [[UInt8]], _ type: RecordType, owner: DNSName = pool.names[0], signed: Bool = false)
            -> AnswerTemplate?
        {
            if addresses.isEmpty, signed, let (s, index) = signing {
                // No node of this family: a NODATA whose NSEC lists the family this answer has.
                let other: [RecordType] = type == .a ? (v6.isEmpty ? [] : [.aaaa]) : (v4.isEmpty ? [] : [.a])
                return s.signer.poolNoData(owner: owner, answered: other, zone: s.poolZones[index]).map {
                    AnswerTemplate(question: DNSQuestion(name: owner, type: type), resolution: $0)
                }
            }
            guard !addresses.isEmpty else { return nil }
            var r = Resolution(rcode: .noError, authoritative: true)
            r.answers = addresses.map { a in
                let data: RData = a.count == 4 ? .a(ARecord(a[0], a[1], a[2], a[3])) : .aaaa(AAAARecord(bytes: a)!)
                return DNSResourceRecord(name: owner, ttl: ttl, data: data)
            }
            if signed, let (s, index) = signing {
                // Signed over the pool's full TTL (the RRSIG's original TTL), served with the TTL
                // health allows: one signature per distinct node set, whatever the TTL.
                guard
                    let rrsigs = s.signer.rrsigs(
                        owner: owner, type: type, rdata: r.answers.map(\.data), originalTTL: pool.ttl,
                        zone: s.poolZones[index])
                else { return nil }
                r.answers += rrsigs.map { DNSResourceRecord(name: owner, ttl: ttl, data: .rrsig($0)) }
            }
            // The owner equals the question name, so it is encoded as a pointer to offset 12 and
            // the template fits every spelling of that name (and, unsigned, every name of the pool).
            return AnswerTemplate(question: DNSQuestion(name: owner, type: type), resolution: r)
        }
        let signedA = signing == nil ? [] : pool.names.map { template(v4, .a, owner: $0, signed: true) }
        let signedAAAA = signing == nil ? [] : pool.names.map { template(v6, .aaaa, owner: $0, signed: true) }
        func indices(_ nodes: [PoolNode]) -> [Int32] {
            nodes.compactMap { n in pool.nodes.firstIndex { $0.id == n.id }.map(Int32.init) }
        }
        let decision = GeoDecision(
            reason: GeoDecision.reason(ranked: ranked, answered: v4Nodes + v6Nodes, placement: placement),
            clientRegion: clientRegion, ipv4Nodes: indices(v4Nodes), ipv6Nodes: indices(v6Nodes))
        return GeoAnswerCache.Entry(
            a: template(v4, .a), aaaa: template(v6, .aaaa), signedA: signedA, signedAAAA: signedAAAA,
            ipv4: v4, ipv6: v6, ttl: ttl,
            networkPrefix: UInt8(placement.network.prefixLength), healthGeneration: generation, decision: decision)
    }

    /// The answer's TTL: the pool's, shortened by the health of the nodes in it.
    private static func ttl(
        _ pool: GeoPool, ranked: [GeoSelector.Candidate], answered: [PoolNode],
        health: HealthRepository?
    ) -> UInt32 {
        guard let cfg = pool.health, let health else { return pool.ttl }
        let snapshot = health.snapshot()
        // The states the ranking used, so TTL and answer agree even if health moved meanwhile.
        let rankedState = Dictionary(ranked.map { ($0.node.id, $0.health) }, uniquingKeysWith: { a, _ in a })
        let failOpen = ranked.contains {
            if case .failOpen = $0.verdict { return true }
            return false
        }
        // Counted only for answered nodes that are failing checks: a passing node keeps the full TTL.
        let removal = answered.compactMap {
            (snapshot[$0.id] ?? NodeHealth()).checksUntilRemoval(policy: health.policy)
        }.min()
        // A degraded region in the answer shortens the TTL like a degraded node does.
        let regionDegraded = ranked.contains { c in c.regionDegraded && answered.contains { $0.id == c.node.id } }
        // Without active checks (`check: none`) no check can remove a node: no interval bound.
        let interval = cfg.check == .none ? 0 : Double(cfg.intervalMs) / 1000
        let policy = HealthTTLPolicy(
            full: pool.ttl, degraded: cfg.degradedTTL, minimum: cfg.minimumTTL,
            checkInterval: interval)
        let states = answered.map { rankedState[$0.id] ?? .healthy } + (regionDegraded ? [.degraded] : [])
        return policy.ttl(answered: states, failOpen: failOpen, checksUntilRemoval: removal)
    }
}
