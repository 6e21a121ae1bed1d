import DNSSEC
import DNSWire
import DNSZone
import FormAuthority
import GeoIP
import NetAddress
import NIOCore
import Synchronization
import Testing

/// Online signing through the response builder: every RRset a DO query gets carries an RRSIG that
/// verifies against the zone's DNSKEY, negative answers prove themselves with one compact NSEC,
/// queries without DO are answered as before, pool answers are signed per answer set, and what is
/// signed per query is metered.
@Suite struct SigningTests {
    /// A clock the test moves.
    final class TestClock: Sendable {
        let now = Mutex<Double>(1_796_000_000)
        func read() -> Double { now.withLock { $0 } }
        func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
    }

    struct Signed {
        let builder: ResponseBuilder
        let key: ZoneKey
        let clock: TestClock
    }

    static func signed(
        algorithm: DNSSECAlgorithm = .ecdsaP256SHA256, geo: GeoContext? = nil, policy: SigningPolicy = SigningPolicy()
    ) -> Signed {
        let key = ZoneKey(generating: algorithm, flags: 257)
        let clock = TestClock()
        let zone = demoZone.addingRRSets([
            RRSet(name: demoZone.origin, type: .dnskey, ttl: 300, records: [.dnskey(key.dnskey)])
        ])
        let setup = SigningSetup(
            zones: [zone.origin: ZoneSigner(origin: zone.origin, csk: key, policy: policy)], clock: clock.read)
        return Signed(builder: ResponseBuilder(zones: [zone], geo: geo, signing: setup), key: key, clock: clock)
    }

    static let dnssecOK = EDNS(udpPayloadSize: 4096, dnssecOK: true)

    /// Each RRSIG in the answer and authority sections against the RRset it covers; returns the
    /// RRsets (owner/type) that verified.
    static func verified(_ m: DNSMessage, key: ZoneKey, now: Double) -> Set<String> {
        var ok: Set<String> = []
        for section in [m.answers, m.authorities] {
            for rr in section {
                guard case .rrsig(let sig) = rr.data else { continue }
                let set = section.filter { $0.name == rr.name && $0.type == sig.typeCovered }.map(\.data)
                let result = SignatureCheck.verify(
                    sig, over: CanonicalRRset(owner: rr.name, type: sig.typeCovered, rdata: set), with: key.dnskey,
                    now: UInt32(now))
                if case .success = result { ok.insert("\(rr.name.lowercased) \(sig.typeCovered)") }
            }
        }
        return ok
    }

    /// Every RRset in answer and authority, but the RRSIGs and a referral's NS.
    static func rrsets(_ m: DNSMessage) -> Set<String> {
        var sets: Set<String> = []
        for rr in m.answers + m.authorities where rr.type != .rrsig {
            if rr.type == .ns, !m.header.has(.authoritative) { continue }
            sets.insert("\(rr.name.lowercased) \(rr.type)")
        }
        return sets
    }

    func askBuilder(_ q: ByteBuffer, builder: ResponseBuilder) -> DNSMessage? {
        var out = ByteBufferAllocator().buffer(capacity: 512)
        guard builder.respond(to: q, transport: .udp, into: &out) else { return nil }
        return try? DNSMessage(parsing: out)
    }

    func ask(_ s: Signed, _ name: String, _ type: RecordType, edns: EDNS? = SigningTests.dnssecOK) throws -> DNSMessage {
        try #require(askBuilder(query(name, type, edns: edns), builder: s.builder))
    }

    @Test(arguments: [DNSSECAlgorithm.ecdsaP256SHA256, .ed25519])
    func everyRRsetOfAPositiveAnswerIsSigned(algorithm: DNSSECAlgorithm) throws {
        let s = Self.signed(algorithm: algorithm)
        for (name, type) in [
            ("www.formation.test.", RecordType.a), ("formation.test.", .dnskey), ("formation.test.", .soa),
            ("chain.formation.test.", .a), ("x.wild.formation.test.", .a), ("formation.test.", .mx),
            ("sub.formation.test.", .ds),
        ] {
            let m = try ask(s, name, type)
            let sets = Self.rrsets(m)
            #expect(!sets.isEmpty, "\(name) \(type)")
            #expect(Self.verified(m, key: s.key, now: s.clock.read()) == sets, "\(name) \(type): \(m)")
            #expect(m.edns?.dnssecOK == true)
        }
        // A wildcard expansion is signed as the name asked (labels = its own), needing no proof.
        let wild = try ask(s, "x.wild.formation.test.", .a)
        let rrsig = wild.answers.compactMap { rr -> RRSIGRecord? in
            if case .rrsig(let r) = rr.data { return r }
            return nil
        }
        #expect(rrsig.first?.labels == 4 && rrsig.first?.signerName == "formation.test.")
    }

