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
