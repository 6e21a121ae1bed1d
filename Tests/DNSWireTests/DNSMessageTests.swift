import DNSWire
import NIOCore
import Testing

@Suite struct DNSMessageTests {
    let header: [UInt8] = [0x12, 0x34, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0]

    @Test func roundTripsWithCompression() throws {
        var m = DNSMessage(header: DNSHeader(id: 7, flags: 0x8400))
        m.questions = [DNSQuestion(name: "www.example.com.", type: .a)]
        m.answers = [
            DNSResourceRecord(name: "www.example.com.", ttl: 60, data: .cname(CNAMERecord("web.example.com."))),
            DNSResourceRecord(name: "web.example.com.", ttl: 60, data: .a(ARecord(192, 0, 2, 1))),
        ]
        m.authorities = [DNSResourceRecord(name: "example.com.", ttl: 60, data: .ns(NSRecord("ns.example.com.")))]
        m.additionals = [DNSResourceRecord(name: "ns.example.com.", ttl: 60, data: .a(ARecord(192, 0, 2, 53)))]
        m.edns = EDNS(udpPayloadSize: 1232, dnssecOK: true, options: [.unknown(code: 65001, data: [1, 2])])
        let wire = try m.encode()
        let back = try DNSMessage(parsing: wire)
        #expect(back.questions == m.questions)
        #expect(back.answers == m.answers)
        #expect(back.authorities == m.authorities)
        #expect(back.additionals == m.additionals)
        #expect(back.edns == m.edns)
        // Compression: "www.example.com." appears once in full; later names point back.
        let uncompressedNames = 17 + 17 + 13 + 16 + 16 + 16
        #expect(wire.readableBytes < 12 + uncompressedNames + 4 + 4 * 10 + 4 + 4 + 4)
        // header, question, CNAME (owner ptr, "web"+ptr), A (ptr), NS (ptr, "ns"+ptr), glue A (ptr), OPT.
        #expect(bytes(wire).count == 12 + (17 + 4) + (2 + 10 + 6) + (2 + 10 + 4) + (2 + 10 + 5) + (2 + 10 + 4) + (11 + 6))
    }

    @Test func keepsQuestionCaseAndPreservesIt() throws {
        let q = try queryBytes(name: "WwW.ExAmPlE.", type: .a)
        let m = try DNSMessage(parsing: buffer(q))
        #expect(m.questions[0].name.description == "WwW.ExAmPlE.")
    }

    @Test func rejectsForwardAndSelfPointers() {
        // QNAME is a pointer to itself (offset 12).
        let selfLoop = header + [0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSWireError.badCompressionPointer(offset: 12)) { try DNSMessage(parsing: buffer(selfLoop)) }
        // Pointer forward, past its own position.
        let forward = header + [0xC0, 20, 0, 1, 0, 1, 0, 0, 0, 0, 0]
        #expect(throws: DNSWireError.self) { try DNSMessage(parsing: buffer(forward)) }
        // Two pointers pointing at each other (loop) via an answer record.
        var loop = header + [1, 97, 0, 0, 1, 0, 1]
        loop += [0xC0, 31, 0xC0, 29, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]
        #expect(throws: DNSWireError.self) { try DNSMessage(parsing: buffer(loop)) }
    }

    @Test func rejectsBadLabels() {
        var long = header
        long.append(64)
        long += [UInt8](repeating: 97, count: 64) + [0, 0, 1, 0, 1]
        // On the wire a length of 64 (0b01000000) is label type 01, which RFC 6891 retired.
        #expect(throws: DNSWireError.unsupportedLabelType(0x40)) { try DNSMessage(parsing: buffer(long)) }
        let reserved = header + [0x40, 0, 0, 1, 0, 1]
        #expect(throws: DNSWireError.unsupportedLabelType(0x40)) { try DNSMessage(parsing: buffer(reserved)) }
        // A name longer than 255 octets built from 5 labels of 60.
        var tooLong = header
        for _ in 0..<5 { tooLong.append(60); tooLong += [UInt8](repeating: 98, count: 60) }
        tooLong += [0, 0, 1, 0, 1]
        #expect(throws: DNSWireError.nameTooLong) { try DNSMessage(parsing: buffer(tooLong)) }
    }

