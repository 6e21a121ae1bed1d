import AsyncHTTPClient
import FormConfig
import FormStore
import Foundation
import NIOCore
import ServiceLifecycle
import Synchronization

/// Sends alerts to the configured webhooks. `submit` only queues (a lock, no I/O), so the DNS
/// path and the health checker never wait for a receiver; a sender task per webhook with
/// waiting alerts POSTs them, as many as waited (up to 64) in one Alertmanager payload, within
/// the webhook's rate limit, retrying failures with backoff. A webhook that never answers costs
/// its own sender's time and nothing else.
public final class AlertDispatcher: Service, Sendable {
    /// Alerts a webhook may have waiting; more drop the oldest (counted, and reported to the
    /// receiver as `truncatedAlerts`).
    public static let maxWaiting = 1_000
    public static let maxPerNotification = 64

    struct Outbox {
        var webhook: AlertWebhook
        var gate: AlertGate
        var waiting: [Alert] = []
        var dropped = 0
        var sending = false
    }

    struct State {
        var settings: AlertSettings
        /// By webhook name.
        var outboxes: [String: Outbox] = [:]
    }

    enum Step {
        case stop
        case sleep(TimeInterval)
        case send(AlertWebhook, [Alert], truncated: Int, AlertSettings)
    }

    private let state: Mutex<State>
    private let wakeups: AsyncStream<String>
    private let wake: AsyncStream<String>.Continuation
    private let metrics: ServerMetrics?
    private let log: @Sendable (String) -> Void
    private let now: @Sendable () -> Date

    public init(
        settings: AlertSettings, metrics: ServerMetrics? = nil, log: @escaping @Sendable (String) -> Void,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        state = Mutex(State(settings: settings))
        (wakeups, wake) = AsyncStream.makeStream(of: String.self)
        self.metrics = metrics
        self.log = log
        self.now = now
        configure(settings)
    }

    /// Takes new settings (a reload): a webhook kept under the same name and URL keeps its
    /// waiting alerts and what it was sent; a webhook no longer configured is forgotten.
    public func configure(_ settings: AlertSettings) {
        let time = now()
        state.withLock { state in
            var next: [String: Outbox] = [:]
            for hook in settings.webhooks {
                let window = TimeInterval(settings.dedupWindowSeconds)
                if var kept = state.outboxes[hook.name], kept.webhook.url == hook.url {
                    kept.webhook = hook
                    kept.gate.dedupWindow = window
                    kept.gate.perMinute = settings.rateLimitPerMinute
                    next[hook.name] = kept
                } else {
                    let gate = AlertGate(dedupWindow: window, perMinute: settings.rateLimitPerMinute, now: time)
                    next[hook.name] = Outbox(webhook: hook, gate: gate)
                }
            }
            state.settings = settings
            state.outboxes = next
        }
    }

    /// Queues the alert an event raises, if any.
    public func submit(_ event: DNSEvent) {
        if let alert = Alert.raised(by: event) { submit(alert) }
    }

    /// Queues `alert` for every webhook that wants it and has not had it (de-duplication);
    /// returns at once.
    public func submit(_ alert: Alert) {
        let time = now()
        var counts: [(String, String)] = []
        let start = state.withLock { state in
            var start: [String] = []
            for name in state.outboxes.keys.sorted() {
                guard var box = state.outboxes[name] else { continue }
                defer { state.outboxes[name] = box }
                guard let news = box.gate.admit(alert, now: time) else {
                    if box.webhook.kinds.contains(alert.kind) { counts.append((name, "deduplicated")) }
                    continue
                }
                guard box.webhook.kinds.contains(alert.kind) else { continue }
                // A newer state of an alert still waiting replaces it: the receiver gets the latest.
                if !news.isOneShot, let i = box.waiting.firstIndex(where: { $0.fingerprint == news.fingerprint }) {
                    box.waiting.remove(at: i)
                }
                box.waiting.append(news)
                if box.waiting.count > Self.maxWaiting {
                    box.waiting.removeFirst()
                    box.dropped += 1
                    counts.append((name, "dropped"))
                }
                if !box.sending {
                    box.sending = true
                    start.append(name)
                }
            }
            return start
        }
        for (name, result) in counts { metrics?.alerts(webhook: name, result: result, count: 1) }
        for name in start { wake.yield(name) }
    }

