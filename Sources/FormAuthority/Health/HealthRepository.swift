import Synchronization

/// Every node's health, shared by the checkers (writers) and the answer path (readers).
///
/// Readers look at `generation` (one atomic load) to know whether cached answers are still valid,
/// and take the lock only to build a new answer (a cache miss), never per cached query.
public final class HealthRepository: Sendable {
    public let policy: HealthPolicy
    public let generation = Atomic<Int>(0)
    private let nodes: Mutex<[String: NodeHealth]>
    private let onTransition: @Sendable (String, HealthTransition) -> Void

    public init(policy: HealthPolicy, nodeIDs: [String], onTransition: @escaping @Sendable (String, HealthTransition) -> Void = { _, _ in }) {
        self.policy = policy
        self.nodes = Mutex(Dictionary(uniqueKeysWithValues: nodeIDs.map { ($0, NodeHealth()) }))
        self.onTransition = onTransition
    }

    public func record(node id: String, ok: Bool, at now: Double, latencyMs: Double?, detail: String) {
        let transition = nodes.withLock { n -> HealthTransition? in
            n[id, default: NodeHealth()].record(ok: ok, at: now, latencyMs: latencyMs, detail: detail, policy: policy)
        }
        if let transition {
            generation.add(1, ordering: .releasing)
            onTransition(id, transition)
        }
    }

    public func setOverride(node id: String, _ o: HealthOverride?) {
        nodes.withLock { $0[id, default: NodeHealth()].override = o }
        generation.add(1, ordering: .releasing)
    }

    public func snapshot() -> [String: NodeHealth] { nodes.withLock { $0 } }

    public func effective(_ id: String) -> HealthState {
        nodes.withLock { ($0[id] ?? NodeHealth()).effective(policy: policy) }
    }
}
