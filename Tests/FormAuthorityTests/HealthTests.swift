import FormAuthority
import GeoIP
import Synchronization
import Testing

/// The health state machine and TTL function with an injected clock: no sleeping.
@Suite struct HealthTests {
    let policy = HealthPolicy(rise: 2, fall: 3)

    @Test func coldStartIsNotAnOutage() {
        let h = NodeHealth()
        #expect(h.state == .unknown)
        #expect(h.effective(policy: policy) == .healthy)
        #expect(h.effective(policy: HealthPolicy(unknownAs: .unhealthy)) == .unhealthy)
    }

    @Test func firstCheckDecidesThenHysteresis() {
        var h = NodeHealth()
        #expect(h.checksUntilRemoval(policy: policy) == 1)  // unknown: the next check decides
        #expect(h.record(ok: true, at: 0, detail: "ok", policy: policy)?.to == .healthy)
        #expect(h.checksUntilRemoval(policy: policy) == nil)  // passing: nothing bounds the TTL
        // fall = 3: two failures keep it up, the third takes it down.
        #expect(h.record(ok: false, at: 1, detail: "refused", policy: policy) == nil)
        #expect(h.checksUntilRemoval(policy: policy) == 2)
        #expect(h.record(ok: false, at: 2, detail: "refused", policy: policy) == nil)
        #expect(h.checksUntilRemoval(policy: policy) == 1)
        let down = h.record(ok: false, at: 3, detail: "refused", policy: policy)
        #expect(down?.to == .unhealthy && down?.at == 3 && down?.reason.contains("3 consecutive failed") == true)
        // rise = 2: one success is not enough.
        #expect(h.record(ok: true, at: 4, detail: "ok", policy: policy) == nil)
        #expect(h.record(ok: true, at: 5, detail: "ok", policy: policy)?.to == .healthy)
        #expect(h.transitions.map(\.to) == [.healthy, .unhealthy, .healthy])
        #expect(h.checksUntilRemoval(policy: policy) == nil)
    }

    @Test func flappingDoesNotFlip() {
        var h = NodeHealth()
        h.record(ok: true, at: 0, detail: "ok", policy: policy)
        for t in 1...20 { h.record(ok: t % 2 == 0, at: Double(t), detail: "flap", policy: policy) }
        #expect(h.state == .healthy)
        #expect(h.transitions.count == 1)
    }

    @Test func overrides() {
        var h = NodeHealth()
        h.record(ok: true, at: 0, detail: "ok", policy: policy)
        h.override = .drain
        #expect(h.effective(policy: policy) == .unhealthy)
        h.override = .forceDown
        #expect(h.effective(policy: policy) == .unhealthy)
        h.override = nil
        for t in 1...3 { h.record(ok: false, at: Double(t), detail: "x", policy: policy) }
        h.override = .forceUp
        #expect(h.effective(policy: policy) == .healthy)
        #expect(h.checksUntilRemoval(policy: policy) == nil)
    }

    @Test func ttlShortensWithHealth() {
        let ttl = HealthTTLPolicy(full: 300, degraded: 60, minimum: 5, checkInterval: 0.5)
        #expect(ttl.ttl(answered: [.healthy, .healthy], failOpen: false, checksUntilRemoval: nil) == 300)
        #expect(ttl.ttl(answered: [.healthy, .degraded], failOpen: false, checksUntilRemoval: nil) == 60)
        #expect(ttl.ttl(answered: [.unhealthy], failOpen: true, checksUntilRemoval: nil) == 5)
        // A node one check from `fall` bounds the TTL to one interval, but never below the minimum.
        #expect(ttl.ttl(answered: [.healthy], failOpen: false, checksUntilRemoval: 1) == 5)
        let slow = HealthTTLPolicy(full: 300, degraded: 60, minimum: 5, checkInterval: 10)
        #expect(slow.ttl(answered: [.healthy], failOpen: false, checksUntilRemoval: 3) == 30)
        #expect(slow.ttl(answered: [.healthy], failOpen: false, checksUntilRemoval: 2) == 20)
    }

    /// Fast checks (500 ms) no longer pin every answer to the minimum: the TTL is full while the
    /// answered nodes pass, and each failed check moves the generation so every worker's cached
    /// answer is rebuilt with the shrinking TTL.
    @Test func failedChecksMoveTheGenerationWithoutATransition() {
        let repository = HealthRepository(policy: policy, nodeIDs: ["a"], clock: { 0 })
        repository.record(node: "a", ok: true, at: 0, latencyMs: nil, detail: "ok")
        let up = repository.generation.load(ordering: .acquiring)
        repository.record(node: "a", ok: true, at: 1, latencyMs: nil, detail: "ok")
        #expect(repository.generation.load(ordering: .acquiring) == up)  // nothing changed
        repository.record(node: "a", ok: false, at: 2, latencyMs: nil, detail: "refused")
        let firstFailure = repository.generation.load(ordering: .acquiring)
        #expect(firstFailure > up)
        #expect(repository.effective("a") == .healthy)
        repository.record(node: "a", ok: false, at: 3, latencyMs: nil, detail: "refused")
        #expect(repository.generation.load(ordering: .acquiring) > firstFailure)
        let secondFailure = repository.generation.load(ordering: .acquiring)
        repository.record(node: "a", ok: true, at: 4, latencyMs: nil, detail: "ok")  // recovered: full TTL again
        #expect(repository.generation.load(ordering: .acquiring) > secondFailure)
    }
}

