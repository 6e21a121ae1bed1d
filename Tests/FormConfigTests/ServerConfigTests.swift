import DNSWire
import FormAuthority
import FormConfig
import Foundation
import NetAddress
import TestFixtures
import Testing

@Suite struct ServerConfigTests {
    @Test func loadsTheDemoConfig() throws {
        let c = try ServerConfig.load(file: FixturePaths.demoConfig)
        #expect(c.listen.map(\.description) == ["127.0.0.1:5300", "[::1]:5300"])
        #expect(c.workers == 2 && c.udpPayloadSize == 1232)
        #expect(c.zones.count == 1 && c.zones[0].file.hasSuffix("Fixtures/demo/formation.test.zone"))
        _ = try AuthorityLoader.build(c)
    }

    @Test func reportsFileLineAndField() {
        let yaml = """
        listen: ["127.0.0.1:5300", "not-an-address"]
        server:
          workers: 0
          udp_payload_sise: 1232
          cpu_affinity: sometimes
        zones:
          - origin: formation.test
          - file: x.zone
        extra: 1
        """
        do {
            _ = try ServerConfig.parse(yaml: yaml, file: "bad.yaml")
            Issue.record("accepted")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains("bad.yaml:1: listen: 'not-an-address' is not an address like 127.0.0.1:5300 or [::1]:5300"))
            #expect(lines.contains("bad.yaml:3: server.workers: '0' must be a whole number in 1...64"))
            #expect(lines.contains("bad.yaml:4: server.udp_payload_sise: unknown setting (expected workers, cpu_affinity, health_check_threads, "
                                   + "udp_payload_size, tcp_idle_timeout_ms, tcp_max_connections, "
                                   + "tcp_max_connections_per_client, tcp_message_timeout_ms, query_metrics)"))
            #expect(lines.contains("bad.yaml:5: server.cpu_affinity: 'sometimes' is not one of auto, off"))
            #expect(lines.contains("bad.yaml:7: zones[0].file: is required (or content)"))
            #expect(lines.contains("bad.yaml:8: zones[1].origin: is required"))
            #expect(lines.contains("bad.yaml:9: extra: unknown setting (expected listen, server, zones, geoip, pools, management, update_keys, events, decision_log, alerts, fleet, catalog, rate_limit, cookies, state_dir)"))
        }
    }

    @Test func cpuAffinityDefaultsToAutoAndCanBeTurnedOff() throws {
        #expect(try ServerConfig.parse(yaml: "zones: []", file: "a.yaml").cpuAffinity == .auto)
        #expect(try ServerConfig.parse(yaml: "server: {cpu_affinity: off}\nzones: []", file: "a.yaml").cpuAffinity == .off)
        #expect(try ServerConfig.parse(yaml: "server: {cpu_affinity: auto}\nzones: []", file: "a.yaml").cpuAffinity == .auto)
    }

    @Test func restartOnlyChangesNameWhatAReloadCannotApply() throws {
        let running = try ServerConfig.parse(yaml: "listen: [\"127.0.0.1:53\"]\nzones: []", file: "a.yaml")
        var next = running
        next.udpPayloadSize = 1400
        next.zones = [ZoneConfig(origin: "x.", file: "x.zone")]
        #expect(next.restartOnlyChanges(from: running).isEmpty)
        next.listen = [Endpoint(host: "127.0.0.1", port: 5300)]
        next.workers = 4
        next.cpuAffinity = .off
        next.tcpMaxConnections = 10
        next.tcpIdleTimeoutMilliseconds = 500
        next.managementListen = Endpoint(host: "127.0.0.1", port: 8053)
        next.managementToken = "t"
        #expect(next.restartOnlyChanges(from: running) == ["listen", "server.workers", "server.cpu_affinity", "server.tcp_idle_timeout_ms",
                                                          "server.tcp_max_connections", "management.listen", "management.token"])
    }

    /// Metric names in push rules follow the API's rule, so a name with a newline never reaches a log;
    /// HTTPS settings and the TCP limits parse with their ranges; a relative CA file is taken from the
    /// config's directory.
    @Test func pushRulesHTTPSAndTCPSettings() throws {
        func config(_ pool: String, server: String = "{}") -> String {
            """
            server: \(server)
            zones: [{origin: formation.test, file: \(FixturePaths.demoZone)}]
            pools:
              - names: [entry.formation.test]
                health: \(pool)
                nodes: [{id: a, ipv4: 127.0.0.1, latitude: 1, longitude: 1}]
            """
        }
        for bad in ["CPU", "cpu load", "cpu\\nx", String(repeating: "a", count: 65), ""] {
            let yaml = config("{check: none, push: {rules: [{metric: \"\(bad)\", above: 1}]}}")
            do {
                _ = try ServerConfig.parse(yaml: yaml, file: "c.yaml")
                Issue.record("metric '\(bad)' accepted")
            } catch {
                #expect(error.description.contains("metric") && error.description.contains("a-z, 0-9 and _"), "\(error)")
            }
        }
        let dir = NSTemporaryDirectory() + "cfg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "-----BEGIN CERTIFICATE-----\n".write(toFile: dir + "/ca.pem", atomically: true, encoding: .utf8)
        let https = try ServerConfig.parse(yaml: config("{check: https, tls_ca_file: ca.pem, tls_server_name: n.test}",
                                                        server: "{tcp_message_timeout_ms: 700, tcp_max_connections_per_client: 3}"),
                                           file: dir + "/c.yaml")
        let health = try #require(https.geo.pools.first?.health)
        #expect(health.tlsVerify && health.tlsCAFile == dir + "/ca.pem" && health.tlsServerName == "n.test")
        // A CA file that cannot be read is a config error (a typo would otherwise stop every check).
        do {
            _ = try ServerConfig.parse(yaml: config("{check: https, tls_ca_file: missing.pem}"), file: dir + "/c.yaml")
            Issue.record("a missing CA file accepted")
        } catch {
            #expect(error.description.contains("tls_ca_file") && error.description.contains("missing.pem"), "\(error)")
        }
        #expect(https.tcpMessageTimeoutMilliseconds == 700 && https.tcpMaxConnectionsPerClient == 3)
        let defaults = try ServerConfig.parse(yaml: config("{check: https}"), file: "c.yaml")
        #expect(defaults.geo.pools.first?.health?.tlsVerify == true)
        #expect(defaults.tcpMessageTimeoutMilliseconds == 5000 && defaults.tcpMaxConnectionsPerClient == 32)
        do {
            _ = try ServerConfig.parse(yaml: config("{check: none}", server: "{tcp_message_timeout_ms: 5}"), file: "c.yaml")
            Issue.record("a 5 ms message deadline accepted")
        } catch {
            #expect(error.description.contains("server.tcp_message_timeout_ms"))
        }
    }

    @Test func reportsInvalidYAMLWithLine() {
        do {
            _ = try ServerConfig.parse(yaml: "listen: [\nzones: {", file: "y.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.errors.count == 1 && error.description.hasPrefix("y.yaml:"))
            #expect(error.description.contains("invalid YAML"))
        }
    }

    @Test func zoneErrorsComeThroughWithTheirLocation() throws {
        var c = ServerConfig()
        c.zones = [ZoneConfig(origin: "x.", file: "/nonexistent/x.zone")]
        #expect(throws: ConfigErrors.self) { try AuthorityLoader.build(c) }
    }

    @Test(arguments: [("127.0.0.1:53", true), ("[::1]:5300", true), ("::1", true), ("10.0.0.1", true),
                      ("1.2.3.4:70000", false), ("host:53", false), ("[::1", false), ("", false)])
    func parsesEndpointes(text: String, ok: Bool) {
        #expect((Endpoint(parsing: text, defaultPort: 53) != nil) == ok)
    }
}
