import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace this test makes and removes: its own loopback and interfaces, so a test can
/// bind port 53, use documentation prefixes (192.0.2.0/24, 2001:db8::/32) and break one address
/// family without touching the machine's network. Nothing leaves it.
final class Namespace {
    let name: String
    static var ip: String { (try? Harness.which("ip")) ?? "/usr/sbin/ip" }

    /// The namespaces this test process made and has not removed yet.
    private static let live = Mutex<Set<String>>([])

    init(_ tag: String) throws {
        name = "fj-\(tag)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        Self.removeStale(tag)
        Self.live.withLock { _ = $0.insert(name) }
        try Self.sh(["netns", "add", name])
        try ip(["link", "set", "lo", "up"])
    }

    /// Removes namespaces of `tag` that no test of this process made: left by a run that was
    /// killed before its deinit ran. Their veth pairs go with them; one left behind with its
    /// address (198.18.77.1/30, say) would take the route a new pair needs.
    static func removeStale(_ tag: String) {
        let listed = (try? Harness.run(ip, ["netns", "list"]).output) ?? ""
        let ours = live.withLock { $0 }
        for line in listed.split(separator: "\n") {
            guard let name = line.split(separator: " ").first.map(String.init), name.hasPrefix("fj-\(tag)-"),
                  !ours.contains(name) else { continue }
            try? sh(["netns", "del", name])
        }
    }

    static func sh(_ args: [String]) throws {
        let r = try Harness.run(ip, args)
        guard r.status == 0 else { throw HarnessError("ip \(args.joined(separator: " ")): \(r.output)") }
    }

    func ip(_ args: [String]) throws { try Self.sh(["-n", name] + args) }

    /// A process inside the namespace (`ip netns exec` becomes the program: signals reach it).
    func start(_ executable: String, _ args: [String], log: String) throws -> ServerProcess {
        try ServerProcess(executable: Self.ip, arguments: ["netns", "exec", name, executable] + args, logPath: log)
    }

    func run(_ executable: String, _ args: [String], timeout: TimeInterval = 30) throws -> (status: Int32, output: String) {
        try Harness.run(Self.ip, ["netns", "exec", name, executable] + args, timeout: timeout)
    }

    /// form-dns serving `config` inside the namespace, once it says it listens.
    func formDNS(config: String, listen: [String], directory: String) async throws -> ServerProcess {
        let p = try start(Harness.formDNSBinary, ["serve", "--config", config] + listen.flatMap { ["--listen", $0] },
                          log: directory + "/form-dns-\(name).log")
        try await waitFor { p.log.contains("listening on") || !p.process.isRunning }
        guard p.process.isRunning else { throw HarnessError("form-dns exited: \(p.log)") }
        return p
    }

    /// Removes host interfaces named `prefix`... that a killed run left (a veth whose peer's
    /// namespace is gone but not yet freed keeps its address and its route).
    static func removeStaleLinks(_ prefix: String) {
        let listed = (try? Harness.run(ip, ["-o", "link", "show"]).output) ?? ""
        for line in listed.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { continue }
            let name = String(fields[1].split(separator: "@").first ?? "").trimmingCharacters(in: [":"])
            if name.hasPrefix(prefix) { try? sh(["link", "del", name]) }
        }
    }

    deinit {
        try? Self.sh(["netns", "del", name])
        _ = Self.live.withLock { $0.remove(name) }
    }
}

/// The join client on real Linux networks: systemd-resolved's stub and upstreams, a link-local
/// resolver with a zone index, and hosts with IPv6 only, IPv4 only, or both with one family
/// silently broken (Happy Eyeballs, RFC 8305).
@Suite(.serialized) struct NetworkNamespaceTests {
    static let zone = """
    $ORIGIN he.test.
    $TTL 30
    @ SOA ns.he.test. hostmaster.he.test. 1 3600 600 86400 30
    @ NS ns
    ns A 192.0.2.1
    entry A 192.0.2.1
    entry AAAA 2001:db8::1
    _formnet.entry TXT "v=formnet1 id=node-1 ip=192.0.2.1 ip6=2001:db8::1 port=51820"

    """

    static func config(_ dir: String) throws -> String {
        try zone.write(toFile: dir + "/he.test.zone", atomically: true, encoding: .utf8)
        try "zones:\n  - origin: he.test\n    file: \(dir)/he.test.zone\n"
            .write(toFile: dir + "/form-dns.yaml", atomically: true, encoding: .utf8)
        return dir + "/form-dns.yaml"
    }

