import DNSWire
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Health-aware answers with real entry-node processes on 127.0.0.21-23: kill one and it leaves
/// the answers within interval x fall + one interval; restart it and it returns after `rise`;
/// kill all and answers still come (fail-open) with the minimum TTL.
@Suite(.serialized) struct HealthIntegrationTests {
    static var fakeNode: String { URL(fileURLWithPath: Harness.formDNSBinary).deletingLastPathComponent().appendingPathComponent("fake-entry-node").path }

    func node(_ ip: String, port: Int, dir: String) throws -> ServerProcess {
        let p = try ServerProcess(executable: Self.fakeNode, arguments: ["--listen", "\(ip):\(port)"], logPath: "\(dir)/node-\(ip)-\(UUID().uuidString).log")
        try waitFor { p.log.contains("listening on") }
        return p
    }

    @Test func deadNodesLeaveTheAnswerAndFailOpenKeepsAnswering() throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        let interval = 0.3, fall = 2.0
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        pools:
          - name: entry
            names: [entry.formation.test]
            ttl: 30
            policy: {max_answers: 3}
            health: {check: tcp, port: \(port), interval_ms: 300, timeout_ms: 200, rise: 2, fall: 2, degraded_ttl: 5, min_ttl: 1}
            nodes:
              - {id: n1, ipv4: 127.0.0.21, latitude: 52.4, longitude: 4.9}
              - {id: n2, ipv4: 127.0.0.22, latitude: 51.5, longitude: -0.1}
              - {id: n3, ipv4: 127.0.0.23, latitude: 50.1, longitude: 8.7}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        var nodes = [try node("127.0.0.21", port: port, dir: dir), try node("127.0.0.22", port: port, dir: dir), try node("127.0.0.23", port: port, dir: dir)]
        defer { nodes.forEach { $0.stop() } }
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        func answer() throws -> (addresses: Set<String>, ttl: UInt32) {
            let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
            return (Set(m.answers.map(\.data.description)), m.answers.first?.ttl ?? 0)
        }
        // Cold start: unknown counts as healthy, so all three answer before any check...
        #expect(try answer().addresses.count == 3)
        // ...and the first check of each confirms it.
        try waitFor { dns.log.components(separatedBy: "unknown -> healthy").count - 1 == 3 }
        #expect(try answer().ttl <= 30)

        // Kill n2: gone within interval x fall + one interval (plus scheduling slack).
        let killedAt = Date()
        nodes[1].stop()
        try waitFor(seconds: 10) { try !answer().addresses.contains("127.0.0.22") }
        let failover = Date().timeIntervalSince(killedAt)
        #expect(failover < interval * fall + interval + 1.0, "failover took \(failover) s")
        #expect(dns.log.contains("health: entry/n2 healthy -> unhealthy"))

        // Restart it: back after `rise` successful checks.
        nodes[1] = try node("127.0.0.22", port: port, dir: dir)
        try waitFor(seconds: 10) { try answer().addresses.contains("127.0.0.22") }
        #expect(dns.log.contains("health: entry/n2 unhealthy -> healthy"))

        // Kill them all: fail-open still answers, with the minimum TTL.
        nodes.forEach { $0.stop() }
        try waitFor(seconds: 10) { dns.log.components(separatedBy: "-> unhealthy").count - 1 >= 4 }
        try waitFor(seconds: 5) { try answer().ttl == 1 }
        #expect(try answer().addresses.count == 3)

        let explain = try Harness.run(Harness.formDNSBinary, ["explain", "--config", dir + "/c.yaml", "entry.formation.test", "127.0.0.1"])
        #expect(explain.output.contains("health"))
    }
}


extension HealthIntegrationTests {
    @Test func dnsChecksTellLiveFromDeadServers() throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        let target = try ServerProcess.formDNS(["--zone", "formation.test=\(Harness.packageRoot)/Fixtures/demo/formation.test.zone",
                                                "--listen", "127.0.0.41:\(port)"], directory: dir)
        defer { target.stop() }
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        pools:
          - names: [entry.formation.test]
            health: {check: dns, port: \(port), query: www.formation.test, interval_ms: 200, timeout_ms: 150}
            nodes:
              - {id: alive, ipv4: 127.0.0.41, latitude: 1, longitude: 1}
              - {id: dead, ipv4: 127.0.0.42, latitude: 2, longitude: 2}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: Harness.tempDirectory())
        defer { dns.stop() }
        try waitFor { dns.log.contains("alive unknown -> healthy") && dns.log.contains("dead unknown -> unhealthy") }
        let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
        #expect(m.answers.map(\.data.description) == ["127.0.0.41"])
    }
}

