import FormAuthority
import GeoIP
import NIOConcurrencyHelpers
import NIOCore

/// Splits a TCP byte stream into DNS messages: each is preceded by a two-octet length
/// (RFC 1035 section 4.2.2, RFC 7766 section 8).
struct DNSTCPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) else { return .needMoreData }
        guard length > 0 else { throw DNSTCPFramingError.emptyMessage }
        guard buffer.readableBytes >= 2 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        let frame = buffer.readSlice(length: Int(length))!
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial message at EOF is discarded: there is no one left to answer.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

enum DNSTCPFramingError: Error { case emptyMessage }

/// Answers each framed query on a TCP connection, in order; several queries may be in flight
/// (pipelining, RFC 7766 section 6.2.1.1) and their answers are flushed together.
final class TCPQueryHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let state: LoopState
    private var pendingFlush = false

    init(state: LoopState) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let query = unwrapInboundIn(data)
        var out = context.channel.allocator.buffer(capacity: 514)
        out.writeInteger(UInt16(0))
        guard state.builder.respond(to: query, source: IPAddress(context.channel.remoteAddress), transport: .tcp,
                                    cache: state.geoCache, into: &out) else { return }
        out.setInteger(UInt16(out.readableBytes - 2), at: out.readerIndex)
        context.write(wrapOutboundOut(out), promise: nil)
        pendingFlush = true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            // RFC 7766 section 6.2.3: the server closes idle connections.
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// Closes connections beyond the configured limit as soon as they are accepted.
final class ConnectionLimiter: ChannelInboundHandler {
    typealias InboundIn = Channel

    private let limit: Int
    private let counter: NIOLockedValueBox<Int>

    init(limit: Int, counter: NIOLockedValueBox<Int>) {
        self.limit = limit
        self.counter = counter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        let admitted = counter.withLockedValue { count -> Bool in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else {
            child.close(promise: nil)
            return
        }
        let counter = self.counter
        child.closeFuture.whenComplete { _ in counter.withLockedValue { $0 -= 1 } }
        context.fireChannelRead(data)
    }
}
