import DNSWire
import Testing

@Suite struct HostPortTextTests {
    @Test(arguments: [
        ("127.0.0.1:5300", "127.0.0.1", 5300),
        ("127.0.0.1", "127.0.0.1", 53),
        ("[::1]:5300", "::1", 5300),
        ("[::1]", "::1", 53),
        ("::1", "::1", 53),                       // more than one colon and no brackets: all address
        ("2001:db8::10", "2001:db8::10", 53),
        ("0.0.0.0:0", "0.0.0.0", 0),
        ("[::ffff:192.0.2.1]:65535", "::ffff:192.0.2.1", 65535),
    ])
    func parses(text: String, host: String, port: Int) throws {
        let parsed = try #require(HostPortText.parse(text, defaultPort: 53))
        #expect(parsed.host == host && parsed.port == port)
    }

    @Test(arguments: ["", "host:53", "localhost", "1.2.3.4:70000", "1.2.3.4:-1", "1.2.3.4:", "[::1", "[::1]x", "[::1]:x",
                      "[127.0.0.1]:53x", "256.1.1.1", "1.2.3:53", "2001:db8::10:53:"])
    func rejects(text: String) {
        #expect(HostPortText.parse(text, defaultPort: 53) == nil)
    }
}
