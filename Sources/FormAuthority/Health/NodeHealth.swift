/// Health of one entry node as the authority sees it.
public enum HealthState: String, Sendable, Codable, Comparable {
    /// No check has completed yet (cold start, or a node just added).
    case unknown
    case healthy
    case degraded
    case unhealthy

    var severity: Int {
        switch self {
        case .healthy: return 0
        case .unknown: return 1
        case .degraded: return 2
        case .unhealthy: return 3
        }
    }

    public static func < (a: HealthState, b: HealthState) -> Bool { a.severity < b.severity }
}

/// Rise/fall hysteresis (as gdnsd and HAProxy do it) and the cold-start policy.
public struct HealthPolicy: Sendable, Hashable {
    /// Consecutive successes that bring an unhealthy (or unknown) node up.
    public var rise: Int = 2
    /// Consecutive failures that take a healthy node down.
    public var fall: Int = 3
    /// How `unknown` is answered: cold start is not an outage, so by default unknown counts as healthy.
    public var unknownAs: HealthState = .healthy

    public init(rise: Int = 2, fall: Int = 3, unknownAs: HealthState = .healthy) {
        self.rise = rise
        self.fall = fall
        self.unknownAs = unknownAs
    }
}

/// An operator's manual override.
public enum HealthOverride: String, Sendable, Codable {
    /// Taken out of answers gracefully (still checked, not an outage).
    case drain
    case forceUp = "force-up"
    case forceDown = "force-down"
}

/// A node's own report (pushed to the management API): an optional state and metrics.
public struct PushedReport: Sendable, Hashable, Codable {
    public var at: Double
    public var state: HealthState?
    /// e.g. cpu (0...1), memory (0...1), load, packet_loss (0...1), latency_ms.
    public var metrics: [String: Double]
    public init(at: Double, state: HealthState? = nil, metrics: [String: Double] = [:]) {
        self.at = at
        self.state = state
        self.metrics = metrics
    }
}

/// `metric > above` for at least `forSeconds` (of consecutive reports) -> `state`.
public struct ThresholdRule: Sendable, Hashable, Codable {
    public var metric: String
    public var above: Double
    public var forSeconds: Double
    public var state: HealthState
    public init(metric: String, above: Double, forSeconds: Double, state: HealthState) {
        self.metric = metric
        self.above = above
        self.forSeconds = forSeconds
        self.state = state
    }
}

/// How pushed reports count.
public struct PushPolicy: Sendable, Hashable {
    /// A report older than this counts as `unknown` (then treated per `HealthPolicy.unknownAs`).
    public var staleAfter: Double = 30
    public var rules: [ThresholdRule] = []
    public init(staleAfter: Double = 30, rules: [ThresholdRule] = []) {
        self.staleAfter = staleAfter
        self.rules = rules
    }
}

/// One state change, with why and when (seconds on the injected clock).
public struct HealthTransition: Sendable, Hashable, Codable {
    public var at: Double
    public var from: HealthState
    public var to: HealthState
    public var reason: String
}

/// The state machine for one node: pure, driven by check results and an injected clock.
public struct NodeHealth: Sendable, Hashable {
    public private(set) var state: HealthState = .unknown
    public private(set) var consecutiveSuccesses = 0
    public private(set) var consecutiveFailures = 0
    public private(set) var lastCheck: (at: Double, ok: Bool, latencyMs: Double?, detail: String)? = nil
    public var override: HealthOverride? = nil
    /// The fleet's verdict (`HealthQuorum.verdict`), which stands in for this authority's own
    /// checked state in answers; nil without a fleet, or before the fleet has one.
    public var agreed: HealthState? = nil
    public private(set) var pushed: PushedReport? = nil
    /// Per rule: since when its condition has held (cleared when a report breaks it).
    public private(set) var ruleSince: [Int: Double] = [:]
    /// Most recent first is not needed: appended in order, bounded.
    public private(set) var transitions: [HealthTransition] = []
    public static let keptTransitions = 32

    public init() {}

