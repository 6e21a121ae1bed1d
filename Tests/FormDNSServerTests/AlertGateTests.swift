import FormConfig
import FormStore
import Foundation
import TestFixtures
import Testing

@testable import FormDNSServer

/// The pure parts of alerting: which events raise which alerts, de-duplication, the rate limit,
/// the retry schedule, the payload and its signature.
struct AlertGateTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func health(_ node: String, _ from: String, _ to: String, at time: Date) -> DNSEvent {
        DNSEvent(
            time: time, kind: .health, pool: "entry", node: node, summary: "entry/\(node) \(from) -> \(to)",
            detail: ["from": from, "to": to, "reason": "test"])
    }

    @Test func eventsRaiseTheAlertsOperatorsExpect() throws {
        let down = try #require(Alert.raised(by: health("n1", "healthy", "unhealthy", at: t0)))
        #expect(down.kind == .nodeDown && down.status == .firing && down.labels["alertname"] == "FormDNSNodeDown")
        let up = try #require(Alert.raised(by: health("n1", "unhealthy", "degraded", at: t0)))
        #expect(up.kind == .nodeUp && up.status == .resolved && up.fingerprint == down.fingerprint)
        #expect(Alert.raised(by: health("n1", "unknown", "healthy", at: t0)) == nil)
        #expect(Alert.raised(by: health("n1", "healthy", "degraded", at: t0)) == nil)
        let override = DNSEvent(kind: .override, pool: "entry", node: "n1", summary: "drain", detail: [:])
        #expect(Alert.raised(by: override) == nil)
        let spill = DNSEvent(kind: .spillOver, pool: "entry", summary: "", detail: ["state": "started", "region": "eu"])
        #expect(Alert.raised(by: spill)?.labels["region"] == "eu")
        let change = DNSEvent(kind: .record, summary: "add", detail: ["version": "7"])
        let notice = try #require(Alert.raised(by: change))
        #expect(notice.isOneShot && notice.kind == .recordChange && notice.labels["version"] == "7")
        let failed = try #require(Alert.raised(by: DNSEvent(kind: .reload, summary: "", detail: ["result": "failed"])))
        #expect(failed.status == .firing && failed.kind == .reloadFailed)
    }

    @Test func aStateIsSentOnceWithinTheWindowAndAResolutionCarriesItsStart() throws {
        var gate = AlertGate(dedupWindow: 600, perMinute: 20, now: t0)
        let down = try #require(Alert.raised(by: health("n1", "healthy", "unhealthy", at: t0)))
        #expect(gate.admit(down, now: t0) != nil)
        #expect(gate.admit(down, now: t0 + 60) == nil)
        let reminder = gate.admit(Alert.raised(by: health("n1", "healthy", "unhealthy", at: t0 + 601))!, now: t0 + 601)
        #expect(reminder?.startsAt == t0, "a reminder after the window, firing since the first")
        let up = try #require(Alert.raised(by: health("n1", "unhealthy", "healthy", at: t0 + 700)))
        let admitted = gate.admit(up, now: t0 + 700)
        let resolved = try #require(admitted)
        // Firing since the first admission, reminders or not.
        #expect(resolved.startsAt == t0 && resolved.endsAt == t0 + 700)
        #expect(gate.admit(up, now: t0 + 701) == nil)
        // Another node is another alert.
        let n2 = try #require(Alert.raised(by: health("n2", "healthy", "unhealthy", at: t0)))
        #expect(gate.admit(n2, now: t0) != nil)
    }

    @Test func aGoodReloadResolvesOnlyAFailedOne() throws {
        var gate = AlertGate(dedupWindow: 600, perMinute: 20, now: t0)
        let good = try #require(Alert.raised(by: DNSEvent(kind: .reload, summary: "", detail: ["result": "applied"])))
        let bad = try #require(Alert.raised(by: DNSEvent(kind: .reload, summary: "", detail: ["result": "failed"])))
        #expect(gate.admit(good, now: t0) == nil)
        #expect(gate.admit(bad, now: t0) != nil)
        #expect(gate.admit(bad, now: t0 + 1) == nil)
        #expect(gate.admit(good, now: t0 + 2) != nil)
        #expect(gate.admit(good, now: t0 + 3) == nil)
    }

    @Test func oneShotNoticesAreNeverDeduplicated() throws {
        var gate = AlertGate(dedupWindow: 600, perMinute: 20, now: t0)
        let change = try #require(Alert.raised(by: DNSEvent(kind: .config, summary: "x", detail: [:])))
        #expect(gate.admit(change, now: t0) != nil && gate.admit(change, now: t0) != nil)
    }

    @Test func theTokenBucketAllowsABurstThenTheRate() {
        var gate = AlertGate(dedupWindow: 0, perMinute: 20, now: t0)  // bursts of 5, then one per 3 s
        for _ in 0..<5 { #expect(gate.wait(now: t0) == 0) }
        let wait = gate.wait(now: t0)
        #expect(abs(wait - 3) < 1e-9, "\(wait)")
        #expect(gate.wait(now: t0 + 1.5) > 0)
        #expect(gate.wait(now: t0 + 3) == 0)
        #expect(gate.wait(now: t0 + 3) > 0)
        // Idle for an hour: the bucket holds a burst, not an hour of tokens.
        for _ in 0..<5 { #expect(gate.wait(now: t0 + 3600) == 0) }
        #expect(gate.wait(now: t0 + 3600) > 0)
        var slow = AlertGate(dedupWindow: 0, perMinute: 1, now: t0)
        #expect(slow.wait(now: t0) == 0)
        #expect(abs(slow.wait(now: t0) - 60) < 1e-9)
    }

    @Test func retriesBackOffToAMinuteAndOnlyForAnswersThatMayChange() {
        let schedule = RetrySchedule(attempts: 10, base: .milliseconds(500))
        #expect(schedule.delay(after: 1, jitter: 1) == .milliseconds(500))
        #expect(schedule.delay(after: 2, jitter: 1) == .seconds(1))
        #expect(schedule.delay(after: 4, jitter: 1.2) == .milliseconds(4800))
        #expect(schedule.delay(after: 30, jitter: 1) == .seconds(60))
        #expect(schedule.delay(after: 30, jitter: 0.8) == .seconds(48))
        for status in [408, 429, 500, 502, 503] { #expect(RetrySchedule.isRetryable(status: status)) }
        for status in [200, 301, 400, 401, 404, 410] { #expect(!RetrySchedule.isRetryable(status: status)) }
    }

    @Test func thePayloadIsAlertmanagersAndTheSignatureCoversTimeAndBody() throws {
        let down = try #require(Alert.raised(by: health("n1", "healthy", "unhealthy", at: t0)))
        let other = try #require(Alert.raised(by: health("n2", "healthy", "unhealthy", at: t0)))
        let body = AlertmanagerPayload(alerts: [down, other], receiver: "ops", externalURL: "http://x.test/").encoded()
        let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(object["version"] as? String == "4" && object["status"] as? String == "firing")
        #expect(object["commonLabels"] as? [String: String]
                == ["alertname": "FormDNSNodeDown", "pool": "entry", "severity": "warning"])
        #expect(object["groupKey"] as? String == #"{}:{alertname="FormDNSNodeDown"}"#)
        let alerts = try #require(object["alerts"] as? [[String: Any]])
        #expect(alerts.count == 2 && alerts[0]["startsAt"] as? String == "2027-01-15T08:00:00.000Z")
        let signature = WebhookSignature.value(secret: "s3cret-s3cret-s3cret", timestamp: 1_800_000_000, body: body)
        #expect(signature.hasPrefix("sha256=") && signature.count == 7 + 64)
        #expect(signature != WebhookSignature.value(secret: "s3cret-s3cret-s3cret", timestamp: 1_800_000_001, body: body))
        let known = WebhookSignature.value(secret: "key", timestamp: 0, body: Data("body".utf8))
        #expect(known == "sha256=" + Self.hmacOpenSSL(key: "key", message: "0.body"))
    }

    /// The same HMAC from openssl, an implementation we did not write.
    static func hmacOpenSSL(key: String, message: String) -> String {
        let arguments = ["dgst", "-sha256", "-hmac", key, "-r"]
        let text = (try? ChildProcess.run("/usr/bin/openssl", arguments, input: message).output) ?? ""
        return String(text.prefix { $0 != " " })
    }
}
