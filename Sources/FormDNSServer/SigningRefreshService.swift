import FormAuthority
import ServiceLifecycle

/// Signs the answers held ahead again before their signatures come due: once a minute it asks
/// the serving builder whether any signature it answers with has reached its refresh time and,
/// if so, has a fresh builder made and swapped in (`refresh`), which takes what is still fresh
/// from the signature cache and signs the rest.
public struct SigningRefreshService: Service {
    private let current: @Sendable () -> ResponseBuilder
    private let refresh: @Sendable () async -> Void
    private let interval: Duration

    public init(
        current: @escaping @Sendable () -> ResponseBuilder, interval: Duration = .seconds(60),
        refresh: @escaping @Sendable () async -> Void
    ) {
        self.current = current
        self.refresh = refresh
        self.interval = interval
    }

    public func run() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
            if current().signer?.refreshDue() == true { await refresh() }
        }
    }
}
