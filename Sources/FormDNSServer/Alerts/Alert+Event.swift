import FormAuthority
import FormConfig
import FormStore
import Foundation

extension Alert {
    /// The alert an event raises, if any: a node going down fires and coming back resolves
    /// `FormDNSNodeDown`; spill-over and fail-open periods fire and resolve theirs; a failed
    /// reload fires `FormDNSReloadFailed` and the next good one resolves it; record and
    /// configuration changes are one-shot notices. Overrides raise none: an operator made them.
    public static func raised(by event: DNSEvent) -> Alert? {
        var labels: [String: String] = [:]
        if let pool = event.pool { labels["pool"] = pool }
        if let node = event.node, !node.isEmpty { labels["node"] = node }
        let annotations = ["summary": event.summary]
        func alert(_ kind: AlertKind, _ name: String, _ severity: String, _ status: Status, oneShot: Bool = false)
            -> Alert
        {
            labels["alertname"] = name
            labels["severity"] = severity
            return Alert(
                kind: kind, status: status, labels: labels, annotations: annotations, startsAt: event.time,
                endsAt: status == .resolved || oneShot ? event.time : nil, isOneShot: oneShot)
        }
        let started = event.detail["state"] == "started"
        switch event.kind {
        case .health:
            if event.detail["to"] == HealthState.unhealthy.rawValue {
                return alert(.nodeDown, "FormDNSNodeDown", "warning", .firing)
            }
            if event.detail["from"] == HealthState.unhealthy.rawValue {
                return alert(.nodeUp, "FormDNSNodeDown", "warning", .resolved)
            }
            return nil
        case .spillOver:
            labels["region"] = event.detail["region"]
            return alert(.spillOver, "FormDNSRegionSpillOver", "warning", started ? .firing : .resolved)
        case .failOpen:
            return alert(.failOpen, "FormDNSPoolFailOpen", "critical", started ? .firing : .resolved)
        case .record, .config:
            if let version = event.detail["version"] { labels["version"] = version }
            let kind: AlertKind = event.kind == .record ? .recordChange : .configChange
            let name = event.kind == .record ? "FormDNSRecordsChanged" : "FormDNSConfigChanged"
            return alert(kind, name, "info", .firing, oneShot: true)
        case .reload:
            let failed = event.detail["result"] == "failed"
            var reload = alert(.reloadFailed, "FormDNSReloadFailed", "warning", failed ? .firing : .resolved)
            reload.resolvesOnlyWhatFired = true
            return reload
        case .override:
            return nil
        }
    }
}
