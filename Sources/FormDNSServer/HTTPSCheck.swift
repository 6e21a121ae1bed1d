import FormAuthority
import NIOCore
import NIOPosix
import NIOSSL

/// HTTPS health checks: TLS (NIOSSL) to the node, `GET path`, the status line decides.
/// Runs on NIO's shared event loops; the checker thread waits for the result with its deadline.
enum HTTPSCheck {
    static func run(address: String, config: PoolHealthConfig, deadline: Double) -> CheckOutcome {
        let group = MultiThreadedEventLoopGroup.singleton
        let remaining = max(0.001, deadline - monotonicSeconds())
        do {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = config.tlsVerify ? .fullVerification : .none
            if let ca = config.tlsCAFile {
                do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca)) } catch {
                    return .checkerError("HTTPS: cannot read tls_ca_file \(ca): \(error)")
                }
            }
            let context: NIOSSLContext
            do { context = try NIOSSLContext(configuration: tls) } catch {
                return .checkerError("HTTPS: TLS set-up failed: \(error)")
            }
            let serverName = config.tlsServerName
            let loop = group.next()
            let status = loop.makePromise(of: String.self)
            let timeout = loop.scheduleTask(in: .milliseconds(Int64(remaining * 1000))) {
                status.fail(ChannelError.connectTimeout(.zero))
            }
            let request = "GET \(config.path) HTTP/1.0\r\nHost: \(address)\r\nUser-Agent: form-dns-health\r\n\r\n"
            let channel = try ClientBootstrap(group: loop)
                .connectTimeout(.milliseconds(Int64(remaining * 1000)))
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: context, serverHostname: serverName))
                        try ch.pipeline.syncOperations.addHandler(StatusLineReader(promise: status))
                    }
                }
                .connect(host: address, port: Int(config.port)).wait()
            defer { channel.close(promise: nil) }
            var buffer = channel.allocator.buffer(capacity: request.utf8.count)
            buffer.writeString(request)
            channel.writeAndFlush(buffer, promise: nil)
            let line = try status.futureResult.wait()
            timeout.cancel()
            guard let code = HealthChecker.statusCode(line) else { return .down("HTTPS: bad status line") }
            return HealthChecker.statusIsUp(code, config) ? .up("HTTPS \(code)") : .down("HTTPS \(code)")
        } catch {
            return .down("HTTPS: \(error)")
        }
    }
}

/// Collects bytes until the first line ends; completes the promise with that line.
final class StatusLineReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<String>
    var collected: [UInt8] = []

    init(promise: EventLoopPromise<String>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        for b in buffer.readableBytesView {
            if b == 0x0A {
                promise.succeed(String(decoding: collected.filter { $0 != 0x0D }, as: UTF8.self))
                return
            }
            if collected.count < 512 { collected.append(b) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { promise.fail(error) }
    func channelInactive(context: ChannelHandlerContext) { promise.fail(ChannelError.ioOnClosedChannel) }
}
