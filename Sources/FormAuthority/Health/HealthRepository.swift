import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// Every node's health, shared by the checkers and the management API (writers) and the answer
/// path (readers).
///
/// Readers look at `generation` (one atomic load) to know whether cached answers are still valid,
/// and take the lock only to build a new answer (a cache miss), never per cached query. Every
/// change of a node's *effective* state (checks, pushed reports, rules, staleness, overrides)
/// bumps the generation and is reported to `onTransition`; so does every failed check of a passing
/// node (and its recovery), which changes the TTL answers carry, so every worker rebuilds them.
public final class HealthRepository: Sendable {
    public let policy: HealthPolicy
    public let push: PushPolicy
    public let generation = Atomic<Int>(0)
    /// Seconds on a monotonic clock; injected so tests control time.
    public let clock: @Sendable () -> Double
    private let state:
        Mutex<(nodes: [String: NodeHealth], effective: [String: HealthState], history: [String: [HealthTransition]])>
    private let onTransition: @Sendable (String, HealthTransition) -> Void
    private let onCheckedState: @Sendable (String, HealthState) -> Void

    public init(
        policy: HealthPolicy, push: PushPolicy = PushPolicy(), nodeIDs: [String],
        clock: @escaping @Sendable () -> Double = HealthRepository.monotonic,
        onTransition: @escaping @Sendable (String, HealthTransition) -> Void = { _, _ in },
        onCheckedState: @escaping @Sendable (String, HealthState) -> Void = { _, _ in }
    ) {
        self.policy = policy
        self.push = push
        self.clock = clock
        let nodes = Dictionary(uniqueKeysWithValues: nodeIDs.map { ($0, NodeHealth()) })
        self.state = Mutex((nodes, nodes.mapValues { $0.effective(policy: policy) }, [:]))
        self.onTransition = onTransition
        self.onCheckedState = onCheckedState
    }

    public static let monotonic: @Sendable () -> Double = {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Applies `change` to one node and publishes what it caused: a transition of the checked
    /// state (so "unknown -> healthy" is seen when the first check confirms a node) or else a
    /// change of the effective state (pushed reports, rules, staleness, overrides).
    private func mutate(
        _ id: String, reason: (NodeHealth) -> String,
        announcing: ((_ before: NodeHealth, _ after: NodeHealth, _ at: Double) -> HealthTransition)? = nil,
        _ change: (inout NodeHealth) -> Void
    ) {
        let now = clock()
        var ttlChanged = false
        var checkedState: HealthState? = nil
        let transition = state.withLock { s -> HealthTransition? in
            var node = s.nodes[id] ?? NodeHealth()
            let nodeBefore = node
            let lastBefore = node.transitions.last
            let removalBefore = node.checksUntilRemoval(policy: policy)
            change(&node)
            ttlChanged = node.checksUntilRemoval(policy: policy) != removalBefore
            s.nodes[id] = node
            let before = s.effective[id] ?? policy.unknownAs
            let after = node.effective(policy: policy, push: push, at: now)
            s.effective[id] = after
            var t: HealthTransition? = nil
            if let checked = node.transitions.last, checked != lastBefore {
                t = checked
                checkedState = node.state
                // This authority's own view changed; say what answers use when the fleet decides.
                if let agreed = node.agreed { t?.reason += "; answers follow the fleet's verdict: \(agreed.rawValue)" }
            }  // (the list is bounded: compare, don't count)
            else if let announcing {
                t = announcing(nodeBefore, node, now)
            } else if before != after {
                t = HealthTransition(at: now, from: before, to: after, reason: reason(node))
            }
            if let t {
                s.history[id, default: []].append(t)
                if s.history[id]!.count > NodeHealth.keptTransitions { s.history[id]!.removeFirst() }
            }
            return t
        }
        if transition != nil || ttlChanged { generation.add(1, ordering: .releasing) }
        if let transition { onTransition(id, transition) }
        if let checkedState { onCheckedState(id, checkedState) }
    }

    /// An active check's result.
    public func record(node id: String, ok: Bool, at now: Double, latencyMs: Double?, detail: String) {
        mutate(
            id,
            reason: { n in
                ok
                    ? "\(n.consecutiveSuccesses) consecutive successful check(s)"
                    : "\(n.consecutiveFailures) consecutive failed check(s): \(detail)"
            }
        ) {
            $0.record(ok: ok, at: now, latencyMs: latencyMs, detail: detail, policy: policy)
        }
    }

    /// A node's own report.
    public func report(node id: String, state reported: HealthState?, metrics: [String: Double]) {
        let now = clock()
        mutate(
            id,
            reason: { _ in
                let listed = metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                return "pushed report \(reported?.rawValue ?? "-") \(listed.joined(separator: " "))"
            }
        ) {
            $0.report(PushedReport(at: now, state: reported, metrics: metrics), push: push)
        }
    }

    /// The checked state known before a restart (see `NodeHealth.restore`); ignored for a node
    /// checked since.
    public func restore(node id: String, checked: HealthState) {
        mutate(id, reason: { _ in "restored" }) { [clock] in $0.restore(checked, at: clock()) }
    }

    public func setOverride(node id: String, _ o: HealthOverride?) {
        mutate(id, reason: { _ in "operator override \(o?.rawValue ?? "cleared")" }) { $0.override = o }
    }

    /// Sets the fleet's verdict on a node (nil: none, the node's own checks decide); `why` says
    /// how the authorities' views add up to it.
    public func setAgreed(node id: String, _ verdict: HealthState?, why: String) {
        guard state.withLock({ ($0.nodes[id] ?? NodeHealth()).agreed != verdict }) else { return }
        // Announced even when what answers use stays the same (this authority's own checks may
        // already agree): the events show every verdict and why.
        mutate(
            id, reason: { _ in "" },
            announcing: { before, after, at in
                HealthTransition(
                    at: at, from: before.agreed ?? before.state, to: after.agreed ?? after.state,
                    reason: "fleet verdict \(verdict?.rawValue ?? "none"): \(why)")
            }
        ) { $0.agreed = verdict }
    }

    /// Re-evaluates time-dependent state (stale reports); call periodically.
    public func tick() {
        let ids = state.withLock { Array($0.nodes.keys) }
        for id in ids { mutate(id, reason: { _ in "report went stale" }) { _ in } }
    }

    public func snapshot() -> [String: NodeHealth] { state.withLock { $0.nodes } }

    /// Every published transition per node (checked and effective), oldest first, bounded.
    public func history() -> [String: [HealthTransition]] { state.withLock { $0.history } }

    /// Effective states as of the last change (what answers use).
    public func effectiveStates() -> [String: HealthState] { state.withLock { $0.effective } }

    /// Each node's effective state as of now, as a lookup for ranking (unlisted nodes: per policy).
    public func stateLookup() -> (PoolNode) -> HealthState {
        let states = effectiveStates()
        let unknown = policy.unknownAs
        return { states[$0.id] ?? unknown }
    }

    public func effective(_ id: String) -> HealthState {
        state.withLock { $0.effective[id] ?? policy.unknownAs }
    }

    public func knows(_ id: String) -> Bool { state.withLock { $0.nodes[id] != nil } }
}
