/// How many authorities of a fleet must see a node in a state before every authority answers as
/// if it were (`fleet.quorum`): so one authority with a broken uplink cannot drain the world.
public enum HealthQuorum: Sendable, Hashable, CustomStringConvertible {
    /// More than half of the authorities that reported recently.
    case majority
    /// At least this many (or all of them, when fewer report: a fleet shrunk to one still acts).
    case authorities(Int)

    /// Authorities needed out of `reporting`.
    public func required(of reporting: Int) -> Int {
        switch self {
        case .majority: return reporting / 2 + 1
        case .authorities(let n): return min(n, reporting)
        }
    }

    /// The fleet's verdict from each authority's checked state of one node: the worst state that
    /// at least `required` of them see (that state or worse), else healthy; nil when no view
    /// counts (no authority has checked it yet: each then goes by its own checks).
    ///
    /// With one view the verdict is that view, so a lone authority behaves as without a fleet.
    public func verdict(_ views: [HealthState]) -> HealthState? {
        let checked = views.filter { $0 != .unknown }
        guard !checked.isEmpty else { return nil }
        let needed = required(of: checked.count)
        for state in [HealthState.unhealthy, .degraded] where checked.count(where: { $0 >= state }) >= needed {
            return state
        }
        return .healthy
    }

    public var description: String {
        switch self {
        case .majority: return "majority"
        case .authorities(let n): return String(n)
        }
    }
}
