import DNSWire
import GeoIP

/// Everything GeoDNS answers need that does not change between reloads: pools and the locator.
public struct GeoContext: Sendable {
    public var pools: [GeoPool]
    public var locator: ClientLocator
    /// Per pool: the health of its nodes (nil when the pool has no health checks).
    public var health: [HealthRepository?]

    public init(pools: [GeoPool], locator: ClientLocator, health: [HealthRepository?]? = nil) {
        self.pools = pools
        self.locator = locator
        self.health = health ?? pools.map { _ in nil }
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
        /// The network that decided the placement (the cache key and the ECS scope).
        public var network: IPNetwork
    }

    /// Places a client: ECS address when present and allowed, else the query's source address;
    /// then network maps, databases, and finally the pool's default location.
    public func place(pool: GeoPool, source: IPAddress, clientSubnet: (address: IPAddress, prefix: Int)?) -> ClientPlacement {
        var address = source
        var viaECS = false
        if let ecs = clientSubnet, ecs.prefix > 0, pool.acceptsClientSubnet(from: source) {
            address = ecs.address.masked(to: ecs.prefix)
            viaECS = true
        }
        let found = locator.locate(address)
        var location = found.location
        var how = (viaECS ? "ECS " : "source ") + "\(address) -> " + found.source.rawValue
        if let partial = location, !partial.hasCoordinates {
            // Country known, coordinates not (a Country database): the centroid of the pool's
            // nodes in that country, else in that region; the country/region still drive the biases.
            // A field the database does not give matches nothing: a nil continent is not the region
            // of every node without one.
            let country = partial.country, region = partial.region
            if country != nil, let c = GeoSelector.centroid(of: pool.nodes.filter { $0.location.country == country }) {
                location = GeoLocation(latitude: c.latitude, longitude: c.longitude, country: partial.country, region: partial.region)
                how += " -> country \(partial.country ?? "?") (centroid of its nodes)"
            } else if region != nil, let c = GeoSelector.centroid(of: pool.nodes.filter { $0.location.region == region }) {
                location = GeoLocation(latitude: c.latitude, longitude: c.longitude, country: partial.country, region: partial.region)
                how += " -> region \(partial.region ?? "?") (centroid of its nodes)"
            } else {
                location = nil
                how += " -> country \(partial.country ?? "?") has no nodes"
            }
        }
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
        let prefix = min(found.prefixLength, address.bitLength)
        return ClientPlacement(address: address, viaClientSubnet: viaECS, location: location, source: how,
                               network: IPNetwork(address: address, prefixLength: prefix))
    }

    /// The cell key for tie-breaking: the deciding network, folded to 64 bits.
    public static func cellKey(_ n: IPNetwork) -> UInt64 {
        n.address.high ^ (n.address.low &* 0x9E3779B97F4A7C15) ^ UInt64(n.prefixLength) << 1 ^ (n.address.isIPv4 ? 1 : 0)
    }
}
