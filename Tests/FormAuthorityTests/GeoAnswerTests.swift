import DNSWire
import DNSZone
import FormAuthority
import Foundation
import GeoIP
import TestFixtures
import NetAddress
import NIOCore
import Testing

/// GeoDNS answers end to end through the response builder, with MaxMind's public test database.
@Suite struct GeoAnswerTests {
    /// MaxMind's `test-data/` folder, with a trailing slash.
    static var sharedRoot: String { GeoTestData.root + "/test-data/" }

    static func pool(ecs: Bool = true, trusted: [IPNetwork] = [], defaultLocation: DefaultLocation? = .region("eu")) -> GeoPool {
        func n(_ id: String, _ last: UInt8, _ lat: Double, _ lon: Double, _ country: String, _ region: String, v6: Bool = false) -> PoolNode {
            PoolNode(id: id, ipv4: [127, 0, 0, last], ipv6: v6 ? [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last] : nil,
                     location: GeoLocation(latitude: lat, longitude: lon, country: country, region: region))
        }
        return GeoPool(name: "entry", names: ["entry.formation.test."], nodes: [
            n("london", 1, 51.51, -0.13, "GB", "eu", v6: true),
            n("stockholm", 2, 59.33, 18.07, "SE", "eu"),
            n("seattle", 3, 47.61, -122.33, "US", "na", v6: true),
            n("tokyo", 4, 35.68, 139.65, "JP", "as", v6: true),
            n("sydney", 5, -33.87, 151.21, "AU", "oc"),
        ], policy: SelectionPolicy(strategy: .linear, maxAnswers: 1, defaultLocation: defaultLocation), ttl: 20,
           ecsEnabled: ecs, trustedResolvers: trusted)
    }

    static func builder(_ pool: GeoPool = pool()) throws -> ResponseBuilder {
        let db = try GeoDatabase(path: sharedRoot + "GeoIP2-City-Test.mmdb")
        let geo = GeoContext(pools: [pool], locator: ClientLocator(databases: [db]))
        return ResponseBuilder(zones: [demoZone], geo: geo)
    }

    func ask(_ b: ResponseBuilder, from source: String, type: RecordType = .a, ecs: String? = nil, cache: GeoAnswerCache? = nil) throws -> DNSMessage {
        var edns: EDNS? = nil
        if let ecs, let net = IPNetwork(ecs) {
            let a = net.address
            edns = EDNS(options: [.clientSubnet(ClientSubnet(family: a.isIPv4 ? .ipv4 : .ipv6, fullAddress: a.bytes, sourcePrefixLength: UInt8(net.prefixLength))!)])
        }
        var out = ByteBufferAllocator().buffer(capacity: 512)
        #expect(b.respond(to: query("entry.formation.test.", type, edns: edns), source: IPAddress(source), transport: .udp, cache: cache, into: &out))
        return try DNSMessage(parsing: out)
    }

    func first(_ m: DNSMessage) -> String? { m.answers.first?.data.description }

    @Test(arguments: [
        ("81.2.69.160", "127.0.0.1"),     // London
        ("89.160.20.112", "127.0.0.2"),   // Linköping -> Stockholm
        ("216.160.83.56", "127.0.0.3"),   // Milton, WA -> Seattle
        ("2001:218::1", "127.0.0.4"),     // Japan -> Tokyo
    ])
    func nearestNodeBySourceAddress(client: String, expected: String) throws {
        let m = try ask(try Self.builder(), from: client)
        #expect(first(m) == expected)
        #expect(m.header.has(.authoritative) && m.answers.first?.ttl == 20)
    }

    @Test(arguments: [
        ("81.2.69.160/27", "127.0.0.1", 27),
        // Every record and empty block in 88.0.0.0/5 of the test database ranks the nodes alike:
        // the widest block with the same answer is the scope (as gdnsd returns), not the /28 record.
        ("89.160.20.112/28", "127.0.0.2", 5),
        ("216.160.83.56/29", "127.0.0.3", 29),
        ("2001:218::/32", "127.0.0.4", 32),
        ("2001:218::/48", "127.0.0.4", 32),   // scope: the /32 network decided, wider than SOURCE
    ])
    func nearestNodeByClientSubnetWithScope(subnet: String, expected: String, scope: UInt8) throws {
        // The resolver is in Sydney's nowhere (127.0.0.1: not in the database): ECS must decide.
        let m = try ask(try Self.builder(), from: "127.0.0.1", ecs: subnet)
        #expect(first(m) == expected)
        #expect(m.edns?.clientSubnet?.scopePrefixLength == scope)
        #expect(m.edns?.clientSubnet?.sourcePrefixLength == UInt8(IPNetwork(subnet)!.prefixLength))
    }

    @Test func aaaaComesFromTheSameRankingAmongIPv6Nodes() throws {
        // Linköping: Stockholm is nearest but has no IPv6; London is the nearest with one.
        let m = try ask(try Self.builder(), from: "89.160.20.112", type: .aaaa)
        #expect(first(m) == "fd00::1")
        #expect(m.answers.first?.type == .aaaa)
    }

