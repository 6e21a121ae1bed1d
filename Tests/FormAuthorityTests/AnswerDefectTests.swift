import DNSWire
import DNSZone
import FormAuthority
import NIOCore
import Testing

/// Regressions for answers found wrong against NSD and Knot. Expected values are written out from
/// the RFCs, not taken from our own engine.
@Suite struct AnswerDefectTests {
    static let zoneText = """
        $ORIGIN t.test.
        $TTL 300
        @        IN SOA ns.t.test. admin.t.test. 1 3600 600 86400 60
        @        IN NS  ns
        ns       IN A   127.0.0.1
        sub      IN NS  ns.sub
        ns.sub   IN A   127.0.0.2
        signed   IN NS  ns.signed
        signed   IN DS  \\# 36 3039 0d 02 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
        ns.signed IN A  127.0.0.3
        odd      IN TYPE65534 \\# 2 abcd
        odd      IN A   127.0.0.4
        zero     IN TYPE0 \\# 1 ff
        zero     IN A   127.0.0.5
        """
    static let zone: Zone = {
        let records = try! ZoneFileParser(origin: "t.test.", readFile: { _ in zoneText }).parse(file: "t.zone")
        return try! Zone(origin: "t.test.", records: records, file: "t.zone")
    }()
    static let builder = ResponseBuilder(engine: AuthorityEngine(zones: [zone]))
    static let soaOwner: DNSName = "t.test."

    func ask(_ name: String, _ type: RecordType) throws -> DNSMessage {
        let answer = askBuilder(query(name, type, edns: EDNS()), Self.builder)
        return try #require(answer)
    }

    /// NODATA: NOERROR, AA, no answer, the zone's SOA alone in authority (RFC 2308 section 2.2).
    func expectNoData(_ m: DNSMessage, _ what: Comment) {
        #expect(m.rcode == .noError, what)
        #expect(m.header.has(.authoritative), what)
        #expect(m.answers.isEmpty, what)
        #expect(m.authorities.map(\.type) == [.soa], what)
        #expect(m.authorities.first?.name == Self.soaOwner, what)
        #expect(m.additionals.isEmpty, what)
    }

    /// RFC 4035 3.1.4.1: the parent is authoritative for DS at a delegation point.
    @Test func dsAtADelegationIsAnsweredByTheParent() throws {
        expectNoData(try ask("sub.t.test.", .ds), "DS at an unsigned delegation")
        expectNoData(try ask("SUB.t.test.", .ds), "DS at an unsigned delegation, other case")
        let signed = try ask("signed.t.test.", .ds)
        #expect(signed.rcode == .noError && signed.header.has(.authoritative))
        #expect(signed.answers.map(\.type) == [.ds] && signed.answers.first?.name == "signed.t.test.")
        #expect(signed.authorities.isEmpty)
        // Below the cut, and other types at it, are still referrals.
        for (name, type) in [("sub.t.test.", RecordType.a), ("x.sub.t.test.", .ds), ("signed.t.test.", .mx)] {
            let m = try ask(name, type)
            #expect(!m.header.has(.authoritative) && m.answers.isEmpty, "\(name) \(type)")
            #expect(m.authorities.map(\.type) == [.ns], "\(name) \(type)")
        }
    }

    /// A type the zone holds (65534 is BIND's private signing-state type) is never the answer for
    /// another type.
    @Test func privateTypesDoNotLeakIntoOtherAnswers() throws {
        for type in [RecordType.mx, .txt, .aaaa, RecordType(65533), RecordType(65280)] {
            expectNoData(try ask("odd.t.test.", type), "odd \(type)")
        }
        let own = try ask("odd.t.test.", RecordType(65534))
        #expect(own.answers.map(\.type) == [RecordType(65534)])
        expectNoData(try ask("zero.t.test.", .mx), "zero MX")
        #expect(try ask("zero.t.test.", RecordType(0)).answers.map(\.type) == [RecordType(0)])
    }

    /// QTYPE 65535 (reserved) at an existing name is NODATA like any type the name lacks.
    @Test func qtype65535IsNoData() throws {
        expectNoData(try ask("odd.t.test.", RecordType(65535)), "odd TYPE65535")
        expectNoData(try ask("t.test.", RecordType(65535)), "apex TYPE65535")
        expectNoData(try ask("ns.t.test.", RecordType(0)), "TYPE0")
    }
}

private func askBuilder(_ q: ByteBuffer, _ builder: ResponseBuilder) -> DNSMessage? {
    ask(q, builder: builder)
}
