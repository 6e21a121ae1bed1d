import FormAuthority
import NetAddress
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Runs the active health checks of every pool that has them, as a service: one task per checked
/// node, checking every `interval_ms` (with ±10% jitter, and a random first delay, so checks do
/// not synchronise) and recording the outcome in the pool's `HealthRepository`.
///
/// Tasks are cheap and the checks never block (`HealthProbe` does its I/O on an event loop), so a
/// slow or silent node delays only its own task and the node count is not limited by threads. Every
/// check's I/O runs on one event loop of its own (`checkerLoop`): 10,000 nodes checked each second
/// take one thread, and never a thread the DNS listeners use (Benchmarks/checker-scale measures it).
/// `use(_:)` switches to a reloaded configuration: the old tasks are cancelled, new ones start.
public final class HealthCheckService: Service {
    private let builders: AsyncStream<ResponseBuilder>
    private let continuation: AsyncStream<ResponseBuilder>.Continuation
    private let group: EventLoopGroup
    private let onCheckerError: @Sendable (String) -> Void
    /// Hears how long each completed check took: (pool, check kind, time).
    private let onChecked: @Sendable (String, String, Duration) -> Void

    public init(
        builder: ResponseBuilder, group: EventLoopGroup = HealthCheckService.checkerLoop,
        onCheckerError: @escaping @Sendable (String) -> Void = { _ in },
        onChecked: @escaping @Sendable (String, String, Duration) -> Void = { _, _, _ in }
    ) {
        (builders, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.group = group
        self.onCheckerError = onCheckerError
        self.onChecked = onChecked
        continuation.yield(builder)
    }

    /// The checks' event loop: one thread, made on first use, for the life of the process.
    public static let checkerLoop: EventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Checks the nodes of `builder` from now on (after a reload).
    public func use(_ builder: ResponseBuilder) { continuation.yield(builder) }

    public func run() async {
        var running: Task<Void, Never>? = nil
        for await builder in builders.cancelOnGracefulShutdown() {
            running?.cancel()
            await running?.value
            running = Task { await self.checkAll(builder) }
        }
        running?.cancel()
        await running?.value
    }

    /// Until cancelled: one task per enabled node of every pool with active checks.
    func checkAll(_ builder: ResponseBuilder) async {
        guard let geo = builder.geo else { return }
        await withDiscardingTaskGroup { tasks in
            for (i, pool) in geo.pools.enumerated() {
                guard let config = pool.health, config.check != .none, let repository = geo.health[i] else { continue }
                for node in pool.nodes where node.enabled {
                    guard let address = node.ipv4.map(IPAddressText.format) ?? node.ipv6.map(IPAddressText.format)
                    else { continue }
                    let probe = HealthProbe(address: address, config: config, loop: group.next())
                    let (name, kind) = (pool.name, config.check.rawValue)
                    tasks.addTask {
                        await self.check(node.id, with: probe, into: repository) { self.onChecked(name, kind, $0) }
                    }
                }
            }
        }
    }

    func check(
        _ id: String, with probe: HealthProbe, into repository: HealthRepository,
        took: @Sendable (Duration) -> Void = { _ in }
    ) async {
        let interval = Double(probe.config.intervalMs) / 1000
        do {
            try await Task.sleep(for: .seconds(Double.random(in: 0..<interval)))
            while !Task.isCancelled {
                let started = monotonicSeconds()
                let outcome = await probe.run()
                let latency = (monotonicSeconds() - started) * 1000
                switch outcome {
                case .up(let detail), .down(let detail):
                    took(.milliseconds(latency))
                    // The repository's clock (CLOCK_MONOTONIC, like `started`): ages line up.
                    let ok = outcome.isUp
                    repository.record(node: id, ok: ok, at: started, latencyMs: ok ? latency : nil, detail: detail)
                case .checkerError(let detail):
                    // Our own failure (no descriptors, bad CA file) says nothing about the node.
                    onCheckerError("health check of \(id) not run: \(detail)")
                }
                let next = interval * Double.random(in: 0.9...1.1) - (monotonicSeconds() - started)
                if next > 0 { try await Task.sleep(for: .seconds(next)) }
            }
        } catch {
            // Cancelled while sleeping: the configuration changed or the server is stopping.
        }
    }
}

/// The repositories' clock, so check times and report ages line up.
func monotonicSeconds() -> Double { HealthRepository.monotonic() }
