import GeoIP
import NetAddress
import NIOConcurrencyHelpers
import NIOCore

/// Closes connections beyond the limits as soon as they are accepted: a total, and a cap per client
/// address, so a few slow clients cannot hold every slot.
final class ConnectionLimiter: ChannelInboundHandler {
    typealias InboundIn = Channel

    struct Counts: Sendable {
        var total = 0
        var perClient: [IPAddress: Int] = [:]
    }

    private let limit: Int
    private let perClientLimit: Int
    private let counts: NIOLockedValueBox<Counts>

    init(limit: Int, perClient: Int, counts: NIOLockedValueBox<Counts>) {
        self.limit = limit
        self.perClientLimit = perClient
        self.counts = counts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        let client = IPAddress(child.remoteAddress)
        let admitted = counts.withLockedValue { c -> Bool in
            guard c.total < limit else { return false }
            if let client {
                guard c.perClient[client, default: 0] < perClientLimit else { return false }
                c.perClient[client, default: 0] += 1
            }
            c.total += 1
            return true
        }
        guard admitted else {
            child.close(promise: nil)
            return
        }
        let counts = self.counts
        child.closeFuture.whenComplete { _ in
            counts.withLockedValue { c in
                c.total -= 1
                if let client {
                    let left = c.perClient[client, default: 1] - 1
                    c.perClient[client] = left > 0 ? left : nil
                }
            }
        }
        context.fireChannelRead(data)
    }
}
