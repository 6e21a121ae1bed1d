import Crypto
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A webhook receiver on loopback (Tests/Tools/webhook-receiver.py) and what it was sent.
final class WebhookReceiver {
    struct Notification {
        let status: Int
        let headers: [String: String]
        let body: String
        let payload: [String: Any]
        let time: Double

        var alerts: [[String: Any]] { payload["alerts"] as? [[String: Any]] ?? [] }
    }

    let process: ServerProcess
    let port: Int
    let logPath: String

    init(_ dir: String, name: String, fail: Int = 0, hang: Bool = false) throws {
        port = Harness.freePort()
        logPath = dir + "/\(name)-received.jsonl"
        var arguments = [
            Harness.packageRoot + "/Tests/Tools/webhook-receiver.py", "--port", String(port), "--log", logPath,
            "--fail", String(fail),
        ]
        if hang { arguments.append("--hang") }
        process = try ServerProcess(
            executable: "/usr/bin/env", arguments: ["python3"] + arguments, logPath: dir + "/\(name).log")
        try waitFor { self.process.log.contains("listening on") }
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    var notifications: [Notification] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let body = object["body"] as? String,
                let payload = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            else { return nil }
            return Notification(
                status: object["status"] as? Int ?? 0, headers: object["headers"] as? [String: String] ?? [:],
                body: body, payload: payload, time: object["time"] as? Double ?? 0)
        }
    }

    /// The alerts of the notifications it accepted (2xx), in order.
    var delivered: [[String: Any]] { notifications.filter { $0.status == 200 }.flatMap(\.alerts) }

    func delivered(_ name: String, status: String? = nil) -> [[String: Any]] {
        delivered.filter { alert in
            (alert["labels"] as? [String: String])?["alertname"] == name
                && (status == nil || alert["status"] as? String == status)
        }
    }

    func stop() { process.stop() }
}

/// Alerts as webhooks: Alertmanager's payload, signed with HMAC, retried after failures, sent once
/// per state (de-duplication), filtered by kind, held back and sent together under the rate limit;
/// and a receiver that never answers slows neither DNS answers nor the health checker.
@Suite(.serialized) struct AlertsTests {
    static let secret = "webhook-secret-0123456789"

    static func config(
        _ dir: String, port: Int, nodes: Int, alerts: String, policy: String = "{}"
    ) throws -> String {
        try secret.write(toFile: dir + "/secret", atomically: true, encoding: .utf8)
        let list = (1...nodes).map {
            "      - {id: n\($0), ipv4: 127.0.0.8\($0), latitude: 52.4, longitude: 4.9, region: eu-west}"
        }
        try """
            \(try ManagementAPITests.managedServer(in: dir))
            \(alerts)
            pools:
              - name: entry
                names: [entry.formation.test]
                policy: \(policy)
                health: {check: tcp, port: \(port), interval_ms: 300, timeout_ms: 200, rise: 1, fall: 2}
                nodes:
            \(list.joined(separator: "\n"))
            """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        return dir + "/c.yaml"
    }

