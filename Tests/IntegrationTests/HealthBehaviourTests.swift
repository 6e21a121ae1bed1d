import DNSWire
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Health behaviours of the running server that had no test: a DNS check treats SERVFAIL (and
/// REFUSED) as down, and regional spill-over moves a degraded region's clients to the next region.
@Suite(.serialized) struct HealthBehaviourTests {
    /// A UDP DNS server on `ip:port` answering every query with `rcode` (python3, started here).
    func fakeDNS(_ ip: String, port: Int, rcode: Int, dir: String) throws -> ServerProcess {
        let script = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((sys.argv[1], int(sys.argv[2])))
        print("listening", flush=True)
        while True:
            q, peer = s.recvfrom(512)
            if len(q) < 12: continue
            flags = 0x8000 | (q[2] & 0x79) << 8 | int(sys.argv[3])
            s.sendto(q[:2] + flags.to_bytes(2, "big") + q[4:6] + b"\\0\\0\\0\\0\\0\\0" + q[12:], peer)
        """
        try script.write(toFile: dir + "/fakedns.py", atomically: true, encoding: .utf8)
        let p = try ServerProcess(executable: try Harness.which("python3"),
                                  arguments: [dir + "/fakedns.py", ip, "\(port)", "\(rcode)"], logPath: "\(dir)/dns-\(ip).log")
        try waitFor { p.log.contains("listening") }
        return p
    }

    @Test func dnsChecksCountServfailAndRefusedAsDown() throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        let servers = [try fakeDNS("127.0.0.43", port: port, rcode: 0, dir: dir),
                       try fakeDNS("127.0.0.44", port: port, rcode: 2, dir: dir),
                       try fakeDNS("127.0.0.45", port: port, rcode: 5, dir: dir),
                       try fakeDNS("127.0.0.46", port: port, rcode: 3, dir: dir)]
        defer { servers.forEach { $0.stop() } }
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        pools:
          - names: [entry.formation.test]
            policy: {max_answers: 4}
            health: {check: dns, port: \(port), query: health.formation.test, interval_ms: 200, timeout_ms: 150}
            nodes:
              - {id: noerror, ipv4: 127.0.0.43, latitude: 1, longitude: 1}
              - {id: servfail, ipv4: 127.0.0.44, latitude: 2, longitude: 2}
              - {id: refused, ipv4: 127.0.0.45, latitude: 3, longitude: 3}
              - {id: nxdomain, ipv4: 127.0.0.46, latitude: 4, longitude: 4}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        try waitFor {
            dns.log.contains("noerror unknown -> healthy") && dns.log.contains("servfail unknown -> unhealthy")
                && dns.log.contains("refused unknown -> unhealthy") && dns.log.contains("nxdomain unknown -> healthy")
        }
        #expect(dns.log.contains("DNS rcode SERVFAIL"))
        let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
        #expect(Set(m.answers.map(\.data.description)) == ["127.0.0.43", "127.0.0.46"])
    }

    /// Three nodes in eu-west, one in us-east; clients default to Amsterdam. With two of the three
    /// eu-west nodes down (below region_spill_threshold 0.5), the survivor costs spill_penalty times
    /// more and us-east is answered first; explain names the region.
    @Test func aDegradedRegionSpillsItsClientsOver() throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        func node(_ ip: String) throws -> ServerProcess { try HealthIntegrationTests.node(ip, port: port, dir: dir) }
        var nodes = [try node("127.0.0.51"), try node("127.0.0.52"), try node("127.0.0.53"), try node("127.0.0.54")]
        defer { nodes.forEach { $0.stop() } }
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        management: {listen: "127.0.0.1:0"}
        pools:
          - name: entry
            names: [entry.formation.test]
            ttl: 30
            policy:
              max_answers: 1
              default_location: {latitude: 52.37, longitude: 4.90, country: NL, region: eu-west}
              region_spill_threshold: 0.5
              spill_penalty: 1000
            health: {check: tcp, port: \(port), interval_ms: 200, timeout_ms: 150, fall: 1, rise: 1, degraded_ttl: 5,
                     min_ttl: 1}
            nodes:
              - {id: ams, ipv4: 127.0.0.51, latitude: 52.37, longitude: 4.90, country: NL, region: eu-west}
              - {id: lon, ipv4: 127.0.0.52, latitude: 51.51, longitude: -0.13, country: GB, region: eu-west}
              - {id: dub, ipv4: 127.0.0.53, latitude: 53.35, longitude: -6.26, country: IE, region: eu-west}
              - {id: nyc, ipv4: 127.0.0.54, latitude: 40.71, longitude: -74.01, country: US, region: us-east}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        let api = try HealthIntegrationTests.apiAddress(dns)
        func answer() throws -> (String?, UInt32?) {
            let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort)))
            return (m.answers.first?.data.description, m.answers.first?.ttl)
        }
        try waitFor { dns.log.components(separatedBy: "unknown -> healthy").count - 1 == 4 }
        #expect(try answer().0 == "127.0.0.51")
        // One of three down: 2/3 up, above the threshold: the next eu-west node, no spill-over.
        nodes[0].stop()
        try waitFor(seconds: 10) { try answer().0 == "127.0.0.52" }
        #expect(!(try HealthIntegrationTests.explain(api: api)).contains("regional degradation"))
        // Two of three down: 1/3 up, below 0.5: eu-west's survivor costs 1000x, New York answers.
        nodes[1].stop()
        try waitFor(seconds: 10) { try answer().0 == "127.0.0.54" }
        let explain = try HealthIntegrationTests.explain(api: api)
        #expect(explain.contains("regional degradation: eu-west below 50% of nodes up"), "\(explain)")
        #expect(HealthIntegrationTests.row(explain, "dub").contains("healthy*"))
        // Back above the threshold: London, the nearest healthy eu-west node, again.
        nodes[1] = try node("127.0.0.52")
        try waitFor(seconds: 10) { try answer().0 == "127.0.0.52" }
    }
}
