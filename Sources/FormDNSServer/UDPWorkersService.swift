import ServiceLifecycle

/// The UDP worker threads as a service. They are the one part of form-dns outside NIO and Swift
/// concurrency (measured: recvmmsg on a pinned thread per CPU beats an event loop per query), so
/// the service only holds them: they run from `DNSServer.start()` until graceful shutdown.
struct UDPWorkersService: Service {
    let server: DNSServer

    func run() async {
        try? await gracefulShutdown()
        server.stopUDPWorkers()
    }
}
