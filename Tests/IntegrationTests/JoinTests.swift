import DNSWire
import Foundation
import NetAddress
import TestFixtures
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// form-join end to end: the bundled authority, fake entry nodes with injected latency on
/// distinct 127.0.0.x addresses, a third-party authority (Knot) and a real recursive resolver (unbound).
@Suite(.serialized) struct JoinTests {
    static let zone = Harness.packageRoot + "/Fixtures/demo/formation.test.zone"
    static let config = Harness.packageRoot + "/Fixtures/demo/form-dns.yaml"
    /// Node address -> injected reply delay (ms). The order by latency: lon, tyo, fra, gru, ams, nyc, syd.
    static let delays: [(String, Int)] = [("127.0.0.11", 120), ("127.0.0.12", 10), ("127.0.0.13", 70), ("127.0.0.14", 150),
                                          ("127.0.0.15", 40), ("127.0.0.16", 180), ("127.0.0.17", 100)]

    static var formJoin: String { URL(fileURLWithPath: Harness.formDNSBinary).deletingLastPathComponent().appendingPathComponent("form-join").path }
    static var fakeNode: String { URL(fileURLWithPath: Harness.formDNSBinary).deletingLastPathComponent().appendingPathComponent("fake-entry-node").path }

    final class Nodes {
        var processes: [ServerProcess] = []
        init(_ delays: [(String, Int)], directory: String, port: Int = 51820) throws {
            for (ip, ms) in delays {
                let p = try ServerProcess(executable: JoinTests.fakeNode, arguments: ["--listen", "\(ip):\(port)", "--delay-ms", "\(ms)"],
                                          logPath: "\(directory)/node-\(ip).log")
                processes.append(p)
            }
            try waitFor { self.processes.allSatisfy { $0.log.contains("listening on") } }
        }
        func stop() { processes.forEach { $0.stop() } }
    }

    struct Run {
        var status: Int32
        var json: [String: Any]
        var output: String
        var stderr: String
        var peers: [[String: Any]] { json["peers"] as? [[String: Any]] ?? [] }
        var ids: [String] { peers.compactMap { $0["id"] as? String } }
        var sources: [String] { peers.compactMap { $0["source"] as? String } }
    }

    func join(_ args: [String], directory: String, environment: [String: String] = [:]) throws -> Run {
        let fixed = ["--json", "--quiet", "--probe", "ping", "--cache", directory + "/peers-cache.json"]
        let r = try Self.run(["peers"] + args + fixed, environment: environment)
        // stdout carries the JSON; with --quiet stderr has only errors (and the exit-20 line).
        let json = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
        return Run(status: r.status, json: json, output: r.stdout, stderr: r.stderr)
    }

    /// form-join with stdout and stderr apart, and extra environment variables.
    static func run(_ args: [String], environment: [String: String] = [:]) throws
        -> (status: Int32, stdout: String, stderr: String) {
        let base = NSTemporaryDirectory() + "form-join-run-" + UUID().uuidString
        defer { for f in [".out", ".err"] { try? FileManager.default.removeItem(atPath: base + f) } }
        let p = try ChildProcess(executable: formJoin, arguments: args, environment: environment,
                                 output: base + ".out", errors: base + ".err")
        // form-join keeps its own deadlines; this bound only keeps a broken one from hanging the run.
        if !p.wait(seconds: 120) {
            p.signal(SIGKILL)
            p.waitUntilExit()
            throw HarnessError("form-join \(args.joined(separator: " ")) still ran after 120 s")
        }
        let read = { (f: String) in String(decoding: FileManager.default.contents(atPath: base + f) ?? Data(), as: UTF8.self) }
        return (p.terminationStatus, read(".out"), read(".err"))
    }