    @Test func queriesWithoutDOAreAnsweredAsBefore() throws {
        let s = Self.signed()
        for (name, type) in [
            ("www.formation.test.", RecordType.a), ("nope.formation.test.", .a), ("www.formation.test.", .txt),
            ("x.wild.formation.test.", .a), ("ns.sub.formation.test.", .a),
        ] {
            var signedOut = ByteBufferAllocator().buffer(capacity: 512)
            var plainOut = ByteBufferAllocator().buffer(capacity: 512)
            let q = query(name, type, edns: EDNS(udpPayloadSize: 1232))
            _ = s.builder.respond(to: q, transport: .udp, into: &signedOut)
            _ = demoBuilder.respond(to: q, transport: .udp, into: &plainOut)
            #expect(signedOut == plainOut, "\(name) \(type)")
        }
        // The DNSKEY RRset is data like any other: there without DO too, but never an RRSIG.
        let keys = try ask(s, "formation.test.", .dnskey, edns: nil)
        #expect(keys.answers.map(\.type) == [.dnskey])
    }

    @Test func negativeAnswersProveThemselvesWithOneCompactNSEC() throws {
        let s = Self.signed()
        func nsec(_ m: DNSMessage) -> (DNSName, NSECRecord)? {
            for rr in m.authorities { if case .nsec(let n) = rr.data { return (rr.name, n) } }
            return nil
        }
        // NXDOMAIN: NOERROR, the name asked, NXNAME in its bitmap, the next name just after it.
        let nx = try ask(s, "nope.formation.test.", .a)
        #expect(nx.rcode == .noError && nx.header.has(.authoritative))
        let (owner, record) = try #require(nsec(nx))
        let next = try DNSName(labels: [[0], Array("nope".utf8), Array("formation".utf8), Array("test".utf8)])
        #expect(owner == "nope.formation.test." && record.nextDomainName == next)
        #expect(record.types.types == [.rrsig, .nsec, .nxname])
        #expect(Self.verified(nx, key: s.key, now: s.clock.read()) == Self.rrsets(nx))
        #expect(nx.authorities.first { $0.type == .nsec }?.ttl == 60)
        // With CO (RFC 9824 section 4) the client gets NXDOMAIN itself.
        let bytes = query("nope.formation.test.", .a, edns: Self.dnssecOK)
        var co = Array(bytes.readableBytesView)
        co[co.count - 4] |= 0x40
        let withCO = try #require(askBuilder(ByteBuffer(bytes: co), builder: s.builder))
        #expect(withCO.rcode == .nxDomain && nsec(withCO)?.1.types.types.contains(.nxname) == true)
        // NODATA: the types the name holds.
        let nodata = try ask(s, "www.formation.test.", .txt)
        #expect(nsec(nodata)?.1.types.types == [.a, .aaaa, .rrsig, .nsec])
        #expect(Self.verified(nodata, key: s.key, now: s.clock.read()) == Self.rrsets(nodata))
        // An empty non-terminal holds nothing; the apex lists its DNSKEY.
        #expect(nsec(try ask(s, "empty.nonterminal.formation.test.", .a))?.1.types.types == [.rrsig, .nsec])
        #expect(nsec(try ask(s, "formation.test.", .aaaa))?.1.types.types.contains(.dnskey) == true)
        // No DS at a cut: the parent's NSEC at the cut says NS and no DS, with AA.
        let ds = try ask(s, "sub.formation.test.", .ds)
        #expect(ds.header.has(.authoritative) && nsec(ds)?.1.types.types == [.ns, .rrsig, .nsec])
        // A referral proves the child unsigned: NS (unsigned), then the NSEC at the cut, signed.
        let referral = try ask(s, "ns.sub.formation.test.", .a)
        #expect(!referral.header.has(.authoritative))
        #expect(referral.authorities.map(\.type) == [.ns, .nsec, .rrsig])
        #expect(Self.verified(referral, key: s.key, now: s.clock.read()) == ["sub.formation.test. NSEC"])
    }

