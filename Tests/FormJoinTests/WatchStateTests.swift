import Foundation
import Testing

@testable import FormJoin

/// What a watch hands out after each round, and why (the rounds themselves are in WatchTests).
@Suite struct WatchStateTests {
    func peer(_ id: String, _ ms: Double, endpoint: String? = nil, key: String? = nil) -> PeerSet.Peer {
        PeerSet.Peer(
            id: id, source: .dns, endpoints: [endpoint ?? "192.0.2.\(id.count):51820"], ipv4: nil, ipv6: nil, port: 51820,
            publicKey: key, internalEndpoint: nil, region: nil,
            rttMs: PeerSet.RTT(min: ms, median: ms, samples: 3, loss: 0), cacheAgeS: nil, error: nil)
    }

    func outcome(_ peers: [PeerSet.Peer]) -> JoinOutcome {
        let set = PeerSet(
            name: "entry.test.", resolver: nil, outcome: peers.isEmpty ? .none : .dns,
            dns: PeerSet.DNSReport(status: "ok"), timing: PeerSet.Timing(dnsMs: 0, probeMs: 0, totalMs: 0),
            generatedAt: Date(), expiresAt: Date(), peers: peers, unreachable: [])
        return JoinOutcome(
            peerSet: set, exitCode: peers.isEmpty ? .nothingReachable : .viaDNS, failure: nil, ranked: peers)
    }

    @Test func emissionsFollowTheRuleAndSayWhy() throws {
        var state = WatchState(settings: WatchSettings())
        var options = JoinOptions(name: try .init(parsing: "entry.test."), resolver: ResolverConfiguration(servers: []))
        options.maxPeers = 2
        func decide(_ peers: [PeerSet.Peer], reloaded: Bool = false) -> (String, [String])? {
            state.decide(outcome(peers), options: options, reloaded: reloaded).map {
                ($0.reason.rawValue, $0.peerSet.peers.map(\.id))
            }
        }
        #expect(decide([peer("a", 20), peer("b", 30), peer("c", 40)])! == ("initial", ["a", "b"]))
        #expect(decide([peer("b", 25), peer("a", 28), peer("c", 40)]) == nil)  // noise
        #expect(decide([peer("a", 20), peer("b", 30, endpoint: "[2001:db8::2]:51820")])! == ("peer-changed", ["a", "b"]))
        #expect(decide([peer("a", 20), peer("b", 30, endpoint: "[2001:db8::2]:51820", key: "k2")])!
            == ("peer-changed", ["a", "b"]))
        #expect(decide([peer("b", 30), peer("c", 40)])! == ("first-peer-lost", ["b", "c"]))
        #expect(decide([peer("b", 30), peer("a", 5), peer("c", 40)])! == ("better-peer", ["a", "b"]))
        #expect(decide([peer("a", 5), peer("c", 40)])! == ("peer-lost", ["a", "c"]))
        // After a reload: d beats c (the slowest held), but not a (4 ms faster, under the margin).
        #expect(decide([peer("d", 1), peer("a", 5), peer("c", 40)], reloaded: true)! == ("reload", ["a", "d"]))
        #expect(decide([])! == ("first-peer-lost", []))
        #expect(state.sequence == 8)
    }

    @Test func theNextRoundWaitsTheIntervalButNotPastTheResolution() {
        var settings = WatchSettings()
        settings.probeInterval = 30
        settings.jitter = 0.1
        var state = WatchState(settings: settings)
        state.nextResolve = 100
        #expect(state.delay(now: 0, unit: 0.5) == 30)
        #expect(state.delay(now: 0, unit: 0) == 27)
        #expect(state.delay(now: 90, unit: 0.5) == 10)
        #expect(state.delay(now: 200, unit: 0.5) == 0.01)
    }

    @Test func settingsThatCannotWorkAreRefusedByTheWatch() throws {
        var settings = WatchSettings()
        settings.probeInterval = 0
        let options = JoinOptions(name: try .init(parsing: "entry.test."), resolver: ResolverConfiguration(servers: []))
        #expect(throws: JoinError.self) { _ = try PeerWatch(options: options, settings: settings) }
    }
}
