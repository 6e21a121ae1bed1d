import Atomics

/// One answering thread's query counters: a flat block of 64-bit cells, laid out by a
/// `MetricsLayout`, added to by that thread alone and read at scrape time by any.
///
/// The query path pays a relaxed load and a relaxed store per counter it moves (plain moves on
/// x86-64 and arm64: no lock, no read-modify-write, no allocation); threads never share a cell,
/// so no cache line bounces between them. A scrape reads each cell with a relaxed load and may see
/// a count a few queries old, never a torn one.
public final class QueryCounters: @unchecked Sendable {
    // @unchecked Sendable: the only mutable state is `cells`, and every access to it is atomic
    // (UnsafeAtomic, relaxed). The one-writer rule (`add` is a load then a store) is kept by
    // construction: each UDP worker thread and each event loop makes its own counters.
    public let layout: MetricsLayout
    private let cells: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    private let cellCount: Int

    // Where each family starts in `cells`.
    private let responsesAt: Int
    private let truncatedAt: Int
    private let ecsAt: Int
    private let droppedAt: Int
    private let sizeAt: Int
    private let sizeSumAt: Int
    private let durationAt: Int
    private let durationSumAt: Int
    private let geoAnswersAt: Int
    private let geoDecisionsAt: Int
    private let poolTTLAt: Int
    /// Per pool: the index of its first node among all pools' nodes.
    private let nodeBase: [Int]
    private let regionCount: Int
    private static let reasonCount = GeoDecision.Reason.allCases.count
    private static let qtypeCount = MetricLabels.qtypes.count
    private static let rcodeCount = MetricLabels.rcodes.count

    public init(layout: MetricsLayout) {
        self.layout = layout
        var at = 2 * 2 * Self.qtypeCount
        func take(_ n: Int) -> Int {
            defer { at += n }
            return at
        }
        responsesAt = take((layout.zones.count + 1) * Self.rcodeCount)
        truncatedAt = take(1)
        ecsAt = take(1)
        droppedAt = take(1)
        sizeAt = take(MetricLabels.responseSizeBounds.count + 1)
        sizeSumAt = take(1)
        durationAt = take(MetricLabels.durationBounds.count + 1)
        durationSumAt = take(1)
        var base: [Int] = []
        var nodes = 0
        for n in layout.nodes {
            base.append(nodes)
            nodes += n.count
        }
        nodeBase = base
        regionCount = max(layout.regions.count, 1)
        geoAnswersAt = take(nodes * regionCount)
        geoDecisionsAt = take(layout.pools.count * Self.reasonCount)
        poolTTLAt = take(layout.pools.count)
        cellCount = at
        cells = .allocate(capacity: at)
        cells.initialize(repeating: .init(0), count: at)
    }

    deinit {
        for i in 0..<cellCount { _ = cells[i].dispose() }
        cells.deinitialize(count: cellCount)
        cells.deallocate()
    }

