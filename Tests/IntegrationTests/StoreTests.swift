import DNSWire
import Foundation
import Testing

/// `state_dir`: overrides and last health states survive `kill -9`; the file seeds version 1 and a
/// SIGHUP of a changed file adds version 2; the audit chain records both and verifies.
@Suite(.serialized) struct StoreIntegrationTests {
    static let token = ManagementAPITests.token

    @Test func overridesHealthAndVersionsSurviveKillNine() throws {
        let dir = Harness.tempDirectory()
        let state = dir + "/state"
        let port = Harness.freePort()
        let live1 = try HealthIntegrationTests.node("127.0.0.36", port: port, dir: dir)
        defer { live1.stop() }
        let live3 = try HealthIntegrationTests.node("127.0.0.38", port: port, dir: dir)
        defer { live3.stop() }
        func write(ttl: Int) throws {
            try """
            listen: ["127.0.0.1:0"]
            state_dir: state
            zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
            management: {listen: "127.0.0.1:0", token: \(Self.token)}
            pools:
              - name: entry
                names: [entry.formation.test]
                ttl: \(ttl)
                # A long interval: after a restart, the answers come from the restored state, not new checks.
                health: {check: tcp, port: \(port), interval_ms: 5000, timeout_ms: 200}
                policy: {max_answers: 3}
                nodes:
                  - {id: n1, ipv4: 127.0.0.36, latitude: 1, longitude: 1}
                  - {id: n2, ipv4: 127.0.0.37, latitude: 1, longitude: 1}
                  - {id: n3, ipv4: 127.0.0.38, latitude: 1, longitude: 1}
            """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        }
        func answers(_ dns: ServerProcess) throws -> [String] {
            let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
            return m.answers.map(\.data.description).sorted()
        }
        try write(ttl: 30)
        try FileManager.default.createDirectory(atPath: dir + "/run1", withIntermediateDirectories: true)
        let first = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir + "/run1")
        try waitFor(seconds: 15) {
            first.log.contains("n2 unknown -> unhealthy") && first.log.contains("n1 unknown -> healthy")
                && first.log.contains("n3 unknown -> healthy")
        }
        let api = try HealthIntegrationTests.apiAddress(first)
        let drain = try ManagementAPITests.curl(api, "/v1/pools/entry/nodes/n1/override", body: #"{"override": "drain"}"#)
        #expect(drain.status == 200, "\(drain.body)")
        #expect(try answers(first) == ["127.0.0.38"])
        first.signal(SIGKILL)
        try waitFor { !first.process.isRunning }

        try FileManager.default.createDirectory(atPath: dir + "/run2", withIntermediateDirectories: true)
        let second = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir + "/run2")
        defer { second.stop() }
        // Straight after the restart: n1 still drained, n2 still down (not "unknown, so answered").
        #expect(try answers(second) == ["127.0.0.38"], "\(second.log)")
        #expect(second.log.contains("n2 unknown -> unhealthy (restored"))

        func cli(_ arguments: [String]) throws -> (status: Int32, output: String) {
            try Harness.run(Harness.formDNSBinary, arguments + ["--state-dir", state])
        }
        #expect(try cli(["versions", "list"]).output.split(separator: "\n").count == 1)
        try write(ttl: 60)
        second.signal(SIGHUP)
        try waitFor { second.log.contains("reloaded zones") }
        let versions = try cli(["versions", "list"])
        #expect(versions.output.split(separator: "\n").count == 2, "\(versions.output)")
        let diff = try cli(["versions", "diff", "1", "2"])
        #expect(diff.output.contains("-    ttl: 30") && diff.output.contains("+    ttl: 60"), "\(diff.output)")
        let verify = try cli(["audit", "verify"])
        #expect(verify.status == 0 && verify.output.contains("chain intact"), "\(verify.output)")
        let log = try cli(["audit", "list"]).output
        #expect(log.contains("config.version") && log.contains("POST /v1/pools/entry/nodes/n1/override"), "\(log)")
        let missing = try Harness.run(Harness.formDNSBinary, ["audit", "verify", "--state-dir", dir + "/nowhere"])
        #expect(missing.status == 1 && missing.output.contains("no store in"))
    }
}