    @Test func sourcePrefixZeroUsesTheResolverAndScopeZero() throws {
        let m = try ask(try Self.builder(), from: "216.160.83.56", ecs: "0.0.0.0/0")
        #expect(first(m) == "127.0.0.3")
        #expect(m.edns?.clientSubnet?.scopePrefixLength == 0)
    }

    @Test func ecsIgnoredWhenDisabledOrUntrusted() throws {
        for pool in [Self.pool(ecs: false), Self.pool(trusted: [IPNetwork("10.0.0.0/8")!])] {
            let m = try ask(try Self.builder(pool), from: "216.160.83.56", ecs: "81.2.69.160/27")
            #expect(first(m) == "127.0.0.3")  // placed by the resolver (Milton), not the subnet (London)
            #expect(m.edns?.clientSubnet?.scopePrefixLength == 0)
        }
        let trusted = try ask(try Self.builder(Self.pool(trusted: [IPNetwork("216.160.83.0/24")!])), from: "216.160.83.56", ecs: "81.2.69.160/27")
        #expect(first(trusted) == "127.0.0.1")
    }

    @Test func noECSInQueryMeansNoECSInAnswer() throws {
        #expect(try ask(try Self.builder(), from: "81.2.69.160").edns == nil)
    }

    @Test func unknownClientGetsTheDefaultNeverAnEmptyAnswer() throws {
        // 192.0.2.1 is in no database: default region "eu" centroid is between London and Stockholm.
        let m = try ask(try Self.builder(), from: "192.0.2.1")
        #expect(["127.0.0.1", "127.0.0.2"].contains(first(m) ?? ""))
        let noDefault = try ask(try Self.builder(Self.pool(defaultLocation: nil)), from: "192.0.2.1")
        #expect(noDefault.answers.count == 1)
    }

    @Test func cacheHitsGiveTheSameAnswerAsMisses() throws {
        let b = try Self.builder()
        let cache = GeoAnswerCache()
        let clients = ["81.2.69.160", "81.2.69.170", "89.160.20.112", "216.160.83.56", "2001:218::1", "192.0.2.1"]
        for c in clients + clients {
            let cached = try ask(b, from: c, cache: cache)
            let fresh = try ask(b, from: c)
            #expect(cached.answers == fresh.answers, "\(c)")
        }
        #expect(cache.hits >= clients.count - 1)
        #expect(cache.count <= clients.count)
    }

    @Test func otherTypesAtThePoolNameAreNODATAAndCNAMEsIntoThePoolWork() throws {
        let b = try Self.builder()
        var out = ByteBufferAllocator().buffer(capacity: 512)
        #expect(b.respond(to: query("entry.formation.test.", .txt), source: IPAddress("81.2.69.160"), transport: .udp, into: &out))
        let txt = try DNSMessage(parsing: out)
        #expect(txt.rcode == .noError && txt.answers.isEmpty && txt.authorities.first?.type == .soa)
        // A CNAME to the pool name, in a zone with one.
        let zone = try Zone(origin: "formation.test.", records: ZoneFileParser(origin: "formation.test.").parse(
            text: "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\njoin CNAME entry\n", file: "z"), file: "z")
        let db = try GeoDatabase(path: Self.sharedRoot + "GeoIP2-City-Test.mmdb")
        let b2 = ResponseBuilder(zones: [zone], geo: GeoContext(pools: [Self.pool()], locator: ClientLocator(databases: [db])))
        out.clear()
        #expect(b2.respond(to: query("join.formation.test.", .a), source: IPAddress("216.160.83.56"), transport: .udp, into: &out))
        let chained = try DNSMessage(parsing: out)
        #expect(chained.answers.map(\.type) == [.cname, .a])
        #expect(chained.answers.last?.data.description == "127.0.0.3")
        #expect(chained.answers.last?.name == "entry.formation.test.")
    }

    @Test func countryDatabasePlacesClientsAtTheirCountrysNodes() throws {
        let db = try GeoDatabase(path: Self.sharedRoot + "GeoIP2-Country-Test.mmdb")
        let b = ResponseBuilder(zones: [demoZone], geo: GeoContext(pools: [Self.pool()], locator: ClientLocator(databases: [db])))
        #expect(first(try ask(b, from: "81.2.69.160")) == "127.0.0.1")     // GB -> london
        #expect(first(try ask(b, from: "89.160.20.112")) == "127.0.0.2")   // SE -> stockholm
        #expect(first(try ask(b, from: "2001:218::1")) == "127.0.0.4")     // JP -> tokyo
    }

    @Test func caseOfTheQuestionIsEchoedInGeoAnswers() throws {
        let b = try Self.builder()
        var out = ByteBufferAllocator().buffer(capacity: 512)
        #expect(b.respond(to: query("EnTrY.formation.TEST.", .a), source: IPAddress("81.2.69.160"), transport: .udp, into: &out))
        let m = try DNSMessage(parsing: out)
        #expect(m.answers.first?.name.description == "EnTrY.formation.TEST.")
    }
}
