import CFormSocket
import FormAuthority
import FormConfig
import NetAddress
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
#if canImport(Glibc)
    import Glibc
#endif

/// The authoritative server: on every configured address, `workers` UDP threads with a socket each
/// (SO_REUSEPORT lets the kernel spread datagrams across them) and a TCP listener on one NIO event
/// loop; all answer from snapshots that `reload` swaps without locks on the per-query path.
public final class DNSServer: Sendable {
    public struct Settings: Sendable {
        public var listen: [Endpoint]
        public var workers: Int
        public var cpuAffinity: CPUAffinity
        public var tcpIdleTimeoutMilliseconds: Int
        public var tcpMaxConnections: Int
        public var tcpMaxConnectionsPerClient: Int
        public var tcpMessageTimeoutMilliseconds: Int
        /// Whether the query path counts queries for /metrics (`server.query_metrics`).
        public var queryMetrics: Bool

        public init(
            listen: [Endpoint], workers: Int, cpuAffinity: CPUAffinity = .auto,
            tcpIdleTimeoutMilliseconds: Int, tcpMaxConnections: Int, tcpMaxConnectionsPerClient: Int = 32,
            tcpMessageTimeoutMilliseconds: Int = 5_000, queryMetrics: Bool = true
        ) {
            self.queryMetrics = queryMetrics
            self.listen = listen
            self.workers = workers
            self.cpuAffinity = cpuAffinity
            self.tcpIdleTimeoutMilliseconds = tcpIdleTimeoutMilliseconds
            self.tcpMaxConnections = tcpMaxConnections
            self.tcpMaxConnectionsPerClient = tcpMaxConnectionsPerClient
            self.tcpMessageTimeoutMilliseconds = tcpMessageTimeoutMilliseconds
        }

        public init(config: ServerConfig) {
            self.init(
                listen: config.listen, workers: config.workers, cpuAffinity: config.cpuAffinity,
                tcpIdleTimeoutMilliseconds: config.tcpIdleTimeoutMilliseconds,
                tcpMaxConnections: config.tcpMaxConnections,
                tcpMaxConnectionsPerClient: config.tcpMaxConnectionsPerClient,
                tcpMessageTimeoutMilliseconds: config.tcpMessageTimeoutMilliseconds, queryMetrics: config.queryMetrics)
        }
    }

    /// An address actually bound (with the kernel-chosen port when 0 was asked for).
    public struct BoundAddress: Sendable, CustomStringConvertible {
        public var transport: String
        public var address: SocketAddress
        public var description: String {
            let host = address.ipAddress.map { address.protocol == .inet6 ? "[\($0)]" : $0 } ?? "?"
            return "\(transport)://\(host):\(address.port ?? 0)"
        }
    }

    private let group: MultiThreadedEventLoopGroup
    private let loops: [(EventLoop, NIOLoopBound<LoopState>)]
    private let shared: SharedBuilder
    private let udpWorkers: NIOLockedValueBox<[UDPWorker]> = NIOLockedValueBox([])
    private let channels: NIOLockedValueBox<[Channel]> = NIOLockedValueBox([])
    private let connectionCounts = NIOLockedValueBox(ConnectionLimiter.Counts())
    public let settings: Settings
    public let bound: NIOLockedValueBox<[BoundAddress]> = NIOLockedValueBox([])
    /// How the UDP workers were placed on CPUs (the last address bound decides; they all follow
    /// the same rule, so they agree unless the kernel refused steering for one).
    public let udpPlacement: NIOLockedValueBox<UDPPlacementOutcome> = NIOLockedValueBox(.off)

    public init(settings: Settings, builder: ResponseBuilder) throws {
        self.settings = settings
        shared = SharedBuilder(builder, counting: settings.queryMetrics)
        // TCP is light next to UDP: one event loop serves it; UDP gets `workers` threads of its own.
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var loops: [(EventLoop, NIOLoopBound<LoopState>)] = []
        for loop in group.makeIterator() {
            let (metrics, counting) = (shared.metrics, shared.counting)
            let state = try loop.submit {
                NIOLoopBound(LoopState(builder: builder, metrics: metrics, counting: counting), eventLoop: loop)
            }.wait()
            loops.append((loop, state))
        }
        self.loops = loops
    }

    /// Every query counted since the server started (UDP workers and TCP), as labelled series.
    public func queryCounts() -> QueryCounts { shared.metrics.snapshot() }

    /// Sends UPDATE messages (UDP and TCP) to `responder` from now on.
    public func handleUpdates(with responder: @escaping DNSUpdateResponder) {
        shared.updates.withLock { $0 = responder }
    }

    /// Sends AXFR and IXFR requests over TCP to `responder` from now on (over UDP they stay REFUSED).
    public func handleTransfers(with responder: @escaping DNSTransferResponder) {
        shared.transfers.withLock { $0 = responder }
    }

    private func state(for loop: EventLoop) -> LoopState {
        loops.first { $0.0 === loop }!.1.value
    }

