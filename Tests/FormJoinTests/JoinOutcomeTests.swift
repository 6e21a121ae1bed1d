import DNSWire
import NetAddress
@testable import FormJoin
import Foundation
import Testing

/// The planner end to end in process: the cache's name check, `expires_at`, the exit-20 line.
@Suite struct JoinOutcomeTests {
    func options(dns: String, bootstrap: [PeerInfo] = [], cache: String? = nil) -> JoinOptions {
        let servers = [Endpoint(parsing: dns, defaultPort: 53)!]
        let resolver = ResolverConfiguration(servers: servers, timeout: 0.5, attempts: 1)
        var o = JoinOptions(name: "entry.test.", resolver: resolver)
        o.bootstrap = bootstrap
        o.cachePath = cache
        o.probe.probesPerCandidate = 1
        o.probe.deadline = 5   // generous: a healthy run takes milliseconds
        return o
    }

    /// Issue 19.12: a cache written for another name was used as if it were this name's.
    @Test func aCacheWrittenForAnotherNameIsNotUsedAndTheResultSaysSo() async throws {
        let dir = temporaryDirectory("planner")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let listener = LoopbackListener()
        let path = dir + "/peers.json"
        let dead = "127.0.0.1:\(FakeDNSServer.closedPort())"
        let cached = [PeerInfo(id: "cached", ipv4: "127.0.0.1", port: listener.port)]
        try PeerCacheFile(name: "other.test.", savedAt: Date(), peers: cached).save(path: path)
        let other = await JoinPlanner.run(options(dns: dead, cache: path))
        #expect(other.exitCode == .nothingReachable && other.peerSet.peers.isEmpty && other.peerSet.unreachable.isEmpty)
        #expect(other.peerSet.notes == ["cache \(path): written for other.test., not entry.test.: not used"])

        try PeerCacheFile(name: "ENTRY.test.", savedAt: Date(timeIntervalSinceNow: -90), peers: cached).save(path: path)
        let same = await JoinPlanner.run(options(dns: dead, cache: path))
        #expect(same.exitCode == .viaFallback && same.peerSet.notes.isEmpty)
        #expect(same.peerSet.peers.map(\.source) == [.cache])
        #expect((same.peerSet.peers.first?.cacheAgeS ?? 0) >= 90)
        // A fallback answer is good for 60 s.
        #expect(same.peerSet.expiresAt.timeIntervalSince(same.peerSet.generatedAt) == 60)
    }

    @Test func anUntrustedCacheIsANoteNotAFailure() async throws {
        let dir = temporaryDirectory("planner")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        chmod(dir, 0o777)
        let dead = "127.0.0.1:\(FakeDNSServer.closedPort())"
        let outcome = await JoinPlanner.run(options(dns: dead, cache: dir + "/peers.json"))
        #expect(outcome.exitCode == .nothingReachable)
        #expect(outcome.peerSet.notes.count == 1 && outcome.peerSet.notes[0].contains("writable by group or others"))
    }

    @Test func aDNSAnswerExpiresWithItsTTLAndIsCachedForItsName() async throws {
        let dir = temporaryDirectory("planner")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let listener = LoopbackListener()
        let server = try FakeDNSServer { q, _, _ in
            q.questions[0].type == .a ? [FakeDNSServer.reply(to: q, answers: [a("entry.test.", "127.0.0.1", ttl: 30)])]
                : [FakeDNSServer.reply(to: q)]
        }
        defer { server.stop() }
        var o = options(dns: server.endpoint, cache: dir + "/peers.json")
        o.port = listener.port
        let outcome = await JoinPlanner.run(o)
        #expect(outcome.exitCode == .viaDNS && outcome.failure == nil)
        #expect(outcome.peerSet.dns.ttl == 30)
        #expect(outcome.peerSet.expiresAt.timeIntervalSince(outcome.peerSet.generatedAt) == 30)
        let cache = try #require(try PeerCacheFile.load(path: dir + "/peers.json"))
        #expect(cache.name == "entry.test." && cache.peers.map(\.id) == ["127.0.0.1"])
    }

    /// Issue 11.12: exit 20 said nothing on stderr; the outcome now carries the line to print.
    @Test func nothingReachableSaysWhatWasTried() async throws {
        let dead = "127.0.0.1:\(FakeDNSServer.closedPort())"
        let none = await JoinPlanner.run(options(dns: dead))
        #expect(none.exitCode == .nothingReachable)
        #expect(none.failure == "nothing reachable for entry.test.: DNS via \(dead): refused "
                + "(connection refused: no DNS server listening on the port); nothing to probe: no DNS candidate, "
                + "no static list (--fallback FILE or $FORM_JOIN_BOOTSTRAP) and no cache")
        let deadPeer = PeerInfo(id: "s", ipv4: "127.0.0.1", port: FakeDNSServer.closedPort())
        let probed = await JoinPlanner.run(options(dns: dead, bootstrap: [deadPeer]))
        let tried = "; tcp probes to 0 DNS, 1 static and 0 cached candidate(s) within 5 s: none answered"
        #expect(probed.failure?.hasSuffix(tried) == true, "\(probed.failure ?? "nil")")
    }

    @Test func tiesBreakOnLossThenOnDNSOrder() {
        func probed(_ id: String, _ samples: [Double], sent: Int, order: Int) -> JoinPlanner.Probed {
            JoinPlanner.Probed(info: PeerInfo(id: id, ipv4: "192.0.2.1", port: 1), source: .dns,
                               stats: ProbeStats(samples: samples, sent: sent, lastError: nil), order: order,
                               cacheAge: nil)
        }
        let ranked = JoinPlanner.rank([
            probed("none", [], sent: 3, order: 0),             // no sample: last
            probed("lossy", [10, 10], sent: 3, order: 1),      // same median as the next two, more loss
            probed("late", [5, 10, 15], sent: 3, order: 4),    // same median and loss: DNS order decides
            probed("early", [10, 10, 10], sent: 3, order: 2),
            probed("fast", [9, 9, 9], sent: 3, order: 3),
        ])
        #expect(ranked.map(\.info.id) == ["fast", "early", "late", "lossy", "none"])
    }
}
