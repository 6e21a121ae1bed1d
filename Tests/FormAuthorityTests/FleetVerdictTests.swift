import FormAuthority
import Testing

/// The fleet's verdict on a node from each authority's view: one authority cannot drain a node
/// the others reach; a quorum can.
@Suite struct FleetVerdictTests {
    @Test func aMajorityDecides() {
        let q = HealthQuorum.majority
        #expect(q.verdict([.unhealthy, .healthy, .healthy]) == .healthy)
        #expect(q.verdict([.unhealthy, .unhealthy, .healthy]) == .unhealthy)
        #expect(q.verdict([.unhealthy, .healthy]) == .healthy)  // half is not a majority
        #expect(q.verdict([.degraded, .unhealthy, .healthy]) == .degraded)  // two see it degraded or worse
        #expect(q.verdict([.unhealthy]) == .unhealthy)  // alone: its own view
        #expect(q.verdict([.healthy]) == .healthy)
        #expect(q.verdict([]) == nil)
        #expect(q.verdict([.unknown, .unknown]) == nil)
        // Unchecked views do not count: 1 of 2, then 1 of 1.
        #expect(q.verdict([.unknown, .unhealthy, .healthy]) == .healthy)
        #expect(q.verdict([.unknown, .unhealthy]) == .unhealthy)
    }

    @Test func aCountDecidesAndAShrunkenFleetStillActs() {
        let two = HealthQuorum.authorities(2)
        #expect(two.verdict([.unhealthy, .healthy, .healthy, .healthy]) == .healthy)
        #expect(two.verdict([.unhealthy, .unhealthy, .healthy, .healthy]) == .unhealthy)
        #expect(two.verdict([.unhealthy]) == .unhealthy)
        #expect(two.required(of: 1) == 1 && two.required(of: 5) == 2)
        #expect(HealthQuorum.majority.required(of: 4) == 3)
    }

    /// The verdict stands in for the node's own checks in what answers use; overrides still win.
    @Test func theVerdictStandsInForTheChecks() {
        let policy = HealthPolicy()
        var node = NodeHealth()
        node.record(ok: false, at: 0, detail: "refused", policy: policy)
        #expect(node.effective(policy: policy) == .unhealthy)
        node.agreed = .healthy
        #expect(node.effective(policy: policy) == .healthy)
        #expect(node.state == .unhealthy)  // (its own view, as published, is unchanged)
        node.agreed = .unhealthy
        node.override = .forceUp
        #expect(node.effective(policy: policy) == .healthy)
        node.override = nil
        node.agreed = nil
        #expect(node.effective(policy: policy) == .unhealthy)
    }

    @Test func theRepositoryReportsTheVerdictAsATransition() {
        let seen = LockedTransitions()
        let repository = HealthRepository(
            policy: HealthPolicy(), nodeIDs: ["n1"], clock: { 0 }, onTransition: { id, t in seen.append(id, t) })
        repository.record(node: "n1", ok: false, at: 0, latencyMs: nil, detail: "refused")
        #expect(repository.effective("n1") == .unhealthy)
        let before = repository.generation.load(ordering: .acquiring)
        repository.setAgreed(node: "n1", .healthy, why: "1 of 3 authorities see it unhealthy")
        #expect(repository.effective("n1") == .healthy)
        #expect(repository.generation.load(ordering: .acquiring) > before)
        #expect(seen.last?.reason.contains("fleet verdict healthy: 1 of 3") == true)
        let count = seen.count
        repository.setAgreed(node: "n1", .healthy, why: "again")
        #expect(seen.count == count)  // (the same verdict again changes nothing)
    }
}

import Synchronization

final class LockedTransitions: Sendable {
    private let list = Mutex<[HealthTransition]>([])
    func append(_ id: String, _ t: HealthTransition) { list.withLock { $0.append(t) } }
    var last: HealthTransition? { list.withLock { $0.last } }
    var count: Int { list.withLock { $0.count } }
}
