import DNSWire
import DNSZone
import FormAuthority
import NIOCore
import Testing

@Suite struct ResponseBuilderTests {
    @Test func echoesIDQuestionCaseAndRD() throws {
        let m = try #require(ask(query("WwW.FoRmAtIoN.TeSt.", .a, id: 0xABCD)))
        #expect(m.header.id == 0xABCD)
        #expect(m.header.has(.response) && m.header.has(.authoritative) && m.header.has(.recursionDesired))
        #expect(!m.header.has(.recursionAvailable))
        #expect(m.questions[0].name.description == "WwW.FoRmAtIoN.TeSt.")
        // Answer owners are compressed against the question, so they echo its case too (as NSD/Knot do).
        #expect(m.answers.map(\.name.description) == ["WwW.FoRmAtIoN.TeSt.", "WwW.FoRmAtIoN.TeSt."])
        let noRD = try #require(ask(query("www.formation.test.", .a, flags: 0)))
        #expect(!noRD.header.has(.recursionDesired))
    }

    /// A builder made with `reusing:` keeps the old precomputed answers only for the same zones and
    /// pool names: an edited zone answers from its new records on the fast path.
    @Test func reusedAnswersOnlyForTheSameEngine() throws {
        let same = ResponseBuilder(engine: AuthorityEngine(zones: [demoZone]), reusing: demoBuilder)
        #expect(ask(query("www.formation.test.", .a), builder: same)?.answers == ask(query("www.formation.test.", .a))?.answers)
        let added = demoZone.addingRRSets([
            RRSet(name: "www.formation.test.", type: .a, ttl: 300, records: [.a(ARecord(192, 0, 2, 99))])
        ])
        #expect(added != demoZone)
        let edited = ResponseBuilder(engine: AuthorityEngine(zones: [added]), reusing: demoBuilder)
        let answers = try #require(ask(query("www.formation.test.", .a), builder: edited)).answers
        #expect(answers.map(\.data) == [.a(ARecord(192, 0, 2, 99))])
        #expect(ask(query("www.formation.test.", .a))?.answers.map(\.data) != answers.map(\.data))
    }

    /// The precomputed path must give exactly what the general path gives, for every name and type.
    @Test func templatesMatchTheGeneralPath() throws {
        let types: [RecordType] = [.a, .aaaa, .ns, .soa, .mx, .txt, .srv, .cname, .ptr, .caa, .any, RecordType(65280), RecordType(99)]
        var names = demoZone.allNames + ["nope.formation.test.", "x.wild.formation.test.", "a.ns.sub.formation.test."]
        names.append(demoZone.origin)
        for name in names {
            for type in types {
                let q = DNSQuestion(name: name, type: type)
                let expected = demoEngine.resolve(q)
                let m = try #require(ask(query(name.description, type, edns: EDNS())))
                #expect(m.rcode == expected.rcode, "\(q)")
                #expect(m.header.has(.authoritative) == expected.authoritative, "\(q)")
                #expect(m.answers == expected.answers, "\(q)")
                #expect(m.authorities == expected.authorities, "\(q)")
                #expect(m.additionals == expected.additionals, "\(q)")
            }
        }
    }

    @Test func truncatesOverUDPButNotTCP() throws {
        let plain = try #require(ask(query("big.formation.test.", .txt)))
        #expect(plain.header.has(.truncated) && plain.answers.isEmpty && plain.questions.count == 1)
        let edns = try #require(ask(query("big.formation.test.", .txt, edns: EDNS(udpPayloadSize: 1232))))
        #expect(!edns.header.has(.truncated) && edns.answers.count == 6)
        let small = try #require(ask(query("big.formation.test.", .txt, edns: EDNS(udpPayloadSize: 100))))
        #expect(small.header.has(.truncated), "payload sizes below 512 count as 512")
        let tcp = try #require(ask(query("big.formation.test.", .txt), transport: .tcp))
        #expect(!tcp.header.has(.truncated) && tcp.answers.count == 6)
    }

    @Test func answersFORMERRNOTIMPBADVERSAndREFUSED() throws {
        var twoQuestions = query("www.formation.test.", .a)
        twoQuestions.setInteger(UInt16(2), at: 4)
        #expect(ask(twoQuestions)?.rcode == .formErr)
        let notify = try #require(ask(query("formation.test.", .soa, flags: 0x2000)))
        #expect(notify.rcode == .notImp && notify.header.opcode == .notify)
        let v1 = try #require(ask(query("www.formation.test.", .a, edns: EDNS(version: 1))))
        #expect(v1.rcode == .badVers && v1.answers.isEmpty && v1.edns?.version == 0)
        #expect(ask(query("www.formation.test.", .opt))?.rcode == .formErr)
        #expect(ask(query("formation.test.", .axfr))?.rcode == .refused)
        let outside = try #require(ask(query("example.com.", .a)))
        #expect(outside.rcode == .refused && !outside.header.has(.authoritative))
        // A response is dropped, never answered.
        #expect(ask(query("www.formation.test.", .a, flags: 0x8000)) == nil)
    }

    @Test func ednsResponseAndClientSubnetEcho() throws {
        let ecs = ClientSubnet(family: .ipv4, fullAddress: [198, 51, 100, 0], sourcePrefixLength: 24)!
        let m = try #require(ask(query("www.formation.test.", .a, edns: EDNS(udpPayloadSize: 4096, dnssecOK: true, options: [.clientSubnet(ecs)]))))
        #expect(m.edns?.udpPayloadSize == 1232)
        #expect(m.edns?.dnssecOK == true)
        // Static data does not depend on the client: scope 0 (RFC 7871 section 7.2.1).
        #expect(m.edns?.clientSubnet == ecs.withScope(0))
        #expect(ask(query("www.formation.test.", .a))?.edns == nil)
    }

    @Test func survivesRandomDatagrams() {
        var out = ByteBufferAllocator().buffer(capacity: 512)
        var rng = SystemRandomNumberGenerator()
        let seed = Array(query("www.formation.test.", .a, edns: EDNS()).readableBytesView)
        for i in 0..<30_000 {
            var b: [UInt8]
            if i % 2 == 0 {
                b = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                // Mutate a valid query: flip bytes, truncate, extend.
                b = seed
                for _ in 0..<Int.random(in: 1...4, using: &rng) { b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                if Bool.random(using: &rng) { b = Array(b.prefix(Int.random(in: 0...b.count, using: &rng))) }
            }
            var buf = ByteBufferAllocator().buffer(capacity: b.count)
            buf.writeBytes(b)
            out.clear()
            if demoBuilder.respond(to: buf, transport: .udp, into: &out) {
                // Whatever we answer must itself be a well-formed message.
                #expect((try? DNSMessage(parsing: out)) != nil)
            }
        }
    }
}