@Suite struct HealthAwareRankingTests {
    let client = GeoLocation(latitude: 0, longitude: 0)
    func node(_ id: String, lon: Double) -> PoolNode {
        PoolNode(id: id, ipv4: [127, 0, 0, UInt8(lon)], location: GeoLocation(latitude: 0, longitude: lon))
    }
    var pool: GeoPool { GeoPool(name: "p", names: ["p.test."], nodes: [node("a", lon: 1), node("b", lon: 2), node("c", lon: 3)], policy: SelectionPolicy(maxAnswers: 2)) }

    @Test func unhealthyNodesAreDroppedAndReported() {
        let ranked = GeoSelector.rank(pool, client: client, cellKey: 1) { $0.id == "a" ? .unhealthy : .healthy }
        #expect(GeoSelector.select(ranked, ipv6: false, maxAnswers: 2).map(\.id) == ["b", "c"])
        #expect(ranked.first { $0.node.id == "a" }?.verdict == .unhealthy)
    }

    @Test func degradedNodesRankAfterHealthyOnesNearby() {
        // a is nearest but degraded: cost x4 (112 x 4 = 449) puts it after b (223) and c (335).
        let ranked = GeoSelector.rank(pool, client: client, cellKey: 1) { $0.id == "a" ? .degraded : .healthy }
        #expect(ranked.prefix(3).map(\.node.id) == ["b", "c", "a"])
    }

    @Test func failOpenWhenEverythingIsDown() {
        let ranked = GeoSelector.rank(pool, client: client, cellKey: 1) { _ in .unhealthy }
        #expect(GeoSelector.select(ranked, ipv6: false, maxAnswers: 2).map(\.id) == ["a", "b"])
        #expect(ranked.first?.verdict == .failOpen(rank: 1))
        var closed = pool
        closed.policy.failOpen = false
        #expect(GeoSelector.select(GeoSelector.rank(closed, client: client, cellKey: 1) { _ in .unhealthy }, ipv6: false, maxAnswers: 2).isEmpty)
    }

    /// A node restored as unhealthy needs `rise` good checks (not one, as from unknown); a node
    /// checked since is not overwritten; every change of the checked state is reported.
    @Test func restoredStatesGoOnWithHysteresis() {
        let seen = Mutex<[String]>([])
        let repo = HealthRepository(
            policy: HealthPolicy(rise: 2, fall: 3), nodeIDs: ["down", "checked"], clock: { 0 },
            onCheckedState: { id, state in seen.withLock { $0.append("\(id) \(state.rawValue)") } })
        repo.restore(node: "down", checked: .unhealthy)
        #expect(repo.effective("down") == .unhealthy)
        repo.record(node: "down", ok: true, at: 1, latencyMs: 1, detail: "ok")
        #expect(repo.effective("down") == .unhealthy, "one good check after a restart is not enough")
        repo.record(node: "down", ok: true, at: 2, latencyMs: 1, detail: "ok")
        #expect(repo.effective("down") == .healthy)
        repo.record(node: "checked", ok: false, at: 1, latencyMs: nil, detail: "x")
        repo.restore(node: "checked", checked: .healthy)
        #expect(repo.effective("checked") == .unhealthy)
        #expect(seen.withLock { $0 } == ["down unhealthy", "down healthy", "checked unhealthy"])
    }

    @Test func repositoryBumpsItsGenerationOnTransitionsAndTTLChanges() {
        let repo = HealthRepository(policy: HealthPolicy(rise: 1, fall: 2), nodeIDs: ["a"])
        #expect(repo.generation.load(ordering: .relaxed) == 0)
        repo.record(node: "a", ok: true, at: 0, latencyMs: 1, detail: "ok")       // unknown -> healthy
        #expect(repo.generation.load(ordering: .relaxed) == 1)
        repo.record(node: "a", ok: true, at: 1, latencyMs: 1, detail: "ok")       // nothing changes
        #expect(repo.generation.load(ordering: .relaxed) == 1)
        repo.record(node: "a", ok: false, at: 1, latencyMs: nil, detail: "x")     // 1 of 2: the TTL shrinks
        #expect(repo.generation.load(ordering: .relaxed) == 2 && repo.effective("a") == .healthy)
        repo.record(node: "a", ok: false, at: 2, latencyMs: nil, detail: "x")     // -> unhealthy
        #expect(repo.generation.load(ordering: .relaxed) == 3 && repo.effective("a") == .unhealthy)
        repo.setOverride(node: "a", .forceUp)
        #expect(repo.effective("a") == .healthy)
    }
}

