import FormAuthority
import ServiceLifecycle

/// Re-evaluates pushed health reports once a second, so a report that stops coming goes stale
/// (and its node unknown) without waiting for another report or check.
public struct HealthTickService: Service {
    private let current: @Sendable () -> ResponseBuilder

    public init(current: @escaping @Sendable () -> ResponseBuilder) { self.current = current }

    public func run() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) } } catch { return }
            for repository in current().geo?.health ?? [] { repository?.tick() }
        }
    }
}
