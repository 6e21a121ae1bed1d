import Benchmark
import DNSWire
import DNSZone
import FormAuthority
import FormConfig
import GeoIP
import NetAddress
import NIOCore

/// The per-query work of form-dns without the sockets: parse, select, encode. `mallocCountTotal`
/// is the figure that matters most here: the target is 0 allocations per query for a static
/// answer and for a cached GeoDNS answer.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
                                           scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 1_000_000)
    let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)  // Benchmarks/Benchmarks/HotPath/HotPath.swift
        return parts.joined(separator: "/")
    }()
    let config = try! ServerConfig.load(file: root + "/Fixtures/bench/form-dns.yaml")
    let builder = try! AuthorityLoader.build(config)
    // The same zone signed online (a throwaway key: nothing is written).
    var signedConfig = config
    signedConfig.zones[0].dnssec = ZoneSigning()
    signedConfig.stateDirectory = "/nonexistent-state-dir"
    let signedBuilder = try! AuthorityLoader.build(signedConfig)

    func query(_ name: String, _ type: RecordType, ecs: ClientSubnet? = nil, dnssecOK: Bool = false) -> [UInt8] {
        let m = DNSMessage(header: DNSHeader(id: 0x1234, flags: 0x0100), questions: [DNSQuestion(name: try! DNSName(parsing: name), type: type)],
                           edns: EDNS(dnssecOK: dnssecOK, options: ecs.map { [.clientSubnet($0)] } ?? []))
        return Array(try! m.encode().readableBytesView)
    }
    let staticQuery = query("www.bench.test.", .a)
    let nxQuery = query("nope.bench.test.", .a)
    let tokyo = ClientSubnet(family: .ipv4, fullAddress: [203, 0, 113, 0], sourcePrefixLength: 24)!
    let geoQuery = query("entry.bench.test.", .a, ecs: tokyo)
    let signedStaticQuery = query("www.bench.test.", .a, dnssecOK: true)
    let signedGeoQuery = query("entry.bench.test.", .a, ecs: tokyo, dnssecOK: true)
    let source = IPAddress("127.0.0.1")

    Benchmark("parse: DNSQueryView of an EDNS query") { benchmark in
        for _ in benchmark.scaledIterations {
            staticQuery.withUnsafeBytes { blackHole(DNSQueryView(bytes: $0)) }
        }
    }

    /// `counted`: with the thread's query counters, as the servers answer (metrics on).
    func answer(_ name: String, _ q: [UInt8], counted: Bool = false, builder: ResponseBuilder = builder) {
        Benchmark(name + (counted ? ", counted" : "")) { benchmark in
            let cache = GeoAnswerCache()
            let counters = counted ? QueryCounters(layout: MetricsLayout(builder)) : nil
            var out = ByteBufferAllocator().buffer(capacity: 4096)
            // Warm the GeoDNS cache: the steady state is what is measured.
            _ = q.withUnsafeBytes { builder.respond(to: $0, source: source, transport: .udp, cache: cache, into: &out) }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                out.clear()
                q.withUnsafeBytes {
                    blackHole(
                        builder.respond(
                            to: $0, source: source, transport: .udp, cache: cache, counters: counters, into: &out))
                }
            }
        }
    }
    for counted in [false, true] {
        answer("respond: static answer (query -> response bytes)", staticQuery, counted: counted)
        answer("respond: NXDOMAIN", nxQuery, counted: counted)
        answer("respond: GeoDNS answer with ECS, cached", geoQuery, counted: counted)
    }
    answer("respond: signed static answer (DO)", signedStaticQuery, builder: signedBuilder)

    // Rate limiting and cookies: a source that is not exempt, every response accounted (a new
    // second each query, so none is limited), and a query with a valid server cookie.
    var limitedConfig = config
    limitedConfig.rateLimit.exempt = []
    let limitedBuilder = try! AuthorityLoader.build(limitedConfig)
    let outside = IPAddress("192.0.2.1")!
    let cookies = limitedBuilder.limits.cookies!
    let serverCookie = cookies.make(clientCookie: 0x0102_0304_0506_0708, client: outside, now: 1_800_000_000)
    let cookieQuery: [UInt8] = {
        let data = [1, 2, 3, 4, 5, 6, 7, 8] + serverCookie.bytes
        let m = DNSMessage(header: DNSHeader(id: 0x1234, flags: 0x0100),
                           questions: [DNSQuestion(name: try! DNSName(parsing: "www.bench.test."), type: .a)],
                           edns: EDNS(options: [.unknown(code: DNSCookie.optionCode, data: data)]))
        return Array(try! m.encode().readableBytesView)
    }()
    func limited(_ name: String, _ q: [UInt8]) {
        Benchmark(name) { benchmark in
            let cache = GeoAnswerCache()
            var out = ByteBufferAllocator().buffer(capacity: 4096)
            var second: UInt32 = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                out.clear()
                second &+= 1
                let clock = QueryClock(monotonicSeconds: second, unixSeconds: 1_800_000_000 + (second & 1023))
                q.withUnsafeBytes {
                    blackHole(
                        limitedBuilder.respond(
                            to: $0, source: outside, transport: .udp, cache: cache, clock: clock, into: &out))
                }
            }
        }
    }
    limited("respond: static answer, rate limiting accounted", staticQuery)
    limited("respond: static answer, a valid server cookie (RFC 9018)", cookieQuery)
    answer("respond: signed GeoDNS answer with ECS (DO), cached", signedGeoQuery, builder: signedBuilder)

    Benchmark("select: rank 7 nodes for a client") { benchmark in
        let pool = builder.geo!.pools[0]
        let client = GeoLocation(latitude: 35.68, longitude: 139.65, country: "JP")
        for _ in benchmark.scaledIterations { blackHole(GeoSelector.rank(pool, client: client, cellKey: 42)) }
    }

    Benchmark("encode: DNSMessage with compression (general path)") { benchmark in
        var m = DNSMessage(header: DNSHeader(id: 1, flags: 0x8400), questions: [DNSQuestion(name: "www.bench.test.", type: .a)])
        m.answers = [DNSResourceRecord(name: "www.bench.test.", ttl: 300, data: .a(ARecord(192, 0, 2, 10))),
                     DNSResourceRecord(name: "www.bench.test.", ttl: 300, data: .a(ARecord(192, 0, 2, 11)))]
        for _ in benchmark.scaledIterations { blackHole(try! m.encode()) }
    }
}
