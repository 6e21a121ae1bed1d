import NetAddress

/// Response rate limiting's settings (`rate_limit`), as BIND, Knot and NSD have them.
public struct RateLimitSettings: Sendable, Equatable {
    public var enabled = true
    /// Responses per second one client network may get for one answer (name, kind of answer).
    public var responsesPerSecond = 100
    /// How far into debt a flow may go: a flood stays limited until it has been quiet this long.
    public var windowSeconds = 15
    /// Every Nth limited response goes out truncated (or as BADCOOKIE to a client with a cookie)
    /// so a real client behind a spoofed flood retries over TCP; 0 drops them all, 1 sends all.
    public var slip = 2
    public var ipv4PrefixLength = 24
    public var ipv6PrefixLength = 56
    /// Clients never limited. Loopback by default: local monitoring and benchmarks, and a source
    /// no one can spoof from outside (the kernel drops such packets as martians).
    public var exempt: [IPNetwork] = [IPNetwork("127.0.0.0/8")!, IPNetwork("::1/128")!]
    /// Count and log what would be limited, limit nothing.
    public var logOnly = false
    /// Flows tracked at once (rounded up to a power of two); 8 octets each.
    public var tableSize = 65_536

    public init() {}
}

/// What happened to a response rate limiting held back.
public enum RateLimitAction: Int, Sendable, CaseIterable {
    case dropped
    /// Sent truncated (or as BADCOOKIE) instead: every `slip`-th.
    case slipped
    /// Sent as usual, `log_only` being set.
    case logged

    public var label: String {
        switch self {
        case .dropped: return "dropped"
        case .slipped: return "slipped"
        case .logged: return "logged"
        }
    }
}
