import DNSWire
import NIOCore

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

/// Waits for the answer to a health query: the first response with our ID decides (NOERROR or
/// NXDOMAIN: alive; any other rcode: down); a port-unreachable error means down.
final class DNSAnswerReader: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let id: UInt16
    let promise: EventLoopPromise<CheckOutcome>

    init(id: UInt16, promise: EventLoopPromise<CheckOutcome>) {
        self.id = id
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).data.readableBytesView
        guard bytes.count >= 12 else { return promise.succeed(.down("DNS: short answer")) }
        let b = Array(bytes.prefix(4))
        guard UInt16(b[0]) << 8 | UInt16(b[1]) == id, b[2] & 0x80 != 0 else { return }
        let rcode = b[3] & 0x0F
        let detail = "DNS rcode \(ResponseCode(rawValue: UInt16(rcode)))"
        promise.succeed(rcode == 0 || rcode == 3 ? .up(detail) : .down(detail))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.succeed(.down("DNS: port unreachable (\(error))"))
    }
}
