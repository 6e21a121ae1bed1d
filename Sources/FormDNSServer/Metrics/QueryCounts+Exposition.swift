import FormAuthority

extension QueryCounts {
    /// What each query metric is, for its `# HELP` line, and its type.
    static let families: [String: (type: String, help: String)] = [
        "formdns_dns_requests_total": ("counter", "DNS queries answered, by transport, address family and type."),
        "formdns_dns_responses_total": ("counter", "DNS responses, by zone (none: outside every zone) and RCODE."),
        "formdns_dns_truncated_total": ("counter", "Responses sent with TC set (too large for UDP)."),
        "formdns_dns_ecs_requests_total": ("counter", "Queries carrying EDNS Client Subnet."),
        "formdns_dns_dropped_total": ("counter", "Datagrams and messages dropped unanswered (no ID, or a response)."),
        "formdns_dns_response_size_bytes": ("histogram", "Size of the responses written, in bytes."),
        "formdns_dns_request_duration_seconds": (
            "histogram", "Time to answer a query (parse to written response), one UDP query in 256 sampled."
        ),
        "formdns_geo_answers_total": (
            "counter", "Nodes given in GeoDNS answers, by pool, node and the client's region."
        ),
        "formdns_geo_decisions_total": (
            "counter", "GeoDNS answers by pool and why: nearest, bias, spill-over, fail-open, default-location."
        ),
        "formdns_rrl_limited_total": (
            "counter",
            "UDP responses held back by response rate limiting: dropped, slipped (sent truncated or BADCOOKIE), "
                + "or logged only (rate_limit.log_only)."
        ),
        "formdns_dns_cookies_total": (
            "counter", "Queries with a DNS cookie, by what it was: client_only, valid (exempt from limits), invalid."
        ),
        "formdns_pool_answer_ttl_seconds": ("gauge", "TTL of the pool's most recent answer (shortest over threads)."),
    ]

    static let unlabelled: Set = [
        "formdns_dns_truncated_total", "formdns_dns_ecs_requests_total", "formdns_dns_dropped_total",
    ]

    /// The Prometheus text exposition (format 0.0.4) of these series, grouped by metric.
    public var exposition: String {
        var out = ""
        // Every family is described, even before its first series; the unlabelled counters say 0.
        let names = Set(Self.families.keys).union(counters.keys.map(\.name)).union(gauges.keys.map(\.name))
            .union(histograms.keys.map(\.name))
        for name in names.sorted() {
            let family = Self.families[name] ?? ("untyped", "")
            out += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.type)\n"
            let series = counters.keys.filter { $0.name == name }.sorted()
            for s in series { out += "\(name)\(Self.labels(s.labels)) \(counters[s]!)\n" }
            if series.isEmpty, Self.unlabelled.contains(name) { out += "\(name) 0\n" }
            for s in gauges.keys.filter({ $0.name == name }).sorted() {
                out += "\(name)\(Self.labels(s.labels)) \(Self.number(gauges[s]!))\n"
            }
            for s in histograms.keys.filter({ $0.name == name }).sorted() {
                let h = histograms[s]!
                var cumulative: UInt64 = 0
                for (i, bound) in (h.bounds + [.infinity]).enumerated() {
                    cumulative &+= h.counts[i]
                    let le = QueryCounts.Series.Label(name: "le", value: bound.isInfinite ? "+Inf" : Self.number(bound))
                    out += "\(name)_bucket\(Self.labels(s.labels + [le])) \(cumulative)\n"
                }
                out += "\(name)_sum\(Self.labels(s.labels)) \(Self.number(h.sum))\n"
                out += "\(name)_count\(Self.labels(s.labels)) \(cumulative)\n"
            }
        }
        return out
    }

    static func labels(_ labels: [Series.Label]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.name)=\"\(escape($0.value))\"" }.joined(separator: ",") + "}"
    }

    /// Label values escape backslash, double quote and newline (the exposition format's rule).
    static func escape(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
