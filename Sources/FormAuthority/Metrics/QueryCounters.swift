/// One answering thread's query counters, laid out by a `MetricsLayout`: that thread writes them
/// through `cells` (see `CounterCells`), any thread reads them with `snapshot()`.
public final class QueryCounters: @unchecked Sendable {
    // @unchecked Sendable: the only mutable state is the memory behind `cells`, and every access
    // to it is atomic (UnsafeAtomic, relaxed). The one-writer rule (`add` is a load then a store)
    // is kept by construction: each UDP worker thread and each event loop makes its own counters.
    public let layout: MetricsLayout
    public let cells: CounterCells

    public init(layout: MetricsLayout) {
        self.layout = layout
        cells = CounterCells(layout: layout)
    }

    deinit { cells.release() }

    /// The counters as labelled series (zero counters left out).
    public func snapshot() -> QueryCounts {
        var out = QueryCounts()
        func counter(_ name: String, _ labels: [(String, String)], _ cell: Int) {
            let v = cells.value(cell)
            if v > 0 { out.counters[QueryCounts.Series(name, labels), default: 0] &+= v }
        }
        for proto in 0..<2 {
            for family in 0..<2 {
                for q in 0..<CounterCells.qtypeCount {
                    counter(
                        "formdns_dns_requests_total",
                        [
                            ("proto", MetricLabels.protocols[proto]), ("family", MetricLabels.families[family]),
                            ("qtype", MetricLabels.qtypes[q]),
                        ], (proto * 2 + family) * CounterCells.qtypeCount + q)
                }
            }
        }
        for z in 0...layout.zones.count {
            for r in 0..<CounterCells.rcodeCount {
                counter(
                    "formdns_dns_responses_total",
                    [("zone", z == 0 ? "none" : layout.zones[z - 1]), ("rcode", MetricLabels.rcodes[r])],
                    cells.responsesAt + z * CounterCells.rcodeCount + r)
            }
        }
        counter("formdns_dns_truncated_total", [], cells.truncatedAt)
        counter("formdns_dns_ecs_requests_total", [], cells.ecsAt)
        counter("formdns_dns_dropped_total", [], cells.droppedAt)
        for action in RateLimitAction.allCases {
            counter("formdns_rrl_limited_total", [("action", action.label)], cells.rateLimitAt + action.rawValue)
        }
        for (i, result) in ["client_only", "valid", "invalid"].enumerated() {
            counter("formdns_dns_cookies_total", [("result", result)], cells.cookiesAt + i)
        }
        func histogram(_ name: String, _ bounds: [Double], _ at: Int, _ sumAt: Int, scale: Double) {
            let counts = (0...bounds.count).map { cells.value(at + $0) }
            out.histograms[QueryCounts.Series(name)] = QueryCounts.Histogram(
                bounds: bounds, counts: counts, sum: Double(cells.value(sumAt)) * scale)
        }
        histogram(
            "formdns_dns_response_size_bytes", MetricLabels.responseSizeBounds, cells.sizeAt, cells.sizeSumAt, scale: 1)
        histogram(
            "formdns_dns_request_duration_seconds", MetricLabels.durationBounds, cells.durationAt, cells.durationSumAt,
            scale: 1e-9)
        for (p, pool) in layout.pools.enumerated() {
            for (n, node) in layout.nodes[p].enumerated() {
                for r in 0..<cells.regionCount {
                    counter(
                        "formdns_geo_answers_total",
                        [("pool", pool), ("node", node), ("client_region", layout.regions[r])],
                        cells.poolNodes[p].cell + n * cells.regionCount + r)
                }
            }
            for reason in GeoDecision.Reason.allCases {
                counter(
                    "formdns_geo_decisions_total", [("pool", pool), ("reason", reason.label)],
                    cells.geoDecisionsAt + p * CounterCells.reasonCount + reason.rawValue)
            }
            let ttl = cells.value(cells.poolTTLAt + p)
            if ttl > 0 {
                out.gauges[QueryCounts.Series("formdns_pool_answer_ttl_seconds", [("pool", pool)])] = Double(ttl - 1)
            }
        }
        return out
    }
}