    @Test func rejectsNameTooLongThroughPointers() {
        // A 244-octet name at offset 12, then a name that prepends a 21-octet label and points to it.
        var m: [UInt8] = [0, 1, 0x84, 0, 0, 2, 0, 0, 0, 0, 0, 0]
        for _ in 0..<3 { m.append(63); m += [UInt8](repeating: 99, count: 63) }
        m += [50] + [UInt8](repeating: 101, count: 50)
        m += [0, 0, 1, 0, 1]
        m += [20] + [UInt8](repeating: 100, count: 20) + [0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSWireError.nameTooLong) { try DNSMessage(parsing: buffer(m)) }
    }

    @Test func rejectsTruncationAtEveryLength() throws {
        var m = DNSMessage(header: DNSHeader(id: 1, flags: 0x8400), questions: [DNSQuestion(name: "a.example.", type: .mx)])
        m.answers = [DNSResourceRecord(name: "a.example.", ttl: 1, data: .mx(MXRecord(preference: 1, exchange: "mx.example.")))]
        m.edns = EDNS(options: [.clientSubnet(ClientSubnet(family: .ipv4, fullAddress: [192, 0, 2, 0], sourcePrefixLength: 24)!)])
        // The message written out by hand (RFC 1035 4.1, RFC 6891 6.1.2, RFC 7871 6).
        let full: [UInt8] = [0, 1, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 1]                    // ID 1, QR AA, 1/1/0/1
            + [1, 0x61, 7, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65, 0, 0, 15, 0, 1]     // a.example. MX IN
            + [0xC0, 12, 0, 15, 0, 1, 0, 0, 0, 1, 0, 7]                                 // ptr, MX IN, TTL 1, RDLEN 7
            + [0, 1, 2, 0x6D, 0x78, 0xC0, 14]                                          // 1 mx.(ptr to example.)
            + [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 11]                                 // OPT, 1232, RDLEN 11
            + [0, 8, 0, 7, 0, 1, 24, 0, 192, 0, 2]                                     // ECS 192.0.2.0/24
        #expect(bytes(try m.encode()) == full)
        for n in 0..<full.count {
            #expect(throws: DNSWireError.self, "prefix of \(n) octets") { try DNSMessage(parsing: buffer(Array(full[0..<n]))) }
        }
        // The whole message parses into the values above, each built here independently of the codec.
        let back = try DNSMessage(parsing: buffer(full))
        #expect(back.header.id == 1 && back.header.flags == 0x8400)
        #expect(back.questions.map(\.name.description) == ["a.example."])
        #expect(back.questions.map(\.type.rawValue) == [15] && back.questions.map(\.recordClass.rawValue) == [1])
        let answer = try #require(back.answers.first)
        #expect(back.answers.count == 1 && answer.name.description == "a.example." && answer.ttl == 1)
        guard case .mx(let mx) = answer.data else { Issue.record("not MX: \(answer.data)"); return }
        #expect(mx.preference == 1 && mx.exchange.description == "mx.example.")
        #expect(back.authorities.isEmpty && back.additionals.isEmpty)
        let edns = try #require(back.edns)
        #expect(edns.udpPayloadSize == 1232 && edns.version == 0 && !edns.dnssecOK && edns.extendedRcode == 0)
        #expect(edns.options.count == 1)
        let ecs = try #require(edns.clientSubnet)
        #expect(ecs.family == .ipv4 && ecs.sourcePrefixLength == 24 && ecs.scopePrefixLength == 0)
        #expect(ecs.address == [192, 0, 2])
    }

    @Test func rejectsTrailingGarbageUnlessAllowed() throws {
        let q = try queryBytes(name: "a.example.", type: .a) + [0xDE, 0xAD]
        #expect(throws: DNSWireError.trailingData(2)) { try DNSMessage(parsing: buffer(q)) }
        #expect(try DNSMessage(parsing: buffer(q), allowTrailingData: true).questions.count == 1)
    }

