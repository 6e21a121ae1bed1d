import NIOCore

/// DNS over TLS on one connection (RFC 7858, RFC 7766 framing): each message is sent with a
/// two-octet length, several may be in flight, and answers are matched to queries by ID, in
/// whatever order they come. Loop-bound: every method runs on the channel's event loop.
final class DoTHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: String
    private var received = ByteBuffer()
    private var pending: [UInt16: EventLoopPromise<[UInt8]>] = [:]
    private var context: ChannelHandlerContext?

    init(server: String) { self.server = server }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Sends `wire` (a query with ID `id`); the promise gets the answer with that ID.
    func send(_ wire: [UInt8], id: UInt16, promise: EventLoopPromise<[UInt8]>) {
        guard let context, context.channel.isActive else {
            promise.fail(EncryptedDNSError.closed(server))
            return
        }
        if let earlier = pending.updateValue(promise, forKey: id) {
            earlier.fail(EncryptedDNSError.malformed(server, "query ID \(id) reused while in flight"))
        }
        var out = context.channel.allocator.buffer(capacity: wire.count + 2)
        out.writeInteger(UInt16(wire.count))
        out.writeBytes(wire)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        received.writeBuffer(&chunk)
        while let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
            received.readableBytes >= 2 + Int(length)
        {
            received.moveReaderIndex(forwardBy: 2)
            let message = received.readBytes(length: Int(length)) ?? []
            // Shorter than a header: not DNS. The stream cannot be trusted to be in step any more.
            guard message.count >= 12 else {
                fail(.malformed(server, "a \(message.count)-octet message is not DNS"), context: context)
                return
            }
            let id = UInt16(message[0]) << 8 | UInt16(message[1])
            pending.removeValue(forKey: id)?.succeed(message)
        }
        received.discardReadBytes()
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.closed(server))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(.malformed(server, TLSGate.describe(error)), context: context)
    }

    private func fail(_ error: EncryptedDNSError, context: ChannelHandlerContext) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: EncryptedDNSError) {
        let waiting = pending
        pending = [:]
        waiting.values.forEach { $0.fail(error) }
    }
}