/// Tokens with roles from `form-dns token create`: deny by default, 401 for no, unknown or revoked
/// tokens, 403 for a known token without the right (the same whether or not the pool exists), and
/// every refusal audited with the token's id.
@Suite(.serialized) struct TokenIntegrationTests {
    @Test func rolesScopesAndRevocation() throws {
        let dir = Harness.tempDirectory()
        let state = dir + "/state"
        func cli(_ arguments: [String]) throws -> (status: Int32, output: String) {
            try Harness.run(Harness.formDNSBinary, arguments + ["--state-dir", state])
        }
        func token(_ arguments: [String]) throws -> String {
            let r = try Harness.run("/bin/sh", ["-c", "'\(Harness.formDNSBinary)' token create --state-dir '\(state)' "
                                                + arguments.joined(separator: " ") + " 2>/dev/null"])
            #expect(r.status == 0, "\(r.output)")
            return r.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let reader = try token(["--role", "reader"])
        let operatorOther = try token(["--role", "operator", "--pool", "other"])
        let operatorAll = try token(["--role", "operator"])
        let reporter = try token(["--role", "reporter", "--node", "entry/n1"])
        let revoked = try token(["--role", "admin"])
        #expect(reader.hasPrefix("form_") && reader.count == 5 + 8 + 1 + 64)
        let revokedID = String(revoked.split(separator: "_")[1])
        #expect(try cli(["token", "revoke", revokedID]).status == 0)
        #expect(try cli(["token", "revoke", revokedID]).status == 1, "revoked twice")
        let list = try cli(["token", "list"]).output
        #expect(list.contains("reporter  node entry/n1") && list.contains("revoked") && !list.contains(reader))
        #expect(try cli(["token", "create", "--role", "reporter"]).status != 0, "a reporter needs --node")

        try """
        listen: ["127.0.0.1:0"]
        state_dir: state
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        management: {listen: "127.0.0.1:0"}
        pools:
          - name: entry
            names: [entry.formation.test]
            health: {check: none}
            nodes: [{id: n1, ipv4: 127.0.0.36, latitude: 1, longitude: 1}, {id: n2, ipv4: 127.0.0.37, latitude: 1, longitude: 1}]
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        #expect(!dns.log.contains("has no token"), "with a store, the API is not open")
        let api = try HealthIntegrationTests.apiAddress(dns)
        func call(_ secret: String?, _ path: String, _ method: String = "POST", _ body: String? = nil) throws -> (Int, String) {
            let r = try ManagementAPITests.curl(api, path, method: method, token: secret, body: body)
            return (r.status, r.body)
        }
        let drain = #"{"override": "drain"}"#, report = #"{"state": "degraded"}"#
        #expect(try call(nil, "/v1/health", "GET").0 == 401)
        #expect(try call("form_00000000_" + String(repeating: "0", count: 64), "/v1/health", "GET").0 == 401)
        #expect(try call(revoked, "/v1/health", "GET").0 == 401)
        #expect(try call(reader, "/v1/health", "GET").0 == 200)
        let refused = try call(reader, "/v1/pools/entry/nodes/n1/override", "POST", drain)
        #expect(refused.0 == 403 && refused.1.contains(#""code":"forbidden""#), "\(refused)")
        // Outside its pools, an operator gets the same 403 for a pool that exists and one that does not.
        let other = try call(operatorOther, "/v1/pools/entry/nodes/n1/override", "POST", drain)
        let ghost = try call(operatorOther, "/v1/pools/ghost/nodes/n1/override", "POST", drain)
        #expect(other.0 == 403 && ghost.0 == 403 && other.1 == ghost.1.replacingOccurrences(of: "ghost", with: "entry"))
        let scoped = try JSONSerialization.jsonObject(with: Data(try call(operatorOther, "/v1/health", "GET").1.utf8))
        #expect((scoped as? [String: Any])?["pools"] as? [Any] != nil && ((scoped as? [String: Any])?["pools"] as? [Any])?.isEmpty == true)
        #expect(try call(operatorAll, "/v1/pools/entry/nodes/n1/override", "POST", drain).0 == 200)
        #expect(try call(reporter, "/v1/pools/entry/nodes/n1/report", "POST", report).0 == 200)
        #expect(try call(reporter, "/v1/pools/entry/nodes/127.0.0.36/report", "POST", report).0 == 200)
        #expect(try call(reporter, "/v1/pools/entry/nodes/n2/report", "POST", report).0 == 403)
        #expect(try call(reporter, "/v1/pools/entry/nodes/n1/override", "POST", drain).0 == 403)
        #expect(try call(reporter, "/v1/health", "GET").0 == 403)
        let audit = try cli(["audit", "list", "--limit", "1000"]).output
        let readerID = String(reader.split(separator: "_")[1]), reporterID = String(reporter.split(separator: "_")[1])
        #expect(audit.contains("\(readerID)  ") && audit.contains("403"), "\(audit)")
        #expect(audit.contains(reporterID) && audit.contains("token.revoke") && !audit.contains(reader))
        #expect(try cli(["audit", "verify"]).status == 0)
    }
}
