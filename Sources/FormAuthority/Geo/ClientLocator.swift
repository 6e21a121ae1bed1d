import GeoIP

/// Finds where a client is: operator network maps first (they know private and overlay space),
/// then each GeoIP database in order. Pure apart from reading the (immutable) databases.
public struct ClientLocator: Sendable {
    public enum Source: String, Sendable {
        case networkMap = "network map"
        case database = "GeoIP database"
        case none = "not found"
    }

    public struct Result: Sendable {
        public var location: GeoLocation?
        public var source: Source
        /// Prefix length of the network that decided (the ECS scope this location supports).
        public var prefixLength: Int
    }

    public let networkMap: NetworkMap
    public let databases: [GeoDatabase]

    public init(networkMap: NetworkMap = NetworkMap(entries: []), databases: [GeoDatabase] = []) {
        self.networkMap = networkMap
        self.databases = databases
    }

    public func locate(_ address: IPAddress) -> Result {
        let mapHit = networkMap.lookupWithMiss(address)
        if let location = mapHit.location {
            return Result(location: location, source: .networkMap, prefixLength: mapHit.prefixLength)
        }
        // The answer is only valid for the network where neither the map nor the database changes.
        var deepestMiss = networkMap.count > 0 ? mapHit.prefixLength : 0
        for db in databases {
            let (location, prefix) = db.lookup(address)
            if let location { return Result(location: location, source: .database, prefixLength: max(prefix, deepestMiss)) }
            deepestMiss = max(deepestMiss, prefix)
        }
        return Result(location: nil, source: .none, prefixLength: deepestMiss)
    }
}
