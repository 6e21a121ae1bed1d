import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Wraps the API's HTTP (or TLS) child channel: a connection past the cap is closed as soon as it
/// is accepted (a clear answer instead of a backlog that grows), and each connection is counted
/// until it closes.
struct ConnectionCapChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let limit: Int
    let open: NIOLockedValueBox<Int>

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let admitted = open.withLockedValue { n -> Bool in
            guard n < limit else { return false }
            n += 1
            return true
        }
        guard admitted else {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        let open = self.open
        channel.closeFuture.whenComplete { _ in open.withLockedValue { $0 -= 1 } }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
