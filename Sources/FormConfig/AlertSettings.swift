/// `alerts`: where form-dns tells operators that something changed, as webhooks carrying
/// Alertmanager's webhook payload, and how hard it tries.
public struct AlertSettings: Sendable, Equatable {
    public var webhooks: [AlertWebhook] = []
    /// Tries per notification (the first included) before it is given up and counted as failed.
    public var maxAttempts = 5
    /// The wait before the first retry; it doubles with each retry, up to a minute, with jitter.
    public var backoffMilliseconds = 1_000
    /// Notifications (POSTs) per minute per webhook; alerts that arrive faster wait and go together.
    public var rateLimitPerMinute = 20
    /// An alert in the state last sent for it (a node still down, a reload failing again) is not
    /// sent again within this many seconds.
    public var dedupWindowSeconds = 600
    /// `externalURL` in the payload: where a receiver can find this authority (its dashboard).
    public var externalURL = ""

    public init() {}
}

/// `alerts.webhooks[]`: one receiver.
public struct AlertWebhook: Sendable, Equatable {
    /// Names the receiver in metrics and logs (the URL may carry a secret; the name never does).
    public var name = ""
    /// An http:// or https:// URL, POSTed to.
    public var url = ""
    /// The HMAC-SHA256 key for the signature header (nil: unsigned).
    public var secret: String? = nil
    /// What it is told about.
    public var kinds: [AlertKind] = AlertKind.allCases
    public var timeoutMilliseconds = 5_000

    public init() {}
}

/// What an alert is about; a webhook lists the kinds it wants.
public enum AlertKind: String, Sendable, CaseIterable {
    /// A node's checked health became unhealthy.
    case nodeDown = "node-down"
    /// A node that was unhealthy passes its checks again.
    case nodeUp = "node-up"
    /// A region has fewer nodes up than its pool's `region_spill_threshold` (and when it recovers).
    case spillOver = "spill-over"
    /// Every node of a pool is down and it answers fail-open (and when that ends).
    case failOpen = "fail-open"
    /// Records of a zone changed (API, `ctl`, DNS UPDATE).
    case recordChange = "record-change"
    /// A new configuration version serves.
    case configChange = "config-change"
    /// A reload failed (the old configuration keeps serving), and when a later one succeeds.
    case reloadFailed = "reload-failed"
}
