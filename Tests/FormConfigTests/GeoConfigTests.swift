import DNSWire
import FormAuthority
import FormConfig
import Foundation
import GeoIP
import TestFixtures
import NetAddress
import Testing

@Suite struct GeoConfigTests {
    @Test func demoConfigLoadsPoolsDatabaseAndNetworkMap() throws {
        let c = try ServerConfig.load(file: FixturePaths.demoConfig)
        let builder = try AuthorityLoader.build(c)
        let geo = try #require(builder.geo)
        #expect(geo.pools.count == 1 && geo.pools[0].nodes.count == 7)
        #expect(geo.locator.networkMap.count == 6 && geo.locator.databases.count == 1)
        // The overlay map wins: 10.20.0.0/16 is Tokyo, the rest of 10/8 Frankfurt.
        #expect(geo.locator.locate(IPAddress("10.20.1.1")!).location?.city == "Tokyo")
        #expect(geo.locator.locate(IPAddress("10.1.1.1")!).location?.city == "Frankfurt")
        #expect(geo.locator.locate(IPAddress("203.0.113.9")!).location?.city == "Tokyo")
    }

    @Test func poolErrorsCarryFileLineAndField() {
        let yaml = """
        zones:
          - origin: formation.test
            file: \(FixturePaths.demoZone)
        pools:
          - name: p
            names: [entry.formation.test]
            policy:
              strategy: cubic
              max_answers: 0
            nodes:
              - {id: a, latitude: 100, longitude: 0}
              - {id: b, ipv4: 127.0.0.1, latitude: 1, longitude: 2, country: GBR}
        """
        do {
            _ = try ServerConfig.parse(yaml: yaml, file: "g.yaml")
            Issue.record("accepted")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains("g.yaml:8: pools[0].policy.strategy: 'cubic' is not one of linear, quadratic, logarithmic, stepped"))
            #expect(lines.contains("g.yaml:9: pools[0].policy.max_answers: '0' must be a whole number in 1...64"))
            #expect(lines.contains("g.yaml:11: pools[0].nodes[0].latitude: '100' must be a number in -90.0...90.0"))
            #expect(lines.contains("g.yaml:11: pools[0].nodes[0]: needs ipv4 and/or ipv6"))
            #expect(!lines.contains { $0.contains("latitude: is required") }, "a bad value is not also reported missing")
            #expect(lines.contains("g.yaml:12: pools[0].nodes[1].country: 'GBR' must be an ISO 3166-1 alpha-2 code like GB"))
        }
    }

    @Test func poolNamesMustBeServedAndFreeOfStaticAddresses() throws {
        for (name, problem) in [("entry.elsewhere.test", "is not inside any served zone"),
                                ("www.formation.test", "also has static A/AAAA/CNAME records"),
                                ("x.sub.formation.test", "is below a zone cut")] {
            let yaml = """
            zones: [{origin: formation.test, file: \(FixturePaths.demoZone)}]
            pools:
              - names: [\(name)]
                nodes: [{id: a, ipv4: 127.0.0.1, latitude: 1, longitude: 2}]
            """
            let config = try ServerConfig.parse(yaml: yaml, file: "p.yaml")
            do {
                _ = try AuthorityLoader.build(config)
                Issue.record("accepted \(name)")
            } catch {
                #expect(error.description.contains(problem), "\(error)")
                #expect(error.description.hasPrefix("p.yaml:3: pools[0].names: "))
            }
        }
    }

    @Test func corruptDatabaseIsRefusedThroughTheConfig() throws {
        let bad = GeoTestData.root + "/bad-data/maxminddb-golang/cyclic-data-structure.mmdb"
        let yaml = """
        zones: [{origin: formation.test, file: \(FixturePaths.demoZone)}]
        geoip:
          databases: [\(bad)]
        pools:
          - names: [entry.formation.test]
            nodes: [{id: a, ipv4: 127.0.0.1, latitude: 1, longitude: 2}]
        """
        let config = try ServerConfig.parse(yaml: yaml, file: "d.yaml")
        #expect(throws: ConfigErrors.self) { try AuthorityLoader.build(config) }
        do { _ = try AuthorityLoader.build(config) } catch {
            #expect(error.description.contains("d.yaml:3: geoip.databases[0]: \(bad): GeoIP database refused:"))
        }
    }

    @Test func fixtureDatabaseIsReproducibleFromItsSource() throws {
        let source = FixturePaths.packageRoot + "/Fixtures/geo/formation-test.yaml"
        let compiled = try NetworkMapFile.load(path: source).mmdb(buildEpoch: 0)
        let committed = try Data(contentsOf: URL(fileURLWithPath: FixturePaths.packageRoot + "/Fixtures/geo/formation-test.mmdb"))
        #expect(compiled == Array(committed), "regenerate with: form-dns geo compile Fixtures/geo/formation-test.yaml -o Fixtures/geo/formation-test.mmdb")
    }

    @Test func networkMapCSV() throws {
        let csv = "network,latitude,longitude,country,continent,region,city\n10.0.0.0/8,50.1,8.7,de,EU,eu-central,Frankfurt\n# comment\n\n100.64.0.0/10,40.7,-74,US,NA,,\n"
        let file = try NetworkMapFile.parseCSV(csv, file: "m.csv")
        #expect(file.rows.count == 2)
        #expect(file.rows[0].location.country == "DE" && file.rows[0].location.region == "eu-central")
        #expect(file.rows[1].location.region == "NA")  // no region: the continent stands in
        #expect(throws: ConfigErrors.self) { try NetworkMapFile.parseCSV("network,latitude,longitude,country,continent,region,city\n10.0.0.1/8,1,2,,,,\n", file: "m.csv") }
    }
}
