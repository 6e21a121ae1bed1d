import DNSWire
@testable import FormJoin
import Foundation
import Testing

/// The two outputs: the JSON formnet reads (explicit nulls, issue 11.11) and the human table
/// (terminal escapes from the network neutralised, issue 19.8).
@Suite struct OutputTests {
    static func peer(id: String, region: String? = nil, error: String? = nil, samples: Int = 3) -> PeerSet.Peer {
        PeerSet.Peer(id: id, source: .dns, endpoints: ["192.0.2.1:51820"], ipv4: "192.0.2.1", ipv6: nil, port: 51820,
                     publicKey: nil, internalEndpoint: nil, region: region,
                     rttMs: .init(min: samples > 0 ? 1 : nil, median: samples > 0 ? 2 : nil, samples: samples,
                                  loss: samples > 0 ? 0 : 1),
                     cacheAgeS: nil, error: error)
    }

    static func set(peers: [PeerSet.Peer], unreachable: [PeerSet.Peer] = [], notes: [String] = []) -> PeerSet {
        PeerSet(name: "e.test.", resolver: nil, outcome: .dns, dns: .init(status: "ok"),
                timing: .init(dnsMs: 1, probeMs: 2, totalMs: 3),
                generatedAt: Date(timeIntervalSince1970: 0), expiresAt: Date(timeIntervalSince1970: 60), peers: peers,
                unreachable: unreachable, notes: notes)
    }

    @Test func emptyFieldsAreExplicitNulls() throws {
        let json = Self.set(peers: [Self.peer(id: "n")]).json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["resolver"] is NSNull)
        #expect(object["notes"] as? [String] == [])
        let peer = try #require((object["peers"] as? [[String: Any]])?.first)
        for key in ["ipv6", "public_key", "internal_endpoint", "region", "cache_age_s", "error"] {
            #expect(peer[key] is NSNull, "\(key) should be present and null")
        }
        let dns = try #require(object["dns"] as? [String: Any])
        for key in ["detail", "server", "rtt_ms", "ttl"] { #expect(dns[key] is NSNull, "dns.\(key)") }
        let unanswered = Self.set(peers: [Self.peer(id: "n", samples: 0)]).json()
        let unansweredObject = try JSONSerialization.jsonObject(with: Data(unanswered.utf8)) as? [String: Any]
        let rtt = try #require((unansweredObject?["peers"] as? [[String: Any]])?.first?["rtt_ms"] as? [String: Any])
        #expect(rtt["min"] is NSNull && rtt["median"] is NSNull)
        // The cache file and the bootstrap format write their empty fields as null too.
        let encoded = try JSONEncoder().encode(PeerInfo(id: "x", ipv4: "192.0.2.1", port: 1))
        let info = String(decoding: encoded, as: UTF8.self)
        for key in ["ipv6", "public_key", "internal_endpoint", "region"] {
            #expect(info.contains(#""\#(key)":null"#), "\(key)")
        }
    }

    @Test func theTableEscapesControlCharactersFromTheNetwork() {
        let reply = "unexpected reply 'x\u{1b}]0;pwned\u{7}\u{202e}'"
        let hostile = Self.set(peers: [Self.peer(id: "evil\u{1b}[2J\n1  fake", region: "eu\u{9b}31m")],
                               unreachable: [Self.peer(id: "dead", error: reply, samples: 0)],
                               notes: ["cache: written for a\rb"])
        let table = PeerSetTable.render(hostile)
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 5)   // heading, column names, one peer, one unreachable, one note: no injected row
        let raw = table.unicodeScalars.filter {
            ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) || $0 == "\u{202e}"
        }
        #expect(raw.isEmpty)
        #expect(lines[2].hasPrefix(#"1  evil\x1b[2J\x0a1  fake 192.0.2.1:51820         eu\u{009b}31m 2.0"#),
                "\(lines[2])")
        #expect(lines[3].hasSuffix(#"unreachable (dns): unexpected reply 'x\x1b]0;pwned\x07\u{202e}'"#), "\(lines[3])")
        #expect(lines[4] == #"note: cache: written for a\x0db"#)
        // The JSON keeps the text as it came, escaped the JSON way.
        #expect(hostile.json().contains(#"evil\u001b[2J\n1  fake"#))
    }

    /// Sources are printed as in the JSON (`static`, `cache`), never as Swift case names.
    @Test func unreachablePeersNameTheirSourceAsTheJSONDoes() {
        var dead = Self.peer(id: "gone", error: "connect: Connection refused", samples: 0)
        dead.source = .staticList
        let table = PeerSetTable.render(Self.set(peers: [], unreachable: [dead]))
        #expect(table.contains("unreachable (static): connect: Connection refused"), "\(table)")
        #expect(!table.contains("staticList"))
        #expect("\(PeerSet.Source.staticList)" == "static")
    }

    @Test func theTableOfAnOrdinaryRun() {
        let table = PeerSetTable.render(Self.set(peers: [Self.peer(id: "tyo-1", region: "ap-northeast")]))
        #expect(table == """
        e.test.: via DNS (DNS ok, 3 ms)
        #  id            endpoint                region        median ms min ms  loss  source
        1  tyo-1         192.0.2.1:51820         ap-northeast  2.0       1.0     0%    dns
        """)
    }

    @Test(arguments: [("plain", "plain"), ("a\\b", #"a\\b"#), ("\u{0}\u{1f}\u{7f}", #"\x00\x1f\x7f"#),
                      ("é ü 東京", "é ü 東京"),
                      ("\u{2028}\u{2066}\u{feff}", #"\u{2028}\u{2066}\u{feff}"#)])
    func terminalText(raw: String, escaped: String) {
        #expect(TerminalText.escape(raw) == escaped)
    }
}
