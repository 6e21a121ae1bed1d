import DNSWire
import DNSZone
import FormAuthority
import NIOCore
import Testing

/// Truncation of referrals and of answers with additional data, the CNAME hop limit, and unknown
/// EDNS options, through ResponseBuilder with zones built in memory. Expected values are written
/// out from the RFCs (and the sizes by hand), not taken from the engine.
@Suite struct TruncationAndLimitsTests {
    /// t.test: a delegation to 12 in-bailiwick name servers with A and AAAA glue, an MX set of 10
    /// in-zone mail hosts with A and AAAA, and CNAME chains of 15 and 40 links.
    static let zoneText: String = {
        var z = """
            $ORIGIN t.test.
            $TTL 300
            @        IN SOA ns.t.test. admin.t.test. 1 3600 600 86400 60
            @        IN NS  ns
            ns       IN A   127.0.0.1

            """
        for i in 1...12 {
            z += "sub IN NS ns\(i).sub\n"
            z += "ns\(i).sub IN A 192.0.2.\(i)\nns\(i).sub IN AAAA 2001:db8::\(i)\n"
        }
        for i in 1...10 {
            z += "mx IN MX \(i) mail\(i)\n"
            z += "mail\(i) IN A 192.0.2.\(100 + i)\nmail\(i) IN AAAA 2001:db8::\(100 + i)\n"
        }
        // short0 -> short1 -> ... -> short15 (15 CNAMEs), then an A.
        for i in 0..<15 { z += "short\(i) IN CNAME short\(i + 1)\n" }
        z += "short15 IN A 192.0.2.200\n"
        // long0 -> ... -> long40 (40 CNAMEs), then an A.
        for i in 0..<40 { z += "long\(i) IN CNAME long\(i + 1)\n" }
        z += "long40 IN A 192.0.2.201\n"
        return z
    }()
    static let zone: Zone = {
        let records = try! ZoneFileParser(origin: "t.test.", readFile: { _ in zoneText }).parse(file: "t.zone")
        return try! Zone(origin: "t.test.", records: records, file: "t.zone")
    }()
    static let builder = ResponseBuilder(engine: AuthorityEngine(zones: [zone]))

    /// The raw response and its parse.
    func respond(_ q: ByteBuffer, transport: ResponseBuilder.Transport = .udp) throws -> (
        size: Int, message: DNSMessage
    ) {
        var out = ByteBufferAllocator().buffer(capacity: 512)
        try #require(Self.builder.respond(to: q, transport: transport, into: &out))
        return (out.readableBytes, try DNSMessage(parsing: out))
    }

    func rrs(_ list: [DNSResourceRecord]) -> Set<String> { Set(list.map { "\($0.name) \($0.type) \($0.data)" }) }

    var glue: Set<String> {
        Set((1...12).flatMap { ["ns\($0).sub.t.test. A 192.0.2.\($0)", "ns\($0).sub.t.test. AAAA 2001:db8::\($0)"] })
    }

    /// RFC 1034 4.3.2 step 3b and RFC 9471 3.1: a referral carries the glue of its in-domain name
    /// servers; if that glue does not fit, TC is set. Sizes, fully compressed: header 12, question 20
    /// (www.sub.t.test), 12 NS records (9 of 18 octets, ns10-12 of 19), 12 A glue of 16 and 12 AAAA
    /// glue of 28: 779 octets, past 512; 251 without the glue, which would fit, so only the required
    /// glue can cause the TC.
    @Test func aReferralWhoseGlueDoesNotFitIsTruncated() throws {
        let (size, m) = try respond(query("www.sub.t.test.", .a))
        #expect(size <= 512)
        #expect(m.header.has(.truncated), "TC must be set when required glue is left out")
        #expect(!m.header.has(.authoritative) && m.rcode == .noError && m.answers.isEmpty)
        // Never a referral that lacks some of its glue: either no NS set, or the NS set with every glue record.
        #expect(m.authorities.isEmpty || rrs(m.additionals) == glue, "\(m)")
        // Over TCP (and under EDNS 1232) the whole referral, no TC.
        for (transport, edns) in [(ResponseBuilder.Transport.tcp, nil), (.udp, EDNS(udpPayloadSize: 1232))] {
            let (whole, full) = try respond(query("www.sub.t.test.", .a, edns: edns), transport: transport)
            #expect(!full.header.has(.truncated) && !full.header.has(.authoritative))
            #expect(rrs(full.authorities) == Set((1...12).map { "sub.t.test. NS ns\($0).sub.t.test." }))
            #expect(rrs(full.additionals) == glue)
            #expect(whole == 779 + (edns == nil ? 0 : 11))
        }
    }

