import DNSWire
import PropertyBased
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

    /// Random datagrams, most of them queries with a few octets changed: the view never traps, and
    /// what it decides agrees with the header and with the general parser (`DNSMessage`). Seeded
    /// (`TestSeed`); a failure prints the seed and the datagram.
    @Test func randomInputAgreesWithTheFullParser() {
        var rng = TestSeed.rng("DNSQueryViewTests.randomInput")
        var seen: [DNSQueryView.Disposition: Int] = [:]
        var compared = 0
        for i in 0..<20_000 {
            let b = Self.randomDatagram(&rng)
            if let problem = Self.inconsistency(b, compared: &compared) {
                Issue.record("\(problem)\ndatagram \(i), \(b.count) octets: \(hex(b))\n\(TestSeed.replay)")
                return
            }
            seen[view(b).disposition, default: 0] += 1
        }
        // Not vacuous: every outcome came up, and many accepted queries were compared field by field.
        for d: DNSQueryView.Disposition in [.answer, .drop, .formErr, .notImp, .badVers] {
            #expect(seen[d, default: 0] >= 50, "\(d) seen \(seen[d, default: 0]) times (\(TestSeed.replay))")
        }
        #expect(compared >= 2_000, "only \(compared) accepted queries compared (\(TestSeed.replay))")
    }

    /// What is wrong with the view of `b`, or nil. `compared` counts the accepted queries whose
    /// fields were checked against the general parser's.
    static func inconsistency(_ b: [UInt8], compared: inout Int) -> String? {
        let v = DNSQueryView(parsing: buffer(b))
        guard b.count >= 12 else { return v.disposition == .drop ? nil : "shorter than a header: \(v.disposition)" }
        func u16(_ i: Int) -> UInt16 { UInt16(b[i]) << 8 | UInt16(b[i + 1]) }
        guard v.id == u16(0), v.flags == u16(2) else { return "ID/flags \(v.id)/\(v.flags) are not the header's" }
        if b[2] & 0x80 != 0 { return v.disposition == .drop ? nil : "a response (QR=1) not dropped: \(v.disposition)" }
        guard v.disposition != .drop else { return "a query (QR=0) dropped" }
        let opcode = (b[2] >> 3) & 0xF, qd = u16(4), an = u16(6), ns = u16(8), ar = u16(10)
        if opcode != 0 {
            return v.disposition == .notImp || v.disposition == .formErr ? nil : "opcode \(opcode): \(v.disposition)"
        }
        guard v.disposition != .notImp else { return "NOTIMP for opcode 0" }
        let accepted = v.disposition == .answer || v.disposition == .badVers
        if accepted {
            // The question as the view read it is the one in the datagram: plain labels from offset 12.
            guard qd == 1 else { return "accepted with QDCOUNT \(qd)" }
            let end = 12 + v.qnameLength
            guard v.qnameLength >= 1, v.questionEnd == end + 4, end + 4 <= b.count else {
                return "question bounds: QNAME length \(v.qnameLength), question end \(v.questionEnd)"
            }
            var i = 12
            while b[i] != 0 {
                guard b[i] <= 63 else { return "accepted a QNAME with label octet \(b[i]) at \(i)" }
                i += 1 + Int(b[i])
            }
            guard i + 1 == end else { return "QNAME length \(v.qnameLength), but its labels end at \(i + 1 - 12)" }
            guard v.qnameHash == foldedNameHash(Array(b[12..<end])) else { return "QNAME hash" }
            guard v.qtype == u16(end), v.qclass == u16(end + 2) else { return "QTYPE/QCLASS \(v.qtype)/\(v.qclass)" }
        }
        // Against the general parser, for datagrams shaped like a query: one question, no answer or
        // authority records, nothing in the additional section but an OPT record. (The view skips
        // other records without decoding their RDATA, which the general parser does and may refuse.)
        let full = try? DNSMessage(parsing: buffer(b))
        guard qd == 1, an == 0, ns == 0, ar == 0 || (ar == 1 && (v.hasEDNS || full?.edns != nil)) else { return nil }
        guard let full else { return accepted ? "\(v.disposition), but the general parser refuses it" : nil }
        let name = full.questions[0].name
        // What the view must decide, from the general parser's reading: FORMERR for a compressed
        // QNAME (a pointer there could only point into the header), an ECS option that breaks RFC 7871
        // or a second one, and an OPT owner written as a pointer (the view wants the one root octet);
        // otherwise BADVERS for EDNS version > 0, else answer.
        let compressed = Array(b[12..<min(b.count, 12 + name.wire.count)]) != name.wire
        let ecs = full.edns?.options.filter { if case .unknown = $0 { false } else { true } } ?? []
        let badECS = ecs.count > 1 || ecs.contains { if case .malformedClientSubnet = $0 { true } else { false } }
        // A COOKIE option of a length RFC 7873 does not allow, or a second one, is FORMERR too.
        let cookies: [[UInt8]] = full.edns?.options.compactMap {
            if case .unknown(DNSCookie.optionCode, let data) = $0 { data } else { nil }
        } ?? []
        let badCookie = cookies.count > 1 || cookies.contains { !DNSCookie.isValidLength($0.count) }
        let optEnd = 12 + name.wire.count + 4
        let optOwnerPointer = full.edns != nil && !compressed && optEnd < b.count && b[optEnd] != 0
        let expected: DNSQueryView.Disposition = compressed || badECS || badCookie || optOwnerPointer ? .formErr
            : (full.edns?.version ?? 0) > 0 ? .badVers : .answer
        guard v.disposition == expected else { return "\(v.disposition), expected \(expected) for \(full)" }
        guard accepted else { return nil }
        compared += 1
        guard v.qnameHash == foldedNameHash(name.wire), v.qtype == full.questions[0].type.rawValue,
              v.qclass == full.questions[0].recordClass.rawValue else { return "question differs from \(full)" }
        guard v.hasEDNS == (full.edns != nil) else { return "hasEDNS \(v.hasEDNS) for \(full)" }
        if let e = full.edns {
            guard v.udpPayloadSize == e.udpPayloadSize, v.ednsVersion == e.version, v.dnssecOK == e.dnssecOK,
                  v.clientSubnet == e.clientSubnet else { return "EDNS differs from \(full)" }
        }
        let clientCookie = cookies.first.map { $0.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        guard v.cookieLength == (cookies.first?.count ?? 0), !v.hasCookie || v.clientCookie == clientCookie else {
            return "cookie differs from \(full)"
        }
        return nil
    }

    /// A datagram: mostly a generated query (random name, type, flags, EDNS version, ECS and other
    /// options, valid or not) with a few octets changed, cut short or extended; sometimes random octets.
    static func randomDatagram(_ rng: inout Xoshiro) -> [UInt8] {
        func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
        func byte() -> UInt8 { UInt8.random(in: 0...255, using: &rng) }
        if chance(0.1) { return (0..<Int.random(in: 0..<80, using: &rng)).map { _ in byte() } }
        var flags = UInt16.random(in: 0...0xFFFF, using: &rng) & 0x07FF  // opcode 0, QR 0, random bits
        if chance(0.05) { flags |= 0x8000 }
        if chance(0.05) { flags |= UInt16.random(in: 1...15, using: &rng) << 11 }
        let letters = Array("abcXYZ019-".utf8)
        let labels = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
            (0..<Int.random(in: 1...8, using: &rng)).map { _ in letters.randomElement(using: &rng)! }
        }
        var out: [UInt8] = [byte(), byte(), UInt8(flags >> 8), UInt8(flags & 0xFF), 0, 1, 0, 0, 0, 0, 0, 0]
        for l in labels { out += [UInt8(l.count)] + l }
        out += [0, byte() % 4 == 0 ? byte() : 0, byte(), 0, chance(0.9) ? 1 : byte()]
        if chance(0.6) {
            var options: [UInt8] = []
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                var data: [UInt8]
                let code: UInt16 = chance(0.6) ? 8 : chance(0.5) ? 10 : UInt16.random(in: 0...20, using: &rng)
                if code == 10 {
                    // COOKIE: mostly a length RFC 7873 allows (8, 16-40), sometimes not.
                    let length = chance(0.8) ? [8, 16, 24, 40].randomElement(using: &rng)! : Int.random(in: 0...44, using: &rng)
                    data = (0..<length).map { _ in byte() }
                } else if code == 8 {
                    let v6 = chance(0.3)
                    let source = Int.random(in: 0...(v6 ? 128 : 32), using: &rng)
                    var address = (0..<(source + 7) / 8).map { _ in byte() }
                    if source % 8 != 0, chance(0.8) {  // else a bit past SOURCE is likely set
                        address[address.count - 1] &= UInt8(truncatingIfNeeded: 0xFF << (8 - source % 8))
                    }
                    data = [0, v6 ? 2 : 1, UInt8(source), chance(0.9) ? 0 : byte()] + address
                    if chance(0.1) { data += [byte()] }  // an address octet too many
                } else {
                    data = (0..<Int.random(in: 0...4, using: &rng)).map { _ in byte() }
                }
                options += [UInt8(code >> 8), UInt8(code & 0xFF), 0, UInt8(data.count)] + data
            }
            let version: UInt8 = chance(0.1) ? UInt8.random(in: 1...3, using: &rng) : 0
            out += [0, 0, 41, byte(), byte(), 0, version, chance(0.5) ? 0x80 : 0, 0]
            out += [UInt8(options.count >> 8), UInt8(options.count & 0xFF)] + options
            out[11] = 1
        }
        // Damage: change a few octets (often a count), cut, or extend.
        if chance(0.5) {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    out[Int.random(in: 0..<out.count, using: &rng)] = byte()
                }
            case 1: out[Int.random(in: 4...11, using: &rng)] = UInt8.random(in: 0...2, using: &rng)
            case 2: out = Array(out.prefix(Int.random(in: 0..<out.count, using: &rng)))
            default: out += (0..<Int.random(in: 1...3, using: &rng)).map { _ in byte() }
            }
        }
        return out
    }
}
