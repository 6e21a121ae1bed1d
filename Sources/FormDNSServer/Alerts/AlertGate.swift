import Foundation

/// What decides, per webhook, whether an alert is news and when the next notification may go:
/// de-duplication (an alert in the state last admitted for it is not admitted again within the
/// window) and a token bucket (`perMinute` notifications a minute, bursts of a quarter of that).
/// Pure: the time is always passed in.
public struct AlertGate: Sendable {
    public var dedupWindow: TimeInterval
    public var perMinute: Int
    /// The last state admitted per fingerprint, when it was admitted, and (firing) since when it fires.
    private var admitted: [String: (status: Alert.Status, at: Date, since: Date)] = [:]
    private var tokens: Double
    private var refilledAt: Date

    public init(dedupWindow: TimeInterval, perMinute: Int, now: Date) {
        self.dedupWindow = dedupWindow
        self.perMinute = max(1, perMinute)
        tokens = Self.burst(perMinute)
        refilledAt = now
    }

    /// The bucket's size: a quarter of a minute's notifications, at least one.
    static func burst(_ perMinute: Int) -> Double { Double(max(1, perMinute / 4)) }

    /// `alert` if it is news, nil if not. One-shot alerts always are. A state alert is unless its
    /// last admitted state is the same and younger than the window; a reminder or resolution
    /// carries the time the alert began firing as `startsAt` (Alertmanager's "since").
    public mutating func admit(_ alert: Alert, now: Date) -> Alert? {
        guard !alert.isOneShot else { return alert }
        let key = alert.fingerprint
        let last = admitted[key]
        if let last, last.status == alert.status, now.timeIntervalSince(last.at) < dedupWindow { return nil }
        let firing = last.flatMap { $0.status == .firing ? $0.since : nil }
        if alert.status == .resolved, alert.resolvesOnlyWhatFired, firing == nil { return nil }
        var news = alert
        if let firing { news.startsAt = firing }
        admitted[key] = (alert.status, now, alert.status == .firing ? (firing ?? alert.startsAt) : now)
        // A long-running authority sees many alerts: forget those past the window now and then.
        if admitted.count > 10_000 {
            admitted = admitted.filter {
                $0.value.status == .firing || now.timeIntervalSince($0.value.at) < dedupWindow
            }
        }
        return news
    }

    /// 0 when a notification may go now (and counts it); otherwise the seconds until one may.
    public mutating func wait(now: Date) -> TimeInterval {
        let rate = Double(perMinute) / 60
        tokens = min(Self.burst(perMinute), tokens + max(0, now.timeIntervalSince(refilledAt)) * rate)
        refilledAt = now
        if tokens >= 1 {
            tokens -= 1
            return 0
        }
        return (1 - tokens) / rate
    }
}
