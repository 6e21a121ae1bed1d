import Foundation

/// The body of a notification: Alertmanager's webhook payload, version 4
/// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config), so a receiver
/// written for Alertmanager (or Alertmanager's own relays) reads it unchanged. One payload carries
/// the alerts that waited together; `status` is firing while any of them fires.
public struct AlertmanagerPayload: Encodable, Sendable {
    public struct Item: Encodable, Sendable {
        var status: String
        var labels: [String: String]
        var annotations: [String: String]
        var startsAt: String
        var endsAt: String
        var generatorURL: String
        var fingerprint: String
    }

    var version = "4"
    var groupKey: String
    var truncatedAlerts: Int
    var status: String
    var receiver: String
    var groupLabels: [String: String]
    var commonLabels: [String: String]
    var commonAnnotations: [String: String]
    var externalURL: String
    var alerts: [Item]

    /// Alertmanager's "no end yet" time.
    static let zeroTime = "0001-01-01T00:00:00Z"

    public init(alerts: [Alert], receiver: String, externalURL: String, truncated: Int = 0) {
        self.alerts = alerts.map { alert in
            Item(
                status: alert.status.rawValue, labels: alert.labels, annotations: alert.annotations,
                startsAt: APIRoutes.iso(alert.startsAt), endsAt: alert.endsAt.map(APIRoutes.iso) ?? Self.zeroTime,
                generatorURL: externalURL, fingerprint: alert.fingerprint)
        }
        status = alerts.contains { $0.status == .firing } ? "firing" : "resolved"
        self.receiver = receiver
        self.externalURL = externalURL
        truncatedAlerts = truncated
        commonLabels = Self.common(alerts.map(\.labels))
        commonAnnotations = Self.common(alerts.map(\.annotations))
        groupLabels = commonLabels.filter { $0.key == "alertname" }
        let group = groupLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }
        groupKey = "{}:{\(group.joined(separator: ","))}"
    }

    /// The pairs every map has.
    static func common(_ maps: [[String: String]]) -> [String: String] {
        guard var shared = maps.first else { return [:] }
        for map in maps.dropFirst() { shared = shared.filter { map[$0.key] == $0.value } }
        return shared
    }

    /// The JSON sent (keys sorted, so a signature over it is reproducible).
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding string maps and strings cannot fail.
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}
