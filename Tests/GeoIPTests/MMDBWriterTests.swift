import Foundation
import NetAddress
@testable import GeoIP
import TestFixtures
import Testing

@Suite struct MMDBWriterTests {
    func write(_ entries: [(String, GeoLocation)], epoch: UInt64 = 1_767_225_600) throws -> String {
        var w = MMDBWriter(databaseType: "Formation-Test", description: "test", buildEpoch: epoch)
        for (cidr, loc) in entries { w.insert(IPNetwork(cidr)!, MMDBValue(location: loc, continent: "EU")) }
        let path = NSTemporaryDirectory() + "mmdb-\(UUID().uuidString).mmdb"
        try Data(w.serialize()).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func libmaxminddbReadsWhatWeWrite() throws {
        let london = GeoLocation(latitude: 51.5, longitude: -0.12, country: "GB", region: "eu-west", city: "London")
        let tokyo = GeoLocation(latitude: 35.68, longitude: 139.69, country: "JP", region: "ap-northeast")
        let path = try write([("10.0.0.0/8", london), ("10.20.0.0/16", tokyo), ("fd00::/8", tokyo), ("2001:db8::/32", london)])
        let db = try GeoDatabase(path: path)
        #expect(db.databaseType == "Formation-Test" && db.ipVersion == 6)
        #expect(db.lookup(IPAddress("10.1.2.3")!).location == london)
        #expect(db.lookup(IPAddress("10.20.9.9")!).location == tokyo)
        #expect(db.lookup(IPAddress("10.20.9.9")!).prefixLength == 16)
        #expect(db.lookup(IPAddress("fd99::1")!).location == tokyo)
        #expect(db.lookup(IPAddress("2001:db8:1::1")!).location == london)
        #expect(db.lookup(IPAddress("192.0.2.1")!).location == nil)
    }

    @Test func writesIPv4OnlyTrees() throws {
        var w = MMDBWriter(databaseType: "V4", description: "v4", buildEpoch: 1, ipVersion: 4)
        let berlin = GeoLocation(latitude: 52.52, longitude: 13.4, country: "DE")
        let addedV4 = w.insert(IPNetwork("10.0.0.0/8")!, MMDBValue(location: berlin))
        let addedV6 = w.insert(IPNetwork("fd00::/8")!, MMDBValue(location: berlin))
        #expect(addedV4 && !addedV6)
        let path = NSTemporaryDirectory() + "mmdb4-\(UUID().uuidString).mmdb"
        try Data(w.serialize()).write(to: URL(fileURLWithPath: path))
        let db = try GeoDatabase(path: path)
        #expect(db.ipVersion == 4)
        #expect(db.lookup(IPAddress("10.9.9.9")!).location == berlin)
        #expect(db.lookup(IPAddress("10.9.9.9")!).prefixLength == 8)
    }

    @Test func mmdblookupReadsWhatWeWrite() throws {
        let path = try write([("100.64.0.0/10", GeoLocation(latitude: 52.52, longitude: 13.405, country: "DE", region: "eu-central", city: "Berlin"))])
        let arguments = ["--file", path, "--ip", "100.64.1.1", "country", "iso_code"]
        let (status, text) = try ChildProcess.run("/usr/bin/mmdblookup", arguments)
        #expect(status == 0)
        #expect(text.contains("\"DE\""))
    }

    @Test func outputIsDeterministic() throws {
        let loc = GeoLocation(latitude: 1, longitude: 2, country: "FR")
        var a = MMDBWriter(databaseType: "T", description: "d", buildEpoch: 5)
        var b = MMDBWriter(databaseType: "T", description: "d", buildEpoch: 5)
        for w in [0, 1] {
            for cidr in ["10.0.0.0/8", "192.168.0.0/16", "fd00::/8"] {
                if w == 0 { a.insert(IPNetwork(cidr)!, MMDBValue(location: loc)) } else { b.insert(IPNetwork(cidr)!, MMDBValue(location: loc)) }
            }
        }
        #expect(a.serialize() == b.serialize())
    }

    @Test func encodesSizesAcrossControlByteForms() {
        // Strings of 28, 29, 284, 285 and 70000 octets exercise every size encoding.
        for n in [0, 28, 29, 284, 285, 65820, 65821, 70000] {
            var out: [UInt8] = []
            MMDBWriter.encode(.string(String(repeating: "x", count: n)), into: &out)
            let header = out.count - n
            #expect(header == (n < 29 ? 1 : n < 285 ? 2 : n < 65821 ? 3 : 4), "size \(n)")
        }
    }
}
