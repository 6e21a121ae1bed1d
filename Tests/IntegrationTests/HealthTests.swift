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

    /// A fake entry node on `ip:port` (formnet ping and HTTP health), started and listening.
    static func node(_ ip: String, port: Int, dir: String) throws -> ServerProcess {
        let p = try ServerProcess(executable: fakeNode, arguments: ["--listen", "\(ip):\(port)"],
                                  logPath: "\(dir)/node-\(ip)-\(UUID().uuidString).log")
        try waitFor { p.log.contains("listening on") }
        return p
    }

    /// Asks the running server (not a separate process) how it ranks `name` for `client`.
    static func explain(api: String, token: String? = nil, name: String = "entry.formation.test",
                        client: String = "127.0.0.1") throws -> String {
        var args = ["-s", "--max-time", "5"]
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        let r = try Harness.run("/usr/bin/curl", args + ["http://\(api)/v1/explain?name=\(name)&client=\(client)"])
        let object = try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [String: Any]
        return try #require(object?["explain"] as? String, "explain answered \(r.output)")
    }

    /// The explain table's row for one node (its id is the first column).
    static func row(_ explain: String, _ node: String) -> String {
        explain.split(separator: "\n").first { $0.split(separator: " ").dropFirst().first.map(String.init) == node }
            .map(String.init) ?? ""
    }

    static func apiAddress(_ dns: ServerProcess) throws -> String {
        let word = try #require(dns.log.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("api://") })
        return String(word.dropFirst("api://".count))
    }

    /// TTLs follow gdnsd's rule with exact values: the full TTL (30) while every answered node passes
    /// its checks (interval 1 s x fall 3 would cap it at 3 under the old rule); from a dead node's
    /// first failed check, the time left until it can be removed (2 s, then 1 s); the full TTL again
    /// once it is out; the minimum (1) in fail-open.
    @Test func deadNodesLeaveTheAnswerAndFailOpenKeepsAnswering() throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        let interval = 1.0, fall = 3.0
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        management: {listen: "127.0.0.1:0"}
        pools:
          - name: entry
            names: [entry.formation.test]
            ttl: 30
            policy: {max_answers: 3}
            health: {check: tcp, port: \(port), interval_ms: 1000, timeout_ms: 200, rise: 2, fall: 3, degraded_ttl: 5, min_ttl: 1}
            nodes:
              - {id: n1, ipv4: 127.0.0.21, latitude: 52.4, longitude: 4.9}
              - {id: n2, ipv4: 127.0.0.22, latitude: 51.5, longitude: -0.1}
              - {id: n3, ipv4: 127.0.0.23, latitude: 50.1, longitude: 8.7}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        var nodes = [try Self.node("127.0.0.21", port: port, dir: dir), try Self.node("127.0.0.22", port: port, dir: dir),
                     try Self.node("127.0.0.23", port: port, dir: dir)]
        defer { nodes.forEach { $0.stop() } }
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        let api = try Self.apiAddress(dns)
        func answer() throws -> (addresses: Set<String>, ttl: UInt32) {
            let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
            return (Set(m.answers.map(\.data.description)), m.answers.first?.ttl ?? 0)
        }
        try waitFor { dns.log.components(separatedBy: "unknown -> healthy").count - 1 == 3 }
        let healthy = try answer()
        #expect(healthy.addresses.count == 3)
        #expect(healthy.ttl == 30)

        // Kill n2: while it is still answered its TTL shrinks with each failed check; it is gone
        // within interval x fall + one interval (plus scheduling slack).
        let killedAt = Date()
        nodes[1].stop()
        var shrinking: Set<UInt32> = []
        try waitFor(seconds: 10) {
            let a = try answer()
            if a.addresses.contains("127.0.0.22") && a.ttl < 30 { shrinking.insert(a.ttl) }
            return !a.addresses.contains("127.0.0.22")
        }
        let failover = Date().timeIntervalSince(killedAt)
        #expect(failover < interval * fall + interval + 1.0, "failover took \(failover) s")
        #expect(!shrinking.isEmpty && shrinking.isSubset(of: [2, 1]), "TTLs while n2 was failing: \(shrinking)")
        #expect(dns.log.contains("health: entry/n2 healthy -> unhealthy"))
        #expect(try answer().ttl == 30, "the answer without n2 holds only passing nodes")
        #expect(Self.row(try Self.explain(api: api), "n2").contains("dropped: unhealthy"))
        #expect(Self.row(try Self.explain(api: api), "n1").contains("selected"))

        // Restart it: back after `rise` successful checks.
        nodes[1] = try Self.node("127.0.0.22", port: port, dir: dir)
        try waitFor(seconds: 10) { try answer().addresses.contains("127.0.0.22") }
        #expect(dns.log.contains("health: entry/n2 unhealthy -> healthy"))

        // Kill them all: fail-open still answers, with the minimum TTL.
        nodes.forEach { $0.stop() }
        try waitFor(seconds: 15) { dns.log.components(separatedBy: "-> unhealthy").count - 1 >= 4 }
        let failOpen = try answer()
        #expect(failOpen.ttl == 1 && failOpen.addresses.count == 3)
        #expect(Self.row(try Self.explain(api: api), "n1").contains("fail-open"))
    }

    /// Before any check has run, `unknown: healthy` (the default) answers every node even with
    /// fail-open off, and `unknown: unhealthy` answers none. The nodes are dead and checked once an
    /// hour, so the answer can only come from the cold-start rule.
    @Test(arguments: ["healthy", "unhealthy"])
    func coldStartFollowsTheUnknownSetting(unknown: String) throws {
        let dir = Harness.tempDirectory()
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        pools:
          - name: entry
            names: [entry.formation.test]
            ttl: 30
            policy: {max_answers: 3, fail_open: false}
            health: {check: tcp, port: \(Harness.freePort()), interval_ms: 3600000, timeout_ms: 200, unknown: \(unknown)}
            nodes:
              - {id: n1, ipv4: 127.0.0.24, latitude: 52.4, longitude: 4.9}
              - {id: n2, ipv4: 127.0.0.25, latitude: 51.5, longitude: -0.1}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
        #expect(!dns.log.contains("unknown ->"), "a check ran before the query; the test proves nothing")
        #expect(m.rcode == .noError)
        if unknown == "healthy" {
            #expect(Set(m.answers.map(\.data.description)) == ["127.0.0.24", "127.0.0.25"])
            // The next check (within an hour) may remove them: the full TTL is well inside that.
            #expect(m.answers.first?.ttl == 30)
        } else {
            #expect(m.answers.isEmpty && m.authorities.map(\.type) == [.soa])
        }
    }

    /// `http` checks with `expect_status`, and a node that stops answering (SIGSTOP: the kernel still
    /// accepts the connection, the request times out) rather than refusing.
    @Test func httpChecksExpectStatusAndTimeouts() throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        pools:
          - name: entry
            names: [entry.formation.test]
            policy: {max_answers: 3}
            health: {check: http, port: \(port), path: /health, expect_status: 503, interval_ms: 300, timeout_ms: 200, fall: 2}
            nodes:
              - {id: expected, ipv4: 127.0.0.26, latitude: 1, longitude: 1}
              - {id: ok200, ipv4: 127.0.0.27, latitude: 2, longitude: 2}
              - {id: frozen, ipv4: 127.0.0.28, latitude: 3, longitude: 3}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        func fake(_ ip: String, _ status: Int) throws -> ServerProcess {
            let p = try ServerProcess(executable: Self.fakeNode, arguments: ["--listen", "\(ip):\(port)", "--health-status", "\(status)"],
                                      logPath: "\(dir)/node-\(ip).log")
            try waitFor { p.log.contains("listening on") }
            return p
        }
        let expected = try fake("127.0.0.26", 503), ok200 = try fake("127.0.0.27", 200), frozen = try fake("127.0.0.28", 503)
        defer { [expected, ok200, frozen].forEach { $0.stop() } }
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        try waitFor { dns.log.contains("expected unknown -> healthy") && dns.log.contains("ok200 unknown -> unhealthy")
                      && dns.log.contains("frozen unknown -> healthy") }
        #expect(dns.log.contains("HTTP 200"), "the 200 is named as the reason")
        frozen.signal(SIGSTOP)
        defer { frozen.signal(SIGCONT) }
        try waitFor(seconds: 10) { dns.log.contains("frozen healthy -> unhealthy") }
        #expect(dns.log.contains("HTTP: no status line in time"))
        let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
        #expect(m.answers.map(\.data.description) == ["127.0.0.26"])
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
            health: {check: https, port: \(port), path: /health, interval_ms: 300, timeout_ms: 250,
                     tls_ca_file: \(dir)/cert.pem, tls_server_name: entry.test}
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

        // Verification is on by default: without the CA, or with a name the certificate lacks, the
        // node is down; `tls_verify: false` accepts any certificate.
        for (settings, upState) in [("", "unhealthy"), ("tls_ca_file: \(dir)/cert.pem, tls_server_name: other.test,", "unhealthy"),
                                    ("tls_verify: false,", "healthy")] {
            let path = dir + "/v-\(UUID().uuidString).yaml"
            try """
            listen: ["127.0.0.1:0"]
            zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
            pools:
              - names: [entry.formation.test]
                health: {check: https, port: \(port), \(settings) interval_ms: 300, timeout_ms: 250}
                nodes: [{id: up, ipv4: 127.0.0.61, latitude: 1, longitude: 1}]
            """.write(toFile: path, atomically: true, encoding: .utf8)
            let server = try ServerProcess.formDNS(["--config", path], directory: Harness.tempDirectory())
            defer { server.stop() }
            try waitFor { server.log.contains("up unknown -> \(upState)") }
        }
    }
}