    @Test func theDNSSECRecordsThemselvesCanBeAskedFor() throws {
        let s = Self.signed()
        // NSEC: the name's own compact NSEC, signed.
        let nsec = try ask(s, "www.formation.test.", .nsec)
        #expect(nsec.answers.map(\.type) == [.nsec, .rrsig] && nsec.authorities.isEmpty)
        #expect(Self.verified(nsec, key: s.key, now: s.clock.read()) == ["www.formation.test. NSEC"])
        // RRSIG: one per RRset at the name (A, AAAA and the NSEC), each verifying with its RRset.
        let rrsig = try ask(s, "www.formation.test.", .rrsig)
        let covered = Set(rrsig.answers.compactMap { rr -> RecordType? in
            if case .rrsig(let r) = rr.data { return r.typeCovered }
            return nil
        })
        #expect(covered == [.a, .aaaa, .nsec] && rrsig.answers.count == 3)
        // Without DO: as before (no such records in the zone: NODATA).
        #expect(try ask(s, "www.formation.test.", .nsec, edns: nil).answers.isEmpty)
    }

    @Test func namesTooLongForACompactDenialAreNotAnsweredSigned() throws {
        let s = Self.signed()
        // 3 x 63 + 50 + 16 octets: 255 with the root; one more label of 2 octets does not fit.
        let label = String(repeating: "a", count: 62)
        let name = "\(label).\(label).\(label).\(String(repeating: "b", count: 49)).formation.test."
        #expect(try DNSName(parsing: name).wire.count >= 254)
        // No next name fits after it: SERVFAIL rather than an NSEC that would cover other names.
        #expect(try ask(s, name, .a).rcode == .servFail)
        #expect(try ask(s, name, .a, edns: nil).rcode == .nxDomain)
    }

    @Test func aDSAtAChildApexIsTheParentsToAnswer() throws {
        let text = "$ORIGIN sub.formation.test.\n@ 300 IN SOA ns h 1 1 1 1 30\n@ 300 IN NS ns\nns 300 IN A 127.0.0.53\n"
        let child = try Zone(
            origin: "sub.formation.test.",
            records: try ZoneFileParser(origin: "sub.formation.test.").parse(text: text, file: "child"), file: "child")
        let engine = AuthorityEngine(zones: [demoZone, child])
        let ds = engine.resolve(DNSQuestion(name: "sub.formation.test.", type: .ds))
        // The parent (formation.test.) answers: AA, NODATA with its own SOA; other types, the child.
        #expect(ds.authoritative && ds.answers.isEmpty && ds.authorities.first?.name == "formation.test.")
        #expect(engine.resolve(DNSQuestion(name: "sub.formation.test.", type: .soa)).answers.first?.name == "sub.formation.test.")
        let table = ResponseBuilder(engine: engine)
        let m = try #require(askBuilder(query("sub.formation.test.", .ds), builder: table))
        #expect(m.authorities.first?.name == "formation.test." && m.header.has(.authoritative))
    }

    @Test func poolAnswersAreSignedPerAnswerSetNotPerClient() throws {
        var pool = GeoAnswerTests.pool()
        pool.names = ["entry.formation.test.", "join.formation.test."]
        let db = try GeoDatabase(path: GeoAnswerTests.sharedRoot + "GeoIP2-City-Test.mmdb")
        let s = Self.signed(geo: GeoContext(pools: [pool], locator: ClientLocator(databases: [db])))
        func ask(_ name: String, from source: String, type: RecordType = .a) throws -> DNSMessage {
            var out = ByteBufferAllocator().buffer(capacity: 512)
            let q = query(name, type, edns: Self.dnssecOK)
            #expect(s.builder.respond(to: q, source: IPAddress(source), transport: .udp, cache: GeoAnswerCache(), into: &out))
            return try DNSMessage(parsing: out)
        }
        let london = try ask("entry.formation.test.", from: "81.2.69.160")
        #expect(london.answers.first?.data.description == "127.0.0.1")
        #expect(Self.verified(london, key: s.key, now: s.clock.read()) == ["entry.formation.test. A"])
        // The pool's other name is signed over its own owner name.
        let join = try ask("JOIN.formation.test.", from: "81.2.69.160")
        #expect(Self.verified(join, key: s.key, now: s.clock.read()) == ["join.formation.test. A"])
        // Two clients in two networks with the same answer: the same signature (one per answer set).
        let other = try ask("entry.formation.test.", from: "81.2.69.170")
        #expect(other.answers == london.answers)
        let tokyo = try ask("entry.formation.test.", from: "2001:218::1", type: .aaaa)
        #expect(Self.verified(tokyo, key: s.key, now: s.clock.read()) == ["entry.formation.test. AAAA"])
        // NODATA at a pool name lists the address types its pool has.
        let txt = try ask("entry.formation.test.", from: "81.2.69.160", type: .txt)
        let types = txt.authorities.compactMap { rr -> [RecordType]? in
            if case .nsec(let n) = rr.data { return n.types.types }
            return nil
        }
        #expect(types == [[.a, .aaaa, .rrsig, .nsec]])
    }

