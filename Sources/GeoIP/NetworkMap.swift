import NetAddress
/// Operator-provided networks -> location (formnet's overlay, private ranges), looked up by longest
/// prefix. These take precedence over GeoIP databases, which know nothing of private space.
public struct NetworkMap: Sendable {
    public struct Entry: Hashable, Sendable {
        public var network: IPNetwork
        public var location: GeoLocation
        public init(network: IPNetwork, location: GeoLocation) {
            self.network = network
            self.location = location
        }
    }

    private var v4 = BinaryTrie<GeoLocation>()
    private var v6 = BinaryTrie<GeoLocation>()
    public private(set) var count = 0
    /// The regions the entries name: a bounded set, so they may label metrics.
    public private(set) var regions: Set<String> = []

    public init(entries: [Entry]) {
        for e in entries.sorted(by: { $0.network.prefixLength < $1.network.prefixLength }) {
            let a = e.network.address
            if a.isIPv4 {
                v4.insert(prefixLength: e.network.prefixLength, bit: a.bit, value: e.location)
            } else {
                v6.insert(prefixLength: e.network.prefixLength, bit: a.bit, value: e.location)
            }
        }
        count = entries.count
        regions = Set(entries.compactMap(\.location.region))
    }

    /// The location and the prefix length of the most specific network containing `address`.
    public func lookup(_ address: IPAddress) -> (location: GeoLocation, prefixLength: Int)? {
        let hit = lookupWithMiss(address)
        return hit.location.map { ($0, hit.prefixLength) }
    }

    /// Like `lookup`, but a miss also reports how wide the empty network around the address is.
    public func lookupWithMiss(_ address: IPAddress) -> (location: GeoLocation?, prefixLength: Int) {
        let hit =
            address.isIPv4 ? v4.lookup(bitCount: 32, bit: address.bit) : v6.lookup(bitCount: 128, bit: address.bit)
        return (hit.value, hit.prefixLength)
    }
}
