/// When a failed notification is tried again: exponential backoff from `base`, doubled per
/// retry up to a minute, each wait scaled by a random factor in 0.8...1.2 so authorities that
/// failed together do not retry together. Which answers are worth retrying.
public struct RetrySchedule: Sendable {
    public var attempts: Int
    public var base: Duration
    public static let ceiling = Duration.seconds(60)

    public init(attempts: Int, base: Duration) {
        self.attempts = max(1, attempts)
        self.base = base
    }

    /// The wait after failed try `n` (1-based), for a `jitter` in 0.8...1.2.
    public func delay(after n: Int, jitter: Double) -> Duration {
        let doubled = base * (1 << min(max(n - 1, 0), 20))
        return min(doubled, Self.ceiling) * jitter
    }

    /// Request timeouts, 408, 429 and 5xx may pass; other answers will not change on a retry.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }
}
