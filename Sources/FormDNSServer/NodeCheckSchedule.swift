import FormAuthority
import NIOCore

/// One node's DNS or HTTP(S) checks, driven by its event loop: each check is a slot on the loop's
/// `CheckWheel`, runs there, records its outcome and takes the slot of the next one.
/// No task and no thread per node. (TCP checks, the common kind, run on a `TCPCheckLoop`.)
///
/// Checks start `interval_ms` apart (±10% jitter, so nodes do not synchronise), from a random
/// first delay; one slower than the interval is followed at once by the next.
final class NodeCheckSchedule: @unchecked Sendable {
    // @unchecked Sendable: `stopped` is read and written only on `probe.loop` (start, stop and every
    // wheel and future callback run there); the rest is immutable.
    let node: String
    let probe: HealthProbe
    let repository: HealthRepository
    let took: @Sendable (Duration) -> Void
    let onCheckerError: @Sendable (String) -> Void
    let wheel: CheckWheel
    private var stopped = false

    init(
        node: String, probe: HealthProbe, wheel: CheckWheel, repository: HealthRepository,
        took: @escaping @Sendable (Duration) -> Void, onCheckerError: @escaping @Sendable (String) -> Void
    ) {
        self.node = node
        self.wheel = wheel
        self.probe = probe
        self.repository = repository
        self.took = took
        self.onCheckerError = onCheckerError
    }

    var interval: Double { Double(probe.config.intervalMs) / 1000 }

    func start() {
        probe.loop.execute {
            self.schedule(at: .now() + Self.amount(Double.random(in: 0..<self.interval)))
        }
    }

    /// No check starts after this (one running finishes, and records).
    func stop() {
        probe.loop.execute { self.stopped = true }
    }

    private func schedule(at deadline: NIODeadline) {
        guard !stopped else { return }
        wheel.add(at: deadline) { self.check() }
    }

    private func check() {
        guard !stopped else { return }
        let started = monotonicSeconds()
        let startedAt = NIODeadline.now()
        probe.future().whenSuccess { outcome in
            let latency = (monotonicSeconds() - started) * 1000
            switch outcome {
            case .up(let detail), .down(let detail):
                self.took(.milliseconds(latency))
                // The repository's clock (CLOCK_MONOTONIC, like `started`): ages line up.
                let ok = outcome.isUp
                self.repository.record(
                    node: self.node, ok: ok, at: started, latencyMs: ok ? latency : nil, detail: detail)
            case .checkerError(let detail):
                // Our own failure (no descriptors, bad CA file) says nothing about the node.
                self.onCheckerError("health check of \(self.node) not run: \(detail)")
            }
            self.schedule(at: startedAt + Self.amount(self.interval * Double.random(in: 0.9...1.1)))
        }
    }

    static func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64(seconds * 1e9)) }
}
