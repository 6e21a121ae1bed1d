import DNSWire
import GeoIP
import NetAddress
#if canImport(Glibc)
    import Glibc
#endif

/// One entry node a pool can hand out.
public struct PoolNode: Hashable, Sendable {
    public var id: String
    public var ipv4: [UInt8]?
    public var ipv6: [UInt8]?
    public var location: GeoLocation
    /// Relative capacity: cost is divided by it, so a node of weight 2 competes as if half as far.
    public var weight: Double
    public var enabled: Bool
    /// What a joining node needs besides the address, published as the `_formnet.<name>` TXT
    /// record of each pool name (nil: the node publishes nothing; zone files may still carry it).
    public var discovery: NodeDiscovery? = nil

    public init(
        id: String, ipv4: [UInt8]? = nil, ipv6: [UInt8]? = nil, location: GeoLocation, weight: Double = 1,
        enabled: Bool = true
    ) {
        self.id = id
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.location = location
        self.weight = weight
        self.enabled = enabled
    }
}

/// How distance turns into cost. Cost is what ranking minimises:
///
///     cost = (f(distance_km) + 1) * countryBias? * regionBias? / weight
///
/// with `f` one of: linear `d`, quadratic `d * d`, logarithmic `ln(1 + d)`, and stepped
/// `index of the first band whose upper bound (km) exceeds d` (every node in one band costs the
/// same, so weights and biases decide inside a band and the tie-break spreads the rest).
/// The `+ 1` keeps weights and biases meaningful for a node at distance 0.
public enum DistanceStrategy: Hashable, Sendable {
    case linear
    case quadratic
    case logarithmic
    case stepped(bandsKm: [Double])

    public func cost(distanceKm d: Double) -> Double {
        switch self {
        case .linear: return d
        case .quadratic: return d * d
        case .logarithmic: return log(1 + d)
        case .stepped(let bands):
            return Double(bands.firstIndex { d < $0 } ?? bands.count)
        }
    }

    public var name: String {
        switch self {
        case .linear: return "linear"
        case .quadratic: return "quadratic"
        case .logarithmic: return "logarithmic"
        case .stepped(let b): return "stepped(\(b.map { String(Int($0)) }.joined(separator: ",")) km)"
        }
    }
}

/// Where a client is assumed to be when no source locates it: never an empty answer.
public enum DefaultLocation: Hashable, Sendable {
    case coordinate(GeoLocation)
    /// The centroid of the pool's enabled nodes in that region.
    case region(String)
}

public struct SelectionPolicy: Hashable, Sendable {
    public var strategy: DistanceStrategy = .linear
    /// Multiplies the cost of nodes in the client's country (below 1 prefers them).
    public var countryBias: Double = 1
    /// Multiplies the cost of nodes in the client's region/continent.
    public var regionBias: Double = 1
    public var maxAnswers: Int = 2
    public var defaultLocation: DefaultLocation? = nil
    /// Cost multiplier for degraded nodes (ranked after healthy ones at similar distance).
    public var degradedPenalty: Double = 4
    /// If every node is down, answer with the best-ranked ones anyway rather than nothing.
    public var failOpen = true
    /// Regional degradation: when less than this fraction of a region's nodes is up, the region's
    /// survivors cost `spillPenalty` times more, so its clients spill over to the nearest healthy
    /// regions instead of overloading the few left. 0 turns it off.
    public var regionSpillThreshold: Double = 0.5
    public var spillPenalty: Double = 1000

    public init(
        strategy: DistanceStrategy = .linear, countryBias: Double = 1, regionBias: Double = 1, maxAnswers: Int = 2,
        defaultLocation: DefaultLocation? = nil
    ) {
        self.strategy = strategy
        self.countryBias = countryBias
        self.regionBias = regionBias
        self.maxAnswers = maxAnswers
        self.defaultLocation = defaultLocation
    }
}

/// Active health checks for a pool's nodes.
public struct PoolHealthConfig: Sendable, Hashable {
    /// `none`: no active checks; the nodes' pushed reports alone decide.
    public enum Check: String, Sendable, Hashable { case tcp, http, https, dns, none }
    public var check: Check = .tcp
    public var port: UInt16 = 51820
    public var path = "/health"
    /// For http/https: the status that counts as up (nil: any 2xx).
    public var expectStatus: Int? = nil
    /// For https: verify the node's certificate chain and name (on by default). Off (`tls_verify:
    /// false`) means any certificate is accepted: the check then proves only that something answers
    /// TLS on the port, not that it is the node.
    public var tlsVerify = true
    /// For https: PEM file of the CA(s) to trust instead of the system's (a private PKI).
    public var tlsCAFile: String? = nil
    /// For https: the name the certificate must carry (and SNI); default: the node's IP address.
    public var tlsServerName: String? = nil
    /// The name a `dns` check asks for (type A); any NOERROR or NXDOMAIN answer counts as alive.
    public var query: DNSName = "health.formation.test."
    public var intervalMs = 1000
    public var timeoutMs = 500
    public var policy = HealthPolicy()
    public var push = PushPolicy()
    /// TTL while degraded or unknown nodes are answered, and the floor during failover.
    public var degradedTTL: UInt32 = 10
    public var minimumTTL: UInt32 = 2
    public init() {}
}

/// A set of names answered with the entry nodes nearest to the client.
public struct GeoPool: Sendable {
    public var name: String
    /// Owner names this pool answers (A and AAAA from the same node set).
    public var names: [DNSName]
    public var nodes: [PoolNode]
    public var policy: SelectionPolicy
    public var ttl: UInt32
    /// Honour EDNS Client Subnet (RFC 7871) for this pool.
    public var ecsEnabled: Bool
    /// If non-empty, ECS is honoured only from these resolver networks.
    public var trustedResolvers: [IPNetwork]
    /// Active health checks (nil: every enabled node counts as healthy).
    public var health: PoolHealthConfig? = nil

    public init(
        name: String, names: [DNSName], nodes: [PoolNode], policy: SelectionPolicy = SelectionPolicy(),
        ttl: UInt32 = 30,
        ecsEnabled: Bool = true, trustedResolvers: [IPNetwork] = []
    ) {
        self.name = name
        self.names = names
        self.nodes = nodes
        self.policy = policy
        self.ttl = ttl
        self.ecsEnabled = ecsEnabled
        self.trustedResolvers = trustedResolvers
    }

    /// Whether ECS from a resolver at `source` is to be used.
    public func acceptsClientSubnet(from source: IPAddress) -> Bool {
        ecsEnabled && (trustedResolvers.isEmpty || trustedResolvers.contains { $0.contains(source) })
    }
}
