import DNSWire
import FormAuthority
import NetAddress
import NIOCore
import Testing

/// Server cookies against RFC 9018's Appendix A, and the checks of section 4.3.
@Suite struct ServerCookiesTests {
    static func hex(_ text: String) -> [UInt8] {
        stride(from: 0, to: text.count, by: 2).map { i in
            let a = text.index(text.startIndex, offsetBy: i)
            return UInt8(text[a..<text.index(a, offsetBy: 2)], radix: 16)!
        }
    }

    static func cookies(_ secret: String, previous: String? = nil) -> ServerCookies {
        ServerCookies(
            current: SipHash24(key: hex(secret))!, previous: previous.map { SipHash24(key: hex($0))! })
    }

    static func word(_ text: String) -> UInt64 { hex(text).reduce(0) { $0 << 8 | UInt64($1) } }

    /// A query carrying `client` and, when given, `server` as its COOKIE option.
    static func query(client: String, server: [UInt8]? = nil) -> ByteBuffer {
        let data = hex(client) + (server ?? [])
        let m = DNSMessage(
            header: DNSHeader(id: 7), questions: [DNSQuestion(name: try! DNSName(parsing: "example.com."), type: .a)],
            edns: EDNS(options: [.unknown(code: DNSCookie.optionCode, data: data)]))
        return try! m.encode()
    }

    static func check(_ cookies: ServerCookies, _ q: ByteBuffer, client: String, now: UInt32)
        -> (ServerCookies.Check, ServerCookieValue)
    {
        q.withUnsafeReadableBytes { bytes in
            cookies.check(DNSQueryView(bytes: bytes), query: bytes, client: IPAddress(client)!, now: now)
        }
    }

    static let secret = "e5e973e5a6b2a43f48e7dc849e37bfcf"

    /// A.1: a new server cookie for 198.51.100.100.
    @Test func learningANewServerCookie() {
        let made = Self.cookies(Self.secret).make(
            clientCookie: Self.word("2464c4abcf10c957"), client: IPAddress("198.51.100.100")!, now: 1_559_731_985)
        #expect(made.bytes == Self.hex("010000005cf79f111f8130c3eee29480"))
    }

    /// A.2: the same client 40 minutes later: valid, and past half an hour, so made again.
    @Test func theNextQueryGetsAFreshCookiePastHalfAnHour() {
        let q = Self.query(client: "2464c4abcf10c957", server: Self.hex("010000005cf79f111f8130c3eee29480"))
        let (check, reply) = Self.check(Self.cookies(Self.secret), q, client: "198.51.100.100", now: 1_559_734_385)
        #expect(check == .valid)
        #expect(reply.bytes == Self.hex("010000005cf7a871d4a564a1442aca77"))
    }

    /// Another server of the anycast set, with the same secret, accepts it (A.3's point): a cookie
    /// made by one `ServerCookies` is valid at another made from the same secret.
    @Test func anotherServerWithTheSameSecretAcceptsIt() {
        let client = IPAddress("198.51.100.100")!
        let made = Self.cookies(Self.secret).make(clientCookie: Self.word("fc93fc62807ddb86"), client: client,
                                                  now: 1_559_734_700)
        let q = Self.query(client: "fc93fc62807ddb86", server: made.bytes)
        #expect(Self.check(Self.cookies(Self.secret), q, client: "198.51.100.100", now: 1_559_734_710).0 == .valid)
    }

    /// What Knot 3.2's mod-cookies answered 127.0.0.1 for this client cookie with this secret
    /// (kdig +cookie, read once): another implementation, the same cookie.
    @Test func knotMakesTheSameCookie() {
        let made = Self.cookies(Self.secret).make(
            clientCookie: Self.word("2464c4abcf10c957"), client: IPAddress("127.0.0.1")!, now: 0x6B0F_5FCA)
        #expect(made.bytes == Self.hex("010000006b0f5fca310466aa10d28e43"))
    }

