import DNSWire
import FormJoin
import Foundation
import NetAddress
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct StubResolverTests {
    func resolver(_ servers: [String], timeout: Double = 0.3, attempts: Int = 1) -> StubResolver {
        StubResolver(configuration: ResolverConfiguration(servers: servers.map { Endpoint(parsing: $0, defaultPort: 53)! },
                                                          timeout: timeout, attempts: attempts))
    }

    @Test func ignoresWrongIDAndWrongQuestionThenAcceptsTheRealAnswer() async throws {
        let server = try FakeDNSServer { q, _, _ in
            [FakeDNSServer.reply(to: q, answers: [a("x.test.", "192.0.2.66")], id: q.header.id &+ 1),
             FakeDNSServer.reply(to: q, answers: [a("evil.test.", "192.0.2.66")], question: DNSQuestion(name: "evil.test.", type: .a)),
             [0xDE, 0xAD],
             FakeDNSServer.reply(to: q, answers: [a("x.test.", "192.0.2.1")])]
        }
        defer { server.stop() }
        let r = try await resolver([server.endpoint]).resolve("x.test.", type: .a)
        #expect(r.records.map(\.data.description) == ["192.0.2.1"])
    }

    @Test func acceptsTheQuestionInAnyCase() async throws {
        let server = try FakeDNSServer { q, _, _ in
            [FakeDNSServer.reply(to: q, answers: [a("X.TEST.", "192.0.2.2")], question: DNSQuestion(name: "X.TeSt.", type: .a))]
        }
        defer { server.stop() }
        #expect(try await resolver([server.endpoint]).resolve("x.test.", type: .a).records.count == 1)
    }

    @Test func ignoresAnswersFromAnotherAddress() async throws {
        // A reply with the right ID and question, but from another source port: never accepted.
        let server = try FakeDNSServer(fromOtherPort: true) { q, _, _ in
            [FakeDNSServer.reply(to: q, answers: [a("x.test.", "192.0.2.66")])]
        }
        defer { server.stop() }
        let result = await resolver([server.endpoint], timeout: 0.5).lookup("x.test.", type: .a)
        #expect(result.failureValue == .timeout)
    }

    @Test func distinctErrors() async throws {
        let server = try FakeDNSServer { q, _, _ in
            switch q.questions[0].name.description {
            case "nx.test.": return [FakeDNSServer.reply(to: q, rcode: .nxDomain)]
            case "nodata.test.": return [FakeDNSServer.reply(to: q)]
            case "fail.test.": return [FakeDNSServer.reply(to: q, rcode: .servFail)]
            case "refused.test.": return [FakeDNSServer.reply(to: q, rcode: .refused)]
            case "garbage.test.": return [[0x00, 0x01, 0x02]]
            default: return []
            }
        }
        defer { server.stop() }
        let r = resolver([server.endpoint])
        #expect(await r.lookup("nx.test.", type: .a).failureValue == .nxDomain)
        #expect(await r.lookup("nodata.test.", type: .a).failureValue == .noData)
        #expect(await r.lookup("fail.test.", type: .a).failureValue == .servFail)
        #expect(await r.lookup("refused.test.", type: .a).failureValue == .refused)
        #expect(await r.lookup("silent.test.", type: .a).failureValue == .timeout)
        if case .malformed = await r.lookup("garbage.test.", type: .a).failureValue {} else { Issue.record("expected malformed") }
    }

    @Test func truncatedAnswerIsRetriedOverTCP() async throws {
        let server = try FakeDNSServer { q, _, tcp in
            tcp ? [FakeDNSServer.framed(FakeDNSServer.reply(to: q, answers: (1...40).map { a("big.test.", "192.0.2.\($0)") }))]
                : [FakeDNSServer.reply(to: q, truncated: true)]
        }
        defer { server.stop() }
        #expect(try await resolver([server.endpoint]).resolve("big.test.", type: .a).records.count == 40)
    }

    @Test func truncatedTCPStreamIsAnErrorNotAHang() async throws {
        let server = try FakeDNSServer { q, _, tcp in
            tcp ? [[0x01, 0x00, 0x12, 0x34]] : [FakeDNSServer.reply(to: q, truncated: true)]
        }
        defer { server.stop() }
        let start = Date()
        let result = await resolver([server.endpoint], timeout: 0.5).lookup("t.test.", type: .a)
        #expect(result.failureValue != nil)
        // Not a hang: the two rounds' timeouts are 1.5 s, and the bound is wide because a loaded
        // CI machine (the suites beside it) stretched this to 9 s once.
        #expect(Date().timeIntervalSince(start) < 60)
    }

    @Test func followsCNAMEChainsAcrossQueriesAndClampsAbsurdTTLs() async throws {
        let server = try FakeDNSServer { q, _, _ in
            switch q.questions[0].name.description {
            case "alias.test.":
                return [FakeDNSServer.reply(to: q, answers: [DNSResourceRecord(name: "alias.test.", ttl: 4_000_000_000, data: .cname(CNAMERecord("target.test.")))])]
            case "target.test.":
                return [FakeDNSServer.reply(to: q, answers: [a("target.test.", "192.0.2.9", ttl: 3_000_000_000)])]
            default: return []
            }
        }
        defer { server.stop() }
        let r = try await resolver([server.endpoint]).resolve("alias.test.", type: .a)
        #expect(r.chain.count == 1 && r.records.first?.data.description == "192.0.2.9")
        #expect(r.ttl == StubResolver.maxTTL)
    }

    @Test func fallsOverToTheNextServerAndPrefersTheFasterOne() async throws {
        let good = try FakeDNSServer { q, _, _ in [FakeDNSServer.reply(to: q, answers: [a(q.questions[0].name.description, "192.0.2.1")])] }
        defer { good.stop() }
        let silentSaw = LockedBox<[String]>([])
        let silent = try FakeDNSServer { q, _, _ in
            silentSaw.update { $0.append(q.questions[0].name.description) }
            return []
        }
        defer { silent.stop() }
        let r = resolver([silent.endpoint, good.endpoint], timeout: 0.2, attempts: 2)
        let first = try await r.resolve("x.test.", type: .a)
        #expect(first.server.description == good.endpoint)
        // The silent server was penalised: the next query goes to the good one first.
        let rtt = r.smoothedRTT
        #expect((rtt[Endpoint(parsing: silent.endpoint, defaultPort: 53)!] ?? 0) > (rtt[Endpoint(parsing: good.endpoint, defaultPort: 53)!] ?? 1))
        // Asked by who got the query, not by the time taken: a busy machine can make any answer slow.
        let second = try await r.resolve("y.test.", type: .a)
        #expect(second.server.description == good.endpoint)
        #expect(!silentSaw.current.contains("y.test."), "the penalised server was asked first: \(silentSaw.current)")
    }

    @Test func cachesForTheTTL() async throws {
        let counter = Counter()
        let server = try FakeDNSServer { q, _, _ in
            counter.increment()
            return [FakeDNSServer.reply(to: q, answers: [a("c.test.", "192.0.2.3", ttl: 300)])]
        }
        defer { server.stop() }
        let r = resolver([server.endpoint])
        _ = try await r.resolve("c.test.", type: .a)
        let second = try await r.resolve("C.TEST.", type: .a)
        #expect(second.fromCache && counter.value == 1)
    }

    @Test func resolvConf() {
        let c = ResolverConfiguration.parse(resolvConf: """
        # comment
        search example.com
        nameserver 192.0.2.53
        nameserver 2001:db8::53 ; trailing comment
        nameserver fe80::1%eth0
        nameserver 192.0.2.54
        nameserver 192.0.2.55
        options timeout:1 attempts:3 rotate ndots:2
        """)
        // Three servers at most, as glibc; a link-local one keeps its zone index.
        #expect(c.servers.map(\.description) == ["192.0.2.53:53", "[2001:db8::53]:53", "[fe80::1%eth0]:53"])
        #expect(c.timeout == 1 && c.attempts == 3 && c.rotate)
    }
}