    /// Records one active check; returns the transition it caused, if any.
    @discardableResult
    public mutating func record(
        ok: Bool, at now: Double, latencyMs: Double? = nil, detail: String, policy: HealthPolicy
    ) -> HealthTransition? {
        lastCheck = (now, ok, latencyMs, detail)
        if ok {
            consecutiveSuccesses += 1
            consecutiveFailures = 0
        } else {
            consecutiveFailures += 1
            consecutiveSuccesses = 0
        }
        let next: HealthState
        switch state {
        case .unknown:
            // The first completed check decides: one success is enough to be up, one failure to be down,
            // so a restart does not keep a dead node in answers for `fall` intervals.
            next = ok ? .healthy : .unhealthy
        case .healthy, .degraded:
            next = consecutiveFailures >= policy.fall ? .unhealthy : state
        case .unhealthy:
            next = consecutiveSuccesses >= policy.rise ? .healthy : .unhealthy
        }
        guard next != state else { return nil }
        let t = HealthTransition(
            at: now, from: state, to: next,
            reason: ok
                ? "\(consecutiveSuccesses) consecutive successful check(s)"
                : "\(consecutiveFailures) consecutive failed check(s): \(detail)")
        state = next
        transitions.append(t)
        if transitions.count > Self.keptTransitions {
            transitions.removeFirst(transitions.count - Self.keptTransitions)
        }
        return t
    }

    /// Takes the checked state known before a restart, for a node not checked since, so the
    /// checks go on from it instead of from `unknown`: a node that was down is answered again only
    /// after `rise` good checks, not after the first one.
    @discardableResult
    public mutating func restore(_ known: HealthState, at now: Double) -> HealthTransition? {
        guard state == .unknown, known != .unknown else { return nil }
        let t = HealthTransition(
            at: now, from: state, to: known, reason: "restored: the last state known before the restart")
        state = known
        transitions.append(t)
        return t
    }

    /// Records a pushed report, tracking how long each threshold rule's condition has held.
    public mutating func report(_ r: PushedReport, push: PushPolicy) {
        pushed = r
        for (i, rule) in push.rules.enumerated() {
            if let v = r.metrics[rule.metric], v > rule.above {
                if ruleSince[i] == nil { ruleSince[i] = r.at }
            } else {
                ruleSince[i] = nil
            }
        }
    }

    /// The state the node's own reports imply at `now`: nil without reports, `unknown` once stale,
    /// else the worst of the reported state and every rule whose condition has held long enough.
    public func pushedState(at now: Double, push: PushPolicy) -> HealthState? {
        guard let pushed else { return nil }
        if now - pushed.at > push.staleAfter { return .unknown }
        var worst = pushed.state ?? .healthy
        for (i, rule) in push.rules.enumerated() {
            if let since = ruleSince[i], pushed.at - since >= rule.forSeconds, rule.state > worst { worst = rule.state }
        }
        return worst
    }

    /// What answers use (the documented combination rule): an override wins; otherwise the worse
    /// of the active checks' state (the fleet's verdict on it, when there is one) and the pushed
    /// state, each `unknown` mapped by the policy.
    public func effective(policy: HealthPolicy, push: PushPolicy = PushPolicy(), at now: Double = 0) -> HealthState {
        switch override {
        case .forceUp?: return .healthy
        case .forceDown?, .drain?: return .unhealthy
        case nil:
            let checked = agreed ?? state
            let active = checked == .unknown ? policy.unknownAs : checked
            guard let p = pushedState(at: now, push: push) else { return active }
            let pushedMapped = p == .unknown ? policy.unknownAs : p
            return max(active, pushedMapped)
        }
    }

    /// How many more failed checks would take this node out of answers, counted from its first
    /// failed check (for TTLs, as gdnsd does); nil while it passes its checks, or when checks cannot
    /// remove it (an override, or already down). An unknown node is decided by its next check.
    public func checksUntilRemoval(policy: HealthPolicy) -> Int? {
        if override != nil { return nil }
        switch state {
        case .unknown: return 1
        case .healthy, .degraded: return consecutiveFailures == 0 ? nil : max(1, policy.fall - consecutiveFailures)
        case .unhealthy: return nil
        }
    }

    public static func == (a: NodeHealth, b: NodeHealth) -> Bool {
        a.state == b.state && a.consecutiveSuccesses == b.consecutiveSuccesses
            && a.consecutiveFailures == b.consecutiveFailures
            && a.override == b.override && a.agreed == b.agreed && a.transitions == b.transitions
    }

    public func hash(into h: inout Hasher) {
        h.combine(state)
        h.combine(consecutiveSuccesses)
        h.combine(consecutiveFailures)
        h.combine(override)
    }
}
