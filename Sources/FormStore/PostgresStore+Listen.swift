import Logging
import NIOCore
import NIOPosix
import PostgresNIO

extension PostgresStore {
    /// Listens for the fleet's announcements on a connection of its own, until that connection
    /// is lost (an error) or the task is cancelled (a return). `heard` runs with nil once LISTEN is
    /// in place (what was announced before then must be caught up on), then with each payload.
    public func listen(_ heard: @escaping @Sendable (String?) -> Void) async throws {
        var logger = Logger(label: "form-dns.store.listen")
        logger.logLevel = .critical
        let configuration = try location.configuration(connectTimeout: .seconds(2))
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 0, logger: logger)
        do {
            try await withTaskCancellationHandler {
                let notifications = try await connection.listen(Self.channel)
                heard(nil)
                for try await notification in notifications { heard(notification.payload) }
            } onCancel: {
                connection.close().whenComplete { _ in _ = connection }
            }
        } catch {
            try? await connection.close()
            if Task.isCancelled { return }
            throw error
        }
        try? await connection.close()
    }
}
