import GeoIP
import NetAddress

/// Per-event-loop memo of pool answers by client network. Not shared between threads: each loop
/// owns one (in `LoopState`), so lookups take no lock. A hit allocates nothing.
///
/// Keys are the blocks answers hold for (`ClientPlacement.network`). Under one health generation
/// those form a partition of the address space (each is the widest block with the same answer), so
/// entries never overlap and the trie's longest-prefix lookup is exact; a new generation starts the
/// pool's entries over.
public final class GeoAnswerCache {
    /// Immutable once made; a class so a cache hit costs one retain.
    public final class Entry {
        /// The address records, encoded to follow any question naming the pool (the owner is a
        /// pointer to the question name). Nil when the family has no node: the answer is NODATA.
        public let a: AnswerTemplate?
        public let aaaa: AnswerTemplate?
        /// For a pool in a signed zone, per name of the pool (RRSIGs cover the owner): the address
        /// records with their RRSIGs. Empty for an unsigned zone.
        public let signedA: [AnswerTemplate?]
        public let signedAAAA: [AnswerTemplate?]
        public let ipv4: [[UInt8]]
        public let ipv6: [[UInt8]]
        public let ttl: UInt32
        /// Prefix length of the network the answer was chosen for (basis of the ECS scope).
        public let networkPrefix: UInt8

        /// The health generation the answer was chosen under; a newer one makes it stale.
        public let healthGeneration: Int
        /// Why these nodes, for metrics and decision logs.
        public let decision: GeoDecision
        /// `decision` as plain numbers, for counting per query.
        public let tally: GeoDecision.Tally

        public init(
            a: AnswerTemplate?, aaaa: AnswerTemplate?, signedA: [AnswerTemplate?] = [],
            signedAAAA: [AnswerTemplate?] = [], ipv4: [[UInt8]], ipv6: [[UInt8]], ttl: UInt32,
            networkPrefix: UInt8,
            healthGeneration: Int = 0,
            decision: GeoDecision = GeoDecision(reason: .nearest, clientRegion: 0, ipv4Nodes: [], ipv6Nodes: [])
        ) {
            self.healthGeneration = healthGeneration
            self.decision = decision
            self.tally = decision.tally
            self.a = a
            self.aaaa = aaaa
            self.signedA = signedA
            self.signedAAAA = signedAAAA
            self.ipv4 = ipv4
            self.ipv6 = ipv6
            self.ttl = ttl
            self.networkPrefix = networkPrefix
        }
    }

    private var tries: [[BinaryTrie<Int32>]] = []
    private var entries: [Entry] = []
    /// Above this many entries the cache starts over (bounded memory under address scans).
    public let capacity: Int
    public private(set) var hits = 0
    public private(set) var misses = 0

    public init(capacity: Int = 65_536) { self.capacity = capacity }

    public var count: Int { entries.count }

    /// The health generation each pool's entries were made under. When it moves, the pool's entries
    /// are dropped at once: a narrower entry made while health scaled costs must not shadow the wider
    /// block answers go back to (it would miss on every query until the cache filled).
    private var generations: [Int] = []

    @inline(__always)
    public func lookup(pool: Int, address: IPAddress, generation: Int = 0) -> Entry? {
        guard pool < tries.count else {
            misses += 1
            return nil
        }
        if generations[pool] != generation {
            tries[pool] = [BinaryTrie(), BinaryTrie()]
            generations[pool] = generation
            misses += 1
            return nil
        }
        let family = address.isIPv4 ? 0 : 1
        // A closure literal: a method reference would be boxed on the heap.
        let hit = tries[pool][family].lookup(bitCount: address.bitLength) { address.bit($0) }
        guard let index = hit.value else {
            misses += 1
            return nil
        }
        hits += 1
        return entries[Int(index)]
    }

    public func insert(pool: Int, network: IPNetwork, entry: Entry) {
        if entries.count >= capacity { clear() }
        while tries.count <= pool {
            tries.append([BinaryTrie(), BinaryTrie()])
            generations.append(entry.healthGeneration)
        }
        entries.append(entry)
        let a = network.address
        tries[pool][a.isIPv4 ? 0 : 1].insert(
            prefixLength: network.prefixLength, bit: a.bit, value: Int32(entries.count - 1))
    }

    public func clear() {
        tries = []
        generations = []
        entries = []
    }
}
