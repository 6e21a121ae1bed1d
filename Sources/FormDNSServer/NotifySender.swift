import DNSWire
import NIOCore
import NIOPosix
import NetAddress

/// Tells secondaries that a zone changed (NOTIFY, RFC 1996): a NOTIFY message with the zone's SOA,
/// over UDP, sent again with a doubling wait until the secondary acknowledges it (a response with
/// our ID and opcode NOTIFY), five times at most. The secondary then asks for the SOA and transfers.
public enum NotifySender {
    public static let attempts = 5

    /// Sends in the background, one task per target; `log` hears each outcome.
    public static func notify(
        zone: DNSName, soa: DNSResourceRecord, to targets: [Endpoint], log: @escaping @Sendable (String) -> Void
    ) {
        for target in targets {
            Task {
                let outcome = await notifyOne(zone: zone, soa: soa, target: target)
                log("notify: \(zone) serial \(Self.serial(soa)) to \(target): \(outcome)")
            }
        }
    }

    static func serial(_ soa: DNSResourceRecord) -> String {
        if case .soa(let s) = soa.data { return "\(s.serial)" }
        return "?"
    }

    static func notifyOne(zone: DNSName, soa: DNSResourceRecord, target: Endpoint) async -> String {
        let address: SocketAddress
        do { address = try SocketAddress(ipAddress: target.host, port: Int(target.port)) } catch {
            return "not an address"
        }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        var wait = TimeAmount.seconds(1)
        for attempt in 1...attempts {
            let id = UInt16.random(in: 0...UInt16.max)
            var header = DNSHeader(id: id)
            header.opcode = .notify
            header.set(.authoritative)
            let message = DNSMessage(header: header, questions: [DNSQuestion(name: zone, type: .soa)], answers: [soa])
            guard let query = try? message.encode() else { return "cannot encode" }
            let acknowledged = loop.makePromise(of: String.self)
            do {
                let channel = try await DatagramBootstrap(group: loop)
                    .channelInitializer { ch in
                        ch.eventLoop.makeCompletedFuture {
                            try ch.pipeline.syncOperations.addHandler(NotifyAckReader(id: id, promise: acknowledged))
                        }
                    }
                    .connect(to: address).get()
                let timer = loop.scheduleTask(in: wait) { acknowledged.succeed("") }
                channel.writeAndFlush(query, promise: nil)
                let answer = (try? await acknowledged.futureResult.get()) ?? ""
                timer.cancel()
                try? await channel.close()
                if !answer.isEmpty { return "\(answer) (attempt \(attempt))" }
            } catch {
                acknowledged.succeed("")
            }
            wait = wait * 2
        }
        return "no acknowledgement after \(attempts) attempts"
    }
}

/// Reads the acknowledgement of one NOTIFY: a response with its ID and opcode NOTIFY.
final class NotifyAckReader: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let id: UInt16
    let promise: EventLoopPromise<String>

    init(id: UInt16, promise: EventLoopPromise<String>) {
        self.id = id
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let b = Array(unwrapInboundIn(data).data.readableBytesView.prefix(4))
        guard b.count == 4, UInt16(b[0]) << 8 | UInt16(b[1]) == id, b[2] & 0x80 != 0, (b[2] >> 3) & 0x0F == 4 else {
            return
        }
        let rcode = ResponseCode(rawValue: UInt16(b[3] & 0x0F))
        promise.succeed(rcode == .noError ? "acknowledged" : "answered \(rcode)")
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Port unreachable (the secondary not up yet) and the like: the attempt's wait still runs
        // out before the next one, so five attempts span 1 + 2 + 4 + 8 + 16 s, not milliseconds.
    }
}