    @Test func rejectsBadRDLength() {
        // An A record whose RDLENGTH is 5.
        let m = header + [1, 97, 0, 0, 1, 0, 1] + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 1, 2, 3, 4, 5]
        #expect(throws: DNSWireError.self) { try DNSMessage(parsing: buffer(m)) }
        // RDLENGTH past the end of the message.
        let past = header + [1, 97, 0, 0, 1, 0, 1] + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 9, 1, 2, 3, 4]
        #expect(throws: DNSWireError.self) { try DNSMessage(parsing: buffer(past)) }
    }

    @Test func ednsRules() throws {
        // Two OPT records.
        let opt: [UInt8] = [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]
        var two = try queryBytes(name: "a.", type: .a)
        two[11] = 2
        two += opt + opt
        #expect(throws: DNSWireError.self) { try DNSMessage(parsing: buffer(two)) }
        // OPT with a non-root owner.
        var owned = try queryBytes(name: "a.", type: .a)
        owned[11] = 1
        owned += [1, 97, 0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]
        #expect(throws: DNSWireError.self) { try DNSMessage(parsing: buffer(owned)) }
        // Extended RCODE: BADVERS = 16 spans header and OPT.
        var m = DNSMessage(header: DNSHeader(id: 1, flags: 0x8000), edns: EDNS())
        m.rcode = .badVers
        let back = try DNSMessage(parsing: m.encode())
        #expect(back.rcode == .badVers)
        #expect(back.header.rcodeLow == 0)
        #expect(back.edns?.extendedRcode == 1)
        #expect(EDNS(udpPayloadSize: 100).effectivePayloadSize == 512)
    }

    @Test func truncationDropsAdditionalThenSetsTC() throws {
        var m = DNSMessage(header: DNSHeader(id: 1, flags: 0x8400), questions: [DNSQuestion(name: "t.example.", type: .txt)])
        let big = [UInt8](repeating: 120, count: 200)
        m.answers = (0..<3).map { _ in DNSResourceRecord(name: "t.example.", ttl: 1, data: .txt(TXTRecord(strings: [big])!)) }
        m.additionals = [DNSResourceRecord(name: "t.example.", ttl: 1, data: .txt(TXTRecord(strings: [big])!))]
        // Everything fits in 1232.
        #expect(try DNSMessage(parsing: m.encode(maxSize: 1232)).additionals.count == 1)
        // 700 octets: answers fit, the additional record is dropped without TC.
        let noAdditional = try DNSMessage(parsing: m.encode(maxSize: 700))
        #expect(noAdditional.answers.count == 3 && noAdditional.additionals.isEmpty && !noAdditional.header.has(.truncated))
        // 512 octets: answers do not fit -> TC, question only.
        let cut = try DNSMessage(parsing: m.encode(maxSize: 512))
        #expect(cut.header.has(.truncated) && cut.answers.isEmpty && cut.questions.count == 1)
    }
}

@Suite struct ClientSubnetTests {
    @Test(arguments: [
        ([0, 1, 24, 0, 192, 0, 2] as [UInt8], true),
        ([0, 1, 0, 0], true),                       // SOURCE 0, no address octets
        ([0, 2, 56, 0, 0x20, 1, 0x0d, 0xb8, 0, 0, 0], true),
        ([0, 1, 24, 0, 192, 0, 2, 0], false),       // address longer than ceil(24/8)
        ([0, 1, 23, 0, 192, 0, 3], false),          // bit past SOURCE set
        ([0, 1, 33, 0, 1, 2, 3, 4, 5], false),      // SOURCE > 32
        ([0, 3, 8, 0, 1], false),                   // unknown family
        ([0, 1, 8], false),                         // too short
    ])
    func validatesOptionData(data: [UInt8], valid: Bool) {
        #expect((ClientSubnet(optionData: data) != nil) == valid)
    }

    @Test func masksAndReportsScope() throws {
        let s = try #require(ClientSubnet(family: .ipv4, fullAddress: [192, 0, 2, 77], sourcePrefixLength: 20))
        #expect(s.address == [192, 0, 0])
        #expect(s.fullAddress == [192, 0, 0, 0])
        #expect(s.withScope(16).optionData == [0, 1, 20, 16, 192, 0, 0])
    }
}
