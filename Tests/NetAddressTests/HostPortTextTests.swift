import NetAddress
#if canImport(Glibc)
import Glibc
#endif
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

@Suite struct SockaddrTextTests {
    @Test func ipv4IsASockaddrIn() throws {
        let (family, port, length, address) = try SockaddrText.with(host: "192.0.2.7", port: 5300) { sa, len in
            sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                (Int32($0.pointee.sin_family), UInt16(bigEndian: $0.pointee.sin_port), len, UInt32(bigEndian: $0.pointee.sin_addr.s_addr))
            }
        }
        #expect(family == AF_INET && port == 5300 && length == socklen_t(MemoryLayout<sockaddr_in>.size))
        #expect(address == 0xC000_0207)
    }

    @Test func ipv6IsASockaddrIn6() throws {
        let (family, port, length, address) = try SockaddrText.with(host: "2001:db8::10", port: 53) { sa, len in
            sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                (Int32($0.pointee.sin6_family), UInt16(bigEndian: $0.pointee.sin6_port), len, withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) })
            }
        }
        #expect(family == AF_INET6 && port == 53 && length == socklen_t(MemoryLayout<sockaddr_in6>.size))
        #expect(address == [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x10])
    }

    /// Issue 11.9: an address inet_pton cannot read used to be left all zeros, so a bind or connect
    /// went to 0.0.0.0. Now nothing is called and the caller gets the error.
    @Test(arguments: ["not-an-ip", "", "localhost", "256.1.1.1", "1.2.3", "2001:db8::10::1", "[::1]",
                      "127.0.0.1:53", "not-an-ip%lo", "127.0.0.1%lo"])
    func notAnAddressThrowsWithoutCallingTheBody(host: String) {
        var called = false
        #expect(throws: SockaddrText.InvalidAddress(host: host)) {
            try SockaddrText.with(host: host, port: 53) { _, _ in called = true }
        }
        #expect(!called)
    }

    /// A zone index (RFC 4007 11.2) scopes the address to that interface; one naming no interface
    /// here is refused, nothing called.
    @Test func aZoneIndexScopesTheAddressOrIsRefused() throws {
        let scope = try SockaddrText.with(host: "fe80::1%lo", port: 53) { address, _ in
            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_scope_id }
        }
        #expect(scope == if_nametoindex("lo"))
        var called = false
        #expect(throws: SockaddrText.InvalidAddress(host: "fe80::1%nosuch0", reason: "names no interface here")) {
            try SockaddrText.with(host: "fe80::1%nosuch0", port: 53) { _, _ in called = true }
        }
        #expect(!called)
    }
}
