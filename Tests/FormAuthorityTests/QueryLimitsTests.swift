import DNSWire
import FormAuthority
import NetAddress
import NIOCore
import Testing

/// Cookies and rate limiting on the answer path: what a client sees, and what a spoofed victim gets.
@Suite struct QueryLimitsTests {
    static let secret = SipHash24(k0: 0x0102_0304_0506_0708, k1: 0x1112_1314_1516_1718)

    static func builder(rate: Int = 5, slip: Int = 2, logOnly: Bool = false, cookies: Bool = true) -> ResponseBuilder {
        var s = RateLimitSettings()
        s.responsesPerSecond = rate
        s.windowSeconds = 5
        s.slip = slip
        s.exempt = [IPNetwork("10.9.0.0/16")!]
        s.logOnly = logOnly
        let limits = QueryLimits(
            rateLimiter: ResponseRateLimiter(settings: s, seed: 1),
            cookies: cookies ? ServerCookies(current: secret) : nil)
        return ResponseBuilder(engine: demoEngine, limits: limits)
    }

    static func cookieQuery(_ name: String, client: [UInt8], server: [UInt8] = []) -> ByteBuffer {
        query(name, .a, edns: EDNS(options: [.unknown(code: DNSCookie.optionCode, data: client + server)]))
    }

    /// The answer and its bytes, or nil when dropped.
    static func send(_ b: ResponseBuilder, _ q: ByteBuffer, from source: String, transport: ResponseBuilder.Transport = .udp,
                     at second: UInt32 = 1000) -> (DNSMessage, Int)? {
        var out = ByteBufferAllocator().buffer(capacity: 512)
        let clock = QueryClock(monotonicSeconds: second, unixSeconds: 1_800_000_000 + second)
        guard b.respond(to: q, source: IPAddress(source)!, transport: transport, clock: clock, into: &out) else {
            return nil
        }
        return (try! DNSMessage(parsing: out), out.readableBytes)
    }

    static func cookie(_ m: DNSMessage) -> [UInt8]? {
        for case .unknown(let code, let data) in m.edns?.options ?? [] where code == DNSCookie.optionCode { return data }
        return nil
    }

