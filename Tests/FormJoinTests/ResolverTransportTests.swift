import DNSWire
import NetAddress
@testable import FormJoin
import Foundation
import Testing

/// Issue 11 (13, 14): a server with no listener is reported as refused at once, and the TCP retry
/// sends the same query as UDP (EDNS Client Subnet included). Also the in-process cache's expiry.
@Suite struct ResolverTransportTests {
    func resolver(_ servers: [String], timeout: Double, attempts: Int = 2, ecs: ClientSubnet? = nil) -> StubResolver {
        let endpoints = servers.map { Endpoint(parsing: $0, defaultPort: 53)! }
        let configuration = ResolverConfiguration(servers: endpoints, timeout: timeout, attempts: attempts,
                                                  clientSubnet: ecs)
        return StubResolver(configuration: configuration)
    }

    @Test func aServerWithNoListenerIsRefusedAtOnceNotATimeout() async throws {
        let dead = "127.0.0.1:\(FakeDNSServer.closedPort())"
        let start = monotonicNow()
        let result = await resolver([dead], timeout: 300).lookup("x.test.", type: .a)
        #expect(result.failureValue == .connectionRefused)
        #expect(result.failureValue?.status == "refused")
        // Waiting out the timeouts would take 300 s + 600 s; the refusal comes back in about 1 ms. The
        // bound is one timeout, not a speed: a busy test machine cannot make it fail (a fresh-clone CI
        // run's starved test pool resumed this task 31 s late, past the 30 s this bound once was).
        #expect(monotonicNow() - start < 300)
    }

    @Test func aRefusingServerPassesToTheNextOneAtOnce() async throws {
        let live = try FakeDNSServer { q, _, _ in [FakeDNSServer.reply(to: q, answers: [a("x.test.", "192.0.2.1")])] }
        defer { live.stop() }
        let start = monotonicNow()
        let dead = "127.0.0.1:\(FakeDNSServer.closedPort())"
        let r = try await resolver([dead, live.endpoint], timeout: 300).resolve("x.test.", type: .a)
        #expect(r.server.description == live.endpoint)
        #expect(monotonicNow() - start < 300, "the refusing server's timeout was waited out")
    }

    @Test func aTimeoutAmongRefusalsIsStillATimeout() async throws {
        let silent = try FakeDNSServer { _, _, _ in [] }
        defer { silent.stop() }
        let dead = "127.0.0.1:\(FakeDNSServer.closedPort())"
        let result = await resolver([dead, silent.endpoint], timeout: 0.2, attempts: 1).lookup("x.test.", type: .a)
        #expect(result.failureValue == .timeout)
    }

    @Test func theTCPRetryCarriesTheSameClientSubnetAsUDP() async throws {
        let seen = LockedBox<[(tcp: Bool, ecs: [ClientSubnet], payload: UInt16?, rd: Bool)]>([])
        let server = try FakeDNSServer { q, _, tcp in
            let ecs = (q.edns?.options ?? []).compactMap { option -> ClientSubnet? in
                if case .clientSubnet(let s) = option { return s }
                return nil
            }
            seen.update { $0.append((tcp, ecs, q.edns?.udpPayloadSize, q.header.has(.recursionDesired))) }
            return tcp ? [FakeDNSServer.framed(FakeDNSServer.reply(to: q, answers: [a("big.test.", "192.0.2.1")]))]
                : [FakeDNSServer.reply(to: q, truncated: true)]
        }
        defer { server.stop() }
        let subnet = try #require(ClientSubnet(family: .ipv4, fullAddress: [203, 0, 113, 0], sourcePrefixLength: 24))
        _ = try await resolver([server.endpoint], timeout: 1, ecs: subnet).resolve("big.test.", type: .a)
        let queries = seen.current
        #expect(queries.map(\.tcp) == [false, true])
        #expect(queries.allSatisfy { $0.ecs == [subnet] }, "\(queries)")
        #expect(queries.allSatisfy { $0.payload == 1232 && $0.rd })
    }

    @Test func cachedAnswersExpireWithTheirTTL() async throws {
        let counter = Counter()
        let server = try FakeDNSServer { q, _, _ in
            counter.increment()
            let ttl: UInt32 = q.questions.first?.name == "long.test." ? 3600 : 1
            return [FakeDNSServer.reply(to: q, answers: [a(q.questions[0].name.description, "192.0.2.4", ttl: ttl)])]
        }
        defer { server.stop() }
        let r = resolver([server.endpoint], timeout: 5)
        // Within its TTL an answer comes from the cache (an hour: no machine is that slow)...
        _ = try await r.resolve("long.test.", type: .a)
        #expect(try await r.resolve("long.test.", type: .a).fromCache && counter.value == 1)
        // ...and after it, from the server again.
        _ = try await r.resolve("ttl.test.", type: .a)
        #expect(counter.value == 2)
        try await Task.sleep(for: .milliseconds(1100))
        #expect(try await !r.resolve("ttl.test.", type: .a).fromCache && counter.value == 3)
    }
}