extension HealthIntegrationTests {
    @Test func httpsChecksReadTheStatus() throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        _ = try Harness.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=entry.test",
                                        "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem"])
        // Two self-signed HTTPS servers: one healthy (200), one answering 503.
        let server = """
        import http.server, ssl, sys
        code = int(sys.argv[2])
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(code); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
            def log_message(self, *a): pass
        s = http.server.HTTPServer((sys.argv[1], \(port)), H)
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain("\(dir)/cert.pem", "\(dir)/key.pem")
        s.socket = c.wrap_socket(s.socket, server_side=True)
        print("listening", flush=True)
        s.serve_forever()
        """
        try server.write(toFile: dir + "/https.py", atomically: true, encoding: .utf8)
        let up = try ServerProcess(executable: try Harness.which("python3"), arguments: [dir + "/https.py", "127.0.0.61", "200"], logPath: dir + "/up.log")
        defer { up.stop() }
        let sick = try ServerProcess(executable: try Harness.which("python3"), arguments: [dir + "/https.py", "127.0.0.62", "503"], logPath: dir + "/sick.log")
        defer { sick.stop() }
        try waitFor { up.log.contains("listening") && sick.log.contains("listening") }
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        pools:
          - names: [entry.formation.test]
            health: {check: https, port: \(port), path: /health, interval_ms: 300, timeout_ms: 250}
            nodes:
              - {id: up, ipv4: 127.0.0.61, latitude: 1, longitude: 1}
              - {id: sick, ipv4: 127.0.0.62, latitude: 2, longitude: 2}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: Harness.tempDirectory())
        defer { dns.stop() }
        try waitFor { dns.log.contains("up unknown -> healthy") && dns.log.contains("sick unknown -> unhealthy") }
        #expect(dns.log.contains("HTTPS 503"))
        let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
        #expect(m.answers.map(\.data.description) == ["127.0.0.61"])
    }
}

/// The management API: pushed reports with threshold rules, staleness, overrides, the audit log,
/// the bearer token, and `form-dns health` / `form-dns override`.
@Suite(.serialized) struct ManagementAPITests {
    static let token = "test-token-0123456789abcdef"

    @Test func pushedReportsOverridesAndTheHealthCommand() throws {
        let dir = Harness.tempDirectory()
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        management: {listen: "127.0.0.1:0", token: \(Self.token)}
        pools:
          - name: entry
            names: [entry.formation.test]
            policy: {max_answers: 1}
            health:
              check: none
              degraded_ttl: 7
              push:
                stale_after_s: 2
                rules: [{metric: cpu, above: 0.9, for_s: 0, state: degraded}]
            nodes:
              - {id: near, ipv4: 127.0.0.31, latitude: 52.4, longitude: 4.9}
              - {id: far, ipv4: 127.0.0.32, latitude: -33.9, longitude: 151.2}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        let apiWord = try #require(dns.log.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("api://") })
        let api = String(apiWord.dropFirst("api://".count))
        func first() throws -> String? {
            // The query comes from loopback, which no database places: weights and the tie-break rank.
            let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
            return m.answers.first?.data.description
        }
        let initial = try #require(try first())
        let other = initial == "127.0.0.31" ? "far" : "near"
        let chosen = initial == "127.0.0.31" ? "near" : "far"

        // Drain the chosen node through the CLI: the other one answers.
        let drained = try Harness.run(Harness.formDNSBinary, ["override", "--api", api, "--token", Self.token, "entry", chosen, "drain"])
        #expect(drained.status == 0 && drained.output.contains("unhealthy"))
        try waitFor { try first() != initial }
        #expect(dns.log.contains("audit: "))
        #expect(dns.log.contains("/v1/pools/entry/nodes/\(chosen)/override -> 200"))
        // Without the token: refused and audited.
        let refused = try Harness.run(Harness.formDNSBinary, ["override", "--api", api, "--token", "wrong-token-xxxxxxxxxx", "entry", chosen, "clear"])
        #expect(refused.status == 1 && dns.log.contains("-> 401"))
        _ = try Harness.run(Harness.formDNSBinary, ["override", "--api", api, "--token", Self.token, "entry", chosen, "clear"])
        try waitFor { try first() == initial }

        // A pushed report over the cpu rule makes the chosen node degraded: TTL drops to degraded_ttl.
        let report = try Harness.run("/usr/bin/curl", ["-s", "-X", "POST", "-H", "Authorization: Bearer \(Self.token)",
                                                       "--data", #"{"metrics": {"cpu": 0.97}}"#, "http://\(api)/v1/pools/entry/nodes/\(chosen)/report"])
        #expect(report.output.contains("degraded"))
        try waitFor {
            let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
            return m.answers.first?.ttl == 7 || m.answers.first?.data.description != initial
        }
        // The report goes stale after 2 s: unknown, treated as healthy again.
        try waitFor(seconds: 6) { dns.log.contains("report went stale") }

        // form-dns health lists every node with what the checker thinks.
        let health = try Harness.run(Harness.formDNSBinary, ["health", "--api", api, "--token", Self.token])
        #expect(health.status == 0)
        #expect(health.output.contains("pool entry (checks: none)"))
        #expect(health.output.contains(chosen) && health.output.contains(other))
        #expect(health.output.contains("cpu=0.97"))
        let json = try Harness.run(Harness.formDNSBinary, ["health", "--api", api, "--token", Self.token, "--json"])
        #expect(json.output.contains("\"transitions\"") && json.output.contains("\"time\" : \"20"))
        // A node may address itself by IP.
        let byIP = try Harness.run("/usr/bin/curl", ["-s", "-X", "POST", "-H", "Authorization: Bearer \(Self.token)",
                                                     "--data", #"{"state": "degraded"}"#, "http://\(api)/v1/pools/entry/nodes/127.0.0.31/report"])
        #expect(byIP.output.contains("\"near\"") && byIP.output.contains("degraded"))

    }
}
