import Foundation
import GeoIP
import TestFixtures
import NetAddress
import Testing

@Suite struct GeoDatabaseTests {
    @Test(arguments: [
        ("81.2.69.142", "GB", "EU", 51.5142, -0.0931),
        ("89.160.20.112", "SE", "EU", 58.4167, 15.6167),
        ("216.160.83.56", "US", "NA", 47.2513, -122.3149),
        ("2001:218::1", "JP", "AS", 35.68536, 139.75309),
    ])
    func locatesMaxMindTestNetworks(ip: String, country: String, continent: String, lat: Double, lon: Double) throws {
        let db = try GeoDatabase(path: GeoTestData.testData("GeoIP2-City-Test.mmdb"))
        let (location, prefix) = db.lookup(try #require(IPAddress(ip)))
        let l = try #require(location)
        #expect(l.country == country && l.region == continent)
        #expect(abs(l.latitude - lat) < 0.01 && abs(l.longitude - lon) < 0.01)
        #expect(prefix > 0)
    }

    @Test func reportsThePrefixOfTheMatchedNetworkInTheAddressFamily() throws {
        let db = try GeoDatabase(path: GeoTestData.testData("GeoIP2-City-Test.mmdb"))
        // 81.2.69.142 sits in 81.2.69.142/31 in the source JSON; IPv4 prefixes count from the IPv4 root.
        let (_, v4) = db.lookup(IPAddress("81.2.69.142")!)
        #expect(v4 == 31)
        let (_, v6) = db.lookup(IPAddress("2001:218::1")!)
        #expect(v6 == 32)
        let (none, _) = db.lookup(IPAddress("127.0.0.1")!)
        #expect(none == nil)
    }

    @Test func countryDatabaseHasNoCoordinatesButLoads() throws {
        let db = try GeoDatabase(path: GeoTestData.testData("GeoIP2-Country-Test.mmdb"))
        #expect(db.databaseType == "GeoIP2-Country")
        let l = try #require(db.lookup(IPAddress("81.2.69.160")!).location)
        #expect(l.country == "GB" && l.region == "EU" && !l.hasCoordinates)
    }

    @Test func refusesEveryCorruptDatabaseWithAClearError() throws {
        let files = GeoTestData.badData
        #expect(files.count >= 20)
        for f in files {
            #expect(throws: GeoDatabaseError.self, "\(f)") { try GeoDatabase(path: f) }
            do { _ = try GeoDatabase(path: f) } catch {
                #expect(error.description.hasPrefix("\(f): GeoIP database refused: "))
            }
        }
    }

    @Test(arguments: ["MaxMind-DB-test-broken-pointers-24.mmdb", "MaxMind-DB-test-broken-search-tree-24.mmdb",
                      "GeoIP2-City-Test-Invalid-Node-Count.mmdb"])
    func refusesBrokenButOpenableDatabases(name: String) {
        #expect(throws: GeoDatabaseError.self) { try GeoDatabase(path: GeoTestData.testData(name)) }
    }

    @Test func refusesMissingFile() {
        #expect(throws: GeoDatabaseError.self) { try GeoDatabase(path: "/nonexistent.mmdb") }
    }
}

@Suite struct GeoMathTests {
    @Test func greatCircleDistances() {
        let london = GeoLocation(latitude: 51.5074, longitude: -0.1278)
        let paris = GeoLocation(latitude: 48.8566, longitude: 2.3522)
        let sydney = GeoLocation(latitude: -33.8688, longitude: 151.2093)
        #expect(abs(london.distance(to: paris) - 343.5) < 2)
        #expect(abs(london.distance(to: sydney) - 16994) < 30)
        #expect(london.distance(to: london) == 0)
    }

    @Test func networkMapLongestPrefixAndScope() throws {
        let a = GeoLocation(latitude: 1, longitude: 1, region: "a")
        let b = GeoLocation(latitude: 2, longitude: 2, region: "b")
        let map = NetworkMap(entries: [
            .init(network: IPNetwork("10.1.0.0/16")!, location: b),
            .init(network: IPNetwork("10.0.0.0/8")!, location: a),
            .init(network: IPNetwork("fd00::/8")!, location: b),
        ])
        #expect(map.lookup(IPAddress("10.1.2.3")!)?.location == b)
        #expect(map.lookup(IPAddress("10.1.2.3")!)?.prefixLength == 16)
        let other = try #require(map.lookup(IPAddress("10.200.0.1")!))
        #expect(other.location == a)
        #expect(other.prefixLength == 9)  // 10.128.0.0/9: the widest block of 10/8 not touching 10.1/16
        #expect(map.lookup(IPAddress("11.0.0.1")!) == nil)
        #expect(map.lookup(IPAddress("fd12::1")!)?.prefixLength == 8)
    }
}