    /// The same from ::1: Knot's answer to an IPv6 client (the address is 16 octets in the hash).
    @Test func knotMakesTheSameCookieForIPv6() {
        let made = Self.cookies(Self.secret).make(
            clientCookie: Self.word("22681ab97d52c298"), client: IPAddress("::1")!, now: 0x6B0F_6399)
        #expect(made.bytes == Self.hex("010000006b0f639910f2ce2bc0921c2a"))
    }

    @Test func validFreshCookiesComeBackAsTheyCame() {
        let cookies = Self.cookies(Self.secret)
        let made = cookies.make(clientCookie: 0x1122_3344_5566_7788, client: IPAddress("192.0.2.1")!, now: 1000)
        let q = Self.query(client: "1122334455667788", server: made.bytes)
        let (check, reply) = Self.check(cookies, q, client: "192.0.2.1", now: 1000 + 600)
        #expect(check == .valid && reply == made)
        // Another address, another client cookie, a tampered hash: invalid, and a fresh one given.
        #expect(Self.check(cookies, q, client: "192.0.2.2", now: 1600).0 == .invalid)
        let other = Self.query(client: "1122334455667789", server: made.bytes)
        #expect(Self.check(cookies, other, client: "192.0.2.1", now: 1600).0 == .invalid)
        var tampered = made.bytes
        tampered[15] ^= 1
        let bad = Self.query(client: "1122334455667788", server: tampered)
        let (badCheck, fresh) = Self.check(cookies, bad, client: "192.0.2.1", now: 1600)
        #expect(badCheck == .invalid && fresh == cookies.make(
            clientCookie: 0x1122_3344_5566_7788, client: IPAddress("192.0.2.1")!, now: 1600))
    }

    @Test func anHourOldOrFiveMinutesAheadIsInvalid() {
        let cookies = Self.cookies(Self.secret)
        let client = IPAddress("192.0.2.1")!
        let made = cookies.make(clientCookie: 42, client: client, now: 10_000)
        let q = Self.query(client: "000000000000002a", server: made.bytes)
        #expect(Self.check(cookies, q, client: "192.0.2.1", now: 10_000 + 3600).0 == .valid)
        #expect(Self.check(cookies, q, client: "192.0.2.1", now: 10_000 + 3601).0 == .invalid)
        #expect(Self.check(cookies, q, client: "192.0.2.1", now: 10_000 - 300).0 == .valid)
        #expect(Self.check(cookies, q, client: "192.0.2.1", now: 10_000 - 301).0 == .invalid)
    }

    /// Rotation: a cookie of the previous secret is still valid, and replaced by one of the current.
    @Test func thePreviousSecretIsStillAcceptedAndReplaced() {
        let old = Self.cookies(Self.secret)
        let rotated = Self.cookies("dd3bdf9344b678b185a6f5cb60fca715", previous: Self.secret)
        let client = IPAddress("198.51.100.100")!
        let made = old.make(clientCookie: 7, client: client, now: 5000)
        let q = Self.query(client: "0000000000000007", server: made.bytes)
        let (check, reply) = Self.check(rotated, q, client: "198.51.100.100", now: 5010)
        #expect(check == .valid && reply == rotated.make(clientCookie: 7, client: client, now: 5010))
        #expect(Self.check(Self.cookies("dd3bdf9344b678b185a6f5cb60fca715"), q, client: "198.51.100.100", now: 5010).0
                == .invalid)
    }

    /// A client cookie alone, or a server cookie of another form (8 octets, another version).
    @Test func clientOnlyAndForeignServerCookies() {
        let cookies = Self.cookies(Self.secret)
        #expect(Self.check(cookies, Self.query(client: "0102030405060708"), client: "192.0.2.1", now: 1).0 == .clientOnly)
        let eight = Self.query(client: "0102030405060708", server: Array(repeating: 9, count: 8))
        #expect(Self.check(cookies, eight, client: "192.0.2.1", now: 1).0 == .clientOnly)
        let version2 = Self.query(client: "0102030405060708", server: [2] + Array(repeating: 0, count: 15))
        #expect(Self.check(cookies, version2, client: "192.0.2.1", now: 1).0 == .clientOnly)
    }
}
