import DNSWire
import NetAddress
@testable import FormJoin
import Foundation
import Testing

/// Issue 11 (9, 10): a bad bootstrap file is rejected with the file, the peer and the field named
/// in words, never a bare DecodingError, and an address that is not one is never probed as 0.0.0.0.
@Suite struct BootstrapFileTests {
    static let good = #"{"id": "p", "ipv4": "192.0.2.1", "port": 51820}"#

    static func list(_ peer: String) -> String { #"{"schema_version": 1, "peers": ["# + peer + "]}" }

    @Test(arguments: [
        (list(#"{"id": "p", "ipv4": "not-an-ip", "port": 51820}"#),
         #"peers[0] "p": "ipv4": "not-an-ip" is not an IPv4 address"#),
        (list(#"{"id": "p", "ipv6": "127.0.0.1", "port": 51820}"#),
         #"peers[0] "p": "ipv6": "127.0.0.1" is not an IPv6 address"#),
        (list(#"{"id": "p", "ipv4": "::1", "port": 51820}"#),
         #""ipv4": "::1" is not an IPv4 address (an IPv6 address belongs in "ipv6")"#),
        (list(#"{"id": "p", "ipv6": "fe80::1%eth0", "port": 51820}"#),
         #""ipv6": "fe80::1%eth0" is not an IPv6 address"#),
        (list(#"{"id": "p", "ipv4": "192.0.2.1", "port": 70000}"#),
         #"peers[0] "p": "port": 70000 is not a port (expected 1...65535)"#),
        (list(#"{"id": "p", "ipv4": "192.0.2.1", "port": 0}"#), #""port": 0 is not a port"#),
        (list(#"{"id": "p", "ipv4": "192.0.2.1", "port": "51820"}"#),
         #""port" is the string "51820", expected a number"#),
        (list(#"{"id": "p", "ipv4": "192.0.2.1", "port": 1.5}"#), #""port" is the number 1.5, expected a number"#),
        (list(#"{"id": "p", "ipv4": "192.0.2.1"}"#), #"peers[0] "p": "port" is missing"#),
        (list(#"{"id": "p", "port": 51820}"#), #"peers[0] "p": needs "ipv4" or "ipv6""#),
        (list(#"{"id": "p", "ipv4": null, "ipv6": null, "port": 51820}"#), #"needs "ipv4" or "ipv6""#),
        (list(#"{"ipv4": "192.0.2.1", "port": 51820}"#), #"peers[0]: "id" is missing"#),
        (list(#"{"id": 7, "ipv4": "192.0.2.1", "port": 51820}"#),
         #"peers[0]: "id" is the number 7, expected a non-empty string"#),
        (list(#"{"id": "p", "ipv4": 7, "port": 51820}"#), #""ipv4" is the number 7, expected a string or null"#),
        (list(#"{"id": "p", "ipv4": "192.0.2.1", "port": 51820, "public_key": "c2hvcnQ="}"#),
         #""public_key": "c2hvcnQ=" is not a WireGuard public key"#),
        (list(#"{"id": "p", "ipv4": "192.0.2.1", "port": 51820, "internal_endpoint": "10.42.0.1"}"#),
         #""internal_endpoint": "10.42.0.1" is not ADDRESS:PORT"#),
        (list(good + ", " + good), #"peers[1] "p": the id is already used by peers[0]"#),
        (list("[]"), "peers[0] is a list, expected an object"),
        (#"{"schema_version": 1, "peers": "x"}"#, #""peers" is the string "x", expected a list of peers"#),
        (#"{"schema_version": 1, "peers": {}}"#, #""peers" is an object, expected a list of peers"#),
        (#"{"schema_version": 1}"#, #""peers" is missing"#),
        (#"{"peers": []}"#, #""schema_version" is missing"#),
        (#"{"schema_version": 2, "peers": []}"#, "unsupported schema_version 2"),
        (#"{"schema_version": true, "peers": []}"#, #""schema_version" is true, expected the number 1"#),
        ("[]", "the top level is a list; expected {\"schema_version\": 1"),
        ("42", "the top level is the number 42"),
        ("not json", "not valid JSON (Invalid value around character 1.)"),
        (#"{"schema_version": 1, "peers": [}"#, "not valid JSON"),
        ("", "the file is empty"),
        ("\u{0}\u{1}\u{2}", "not valid JSON"),
    ])
    func badFileIsRejectedInWords(text: String, expected: String) throws {
        let dir = temporaryDirectory("bootstrap")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bootstrap.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: JoinError.self) { try BootstrapList.load(path: path) }
        let message = error?.description ?? ""
        #expect(message.hasPrefix(path + ": "), "\(message)")
        #expect(message.contains(expected), "\(message)")
        #expect(!message.contains("DecodingError"))
    }

    @Test func binaryFileAndMissingFileAreNamed() throws {
        let dir = temporaryDirectory("bootstrap")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data([0xFF, 0xFE, 0x00, 0x81]).write(to: URL(fileURLWithPath: dir + "/binary.json"))
        let cases = [("binary.json", "not UTF-8 text"), ("missing.json", "cannot read: No such file or directory")]
        for (name, expected) in cases {
            let error = #expect(throws: JoinError.self) { try BootstrapList.load(path: dir + "/" + name) }
            let message = error?.description ?? ""
            #expect(message.hasPrefix(dir + "/" + name + ": ") && message.contains(expected), "\(message)")
        }
        let error = #expect(throws: JoinError.self) { try BootstrapList.load(path: dir) }
        #expect(error?.description == dir + ": not a regular file")
    }

    @Test func sourceLabelNamesWhereThePathCameFrom() throws {
        let error = #expect(throws: JoinError.self) {
            try BootstrapList.parse(Data("[]".utf8), source: "/x.json (from $FORM_JOIN_BOOTSTRAP)")
        }
        #expect(error?.description.hasPrefix("/x.json (from $FORM_JOIN_BOOTSTRAP): the top level is a list") == true)
    }

    @Test func goodFileLoadsWithNullsAndUnknownFields() throws {
        let text = #"{"schema_version": 1, "future": true, "peers": [{"id": "a", "ipv4": "192.0.2.1", "ipv6": null, "#
            + #""port": 1, "public_key": null, "internal_endpoint": "[fd00::1]:51820", "region": null, "later": 1}, "#
            + #"{"id": "b", "ipv6": "2001:db8::1", "port": 65535}]}"#
        let list = try BootstrapList.parse(Data(text.utf8), source: "t")
        #expect(list.peers == [PeerInfo(id: "a", ipv4: "192.0.2.1", port: 1, internalEndpoint: "[fd00::1]:51820"),
                               PeerInfo(id: "b", ipv6: "2001:db8::1", port: 65535)])
    }

    @Test func theLoopbackFixtureLoadsAndTheBuiltInListIsEmpty() throws {
        let fixture = try BootstrapList.load(path: packageRoot + "/Fixtures/bootstrap.json")
        #expect(fixture.peers.map(\.id) == ["boot-ams-1", "boot-fra-1", "boot-nyc-1"])
        // Issue 19.12: the loopback test peers are no longer compiled in.
        #expect(BootstrapList.builtIn.peers.isEmpty)
        #expect(JoinOptions(name: "e.test.", resolver: ResolverConfiguration(servers: [])).bootstrap.isEmpty)
    }

    /// Issue 11.9: a peer whose address is not one was probed as 0.0.0.0 (this machine) and
    /// reported reachable. Whatever slips past the file check, the socket layer refuses it.
    @Test func anAddressThatIsNotOneIsNeverProbedAsThisMachine() async throws {
        let listener = LoopbackListener()   // connect(0.0.0.0:port) would reach it
        var settings = ProbeSettings()
        settings.probesPerCandidate = 1
        settings.deadline = 60  // never the limit here, however busy the machine
        let stats = await Prober.probe([Endpoint(host: "not-an-ip", port: listener.port),
                                        Endpoint(host: "127.0.0.1", port: listener.port)], settings: settings)
        #expect(!stats[0].reachable)
        #expect(stats[0].lastError == "'not-an-ip' is not an IPv4 or IPv6 address")
        #expect(stats[1].reachable)
    }
}