    @Test func aClientCookieIsAnsweredWithOurs() throws {
        let b = Self.builder()
        let client: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let (m, _) = try #require(Self.send(b, Self.cookieQuery("www.formation.test.", client: client), from: "192.0.2.1"))
        let cookie = try #require(Self.cookie(m))
        #expect(cookie.count == 24 && Array(cookie[0..<8]) == client && cookie[8] == 1)
        #expect(m.rcode == .noError && !m.answers.isEmpty)
        // Without cookies configured the option is ignored, as by a server that does not know it.
        let plain = try #require(Self.send(Self.builder(cookies: false),
                                           Self.cookieQuery("www.formation.test.", client: client), from: "192.0.2.1"))
        #expect(Self.cookie(plain.0) == nil)
        // Over TCP too.
        let tcp = try #require(Self.send(b, Self.cookieQuery("www.formation.test.", client: client), from: "192.0.2.1",
                                         transport: .tcp))
        #expect(Self.cookie(tcp.0)?.count == 24)
    }

    /// RFC 7873 5.2.2: a COOKIE option of a length it does not allow is FORMERR.
    @Test(arguments: [0, 7, 9, 15, 41])
    func malformedCookiesAreFormErr(length: Int) throws {
        let q = Self.cookieQuery("www.formation.test.", client: Array(repeating: 1, count: length))
        let (m, _) = try #require(Self.send(Self.builder(), q, from: "192.0.2.1"))
        #expect(m.rcode == .formErr)
    }

    @Test func floodsAreDroppedOrSlippedTruncated() throws {
        let b = Self.builder(rate: 5, slip: 2)
        let q = query("www.formation.test.", .a, edns: EDNS())
        let replies = (0..<25).map { _ in Self.send(b, q, from: "192.0.2.1") }
        let answered = replies.compactMap { $0 }.filter { !$0.0.header.has(.truncated) }
        let truncated = replies.compactMap { $0 }.filter { $0.0.header.has(.truncated) }
        #expect(answered.count == 5)
        #expect(truncated.count == 10 && truncated.allSatisfy { $0.0.answers.isEmpty && $0.0.questions.count == 1 })
        #expect(replies.filter { $0 == nil }.count == 10)
        // TCP, an exempt network and another /24 are answered.
        #expect(Self.send(b, q, from: "192.0.2.1", transport: .tcp)?.0.answers.isEmpty == false)
        #expect(Self.send(b, q, from: "10.9.1.1").map { !$0.0.header.has(.truncated) } == true)
        #expect(Self.send(b, q, from: "192.0.3.1").map { !$0.0.header.has(.truncated) } == true)
        // Log-only: all answered.
        let logOnly = Self.builder(rate: 5, logOnly: true)
        #expect((0..<20).compactMap { _ in Self.send(logOnly, q, from: "192.0.2.1") }
                    .filter { !$0.0.header.has(.truncated) && !$0.0.answers.isEmpty }.count == 20)
    }

    /// Random names under one zone are one flow (NXDOMAIN is counted by zone).
    @Test func randomSubdomainsAreOneFlow() {
        let b = Self.builder(rate: 5, slip: 0)
        let answered = (0..<40).compactMap { i in
            Self.send(b, query("r\(i)x\(i * 7).formation.test.", .a, edns: EDNS()), from: "192.0.2.1")
        }
        #expect(answered.count == 5 && answered.allSatisfy { $0.0.rcode == .nxDomain })
    }

    /// A limited client that sent a cookie is told BADCOOKIE with a fresh one; sent back, the cookie
    /// exempts it, so a real client gets through a flood that spoofs its network.
    @Test func aValidCookieGetsThroughAFlood() throws {
        let b = Self.builder(rate: 5, slip: 1)
        let client: [UInt8] = [9, 9, 9, 9, 9, 9, 9, 9]
        let q = Self.cookieQuery("www.formation.test.", client: client)
        for _ in 0..<10 { _ = Self.send(b, q, from: "192.0.2.1") }
        let (told, _) = try #require(Self.send(b, q, from: "192.0.2.1"))
        #expect(told.rcode == DNSCookie.badCookie && told.answers.isEmpty)
        let cookie = try #require(Self.cookie(told))
        let again = Self.cookieQuery("www.formation.test.", client: client, server: Array(cookie[8...]))
        for _ in 0..<20 {
            let (m, _) = try #require(Self.send(b, again, from: "192.0.2.1"))
            #expect(m.rcode == .noError && !m.answers.isEmpty)
        }
        // A made-up server cookie does not exempt.
        let forged = Self.cookieQuery("www.formation.test.", client: client, server: [1] + Array(repeating: 0, count: 15))
        #expect(Self.send(b, forged, from: "192.0.2.1")?.0.rcode == DNSCookie.badCookie)
    }

    /// Towards a spoofed victim, bytes out never exceed bytes in once the flow is limited, whatever
    /// the query: plain, with EDNS, with a client cookie; an answer far larger than its query.
    @Test(arguments: [0, 1, 2])
    func theAmplificationOfAFloodStaysBelowOne(kind: Int) throws {
        let b = Self.builder(rate: 5, slip: 2)
        let name = "big.formation.test."
        let q: ByteBuffer
        switch kind {
        case 0: q = query(name, .txt)
        case 1: q = query(name, .txt, edns: EDNS(udpPayloadSize: 4096))
        default:
            q = query(name, .txt, edns: EDNS(udpPayloadSize: 4096, options: [.unknown(code: 10, data: Array(repeating: 3, count: 8))]))
        }
        var bytesIn = 0, bytesOut = 0
        for second in UInt32(0)..<10 {
            for _ in 0..<1000 {
                bytesIn += q.readableBytes
                bytesOut += Self.send(b, q, from: "203.0.113.9", at: 1000 + second)?.1 ?? 0
            }
        }
        #expect(Double(bytesOut) / Double(bytesIn) <= 1, "\(bytesOut) out for \(bytesIn) in")
    }
}
