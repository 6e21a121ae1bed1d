import NIOCore
import NIOHTTP1

/// One DNS over HTTPS exchange on its own HTTP/2 stream (RFC 8484 4.2): a 2xx answer of type
/// application/dns-message is the DNS message; anything else (an HTML page, a 404) is said as
/// such. The body is bounded by the largest DNS message.
final class DoHStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    let server: String
    let promise: EventLoopPromise<[UInt8]>
    private var body: [UInt8] = []
    private var done = false

    init(server: String, promise: EventLoopPromise<[UInt8]>) {
        self.server = server
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard (200..<300).contains(head.status.code) else {
                return finish(.failure(.http(server, status: Int(head.status.code))), context)
            }
            let type = head.headers.first(name: "content-type") ?? "no content type"
            guard type.lowercased().hasPrefix("application/dns-message") else {
                return finish(.failure(.notDNS(server, contentType: type)), context)
            }
        case .body(let buffer):
            body += buffer.readableBytesView
            if body.count > 65_535 { finish(.failure(.malformed(server, "answer larger than a DNS message")), context) }
        case .end:
            finish(.success(body), context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(.closed(server)), context)
        context.fireChannelInactive()
    }

    /// A stream torn down without an answer (the connection closed under it) still answers the query.
    func handlerRemoved(context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        promise.fail(EncryptedDNSError.closed(server))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(.malformed(server, TLSGate.describe(error))), context)
    }

    private func finish(_ result: Result<[UInt8], EncryptedDNSError>, _ context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        promise.completeWith(result.mapError { $0 as any Error })
        context.close(promise: nil)
    }
}
