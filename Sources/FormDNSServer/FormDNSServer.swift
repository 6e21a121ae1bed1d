// FormDNSServer: the shells that put the engine on the network, as ServiceLifecycle services.
//
// Lives here: the UDP workers (a pinned thread per CPU, recvmmsg/sendmmsg, CFormSocket) and the
// TCP listeners (one NIO event loop, RFC 7766 framing and limits) of `DNSServer`, the health checks
// (`HealthCheckService`: TCP checks on `TCPCheckLoop` epoll threads, DNS and HTTP checks by
// `HealthProbe` on NIO event loops, no task or thread per node), the
// staleness tick, and the management API (its own event loop). Concurrency rule: see
// Docs/architecture.md, "Where code runs".
//
// Must not live here: deciding answers or health (FormAuthority), parsing configuration
// (FormConfig), command-line handling and signals (form-dns and ServiceLifecycle).
