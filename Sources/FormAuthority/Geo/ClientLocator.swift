import GeoIP
import NetAddress

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
        /// Which of `databases` placed the client (nil: the map, or nothing).
        public var databaseIndex: Int? = nil
        /// How deep the network map's search went for a miss: the block of that length around
        /// the address holds no map entry (0 without a map).
        public var mapMissPrefix: Int = 0
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
        let mapMiss = networkMap.count > 0 ? mapHit.prefixLength : 0
        var deepestMiss = mapMiss
        for (index, db) in databases.enumerated() {
            let (location, prefix) = db.lookup(address)
            if let location {
                return Result(
                    location: location, source: .database, prefixLength: max(prefix, deepestMiss),
                    databaseIndex: index, mapMissPrefix: mapMiss)
            }
            deepestMiss = max(deepestMiss, prefix)
        }
        return Result(location: nil, source: .none, prefixLength: deepestMiss, mapMissPrefix: mapMiss)
    }
}
