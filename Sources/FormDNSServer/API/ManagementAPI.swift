import FormAuthority
import FormControl
import FormStore
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The management API: a Hummingbird application (router and middleware) run as one service of
/// form-dns's ServiceGroup. Routes are in `APIRoutes+*.swift`; `/v1/openapi.json` describes them.
///
/// Middleware, outermost first: request IDs, JSON error bodies, then (for everything under `/v1`
/// but the OpenAPI document) authentication and the audit. The API has its own event loop (never
/// the DNS loops), a connection cap, a deadline for each request to arrive whole, a 1 MiB body
/// limit (413), and stops reading while its replies are not being read (backpressure: NIO's async
/// channel reads the next request only after the previous response is written).
public enum ManagementAPI {
    public static let maxBodyBytes = 1 << 20
    public static let maxConnections = 64
    /// From a connection's start (or its last request) to the next whole request.
    public static let requestTimeout = TimeAmount.seconds(10)

    /// What the routes work with.
    public struct Dependencies: Sendable {
        public var access: APIAccess
        /// The answer path serving now (health, explain).
        public var current: @Sendable () -> ResponseBuilder
        /// Configuration changes (nil: served from command-line zones, nothing to change).
        public var control: ControlPlane?
        /// Versions, tokens, approvals, audit (nil: no state directory).
        public var store: (any Store)?
        public var log: @Sendable (String) -> Void
        public var record: @Sendable (AuditEvent) -> Void
        /// Sets a node's override now (approvals are the control plane's); false: no such node.
        public var setOverride: @Sendable (NodeKey, HealthOverride?) -> Bool
        /// Metrics for `/metrics` (nil: not served), the query counters, and whether `/metrics`
        /// needs no token (`management.metrics_open`, read per request so a reload applies it).
        public var metrics: ServerMetrics?
        public var queryCounts: @Sendable () -> QueryCounts
        public var metricsOpen: @Sendable () async -> Bool
        /// The fleet this authority belongs to (nil: alone).
        public var fleet: FleetStatus?

        public init(
            access: APIAccess, current: @escaping @Sendable () -> ResponseBuilder, control: ControlPlane?,
            store: (any Store)?, log: @escaping @Sendable (String) -> Void,
            record: @escaping @Sendable (AuditEvent) -> Void,
            setOverride: @escaping @Sendable (NodeKey, HealthOverride?) -> Bool,
            metrics: ServerMetrics? = nil, queryCounts: @escaping @Sendable () -> QueryCounts = { QueryCounts() },
            metricsOpen: @escaping @Sendable () async -> Bool = { false }, fleet: FleetStatus? = nil
        ) {
            self.fleet = fleet
            self.metrics = metrics
            self.queryCounts = queryCounts
            self.metricsOpen = metricsOpen
            self.access = access
            self.current = current
            self.control = control
            self.store = store
            self.log = log
            self.record = record
            self.setOverride = setOverride
        }
    }

    public static func router(_ dependencies: Dependencies) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        if let metrics = dependencies.metrics { router.add(middleware: APIMetricsMiddleware(metrics: metrics)) }
        router.add(middleware: ErrorBodyMiddleware(log: dependencies.log))
        router.get("/v1/openapi.json") { _, _ in OpenAPIDocument.response() }
        MetricsRoute(dependencies).register(router)
        DashboardRoutes.registerPage(router)
        let trail = APIAuditTrail(log: dependencies.log, record: dependencies.record)
        let v1 = router.group("v1")
            .add(middleware: APIAuthMiddleware(access: dependencies.access, audit: trail))
            .add(middleware: APIAuditMiddleware(audit: trail))
        APIRoutes(dependencies).register(v1)
        DashboardRoutes(dependencies).register(v1)
        return router
    }

    /// The API as a service listening on `host:port` (with TLS when `tls` is given); `onListening`
    /// hears the bound address once it accepts connections.
    public static func service(
        host: String, port: Int, tls: TLSConfiguration?, dependencies: Dependencies,
        onListening: @escaping @Sendable (SocketAddress) -> Void
    ) throws -> any Service {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let open = NIOLockedValueBox(0)
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestDeadlineHandler(timeout: requestTimeout)])
        let server: HTTPServerBuilder
        if let tls {
            server = HTTPServerBuilder { responder in
                ConnectionCapChannel(
                    base: try TLSChannel(
                        HTTP1Channel(responder: responder, configuration: http), tlsConfiguration: tls),
                    limit: maxConnections, open: open)
            }
        } else {
            server = HTTPServerBuilder { responder in
                ConnectionCapChannel(
                    base: HTTP1Channel(responder: responder, configuration: http), limit: maxConnections, open: open)
            }
        }
        var logger = Logger(label: "form-dns.api")
        logger.logLevel = .critical
        let app = Application(
            router: router(dependencies), server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in if let a = channel.localAddress { onListening(a) } },
            eventLoopGroupProvider: .shared(group), logger: logger)
        return APIService(app: app, group: group)
    }
}

/// Runs the application, then releases its event loop.
struct APIService<App: Service>: Service {
    let app: App
    let group: MultiThreadedEventLoopGroup

    func run() async throws {
        do { try await app.run() } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }
}
