import DNSWire
import GeoIP
import NetAddress

/// Everything GeoDNS answers need that does not change between reloads: pools and the locator.
public struct GeoContext: Sendable {
    public var pools: [GeoPool]
    public var locator: ClientLocator
    /// Per pool: the health of its nodes (nil when the pool has no health checks).
    public var health: [HealthRepository?]
    /// Sampled decisions go here (nil: no decision log).
    public var decisionLog: DecisionLog?

    /// Per pool: the widest blocks of the first database over which the pool's answer is the
    /// same (the ECS scope), built when the context is made; nil without a database.
    public let answerScopes: [AnswerScopeMap?]

    /// Every region a client can be placed in, for labels: "unknown" first, then the continents a
    /// GeoIP database gives, the nodes' and the network maps' regions. Bounded by configuration.
    public let regionNames: [String]
    let regionIndex: [String: Int32]

    public init(pools: [GeoPool], locator: ClientLocator, health: [HealthRepository?]? = nil) {
        self.pools = pools
        self.locator = locator
        self.health = health ?? pools.map { _ in nil }
        var regions = Set(["AF", "AN", "AS", "EU", "NA", "OC", "SA"]).union(locator.networkMap.regions)
        for pool in pools {
            regions.formUnion(pool.nodes.compactMap(\.location.region))
            if case .region(let r)? = pool.policy.defaultLocation { regions.insert(r) }
        }
        regionNames = ["unknown"] + regions.sorted()
        regionIndex = Dictionary(uniqueKeysWithValues: regionNames.enumerated().map { ($1, Int32($0)) })
        answerScopes = pools.map { pool in
            // Each signature ranks every node: bound the load-time work to about 10^8 node costs.
            locator.databases.first.flatMap { db in
                AnswerScopeMap(
                    database: db, emptyIsDecided: locator.databases.count == 1,
                    maxSignatures: 100_000_000 / max(pool.nodes.count, 1)
                ) { found in
                    GeoSelector.orderSignature(pool, client: GeoContext.effectiveLocation(pool, found: found).location)
                }
            }
        }
    }

    /// The label index of a placed client's region (0, "unknown", when it has none).
    func regionLabel(_ location: GeoLocation?) -> Int32 {
        location?.region.flatMap { regionIndex[$0] } ?? 0
    }

    /// Pool owner names -> pool index, for the engine.
    public var poolNames: [DNSName: Int] {
        var out: [DNSName: Int] = [:]
        for (i, p) in pools.enumerated() { for n in p.names { out[n] = i } }
        return out
    }

    /// Where a client is and how that was decided, for selection and for `explain`.
    public struct ClientPlacement: Sendable {
        public var address: IPAddress
        public var viaClientSubnet: Bool
        public var location: GeoLocation?
        public var source: String
        /// The block the answer holds for (the cache key, the cell key and the ECS scope): the
        /// widest around the client with the same answer.
        public var network: IPNetwork
        /// The network that decided the location itself (a database record or map entry, or the
        /// empty block around a miss): `network` falls back to it when health scales costs.
        public var decidingNetwork: IPNetwork
        /// What placed the client: the network map, a database, or nothing (then `defaulted`
        /// says whether the pool's default location stood in).
        public var locatedBy: ClientLocator.Source = .none
        /// The pool's default location was used: the client was not found, or found without
        /// coordinates and with no node in its country or region.
        public var defaulted = false
    }

    /// Places a client for `pools[index]`: ECS address when present and allowed, else the query's
    /// source address; then network maps, databases, and finally the pool's default location.
    public func place(pool index: Int, source: IPAddress, clientSubnet: (address: IPAddress, prefix: Int)?)
        -> ClientPlacement
    {
        let pool = pools[index]
        var address = source
        var viaECS = false
        if let ecs = clientSubnet, ecs.prefix > 0, pool.acceptsClientSubnet(from: source) {
            address = ecs.address.masked(to: ecs.prefix)
            viaECS = true
        }
        let found = locator.locate(address)
        let (location, note, defaulted) = Self.effectiveLocation(pool, found: found.location)
        let how = (viaECS ? "ECS " : "source ") + "\(address) -> " + found.source.rawValue + note
        let deciding = min(found.prefixLength, address.bitLength)
        var prefix = deciding
        // The widest block around the address over which the first database gives the same answer
        // (never narrower than the map's empty block, never wider than where the map has entries).
        if let scopes = answerScopes[index],
            found.databaseIndex == 0 || (found.source == .none && locator.databases.count == 1),
            let uniform = scopes.uniformPrefix(address)
        {
            prefix = min(prefix, max(uniform, found.mapMissPrefix))
        }
        return ClientPlacement(
            address: address, viaClientSubnet: viaECS, location: location, source: how,
            network: IPNetwork(address: address, prefixLength: prefix),
            decidingNetwork: IPNetwork(address: address, prefixLength: deciding), locatedBy: found.source,
            defaulted: defaulted)
    }

    /// Where a client found at `found` (nil: not found) is placed for `pool`: a record without
    /// coordinates goes to the centroid of the pool's nodes in its country, else its region; with
    /// neither, or nothing found, the pool's default location. Also what to say about it.
    static func effectiveLocation(
        _ pool: GeoPool, found: GeoLocation?
    ) -> (location: GeoLocation?, note: String, defaulted: Bool) {
        var location = found
        var how = ""
        if let partial = location, !partial.hasCoordinates {
            // A field the database does not give matches nothing: a nil continent is not the region
            // of every node without one.
            let country = partial.country, region = partial.region
            if country != nil, let c = GeoSelector.centroid(of: pool.nodes.filter { $0.location.country == country }) {
                location = GeoLocation(
                    latitude: c.latitude, longitude: c.longitude, country: partial.country, region: partial.region)
                how += " -> country \(partial.country ?? "?") (centroid of its nodes)"
            } else if region != nil,
                let c = GeoSelector.centroid(of: pool.nodes.filter { $0.location.region == region })
            {
                location = GeoLocation(
                    latitude: c.latitude, longitude: c.longitude, country: partial.country, region: partial.region)
                how += " -> region \(partial.region ?? "?") (centroid of its nodes)"
            } else {
                location = nil
                how += " -> country \(partial.country ?? "?") has no nodes"
            }
        }
        let defaulted = location == nil && pool.policy.defaultLocation != nil
        if location == nil {
            switch pool.policy.defaultLocation {
            case .coordinate(let l)?:
                location = l
                how += " -> default location"
            case .region(let r)?:
                location = GeoSelector.centroid(of: r, in: pool)
                how += " -> default region \(r)"
            case nil:
                how += " -> no default: ranked by weight only"
            }
        }
        return (location, how, defaulted)
    }

    /// The cell key for tie-breaking: the deciding network, folded to 64 bits.
    public static func cellKey(_ n: IPNetwork) -> UInt64 {
        n.address.high ^ (n.address.low &* 0x9E3779B97F4A7C15) ^ UInt64(n.prefixLength) << 1
            ^ (n.address.isIPv4 ? 1 : 0)
    }
}
