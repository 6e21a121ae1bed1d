import FormAuthority
import NetAddress
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Runs the active health checks of every pool that has them, as a service: a `NodeCheckSchedule`
/// per checked node, checking every `interval_ms` (with ±10% jitter, and a random first delay, so
/// checks do not synchronise) and recording the outcome in the pool's `HealthRepository`.
///
/// The checks run on event loops of their own (`server.health_check_threads`, one by default), as
/// timers and futures: a slow or silent node delays only its own check, the node count is not
/// limited by threads or tasks, and the checks never take a thread the DNS listeners use
/// (Benchmarks/checker-scale measures how many nodes a loop checks each second). `use(_:)`
/// switches to a reloaded configuration: the old schedules stop, new ones start.
public final class HealthCheckService: Service {
    private let builders: AsyncStream<ResponseBuilder>
    private let continuation: AsyncStream<ResponseBuilder>.Continuation
    private let group: EventLoopGroup
    private let onCheckerError: @Sendable (String) -> Void
    /// Makes, once per pool and reload, what hears how long each completed check took: (pool,
    /// check kind) -> record(time). Once, not per check: a metric looked up by its labels
    /// 10,000 times a second would cost more than the checks.
    private let onChecked: @Sendable (String, String) -> @Sendable (Duration) -> Void

    public init(
        builder: ResponseBuilder, group: EventLoopGroup,
        onCheckerError: @escaping @Sendable (String) -> Void = { _ in },
        onChecked: @escaping @Sendable (String, String) -> @Sendable (Duration) -> Void = { _, _ in
            { _ in }
        }
    ) {
        (builders, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.group = group
        self.onCheckerError = onCheckerError
        self.onChecked = onChecked
        continuation.yield(builder)
    }

    /// The checks' event loops (`server.health_check_threads`), apart from DNS; made once, for the
    /// life of the process.
    public static func checkerLoops(threads: Int) -> EventLoopGroup {
        MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

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

    /// Until cancelled: a `NodeCheckSchedule` per enabled node of every pool with active checks,
    /// all on the checker's loop; cancelling stops them.
    func checkAll(_ builder: ResponseBuilder) async {
        guard let geo = builder.geo else { return }
        var schedules: [NodeCheckSchedule] = []
        var wheels: [ObjectIdentifier: CheckWheel] = [:]
        for (i, pool) in geo.pools.enumerated() {
            guard let config = pool.health, config.check != .none, let repository = geo.health[i] else { continue }
            let took = onChecked(pool.name, config.check.rawValue)
            for node in pool.nodes where node.enabled {
                guard let address = node.ipv4.map(IPAddressText.format) ?? node.ipv6.map(IPAddressText.format)
                else { continue }
                let loop = group.next()
                let wheel = wheels[ObjectIdentifier(loop), default: CheckWheel(loop: loop)]
                wheels[ObjectIdentifier(loop)] = wheel
                let probe = HealthProbe(address: address, config: config, loop: loop)
                schedules.append(
                    NodeCheckSchedule(
                        node: node.id, probe: probe, wheel: wheel, repository: repository, took: took,
                        onCheckerError: onCheckerError))
            }
        }
        guard !schedules.isEmpty else { return }
        let started = schedules, startedWheels = Array(wheels.values)
        await withTaskCancellationHandler {
            for schedule in started { schedule.start() }
            // Until the configuration changes or the server stops (both cancel this task).
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        } onCancel: {
            for schedule in started { schedule.stop() }
            for wheel in startedWheels { wheel.loop.execute { wheel.stop() } }
        }
    }
}

/// The repositories' clock, so check times and report ages line up.
func monotonicSeconds() -> Double { HealthRepository.monotonic() }
