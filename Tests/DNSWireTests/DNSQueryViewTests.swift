import DNSWire
import Testing

@Suite struct DNSQueryViewTests {
    func view(_ b: [UInt8]) -> DNSQueryView { DNSQueryView(parsing: buffer(b)) }

    @Test func readsAPlainQuery() throws {
        let v = view(try queryBytes(id: 0xBEEF, name: "WWW.example.", type: .aaaa))
        #expect(v.disposition == .answer)
        #expect(v.id == 0xBEEF && v.qtype == 28 && v.qclass == 1)
        #expect(v.qnameLength == 13 && v.questionEnd == 12 + 13 + 4)
        #expect(!v.hasEDNS)
        #expect(v.qnameHash == foldedNameHash(DNSName("www.example.").wire))
        #expect(v.udpResponseLimit(serverMax: 1232) == 512)
    }

    @Test func readsEDNSAndClientSubnet() throws {
        let ecs = try #require(ClientSubnet(family: .ipv6, fullAddress: [0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd] + [UInt8](repeating: 0, count: 10), sourcePrefixLength: 48))
        let v = view(try queryBytes(name: "a.", type: .a, edns: EDNS(udpPayloadSize: 4096, dnssecOK: true, options: [.clientSubnet(ecs)])))
        #expect(v.disposition == .answer && v.hasEDNS && v.dnssecOK)
        #expect(v.udpResponseLimit(serverMax: 1232) == 1232)
        #expect(v.ecsFamily == 2 && v.ecsSourcePrefix == 48)
        #expect(v.clientSubnet == ecs)
    }

    @Test func classifiesBadQueries() throws {
        #expect(view([1, 2, 3]).disposition == .drop)
        var response = try queryBytes(name: "a.", type: .a)
        response[2] |= 0x80
        #expect(view(response).disposition == .drop)
        var noQuestion = try queryBytes(name: "a.", type: .a)
        noQuestion[5] = 0
        #expect(view(noQuestion).disposition == .formErr)
        var twoQuestions = try queryBytes(name: "a.", type: .a)
        twoQuestions[5] = 2
        #expect(view(twoQuestions).disposition == .formErr)
        let notify = try queryBytes(name: "a.", type: .soa, flags: 0x2000)
        #expect(view(notify).disposition == .notImp)
        let v1 = view(try queryBytes(name: "a.", type: .a, edns: EDNS(version: 1)))
        #expect(v1.disposition == .badVers)
        #expect(view(try queryBytes(name: "a.", type: .a) + [0]).disposition == .formErr)
        // ECS with a bit set beyond SOURCE PREFIX-LENGTH.
        let badECS = try queryBytes(name: "a.", type: .a, edns: EDNS(options: [.unknown(code: 8, data: [0, 1, 23, 0, 192, 0, 3])]))
        #expect(view(badECS).disposition == .formErr)
        // Compressed QNAME.
        let compressed: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1]
        #expect(view(compressed).disposition == .formErr)
    }

    @Test func neverTrapsOnRandomInput() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let n = Int.random(in: 0..<80, using: &rng)
            var b = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if b.count > 5 { b[2] &= 0x7F; b[4] = 0; b[5] = 1 }  // steer towards the deeper parsing paths
            let v = view(b)
            _ = v.disposition
            _ = try? DNSMessage(parsing: buffer(b))
        }
    }
}
