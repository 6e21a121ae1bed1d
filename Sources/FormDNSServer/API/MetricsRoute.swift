import Hummingbird
import NIOCore

/// `GET /metrics`: the Prometheus text exposition. Behind a token that may read everything (no
/// pool-limited token, no reporter), unless `management.metrics_open` serves it to anyone: it
/// holds counts and states, never an address or the configuration.
struct MetricsRoute: Sendable {
    let deps: ManagementAPI.Dependencies

    init(_ deps: ManagementAPI.Dependencies) { self.deps = deps }

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func register(_ router: Router<APIRequestContext>) {
        let deps = self.deps
        router.get("/metrics") { request, context -> Response in
            guard let metrics = deps.metrics else { throw APIError(.notFound, "metrics are not served here") }
            if await !deps.metricsOpen() {
                let presented = request.headers[.authorization] ?? ""
                let node = presented.isEmpty ? await APIAuthMiddleware.clientNode(context.channel) : nil
                guard let caller = deps.access.caller(authorization: presented, clientNode: node) else {
                    throw APIError(.unauthorized, "missing, unknown, expired or revoked token")
                }
                guard caller.mayRead, caller.pools.isEmpty else {
                    throw APIRoutes.forbidden(caller, "may not read the metrics of every pool")
                }
            }
            let text = metrics.exposition(
                queries: deps.queryCounts(), builder: deps.current(),
                configVersion: await deps.control?.running.version,
                fleet: deps.fleet?.snapshot(), storeWritable: deps.store.map { $0.writeProblem == nil })
            return Response(
                status: .ok, headers: [.contentType: Self.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
