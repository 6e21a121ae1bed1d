import Testing

@testable import FormJoin

/// How encrypted resolvers are written, and how a certificate's names are matched.
@Suite struct EncryptedServerTests {
    @Test func resolversAreWrittenAsURLsWithALiteralAddress() throws {
        let dot = try #require(EncryptedServer.parse("tls://192.0.2.1#dns.example"))
        #expect(dot.kind == .tls && dot.endpoint.description == "192.0.2.1:853" && dot.serverName == "dns.example")
        #expect(dot.description == "tls://192.0.2.1:853#dns.example")
        let doh = try #require(EncryptedServer.parse("https://[2001:db8::1]:8443/resolve#dns.example"))
        #expect(doh.kind == .https && doh.endpoint.description == "[2001:db8::1]:8443" && doh.path == "/resolve")
        let bare = try #require(EncryptedServer.parse("https://192.0.2.1"))
        #expect(bare.endpoint.port == 443 && bare.path == "/dns-query" && bare.serverName == nil)
        #expect(EncryptedServer.parse("tls://[2001:db8::53]")?.endpoint.description == "[2001:db8::53]:853")
    }

    @Test func anythingElseIsRefused() {
        for text in [
            "dns.example", "udp://192.0.2.1", "tls://dns.example", "tls://192.0.2.1/path", "https://192.0.2.1/a b",
            "https://192.0.2.1/q?dns=x", "tls://192.0.2.1#", "tls://192.0.2.1#bad_name", "tls://192.0.2.1:0",
            "tls://192.0.2.1:99999", "https://", "tls://192.0.2.1#-x.example",
        ] {
            #expect(EncryptedServer.parse(text) == nil, "\(text)")
        }
    }

    @Test func certificateNamesMatchAsRFC6125Says() {
        #expect(CertificateName.matches("dns.example", pattern: "dns.example"))
        #expect(CertificateName.matches("DNS.Example.", pattern: "dns.example"))
        #expect(CertificateName.matches("a.dns.example", pattern: "*.dns.example"))
        #expect(!CertificateName.matches("dns.example", pattern: "*.dns.example"))
        #expect(!CertificateName.matches("a.b.dns.example", pattern: "*.dns.example"))
        #expect(!CertificateName.matches("other.example", pattern: "dns.example"))
        #expect(!CertificateName.matches("xdns.example", pattern: "*dns.example"))
    }

    @Test func pinsMustBeSHA256Digests() {
        #expect(EncryptedDNSTrust.problem(pin: String(repeating: "A", count: 43) + "=") == nil)
        #expect(EncryptedDNSTrust.problem(pin: "AAAA") != nil)
        #expect(EncryptedDNSTrust.problem(pin: "not base64!") != nil)
    }
}
