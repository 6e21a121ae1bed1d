import DNSWire
import DNSZone
import FormAuthority
import Testing

@Suite struct AuthorityEngineTests {
    func resolve(_ name: String, _ type: RecordType) -> Resolution {
        demoEngine.resolve(DNSQuestion(name: try! DNSName(parsing: name), type: type))
    }

    func names(_ rrs: [DNSResourceRecord]) -> [String] { rrs.map { "\($0.name) \($0.type) \($0.data)" } }

    @Test func positiveAnswerIsAuthoritative() {
        let r = resolve("www.formation.test.", .a)
        #expect(r.rcode == .noError && r.authoritative)
        #expect(names(r.answers) == ["www.formation.test. A 192.0.2.10", "www.formation.test. A 192.0.2.11"])
        #expect(r.authorities.isEmpty && r.additionals.isEmpty)
    }

    @Test func nxdomainCarriesSOAWithNegativeTTL() {
        let r = resolve("nope.formation.test.", .a)
        #expect(r.rcode == .nxDomain && r.authoritative && r.answers.isEmpty)
        #expect(r.authorities.count == 1 && r.authorities[0].type == .soa)
        #expect(r.authorities[0].ttl == 60)  // min(SOA TTL 300, MINIMUM 60)
    }

    @Test func nodataAndEmptyNonTerminal() {
        for (name, type) in [("www.formation.test.", RecordType.mx), ("empty.nonterminal.formation.test.", .a), ("nonterminal.formation.test.", .txt)] {
            let r = resolve(name, type)
            #expect(r.rcode == .noError && r.answers.isEmpty, "\(name)")
            #expect(r.authorities.map(\.type) == [.soa], "\(name)")
        }
    }

    @Test func cnameChainIsFollowedInsideTheZone() {
        let r = resolve("chain.formation.test.", .a)
        #expect(names(r.answers) == [
            "chain.formation.test. CNAME alias.formation.test.",
            "alias.formation.test. CNAME www.formation.test.",
            "www.formation.test. A 192.0.2.10", "www.formation.test. A 192.0.2.11",
        ])
        // Asking for the CNAME itself does not chase.
        #expect(resolve("chain.formation.test.", .cname).answers.count == 1)
    }

    @Test func danglingCNAMEIsNXDOMAINAfterTheChain() {
        // RFC 6604: the RCODE describes the last name in the chain.
        let r = resolve("dangling.formation.test.", .a)
        #expect(r.rcode == .nxDomain)
        #expect(r.answers.map(\.type) == [.cname])
        #expect(r.authorities.map(\.type) == [.soa])
    }

    @Test func cnameOutOfZoneStops() {
        let r = resolve("external.formation.test.", .a)
        #expect(r.rcode == .noError && names(r.answers) == ["external.formation.test. CNAME www.example.net."])
        #expect(r.authorities.isEmpty)
    }

    @Test func wildcardSynthesisesWithTheQueryName() {
        let r = resolve("a.b.wild.formation.test.", .a)
        #expect(names(r.answers) == ["a.b.wild.formation.test. A 192.0.2.99"])
        #expect(r.authoritative)
        // Wildcard exists but not for this type: NODATA.
        #expect(resolve("x.wild.formation.test.", .aaaa).authorities.map(\.type) == [.soa])
        // The wildcard does not apply to names that exist (the ENT "nonterminal").
        #expect(resolve("empty.nonterminal.formation.test.", .a).answers.isEmpty)
    }

    @Test func delegationGivesReferralWithGlueAndNoAA() {
        for name in ["sub.formation.test.", "deep.below.sub.formation.test."] {
            let r = resolve(name, .a)
            #expect(!r.authoritative && r.rcode == .noError && r.answers.isEmpty, "\(name)")
            #expect(names(r.authorities) == ["sub.formation.test. NS ns.sub.formation.test."])
            #expect(names(r.additionals) == ["ns.sub.formation.test. A 127.0.0.53"])
            #expect(r.additionalRequired)
        }
    }

    @Test func anyIsMinimal() {
        let r = resolve("formation.test.", .any)
        #expect(Set(r.answers.map(\.type)).count == 1)
        #expect(r.answers.first?.type == .ns)
    }

    @Test func additionalSectionForMXAndSRV() {
        #expect(names(resolve("formation.test.", .mx).additionals) == ["mail.formation.test. A 192.0.2.25"])
        #expect(names(resolve("_formnet._udp.formation.test.", .srv).additionals) == ["entry1.formation.test. A 127.0.0.11"])
        let ns = resolve("formation.test.", .ns).additionals
        #expect(names(ns) == ["ns1.formation.test. A 127.0.0.1", "ns1.formation.test. AAAA ::1", "ns2.formation.test. A 127.0.0.2"])
    }

    @Test func refusesNamesOutsideEveryZone() {
        #expect(resolve("www.example.com.", .a) == .refused)
        #expect(resolve("test.", .soa) == .refused)
    }

    @Test func mostSpecificZoneWins() throws {
        let parent = try Zone(origin: "test.", records: ZoneFileParser(origin: "test.").parse(
            text: "$TTL 1\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nformation NS ns.other.\n", file: "p"), file: "p")
        let engine = AuthorityEngine(zones: [parent, demoZone])
        let r = engine.resolve(DNSQuestion(name: "www.formation.test.", type: .a))
        #expect(r.authoritative && r.answers.count == 2)
        #expect(engine.resolve(DNSQuestion(name: "x.formation.test.", type: .a)).rcode == .nxDomain)
    }

    @Test func cnameLoopTerminates() throws {
        let z = try Zone(origin: "loop.", records: ZoneFileParser(origin: "loop.").parse(
            text: "$TTL 1\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\na CNAME b\nb CNAME a\n", file: "l"), file: "l")
        let r = AuthorityEngine(zones: [z]).resolve(DNSQuestion(name: "a.loop.", type: .a))
        #expect(r.answers.map(\.type) == [.cname, .cname])
    }
}
