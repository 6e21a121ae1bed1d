import FormStore
import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization

/// The live dashboard: `/dashboard/` serves the page; `/v1/dashboard` is one snapshot and
/// `/v1/dashboard/stream` a snapshot a second as server-sent events, for any reader (a
/// pool-limited one sees its pools). A stream ends after `streamLifetime` (the page reconnects)
/// or when the server shuts down; at most `maxStreams` run at once.
struct DashboardRoutes: Sendable {
    static let maxStreams = 8
    static let streamLifetime = Duration.seconds(300)
    static let interval = Duration.seconds(1)
    static let recentEvents = 20

    /// Streams open now, shared by every request.
    final class OpenStreams: Sendable {
        let count = Atomic<Int>(0)
    }

    let deps: ManagementAPI.Dependencies
    let streams = OpenStreams()

    init(_ deps: ManagementAPI.Dependencies) { self.deps = deps }

    /// The page and its files (no token: they hold no data).
    static func registerPage(_ router: Router<APIRequestContext>) {
        // Hummingbird matches /dashboard and /dashboard/ alike: the page names its files absolutely.
        router.get("/dashboard") { _, _ in DashboardAssets.response("index.html")! }
        router.get("/dashboard/:file") { _, context in
            guard let name = context.parameters.get("file"), let response = DashboardAssets.response(name) else {
                throw APIError(.notFound, "no such dashboard file")
            }
            return response
        }
    }

    func register(_ v1: RouterGroup<APIRequestContext>) {
        v1.get("dashboard") { _, context in
            let caller = try APIRoutes.readable(context)
            let body = await snapshot(pools: caller.pools)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        v1.get("dashboard/stream") { _, context in
            let caller = try APIRoutes.readable(context)
            guard take() else {
                throw APIError(.tooManyRequests, "\(Self.maxStreams) dashboard streams are open already")
            }
            let pools = caller.pools
            let body = ResponseBody { writer in
                defer { give() }
                let clock = ContinuousClock()
                let end = clock.now + Self.streamLifetime
                while clock.now < end, !Task.isShuttingDownGracefully, !Task.isCancelled {
                    var event = ByteBuffer(string: "event: snapshot\ndata: ")
                    event.writeBytes(await snapshot(pools: pools))
                    event.writeString("\n\n")
                    try await writer.write(event)
                    try? await Task.sleep(for: Self.interval)
                }
                try await writer.finish(nil)
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: body)
        }
    }

    func take() -> Bool {
        if streams.count.wrappingAdd(1, ordering: .relaxed).newValue <= Self.maxStreams { return true }
        give()
        return false
    }

    func give() { streams.count.wrappingSubtract(1, ordering: .relaxed) }

    /// The JSON of one snapshot.
    func snapshot(pools: [String]) async -> Data {
        let query = DNSEventQuery(pools: pools.isEmpty ? nil : pools, limit: Self.recentEvents)
        let events = (try? deps.store?.events(query)) ?? []
        let version = await deps.control?.running.version
        return DashboardSnapshot(
            builder: deps.current(), counts: deps.queryCounts(), events: events, version: version, pools: pools
        ).encoded()
    }
}
