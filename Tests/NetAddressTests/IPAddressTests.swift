import NetAddress
import Testing

@Suite struct IPAddressTests {
    @Test func mappedIPv4IsUnmapped() {
        #expect(IPAddress("::ffff:192.0.2.7")!.unmapped == IPAddress("192.0.2.7")!)
        #expect(IPAddress("2001:db8::1")!.unmapped == IPAddress("2001:db8::1")!)
        #expect(IPAddress("::1")!.unmapped == IPAddress("::1")!)
    }

    @Test func networksParseAndMatch() throws {
        let n = try #require(IPNetwork("10.1.0.0/16"))
        #expect(n.contains(IPAddress("10.1.200.3")!) && !n.contains(IPAddress("10.2.0.1")!))
        #expect(IPNetwork("10.1.0.1/16") == nil)  // host bits set
        #expect(IPNetwork("fd00::/8")?.contains(IPAddress("fd12::1")!) == true)
        #expect(IPNetwork("10.0.0.0/33") == nil)
    }
}
