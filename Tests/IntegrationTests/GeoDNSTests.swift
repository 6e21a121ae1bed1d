import DNSWire
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// GeoDNS through the real binary: dig with ECS, explain, geo compile, and reload with a corrupt database.
@Suite(.serialized) struct GeoDNSTests {
    let demoConfig = Harness.packageRoot + "/Fixtures/demo/form-dns.yaml"

    @Test func digGetsTheNearestEntryNodesAndTheECSScope() throws {
        let server = try ServerProcess.formDNS(["--config", demoConfig, "--listen", "127.0.0.1:0"], directory: Harness.tempDirectory())
        defer { server.stop() }
        let port = String(server.udpPort)
        // From 127.0.0.1: the overlay map puts loopback in Amsterdam.
        let local = try Harness.run("dig", ["@127.0.0.1", "-p", port, "entry.formation.test", "+short"])
        #expect(local.output.split(separator: "\n").first == "127.0.0.11")
        // ECS from Tokyo's documentation range (fixture database): tyo-1 first, scope /24.
        let tokyo = try Harness.run("dig", ["@127.0.0.1", "-p", port, "entry.formation.test", "+subnet=203.0.113.0/24"])
        #expect(tokyo.output.contains("CLIENT-SUBNET: 203.0.113.0/24/24"))
        let firstA = tokyo.output.split(separator: "\n").first { $0.hasPrefix("entry.formation.test.") }
        #expect(firstA?.hasSuffix("127.0.0.15") == true)
        // ECS from the overlay (10.20/16 is Tokyo too), over TCP with kdig.
        let overlay = try Harness.run("kdig", ["@127.0.0.1", "-p", port, "+tcp", "+subnet=10.20.0.0/16", "entry.formation.test", "A"])
        #expect(overlay.output.contains("127.0.0.15"))
        // Wire check: scope and the number of answers (max_answers 3).
        let ecs = ClientSubnet(family: .ipv4, fullAddress: [198, 51, 100, 0], sourcePrefixLength: 24)!
        let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a, edns: EDNS(options: [.clientSubnet(ecs)])), port: server.udpPort)))
        #expect(m.answers.count == 3 && m.answers.first?.data.description == "127.0.0.14")  // New York
        #expect(m.edns?.clientSubnet?.scopePrefixLength == 24)
    }

    @Test func explainShowsLocationSourceAndEveryCandidate() throws {
        let r = try Harness.run(Harness.formDNSBinary, ["explain", "--config", demoConfig, "entry.formation.test", "127.0.0.1", "--ecs", "198.51.100.0/24"])
        #expect(r.status == 0)
        #expect(r.output.contains("New York US region us-east [ECS 198.51.100.0 -> GeoIP database]"))
        #expect(r.output.contains("decided by network 198.51.100.0/24; ECS scope 24"))
        for id in ["ams-1", "lon-1", "fra-1", "nyc-1", "tyo-1", "syd-1", "gru-1"] { #expect(r.output.contains(id)) }
        #expect(r.output.contains("dropped: below max_answers"))
        let unknown = try Harness.run(Harness.formDNSBinary, ["explain", "--config", demoConfig, "entry.formation.test", "192.168.7.7"])
        #expect(unknown.output.contains("default region eu-west"))
        let notPool = try Harness.run(Harness.formDNSBinary, ["explain", "--config", demoConfig, "www.formation.test", "127.0.0.1"])
        #expect(notPool.status == 1 && notPool.output.contains("is not a pool name"))
    }

    @Test func geoCompileWritesWhatMmdblookupReads() throws {
        let dir = Harness.tempDirectory()
        try "network,latitude,longitude,country,continent,region,city\n100.64.0.0/10,52.52,13.40,DE,EU,eu-central,Berlin\n"
            .write(toFile: dir + "/map.csv", atomically: true, encoding: .utf8)
        let compile = try Harness.run(Harness.formDNSBinary, ["geo", "compile", dir + "/map.csv", "-o", dir + "/map.mmdb"])
        #expect(compile.status == 0)
        let look = try Harness.run("mmdblookup", ["--file", dir + "/map.mmdb", "--ip", "100.100.1.1", "city", "names", "en"])
        #expect(look.output.contains("\"Berlin\""))
        let bad = try Harness.run(Harness.formDNSBinary, ["geo", "compile", dir + "/missing.yaml", "-o", dir + "/x.mmdb"])
        #expect(bad.status == 1 && bad.output.contains("missing.yaml:0: cannot read"))
    }

    @Test func corruptDatabaseIsRefusedAtStartAndOnReloadTheOldOneKeepsServing() throws {
        let dir = Harness.tempDirectory()
        let db = dir + "/geo.mmdb"
        try FileManager.default.copyItem(atPath: Harness.packageRoot + "/Fixtures/geo/formation-test.mmdb", toPath: db)
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        geoip: {databases: [geo.mmdb]}
        pools:
          - names: [entry.formation.test]
            policy: {max_answers: 1}
            nodes:
              - {id: lon, ipv4: 127.0.0.12, latitude: 51.5, longitude: -0.1}
              - {id: tyo, ipv4: 127.0.0.15, latitude: 35.7, longitude: 139.7}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let server = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { server.stop() }
        func tokyoAnswer() throws -> String? {
            let ecs = ClientSubnet(family: .ipv4, fullAddress: [203, 0, 113, 0], sourcePrefixLength: 24)!
            let m = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a, edns: EDNS(options: [.clientSubnet(ecs)])), port: server.udpPort)))
            return m.answers.first?.data.description
        }
        #expect(try tokyoAnswer() == "127.0.0.15")
        let corrupt = try Harness.geoTestData("bad-data/libmaxminddb/libmaxminddb-corrupt-search-tree.mmdb")
        try FileManager.default.removeItem(atPath: db)
        try FileManager.default.copyItem(atPath: corrupt, toPath: db)
        server.signal(SIGHUP)
        try waitFor { server.log.contains("reload failed") }
        #expect(server.log.contains("GeoIP database refused"))
        #expect(try tokyoAnswer() == "127.0.0.15")
        // Starting with the corrupt database is refused with a clear message.
        let start = try Harness.run(Harness.formDNSBinary, ["serve", "--config", dir + "/c.yaml"])
        #expect(start.status == 1 && start.output.contains("geo.mmdb: GeoIP database refused"))
    }
}