    /// RFC 2181 section 9: TC is set only when a required RRset does not fit; additional data that
    /// does not fit is left out without TC. Sizes, fully compressed: header 12, question 15 (mx.t.test),
    /// 10 MX (9 of 22 octets, mail10 of 23): 248, which fits in 512; with the 20 address records
    /// (10 x 16 + 10 x 28) it is 688.
    @Test func additionalRecordsAreDroppedFirstWithoutTC() throws {
        let addresses = Set(
            (1...10).flatMap {
                ["mail\($0).t.test. A 192.0.2.\(100 + $0)", "mail\($0).t.test. AAAA 2001:db8::\(100 + $0)"]
            })
        let mx = Set((1...10).map { "mx.t.test. MX \($0) mail\($0).t.test." })
        let (size, m) = try respond(query("mx.t.test.", .mx))
        #expect(size <= 512)
        #expect(!m.header.has(.truncated), "only additional data was left out")
        #expect(m.header.has(.authoritative) && m.rcode == .noError)
        #expect(rrs(m.answers) == mx)
        #expect(rrs(m.additionals).isSubset(of: addresses) && rrs(m.additionals).count < addresses.count)
        let (whole, full) = try respond(query("mx.t.test.", .mx), transport: .tcp)
        #expect(whole == 688 && rrs(full.answers) == mx && rrs(full.additionals) == addresses)
    }

    /// In-zone CNAME chains are followed (RFC 1034 3.6.2, 4.3.2 step 3a) up to the documented limit of
    /// AuthorityEngine.maxCNAMEChain (16) hops; past it the answer is the chain so far, in order,
    /// NOERROR and authoritative, with no SOA (it is not a negative answer): the resolver goes on
    /// from the last target.
    @Test func cnameChainsStopAtTheHopLimit() throws {
        #expect(AuthorityEngine.maxCNAMEChain == 16)
        for transport in [ResponseBuilder.Transport.udp, .tcp] {
            let short = try respond(query("short0.t.test.", .a, edns: EDNS()), transport: transport).message
            #expect(short.rcode == .noError && short.header.has(.authoritative) && !short.header.has(.truncated))
            #expect(
                short.answers.map { "\($0.name) \($0.type) \($0.data)" }
                    == (0..<15).map { "short\($0).t.test. CNAME short\($0 + 1).t.test." } + [
                        "short15.t.test. A 192.0.2.200"
                    ])
            #expect(short.authorities.isEmpty)

            let long = try respond(query("long0.t.test.", .a, edns: EDNS()), transport: transport).message
            #expect(long.rcode == .noError && long.header.has(.authoritative) && !long.header.has(.truncated))
            #expect(long.answers.allSatisfy { $0.type == .cname })
            #expect(long.answers.count == AuthorityEngine.maxCNAMEChain)
            // A prefix of the chain, in order.
            #expect(
                long.answers.map { "\($0.name) \($0.data)" }
                    == (0..<long.answers.count).map { "long\($0).t.test. long\($0 + 1).t.test." })
            #expect(long.authorities.isEmpty && long.additionals.isEmpty)
        }
    }

    /// RFC 6891 6.1.2: options a responder does not understand are ignored: the same answer as
    /// without them, not echoed back, no FORMERR. NSID (3) and COOKIE (10) are options form-dns does
    /// not implement; 65001 is in the local/experimental range. A Client Subnet option among them
    /// is still honoured (echoed with SCOPE 0 for static data, RFC 7871 7.2.1).
    @Test func unknownEDNSOptionsAreIgnored() throws {
        let plain = try respond(query("ns.t.test.", .a, edns: EDNS())).message
        let ecs = ClientSubnet(family: .ipv4, fullAddress: [198, 51, 100, 0], sourcePrefixLength: 24)!
        let unknown: [EDNSOption] = [
            .unknown(code: 3, data: []), .unknown(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8]),
            .unknown(code: 65001, data: Array(repeating: 0xAB, count: 40)),
        ]
        for options in [unknown, [unknown[0], .clientSubnet(ecs)] + unknown.dropFirst()] {
            for transport in [ResponseBuilder.Transport.udp, .tcp] {
                let m = try respond(query("ns.t.test.", .a, edns: EDNS(options: options)), transport: transport).message
                #expect(m.rcode == .noError && m.header.has(.authoritative))
                #expect(m.answers == plain.answers && m.authorities == plain.authorities)
                let echoed = m.edns?.options ?? []
                #expect(
                    !echoed.contains {
                        if case .unknown = $0 { return true }
                        return false
                    }, "\(echoed)")
                let sentECS = options.contains {
                    if case .clientSubnet = $0 { return true }
                    return false
                }
                #expect(echoed == (sentECS ? [.clientSubnet(ecs.withScope(0))] : []), "\(echoed)")
            }
        }
        // The same through the general path (a name that is not precomputed: NXDOMAIN).
        let nx = try respond(query("nope.t.test.", .a, edns: EDNS(options: unknown))).message
        #expect(nx.rcode == .nxDomain && nx.authorities.map(\.type) == [.soa] && (nx.edns?.options ?? []).isEmpty)
    }
}
