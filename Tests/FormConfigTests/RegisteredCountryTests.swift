import DNSWire
import FormAuthority
import FormConfig
import Foundation
import GeoIP
import NetAddress
import TestFixtures
import Testing

/// A database record with only `registered_country` (no coordinates, no continent) must not place a
/// client at the centroid of every node: with no node in that country the pool's default applies.
/// Such records are common (over 1,600 IPv4 networks in a 2018 GeoLite2-City).
@Suite struct RegisteredCountryTests {
    static let path: String = {
        var w = MMDBWriter(databaseType: "GeoLite2-City", description: "registered_country only", buildEpoch: 1)
        let record = MMDBValue.map([MMDBPair("registered_country", .map([MMDBPair("iso_code", .string("US"))]))])
        let german = MMDBValue.map([MMDBPair("registered_country", .map([MMDBPair("iso_code", .string("DE"))]))])
        w.insert(IPNetwork("23.129.65.0/24")!, record)
        w.insert(IPNetwork("62.56.206.0/24")!, german)
        let path = NSTemporaryDirectory() + "registered-\(UUID().uuidString).mmdb"
        try! Data(w.serialize()).write(to: URL(fileURLWithPath: path))
        return path
    }()

    /// Nodes without a region (the case where a nil continent used to match every node).
    static let nodes = [
        PoolNode(id: "ams", ipv4: [127, 0, 0, 1], location: GeoLocation(latitude: 52.37, longitude: 4.9, country: "NL")),
        PoolNode(id: "syd", ipv4: [127, 0, 0, 2], location: GeoLocation(latitude: -33.87, longitude: 151.2, country: "AU")),
        PoolNode(id: "fra", ipv4: [127, 0, 0, 3], location: GeoLocation(latitude: 50.1, longitude: 8.68, country: "DE")),
    ]
    static let tokyo = GeoLocation(latitude: 35.68, longitude: 139.69)

    func place(_ address: String, registeredCountry: Bool) throws -> GeoContext.ClientPlacement {
        let db = try GeoDatabase(path: Self.path, useRegisteredCountry: registeredCountry)
        let pool = GeoPool(name: "entry", names: ["entry.t."], nodes: Self.nodes,
                           policy: SelectionPolicy(maxAnswers: 1, defaultLocation: .coordinate(Self.tokyo)))
        let context = GeoContext(pools: [pool], locator: ClientLocator(databases: [db]))
        return context.place(pool: 0, source: IPAddress(address)!, clientSubnet: nil)
    }

    @Test func aCountryWithoutNodesGetsTheDefaultNotTheCentroid() throws {
        let placed = try place("23.129.65.7", registeredCountry: true)
        #expect(placed.location?.latitude == Self.tokyo.latitude && placed.location?.longitude == Self.tokyo.longitude,
                "\(placed.source)")
        #expect(placed.source.contains("default location"))
    }

    @Test func aCountryWithNodesUsesThem() throws {
        let placed = try place("62.56.206.9", registeredCountry: true)
        #expect(placed.location?.country == "DE" && placed.location?.latitude == 50.1, "\(placed.source)")
    }

    @Test func registeredCountryCanBeTurnedOff() throws {
        let placed = try place("62.56.206.9", registeredCountry: false)
        #expect(placed.location?.latitude == Self.tokyo.latitude, "\(placed.source)")
        #expect(try GeoDatabase(path: Self.path, useRegisteredCountry: false).lookup(IPAddress("62.56.206.9")!).location == nil)
    }

    @Test func theConfigSwitchReachesTheDatabase() throws {
        let dir = NSTemporaryDirectory() + "regc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (setting, expected) in [("", true), ("registered_country: false", false)] {
            let zones = "zones: [{origin: formation.test, file: \(FixturePaths.demoZone)}]\n"
            try (zones + "geoip:\n  databases: [\(Self.path)]\n  \(setting)\n")
                .write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
            let config = try ServerConfig.load(file: dir + "/c.yaml")
            #expect(config.geo.useRegisteredCountry == expected)
        }
    }
}