@Suite struct RegionalSpillOverTests {
    func node(_ id: String, lat: Double, lon: Double, region: String) -> PoolNode {
        PoolNode(id: id, ipv4: [127, 0, 0, 1], location: GeoLocation(latitude: lat, longitude: lon, region: region))
    }

    @Test func clientsOfADegradedRegionSpillToTheNearestHealthyRegion() {
        // eu has 4 nodes, 3 of them down (25% up < 50%): its survivor is penalised, so a client in
        // Amsterdam goes to us-east (the nearest healthy region) before the last eu node.
        let nodes = [node("eu1", lat: 52.4, lon: 4.9, region: "eu"), node("eu2", lat: 51.5, lon: -0.1, region: "eu"),
                     node("eu3", lat: 50.1, lon: 8.7, region: "eu"), node("eu4", lat: 48.9, lon: 2.4, region: "eu"),
                     node("us1", lat: 40.7, lon: -74.0, region: "us"), node("ap1", lat: 35.7, lon: 139.7, region: "ap")]
        let pool = GeoPool(name: "p", names: ["p.test."], nodes: nodes, policy: SelectionPolicy(maxAnswers: 2))
        let down: Set<String> = ["eu1", "eu2", "eu3"]
        let health: (PoolNode) -> HealthState = { down.contains($0.id) ? .unhealthy : .healthy }
        #expect(GeoSelector.degradedRegions(pool, health: health) == ["eu"])
        let ranked = GeoSelector.rank(pool, client: GeoLocation(latitude: 52.4, longitude: 4.9), cellKey: 1, health: health)
        #expect(GeoSelector.select(ranked, ipv6: false, maxAnswers: 2).map(\.id) == ["us1", "ap1"])
        #expect(ranked.first { $0.node.id == "eu4" }?.regionDegraded == true)
        // With only one of four down, eu is fine: its nodes stay first.
        let one: (PoolNode) -> HealthState = { $0.id == "eu1" ? .unhealthy : .healthy }
        #expect(GeoSelector.rank(pool, client: GeoLocation(latitude: 52.4, longitude: 4.9), cellKey: 1, health: one).first?.node.id == "eu2")
    }
}

/// Pushed reports, threshold rules and staleness, with a controllable clock.
@Suite struct PushedHealthTests {
    final class Clock: @unchecked Sendable {
        // @unchecked Sendable: the tests mutate `now` only between calls, on one thread.
        var now: Double = 0
    }

    @Test func rulesStalenessAndTheCombinationRule() {
        let clock = Clock()
        let push = PushPolicy(staleAfter: 30, rules: [ThresholdRule(metric: "cpu", above: 0.9, forSeconds: 60, state: .degraded),
                                                      ThresholdRule(metric: "packet_loss", above: 0.2, forSeconds: 0, state: .unhealthy)])
        let repo = HealthRepository(policy: HealthPolicy(unknownAs: .healthy), push: push, nodeIDs: ["n"], clock: { clock.now })
        repo.report(node: "n", state: .healthy, metrics: ["cpu": 0.95])
        #expect(repo.effective("n") == .healthy)           // cpu high, but not yet for 60 s
        clock.now = 61
        repo.report(node: "n", state: .healthy, metrics: ["cpu": 0.97])
        #expect(repo.effective("n") == .degraded)          // held for 61 s
        clock.now = 70
        repo.report(node: "n", state: .healthy, metrics: ["cpu": 0.5])
        #expect(repo.effective("n") == .healthy)           // the condition broke: the window restarts
        repo.report(node: "n", state: nil, metrics: ["packet_loss": 0.5])
        #expect(repo.effective("n") == .unhealthy)         // immediate rule
        // The worse of active and pushed: a healthy check does not hide a bad report.
        repo.record(node: "n", ok: true, at: 70, latencyMs: 1, detail: "ok")
        #expect(repo.effective("n") == .unhealthy)
        // Stale after 30 s without a report: unknown, treated per policy (healthy), and the active state rules.
        clock.now = 101
        repo.tick()
        #expect(repo.effective("n") == .healthy)
        let strict = HealthRepository(policy: HealthPolicy(unknownAs: .unhealthy), push: push, nodeIDs: ["n"], clock: { clock.now })
        strict.record(node: "n", ok: true, at: 101, latencyMs: 1, detail: "ok")
        strict.report(node: "n", state: .healthy, metrics: [:])
        clock.now = 200
        strict.tick()
        #expect(strict.effective("n") == .unhealthy)       // a stale report counts as unknown -> unhealthy by policy
    }
}
