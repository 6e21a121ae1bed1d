import Foundation
import NetAddress
import NIOCore
import NIOPosix
import NIOSSL

/// One request and its whole response over TLS (NIOSSL), for the CLI's API commands. The server's
/// certificate must chain to the given CA and name the address connected to (an IP SAN) or its
/// host name; a client certificate is sent when given (mutual TLS).
struct TLSExchange {
    let caFile: String
    let certFile: String?
    let keyFile: String?

    func send(_ request: [UInt8], to endpoint: Endpoint) throws -> [UInt8] {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        if let certFile, let keyFile {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certFile).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
        }
        let context = try NIOSSLContext(configuration: configuration)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let done = loop.makePromise(of: [UInt8].self)
        // A literal address is no SNI name: NIOSSL then checks the certificate against the address.
        let serverName = IPAddress(endpoint.host) == nil ? endpoint.host : nil
        let channel: Channel
        do {
            channel = try ClientBootstrap(group: loop)
                .connectTimeout(.seconds(5))
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: context, serverHostname: serverName))
                        try ch.pipeline.syncOperations.addHandler(ResponseCollector(done: done))
                    }
                }
                .connect(to: try SocketAddress(ipAddress: endpoint.host, port: Int(endpoint.port))).wait()
        } catch {
            done.fail(error)
            throw error
        }
        let timeout = loop.scheduleTask(in: .seconds(10)) { done.fail(ChannelError.connectTimeout(.seconds(10))) }
        defer { timeout.cancel() }
        channel.writeAndFlush(channel.allocator.buffer(bytes: request), promise: nil)
        defer { channel.close(promise: nil) }
        return try done.futureResult.wait()
    }
}

/// Gathers every byte until the server closes or half-closes (HTTP/1.0 without keep-alive; a
/// server may close only its side, after TLS close_notify), or the whole Content-Length arrived.
final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let done: EventLoopPromise<[UInt8]>
    var bytes: [UInt8] = []

    init(done: EventLoopPromise<[UInt8]>) { self.done = done }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytes += unwrapInboundIn(data).readableBytesView
        if isComplete { finish(.success(bytes)) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { finish(.success(bytes)) }
        context.fireUserInboundEventTriggered(event)
    }

    var isComplete: Bool { Self.isComplete(bytes) }

    /// Headers ended and as many body bytes as Content-Length says.
    static func isComplete(_ bytes: [UInt8]) -> Bool {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator })
        else { return false }
        let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return false }
        return bytes.count - end - 4 >= length
    }

    func channelInactive(context: ChannelHandlerContext) { finish(.success(bytes)) }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A server that closes without close_notify after a whole response is common: keep what came.
        if case NIOSSLError.uncleanShutdown = error, !bytes.isEmpty { return }
        finish(.failure(error))
        context.close(promise: nil)
    }

    private var finished = false

    /// Completes the promise once (a whole response, then the close, must not complete it twice).
    func finish(_ result: Result<[UInt8], Error>) {
        guard !finished else { return }
        finished = true
        done.completeWith(result)
    }
}
