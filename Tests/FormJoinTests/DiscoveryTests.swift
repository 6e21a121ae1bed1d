import DNSWire
import NetAddress
@testable import FormJoin
import Foundation
import Testing

@Suite struct DiscoveryTests {
    @Test func parsesDiscoveryTXT() throws {
        let txt = TXTRecord("v=formnet1 id=ams-1 ip=192.0.2.11 ip6=2001:DB8::11 port=51820 ", "pubkey=Zm9ybWF0aW9uLWZpeHR1cmUta2V5LWFtcy0xLTAwMDA= internal=10.42.0.11:51820 region=eu-west")
        let p = try #require(DiscoveryRecord.parse(txt))
        #expect(p.id == "ams-1" && p.ipv4 == "192.0.2.11" && p.ipv6 == "2001:db8::11" && p.port == 51820)
        #expect(p.publicKey == "Zm9ybWF0aW9uLWZpeHR1cmUta2V5LWFtcy0xLTAwMDA=" && p.internalEndpoint == "10.42.0.11:51820" && p.region == "eu-west")
        #expect(DiscoveryRecord.parse(TXTRecord("v=spf1 -all")) == nil)
        #expect(DiscoveryRecord.parse(TXTRecord("v=formnet1 ip=192.0.2.1")) == nil)  // no id
        #expect(DiscoveryRecord.parse(TXTRecord("v=formnet1 id=x pubkey=c2hvcnQ="))?.publicKey == nil)  // not 32 octets
    }

    @Test func badBootstrapFilesAreRejected() throws {
        let dir = NSTemporaryDirectory()
        let path = dir + "/bad-bootstrap-\(UUID().uuidString).json"
        try #"{"schema_version": 1, "peers": [{"id": "x", "port": 51820}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try BootstrapList.load(path: path) }
        try #"{"schema_version": 2, "peers": []}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try BootstrapList.load(path: path) }
        try "not json".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try BootstrapList.load(path: path) }
    }

    @Test func candidatesMergeFamiliesAndAreBounded() {
        let v4 = (1...300).map { a("e.test.", "10.0.\($0 / 256).\($0 % 256)") }
        let result = ResolveResult(name: "e.test.", type: .a, records: v4, chain: [], server: Endpoint(host: "127.0.0.1", port: 53), rttMilliseconds: 1, ttl: 60)
        #expect(JoinPlanner.candidates(from: [result], metadata: [], port: 51820, limit: 32).count == 32)
        let meta = [PeerInfo(id: "n1", ipv4: "10.0.0.1", ipv6: "fd00::1", port: 4000)]
        let six = ResolveResult(name: "e.test.", type: .aaaa, records: [DNSResourceRecord(name: "e.test.", ttl: 60, data: .aaaa(AAAARecord("fd00::1")!))],
                                chain: [], server: Endpoint(host: "127.0.0.1", port: 53), rttMilliseconds: 1, ttl: 60)
        let merged = JoinPlanner.candidates(from: [result, six], metadata: meta, port: 51820, limit: 32)
        let n1 = merged.first { $0.id == "n1" }
        #expect(n1?.ipv4 == "10.0.0.1" && n1?.ipv6 == "fd00::1" && n1?.port == 4000)
        #expect(merged.filter { $0.id == "n1" }.count == 1)
    }

    @Test func probeStatistics() {
        let s = ProbeStats(samples: [30, 10, 20], sent: 4, lastError: nil)
        #expect(s.median == 20 && s.minimum == 10 && s.lost == 1 && s.loss == 0.25)
        #expect(ProbeStats(samples: [10, 30], sent: 2, lastError: nil).median == 20)
        let order = Prober.happyEyeballsOrder([Endpoint(host: "192.0.2.1", port: 1), Endpoint(host: "192.0.2.2", port: 1),
                                               Endpoint(host: "2001:db8::1", port: 1)])
        #expect(order == [2, 0, 1])
    }

    @Test func peerSetJSONHasTheStableFields() throws {
        let set = PeerSet(name: "e.test.", resolver: "127.0.0.1:53", outcome: .dns, dns: .init(status: "ok"),
                          timing: .init(dnsMs: 1, probeMs: 2, totalMs: 3), generatedAt: Date(timeIntervalSince1970: 0),
                          expiresAt: Date(timeIntervalSince1970: 60),
                          peers: [.init(id: "n", source: .dns, endpoints: ["192.0.2.1:51820"], ipv4: "192.0.2.1", ipv6: nil, port: 51820,
                                        publicKey: "k", internalEndpoint: "10.0.0.1:1", region: "r",
                                        rttMs: .init(min: 1, median: 2, samples: 3, loss: 0), cacheAgeS: nil, error: nil)],
                          unreachable: [])
        let object = try JSONSerialization.jsonObject(with: Data(set.json().utf8)) as! [String: Any]
        for key in ["schema_version", "name", "resolver", "outcome", "dns", "timing", "generated_at", "expires_at", "peers", "unreachable"] {
            #expect(object[key] != nil, "\(key)")
        }
        #expect(object["schema_version"] as? Int == 1)
        #expect(object["generated_at"] as? String == "1970-01-01T00:00:00Z")
        let peer = (object["peers"] as! [[String: Any]])[0]
        for key in ["id", "source", "endpoints", "port", "public_key", "internal_endpoint", "region", "rtt_ms"] { #expect(peer[key] != nil, "\(key)") }
        #expect(!set.json().lowercased().contains("private"))
    }
}
