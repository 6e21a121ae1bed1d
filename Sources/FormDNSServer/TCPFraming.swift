import FormAuthority
import GeoIP
import NetAddress
import NIOConcurrencyHelpers
import NIOCore

/// Splits a TCP byte stream into DNS messages: each is preceded by a two-octet length
/// (RFC 1035 section 4.2.2, RFC 7766 section 8). A message that has started arriving must be
/// complete within `messageTimeout`, or the connection is closed: the idle timeout alone is reset
/// by every byte, so a client dripping one octet at a time would hold its slot for ever.
struct DNSTCPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let messageTimeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(messageTimeout: TimeAmount) { self.messageTimeout = messageTimeout }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        else {
            if buffer.readableBytes > 0, deadline == nil {
                let channel = context.channel
                deadline = context.eventLoop.scheduleTask(in: messageTimeout) { channel.close(promise: nil) }
            }
            return .needMoreData
        }
        guard length > 0 else { throw DNSTCPFramingError.emptyMessage }
        deadline?.cancel()
        deadline = nil
        buffer.moveReaderIndex(forwardBy: 2)
        let frame = buffer.readSlice(length: Int(length))!
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // A partial message at EOF is discarded: there is no one left to answer.
        while try decode(context: context, buffer: &buffer) == .continue {}
        deadline?.cancel()
        deadline = nil
        return .needMoreData
    }
}

enum DNSTCPFramingError: Error { case emptyMessage }

/// Answers each framed query on a TCP connection, in order; several queries may be in flight
/// (pipelining, RFC 7766 section 6.2.1.1) and their answers are flushed together.
///
/// A client that sends queries but does not read the answers is bounded: while the channel is not
/// writable (64 KiB of answers waiting) reading stops, queries already read wait in a queue of at
/// most `maxQueued`, one more closes the connection, and so does staying unwritable for
/// `writeTimeout`.
final class TCPQueryHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let maxQueued = 16
    static let writeTimeout = TimeAmount.seconds(10)

    private let state: LoopState
    private let shared: SharedBuilder
    private var pendingFlush = false
    private var queued: [ByteBuffer] = []
    private var stalled: Scheduled<Void>?
    /// The last zone transfer begun on this connection: the next one waits for it.
    private var lastTransfer: EventLoopFuture<Void>

    init(state: LoopState, shared: SharedBuilder, eventLoop: any EventLoop) {
        self.state = state
        self.shared = shared
        self.lastTransfer = eventLoop.makeSucceededVoidFuture()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let query = unwrapInboundIn(data)
        guard context.channel.isWritable, queued.isEmpty else {
            guard queued.count < Self.maxQueued else {
                context.close(promise: nil)
                return
            }
            queued.append(query)
            return
        }
        answer(query, context: context)
    }

    private func answer(_ query: ByteBuffer, context: ChannelHandlerContext) {
        let isUpdate = query.withUnsafeReadableBytes(DNSUpdateHandoff.isUpdate)
        if isUpdate, let responder = shared.updates.withLock({ $0 }) {
            // Answered when the change is made (RFC 7766 6.2.1.1: replies may come out of order).
            let message = Array(query.readableBytesView), channel = context.channel
            let source = IPAddress(channel.remoteAddress)
            Task {
                guard let reply = await responder(message, source) else { return }
                var out = channel.allocator.buffer(capacity: reply.count + 2)
                out.writeInteger(UInt16(reply.count))
                out.writeBytes(reply)
                channel.writeAndFlush(out, promise: nil)
            }
            return
        }
        if query.withUnsafeReadableBytes(DNSTransferHandoff.isTransfer),
            let responder = shared.transfers.withLock({ $0 })
        {
            // A zone transfer: its messages are made off the event loop and written one at a time,
            // each once the one before has gone out (a secondary that reads slowly holds back its
            // own copy, not the server's memory). Transfers on one connection run one after another,
            // so two copies never interleave.
            let message = Array(query.readableBytesView), channel = context.channel
            let source = IPAddress(channel.remoteAddress)
            let previous = lastTransfer
            let done = context.eventLoop.makePromise(of: Void.self)
            lastTransfer = done.futureResult
            done.completeWithTask {
                try? await previous.get()
                for reply in await responder(message, source) {
                    var out = channel.allocator.buffer(capacity: reply.count + 2)
                    out.writeInteger(UInt16(reply.count))
                    out.writeBytes(reply)
                    guard (try? await channel.writeAndFlush(out).get()) != nil else { return }
                }
            }
            return
        }
        var out = context.channel.allocator.buffer(capacity: 514)
        out.writeInteger(UInt16(0))
        guard
            state.builder.respond(
                to: query, source: IPAddress(context.channel.remoteAddress), transport: .tcp,
                cache: state.geoCache, counters: state.counted, into: &out)
        else { return }
        out.setInteger(UInt16(out.readableBytes - 2), at: out.readerIndex)
        context.write(wrapOutboundOut(out), promise: nil)
        pendingFlush = true
        if !context.channel.isWritable {
            // Hand what we have to the kernel now; if the client still does not read, time it out.
            pendingFlush = false
            context.flush()
            if !context.channel.isWritable, stalled == nil {
                let channel = context.channel
                stalled = context.eventLoop.scheduleTask(in: Self.writeTimeout) { channel.close(promise: nil) }
            }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stalled?.cancel()
            stalled = nil
            while context.channel.isWritable, !queued.isEmpty {
                answer(queued.removeFirst(), context: context)
            }
            if pendingFlush {
                pendingFlush = false
                context.flush()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        stalled?.cancel()
        stalled = nil
        queued.removeAll()
        context.fireChannelInactive()
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