final class Counter: @unchecked Sendable {
    // @unchecked Sendable: `n` is only touched under `lock`.
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

extension Result {
    var failureValue: Failure? { if case .failure(let e) = self { return e }; return nil }
}

extension StubResolver {
    func resolve(_ name: String, type: RecordType) async throws -> ResolveResult {
        try await resolve(try DNSName(parsing: name), type: type)
    }
    func lookup(_ name: String, type: RecordType) async -> Result<ResolveResult, ResolveError> {
        await lookup(try! DNSName(parsing: name), type: type)
    }
}

/// The planner's fallback on SERVFAIL, with an in-process DNS server and an in-process TCP listener.
@Suite struct JoinPlannerTests {
    @Test func servfailFallsBackToTheStaticList() async throws {
        let server = try FakeDNSServer { q, _, _ in [FakeDNSServer.reply(to: q, rcode: .servFail)] }
        defer { server.stop() }
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        let port = FakeDNSServer.bindLoopback(listener)
        listen(listener, 16)  // the kernel completes handshakes: enough for the tcp probe

        var options = JoinOptions(name: "entry.test.", resolver: ResolverConfiguration(servers: [Endpoint(parsing: server.endpoint, defaultPort: 53)!],
                                                                                     timeout: 10, attempts: 1))
        options.bootstrap = [PeerInfo(id: "static-ok", ipv4: "127.0.0.1", port: port), PeerInfo(id: "static-dead", ipv4: "127.0.0.1", port: 1)]
        // Generous, as the DNS timeout: in CI's first pass every test runs at once on 2 cores, and one
        // run of this test took 56 s there. Neither slows a healthy run (the SERVFAIL comes at once,
        // the dead port refuses at once): it takes about 0.3 s.
        options.probe.deadline = 60
        options.probe.probeTimeout = 20
        let outcome = await JoinPlanner.run(options)
        #expect(outcome.exitCode == .viaFallback)
        #expect(outcome.peerSet.dns.status == "servfail")
        #expect(outcome.peerSet.peers.map(\.id) == ["static-ok"])
        #expect(outcome.peerSet.unreachable.map(\.id) == ["static-dead"])
        #expect(outcome.peerSet.peers.first?.rttMs.samples == 3)
    }
}
