import DNSWire
import FormAuthority
import Foundation
import GeoIP
import NIOCore
import NIOHTTP1
import NIOPosix

/// The management API (HTTP/1.1, JSON):
///
///     GET  /v1/health                                   every node's health (what the checker thinks)
///     POST /v1/pools/{pool}/nodes/{id}/report           a node's own report: {"state": "degraded", "metrics": {"cpu": 0.95}}
///     POST /v1/pools/{pool}/nodes/{id}/override         {"override": "drain" | "force-up" | "force-down" | null}
///     GET  /v1/explain?name=N&client=IP[&ecs=SUBNET]    how a pool answer is chosen (as `form-dns explain`)
///
/// With a token configured every request needs `Authorization: Bearer <token>`; each POST is
/// written to the audit log (stderr) with the caller's address and the outcome.
public final class ManagementAPI: Sendable {
    private let channel: Channel
    public let address: SocketAddress

    public init(host: String, port: Int, token: String?, group: EventLoopGroup,
                current: @escaping @Sendable () -> ResponseBuilder, audit: @escaping @Sendable (String) -> Void) async throws {
        let ch = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(APIHandler(token: token, current: current, audit: audit))
                }
            }
            .bind(host: host, port: port).get()
        channel = ch
        address = ch.localAddress!
    }

    public func close() async { try? await channel.close() }
}

final class APIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let token: String?
    let current: @Sendable () -> ResponseBuilder
    let audit: @Sendable (String) -> Void
    var head: HTTPRequestHead?
    var body = ByteBuffer()

    init(token: String?, current: @escaping @Sendable () -> ResponseBuilder, audit: @escaping @Sendable (String) -> Void) {
        self.token = token
        self.current = current
        self.audit = audit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var b):
            if body.readableBytes + b.readableBytes <= 65536 { body.writeBuffer(&b) }
        case .end:
            guard let head else { return }
            let (status, json) = route(head, body: Data(body.readableBytesView), remote: context.remoteAddress)
            var out = context.channel.allocator.buffer(capacity: json.count)
            out.writeBytes(json)
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(json.count)")])
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(out))), promise: nil)
            let keepAlive = head.isKeepAlive
            let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let channel = context.channel  // Sendable, unlike the context
                written.whenComplete { _ in channel.close(promise: nil) }
            }
            self.head = nil
        }
    }

    func route(_ head: HTTPRequestHead, body: Data, remote: SocketAddress?) -> (HTTPResponseStatus, Data) {
        func error(_ s: HTTPResponseStatus, _ m: String) -> (HTTPResponseStatus, Data) {
            (s, (try? JSONSerialization.data(withJSONObject: ["error": m])) ?? Data())
        }
        if let token, head.headers.first(name: "Authorization") != "Bearer \(token)" {
            if head.method == .POST { audit("audit: \(remote?.description ?? "?") \(head.method) \(head.uri) -> 401 unauthorized") }
            return error(.unauthorized, "missing or wrong bearer token")
        }
        let builder = current()
        guard let geo = builder.geo else { return error(.notFound, "no pools configured") }
        let (path, query) = splitURI(head.uri)
        let parts = path.split(separator: "/").map(String.init)
        switch (head.method, parts.count) {
        case (.GET, _) where path == "/v1/health":
            return (.ok, HealthReport.make(geo).json())
        case (.GET, _) where path == "/v1/explain":
            guard let name = query["name"], let client = query["client"].flatMap(IPAddress.init) else {
                return error(.badRequest, "explain needs name and client")
            }
            let ecs = query["ecs"].flatMap(IPNetwork.init)
            do {
                let text = try GeoExplainer.explain(geo, name: try DNSName(parsing: name, origin: .root), source: client, clientSubnet: ecs)
                return (.ok, (try? JSONSerialization.data(withJSONObject: ["explain": text])) ?? Data())
            } catch {
                return self.error(.badRequest, "\(error)", head: head, remote: remote)
            }
        case (.POST, 6) where parts[0] == "v1" && parts[1] == "pools" && parts[3] == "nodes":
            let poolName = parts[2].removingPercentEncoding ?? parts[2], key = parts[4].removingPercentEncoding ?? parts[4]
            guard let index = geo.pools.firstIndex(where: { $0.name == poolName }), let repo = geo.health[index] else {
                return logged(error(.notFound, "no pool \(poolName) with health settings"), head, remote)
            }
            // A node is addressed by its id or by one of its addresses (a node reporting about itself knows its IP).
            let byAddress = IPAddress(key).map { ip in geo.pools[index].nodes.first { n in [n.ipv4, n.ipv6].compactMap { $0 }.contains(ip.bytes) } } ?? nil
            guard let id = (geo.pools[index].nodes.first { $0.id == key } ?? byAddress)?.id else {
                return logged(error(.notFound, "no node \(key) in pool \(poolName)"), head, remote)
            }
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
            switch parts[5] {
            case "report":
                var state: HealthState? = nil
                if let s = object["state"] as? String {
                    guard let parsed = HealthState(rawValue: s), parsed != .unknown else { return logged(error(.badRequest, "state must be healthy, degraded or unhealthy"), head, remote) }
                    state = parsed
                }
                var metrics: [String: Double] = [:]
                for (k, v) in object["metrics"] as? [String: Any] ?? [:] {
                    guard let n = (v as? NSNumber)?.doubleValue, n.isFinite else { return logged(error(.badRequest, "metric \(k) must be a number"), head, remote) }
                    metrics[k] = n
                }
                repo.report(node: id, state: state, metrics: metrics)
            case "override":
                guard object.keys.contains("override") else { return logged(error(.badRequest, "body needs {\"override\": ...}"), head, remote) }
                if object["override"] is NSNull {
                    repo.setOverride(node: id, nil)
                } else {
                    guard let o = (object["override"] as? String).flatMap(HealthOverride.init) else {
                        return logged(error(.badRequest, "override must be drain, force-up, force-down or null"), head, remote)
                    }
                    repo.setOverride(node: id, o)
                }
            default:
                return logged(error(.notFound, "unknown action \(parts[5])"), head, remote)
            }
            let state = repo.effective(id)
            return logged((.ok, (try? JSONSerialization.data(withJSONObject: ["node": id, "state": state.rawValue])) ?? Data()), head, remote)
        default:
            return error(.notFound, "no such endpoint: \(head.method) \(path)")
        }
    }

    func error(_ s: HTTPResponseStatus, _ m: String, head: HTTPRequestHead, remote: SocketAddress?) -> (HTTPResponseStatus, Data) {
        (s, (try? JSONSerialization.data(withJSONObject: ["error": m])) ?? Data())
    }

    func logged(_ r: (HTTPResponseStatus, Data), _ head: HTTPRequestHead, _ remote: SocketAddress?) -> (HTTPResponseStatus, Data) {
        audit("audit: \(remote?.description ?? "?") \(head.method) \(head.uri) -> \(r.0.code) \(String(decoding: r.1, as: UTF8.self))")
        return r
    }

    func splitURI(_ uri: String) -> (String, [String: String]) {
        let pieces = uri.split(separator: "?", maxSplits: 1)
        var query: [String: String] = [:]
        if pieces.count == 2 {
            for pair in pieces[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { query[String(kv[0])] = String(kv[1]).removingPercentEncoding ?? String(kv[1]) }
            }
        }
        return (String(pieces.first ?? ""), query)
    }
}
