import DNSWire
import Foundation
import NetAddress
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// SIGHUP and SIGTERM on the real binary: what a reload applies (GeoIP databases, network maps,
/// pools, health settings; over UDP and TCP, with the GeoDNS caches cleared), what it keeps (health
/// state), and a clean, prompt exit.
@Suite(.serialized) struct ReloadTests {
    static let zone = Harness.packageRoot + "/Fixtures/demo/formation.test.zone"

    /// One answer to `name` over UDP or TCP, with an optional ECS subnet like "203.0.113.0/24".
    static func ask(
        _ server: ServerProcess, _ name: String = "entry.formation.test.", _ type: RecordType = .a,
        ecs: String? = nil, tcp: Bool = false
    ) throws -> DNSMessage {
        var edns: EDNS? = nil
        if let ecs {
            let parts = ecs.split(separator: "/")
            let bytes = parts[0].split(separator: ".").map { UInt8($0)! }
            edns = EDNS(options: [
                .clientSubnet(ClientSubnet(family: .ipv4, fullAddress: bytes, sourcePrefixLength: UInt8(parts[1])!)!)
            ])
        }
        let query = wire(name, type, edns: edns)
        if tcp {
            let c = try WireClient.TCPConnection(port: server.tcpPort)
            c.sendFramed([query])
            return try parse(try #require(c.receiveFrame(), "no TCP answer"))
        }
        return try parse(try #require(try WireClient.udp(query, port: server.udpPort), "no UDP answer"))
    }

    static func addresses(_ m: DNSMessage) -> [String] { m.answers.map(\.data.description) }

    /// Sends SIGHUP and waits for the n-th "reloaded zones" line; a failed reload fails the test.
    static func reload(_ server: ServerProcess, expecting count: Int) throws {
        server.signal(SIGHUP)
        try waitFor {
            server.log.components(separatedBy: "reloaded zones").count - 1 >= count
                || server.log.contains("reload failed")
        }
        #expect(!server.log.contains("reload failed"), "\(server.log)")
        #expect(server.log.components(separatedBy: "reloaded zones").count - 1 == count, "\(server.log)")
    }

    /// Compiles a one-network GeoIP database placing `network` in `city` and moves it over `path`
    /// atomically (as the operator guide says to replace databases).
    static func compileDatabase(
        _ network: String, city: (String, Double, Double, String, String, String), to path: String
    ) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let source = dir + "/db-\(UUID().uuidString).yaml"
        try """
        build_epoch: 1767225600
        networks:
          - {network: \(network), latitude: \(city.1), longitude: \(city.2), country: \(city.3), continent: \(city.4), \
        region: \(city.5), city: \(city.0)}
        """.write(toFile: source, atomically: true, encoding: .utf8)
        let out = path + ".new"
        let r = try Harness.run(Harness.formDNSBinary, ["geo", "compile", source, "-o", out])
        try #require(r.status == 0, "\(r.output)")
        try #require(rename(out, path) == 0)
    }

    static let tokyo = ("Tokyo", 35.68, 139.65, "JP", "AS", "ap-northeast")
    static let london = ("London", 51.51, -0.13, "GB", "EU", "eu-west")

    static func writeMap(_ network: String, city: (String, Double, Double, String, String, String), to path: String)
        throws
    {
        try """
        networks:
          - {network: \(network), latitude: \(city.1), longitude: \(city.2), country: \(city.3), \
        region: \(city.5), city: \(city.0)}
        """.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A reload applies a changed GeoIP database, then a changed network map, to UDP and TCP, and
    /// clears the GeoDNS caches: the same client networks asked before the reload (so cached under
    /// the old data, on the one UDP worker and the TCP loop) get the new answer at once.
    @Test func aChangedDatabaseOrNetworkMapTakesEffectOverUDPAndTCP() throws {
        let dir = Harness.tempDirectory()
        try Self.compileDatabase("203.0.113.0/24", city: Self.tokyo, to: dir + "/geo.mmdb")
        try Self.writeMap("10.20.0.0/16", city: Self.tokyo, to: dir + "/map.yaml")
        try """
        listen: ["127.0.0.1:0"]
        server: {workers: 1}
        zones: [{origin: formation.test, file: \(Self.zone)}]
        geoip: {databases: [geo.mmdb], network_maps: [map.yaml]}
        pools:
          - names: [entry.formation.test]
            policy: {max_answers: 1}
            nodes:
              - {id: lon, ipv4: 127.0.0.12, latitude: 51.5, longitude: -0.1}
              - {id: tyo, ipv4: 127.0.0.15, latitude: 35.7, longitude: 139.7}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let server = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { server.stop() }
        for tcp in [false, true] {
            #expect(
                Self.addresses(try Self.ask(server, ecs: "203.0.113.0/24", tcp: tcp)) == ["127.0.0.15"], "tcp \(tcp)")
            #expect(Self.addresses(try Self.ask(server, ecs: "10.20.0.0/16", tcp: tcp)) == ["127.0.0.15"], "tcp \(tcp)")
        }
        // The database now puts 203.0.113.0/24 in London; the map is unchanged.
        try Self.compileDatabase("203.0.113.0/24", city: Self.london, to: dir + "/geo.mmdb")
        try Self.reload(server, expecting: 1)
        for tcp in [false, true] {
            #expect(
                Self.addresses(try Self.ask(server, ecs: "203.0.113.0/24", tcp: tcp)) == ["127.0.0.12"], "tcp \(tcp)")
            #expect(Self.addresses(try Self.ask(server, ecs: "10.20.0.0/16", tcp: tcp)) == ["127.0.0.15"], "tcp \(tcp)")
        }
        // The map now puts 10.20.0.0/16 in London.
        try Self.writeMap("10.20.0.0/16", city: Self.london, to: dir + "/map.yaml")
        try Self.reload(server, expecting: 2)
        for tcp in [false, true] {
            #expect(Self.addresses(try Self.ask(server, ecs: "10.20.0.0/16", tcp: tcp)) == ["127.0.0.12"], "tcp \(tcp)")
            #expect(
                Self.addresses(try Self.ask(server, ecs: "203.0.113.0/24", tcp: tcp)) == ["127.0.0.12"], "tcp \(tcp)")
        }
    }

    /// A reload applies a changed pool (a node's address, the TTL, max_answers) and changed health
    /// settings (checks of a dead port that take every node down, fail-open off: no answer), over
    /// UDP and TCP.
    @Test func aChangedPoolOrHealthSettingTakesEffectOverUDPAndTCP() throws {
        let dir = Harness.tempDirectory()
        let dead = Harness.freePort()
        func write(tyo: String, ttl: Int, maxAnswers: Int, health: String) throws {
            try """
            listen: ["127.0.0.1:0"]
            server: {workers: 1}
            zones: [{origin: formation.test, file: \(Self.zone)}]
            geoip: {databases: [\(Harness.packageRoot)/Fixtures/geo/formation-test.mmdb]}
            pools:
              - names: [entry.formation.test]
                ttl: \(ttl)
                policy: {max_answers: \(maxAnswers), fail_open: false}
                health: \(health)
                nodes:
                  - {id: lon, ipv4: 127.0.0.12, latitude: 51.5, longitude: -0.1}
                  - {id: tyo, ipv4: \(tyo), latitude: 35.7, longitude: 139.7}
            """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        }
        try write(tyo: "127.0.0.15", ttl: 30, maxAnswers: 1, health: "{check: none}")
        let server = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { server.stop() }
        for tcp in [false, true] {
            let m = try Self.ask(server, ecs: "203.0.113.0/24", tcp: tcp)
            #expect(Self.addresses(m) == ["127.0.0.15"] && m.answers.first?.ttl == 30, "tcp \(tcp)")
        }
        try write(tyo: "127.0.0.18", ttl: 45, maxAnswers: 2, health: "{check: none}")
        try Self.reload(server, expecting: 1)
        for tcp in [false, true] {
            let m = try Self.ask(server, ecs: "203.0.113.0/24", tcp: tcp)
            #expect(
                Self.addresses(m) == ["127.0.0.18", "127.0.0.12"] && m.answers.allSatisfy { $0.ttl == 45 }, "tcp \(tcp)"
            )
        }
        // Health: checks of a port nobody listens on, unknown nodes unhealthy, no fail-open.
        try write(
            tyo: "127.0.0.18", ttl: 45, maxAnswers: 2,
            health: "{check: tcp, port: \(dead), interval_ms: 200, timeout_ms: 100, fall: 1, unknown: unhealthy}")
        try Self.reload(server, expecting: 2)
        for tcp in [false, true] {
            let m = try Self.ask(server, ecs: "203.0.113.0/24", tcp: tcp)
            #expect(m.rcode == .noError && m.answers.isEmpty && m.authorities.map(\.type) == [.soa], "tcp \(tcp): \(m)")
        }
    }

    /// Health state survives a reload that leaves the pool's health settings alone: a node found
    /// down stays out of the answer at once (a fresh state would be `unknown`, answered as healthy
    /// until its next check), and no second "unknown -> unhealthy" transition is logged.
    @Test func healthStateIsCarriedOverAReload() throws {
        let dir = Harness.tempDirectory()
        // n1 (127.0.0.31) has a listener, n2 (127.0.0.32) has none.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var port = 0
        for _ in 0..<20 where port == 0 {
            let p = Harness.freePort()
            if (try? SockaddrText.with(host: "127.0.0.31", port: UInt16(p)) { bind(listener, $0, $1) }) == 0 {
                port = p
            }
        }
        try #require(port != 0 && listen(listener, 16) == 0)
        func write(ttl: Int) throws {
            try """
            listen: ["127.0.0.1:0"]
            server: {workers: 1}
            zones: [{origin: formation.test, file: \(Self.zone)}]
            pools:
              - name: entry
                names: [entry.formation.test]
                ttl: \(ttl)
                policy: {max_answers: 2}
                health: {check: tcp, port: \(port), interval_ms: 1500, timeout_ms: 300, rise: 1, fall: 1}
                nodes:
                  - {id: n1, ipv4: 127.0.0.31, latitude: 52.4, longitude: 4.9}
                  - {id: n2, ipv4: 127.0.0.32, latitude: 51.5, longitude: -0.1}
            """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        }
        try write(ttl: 30)
        let server = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { server.stop() }
        try waitFor {
            server.log.contains("entry/n2 unknown -> unhealthy") && server.log.contains("entry/n1 unknown -> healthy")
        }
        #expect(Self.addresses(try Self.ask(server)) == ["127.0.0.31"])
        try write(ttl: 40)
        try Self.reload(server, expecting: 1)
        for tcp in [false, true] {
            let m = try Self.ask(server, tcp: tcp)
            #expect(Self.addresses(m) == ["127.0.0.31"] && m.answers.first?.ttl == 40, "tcp \(tcp)")
        }
        // Past one check interval of the new checker: still one transition each.
        usleep(2_000_000)
        #expect(server.log.components(separatedBy: "entry/n2 unknown -> ").count == 2, "\(server.log)")
        #expect(server.log.components(separatedBy: "entry/n1 unknown -> ").count == 2, "\(server.log)")
        #expect(Self.addresses(try Self.ask(server)) == ["127.0.0.31"])
    }

    /// SIGTERM: "shutting down", exit status 0, within a generous deadline (the UDP workers notice
    /// a stop within their 250 ms receive timeout).
    @Test func sigtermExitsCleanlyAndPromptly() throws {
        let dir = Harness.tempDirectory()
        let server = try ServerProcess.formDNS(
            [
                "--zone", "formation.test=\(Self.zone)", "--listen", "127.0.0.1:0",
                "--listen", "[::1]:0",
            ], directory: dir)
        defer { server.stop() }
        #expect(try Self.ask(server, "www.formation.test.").answers.count == 2)
        // A TCP client that stays connected must not hold the exit up.
        let idle = try WireClient.TCPConnection(port: server.tcpPort)
        server.signal(SIGTERM)
        try waitFor(seconds: 5) { !server.process.isRunning }
        #expect(server.process.terminationReason == .exit, "killed by a signal: \(server.log)")
        #expect(server.process.terminationStatus == 0, "\(server.log)")
        #expect(server.log.contains("form-dns: shutting down"))
        _ = idle
    }

    /// The signal handlers are installed before the "listening on" line: a SIGHUP sent the instant
    /// the line appears reloads (without a handler it would kill the server, or be lost).
    @Test func aSIGHUPSentTheMomentTheServerListensIsNotLost() throws {
        let dir = Harness.tempDirectory()
        let zonePath = dir + "/r.zone"
        try "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nwww A 192.0.2.1\n".write(
            toFile: zonePath, atomically: true, encoding: .utf8)
        let server = try ServerProcess(
            executable: Harness.formDNSBinary,
            arguments: ["serve", "--zone", "r.test=\(zonePath)", "--listen", "127.0.0.1:0"],
            logPath: dir + "/form-dns.log")
        defer { server.stop() }
        let deadline = Date().addingTimeInterval(20)
        while !server.log.contains("listening on") {
            try #require(Date() < deadline && server.process.isRunning, "form-dns did not start: \(server.log)")
            usleep(200)
        }
        try "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nwww A 192.0.2.2\n".write(
            toFile: zonePath, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try waitFor { server.log.contains("reloaded zones") || !server.process.isRunning }
        #expect(server.process.isRunning, "the SIGHUP killed form-dns: \(server.log)")
        let word = try #require(server.log.split(separator: " ").first { $0.hasPrefix("udp://127.0.0.1:") })
        server.udpPort = try #require(Int(word.split(separator: ":").last!))
        #expect(Self.addresses(try Self.ask(server, "www.r.test.")) == ["192.0.2.2"])
    }
}
