import DNSWire
import Testing

/// Table-driven: each record type parsed from presentation, printed, and round-tripped on the wire.
@Suite struct RecordRoundTripTests {
    struct Case: Sendable, CustomStringConvertible {
        var type: RecordType
        var text: String
        var printed: String
        var wire: [UInt8]
        var description: String { "\(type) \(text)" }
    }

    static let origin: DNSName = "example.com."

    static let cases: [Case] = [
        Case(type: .a, text: "192.0.2.1", printed: "192.0.2.1", wire: [192, 0, 2, 1]),
        Case(type: .aaaa, text: "2001:db8::1", printed: "2001:db8::1",
             wire: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        Case(type: .ns, text: "ns1", printed: "ns1.example.com.",
             wire: [3, 110, 115, 49, 7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0]),
        Case(type: .cname, text: "target.example.net.", printed: "target.example.net.",
             wire: [6, 116, 97, 114, 103, 101, 116, 7, 101, 120, 97, 109, 112, 108, 101, 3, 110, 101, 116, 0]),
        Case(type: .ptr, text: "host.", printed: "host.", wire: [4, 104, 111, 115, 116, 0]),
        Case(type: .mx, text: "10 mail.", printed: "10 mail.", wire: [0, 10, 4, 109, 97, 105, 108, 0]),
        Case(type: .txt, text: "\"a b\" c \"d\\\"e\"", printed: "\"a b\" \"c\" \"d\\\"e\"",
             wire: [3, 97, 32, 98, 1, 99, 3, 100, 34, 101]),
        Case(type: .txt, text: "\"\\255\\000\"", printed: "\"\\255\\000\"", wire: [2, 255, 0]),
        Case(type: .srv, text: "1 2 51820 entry.", printed: "1 2 51820 entry.",
             wire: [0, 1, 0, 2, 0xCA, 0x6C, 5, 101, 110, 116, 114, 121, 0]),
        Case(type: .caa, text: "128 issue \"ca.example\"", printed: "128 issue \"ca.example\"",
             wire: [128, 5, 105, 115, 115, 117, 101, 99, 97, 46, 101, 120, 97, 109, 112, 108, 101]),
        Case(type: .soa, text: "ns. host. 1 2 3 4 5", printed: "ns. host. 1 2 3 4 5",
             wire: [2, 110, 115, 0, 4, 104, 111, 115, 116, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5]),
        Case(type: .soa, text: "ns. host. 1 1h 10m 2w 1d", printed: "ns. host. 1 3600 600 1209600 86400",
             wire: [2, 110, 115, 0, 4, 104, 111, 115, 116, 0, 0, 0, 0, 1, 0, 0, 0x0E, 0x10, 0, 0, 0x02, 0x58, 0, 0x12, 0x75, 0, 0, 1, 0x51, 0x80]),
        Case(type: RecordType(65280), text: "\\# 3 ABCDEF", printed: "\\# 3 ABCDEF", wire: [0xAB, 0xCD, 0xEF]),
        Case(type: .a, text: "\\# 4 C0000201", printed: "192.0.2.1", wire: [192, 0, 2, 1]),
    ]

    @Test(arguments: cases)
    func roundTrips(c: Case) throws {
        let data = try RData.parse(type: c.type, tokens: tokens(c.text), origin: Self.origin)
        #expect(data.type == c.type)
        #expect(data.description == c.printed)
        var w = DNSWireWriter(capacity: 64)
        data.encode(to: &w)
        #expect(bytes(w.buffer) == c.wire)
        #expect(try roundTrip(data) == data)
        // The printed form parses back to the same value.
        #expect(try RData.parse(type: c.type, tokens: tokens(c.printed), origin: Self.origin) == data)
    }

    @Test(arguments: [
        (RecordType.a, "300.1.1.1"), (.a, "1.2.3"), (.aaaa, "2001:db8:::1"), (.mx, "x mail."), (.mx, "10"),
        (.srv, "1 2 70000 x."), (.caa, "0 is-sue \"x\""), (.soa, "a. b. 1 2 3 4"), (.txt, ""),
        (RecordType(65280), "\\# 2 ABCDEF"), (RecordType(65280), "\\# 2 XYZW"), (RecordType(65280), "ABCD"),
        (.a, "\\# 3 010203"),
    ])
    func rejectsBadPresentation(type: RecordType, text: String) {
        #expect(throws: PresentationError.self) { try RData.parse(type: type, tokens: tokens(text), origin: Self.origin) }
    }

    @Test(arguments: [
        (RecordType.a, [1, 2, 3] as [UInt8]), (.aaaa, [1, 2, 3, 4]), (.txt, []), (.txt, [5, 97]),
        (.mx, [0]), (.caa, [0, 5, 105]), (.caa, [0, 0]), (.soa, [0, 0, 0, 0]),
    ])
    func rejectsBadWireRData(type: RecordType, data: [UInt8]) {
        var r = DNSWireReader(buffer(data))
        #expect(throws: DNSWireError.self) { try RData.decode(type: type, from: &r, length: data.count) }
    }

    @Test func rdlengthMustMatchNameLength() {
        // An NS whose name is shorter than RDLENGTH claims: leftover octets -> bad RDLENGTH.
        let data: [UInt8] = [1, 97, 0, 0xFF]
        var r = DNSWireReader(buffer(data))
        #expect(throws: DNSWireError.self) { try RData.decode(type: .ns, from: &r, length: 4) }
    }
}

/// Splits presentation text into tokens the way the zone-file tokenizer does (quotes respected).
func tokens(_ text: String) -> [PresentationToken] {
    var out: [PresentationToken] = []
    var current = ""
    var inQuotes = false
    var wasQuoted = false
    var escaped = false
    for ch in text {
        if escaped { current.append(ch); escaped = false; continue }
        if ch == "\\" { current.append(ch); escaped = true; continue }
        if ch == "\"" {
            if inQuotes { out.append(PresentationToken(current, quoted: true)); current = ""; wasQuoted = true }
            inQuotes.toggle()
            continue
        }
        if ch == " " && !inQuotes {
            if !current.isEmpty { out.append(PresentationToken(current)) }
            current = ""
            wasQuoted = false
            continue
        }
        current.append(ch)
    }
    if !current.isEmpty || (inQuotes && !wasQuoted) { out.append(PresentationToken(current)) }
    return out
}
