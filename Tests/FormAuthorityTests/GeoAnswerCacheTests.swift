import DNSWire
import FormAuthority
import GeoIP
import NetAddress
import Testing

/// Entries made under an older health generation must not shadow the blocks answers use now: a
/// narrow entry from a degraded period would otherwise make every query below it miss until the
/// cache filled.
@Suite struct GeoAnswerCacheTests {
    func entry(_ prefix: UInt8, generation: Int) -> GeoAnswerCache.Entry {
        GeoAnswerCache.Entry(a: nil, aaaa: nil, ipv4: [[127, 0, 0, prefix]], ipv6: [], ttl: 30, networkPrefix: prefix,
                             healthGeneration: generation)
    }

    @Test func aNewGenerationStartsThePoolOver() throws {
        let cache = GeoAnswerCache()
        let inside = IPAddress("198.51.100.7")!
        // Degraded period (generation 1): the client's own /24 was the block.
        cache.insert(pool: 0, network: IPNetwork("198.51.100.0/24")!, entry: entry(24, generation: 1))
        #expect(cache.lookup(pool: 0, address: inside, generation: 1)?.networkPrefix == 24)
        // Health moved (generation 2): the old entry is gone, the wide block is inserted and found.
        #expect(cache.lookup(pool: 0, address: inside, generation: 2) == nil)
        cache.insert(pool: 0, network: IPNetwork("198.0.0.0/8")!, entry: entry(8, generation: 2))
        #expect(cache.lookup(pool: 0, address: inside, generation: 2)?.networkPrefix == 8)
        #expect(cache.lookup(pool: 0, address: IPAddress("198.1.2.3")!, generation: 2)?.networkPrefix == 8)
        // Another pool keeps its own generation.
        cache.insert(pool: 1, network: IPNetwork("198.51.100.0/24")!, entry: entry(24, generation: 5))
        #expect(cache.lookup(pool: 1, address: inside, generation: 5)?.networkPrefix == 24)
        #expect(cache.lookup(pool: 0, address: inside, generation: 2)?.networkPrefix == 8)
    }
}