    public func run() async throws {
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
        await withDiscardingTaskGroup { group in
            for await name in wakeups.cancelOnGracefulShutdown() {
                group.addTask { await self.drain(name, client: client) }
            }
            group.cancelAll()
        }
        try? await client.shutdown()
    }

    /// Sends what waits for one webhook until nothing does (then the next `submit` starts it again).
    func drain(_ name: String, client: HTTPClient) async {
        while !Task.isCancelled {
            switch next(name) {
            case .stop:
                return
            case .sleep(let seconds):
                do { try await Task.sleep(for: .seconds(seconds)) } catch { return }
            case .send(let hook, let alerts, let truncated, let settings):
                await deliver(alerts, truncated: truncated, to: hook, settings: settings, client: client)
            }
        }
    }

    func next(_ name: String) -> Step {
        let time = now()
        return state.withLock { state in
            guard var box = state.outboxes[name] else { return .stop }
            defer { state.outboxes[name] = box }
            if box.waiting.isEmpty {
                box.sending = false
                return .stop
            }
            let wait = box.gate.wait(now: time)
            if wait > 0 { return .sleep(wait) }
            let batch = Array(box.waiting.prefix(Self.maxPerNotification))
            box.waiting.removeFirst(batch.count)
            defer { box.dropped = 0 }
            return .send(box.webhook, batch, truncated: box.dropped, state.settings)
        }
    }

    /// One notification, tried until it is accepted, refused for good, or out of attempts.
    func deliver(
        _ alerts: [Alert], truncated: Int, to hook: AlertWebhook, settings: AlertSettings, client: HTTPClient
    ) async {
        let body = AlertmanagerPayload(
            alerts: alerts, receiver: hook.name, externalURL: settings.externalURL, truncated: truncated
        ).encoded()
        let schedule = RetrySchedule(attempts: settings.maxAttempts, base: .milliseconds(settings.backoffMilliseconds))
        var why = ""
        for attempt in 1...schedule.attempts {
            var request = HTTPClientRequest(url: hook.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "form-dns/\(ServerMetrics.version)")
            if let secret = hook.secret {
                let timestamp = Int(now().timeIntervalSince1970)
                request.headers.add(name: WebhookSignature.timestampHeader, value: String(timestamp))
                request.headers.add(
                    name: WebhookSignature.signatureHeader,
                    value: WebhookSignature.value(secret: secret, timestamp: timestamp, body: body))
            }
            request.body = .bytes(ByteBuffer(bytes: body))
            var retryAfter: Duration? = nil
            do {
                let response = try await client.execute(
                    request, timeout: .milliseconds(Int64(hook.timeoutMilliseconds)))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                let status = Int(response.status.code)
                metrics?.alertRequest(webhook: hook.name, outcome: "\(status / 100)xx")
                if (200..<300).contains(status) {
                    metrics?.alerts(webhook: hook.name, result: "sent", count: alerts.count)
                    return
                }
                why = "HTTP \(status)"
                guard RetrySchedule.isRetryable(status: status) else { break }
                if let text = response.headers.first(name: "Retry-After"), let seconds = Int(text), seconds >= 0 {
                    retryAfter = min(.seconds(seconds), RetrySchedule.ceiling)
                }
            } catch {
                metrics?.alertRequest(webhook: hook.name, outcome: "error")
                why = "\(error)"
            }
            guard attempt < schedule.attempts else { break }
            let wait = retryAfter ?? schedule.delay(after: attempt, jitter: Double.random(in: 0.8...1.2))
            do { try await Task.sleep(for: wait) } catch { break }
        }
        metrics?.alerts(webhook: hook.name, result: "failed", count: alerts.count)
        log("alerts: \(hook.name): \(alerts.count) alert(s) not delivered: \(why)")
    }
}
