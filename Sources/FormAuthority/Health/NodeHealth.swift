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
    /// Most recent first is not needed: appended in order, bounded.
    public private(set) var transitions: [HealthTransition] = []
    static let keptTransitions = 32

    public init() {}

    /// Records one active check; returns the transition it caused, if any.
    @discardableResult
    public mutating func record(ok: Bool, at now: Double, latencyMs: Double? = nil, detail: String, policy: HealthPolicy) -> HealthTransition? {
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
        let t = HealthTransition(at: now, from: state, to: next,
                                 reason: ok ? "\(consecutiveSuccesses) consecutive successful check(s)" : "\(consecutiveFailures) consecutive failed check(s): \(detail)")
        state = next
        transitions.append(t)
        if transitions.count > Self.keptTransitions { transitions.removeFirst(transitions.count - Self.keptTransitions) }
        return t
    }

    /// What answers use: the override first, then the checked state (unknown per policy).
    public func effective(policy: HealthPolicy) -> HealthState {
        switch override {
        case .forceUp?: return .healthy
        case .forceDown?, .drain?: return .unhealthy
        case nil: return state == .unknown ? policy.unknownAs : state
        }
    }

    /// How many more checks could change the effective state (for TTLs): a healthy node one
    /// failure from `fall` answers 1.
    public func checksUntilPossibleChange(policy: HealthPolicy) -> Int {
        if override != nil { return Int.max }
        switch state {
        case .unknown: return 1
        case .healthy, .degraded: return max(1, policy.fall - consecutiveFailures)
        case .unhealthy: return max(1, policy.rise - consecutiveSuccesses)
        }
    }

    public static func == (a: NodeHealth, b: NodeHealth) -> Bool {
        a.state == b.state && a.consecutiveSuccesses == b.consecutiveSuccesses && a.consecutiveFailures == b.consecutiveFailures
            && a.override == b.override && a.transitions == b.transitions
    }

    public func hash(into h: inout Hasher) {
        h.combine(state); h.combine(consecutiveSuccesses); h.combine(consecutiveFailures); h.combine(override)
    }
}