    @inline(__always)
    private func add(_ cell: Int, _ amount: UInt64 = 1) {
        let counter = UnsafeAtomic<UInt64>(at: cells + cell)
        counter.store(counter.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    @inline(__always)
    private func value(_ cell: Int) -> UInt64 {
        UnsafeAtomic<UInt64>(at: cells + cell).load(ordering: .relaxed)
    }

    /// One answered query. `zone` indexes `layout.zones` (-1: none, e.g. REFUSED or FORMERR);
    /// `rcode` is 0-16 (16: BADVERS).
    @inline(__always)
    public func answered(
        tcp: Bool, ipv6: Bool, qtype: UInt16, zone: Int, rcode: Int, truncated: Bool, clientSubnet: Bool,
        size: Int
    ) {
        add(((tcp ? 2 : 0) + (ipv6 ? 1 : 0)) * Self.qtypeCount + MetricLabels.qtypeIndex(qtype))
        let zoneSlot = zone >= 0 && zone < layout.zones.count ? zone + 1 : 0
        add(responsesAt + zoneSlot * Self.rcodeCount + min(max(rcode, 0), Self.rcodeCount - 1))
        if truncated { add(truncatedAt) }
        if clientSubnet { add(ecsAt) }
        add(sizeAt + Self.bucket(Double(size), MetricLabels.responseSizeBounds))
        add(sizeSumAt, UInt64(size))
    }

    /// A datagram or message dropped without an answer (too short to carry an ID, a response).
    @inline(__always)
    public func dropped() { add(droppedAt) }

    /// A sampled answering time.
    @inline(__always)
    public func answeringTook(nanoseconds: UInt64) {
        add(durationAt + Self.bucket(Double(nanoseconds) / 1e9, MetricLabels.durationBounds))
        add(durationSumAt, nanoseconds)
    }

    /// A pool answer of one family: its nodes, the client's region, the reason and the TTL.
    @inline(__always)
    public func poolAnswered(pool: Int, decision: GeoDecision, ipv6: Bool, ttl: UInt32) {
        guard pool < nodeBase.count else { return }
        let region = Int(decision.clientRegion) < regionCount ? Int(decision.clientRegion) : 0
        let nodes = ipv6 ? decision.ipv6Nodes : decision.ipv4Nodes
        let poolNodes = layout.nodes[pool].count
        for node in nodes where Int(node) < poolNodes {
            add(geoAnswersAt + (nodeBase[pool] + Int(node)) * regionCount + region)
        }
        add(geoDecisionsAt + pool * Self.reasonCount + decision.reason.rawValue)
        let ttlCell = UnsafeAtomic<UInt64>(at: cells + poolTTLAt + pool)
        ttlCell.store(UInt64(ttl) + 1, ordering: .relaxed)  // 0 means "none answered yet"
    }

    @inline(__always)
    static func bucket(_ value: Double, _ bounds: [Double]) -> Int {
        var i = 0
        while i < bounds.count, value > bounds[i] { i += 1 }
        return i
    }

    /// The counters as labelled series (zero counters left out).
    public func snapshot() -> QueryCounts {
        var out = QueryCounts()
        func counter(_ name: String, _ labels: [(String, String)], _ cell: Int) {
            let v = value(cell)
            if v > 0 { out.counters[QueryCounts.Series(name, labels), default: 0] &+= v }
        }
        for proto in 0..<2 {
            for family in 0..<2 {
                for q in 0..<Self.qtypeCount {
                    counter(
                        "formdns_dns_requests_total",
                        [
                            ("proto", MetricLabels.protocols[proto]), ("family", MetricLabels.families[family]),
                            ("qtype", MetricLabels.qtypes[q]),
                        ], (proto * 2 + family) * Self.qtypeCount + q)
                }
            }
        }
        for z in 0...layout.zones.count {
            for r in 0..<Self.rcodeCount {
                counter(
                    "formdns_dns_responses_total",
                    [("zone", z == 0 ? "none" : layout.zones[z - 1]), ("rcode", MetricLabels.rcodes[r])],
                    responsesAt + z * Self.rcodeCount + r)
            }
        }
        counter("formdns_dns_truncated_total", [], truncatedAt)
        counter("formdns_dns_ecs_requests_total", [], ecsAt)
        counter("formdns_dns_dropped_total", [], droppedAt)
        func histogram(_ name: String, _ bounds: [Double], _ at: Int, _ sumAt: Int, scale: Double) {
            let counts = (0...bounds.count).map { value(at + $0) }
            out.histograms[QueryCounts.Series(name)] = QueryCounts.Histogram(
                bounds: bounds, counts: counts, sum: Double(value(sumAt)) * scale)
        }
        histogram("formdns_dns_response_size_bytes", MetricLabels.responseSizeBounds, sizeAt, sizeSumAt, scale: 1)
        histogram(
            "formdns_dns_request_duration_seconds", MetricLabels.durationBounds, durationAt, durationSumAt, scale: 1e-9)
        for (p, pool) in layout.pools.enumerated() {
            for (n, node) in layout.nodes[p].enumerated() {
                for r in 0..<regionCount {
                    counter(
                        "formdns_geo_answers_total",
                        [("pool", pool), ("node", node), ("client_region", layout.regions[r])],
                        geoAnswersAt + (nodeBase[p] + n) * regionCount + r)
                }
            }
            for reason in GeoDecision.Reason.allCases {
                counter(
                    "formdns_geo_decisions_total", [("pool", pool), ("reason", reason.label)],
                    geoDecisionsAt + p * Self.reasonCount + reason.rawValue)
            }
            let ttl = value(poolTTLAt + p)
            if ttl > 0 {
                out.gauges[QueryCounts.Series("formdns_pool_answer_ttl_seconds", [("pool", pool)])] = Double(ttl - 1)
            }
        }
        return out
    }
}