    @Test func ranksEntryNodesByMeasuredLatencyAndPublishesWhatFormnetNeeds() throws {
        let dir = Harness.tempDirectory()
        let nodes = try Nodes(Self.delays, directory: dir)
        defer { nodes.stop() }
        let dns = try ServerProcess.formDNS(["--config", Self.config, "--listen", "127.0.0.1:0"], directory: dir)
        defer { dns.stop() }
        // ECS from Tokyo: the authority hands out tyo-1, syd-1, gru-1; probing orders them by latency.
        let r = try join(["entry.formation.test", "--resolver", "127.0.0.1:\(dns.udpPort)", "--ecs", "203.0.113.0/24"], directory: dir)
        #expect(r.status == 0, "\(r.output)")
        #expect(r.json["schema_version"] as? Int == 1 && r.json["outcome"] as? String == "dns")
        // A: tyo-1, syd-1, gru-1 (nearest Tokyo); AAAA: ams-1, the only IPv6 node (its discovery
        // record also gives its IPv4 address). Probing orders them: 40 < 100 < 120 < 180 ms.
        #expect(r.ids == ["tyo-1", "gru-1", "ams-1", "syd-1"])
        #expect(Set(r.sources) == ["dns"])
        let first = try #require(r.peers.first)
        #expect(first["public_key"] as? String == "Zm9ybWF0aW9uLWZpeHR1cmUta2V5LXR5by0xLTAwMDA=")
        #expect(first["internal_endpoint"] as? String == "10.42.0.15:51820")
        #expect(first["endpoints"] as? [String] == ["127.0.0.15:51820"])
        let rtt = try #require(first["rtt_ms"] as? [String: Any])
        #expect((rtt["median"] as? Double ?? 0) >= 40 && rtt["samples"] as? Int == 3 && rtt["loss"] as? Double == 0)
        #expect((r.json["dns"] as? [String: Any])?["ttl"] as? Int == 30)
        // The cache was written after the success.
        #expect(FileManager.default.fileExists(atPath: dir + "/peers-cache.json"))
    }

