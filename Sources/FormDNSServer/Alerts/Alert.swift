import Crypto
import DNSWire
import FormConfig
import Foundation

/// One alert as Alertmanager describes it: labels that identify it (its fingerprint), a state,
/// annotations for people, and when it started and ended. A node going down fires
/// `FormDNSNodeDown`; the node coming back resolves the same alert.
public struct Alert: Sendable, Equatable {
    public enum Status: String, Sendable {
        case firing
        case resolved
    }

    public var kind: AlertKind
    public var status: Status
    /// `alertname` and `severity` included; pool, node, region as the alert has them.
    public var labels: [String: String]
    /// `summary` (one line) and `description`.
    public var annotations: [String: String]
    public var startsAt: Date
    public var endsAt: Date?
    /// Something that happened once (a change), not a state that holds until resolved: never
    /// de-duplicated, since each is news.
    public var isOneShot: Bool
    /// A resolution that is news only after a firing (a good reload after a failed one, not every
    /// good reload).
    public var resolvesOnlyWhatFired: Bool

    public init(
        kind: AlertKind, status: Status, labels: [String: String], annotations: [String: String],
        startsAt: Date, endsAt: Date? = nil, isOneShot: Bool = false, resolvesOnlyWhatFired: Bool = false
    ) {
        self.kind = kind
        self.status = status
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.isOneShot = isOneShot
        self.resolvesOnlyWhatFired = resolvesOnlyWhatFired
    }

    /// The labels' identity, as Alertmanager's fingerprint is: the same labels, the same alert
    /// (16 hex digits of SHA-256 over the sorted name=value pairs).
    public var fingerprint: String {
        var hasher = SHA256()
        for (name, value) in labels.sorted(by: { $0.key < $1.key }) {
            hasher.update(data: Data(name.utf8))
            hasher.update(data: [0xFF])
            hasher.update(data: Data(value.utf8))
            hasher.update(data: [0xFF])
        }
        return Presentation.hex(Array(hasher.finalize().prefix(8))).lowercased()
    }
}