    @Test func aPoolWithoutAFamilyDeniesItWithoutListingIt() throws {
        var pool = GeoAnswerTests.pool()
        pool.nodes = pool.nodes.map { var n = $0; n.ipv6 = nil; return n }
        let db = try GeoDatabase(path: GeoAnswerTests.sharedRoot + "GeoIP2-City-Test.mmdb")
        let s = Self.signed(geo: GeoContext(pools: [pool], locator: ClientLocator(databases: [db])))
        var out = ByteBufferAllocator().buffer(capacity: 512)
        let q = query("entry.formation.test.", .aaaa, edns: Self.dnssecOK)
        #expect(s.builder.respond(to: q, source: IPAddress("81.2.69.160"), transport: .udp, cache: GeoAnswerCache(), into: &out))
        let m = try DNSMessage(parsing: out)
        #expect(m.answers.isEmpty && m.rcode == .noError)
        let bitmap = m.authorities.compactMap { rr -> [RecordType]? in
            if case .nsec(let n) = rr.data { return n.types.types }
            return nil
        }
        #expect(bitmap == [[.a, .rrsig, .nsec]])
        #expect(Self.verified(m, key: s.key, now: s.clock.read()) == Self.rrsets(m))
    }

    @Test func signingPerQueryIsMeteredAndAnswersSignedAheadAreRenewed() throws {
        var policy = SigningPolicy()
        policy.missSigningRate = 2
        let s = Self.signed(policy: policy)
        // Two new names a second (each one NSEC to sign); the third in the same second: SERVFAIL.
        #expect(try ask(s, "a.formation.test.", .a).rcode == .noError)
        #expect(try ask(s, "b.formation.test.", .a).rcode == .noError)
        #expect(try ask(s, "c.formation.test.", .a).rcode == .servFail)
        // While the budget is spent, names that do not exist are refused before any lookup, even one
        // signed already; answers signed ahead do not draw on the budget at all.
        #expect(try ask(s, "a.formation.test.", .a).rcode == .servFail)
        #expect(try ask(s, "www.formation.test.", .a).rcode == .noError)
        #expect(try ask(s, "nope.formation.test.", .a, edns: EDNS(udpPayloadSize: 1232)).rcode == .nxDomain)
        s.clock.advance(0.5)
        // Half a second later: one signature's worth. A name signed already comes from the cache,
        // free; a new one takes the token.
        #expect(try ask(s, "a.formation.test.", .a).rcode == .noError)
        #expect(try ask(s, "c.formation.test.", .a).rcode == .noError)
        #expect(try ask(s, "d.formation.test.", .a).rcode == .servFail)

        // Signatures live 14 days less up to a day of jitter; inception an hour back.
        let signer = try #require(s.builder.signer)
        let www = try ask(s, "www.formation.test.", .a)
        let sig = try #require(
            www.answers.compactMap { rr -> RRSIGRecord? in
                if case .rrsig(let r) = rr.data { return r }
                return nil
            }.first)
        let now = UInt32(s.clock.read())
        #expect(sig.inception <= now - 3_599 && sig.inception >= now - 3_602)
        #expect(sig.expiration > now + 13 * 86_400 - 2 && sig.expiration <= now + 14 * 86_400)
        #expect(!signer.refreshDue())
        // Due when the first signature held ahead has 7 days left; made again then, and only the
        // ones due: a builder made again is not due.
        let due = try #require(signer.nextRefresh)
        #expect(due > now + 6 * 86_400 - 2 && due <= now + 7 * 86_400)
        s.clock.advance(Double(due - now) - 1)
        #expect(!signer.refreshDue())
        s.clock.advance(1)
        #expect(signer.refreshDue())
        #expect(s.builder.resigned().signer?.refreshDue() == false)
        // A week on, every signature is due: www's too.
        s.clock.advance(Double(now + 7 * 86_400 - due) + 1)
        let renewed = s.builder.resigned()
        #expect(renewed.signer?.refreshDue() == false)
        let again = try #require(askBuilder(query("www.formation.test.", .a, edns: Self.dnssecOK), builder: renewed))
        #expect(Self.verified(again, key: s.key, now: s.clock.read()) == ["www.formation.test. A"])
        #expect(again.answers.contains { rr in
            if case .rrsig(let r) = rr.data { return r.inception > sig.inception }
            return false
        })
    }
}
