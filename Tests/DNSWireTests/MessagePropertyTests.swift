import DNSWire
import PropertyBased
import Testing

/// Property: any message built from valid parts survives encode -> parse unchanged.
@Suite struct MessagePropertyTests {
    static let label = Gen.letterOrNumber.string(of: 1...12)
    static let name = label.array(of: 1...4).map { labels in
        try! DNSName(labels: labels.map { Array($0.utf8) })
    }
    static let rdata = zip(Gen.int(in: 0...6), name, Gen.uint32(), Gen.letterOrNumber.string(of: 0...40)).map {
        kind, n, v, text -> RData in
        switch kind {
        case 0: return .a(ARecord(UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8), 2, 1))
        case 1: return .ns(NSRecord(n))
        case 2: return .mx(MXRecord(preference: UInt16(truncatingIfNeeded: v), exchange: n))
        case 3: return .txt(TXTRecord(text))
        case 4: return .srv(SRVRecord(priority: 1, weight: UInt16(truncatingIfNeeded: v), port: 53, target: n))
        case 5: return .soa(SOARecord(mname: n, rname: n, serial: v, refresh: 1, retry: 2, expire: 3, minimum: v))
        default: return .unknown(UnknownRecord(type: RecordType(65000), data: Array(text.utf8)))
        }
    }
    static let record = zip(name, Gen.uint32(), rdata).map { DNSResourceRecord(name: $0, ttl: $1, data: $2) }

    @Test func encodeParseRoundTrip() async {
        await propertyCheck(count: 300, input: Self.name, Self.record.array(of: 0...6), Self.record.array(of: 0...3), Gen.uint16()) { qname, answers, extra, id in
            let m = DNSMessage(header: DNSHeader(id: id, flags: 0x8400), questions: [DNSQuestion(name: qname, type: .a)],
                               answers: answers, authorities: extra, additionals: extra, edns: EDNS())
            let back = try DNSMessage(parsing: m.encode())
            #expect(back.questions == m.questions)
            #expect(back.answers == m.answers)
            #expect(back.authorities == m.authorities)
            #expect(back.additionals == m.additionals)
            #expect(back.header.id == id)
        }
    }
}
