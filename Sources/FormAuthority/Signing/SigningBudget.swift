import Synchronization

/// A token bucket for signatures made while answering (names not signed ahead): `rate` a second,
/// bursts of one second's worth. Pure: the caller passes the time.
public final class SigningBudget: Sendable {
    private struct Bucket {
        var tokens: Double
        var last: Double
    }

    public let rate: Double
    private let bucket: Mutex<Bucket>

    public init(rate: Int) {
        self.rate = Double(max(0, rate))
        bucket = Mutex(Bucket(tokens: Double(max(0, rate)), last: 0))
    }

    /// Whether not one signature is left at time `now` (nothing is taken).
    public func isSpent(now: Double) -> Bool {
        bucket.withLock { b in min(rate, b.tokens + max(0, now - b.last) * rate) < 1 }
    }

    /// Takes one signature's worth at time `now` (seconds); false when the bucket is empty.
    public func take(now: Double) -> Bool {
        bucket.withLock { b in
            b.tokens = min(rate, b.tokens + max(0, now - b.last) * rate)
            b.last = now
            guard b.tokens >= 1 else { return false }
            b.tokens -= 1
            return true
        }
    }
}
