import Foundation
import NetAddress
import Testing

@testable import FormJoin

#if canImport(Glibc)
    import Glibc
#endif

/// The system's resolvers on Linux: resolv.conf, systemd-resolved's stub with its real upstreams,
/// and link-local servers with a zone index.
@Suite struct SystemResolverTests {
    func files(_ resolvConf: String, _ resolved: String?) throws -> (String, String) {
        let dir = temporaryDirectory("system-resolver")
        try resolvConf.write(toFile: dir + "/resolv.conf", atomically: true, encoding: .utf8)
        if let resolved { try resolved.write(toFile: dir + "/resolved.conf", atomically: true, encoding: .utf8) }
        return (dir + "/resolv.conf", dir + "/resolved.conf")
    }

    @Test func resolvedsStubIsAskedFirstThenItsUpstreams() throws {
        let (conf, resolved) = try files(
            "nameserver 127.0.0.53\noptions edns0 trust-ad\n",
            "nameserver 192.0.2.1\nnameserver 2001:db8::1\nnameserver 127.0.0.53\n")
        let c = ResolverConfiguration.system(path: conf, resolvedPath: resolved)
        #expect(c.servers.map(\.description) == ["127.0.0.53:53", "192.0.2.1:53", "[2001:db8::1]:53"])
        // A validating caller asks the upstreams first: the stub may drop the DNSSEC records.
        let validating = ResolverConfiguration.system(path: conf, resolvedPath: resolved, preferUpstreams: true)
        #expect(validating.servers.map(\.description) == ["192.0.2.1:53", "[2001:db8::1]:53", "127.0.0.53:53"])
    }

    @Test func withoutTheStubOrWithoutItsFileNothingIsAdded() throws {
        let (plain, resolved) = try files("nameserver 192.0.2.9\n", "nameserver 192.0.2.1\n")
        #expect(ResolverConfiguration.system(path: plain, resolvedPath: resolved).servers.map(\.description)
            == ["192.0.2.9:53"])
        let (stub, _) = try files("nameserver 127.0.0.54\n", nil)
        #expect(ResolverConfiguration.system(path: stub, resolvedPath: "/nonexistent/resolv.conf").servers
            .map(\.description) == ["127.0.0.54:53"])
        // No nameserver line at all: the local machine, as resolv.conf(5) says.
        let (empty, _) = try files("search example.com\n", nil)
        #expect(ResolverConfiguration.system(path: empty, resolvedPath: "/nonexistent").servers.map(\.description)
            == ["127.0.0.1:53"])
    }

    @Test func zoneIndexesAreKeptOnlyWhereAsked() {
        #expect(Endpoint(parsing: "[fe80::1%eth0]:5353", defaultPort: 53, allowingZone: true)?.description
            == "[fe80::1%eth0]:5353")
        #expect(Endpoint(parsing: "fe80::1%2", defaultPort: 53, allowingZone: true)?.isIPv6 == true)
        #expect(Endpoint(parsing: "fe80::1%eth0", defaultPort: 53) == nil)
        for bad in ["fe80::1%", "192.0.2.1%eth0", "fe80::1%eth0/x", "fe80::1%a-very-long-interface-name", "fe80::1%e th"] {
            #expect(Endpoint(parsing: bad, defaultPort: 53, allowingZone: true) == nil, "\(bad)")
        }
    }

    @Test func aZoneNamingNoInterfaceIsRefusedBeforeAnythingIsSent() throws {
        let lo = Endpoint(host: "fe80::1%lo", port: 53)
        let scope = try lo.withSockaddr { address, _ in
            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_scope_id }
        }
        #expect(scope == if_nametoindex("lo") && scope != 0)
        let numbered = try Endpoint(host: "fe80::1%7", port: 53).withSockaddr { address, _ in
            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_scope_id }
        }
        #expect(numbered == 7)
        #expect(throws: SocketError.self) { try Endpoint(host: "fe80::1%nosuch0", port: 53).withSockaddr { _, _ in 0 } }
        do {
            _ = try Endpoint(host: "fe80::1%nosuch0", port: 53).withSockaddr { _, _ in 0 }
        } catch {
            #expect("\(error)" == "'fe80::1%nosuch0' names no interface here")
        }
    }
}