    @Test func fallsBackToTheStaticListThenTheCacheAndSaysSo() throws {
        let dir = Harness.tempDirectory()
        let bootstrap = dir + "/bootstrap.json"
        try #"{"schema_version": 1, "peers": [{"id": "static-1", "ipv4": "127.0.0.13", "port": 51820}, {"id": "static-2", "ipv4": "127.0.0.99", "port": 51820}]}"#
            .write(toFile: bootstrap, atomically: true, encoding: .utf8)
        let nodes = try Nodes(Self.delays, directory: dir)
        defer { nodes.stop() }
        let dead = "127.0.0.1:\(Harness.freePort())"   // nothing listens: the connection is refused at once
        let common = ["--timeout-ms", "200", "--attempts", "1", "--fallback", bootstrap]

        // 1. DNS refused -> the static list.
        let viaStatic = try join(["entry.formation.test", "--resolver", dead] + common, directory: dir)
        #expect(viaStatic.status == 10)
        #expect(viaStatic.json["outcome"] as? String == "fallback")
        #expect((viaStatic.json["dns"] as? [String: Any])?["status"] as? String == "refused")
        #expect(viaStatic.stderr.isEmpty, "\(viaStatic.stderr)")
        #expect(viaStatic.ids == ["static-1"] && viaStatic.sources == ["static"])
        // The unreachable static peer is reported, not dropped.
        #expect((viaStatic.json["unreachable"] as? [[String: Any]])?.contains { $0["id"] as? String == "static-2" } == true)

        // 2. A good run fills the cache; then DNS fails and the static peers are down: the cache is used, marked stale.
        let dns = try ServerProcess.formDNS(["--config", Self.config, "--listen", "127.0.0.1:0"], directory: dir)
        let good = try join(["entry.formation.test", "--resolver", "127.0.0.1:\(dns.udpPort)"] + common, directory: dir)
        dns.stop()
        #expect(good.status == 0)
        try #"{"schema_version": 1, "peers": [{"id": "static-down", "ipv4": "127.0.0.98", "port": 51820}]}"#
            .write(toFile: bootstrap, atomically: true, encoding: .utf8)
        let viaCache = try join(["entry.formation.test", "--resolver", dead] + common, directory: dir)
        #expect(viaCache.status == 10)
        #expect(Set(viaCache.sources) == ["cache"] && Set(viaCache.ids) == Set(good.ids))
        #expect(viaCache.peers.allSatisfy { $0["cache_age_s"] != nil })

        // 3. Nothing reachable at all: exit 20, still a well-formed peer set.
        nodes.stop()
        let none = try join(["entry.formation.test", "--resolver", dead] + common, directory: dir)
        #expect(none.status == 20 && none.json["outcome"] as? String == "none" && none.peers.isEmpty)
        // Even with --quiet, one line on stderr says what was tried (issue 11.12).
        #expect(none.stderr.hasPrefix("form-join: nothing reachable for entry.formation.test.: DNS via \(dead): refused"
                                      + " (connection refused"),
                "\(none.stderr)")
        #expect(none.stderr.contains("ping probes to 0 DNS, 1 static and \(good.ids.count) cached candidate(s)"),
                "\(none.stderr)")
        #expect(none.stderr.split(separator: "\n").count == 1)
    }

    @Test func everyDNSFailureModeFallsBack() throws {
        let dir = Harness.tempDirectory()
        let nodes = try Nodes([("127.0.0.13", 5)], directory: dir)
        defer { nodes.stop() }
        let dns = try ServerProcess.formDNS(["--config", Self.config, "--listen", "127.0.0.1:0"], directory: dir)
        defer { dns.stop() }
        let resolver = "127.0.0.1:\(dns.udpPort)"
        let base = ["--resolver", resolver, "--no-cache", "--timeout-ms", "300", "--attempts", "1",
                    "--fallback", Harness.packageRoot + "/Fixtures/bootstrap.json"]
        // NXDOMAIN, NODATA (a name with only TXT), REFUSED (outside the zone), and DNS candidates all unreachable.
        for (name, status) in [("nope.formation.test", "nxdomain"), ("txt.formation.test", "nodata"), ("entry.example.com", "refused"),
                               ("www.formation.test", "ok")] {
            let r = try join([name] + base, directory: dir)
            #expect(r.status == 10, "\(name): \(r.output)")
            #expect((r.json["dns"] as? [String: Any])?["status"] as? String == status, "\(name)")
            #expect(r.sources == ["static"], "\(name)")   // boot-fra-1 (127.0.0.13) from Fixtures/bootstrap.json
        }
    }

    @Test func worksAgainstKnotAndThroughUnbound() throws {
        let dir = Harness.tempDirectory()
        let nodes = try Nodes([("127.0.0.12", 30), ("127.0.0.13", 5)], directory: dir)
        defer { nodes.stop() }
        // Knot serving the same zone (Knot has no GeoDNS): the static name "pair" points at two live nodes.
        let (knot, knotPort) = try Harness.startKnot(zone: Self.zone, directory: dir)
        defer { knot.stop() }
        let viaKnot = try join(["pair.formation.test", "--resolver", "127.0.0.1:\(knotPort)", "--no-builtin"], directory: dir)
        #expect(viaKnot.status == 0, "\(viaKnot.output)")
        #expect(viaKnot.ids == ["127.0.0.13", "127.0.0.12"])
        let chain = try Harness.run(Self.formJoin, ["resolve", "chain.formation.test", "--resolver", "127.0.0.1:\(knotPort)"])
        #expect(chain.status == 0 && chain.output.contains("192.0.2.10") && chain.output.contains("CNAME"))
        let nx = try Harness.run(Self.formJoin, ["resolve", "nope.formation.test", "--resolver", "127.0.0.1:\(knotPort)"])
        #expect(nx.status == 2 && nx.output.contains("NXDOMAIN"))

        // unbound on loopback, with the zone stubbed to form-dns: a real recursive path.
        let dns = try ServerProcess.formDNS(["--config", Self.config, "--listen", "127.0.0.1:0"], directory: dir)
        defer { dns.stop() }
        let unboundPort = Harness.freePort()
        try Harness.unboundConfig(port: unboundPort, upstream: dns.udpPort, directory: dir)
            .write(toFile: dir + "/unbound.conf", atomically: true, encoding: .utf8)
        let unbound = try ServerProcess(executable: try Harness.which("unbound"), arguments: ["-d", "-c", dir + "/unbound.conf"], logPath: dir + "/unbound.log")
        defer { unbound.stop() }
        try waitFor { (try? Harness.run(Self.formJoin, ["resolve", "www.formation.test", "--resolver", "127.0.0.1:\(unboundPort)", "--timeout-ms", "300"]))?.status == 0 }
        let viaUnbound = try join(["entry.formation.test", "--resolver", "127.0.0.1:\(unboundPort)", "--no-builtin"], directory: dir)
        // From loopback the authority answers ams-1, lon-1, fra-1; only lon and fra are running here.
        #expect(viaUnbound.status == 0, "\(viaUnbound.output) \(unbound.log)")
        #expect(viaUnbound.ids == ["fra-1", "lon-1"])
    }

    @Test func resolveSubcommandIsATinyDig() throws {
        let dir = Harness.tempDirectory()
        let dns = try ServerProcess.formDNS(["--config", Self.config, "--listen", "127.0.0.1:0"], directory: dir)
        defer { dns.stop() }
        let r = try Harness.run(Self.formJoin, ["resolve", "big.formation.test", "--type", "TXT", "--resolver", "127.0.0.1:\(dns.udpPort)"])
        #expect(r.status == 0 && r.output.split(separator: "\n").filter { $0.contains(" TXT ") }.count == 6)
        let usage = try Harness.run(Self.formJoin, ["peers", "x.test", "--resolver", "not-an-address"])
        #expect(usage.status == 64)
    }

    /// TC, then TCP: twelve 200-octet TXT strings (2,596 octets) cannot fit form-join's EDNS buffer of
    /// 1232 (nor form-dns's), so the UDP answer is TC with no records and the answer must come over
    /// TCP. A relay on one port in front of form-dns records every exchange on each transport.
    @Test func aTruncatedAnswerIsFetchedOverTCP() throws {
        let dir = Harness.tempDirectory()
        var zone = "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 127.0.0.1\n"
        for i in 0..<12 { zone += "huge TXT \"\(String(repeating: Character(UnicodeScalar(97 + i)!), count: 200))\"\n" }
        try zone.write(toFile: dir + "/h.zone", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--zone", "h.test=\(dir)/h.zone", "--listen", "127.0.0.1:0"],
                                            directory: dir)
        defer { dns.stop() }
        let relay = try RecordingRelay(upstreamUDP: dns.udpPort, upstreamTCP: dns.tcpPort)
        defer { relay.stop() }
        let r = try Harness.run(Self.formJoin, ["resolve", "huge.h.test", "--type", "TXT", "--resolver",
                                                "127.0.0.1:\(relay.port)", "--timeout-ms", "3000", "--attempts", "1"])
        #expect(r.status == 0, "\(r.output)")
        let txt = r.output.split(separator: "\n").filter { $0.contains(" TXT ") }
        #expect(txt.count == 12, "\(r.output)")
        for i in 0..<12 {
            let text = String(repeating: Character(UnicodeScalar(97 + i)!), count: 200)
            #expect(txt.contains { $0.contains(text) }, "string \(i) missing: \(r.output)")
        }
        let log = relay.exchanges
        #expect(log.map(\.transport) == ["udp", "tcp"], "\(log)")
        let udp = try #require(log.first)
        #expect(udp.question == "huge.h.test. TXT" && udp.edns == 1232, "\(log)")
        #expect(udp.truncated && udp.answers == 0 && udp.replySize <= 1232, "\(log)")
        let tcp = try #require(log.last)
        #expect(tcp.question == "huge.h.test. TXT" && !tcp.truncated, "\(log)")
        #expect(tcp.answers == 12 && tcp.replySize > 1232, "\(log)")
    }

    /// Issue 11 (9, 10) and 20: every bad bootstrap file, from --fallback or $FORM_JOIN_BOOTSTRAP,
    /// is exit 64 before anything is probed, with one line naming the file, the peer and the field.
    @Test func badBootstrapFilesExit64NamingTheFileThePeerAndTheField() throws {
        let dir = Harness.tempDirectory()
        let cases: [(String, String)] = [
            (#"{"schema_version": 1, "peers": [{"id": "a", "ipv4": "not-an-ip", "port": 51820}]}"#,
             #"peers[0] "a": "ipv4": "not-an-ip" is not an IPv4 address"#),
            (#"{"schema_version": 1, "peers": [{"id": "a", "ipv6": "127.0.0.1", "port": 51820}]}"#,
             #"peers[0] "a": "ipv6": "127.0.0.1" is not an IPv6 address"#),
            (#"{"schema_version": 1, "peers": [{"id": "a", "ipv4": "127.0.0.1", "port": 70000}]}"#,
             #"peers[0] "a": "port": 70000 is not a port (expected 1...65535)"#),
            (#"{"schema_version": 1, "peers": "x"}"#, #""peers" is the string "x", expected a list of peers"#),
            ("[]", "the top level is a list"),
            ("{not json", "not valid JSON"),
            ("", "the file is empty"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let file = "\(dir)/bootstrap-\(i).json"
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let args = ["peers", "x.test", "--resolver", "127.0.0.1:\(Harness.freePort())", "--no-cache", "--json"]
            let ways: [([String], [String: String], String)] = [
                (["--fallback", file], [:], file),
                ([], ["FORM_JOIN_BOOTSTRAP": file], "\(file) (from $FORM_JOIN_BOOTSTRAP)"),
            ]
            for (extra, env, source) in ways {
                let r = try Self.run(args + extra, environment: env)
                #expect(r.status == 64, "\(text): \(r.stderr)")
                #expect(r.stderr.hasPrefix("form-join: \(source): "), "\(r.stderr)")
                #expect(r.stderr.contains(expected), "\(r.stderr)")
                #expect(r.stderr.hasSuffix("\n") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
                #expect(!r.stderr.contains("DecodingError") && r.stdout.isEmpty)
            }
        }
        let missing = try Self.run(["peers", "x.test", "--no-cache"],
                                   environment: ["FORM_JOIN_BOOTSTRAP": dir + "/none.json"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("\(dir)/none.json (from $FORM_JOIN_BOOTSTRAP): cannot read: No such file"))
    }

    @Test func theBootstrapListFromTheEnvironmentIsUsed() throws {
        let dir = Harness.tempDirectory()
        let nodes = try Nodes([("127.0.0.13", 5)], directory: dir)
        defer { nodes.stop() }
        let file = dir + "/env-bootstrap.json"
        try #"{"schema_version": 1, "peers": [{"id": "from-env", "ipv4": "127.0.0.13", "port": 51820}]}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let dead = "127.0.0.1:\(Harness.freePort())"
        let env = ["FORM_JOIN_BOOTSTRAP": file]
        let r = try join(["entry.formation.test", "--resolver", dead, "--no-cache"], directory: dir, environment: env)
        #expect(r.status == 10 && r.ids == ["from-env"] && r.sources == ["static"], "\(r.output) \(r.stderr)")
        // --fallback wins over the environment.
        let other = dir + "/other-bootstrap.json"
        try #"{"schema_version": 1, "peers": [{"id": "from-flag", "ipv4": "127.0.0.13", "port": 51820}]}"#
            .write(toFile: other, atomically: true, encoding: .utf8)
        let flag = try join(["entry.formation.test", "--resolver", dead, "--no-cache", "--fallback", other],
                            directory: dir, environment: env)
        #expect(flag.status == 10 && flag.ids == ["from-flag"], "\(flag.output) \(flag.stderr)")
        // With neither, there is no static list: the built-in one is empty.
        let none = try join(["entry.formation.test", "--resolver", dead, "--no-cache"], directory: dir)
        #expect(none.status == 20 && none.stderr.contains("nothing to probe"), "\(none.stderr)")
    }
}

/// A UDP and TCP relay on one loopback port in front of a DNS server: every query is forwarded on the
/// transport it came on, and each exchange is recorded (what was asked, what came back).
final class RecordingRelay: @unchecked Sendable {
    struct Exchange: CustomStringConvertible {
        var transport: String
        var question: String
        var edns: Int?
        var truncated: Bool
        var answers: Int
        var replySize: Int
        var description: String {
            "\(transport) \(question) edns=\(edns.map(String.init) ?? "none") tc=\(truncated) answers=\(answers) "
                + "\(replySize) B"
        }
    }

    let port: Int
    private let udpFD: Int32
    private let tcpFD: Int32
    private let lock = NSLock()
    private var recorded: [Exchange] = []
    private var stopped = false
    private var running = 2

    var exchanges: [Exchange] { lock.withLock { recorded } }

    init(upstreamUDP: Int, upstreamTCP: Int) throws {
        var chosen: (Int32, Int32, Int)? = nil
        for _ in 0..<20 where chosen == nil {
            let port = Harness.freePort()
            let u = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            let t = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, 4)
            let ok = try? SockaddrText.with(host: "127.0.0.1", port: UInt16(port)) {
                bind(u, $0, $1) == 0 && bind(t, $0, $1) == 0
            }
            if ok == true, listen(t, 8) == 0 { chosen = (u, t, port) } else { close(u); close(t) }
        }
        guard let (u, t, port) = chosen else { throw HarnessError("relay: no free port") }
        (udpFD, tcpFD, self.port) = (u, t, port)
        Thread { self.serveUDP(upstream: upstreamUDP) }.start()
        Thread { self.serveTCP(upstream: upstreamTCP) }.start()
    }

    func stop() {
        lock.withLock { stopped = true }
        try? waitFor(seconds: 5) { lock.withLock { running == 0 } }
        close(udpFD)
        close(tcpFD)
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func record(_ transport: String, query: [UInt8], reply: [UInt8]) {
        let q = try? parse(query), m = try? parse(reply)
        let e = Exchange(transport: transport, question: q?.questions.first.map { "\($0.name) \($0.type)" } ?? "?",
                         edns: q?.edns.map { Int($0.udpPayloadSize) }, truncated: m?.header.has(.truncated) ?? false,
                         answers: m?.answers.count ?? -1, replySize: reply.count)
        lock.withLock { recorded.append(e) }
    }

    private func readable(_ fd: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 50) == 1
    }

    private func serveUDP(upstream: Int) {
        defer { lock.withLock { running -= 1 } }
        var buf = [UInt8](repeating: 0, count: 65535)
        while !isStopped {
            guard readable(udpFD) else { continue }
            var from = sockaddr_storage()
            var fromLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(udpFD, &buf, buf.count, 0, $0, &fromLength)
                }
            }
            guard n > 0 else { continue }
            let query = Array(buf[0..<n])
            guard let reply = try? WireClient.udp(query, port: upstream) else { continue }
            record("udp", query: query, reply: reply)
            _ = withUnsafePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(udpFD, reply, reply.count, 0, $0, fromLength)
                }
            }
        }
    }

    private func serveTCP(upstream: Int) {
        defer { lock.withLock { running -= 1 } }
        while !isStopped {
            guard readable(tcpFD) else { continue }
            let fd = accept(tcpFD, nil, nil)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            func readExactly(_ count: Int) -> [UInt8]? {
                var out: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: max(count, 1))
                while out.count < count {
                    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    guard poll(&pfd, 1, 3000) == 1 else { return nil }
                    let got = recv(fd, &chunk, count - out.count, 0)
                    guard got > 0 else { return nil }
                    out += chunk[0..<got]
                }
                return out
            }
            // One query per connection, as form-join's stub sends.
            guard let header = readExactly(2), let query = readExactly(Int(header[0]) << 8 | Int(header[1])),
                  let upstreamConnection = try? WireClient.TCPConnection(port: upstream) else { continue }
            upstreamConnection.sendFramed([query])
            guard let reply = upstreamConnection.receiveFrame() else { continue }
            record("tcp", query: query, reply: reply)
            let framed = [UInt8(reply.count >> 8), UInt8(reply.count & 0xFF)] + reply
            _ = framed.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }
}
