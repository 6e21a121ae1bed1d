import FormAuthority
import NetAddress
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Runs the active health checks of every pool that has them, as a service: a `NodeCheckSchedule`
/// per checked node, checking every `interval_ms` (with ±10% jitter, and a random first delay, so
/// checks do not synchronise) and recording the outcome in the pool's `HealthRepository`.
///
/// The checks run on threads of their own (`server.health_check_threads` of each kind, one by
/// default), never one the DNS listeners use: TCP checks on `TCPCheckLoop`s (epoll loops with a
/// timer wheel), DNS and HTTP checks on NIO event loops as timers and futures. A slow or silent
/// node delays only its own check, and the node count is not limited by threads or tasks
/// (Benchmarks/checker-scale measures how many nodes a loop checks each second). `use(_:)`
/// switches to a reloaded configuration: the old schedules stop, new ones start.
public final class HealthCheckService: Service {
    private let builders: AsyncStream<ResponseBuilder>
    private let continuation: AsyncStream<ResponseBuilder>.Continuation
    private let checkers: Checkers
    private let onCheckerError: @Sendable (String) -> Void
    /// Makes, once per pool and reload, what hears how long each completed check took: (pool,
    /// check kind) -> record(time). Once, not per check: a metric looked up by its labels
    /// 10,000 times a second would cost more than the checks.
    private let onChecked: @Sendable (String, String) -> @Sendable (Duration) -> Void

    public init(
        builder: ResponseBuilder, checkers: Checkers,
        onCheckerError: @escaping @Sendable (String) -> Void = { _ in },
        onChecked: @escaping @Sendable (String, String) -> @Sendable (Duration) -> Void = { _, _ in
            { _ in }
        }
    ) {
        (builders, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.checkers = checkers
        self.onCheckerError = onCheckerError
        self.onChecked = onChecked
        continuation.yield(builder)
    }

    /// Where the checks run, apart from DNS; made once, for the life of the process.
    public struct Checkers: Sendable {
        /// DNS and HTTP(S) checks.
        let group: EventLoopGroup
        /// TCP checks, nodes spread over them.
        let tcp: [TCPCheckLoop]

        /// `threads` of each kind (`server.health_check_threads`). Fails only when the process
        /// has no descriptor left for an epoll set.
        public init(threads: Int) throws {
            tcp = try (0..<threads).map { _ in try TCPCheckLoop() }
            group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        }
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
        for loop in checkers.tcp { loop.shutdown() }
    }

    /// Until cancelled: every enabled node of every pool with active checks checked, TCP ones on
    /// the TCP loops (spread evenly), the others by a `NodeCheckSchedule` on an event loop;
    /// cancelling stops them.
    func checkAll(_ builder: ResponseBuilder) async {
        guard let geo = builder.geo else { return }
        var schedules: [NodeCheckSchedule] = []
        var wheels: [ObjectIdentifier: CheckWheel] = [:]
        var tcpTargets = [[TCPCheckLoop.Target]](repeating: [], count: checkers.tcp.count)
        var tcpCount = 0
        for (i, pool) in geo.pools.enumerated() {
            guard let config = pool.health, config.check != .none, let repository = geo.health[i] else { continue }
            let took = onChecked(pool.name, config.check.rawValue)
            for node in pool.nodes where node.enabled {
                guard let address = node.ipv4.map(IPAddressText.format) ?? node.ipv6.map(IPAddressText.format)
                else { continue }
                if config.check == .tcp {
                    guard let target = try? SocketAddress(ipAddress: address, port: Int(config.port)) else {
                        onCheckerError("health check of \(node.id) not run: \(address) is not an address")
                        continue
                    }
                    tcpTargets[tcpCount % tcpTargets.count].append(
                        TCPCheckLoop.Target(
                            node: node.id, address: target, interval: Double(config.intervalMs) / 1000,
                            timeout: Double(config.timeoutMs) / 1000, repository: repository, took: took,
                            onCheckerError: onCheckerError))
                    tcpCount += 1
                    continue
                }
                let loop = checkers.group.next()
                let wheel = wheels[ObjectIdentifier(loop), default: CheckWheel(loop: loop)]
                wheels[ObjectIdentifier(loop)] = wheel
                let probe = HealthProbe(address: address, config: config, loop: loop)
                schedules.append(
                    NodeCheckSchedule(
                        node: node.id, probe: probe, wheel: wheel, repository: repository, took: took,
                        onCheckerError: onCheckerError))
            }
        }
        guard !schedules.isEmpty || tcpCount > 0 else { return }
        let started = schedules, startedWheels = Array(wheels.values)
        let batches = zip(checkers.tcp, tcpTargets).filter { !$0.1.isEmpty }.map { loop, targets in
            (loop, loop.start(targets))
        }
        await withTaskCancellationHandler {
            for schedule in started { schedule.start() }
            // Until the configuration changes or the server stops (both cancel this task).
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        } onCancel: {
            for schedule in started { schedule.stop() }
            for wheel in startedWheels { wheel.loop.execute { wheel.stop() } }
            for (loop, batch) in batches { loop.stop(batch) }
        }
    }
}

/// The repositories' clock, so check times and report ages line up.
func monotonicSeconds() -> Double { HealthRepository.monotonic() }
