import ArgumentParser
import FormAuthority
import FormConfig
import FormControl
import FormStore
import FormDNSServer
import Foundation
import GeoIP
import Logging
import NIOCore
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
        var config: ServerConfig
        let builder: ResponseBuilder
        let metrics = ServerMetrics()
        let keeper: StateKeeper?
        do {
            config = try effectiveConfig()
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        // The store: the fleet's PostgreSQL (fleet.store), else state_dir's SQLite, else none.
        let fleetStore: PostgresStore?
        do {
            fleetStore = try config.fleet.flatMap(FleetStores.open)
            if let fleetStore {
                keeper = StateKeeper(store: fleetStore)
            } else {
                keeper = try config.stateDirectory.map { dir throws(StoreError) in
                    // A store that cannot be written (now or later) is reported, and answers go on.
                    let store = try SQLiteStore.openForServing(directory: dir) { problem in
                        log(problem.map { "store: cannot write (changes are refused, answers go on): \($0)" }
                            ?? "store: writable again")
                    }
                    if let problem = store.writeProblem { log("store: cannot write (changes are refused): \(problem)") }
                    return StateKeeper(store: store)
                }
            }
        } catch {
            printError("form-dns: \(error)")
            throw ExitCode(1)
        }
        if fleetStore != nil, !source.zones.isEmpty {
            printError("form-dns: fleet needs a configuration file (--config): versions are what the fleet shares")
            throw ExitCode(1)
        }
        let fleetStatus = config.fleet.map { FleetStatus(authority: $0.authority, quorum: $0.quorum) }
        // Per-authority settings (listen, management, fleet, ...) come from this authority's file,
        // whichever authority stored the version serving.
        let local = config
        let options = self
        let adjustVersion: @Sendable (inout ServerConfig) -> Void = { config in
            if config.fleet != nil || local.fleet != nil { config = config.keepingLocalSettings(of: local) }
            options.adjust(&config)
        }
        keeper?.retentionDays.store(config.eventRetentionDays, ordering: .relaxed)
        keeper?.pruneEvents()
        let decisionLog: Logger?
        do { decisionLog = try Self.decisionLogger(config) } catch {
            printError("form-dns: decision_log.file: \(error)")
            throw ExitCode(1)
        }
        var decisionSink: (@Sendable (DecisionRecord) -> Void)? = nil
        if let logger = decisionLog {
            decisionSink = { record in logger.info("geo decision", metadata: record.metadata) }
        }
        let onDecision = decisionSink
        let alerts = AlertDispatcher(settings: config.alerts, metrics: metrics, log: { log($0) })
        let events = EventRecorder(keeper: keeper, log: decisionLog, alerts: alerts)
        let logTransition: @Sendable (String, HealthTransition) -> Void = { node, t in
            log("health: \(node) \(t.from.rawValue) -> \(t.to.rawValue) (\(t.reason))")
            metrics.healthTransition(pool: String(node.split(separator: "/").first ?? ""), to: t.to)
            events.health(node, t)
        }
        // With a configuration file, what serves is a document the API can change: the file's
        // text with zones inline, or the newest stored version if the file has not changed since.
        let file = source.zones.isEmpty ? source.config : nil
        var startingText: (start: ControlPlane.Start, root: ConfigNode)? = nil
        if let file {
            do {
                let start = try Self.startingText(file: file, keeper: keeper, fleet: fleetStore, status: fleetStatus)
                let document = try ConfigDocument(parsing: start.text, source: file)
                config = try ServerConfig.parse(document)
                adjustVersion(&config)
                startingText = (start, document.root)
                if start.storedFromFile, let v = start.version {
                    keeper?.record(
                        AuditEvent(actor: "file", action: "config.version", target: file, outcome: "ok: version \(v)"))
                }
            } catch {
                printError(error.description)
                throw ExitCode(1)
            }
        }
        let saveCheckedState: @Sendable (String, String, HealthState) -> Void = { pool, node, state in
            keeper?.saveCheckedState(pool: pool, node: node, state)
        }
        do {
            builder = try AuthorityLoader.build(
                config, onHealthTransition: logTransition, onCheckedState: saveCheckedState, onDecision: onDecision,
                signing: .init(createMissingKeys: true), onRateLimit: { log($0) })
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        keeper?.restore(into: builder)
        let server = try DNSServer(settings: DNSServer.Settings(config: config), builder: builder)
        // Zone transfer out (zones[].transfer): AXFR over TCP to the networks allowed.
        let transfers = ZoneTransferResponder(config: config, server: server)
        server.handleTransfers { message, source in transfers.respond(to: message, from: source) }
        events.serve(server)
        let checks = HealthCheckService(
            builder: builder, checkers: try HealthCheckService.Checkers(threads: config.healthCheckThreads),
            onCheckerError: { log(LogText.escape($0)) },
            onChecked: { pool, check in metrics.healthCheckRecorder(pool: pool, check: check) })
        let overrides = NodeOverrides(server: server, keeper: keeper, events: events)
        let serving = config
        alerts.configure(serving.alerts)
        let control = startingText.map { start, root in
            ControlPlane(
                file: file!,
                running: .init(version: start.version, text: start.text, root: root, config: serving, builder: builder),
                store: keeper?.store,
                build: { next throws(ConfigErrors) in
                    try AuthorityLoader.build(
                        next, previous: server.currentBuilder(), onHealthTransition: logTransition,
                        onCheckedState: saveCheckedState, onDecision: onDecision,
                        signing: .init(createMissingKeys: true), onRateLimit: { log($0) })
                },
                swap: { fresh in
                    try await server.reload(fresh)
                    checks.use(fresh)
                },
                overrides: { overrides.all() }, setOverride: { overrides.set($0, $1) },
                adjust: adjustVersion,
                onApplied: { action, author, message, version, config in
                    transfers.use(config)
                    events.applied(action: action, author: author, message: message, version: version, config: config)
                },
                onFollowed: { _, config in
                    // What the authority that made the change applied: here too (it recorded the event).
                    transfers.use(config)
                    alerts.configure(config.alerts)
                    keeper?.retentionDays.store(config.eventRetentionDays, ordering: .relaxed)
                },
                fileTextAtStart: fleetStore == nil ? nil : try? ControlPlane.fileText(file!))
        }
        if let control {
            // DNS UPDATE (RFC 2136) with TSIG, through the same control plane as the API.
            let updates = DNSUpdateProcessor(control: control, signer: TSIGSigner(), audit: { keeper?.record($0) })
            server.handleUpdates { message, source in
                await updates.respond(to: message, from: source?.description ?? "?")
            }
        }
        do {
            try await server.start()
        } catch {
            printError("form-dns: cannot listen: \(error)")
            try? await server.shutdown()
            throw ExitCode(1)
        }
        // RFC 1996 3.11 (a primary that starts notifies): the secondaries check the serial now.
        transfers.notifyChanged()
        var api: (any Service)? = nil
        let (apiBound, apiBoundContinuation) = AsyncStream.makeStream(of: String.self)
        if let m = config.managementListen {
            let scheme = config.managementTLS == nil ? "api" : "apis"
            do {
                api = try managementAPI(
                    m, config: config, server: server, control: control, keeper: keeper, overrides: overrides,
                    metrics: metrics, fleet: fleetStatus,
                    onListening: { address in
                        apiBoundContinuation.yield("\(scheme)://\(address.ipAddress ?? "?"):\(address.port ?? 0)")
                        apiBoundContinuation.finish()
                    })
            } catch {
                printError("form-dns: \(error)")
                try? await server.shutdown()
                throw ExitCode(1)
            }
        } else {
            apiBoundContinuation.finish()
        }
        let addresses = server.bound.withLockedValue { $0 }.map(\.description).joined(separator: " ")
        let placement = server.udpPlacement.withLockedValue { $0 }
        let summary = "(\(config.zones.count) zone(s), \(config.workers) worker(s))"
        let reload = ReloadService(
            running: config, load: { () throws(ConfigErrors) -> ServerConfig in try options.effectiveConfig() },
            server: server, checks: checks, keeper: keeper, control: control, configFile: source.config,
            onHealthTransition: logTransition, onCheckedState: saveCheckedState, onDecision: onDecision,
            onReady: {
                var line = addresses
                for await api in apiBound { line += " " + api }
                print("form-dns: \(placement)")
                print("form-dns: listening on \(line) \(summary)")
                fflush(nil)
            }, metrics: metrics, events: events)
        // Start order; graceful shutdown runs in reverse: stop reloading, then checks, then the API,
        // then TCP, then UDP, then alerts.
        var services: [any Service] = [alerts] + server.services
        if let api { services.append(api) }
        let resign = SigningRefreshService(current: { server.currentBuilder() }) {
            do {
                if let control {
                    try await control.rebuild()
                } else {
                    let fresh = server.currentBuilder().resigned()
                    try await server.reload(fresh)
                    checks.use(fresh)
                }
                log("signed the zones' answers again (signatures due)")
            } catch {
                log("signing again failed, still serving the previous signatures: \(error)")
            }
        }
        services += [checks, HealthTickService(current: { server.currentBuilder() }), resign] as [any Service]
        if let fleetStore, let control, let keeper, let fleetStatus, let fleet = serving.fleet {
            services.append(
                FleetService(
                    store: fleetStore, settings: fleet, control: control, server: server, keeper: keeper,
                    overrides: overrides, status: fleetStatus))
        }
        services.append(reload)
        var logger = Logger(label: "form-dns")
        logger.logLevel = .warning
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        // What the last transitions queued is stored before the process ends.
        keeper?.drain()
    }

    /// The management API service, after the checks a start must make: a token unless on loopback,
    /// readable TLS files.
    func managementAPI(
        _ m: Endpoint, config: ServerConfig, server: DNSServer, control: ControlPlane?, keeper: StateKeeper?,
        overrides: NodeOverrides, metrics: ServerMetrics, fleet: FleetStatus?,
        onListening: @escaping @Sendable (SocketAddress) -> Void
    ) throws(ServeError) -> any Service {
        let token = config.managementToken ?? ManagementToken.fromEnvironment()
        if let token, !ManagementToken.isAcceptable(token) {
            throw ServeError("FORM_DNS_API_TOKEN \(ManagementToken.rule)")
        }
        var lookup: (@Sendable (String) -> APIToken?)? = nil
        if let keeper { lookup = { id in keeper.token(id: id) } }
        let access = APIAccess(configuredToken: token, lookup: lookup)
        if access.isOpen {
            guard IPAddress(m.host)?.isLoopback == true else {
                throw ServeError(
                    "the management API on \(m) needs a token (management.token, management.token_file, "
                        + "FORM_DNS_API_TOKEN, or state_dir for tokens made by form-dns token create); without one "
                        + "it may only listen on loopback")
            }
            log("warning: the management API on \(m) has no token: any local user can change health and overrides")
        }
        var tls: TLSConfiguration? = nil
        if let files = config.managementTLS {
            do {
                _ = try files.serverContext()  // reads and checks the files now: a clear start-up error
                tls = try files.serverConfiguration()
            } catch {
                throw ServeError("management.tls: cannot use \(files.certificateFile) and \(files.keyFile): \(error)")
            }
        }
        let dependencies = ManagementAPI.Dependencies(
            access: access, current: { server.currentBuilder() }, control: control, store: keeper?.store,
            log: { log($0) }, record: { keeper?.record($0) }, setOverride: { overrides.set($0, $1) },
            metrics: metrics, queryCounts: { server.queryCounts() },
            metricsOpen: { [open = config.metricsOpen] in await control?.running.config.metricsOpen ?? open },
            fleet: fleet)
        do {
            return try ManagementAPI.service(
                host: m.host, port: Int(m.port), tls: tls, dependencies: dependencies, onListening: onListening)
        } catch {
            throw ServeError("cannot set up the management API on \(m): \(error)")
        }
    }

    /// What serves at start. A fleet whose store cannot be reached starts from the file (no
    /// version) and follows the store's newest version once it answers.
    static func startingText(
        file: String, keeper: StateKeeper?, fleet: PostgresStore?, status: FleetStatus?
    ) throws(ConfigErrors) -> ControlPlane.Start {
        if let fleet {
            do { try fleet.ping() } catch {
                status?.failed(error)
                log("fleet: the store cannot be reached at start; serving \(file) until it answers: \(error)")
                return ControlPlane.Start(text: try ControlPlane.fileText(file), version: nil, storedFromFile: false)
            }
        }
        return try ControlPlane.startingText(file: file, store: keeper?.store)
    }

    /// The decision log's logger: JSON lines to `decision_log.file` or standard output; nil when
    /// the configuration turns it off (no sample rate, no file).
    static func decisionLogger(_ config: ServerConfig) throws -> Logger? {
        guard config.decisionLogSampleRate > 0 || config.decisionLogFile != nil else { return nil }
        let output =
            try config.decisionLogFile.map { try JSONLinesLogHandler.Output(appendingTo: $0) }
            ?? JSONLinesLogHandler.Output(handle: .standardOutput)
        return Logger(label: "form-dns.decisions") { label in JSONLinesLogHandler(label: label, output: output) }
    }

    func effectiveConfig() throws(ConfigErrors) -> ServerConfig {
        var config = try source.load()
        try checkOptions()
        adjust(&config)
        return config
    }

    /// The command line's settings over a configuration's (they win over every version too).
    func adjust(_ config: inout ServerConfig) {
        if !listen.isEmpty { config.listen = listen.compactMap { Endpoint(parsing: $0, defaultPort: 53) } }
        if let workers { config.workers = workers }
        if let stateDir { config.stateDirectory = stateDir }
    }

    func checkOptions() throws(ConfigErrors) {
        for text in listen where Endpoint(parsing: text, defaultPort: 53) == nil {
            throw ConfigErrors([
                ConfigError(
                    file: "command line", line: 0, field: "--listen",
                    message: "'\(text)' is not an address like 127.0.0.1:5300 or [::1]:5300")
            ])
        }
        if let workers, !(1...64).contains(workers) {
            throw ConfigErrors([
                ConfigError(file: "command line", line: 0, field: "--workers", message: "must be in 1...64")
            ])
        }
    }
}

/// A reason `serve` cannot start, printed as "form-dns: reason".
struct ServeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func log(_ message: String) {
    printError("form-dns: \(message)")
}
