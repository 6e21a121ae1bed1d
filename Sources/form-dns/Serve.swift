import ArgumentParser
import Dispatch
import FormAuthority
import FormConfig
import FormDNSServer
import Foundation
import GeoIP
import NetAddress
#if canImport(Glibc)
    import Glibc
#endif

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the authority over UDP and TCP. SIGHUP reloads (keeping the old zones on error); SIGTERM stops.")

    @OptionGroup var source: ZoneSourceOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Address to listen on, e.g. 127.0.0.1:5300 or [::1]:5300 (repeatable; overrides the config). "
                + "Port 0 picks a free port.")
    )
    var listen: [String] = []

    @Option(name: .long, help: "Event loops (one UDP socket each); overrides the config.")
    var workers: Int?

    func run() async throws {
        let config: ServerConfig
        var builder: ResponseBuilder
        let logTransition: @Sendable (String, HealthTransition) -> Void = { node, t in
            log("health: \(node) \(t.from.rawValue) -> \(t.to.rawValue) (\(t.reason))")
        }
        do {
            config = try effectiveConfig()
            builder = try AuthorityLoader.build(config, onHealthTransition: logTransition)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        let server = try DNSServer(settings: DNSServer.Settings(config: config), builder: builder)
        do {
            try await server.start()
        } catch {
            printError("form-dns: cannot listen: \(error)")
            try? await server.shutdown()
            throw ExitCode(1)
        }
        // Signal handlers before the "listening" line: a SIGHUP sent as soon as it appears is not lost.
        let signals = SignalWaiter()
        var api: ManagementAPI? = nil
        if let m = config.managementListen {
            let token = config.managementToken ?? ManagementToken.fromEnvironment()
            if let token, !ManagementToken.isAcceptable(token) {
                printError("form-dns: FORM_DNS_API_TOKEN \(ManagementToken.rule)")
                try? await server.shutdown()
                throw ExitCode(1)
            }
            if token == nil {
                guard IPAddress(m.host)?.isLoopback == true else {
                    printError(
                        "form-dns: the management API on \(m) needs a token (management.token, management.token_file "
                            + "or FORM_DNS_API_TOKEN); without one it may only listen on loopback")
                    try? await server.shutdown()
                    throw ExitCode(1)
                }
                log("warning: the management API on \(m) has no token: any local user can change health and overrides")
            }
            do {
                api = try await ManagementAPI(
                    host: m.host, port: Int(m.port), token: token,
                    current: { server.currentBuilder() }, audit: { log($0) })
            } catch {
                printError("form-dns: cannot listen for the management API on \(m): \(error)")
                try? await server.shutdown()
                throw ExitCode(1)
            }
        }
        // Pushed reports go stale with time: re-evaluate once a second.
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                for repo in server.currentBuilder().geo?.health ?? [] { repo?.tick() }
            }
        }
        defer { ticker.cancel() }
        var addresses = server.bound.withLockedValue { $0 }.map(\.description).joined(separator: " ")
        if let api { addresses += " api://\(api.address.ipAddress ?? "?"):\(api.address.port ?? 0)" }
        print("form-dns: \(server.udpPlacement.withLockedValue { $0 })")
        print("form-dns: listening on \(addresses) (\(config.zones.count) zone(s), \(config.workers) worker(s))")
        fflush(nil)

        let checkerError: @Sendable (String) -> Void = { log(LogText.escape($0)) }
        var checker = HealthChecker(builder: builder, onCheckerError: checkerError)
        while true {
            let signal = await signals.next()
            if signal == SIGHUP {
                let started = ContinuousClock.now
                do {
                    let next = try effectiveConfig()
                    let fresh = try AuthorityLoader.build(next, previous: builder, onHealthTransition: logTransition)
                    try await server.reload(fresh)
                    checker.stop()
                    checker = HealthChecker(builder: fresh, onCheckerError: checkerError)
                    builder = fresh
                    let ms =
                        (ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000_000
                        + (ContinuousClock.now - started).components.seconds * 1000
                    log("reloaded zones in \(ms) ms")
                    let pending = next.restartOnlyChanges(from: config)
                    if !pending.isEmpty {
                        log("reload: \(pending.joined(separator: ", ")) changed; these take effect at the next restart")
                    }
                } catch let error as ConfigErrors {
                    log("reload failed, still serving the previous zones:\n\(error)")
                } catch {
                    log("reload failed, still serving the previous zones: \(error)")
                }
            } else {
                log("shutting down")
                checker.stop()
                await api?.close()
                try await server.shutdown()
                return
            }
        }
    }

    func effectiveConfig() throws(ConfigErrors) -> ServerConfig {
        var config = try source.load()
        if !listen.isEmpty {
            var addresses: [Endpoint] = []
            for text in listen {
                guard let a = Endpoint(parsing: text, defaultPort: 53) else {
                    throw ConfigErrors([
                        ConfigError(
                            file: "command line", line: 0, field: "--listen",
                            message: "'\(text)' is not an address like 127.0.0.1:5300 or [::1]:5300")
                    ])
                }
                addresses.append(a)
            }
            config.listen = addresses
        }
        if let workers {
            guard (1...64).contains(workers) else {
                throw ConfigErrors([
                    ConfigError(file: "command line", line: 0, field: "--workers", message: "must be in 1...64")
                ])
            }
            config.workers = workers
        }
        return config
    }
}

func log(_ message: String) {
    printError("form-dns: \(message)")
}

/// Delivers SIGHUP, SIGINT and SIGTERM as values to async code.
final class SignalWaiter {
    private let queue = DispatchQueue(label: "form-dns.signals")
    private let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init() {
        var continuation: AsyncStream<Int32>.Continuation!
        stream = AsyncStream { continuation = $0 }
        let c = continuation!
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGHUP, SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { c.yield(sig) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func next() async -> Int32 {
        for await sig in stream { return sig }
        return SIGTERM
    }
}