/// The management API: pushed reports with threshold rules, staleness, overrides, the audit log,
/// the bearer token, bad bodies, and `form-dns health` / `form-dns override`.
@Suite(.serialized) struct ManagementAPITests {
    static let token = "test-token-0123456789abcdef"

    /// Puts the token and the demo zone in `dir`; returns the top of a configuration that serves
    /// the zone with a store and the API (token file, no approvals), for a test to add pools to.
    static func managedServer(in dir: String) throws -> String {
        try token.write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(
            atPath: Harness.packageRoot + "/Fixtures/demo/formation.test.zone", toPath: dir + "/formation.test.zone")
        return """
            listen: ["127.0.0.1:0"]
            state_dir: state
            zones: [{origin: formation.test, file: formation.test.zone}]
            management: {listen: "127.0.0.1:0", token_file: token, approvals: []}
            """
    }

    static func curl(_ api: String, _ path: String, method: String = "POST", token: String? = ManagementAPITests.token,
                     body: String? = nil, bodyFile: String? = nil) throws -> (status: Int, body: String) {
        var args = ["-s", "--max-time", "5", "-o", "-", "-w", "\n%{http_code}", "-X", method]
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        if let body { args += ["--data-binary", body] }
        if let bodyFile { args += ["--data-binary", "@" + bodyFile] }
        let r = try Harness.run("/usr/bin/curl", args + ["http://\(api)\(path)"])
        let lines = r.output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test func pushedReportsOverridesAndTheHealthCommand() throws {
        let dir = Harness.tempDirectory()
        try Self.token.write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        management: {listen: "127.0.0.1:0", token_file: token}
        pools:
          - name: entry
            names: [entry.formation.test]
            ttl: 30
            policy: {max_answers: 2}
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
        let api = try HealthIntegrationTests.apiAddress(dns)
        func answer() throws -> (addresses: Set<String>, ttl: UInt32) {
            let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
            return (Set(m.answers.map(\.data.description)), m.answers.first?.ttl ?? 0)
        }
        let both: Set<String> = ["127.0.0.31", "127.0.0.32"]
        #expect(try answer() == (both, 30))
        let cli = [Harness.formDNSBinary, "--api", api, "--token-file", dir + "/token"]

        // Drain through the CLI: only the other node answers; clear brings it back.
        let drained = try Harness.run(cli[0], ["override"] + cli.dropFirst() + ["entry", "near", "drain"])
        #expect(drained.status == 0 && drained.output.contains("unhealthy"))
        #expect(try answer().addresses == ["127.0.0.32"])
        #expect(dns.log.contains("/v1/pools/entry/nodes/near/override -> 200"))
        // A wrong token (from the environment this time): refused and audited.
        try "wrong-token-xxxxxxxxxx".write(toFile: dir + "/wrong", atomically: true, encoding: .utf8)
        let refused = try Harness.run("/usr/bin/env", ["FORM_DNS_API_TOKEN=wrong-token-xxxxxxxxxx", Harness.formDNSBinary,
                                                       "override", "--api", api, "entry", "near", "clear"])
        #expect(refused.status == 1 && dns.log.contains("-> 401"))
        #expect(try answer().addresses == ["127.0.0.32"])
        let cleared = try Harness.run("/usr/bin/env", ["FORM_DNS_API_TOKEN=\(Self.token)", Harness.formDNSBinary,
                                                       "override", "--api", api, "entry", "near", "clear"])
        #expect(cleared.status == 0)
        #expect(try answer() == (both, 30))

        // A pushed report over the cpu rule makes `near` degraded: the answer's TTL is degraded_ttl.
        let report = try Self.curl(api, "/v1/pools/entry/nodes/near/report", body: #"{"metrics": {"cpu": 0.97}}"#)
        #expect(report.status == 200 && report.body.contains("degraded"))
        #expect(try answer() == (both, 7))
        // The report goes stale after 2 s: unknown, treated as healthy again, full TTL.
        try waitFor(seconds: 6) { try answer().ttl == 30 }
        #expect(dns.log.contains("report went stale"))

        // form-dns health lists every node with what the checker thinks.
        let health = try Harness.run(cli[0], ["health"] + cli.dropFirst())
        #expect(health.status == 0)
        #expect(health.output.contains("pool entry (checks: none)"))
        #expect(health.output.contains("near") && health.output.contains("far"))
        #expect(health.output.contains("cpu=0.97"))
        let json = try Harness.run(cli[0], ["health"] + cli.dropFirst() + ["--json"])
        #expect(json.output.contains("\"transitions\"") && json.output.contains("\"time\" : \"20"))
        // A node may address itself by IP.
        let byIP = try Self.curl(api, "/v1/pools/entry/nodes/127.0.0.31/report", body: #"{"state": "degraded"}"#)
        #expect(byIP.body.contains("\"near\"") && byIP.body.contains("degraded"))
    }

    /// Bad bodies are 400/413 with a reason and change nothing: no report recorded, no rule timer
    /// reset, no forged audit line.
    @Test func badBodiesChangeNothing() throws {
        let dir = Harness.tempDirectory()
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        management: {listen: "127.0.0.1:0", token: \(Self.token)}
        pools:
          - name: entry
            names: [entry.formation.test]
            ttl: 30
            policy: {max_answers: 2}
            health: {check: none, degraded_ttl: 7, push: {stale_after_s: 600}}
            nodes:
              - {id: near, ipv4: 127.0.0.33, latitude: 52.4, longitude: 4.9}
              - {id: far, ipv4: 127.0.0.34, latitude: -33.9, longitude: 151.2}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        let api = try HealthIntegrationTests.apiAddress(dns)
        let path = "/v1/pools/entry/nodes/near/report"
        #expect(try Self.curl(api, path, body: #"{"state": "degraded"}"#).status == 200)
        let big = dir + "/big.json"
        try (#"{"metrics": {"x": 1}, "pad": ""# + String(repeating: "a", count: 1_100_000) + #""}"#)
            .write(toFile: big, atomically: true, encoding: .utf8)
        let cases: [(String?, String?, Int, String)] = [
            (#"{"state": "heal"#, nil, 400, "not valid JSON"),
            ("", nil, 400, "must be a JSON object"),
            ("[]", nil, 400, "must be a JSON object"),
            (#"{"state": "healthy", "extra": 1}"#, nil, 400, "unknown field"),
            (#"{"state": 3}"#, nil, 400, "state must be"),
            (#"{"metrics": [1]}"#, nil, 400, "metrics must be an object"),
            (#"{"metrics": {"cpu": "high"}}"#, nil, 400, "must be a finite number"),
            (#"{"metrics": {"cpu": true}}"#, nil, 400, "must be a finite number"),
            (#"{"metrics": {"cpu\naudit: forged": 1}}"#, nil, 400, "metric name"),
            (#"{"metrics": {}}"#, nil, 400, "needs a state, metrics or both"),
            (nil, big, 413, "body larger than"),
        ]
        for (body, file, status, reason) in cases {
            let r = try Self.curl(api, path, body: body, bodyFile: file)
            #expect(r.status == status && r.body.contains(reason), "\(body ?? file ?? ""): \(r)")
        }
        // The node is still degraded from the one good report: nothing above replaced it.
        let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
        #expect(m.answers.first?.ttl == 7)
        let report = try Self.curl(api, "/v1/health", method: "GET")
        #expect(report.status == 200 && report.body.contains("degraded"))
        // The bad name is audited, escaped inside the one audit line: no line of its own.
        let forged = dns.log.split(separator: "\n").filter { $0.contains("forged") }
        #expect(!forged.isEmpty && forged.allSatisfy { $0.hasPrefix("form-dns: audit: ") }, "\(forged)")
        // Without the token a large body is a 401 like any other request: no size details for strangers.
        #expect(try Self.curl(api, path, token: nil, bodyFile: big).status == 401)
        // Other methods and paths, and a missing token.
        #expect(try Self.curl(api, path, token: nil, body: #"{"state": "healthy"}"#).status == 401)
        #expect(try Self.curl(api, path, token: "Bearer", body: #"{"state": "healthy"}"#).status == 401)
        #expect(try Self.curl(api, "/v1/nope", method: "GET").status == 404)
    }

    /// Without a token the API only starts on loopback (with a warning); a short token, an empty
    /// FORM_DNS_API_TOKEN on another address, or an unreadable token file refuse to start.
    @Test func theAPIRefusesToRunOpen() throws {
        let dir = Harness.tempDirectory()
        func config(_ management: String) throws -> String {
            let path = dir + "/c-\(UUID().uuidString).yaml"
            try """
            listen: ["127.0.0.1:0"]
            zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
            management: \(management)
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let open = try ServerProcess.formDNS(["--config", try config(#"{listen: "127.0.0.1:0"}"#)], directory: dir)
        #expect(open.log.contains("warning: the management API on 127.0.0.1:0 has no token"))
        open.stop()
        let everywhere = try Harness.run("/usr/bin/env", ["FORM_DNS_API_TOKEN=", Harness.formDNSBinary, "serve", "--config",
                                                          try config(#"{listen: "0.0.0.0:0"}"#)], timeout: 10)
        #expect(everywhere.status == 1 && everywhere.output.contains("needs a token"))
        let short = try Harness.run(Harness.formDNSBinary, ["serve", "--config", try config(#"{listen: "127.0.0.1:0", token: abc}"#)],
                                    timeout: 10)
        #expect(short.status != 0 && short.output.contains("management.token") && short.output.contains("at least 16"))
        let shortEnv = try Harness.run("/usr/bin/env", ["FORM_DNS_API_TOKEN=abc", Harness.formDNSBinary, "serve", "--config",
                                                        try config(#"{listen: "127.0.0.1:0"}"#)], timeout: 10)
        #expect(shortEnv.status == 1 && shortEnv.output.contains("at least 16"))
        let missing = try Harness.run(Harness.formDNSBinary, ["serve", "--config",
                                                              try config(#"{listen: "127.0.0.1:0", token_file: nope}"#)], timeout: 10)
        #expect(missing.status != 0 && missing.output.contains("management.token_file"))
    }
}

/// Attacks on the management API (issue 19.3, 19.4): pipelined requests that are never read, more
/// connections than the cap, and file descriptors run out under the health checker's feet.
@Suite(.serialized) struct ManagementAPIAbuseTests {
    static let token = ManagementAPITests.token

    func start(_ dir: String, checkPort: Int? = nil) throws -> (ServerProcess, String) {
        let health = checkPort.map { "{check: tcp, port: \($0), interval_ms: 200, timeout_ms: 100, fall: 2}" } ?? "{check: none}"
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        management: {listen: "127.0.0.1:0", token: \(Self.token)}
        pools:
          - name: entry
            names: [entry.formation.test]
            health: \(health)
            nodes: [{id: n1, ipv4: 127.0.0.35, latitude: 1, longitude: 1}]
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        return (dns, try HealthIntegrationTests.apiAddress(dns))
    }

    static func connect(_ api: String, receiveBuffer: Int32? = nil) throws -> Int32 {
        let colon = api.lastIndex(of: ":")!
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(4)) }
        try WireClient.connect(fd, host: String(api[..<colon]), port: Int(api[api.index(after: colon)...])!)
        return fd
    }

    @Test func pipelinedRequestsThatAreNeverReadCannotGrowTheServer() throws {
        let dir = Harness.tempDirectory()
        let (dns, api) = try start(dir)
        defer { dns.stop() }
        let before = dns.rssKiB
        let fd = try Self.connect(api, receiveBuffer: 4096)
        defer { close(fd) }
        let batch = Array(String(repeating: "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", count: 2000).utf8)
        let sent = WireClient.sendWithoutReading(fd, batch, times: 300)
        usleep(500_000)
        let grown = dns.rssKiB - before
        #expect(grown < 32 * 1024, "form-dns grew by \(grown) KiB for \(sent * 2000) unread requests")
        // DNS is still answered meanwhile.
        let m = try parse(try #require(try WireClient.udp(wire("www.formation.test.", .a), port: dns.udpPort)))
        #expect(m.rcode == .noError)
    }

    @Test func connectionsPastTheCapAreClosed() throws {
        let dir = Harness.tempDirectory()
        let (dns, api) = try start(dir)
        defer { dns.stop() }
        var fds: [Int32] = []
        defer { fds.forEach { close($0) } }
        for _ in 0..<80 { fds.append(try Self.connect(api)) }
        // The first 64 stay open (until the 10 s request deadline); the rest are closed at once.
        usleep(500_000)
        var closed = 0
        for fd in fds {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            var b: UInt8 = 0
            if poll(&pfd, 1, 0) == 1, recv(fd, &b, 1, 0) == 0 { closed += 1 }
        }
        #expect(closed == 16, "\(closed) of 80 connections were closed")
    }

    /// Out of file descriptors, the checker cannot open its sockets: that is logged, and the node
    /// it could not check stays in the answers (it was counted as down before, draining the pool).
    @Test func aCheckerOutOfDescriptorsNeverMarksNodesDown() throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        let node = try HealthIntegrationTests.node("127.0.0.35", port: port, dir: dir)
        defer { node.stop() }
        let (dns, api) = try start(dir, checkPort: port)
        defer { dns.stop() }
        try waitFor { dns.log.contains("n1 unknown -> healthy") }
        let pid = dns.process.processIdentifier
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
        let limit = try Harness.run("/usr/bin/prlimit", ["--pid", "\(pid)", "--nofile=\(open + 2):\(open + 2)"])
        #expect(limit.status == 0, "\(limit.output)")
        var fds: [Int32] = []
        defer { fds.forEach { close($0) } }
        for _ in 0..<20 { fds.append(try Self.connect(api)) }  // take the last descriptors
        try waitFor(seconds: 10) { dns.log.contains("health check of n1 not run") }
        usleep(600_000)  // several more check intervals
        #expect(!dns.log.contains("n1 healthy -> unhealthy"))
        let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
        #expect(m.answers.map(\.data.description) == ["127.0.0.35"])
    }
}
