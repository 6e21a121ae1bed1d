import DNSWire
import Foundation
import Testing

/// A pool's nodes carry their discovery data (wireguard_key, join_port, internal_endpoint): the
/// `_formnet.<name>` TXT records are generated from it, and form-join reads them into the peer set
/// with no TXT kept by hand in the zone.
@Suite(.serialized) struct DiscoveryPublishTests {
    static let keys = ["Zm9ybWF0aW9uLWdlbmVyYXRlZC1rZXktb25lLTAwMDA=", "Zm9ybWF0aW9uLWdlbmVyYXRlZC1rZXktdHdvLTAwMDA="]

    @Test func generatedRecordsReachTheJoinClient() throws {
        let dir = Harness.tempDirectory()
        let nodes = try JoinTests.Nodes([("127.0.0.61", 5), ("127.0.0.62", 5)], directory: dir, port: 51830)
        defer { nodes.stop() }
        try """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        pools:
          - name: gen
            names: [gen.formation.test]
            ttl: 45
            policy: {max_answers: 2}
            nodes:
              - {id: gen-1, ipv4: 127.0.0.61, latitude: 1, longitude: 1, region: eu-west,
                 wireguard_key: "\(Self.keys[0])", join_port: 51830, internal_endpoint: "10.42.0.61:51820"}
              - {id: gen-2, ipv4: 127.0.0.62, latitude: 1, longitude: 1,
                 wireguard_key: "\(Self.keys[1])", join_port: 51830}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        let m = try parse(try #require(try WireClient.udp(wire("_formnet.gen.formation.test.", .txt), port: dns.udpPort)))
        let texts = m.answers.map(\.data.description).sorted()
        #expect(texts == [
            #""v=formnet1 id=gen-1 ip=127.0.0.61 port=51830 pubkey=\#(Self.keys[0]) internal=10.42.0.61:51820 region=eu-west""#,
            #""v=formnet1 id=gen-2 ip=127.0.0.62 port=51830 pubkey=\#(Self.keys[1])""#,
        ], "\(texts)")
        #expect(m.answers.allSatisfy { $0.ttl == 45 } && m.header.has(.authoritative))
        let run = try JoinTests().join(
            ["gen.formation.test", "--resolver", "127.0.0.1:\(dns.udpPort)"], directory: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let byID = Dictionary(uniqueKeysWithValues: run.peers.compactMap { p in (p["id"] as? String).map { ($0, p) } })
        #expect(byID["gen-1"]?["public_key"] as? String == Self.keys[0], "\(run.output)")
        #expect(byID["gen-2"]?["public_key"] as? String == Self.keys[1])
        #expect(byID["gen-1"]?["internal_endpoint"] as? String == "10.42.0.61:51820")
    }

    /// Where the zone file already has `_formnet` records for a pool name, generating them too is a
    /// configuration error (which one would win is not a question an operator should have to ask).
    @Test func aZoneFileRecordWhereOneIsGeneratedIsRefused() throws {
        let dir = Harness.tempDirectory()
        try """
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        pools:
          - name: entry
            names: [entry.formation.test]
            nodes: [{id: a, ipv4: 127.0.0.61, latitude: 1, longitude: 1, wireguard_key: "\(Self.keys[0])"}]
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let check = try Harness.run(Harness.formDNSBinary, ["check", "--config", dir + "/c.yaml"])
        #expect(check.status == 1)
        #expect(check.output.contains("c.yaml:3: pools[0].nodes: _formnet.entry.formation.test. is generated"), "\(check.output)")
    }
}
