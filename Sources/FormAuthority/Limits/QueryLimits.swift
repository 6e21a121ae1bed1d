import Foundation

/// What protects the UDP answers from being abused (`rate_limit`, `cookies`): the shared rate
/// limiter and the server cookie secrets. Carried by the `ResponseBuilder`; the same limiter is
/// handed on across reloads while its settings stay, so a reload does not forgive a flood.
public struct QueryLimits: Sendable {
    public var rateLimiter: ResponseRateLimiter?
    public var cookies: ServerCookies?
    /// Where the cookie secret came from: a file's path, or nil for one made at random at start.
    public var cookieSecretFile: String?

    public init(
        rateLimiter: ResponseRateLimiter? = nil, cookies: ServerCookies? = nil, cookieSecretFile: String? = nil
    ) {
        self.rateLimiter = rateLimiter
        self.cookies = cookies
        self.cookieSecretFile = cookieSecretFile
    }

    public static let none = QueryLimits()

    /// A server secret made at random (one authority alone, or until a shared one is configured).
    public static func randomCookies() -> ServerCookies {
        ServerCookies(current: SipHash24(k0: .random(in: 0...UInt64.max), k1: .random(in: 0...UInt64.max)))
    }
}

/// The two clocks the limits read, once per batch of queries: whole seconds of a monotonic clock
/// (rate limiting) and of Unix time (cookie timestamps, RFC 9018).
public struct QueryClock: Sendable, Equatable {
    public var monotonicSeconds: UInt32
    public var unixSeconds: UInt32

    public init(monotonicSeconds: UInt32, unixSeconds: UInt32) {
        self.monotonicSeconds = monotonicSeconds
        self.unixSeconds = unixSeconds
    }

    public static func now() -> QueryClock {
        var mono = timespec(), wall = timespec()
        clock_gettime(CLOCK_MONOTONIC, &mono)
        clock_gettime(CLOCK_REALTIME, &wall)
        return QueryClock(
            monotonicSeconds: UInt32(truncatingIfNeeded: mono.tv_sec),
            unixSeconds: UInt32(truncatingIfNeeded: wall.tv_sec))
    }
}
