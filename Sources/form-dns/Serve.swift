import ArgumentParser
import FormAuthority
import FormConfig
import FormStore
import FormDNSServer
import Foundation
import GeoIP
import Logging
import NIOSSL
import NetAddress
import ServiceLifecycle
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

    @Option(name: .long, help: "Keep config versions, the audit chain and health state here; overrides state_dir.")
    var stateDir: String?

    func run() async throws {
        let config: ServerConfig
        let builder: ResponseBuilder
        let logTransition: @Sendable (String, HealthTransition) -> Void = { node, t in
            log("health: \(node) \(t.from.rawValue) -> \(t.to.rawValue) (\(t.reason))")
        }
        let keeper: StateKeeper?
        do {
            config = try effectiveConfig()
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        do {
            keeper = try config.stateDirectory.map { dir throws(StoreError) in
                StateKeeper(store: try SQLiteStore(directory: dir))
            }
        } catch {
            printError("form-dns: \(error)")
            throw ExitCode(1)
        }
        let saveCheckedState: @Sendable (String, String, HealthState) -> Void = { pool, node, state in
            keeper?.saveCheckedState(pool: pool, node: node, state)
        }
        do {
            builder = try AuthorityLoader.build(
                config, onHealthTransition: logTransition, onCheckedState: saveCheckedState)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        keeper?.restore(into: builder)
        keeper?.recordConfigFile(source.config, reason: "loaded at start")
        let server = try DNSServer(settings: DNSServer.Settings(config: config), builder: builder)
        do {
            try await server.start()
        } catch {
            printError("form-dns: cannot listen: \(error)")
            try? await server.shutdown()
            throw ExitCode(1)
        }
        var api: ManagementAPI? = nil
        if let m = config.managementListen {
            let token = config.managementToken ?? ManagementToken.fromEnvironment()
            if let token, !ManagementToken.isAcceptable(token) {
                printError("form-dns: FORM_DNS_API_TOKEN \(ManagementToken.rule)")
                try? await server.shutdown()
                throw ExitCode(1)
            }
            var lookup: (@Sendable (String) -> APIToken?)? = nil
            if let keeper { lookup = { id in keeper.token(id: id) } }
            let access = APIAccess(configuredToken: token, lookup: lookup)
            if access.isOpen {
                guard IPAddress(m.host)?.isLoopback == true else {
                    printError(
                        "form-dns: the management API on \(m) needs a token (management.token, management.token_file, "
                            + "FORM_DNS_API_TOKEN, or state_dir for tokens made by form-dns token create); without one "
                            + "it may only listen on loopback")
                    try? await server.shutdown()
                    throw ExitCode(1)
                }
                log("warning: the management API on \(m) has no token: any local user can change health and overrides")
            }
            var tls: NIOSSLContext? = nil
            if let files = config.managementTLS {
                do { tls = try files.serverContext() } catch {
                    printError(
                        "form-dns: management.tls: cannot use \(files.certificateFile) and \(files.keyFile): \(error)")
                    try? await server.shutdown()
                    throw ExitCode(1)
                }
            }
            do {
                api = try await ManagementAPI(
                    host: m.host, port: Int(m.port), access: access,
                    current: { server.currentBuilder() }, audit: { log($0) },
                    record: { keeper?.record($0) }, overridden: { keeper?.saveOverride($0, $1) }, tls: tls)
            } catch {
                printError("form-dns: cannot listen for the management API on \(m): \(error)")
                try? await server.shutdown()
                throw ExitCode(1)
            }
        }
        var addresses = server.bound.withLockedValue { $0 }.map(\.description).joined(separator: " ")
        if let api {
            let scheme = config.managementTLS == nil ? "api" : "apis"
            addresses += " \(scheme)://\(api.address.ipAddress ?? "?"):\(api.address.port ?? 0)"
        }
        let placement = server.udpPlacement.withLockedValue { $0 }
        let listening = "listening on \(addresses) (\(config.zones.count) zone(s), \(config.workers) worker(s))"

        let checks = HealthCheckService(builder: builder, onCheckerError: { log(LogText.escape($0)) })
        let options = self
        let reload = ReloadService(
            running: config, load: { () throws(ConfigErrors) -> ServerConfig in try options.effectiveConfig() },
            server: server, checks: checks, keeper: keeper, configFile: source.config,
            onHealthTransition: logTransition, onCheckedState: saveCheckedState,
            onReady: {
                print("form-dns: \(placement)")
                print("form-dns: \(listening)")
                fflush(nil)
            })
        // Start order; graceful shutdown runs in reverse: stop reloading, then checks, then the API,
        // then TCP, then UDP.
        var services: [any Service] = server.services
        if let api { services.append(api) }
        services += [checks, HealthTickService(current: { server.currentBuilder() }), reload] as [any Service]
        var logger = Logger(label: "form-dns")
        logger.logLevel = .warning
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
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
        if let stateDir { config.stateDirectory = stateDir }
        return config
    }
}

func log(_ message: String) {
    printError("form-dns: \(message)")
}