    static func signature(_ body: String, timestamp: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data((timestamp + "." + body).utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    @Test func alertsAreSignedRetriedSentOncePerStateAndFilteredByKind() async throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        let ops = try WebhookReceiver(dir, name: "ops", fail: 2)
        defer { ops.stop() }
        let changes = try WebhookReceiver(dir, name: "changes")
        defer { changes.stop() }
        let config = try Self.config(
            dir, port: port, nodes: 2,
            alerts: """
                alerts:
                  webhooks:
                    - {name: ops, url: "\(ops.url)", secret_file: secret}
                    - {name: changes, url: "\(changes.url)", kinds: [record-change]}
                  backoff_ms: 100
                  external_url: "http://dashboard.example.test/"
                """,
            policy: "{region_spill_threshold: 0.6}")
        var nodes = try (1...2).map { try HealthIntegrationTests.node("127.0.0.8\($0)", port: port, dir: dir) }
        defer { nodes.forEach { $0.stop() } }
        let dns = try ServerProcess.formDNS(["--config", config], directory: dir)
        defer { dns.stop() }
        let api = try HealthIntegrationTests.apiAddress(dns)
        try await waitFor { dns.log.components(separatedBy: "unknown -> healthy").count - 1 == 2 }

        // n1 goes down: the first two tries get a 500, the third is accepted; all three signed.
        nodes[0].stop()
        try await waitFor { ops.delivered("FormDNSNodeDown", status: "firing").count == 1 }
        let tries = ops.notifications.filter { $0.alerts.contains { ($0["labels"] as? [String: String])?["node"] == "n1" } }
        #expect(tries.prefix(3).map(\.status) == [500, 500, 200], "\(tries.map(\.status))")
        for n in ops.notifications {
            let timestamp = try #require(n.headers["X-Formdns-Timestamp"], "unsigned: \(n.headers)")
            #expect(n.headers["X-Formdns-Signature"] == Self.signature(n.body, timestamp: timestamp))
            #expect(abs((Double(timestamp) ?? 0) - n.time) < 30)
            #expect(n.headers["Content-Type"] == "application/json")
        }
        let down = try #require(ops.delivered("FormDNSNodeDown", status: "firing").first)
        #expect(down["labels"] as? [String: String]
                == ["alertname": "FormDNSNodeDown", "severity": "warning", "pool": "entry", "node": "n1"])
        #expect(down["endsAt"] as? String == "0001-01-01T00:00:00Z")
        #expect((down["fingerprint"] as? String)?.count == 16)
        #expect((down["annotations"] as? [String: String])?["summary"]?.contains("entry/n1 healthy -> unhealthy") == true)
        let payload = try #require(ops.notifications.last { $0.status == 200 }?.payload)
        #expect(payload["version"] as? String == "4")
        #expect(payload["receiver"] as? String == "ops")
        #expect(payload["externalURL"] as? String == "http://dashboard.example.test/")
        for key in ["groupKey", "groupLabels", "commonLabels", "commonAnnotations", "truncatedAlerts", "status"] {
            #expect(payload[key] != nil, "payload lacks \(key)")
        }
        // Half of eu-west is up, under 60%: its clients spill over.
        try await waitFor { ops.delivered("FormDNSRegionSpillOver", status: "firing").count == 1 }

        // n1 comes back: the same alerts resolve, since when they fired.
        nodes[0] = try HealthIntegrationTests.node("127.0.0.81", port: port, dir: dir)
        try await waitFor { ops.delivered("FormDNSNodeDown", status: "resolved").count == 1 }
        try await waitFor { ops.delivered("FormDNSRegionSpillOver", status: "resolved").count == 1 }
        let resolved = try #require(ops.delivered("FormDNSNodeDown", status: "resolved").first)
        #expect(resolved["startsAt"] as? String == down["startsAt"] as? String)
        #expect(resolved["fingerprint"] as? String == down["fingerprint"] as? String)
        #expect(resolved["endsAt"] as? String != "0001-01-01T00:00:00Z")

        // A reload that fails twice fires once; the good one after resolves it; another good one is no news.
        let good = try String(contentsOfFile: config, encoding: .utf8)
        try (good + "\nbogus_key: 1\n").write(toFile: config, atomically: true, encoding: .utf8)
        dns.signal(SIGHUP)
        try await waitFor { dns.log.components(separatedBy: "reload failed").count - 1 == 1 }
        dns.signal(SIGHUP)
        try await waitFor { dns.log.components(separatedBy: "reload failed").count - 1 == 2 }
        try good.write(toFile: config, atomically: true, encoding: .utf8)
        dns.signal(SIGHUP)
        try await waitFor { ops.delivered("FormDNSReloadFailed", status: "resolved").count == 1 }
        dns.signal(SIGHUP)
        try await waitFor { dns.log.components(separatedBy: "reloaded zones").count - 1 == 2 }
        // A change through the API: a one-shot notice, to both webhooks (changes wants only these).
        let r = try ManagementAPITests.curl(
            api, "/v1/zones/formation.test/records", body: #"{"records": ["alerted 60 IN A 192.0.2.9"]}"#)
        #expect((200..<300).contains(r.status), "\(r.body)")
        try await waitFor { changes.delivered("FormDNSRecordsChanged").count == 1 }
        try await waitFor { ops.delivered("FormDNSRecordsChanged").count == 1 }
        #expect(ops.delivered("FormDNSReloadFailed", status: "firing").count == 1)
        #expect(ops.delivered("FormDNSReloadFailed", status: "resolved").count == 1)
        #expect(ops.delivered("FormDNSNodeDown").count == 2)
        let kinds = Set(changes.delivered.compactMap { ($0["labels"] as? [String: String])?["alertname"] })
        #expect(kinds == ["FormDNSRecordsChanged"], "the changes webhook got \(kinds)")
        #expect(changes.notifications.allSatisfy { $0.headers["X-Formdns-Signature"] == nil })

        let metrics = try ManagementAPITests.curl(api, "/metrics", method: "GET").body
        #expect(metrics.contains(#"formdns_alert_requests_total{webhook="ops",outcome="5xx"} 2"#), "\(metrics)")
        // The second failed reload, and the good reload that had nothing to resolve.
        #expect(metrics.contains(#"formdns_alerts_total{webhook="ops",result="deduplicated"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"formdns_alerts_total{webhook="changes",result="sent"} 1"#), "\(metrics)")
    }

    /// Alerts faster than the rate limit wait and go together in one payload.
    @Test func aBurstWaitsForTheRateLimitAndGoesTogether() async throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        let ops = try WebhookReceiver(dir, name: "ops")
        defer { ops.stop() }
        // 6 a minute: one at once, the next 10 s later.
        let config = try Self.config(
            dir, port: port, nodes: 3,
            alerts: """
                alerts: {webhooks: [{name: ops, url: "\(ops.url)", kinds: [node-down, fail-open]}], \
                rate_limit_per_minute: 6}
                """)
        let nodes = try (1...3).map { try HealthIntegrationTests.node("127.0.0.8\($0)", port: port, dir: dir) }
        defer { nodes.forEach { $0.stop() } }
        let dns = try ServerProcess.formDNS(["--config", config], directory: dir)
        defer { dns.stop() }
        // Generous deadlines: in the first pass of the suite every test runs at once on 2 cores, and
        // the checks, the sender and the receiver (a Python process) can each wait seconds for CPU.
        // What is tested is the spacing of the two notifications, from the receiver's own clock.
        try await waitFor(seconds: 30) { dns.log.components(separatedBy: "unknown -> healthy").count - 1 == 3 }
        nodes.forEach { $0.stop() }
        try await waitFor(seconds: 30) { ops.notifications.count == 1 }
        try await waitFor(seconds: 40) { ops.notifications.count == 2 }
        let sent = ops.notifications
        #expect(sent[1].time - sent[0].time > 7, "the second notification came \(sent[1].time - sent[0].time) s after")
        #expect(sent[0].alerts.count + sent[1].alerts.count == 4, "\(sent.map(\.alerts))")
        #expect(sent[1].alerts.count >= 3, "the waiting alerts were not sent together")
        #expect(ops.delivered("FormDNSNodeDown").count == 3)
        #expect(ops.delivered("FormDNSPoolFailOpen", status: "firing").count == 1)
    }