    /// Binds every listener. With port 0, the first UDP socket picks a port and TCP and the other
    /// UDP sockets reuse it; if that port is taken for TCP (the kernel chose it for UDP only), the
    /// whole set is bound again on a fresh port, a few times, before giving up.
    public func start() async throws {
        for address in settings.listen {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    try await bind(address)
                    break
                } catch let error as IOError where error.errnoCode == EADDRINUSE && address.port == 0 && attempt < 10 {
                    continue
                }
            }
        }
    }

    private func bind(_ address: Endpoint) async throws {
        var port = Int(address.port)
        var workers: [UDPWorker] = []
        for _ in 0..<max(1, settings.workers) {
            let w = try UDPWorker(host: address.host, port: port, shared: shared)
            port = w.port
            workers.append(w)
        }
        let idle = TimeAmount.milliseconds(Int64(settings.tcpIdleTimeoutMilliseconds))
        let messageTimeout = TimeAmount.milliseconds(Int64(settings.tcpMessageTimeoutMilliseconds))
        let limit = settings.tcpMaxConnections, perClient = settings.tcpMaxConnectionsPerClient
        let counts = connectionCounts
        // TCP first: the UDP workers only start (and are only kept) once the whole set is bound.
        // IPv6 listeners take IPv6 only, as the UDP workers' sockets do: `[::]:53` then sits beside
        // `0.0.0.0:53` (or 127.0.0.1:53) instead of failing with EADDRINUSE on the IPv4 half.
        let tcp = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(
                ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only), value: 1, ifIPv6: address.isIPv6
            )
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionLimiter(limit: limit, perClient: perClient, counts: counts))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Backpressure (RFC 7766 6.2.3): at most 64 KiB of answers wait for a client that does not
            // read; past that, reading stops and TCPQueryHandler holds at most a few queries.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 16 * 1024, high: 64 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(BackPressureHandler())
                    try sync.addHandler(IdleStateHandler(allTimeout: idle))
                    try sync.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder(messageTimeout: messageTimeout)))
                    try sync.addHandler(
                        TCPQueryHandler(
                            state: self.state(for: channel.eventLoop), shared: self.shared,
                            eventLoop: channel.eventLoop))
                }
            }
            .bind(to: try SocketAddress(ipAddress: address.host, port: port)).get()
        let outcome = place(workers)
        udpPlacement.withLockedValue { $0 = outcome }
        workers.forEach { $0.start() }
        udpWorkers.withLockedValue { $0 += workers }
        bound.withLockedValue {
            $0.append(BoundAddress(transport: "udp", address: try! SocketAddress(ipAddress: address.host, port: port)))
        }
        channels.withLockedValue { $0.append(tcp) }
        bound.withLockedValue { $0.append(BoundAddress(transport: "tcp", address: tcp.localAddress!)) }
    }

    /// Applies `cpu_affinity` to one address's workers (bound, not yet started): the steering
    /// program on their reuseport group, then each worker's CPU. Without steering nobody is pinned:
    /// pinning alone, with datagrams hashed to any worker, measured no better than floating.
    private func place(_ workers: [UDPWorker]) -> UDPPlacementOutcome {
        guard settings.cpuAffinity == .auto else { return .off }
        let allowed = Self.allowedCPUs()
        guard let placement = CPUPlacement(workers: workers.count, allowedCPUs: allowed) else {
            return .notApplicable(workers: workers.count, allowedCPUs: allowed.count)
        }
        // Socket index in the group = bind order = position in `workers`.
        if CFormSocket_steer_by_cpu(workers[0].fd, UInt32(workers.count)) != 0 {
            return .steeringFailed(String(cString: strerror(errno)))
        }
        for (worker, cpu) in zip(workers, placement.cpus) { worker.cpu = cpu }
        return .pinned(placement)
    }

    static func allowedCPUs() -> [Int] {
        var cpus = [Int32](repeating: 0, count: 1024)
        let n = CFormSocket_allowed_cpus(&cpus, Int32(cpus.count))
        return n > 0 ? cpus.prefix(Int(n)).map(Int.init) : []
    }

    /// The builder currently answering (for the management API).
    public func currentBuilder() -> ResponseBuilder { shared.snapshot().1 }

    /// The event loop group (for the management API).
    public var eventLoopGroup: EventLoopGroup { group }

    /// Installs a new snapshot for the UDP workers and on every event loop; in-flight queries
    /// finish on the old one.
    public func reload(_ builder: ResponseBuilder) async throws {
        shared.replace(builder)
        for (loop, state) in loops {
            try await loop.submit { state.value.builder = builder }.get()
        }
    }

    /// Closes every listener and stops the event loops.
    public func shutdown() async throws {
        stopUDPWorkers()
        try await closeTCP()
    }

    /// Stops the UDP worker threads (each within about one receive timeout).
    func stopUDPWorkers() {
        for w in udpWorkers.withLockedValue({ $0 }) { w.stop() }
    }

    /// Closes the TCP listeners and stops their event loop.
    func closeTCP() async throws {
        let all = channels.withLockedValue { $0 }
        for channel in all { try? await channel.close() }
        try await group.shutdownGracefully()
    }

    /// The server's parts as services for a `ServiceGroup`, in start order: the UDP workers, then
    /// the TCP listeners. Both are bound and running once `start()` returns; the services hold them
    /// until graceful shutdown and then stop them.
    public var services: [any Service] { [UDPWorkersService(server: self), TCPListenerService(server: self)] }

    /// Resolves when any listener closes.
    public func waitUntilClosed() async throws {
        let all = channels.withLockedValue { $0 }
        guard let first = all.first else { return }
        try await first.closeFuture.get()
    }
}

extension ServerBootstrap {
    /// The option only for an IPv6 socket: an IPv4 one refuses IPPROTO_IPV6 options.
    fileprivate func serverChannelOption<Option: ChannelOption>(
        _ option: Option, value: Option.Value, ifIPv6 isIPv6: Bool
    ) -> ServerBootstrap {
        isIPv6 ? serverChannelOption(option, value: value) : self
    }
}
