import DNSWire
import FormAuthority
import NIOCore
import NIOPosix
import NIOSSL
#if canImport(Glibc)
    import Glibc
#endif

/// One DNS or HTTP(S) check of one node, without blocking a thread: the I/O runs on an event loop,
/// the deadline is a task scheduled on it, and the caller awaits the outcome. (TCP checks run on a
/// `TCPCheckLoop`.)
struct HealthProbe: Sendable {
    let address: String
    let config: PoolHealthConfig
    let timeout: TimeAmount
    let loop: EventLoop
    /// For https checks: made once per node (loading trust roots is not cheap), or why it could not be.
    let tls: Result<NIOSSLContext, TLSSetupError>?

    struct TLSSetupError: Error {
        let message: String
    }

    init(address: String, config: PoolHealthConfig, loop: EventLoop) {
        self.address = address
        self.config = config
        self.timeout = .milliseconds(Int64(config.timeoutMs))
        self.loop = loop
        self.tls = config.check == .https ? Self.tlsContext(config) : nil
    }

    /// The check as a future on `loop` (async code, bridged).
    func future() -> EventLoopFuture<CheckOutcome> { loop.makeFutureWithTask { await self.run() } }

    func run() async -> CheckOutcome {
        switch config.check {
        case .dns: return await dns()
        case .http, .https: return await http()
        case .tcp, .none: return .checkerError("\(config.check.rawValue) checks are not made by HealthProbe")
        }
    }

    var peer: String { address.contains(":") ? "[\(address)]:\(config.port)" : "\(address):\(config.port)" }

    /// `GET path` (over TLS for https); the status line decides.
    func http() async -> CheckOutcome {
        let scheme = config.check == .https ? "HTTPS" : "HTTP"
        var context: NIOSSLContext? = nil
        if let tls {
            switch tls {
            case .success(let made): context = made
            case .failure(let problem): return .checkerError("\(scheme): \(problem.message)")
            }
        }
        let tlsContext = context
        let deadline = NIODeadline.now() + timeout
        let status = loop.makePromise(of: String.self)
        let serverName = config.tlsServerName
        let connected = await connect { channel in
            if let tlsContext {
                try channel.pipeline.syncOperations.addHandler(
                    try NIOSSLClientHandler(context: tlsContext, serverHostname: serverName))
            }
            try channel.pipeline.syncOperations.addHandler(StatusLineReader(promise: status))
        }
        let channel: Channel
        switch connected {
        case .connected(let made): channel = made
        case .failed(let outcome):
            status.fail(ChannelError.alreadyClosed)
            return outcome
        }
        let timer = loop.scheduleTask(deadline: deadline) { status.fail(ChannelError.connectTimeout(timeout)) }
        var request = channel.allocator.buffer(capacity: 128)
        request.writeString("GET \(config.path) HTTP/1.0\r\nHost: \(address)\r\nUser-Agent: form-dns-health\r\n\r\n")
        channel.writeAndFlush(request, promise: nil)
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        let line: String
        do { line = try await status.futureResult.get() } catch ChannelError.connectTimeout {
            return .down("\(scheme): no status line in time")
        } catch {
            return .down("\(scheme): \(error)")
        }
        guard let code = Self.statusCode(line) else { return .down("\(scheme): bad status line") }
        return Self.statusIsUp(code, config) ? .up("\(scheme) \(code)") : .down("\(scheme) \(code)")
    }

    /// A DNS query over UDP: alive if an answer with our ID comes back NOERROR or NXDOMAIN in time.
    func dns() async -> CheckOutcome {
        let id = UInt16.random(in: 0...UInt16.max)
        let message = DNSMessage(
            header: DNSHeader(id: id, flags: 0), questions: [DNSQuestion(name: config.query, type: .a)])
        guard let query = try? message.encode() else { return .checkerError("DNS: cannot encode the query") }
        let target: SocketAddress
        do { target = try SocketAddress(ipAddress: address, port: Int(config.port)) } catch {
            return .checkerError("DNS: not an address: \(address)")
        }
        let answer = loop.makePromise(of: CheckOutcome.self)
        let channel: Channel
        do {
            channel = try await DatagramBootstrap(group: loop)
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.addHandler(DNSAnswerReader(id: id, promise: answer))
                    }
                }
                .connect(to: target).get()
        } catch {
            answer.fail(ChannelError.alreadyClosed)
            return Self.classify(error, "DNS query to \(peer)")
        }
        let timer = loop.scheduleTask(in: timeout) { answer.succeed(.down("DNS: no answer in time")) }
        channel.writeAndFlush(query, promise: nil)
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        return (try? await answer.futureResult.get()) ?? .down("DNS: no answer")
    }

    enum Connection {
        case connected(Channel)
        case failed(CheckOutcome)
    }

    /// A TCP connection within the timeout, with `initializer` run on the new channel.
    func connect(initializer: @escaping @Sendable (Channel) throws -> Void) async -> Connection {
        let target: SocketAddress
        do { target = try SocketAddress(ipAddress: address, port: Int(config.port)) } catch {
            return .failed(.checkerError("TCP connect to \(peer) not attempted: not an address"))
        }
        do {
            let channel = try await ClientBootstrap(group: loop)
                .connectTimeout(timeout)
                .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try initializer(ch) } }
                .connect(to: target).get()
            return .connected(channel)
        } catch {
            return .failed(Self.classify(error, "TCP connect to \(peer)"))
        }
    }

    /// Failures of a connect that are the checker's (out of descriptors or memory), not the node's;
    /// TCPCheckLoop judges its connects by the same list.
    static let ourOwnErrnos: Set<Int32> = [EMFILE, ENFILE, ENOBUFS, ENOMEM]

    /// Whose fault a failure is: running out of descriptors or memory is ours (never counted
    /// against the node); anything else (refused, unreachable, timed out) is the node's.
    static func classify(_ error: Error, _ what: String) -> CheckOutcome {
        if let io = error as? IOError, ourOwnErrnos.contains(io.errnoCode) {
            return .checkerError("\(what) not attempted: \(io)")
        }
        if case ChannelError.connectTimeout = error { return .down("\(what) timed out") }
        return .down("\(what) failed: \(error)")
    }

    static func tlsContext(_ config: PoolHealthConfig) -> Result<NIOSSLContext, TLSSetupError> {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = config.tlsVerify ? .fullVerification : .none
        if let ca = config.tlsCAFile {
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca)) } catch {
                return .failure(TLSSetupError(message: "cannot read tls_ca_file \(ca): \(error)"))
            }
        }
        do { return .success(try NIOSSLContext(configuration: tls)) } catch {
            return .failure(TLSSetupError(message: "TLS set-up failed: \(error)"))
        }
    }

    static func statusIsUp(_ code: Int, _ config: PoolHealthConfig) -> Bool {
        config.expectStatus.map { $0 == code } ?? (200..<300).contains(code)
    }

    /// The status code of an HTTP status line ("HTTP/1.0 200 OK").
    static func statusCode(_ line: String) -> Int? {
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else { return nil }
        return Int(parts[1])
    }
}
