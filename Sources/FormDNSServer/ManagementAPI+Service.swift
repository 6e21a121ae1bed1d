import ServiceLifecycle

/// The management API as a service: bound when made, closed at graceful shutdown.
extension ManagementAPI: Service {
    public func run() async {
        try? await gracefulShutdown()
        await close()
    }
}
