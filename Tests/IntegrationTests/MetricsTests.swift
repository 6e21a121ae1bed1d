import DNSWire
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `/metrics` of a running form-dns, read by Prometheus's own Python client: queries, health
/// changes, reloads and API calls move the counters they should, the states are right, and no
/// label carries an address.
@Suite(.serialized) struct MetricsTests {
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// The exposition parsed by prometheus_client (so a format error fails here), as samples.
    static func scrape(_ api: String, token: String? = ManagementAPITests.token) throws -> [Sample] {
        let r = try ManagementAPITests.curl(api, "/metrics", method: "GET", token: token)
        #expect(r.status == 200, "\(r.body)")
        let file = Harness.tempDirectory() + "/metrics.txt"
        try (r.body + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for s in family.samples:
                    out.append([s.name, s.labels, s.value])
            print(json.dumps(out))
            """
        let parsed = try Harness.run("/usr/bin/env", ["python3", "-c", script, file])
        #expect(parsed.status == 0, "prometheus_client refused the exposition: \(parsed.output)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(parsed.output.utf8)) as? [[Any]])
        return rows.compactMap { row in
            guard row.count == 3, let name = row[0] as? String, let labels = row[1] as? [String: String],
                let value = (row[2] as? NSNumber)?.doubleValue
            else { return nil }
            return Sample(name: name, labels: labels, value: value)
        }
    }

    /// The sum of `name`'s samples whose labels include `matching`.
    static func value(_ samples: [Sample], _ name: String, _ matching: [String: String] = [:]) -> Double {
        samples.filter { s in s.name == name && matching.allSatisfy { s.labels[$0.key] == $0.value } }
            .reduce(0) { $0 + $1.value }
    }

    /// True if `text` (with or without a /prefix) is an IPv4 or IPv6 address.
    static func isAddress(_ text: String) -> Bool {
        let host = String(text.split(separator: "/").first ?? "")
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    @Test func queriesHealthReloadsAndCallsMoveTheirCounters() throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        try ManagementAPITests.token.write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(
            atPath: Harness.packageRoot + "/Fixtures/demo/formation.test.zone", toPath: dir + "/formation.test.zone")
        let config = """
            listen: ["127.0.0.1:0"]
            state_dir: state
            zones: [{origin: formation.test, file: formation.test.zone}]
            management: {listen: "127.0.0.1:0", token_file: token, approvals: []}
            pools:
              - name: entry
                names: [entry.formation.test]
                ttl: 30
                policy: {max_answers: 2}
                health: {check: tcp, port: \(port), interval_ms: 300, timeout_ms: 200, rise: 1, fall: 2}
                nodes:
                  - {id: n1, ipv4: 127.0.0.51, latitude: 52.4, longitude: 4.9, region: eu-west}
                  - {id: n2, ipv4: 127.0.0.52, latitude: 51.5, longitude: -0.1, region: eu-west}

            """
        try config.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        var nodes = [
            try HealthIntegrationTests.node("127.0.0.51", port: port, dir: dir),
            try HealthIntegrationTests.node("127.0.0.52", port: port, dir: dir),
        ]
        defer { nodes.forEach { $0.stop() } }
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        let api = try HealthIntegrationTests.apiAddress(dns)
        try waitFor { dns.log.components(separatedBy: "unknown -> healthy").count - 1 == 2 }

        let before = try Self.scrape(api)
        #expect(Self.value(before, "formdns_health_node_state", ["pool": "entry", "node": "n1"]) == 2)
        #expect(Self.value(before, "formdns_build_info") == 1)
        #expect(Self.value(before, "formdns_config_version") >= 1)

        // 5 A, 2 NXDOMAIN, 1 REFUSED over UDP; 3 pool answers with ECS; 1 AAAA over TCP; 1 response
        // datagram, which is dropped.
        for _ in 0..<5 { _ = try WireClient.udp(wire("www.formation.test.", .a), port: dns.udpPort) }
        for name in ["nope1.formation.test.", "nope2.formation.test."] {
            _ = try WireClient.udp(wire(name, .a), port: dns.udpPort)
        }
        _ = try WireClient.udp(wire("example.org.", .a), port: dns.udpPort)
        let ecs = EDNS(options: [.clientSubnet(ClientSubnet(family: .ipv4, fullAddress: [192, 0, 2, 0], sourcePrefixLength: 24)!)])
        for _ in 0..<3 { _ = try WireClient.udp(wire("entry.formation.test.", .a, edns: ecs), port: dns.udpPort) }
        let tcp = try WireClient.TCPConnection(port: dns.udpPort)
        tcp.sendFramed([wire("www.formation.test.", .aaaa)])
        #expect(tcp.receiveFrame() != nil)
        var response = wire("www.formation.test.", .a)
        response[2] |= 0x80
        _ = try WireClient.udp(response, port: dns.udpPort, timeoutMs: 300)

        let after = try Self.scrape(api)
        func moved(_ name: String, _ labels: [String: String] = [:]) -> Double {
            Self.value(after, name, labels) - Self.value(before, name, labels)
        }
        #expect(moved("formdns_dns_requests_total", ["proto": "udp", "family": "ipv4", "qtype": "A"]) == 11)
        #expect(moved("formdns_dns_requests_total", ["proto": "tcp", "family": "ipv4", "qtype": "AAAA"]) == 1)
        #expect(moved("formdns_dns_responses_total", ["zone": "formation.test.", "rcode": "NOERROR"]) == 9)
        #expect(moved("formdns_dns_responses_total", ["zone": "formation.test.", "rcode": "NXDOMAIN"]) == 2)
        #expect(moved("formdns_dns_responses_total", ["zone": "none", "rcode": "REFUSED"]) == 1)
        #expect(moved("formdns_dns_ecs_requests_total") == 3)
        #expect(moved("formdns_dns_dropped_total") == 1)
        #expect(moved("formdns_dns_response_size_bytes_count") == 12)
        // Each pool answer names both nodes (max_answers 2); the client (placed by ECS in no
        // database and no map) has no region.
        #expect(moved("formdns_geo_answers_total", ["pool": "entry", "client_region": "unknown"]) == 6)
        #expect(moved("formdns_geo_decisions_total", ["pool": "entry"]) == 3)
        #expect(Self.value(after, "formdns_pool_answer_ttl_seconds", ["pool": "entry"]) == 30)
        #expect(Self.value(after, "formdns_health_check_duration_seconds_count", ["pool": "entry", "check": "tcp"]) > 0)

        // A node goes down: its state and the transition counter say so.
        nodes[0].stop()
        try waitFor { dns.log.contains("entry/n1 healthy -> unhealthy") }
        let down = try Self.scrape(api)
        #expect(Self.value(down, "formdns_health_node_state", ["pool": "entry", "node": "n1"]) == 0)
        #expect(Self.value(down, "formdns_health_node_state", ["pool": "entry", "node": "n2"]) == 2)
        #expect(Self.value(down, "formdns_health_transitions_total", ["pool": "entry", "to": "unhealthy"]) == 1)

        // Reloads: the file unchanged, then edited (a new version), then broken (refused).
        dns.signal(SIGHUP)
        try waitFor { dns.log.contains("unchanged since version") }
        try (config.replacingOccurrences(of: "ttl: 30", with: "ttl: 40"))
            .write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        dns.signal(SIGHUP)
        try waitFor { dns.log.components(separatedBy: "reloaded zones in").count - 1 == 2 }
        try "listen: [".write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        dns.signal(SIGHUP)
        try waitFor { dns.log.contains("reload failed") }
        let reloaded = try Self.scrape(api)
        #expect(Self.value(reloaded, "formdns_reloads_total", ["result": "unchanged"]) == 1)
        #expect(Self.value(reloaded, "formdns_reloads_total", ["result": "applied"]) == 1)
        #expect(Self.value(reloaded, "formdns_reloads_total", ["result": "failed"]) == 1)
        #expect(Self.value(reloaded, "formdns_config_version") == Self.value(before, "formdns_config_version") + 1)
        // Counts survive the new answer path (the answer tables and counters were replaced).
        #expect(Self.value(reloaded, "formdns_dns_requests_total") >= Self.value(after, "formdns_dns_requests_total"))

        // API calls are counted by route pattern, never by the values in the path.
        _ = try ManagementAPITests.curl(api, "/v1/pools/entry", method: "GET")
        _ = try ManagementAPITests.curl(api, "/v1/pools/nosuchpool", method: "GET")
        let calls = try Self.scrape(api)
        let routes = Set(calls.filter { $0.name == "formdns_api_requests_total" }.compactMap { $0.labels["route"] })
        #expect(routes.contains { $0.hasPrefix("/v1/pools/") && !$0.contains("entry") && !$0.contains("nosuchpool") })
        #expect(Self.value(calls, "formdns_api_requests_total", ["status": "404"]) >= 1)

        // No label anywhere carries an address or a subnet.
        for sample in calls {
            for (key, value) in sample.labels where key != "le" {
                #expect(!Self.isAddress(value), "\(sample.name) \(key)=\(value)")
            }
        }
    }

    @Test func metricsNeedAReaderTokenUnlessOpen() throws {
        let s = try ControlAPITests.start()
        defer { s.dns.stop() }
        #expect(try ControlAPITests.call(s, "GET", "/metrics", token: nil).status == 401)
        #expect(try ControlAPITests.call(s, "GET", "/metrics", token: "not-a-token-0123456789abcdef").status == 401)
        let limited = try ControlAPITests.token(s, role: "reader", pools: ["entry"])
        #expect(try ControlAPITests.call(s, "GET", "/metrics", token: limited).status == 403)
        let reader = try ControlAPITests.token(s, role: "reader")
        let r = try ControlAPITests.call(s, "GET", "/metrics", token: reader)
        #expect(r.status == 200)
        #expect(r.body.contains("# TYPE formdns_dns_requests_total counter"))
        // metrics_open in the file, reloaded: from then on no token is needed.
        let file = s.dir + "/c.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("token_file: api-token}"))
        try text.replacingOccurrences(of: "token_file: api-token}", with: "token_file: api-token, metrics_open: true}")
            .write(toFile: file, atomically: true, encoding: .utf8)
        s.dns.signal(SIGHUP)
        try waitFor { s.dns.log.contains("reloaded zones in") }
        #expect(try ControlAPITests.call(s, "GET", "/metrics", token: nil).status == 200)
    }

    /// `server.query_metrics: false` leaves counting out of the query path: queries are answered,
    /// the per-query series stay at zero, the rest of /metrics is there.
    @Test func queryMetricsOffCountsNoQuery() throws {
        let s = try ControlAPITests.start(extra: "server: {query_metrics: false}")
        defer { s.dns.stop() }
        for _ in 0..<5 {
            let answer = try WireClient.udp(wire("entry.formation.test.", .a), port: s.dns.udpPort)
            #expect(answer != nil)
        }
        let samples = try Self.scrape(s.api, token: ControlAPITests.admin)
        #expect(Self.value(samples, "formdns_dns_requests_total") == 0)
        #expect(Self.value(samples, "formdns_geo_answers_total") == 0)
        #expect(Self.value(samples, "formdns_build_info") == 1)
    }

    /// Prometheus's own linter on what /metrics serves (names, types, units, a `# HELP` for every
    /// family), and on the alerting rules shipped in Docs/prometheus.
    @Test func theExpositionAndTheRulesPassPromtool() throws {
        let s = try ControlAPITests.start()
        defer { s.dns.stop() }
        for _ in 0..<3 { _ = try WireClient.udp(wire("entry.formation.test.", .a), port: s.dns.udpPort) }
        s.dns.signal(SIGHUP)
        try waitFor { s.dns.log.contains("reloaded zones in") }
        _ = try ControlAPITests.call(s, "GET", "/v1/health")
        let body = try ControlAPITests.call(s, "GET", "/metrics").body
        #expect(body.contains("# HELP formdns_reloads_total") && body.contains("# HELP formdns_api_requests_total"))
        let file = s.dir + "/metrics.txt"
        try body.write(toFile: file, atomically: true, encoding: .utf8)
        let lint = try Harness.run("/bin/sh", ["-c", "promtool check metrics < '\(file)'"])
        #expect(lint.status == 0, "promtool check metrics: \(lint.output)")
        let rules = try Harness.run(
            try Harness.which("promtool"), ["check", "rules", Harness.packageRoot + "/Docs/prometheus/form-dns-rules.yml"])
        #expect(rules.status == 0, "promtool check rules: \(rules.output)")
    }
}
