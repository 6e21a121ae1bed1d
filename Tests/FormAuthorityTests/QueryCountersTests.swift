import DNSWire
import GeoIP
import NetAddress
import NIOCore
import Testing

@testable import FormAuthority

/// The per-thread query counters: what one response moves, the literal sizes the query path uses,
/// and the reason a GeoDNS answer gives.
@Suite struct QueryCountersTests {
    @Test func theLiteralSizesMatchTheLabelTables() {
        #expect(CounterCells.qtypeCount == MetricLabels.qtypes.count)
        #expect(CounterCells.rcodeCount == MetricLabels.rcodes.count)
        #expect(CounterCells.reasonCount == GeoDecision.Reason.allCases.count)
        for size in stride(from: 0, through: 70_000, by: 7) + [64, 65, 512, 513, 1232, 1233, 65535, 65536] {
            #expect(
                CounterCells.sizeBucket(size) == CounterCells.bucket(Double(size), MetricLabels.responseSizeBounds),
                "\(size)")
        }
    }

    func answer(_ b: ResponseBuilder, _ q: ByteBuffer, _ counters: QueryCounters, from: String = "192.0.2.1") {
        var out = ByteBufferAllocator().buffer(capacity: 512)
        _ = b.respond(to: q, source: IPAddress(from), transport: .udp, counters: counters, into: &out)
    }

    @Test func eachResponseIsCountedByTypeZoneAndCode() throws {
        let counters = QueryCounters(layout: MetricsLayout(demoBuilder))
        answer(demoBuilder, query("www.formation.test.", .a), counters)
        answer(demoBuilder, query("www.formation.test.", .aaaa, edns: EDNS()), counters, from: "2001:db8::1")
        answer(demoBuilder, query("nope.formation.test.", .mx), counters)
        answer(demoBuilder, query("x.wild.formation.test.", .a), counters)  // the general path
        answer(demoBuilder, query("example.org.", .a), counters)
        answer(demoBuilder, query("www.formation.test.", .a, edns: EDNS(version: 1)), counters)
        var reply = query("www.formation.test.", .a)
        reply.setInteger(UInt8(0x81), at: 2)  // QR set: dropped
        answer(demoBuilder, reply, counters)
        let c = counters.snapshot()
        #expect(c.total("formdns_dns_requests_total", ["proto": "udp", "family": "ipv4", "qtype": "A"]) == 4)
        #expect(c.total("formdns_dns_requests_total", ["family": "ipv6", "qtype": "AAAA"]) == 1)
        #expect(c.total("formdns_dns_requests_total", ["qtype": "MX"]) == 1)
        #expect(c.total("formdns_dns_responses_total", ["zone": "formation.test.", "rcode": "NOERROR"]) == 3)
        #expect(c.total("formdns_dns_responses_total", ["zone": "formation.test.", "rcode": "NXDOMAIN"]) == 1)
        #expect(c.total("formdns_dns_responses_total", ["zone": "none", "rcode": "REFUSED"]) == 1)
        #expect(c.total("formdns_dns_responses_total", ["rcode": "BADVERS"]) == 1)
        #expect(c.total("formdns_dns_dropped_total") == 1)
        let sizes = try #require(c.histograms[QueryCounts.Series("formdns_dns_response_size_bytes")])
        #expect(sizes.count == 6 && sizes.sum > 6 * 12)
    }

    @Test func geoAnswersCountTheirNodesRegionAndReason() throws {
        let builder = try GeoAnswerTests.builder()
        let counters = QueryCounters(layout: MetricsLayout(builder))
        let cache = GeoAnswerCache()
        var out = ByteBufferAllocator().buffer(capacity: 512)
        for client in ["81.2.69.160", "81.2.69.160", "216.160.83.56"] {
            out.clear()
            _ = builder.respond(
                to: query("entry.formation.test.", .a), source: IPAddress(client), transport: .udp, cache: cache,
                counters: counters, into: &out)
        }
        // An address no database knows: the pool's default location (region eu) stands in.
        out.clear()
        _ = builder.respond(
            to: query("entry.formation.test.", .a), source: IPAddress("10.1.2.3"), transport: .udp, cache: cache,
            counters: counters, into: &out)
        let c = counters.snapshot()
        #expect(c.total("formdns_geo_answers_total", ["node": "london", "client_region": "EU"]) == 2)
        #expect(c.total("formdns_geo_answers_total", ["node": "seattle", "client_region": "NA"]) == 1)
        #expect(c.total("formdns_geo_decisions_total", ["reason": "nearest"]) == 3)
        #expect(c.total("formdns_geo_decisions_total", ["reason": "default-location"]) == 1)
        #expect(c.gauges[QueryCounts.Series("formdns_pool_answer_ttl_seconds", [("pool", "entry")])] == 20)
    }

    /// Answers of more than four nodes count them all (the tally packs four; the rest come from
    /// the decision's arrays).
    @Test func largeAnswersCountEveryNode() throws {
        var pool = GeoAnswerTests.pool()
        pool.policy.maxAnswers = 5
        let builder = try GeoAnswerTests.builder(pool)
        let counters = QueryCounters(layout: MetricsLayout(builder))
        var out = ByteBufferAllocator().buffer(capacity: 512)
        _ = builder.respond(
            to: query("entry.formation.test.", .a), source: IPAddress("81.2.69.160"), transport: .udp,
            cache: GeoAnswerCache(), counters: counters, into: &out)
        let c = counters.snapshot()
        #expect(c.total("formdns_geo_answers_total") == 5)
        for node in ["london", "stockholm", "seattle", "tokyo", "sydney"] {
            #expect(c.total("formdns_geo_answers_total", ["node": node]) == 1, "\(node)")
        }
    }

    @Test func reasonsNameWhatDecided() {
        let pool = GeoAnswerTests.pool()
        let london = GeoLocation(latitude: 51.5, longitude: -0.1, country: "GB", region: "eu")
        func decide(_ pool: GeoPool, _ health: ((PoolNode) -> HealthState)? = nil) -> GeoDecision.Reason {
            let ranked = GeoSelector.rank(pool, client: london, cellKey: 1, health: health)
            let answered = GeoSelector.select(ranked, ipv6: false, maxAnswers: 1)
            let placement = GeoContext.ClientPlacement(
                address: IPAddress("81.2.69.160")!, viaClientSubnet: false, location: london, source: "",
                network: IPNetwork("81.2.69.0/24")!, decidingNetwork: IPNetwork("81.2.69.0/24")!)
            return GeoDecision.reason(ranked: ranked, answered: answered, placement: placement)
        }
        #expect(decide(pool) == .nearest)
        var weighted = pool
        weighted.nodes[1].weight = 1000  // Stockholm, heavily weighted, beats nearer London
        #expect(decide(weighted) == .bias)
        #expect(decide(pool) { _ in .unhealthy } == .failOpen)
    }
}

/// The decision log's sampler: decided from a counter, so the share is exact over many decisions
/// and 0 and 1 mean none and all.
@Suite struct DecisionLogSamplingTests {
    @Test(arguments: [0.0, 0.01, 0.25, 1.0])
    func theShareSampledIsTheRate(_ rate: Double) {
        let log = DecisionLog(rate: rate) { _ in }
        let n = 100_000
        let sampled = (0..<n).filter { _ in log.sample() }.count
        #expect(abs(Double(sampled) / Double(n) - rate) < 0.002, "\(sampled) of \(n) at \(rate)")
    }
}
