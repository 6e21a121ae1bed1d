import DNSWire
import FormAuthority
import Foundation
import GeoIP
import TestFixtures
import NetAddress
import NIOCore
import Testing

/// The ECS scope is the widest block around the client over which the answer is the same
/// (RFC 7871 7.2.1; what gdnsd returns), checked from outside: every address sampled in the
/// returned block gets the same full ranking, and the scope is never narrower than before.
@Suite struct AnswerScopeTests {
    /// Every node answered (max 5), so the whole ranking is visible in the answer.
    static func builder(database: String) throws -> ResponseBuilder {
        var pool = GeoAnswerTests.pool()
        pool.policy.maxAnswers = 5
        let db = try GeoDatabase(path: database)
        return ResponseBuilder(zones: [demoZone], geo: GeoContext(pools: [pool], locator: ClientLocator(databases: [db])))
    }

    func answer(_ b: ResponseBuilder, ecs: IPNetwork) throws -> (order: [String], scope: UInt8) {
        let a = ecs.address
        let subnet = ClientSubnet(family: a.isIPv4 ? .ipv4 : .ipv6, fullAddress: a.bytes,
                                  sourcePrefixLength: UInt8(ecs.prefixLength))!
        var out = ByteBufferAllocator().buffer(capacity: 512)
        let q = query("entry.formation.test.", a.isIPv4 ? .a : .aaaa, edns: EDNS(options: [.clientSubnet(subnet)]))
        #expect(b.respond(to: q, source: IPAddress("127.0.0.1"), transport: .udp, into: &out))
        let m = try DNSMessage(parsing: out)
        return (m.answers.map(\.data.description), m.edns?.clientSubnet?.scopePrefixLength ?? 255)
    }

    /// A deterministic generator (SplitMix64), seeded per case so a failure names its inputs.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: ["81.2.69.160", "89.160.20.112", "216.160.83.56", "175.16.199.1", "2001:218::1", "2a02:d280::1",
                      "10.1.2.3", "202.196.224.1"])
    func everyAddressInTheScopeGetsTheSameAnswer(client: String) throws {
        let b = try Self.builder(database: GeoAnswerTests.sharedRoot + "GeoIP2-City-Test.mmdb")
        let address = IPAddress(client)!
        let host = IPNetwork(address: address, prefixLength: address.bitLength)
        let (order, scope) = try answer(b, ecs: host)
        #expect(!order.isEmpty)
        // The record (or empty block) that placed the client is no wider than the scope.
        let deciding = GeoContext(pools: [GeoAnswerTests.pool()], locator: b.geo!.locator)
            .place(pool: 0, source: address, clientSubnet: nil).decidingNetwork.prefixLength
        #expect(Int(scope) <= deciding, "scope /\(scope) is narrower than the deciding /\(deciding)")
        var rng = SplitMix(state: foldedNameHash(Array(client.utf8)))  // fixed per case: a failure repeats
        let block = IPNetwork(address: address, prefixLength: Int(scope))
        for _ in 0..<200 {
            // A random address inside the block: keep the first `scope` bits, randomise the rest.
            let randomHigh = rng.next(), randomLow = rng.next()
            let keepHigh: UInt64 = scope == 0 ? 0 : (scope >= 64 ? ~0 : ~0 << UInt64(64 - Int(scope)))
            let keepLow: UInt64 = scope <= 64 ? 0 : (scope >= 128 ? ~0 : ~0 << UInt64(128 - Int(scope)))
            var inside = IPAddress(high: (block.address.high & keepHigh) | (randomHigh & ~keepHigh),
                                   low: (block.address.low & keepLow) | (randomLow & ~keepLow), isIPv4: address.isIPv4)
            if address.isIPv4 { inside = IPAddress(high: inside.high & 0xFFFF_FFFF_0000_0000, low: 0, isIPv4: true) }
            let other = try answer(b, ecs: IPNetwork(address: inside, prefixLength: inside.bitLength))
            #expect(other.order == order, "\(inside) in \(block) answers \(other.order), \(client) answers \(order)")
        }
    }

    /// With a degraded node, costs are scaled and the widened block no longer holds: the scope
    /// falls back to the network that decided the location.
    @Test func degradedNodesFallBackToTheDecidingNetwork() throws {
        var pool = GeoAnswerTests.pool()
        pool.policy.maxAnswers = 5
        pool.health = PoolHealthConfig()
        let db = try GeoDatabase(path: GeoAnswerTests.sharedRoot + "GeoIP2-City-Test.mmdb")
        let repository = HealthRepository(policy: HealthPolicy(), nodeIDs: pool.nodes.map(\.id), clock: { 0 })
        let geo = GeoContext(pools: [pool], locator: ClientLocator(databases: [db]), health: [repository])
        let b = ResponseBuilder(zones: [demoZone], geo: geo)
        let ecs = IPNetwork("89.160.20.112/28")!
        #expect(try answer(b, ecs: ecs).scope == 5)
        repository.report(node: "london", state: .degraded, metrics: [:])
        #expect(try answer(b, ecs: ecs).scope == 28)
    }
}
