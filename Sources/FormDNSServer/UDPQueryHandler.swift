import FormAuthority
import GeoIP
import NIOCore

/// Answers DNS queries arriving on one UDP socket. Writes are flushed once per read burst, so a
/// burst read with `recvmmsg` goes back out with `sendmmsg`.
final class UDPQueryHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let state: LoopState
    private var pendingFlush = false

    init(state: LoopState) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        var out = context.channel.allocator.buffer(capacity: 512)
        let source = IPAddress(envelope.remoteAddress)
        guard state.builder.respond(to: envelope.data, source: source, transport: .udp, cache: state.geoCache, into: &out) else { return }
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: out)), promise: nil)
        pendingFlush = true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A UDP socket reports e.g. ICMP port unreachable as an error; the socket stays usable.
    }
}