    static func json(_ output: String) -> [String: Any] {
        guard let start = output.firstIndex(of: "{") else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(output[start...].utf8))) as? [String: Any] ?? [:]
    }

    @Test func resolvedsStubThenItsUpstreamsAndALinkLocalServer() async throws {
        let dir = Harness.tempDirectory()
        let ns = try Namespace("sys")
        // A link for the link-local server: a veth pair inside the namespace, fe80::53 on v0.
        try ns.ip(["link", "add", "v0", "type", "veth", "peer", "name", "v1"])
        try ns.ip(["link", "set", "v0", "up"])
        try ns.ip(["link", "set", "v1", "up"])
        try ns.ip(["addr", "add", "fe80::53/64", "dev", "v0", "nodad"])
        // [::]:53 beside 127.0.0.1:53: form-dns's IPv6 sockets take IPv6 only (NIO's default is both).
        let dns = try await ns.formDNS(config: try Self.config(dir), listen: ["127.0.0.1:53", "[::]:53"], directory: dir)
        defer { dns.stop() }

        // resolv.conf names systemd-resolved's stub, which is not running: its upstream answers.
        try "nameserver 127.0.0.53\noptions edns0 trust-ad timeout:1 attempts:1\n"
            .write(toFile: dir + "/resolv.conf", atomically: true, encoding: .utf8)
        try "# written by systemd-resolved\nnameserver 127.0.0.1\n"
            .write(toFile: dir + "/resolved.conf", atomically: true, encoding: .utf8)
        let viaUpstream = try ns.run(JoinTests.formJoin, ["resolve", "entry.he.test", "--resolv-conf", dir + "/resolv.conf",
                                                          "--resolved-conf", dir + "/resolved.conf"])
        #expect(viaUpstream.status == 0 && viaUpstream.output.contains("NOERROR from 127.0.0.1:53"), "\(viaUpstream.output)")
        // Without resolved's list there is only the stub, and it is not there.
        let stubOnly = try ns.run(JoinTests.formJoin, ["resolve", "entry.he.test", "--resolv-conf", dir + "/resolv.conf",
                                                       "--resolved-conf", dir + "/none.conf"])
        #expect(stubOnly.status == 3 && stubOnly.output.contains("REFUSED"), "\(stubOnly.output)")

        // A link-local nameserver with its zone index, as resolv.conf writes it.
        try "nameserver fe80::53%v0\n".write(toFile: dir + "/link.conf", atomically: true, encoding: .utf8)
        let link = try ns.run(JoinTests.formJoin, ["resolve", "entry.he.test", "--type", "AAAA",
                                                   "--resolv-conf", dir + "/link.conf"])
        #expect(link.status == 0 && link.output.contains("NOERROR from [fe80::53%v0]:53"), "\(link.output)")
        #expect(link.output.contains("2001:db8::1"), "\(link.output)")
        let peers = try ns.run(JoinTests.formJoin, ["peers", "entry.he.test", "--resolver", "[fe80::53%v0]:53",
                                                    "--json", "--quiet", "--no-cache", "--deadline-ms", "300"])
        #expect((Self.json(peers.output)["dns"] as? [String: Any])?["server"] as? String == "[fe80::53%v0]:53",
                "\(peers.output)")
        // A zone naming no interface: said, nothing sent.
        let noSuch = try ns.run(JoinTests.formJoin, ["resolve", "entry.he.test", "--resolver", "[fe80::53%nosuch0]:53"])
        #expect(noSuch.status == 3 && noSuch.output.contains("'fe80::53%nosuch0' names no interface here"),
                "\(noSuch.output)")
    }

    /// A client namespace joined to a network namespace by a veth pair. The network has form-dns and
    /// one entry node on 192.0.2.1 and 2001:db8::1; the client gets the families asked for, and
    /// `broken` makes the network drop its replies to the client's address of that family (SYN
    /// arrives, SYN-ACK never does: the silent failure Happy Eyeballs exists for).
    struct Link {
        let client: Namespace, network: Namespace
        let dns: ServerProcess, node: ServerProcess

        init(ipv4: Bool, ipv6: Bool, broken: String? = nil, directory dir: String) async throws {
            client = try Namespace("c")
            network = try Namespace("n")
            try client.ip(["link", "add", "c0", "type", "veth", "peer", "name", "n0", "netns", network.name])
            try network.ip(["addr", "add", "192.0.2.1/24", "dev", "n0"])
            try network.ip(["addr", "add", "2001:db8::1/64", "dev", "n0", "nodad"])
            try network.ip(["link", "set", "n0", "up"])
            if ipv4 { try client.ip(["addr", "add", "192.0.2.2/24", "dev", "c0"]) }
            if ipv6 { try client.ip(["addr", "add", "2001:db8::2/64", "dev", "c0", "nodad"]) }
            if !ipv6 { try client.run("/usr/sbin/sysctl", ["-qw", "net.ipv6.conf.c0.disable_ipv6=1"]) }
            try client.ip(["link", "set", "c0", "up"])
            if broken == "ipv6" { try network.ip(["-6", "route", "add", "blackhole", "2001:db8::2/128"]) }
            if broken == "ipv4" { try network.ip(["route", "add", "blackhole", "192.0.2.2/32"]) }
            dns = try await network.formDNS(config: try NetworkNamespaceTests.config(dir),
                                            listen: ["192.0.2.1:53", "[2001:db8::1]:53"], directory: dir)
            node = try network.start(JoinTests.fakeNode, ["--listen", "192.0.2.1:51820", "--listen", "[2001:db8::1]:51820",
                                                          "--delay-ms", "5"], log: dir + "/node.log")
            let node = node
            try await waitFor { node.log.contains("listening on") }
        }

        func join(_ resolvers: [String], deadlineMs: Int = 1500) throws -> [String: Any] {
            let r = try client.run(JoinTests.formJoin, ["peers", "entry.he.test", "--json", "--quiet", "--no-cache",
                                                        "--probe", "ping", "--timeout-ms", "400", "--attempts", "1",
                                                        "--deadline-ms", "\(deadlineMs)"]
                                   + resolvers.flatMap { ["--resolver", $0] })
            let json = NetworkNamespaceTests.json(r.output)
            #expect(r.status == 0, "\(r.output)")
            return json
        }

        func stop() {
            node.stop()
            dns.stop()
        }
    }

    static func endpoints(_ json: [String: Any]) -> [String] {
        ((json["peers"] as? [[String: Any]])?.first?["endpoints"] as? [String]) ?? []
    }

    static let both = ["[2001:db8::1]:53", "192.0.2.1:53"]

    @Test func dualStackPrefersIPv6() async throws {
        let link = try await Link(ipv4: true, ipv6: true, directory: Harness.tempDirectory())
        defer { link.stop() }
        let json = try link.join(Self.both)
        #expect(Self.endpoints(json) == ["[2001:db8::1]:51820", "192.0.2.1:51820"], "\(json)")
        #expect((json["dns"] as? [String: Any])?["server"] as? String == "[2001:db8::1]:53")
    }

    @Test func anIPv6OnlyHostJoinsOverIPv6() async throws {
        let link = try await Link(ipv4: false, ipv6: true, directory: Harness.tempDirectory())
        defer { link.stop() }
        let json = try link.join(["[2001:db8::1]:53"])
        // The IPv4 endpoint is still listed (the node has one), after the one that answered.
        #expect(Self.endpoints(json) == ["[2001:db8::1]:51820", "192.0.2.1:51820"], "\(json)")
        #expect(((json["peers"] as? [[String: Any]])?.first?["rtt_ms"] as? [String: Any])?["samples"] as? Int == 3)
        // An IPv4 resolver first: unreachable from here, it is skipped at once (no route), not waited on.
        let skipped = try link.join(["192.0.2.1:53", "[2001:db8::1]:53"])
        let dns = skipped["dns"] as? [String: Any]
        #expect(dns?["server"] as? String == "[2001:db8::1]:53", "\(skipped)")
        let dnsMs = (skipped["timing"] as? [String: Any])?["dns_ms"] as? Double ?? .infinity
        #expect(dnsMs < 400, "DNS took \(dnsMs) ms: the IPv4 server's 400 ms timeout was waited out")
    }

    @Test func anIPv4OnlyHostJoinsOverIPv4() async throws {
        let link = try await Link(ipv4: true, ipv6: false, directory: Harness.tempDirectory())
        defer { link.stop() }
        let json = try link.join(["192.0.2.1:53"])
        #expect(Self.endpoints(json) == ["192.0.2.1:51820", "[2001:db8::1]:51820"], "\(json)")
    }

    @Test func aSilentlyBrokenIPv6FallsToIPv4WithinTheDeadline() async throws {
        let link = try await Link(ipv4: true, ipv6: true, broken: "ipv6", directory: Harness.tempDirectory())
        defer { link.stop() }
        let deadline = 1500
        let json = try link.join(Self.both, deadlineMs: deadline)
        // DNS: the IPv6 server times out (400 ms), the IPv4 one answers.
        #expect((json["dns"] as? [String: Any])?["server"] as? String == "192.0.2.1:53", "\(json)")
        #expect(Self.endpoints(json) == ["192.0.2.1:51820", "[2001:db8::1]:51820"], "\(json)")
        // The IPv6 probes hang until the round's deadline, and not past it: the IPv4 ones ran beside them.
        let probeMs = (json["timing"] as? [String: Any])?["probe_ms"] as? Double ?? .infinity
        #expect(probeMs < Double(deadline) + 250, "probe round took \(probeMs) ms")
    }

    @Test func aSilentlyBrokenIPv4FallsToIPv6() async throws {
        let link = try await Link(ipv4: true, ipv6: true, broken: "ipv4", directory: Harness.tempDirectory())
        defer { link.stop() }
        let json = try link.join(["192.0.2.1:53", "[2001:db8::1]:53"])
        #expect((json["dns"] as? [String: Any])?["server"] as? String == "[2001:db8::1]:53", "\(json)")
        #expect(Self.endpoints(json) == ["[2001:db8::1]:51820", "192.0.2.1:51820"], "\(json)")
    }
}
