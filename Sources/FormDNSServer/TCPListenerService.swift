import ServiceLifecycle

/// The DNS-over-TCP listeners (on the server's one event loop) as a service: bound by
/// `DNSServer.start()`, closed at graceful shutdown.
struct TCPListenerService: Service {
    let server: DNSServer

    func run() async throws {
        try? await gracefulShutdown()
        try await server.closeTCP()
    }
}