    /// A receiver that takes the connection and never answers: DNS answers and the checker's
    /// verdicts come as fast as without it.
    @Test func aWebhookThatNeverAnswersSlowsNothing() async throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        let stuck = try WebhookReceiver(dir, name: "stuck", hang: true)
        defer { stuck.stop() }
        let config = try Self.config(
            dir, port: port, nodes: 3,
            alerts: """
                alerts: {webhooks: [{name: stuck, url: "\(stuck.url)", timeout_ms: 30000}], max_attempts: 5}
                """)
        let nodes = try (1...3).map { try HealthIntegrationTests.node("127.0.0.8\($0)", port: port, dir: dir) }
        defer { nodes.forEach { $0.stop() } }
        let dns = try ServerProcess.formDNS(["--config", config], directory: dir)
        defer { dns.stop() }
        try await waitFor { dns.log.components(separatedBy: "unknown -> healthy").count - 1 == 3 }

        // n1 goes down: its alert is now stuck in the receiver for 30 s.
        nodes[0].stop()
        try await waitFor { dns.log.contains("entry/n1 healthy -> unhealthy") }
        var slowest = 0.0
        for _ in 0..<200 {
            let start = Date()
            let answer = try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort, timeoutMs: 1000)
            #expect(answer != nil, "a query went unanswered")
            slowest = max(slowest, Date().timeIntervalSince(start))
        }
        #expect(slowest < 0.5, "the slowest answer took \(slowest) s")
        // The checker still sees n2 die within its interval x fall (0.6 s), plus a check's timeout and
        // slack; measured by the server's own event time, not by this test's (maybe starved) clock.
        let killed = Date()
        nodes[1].stop()
        try await waitFor(seconds: 5) { dns.log.contains("entry/n2 healthy -> unhealthy") }
        let events = try EventsTests.events(try api(dns), "?node=n2&kind=health")
        let seen = try #require(events.events.last?["time"] as? String, "\(events.body)")
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let detected = try #require(format.date(from: seen)).timeIntervalSince(killed)
        #expect(detected < 2, "n2 was seen down after \(detected) s")
        #expect(stuck.notifications.isEmpty)
        let health = try ManagementAPITests.curl(api(dns), "/v1/health", method: "GET")
        #expect(health.status == 200)
    }

    func api(_ dns: ServerProcess) throws -> String { try HealthIntegrationTests.apiAddress(dns) }
}
