import DNSWire
import FormAuthority
import FormConfig
import FormStore
import Foundation
import GeoIP
import NetAddress
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The management API (HTTP/1.1, JSON):
///
///     GET  /v1/health                                   every node's health (what the checker thinks)
///     POST /v1/pools/{pool}/nodes/{id}/report           a node's own report:
///                                                       {"state": "degraded", "metrics": {"cpu": 0.95}}
///     POST /v1/pools/{pool}/nodes/{id}/override         {"override": "drain" | "force-up" | "force-down" | null}
///     GET  /v1/explain?name=N&client=IP[&ecs=SUBNET]    how a pool answer is chosen (as `form-dns explain`)
///
/// Every request needs `Authorization: Bearer <token>` unless the API is open (`APIAccess`: no
/// token and no store, loopback only). The token decides the caller's role and pools: a known
/// token without the right gets 403, the same whether or not the target exists. Each POST and
/// each refusal is written to the audit log and the store's chain with the caller, its address and
/// the outcome; untrusted text is escaped in the log line.
///
/// The API has its own event loop (never the DNS loops), a connection cap, a deadline for each
/// request to arrive whole, a 64 KiB body limit (413), and stops reading while its replies are not
/// being read (backpressure).
public final class ManagementAPI: Sendable {
    private let channel: Channel
    private let group: MultiThreadedEventLoopGroup
    public let address: SocketAddress

    public static let maxBodyBytes = 65536
    public static let maxConnections = 64
    /// From a connection's start (or its last answer) to a whole request.
    public static let requestTimeout = TimeAmount.seconds(10)

    public init(
        host: String, port: Int, access: APIAccess, current: @escaping @Sendable () -> ResponseBuilder,
        audit: @escaping @Sendable (String) -> Void,
        record: @escaping @Sendable (AuditEvent) -> Void = { _ in },
        overridden: @escaping @Sendable (NodeKey, HealthOverride?) -> Void = { _, _ in },
        tls: NIOSSLContext? = nil
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let counter = NIOLockedValueBox(ConnectionLimiter.Counts())
        do {
            let ch = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionLimiter(
                                limit: Self.maxConnections, perClient: Self.maxConnections, counts: counter))
                    }
                }
                .childChannelOption(.writeBufferWaterMark, value: .init(low: 16 * 1024, high: 64 * 1024))
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                        try channel.pipeline.syncOperations.addHandler(BackPressureHandler())
                    }.flatMap {
                        channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                    }.flatMapThrowing {
                        try channel.pipeline.syncOperations.addHandler(
                            APIHandler(
                                access: access, current: current, audit: audit, record: record,
                                overridden: overridden))
                    }
                }
                .bind(host: host, port: port).get()
            channel = ch
            address = ch.localAddress!
            self.group = group
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    public func close() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

final class APIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let access: APIAccess
    let current: @Sendable () -> ResponseBuilder
    let audit: @Sendable (String) -> Void
    /// The same, as an entry for the store's audit chain.
    let record: @Sendable (AuditEvent) -> Void
    /// A node's override changed (for the store, so it survives a restart).
    let overridden: @Sendable (NodeKey, HealthOverride?) -> Void
    var head: HTTPRequestHead?
    var body = ByteBuffer()
    var bodyTooLarge = false
    var deadline: Scheduled<Void>?

    init(
        access: APIAccess, current: @escaping @Sendable () -> ResponseBuilder,
        audit: @escaping @Sendable (String) -> Void,
        record: @escaping @Sendable (AuditEvent) -> Void = { _ in },
        overridden: @escaping @Sendable (NodeKey, HealthOverride?) -> Void = { _, _ in }
    ) {
        self.access = access
        self.current = current
        self.audit = audit
        self.record = record
        self.overridden = overridden
    }

    /// Closes the connection unless a whole request arrives in time (headers dripped byte by byte
    /// do not reset it).
    func armDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: ManagementAPI.requestTimeout) { channel.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armDeadline(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
            bodyTooLarge = false
        case .body(var b):
            if body.readableBytes + b.readableBytes <= ManagementAPI.maxBodyBytes {
                body.writeBuffer(&b)
            } else {
                bodyTooLarge = true
            }
        case .end:
            guard let head else { return }
            deadline?.cancel()
            let (status, json): (HTTPResponseStatus, Data)
            switch authenticate(head, remote: context.remoteAddress, clientNode: Self.clientNode(context)) {
            case .failure(let refusal):
                (status, json) = refusal.response  // the token first: no size or body details for strangers
            case .success(let caller) where bodyTooLarge:
                (status, json) = logged(
                    Self.errorBody(.payloadTooLarge, "body larger than \(ManagementAPI.maxBodyBytes) bytes"),
                    head, context.remoteAddress, caller)
            case .success(let caller):
                (status, json) = route(
                    head, body: Data(body.readableBytesView), remote: context.remoteAddress, caller: caller)
            }
            var out = context.channel.allocator.buffer(capacity: json.count)
            out.writeBytes(json)
            let keepAlive = head.isKeepAlive && !bodyTooLarge
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(json.count)")])
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(out))), promise: nil)
            let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if keepAlive {
                armDeadline(context: context)
            } else {
                let channel = context.channel  // Sendable, unlike the context
                written.whenComplete { _ in channel.close(promise: nil) }
            }
            self.head = nil
            body.clear()
        }
    }

    /// `{"error": message, "code": stable code}`: the code is what a client tests for.
    static func errorBody(_ s: HTTPResponseStatus, _ m: String) -> (HTTPResponseStatus, Data) {
        let code =
            switch s {
            case .unauthorized: "unauthorized"
            case .forbidden: "forbidden"
            case .notFound: "not_found"
            case .payloadTooLarge: "payload_too_large"
            default: s.code >= 500 ? "internal" : "bad_request"
            }
        return (s, (try? JSONSerialization.data(withJSONObject: ["error": m, "code": code])) ?? Data())
    }

    /// The request body as a JSON object with only `allowed` keys, or the 400 that says why not.
    static func jsonObject(_ body: Data, allowed: Set<String>) -> Result<[String: Any], APIRefusal> {
        guard !body.isEmpty else { return .failure(APIRefusal("the body must be a JSON object")) }
        guard let parsed = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            return .failure(APIRefusal("the body is not valid JSON"))
        }
        guard let object = parsed as? [String: Any] else {
            return .failure(APIRefusal("the body must be a JSON object"))
        }
        let unknown = object.keys.filter { !allowed.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let names = unknown.map { LogText.escape($0, limit: 64) }.joined(separator: ", ")
            return .failure(
                APIRefusal("unknown field(s) \(names) (expected \(allowed.sorted().joined(separator: ", ")))"))
        }
        return .success(object)
    }

    struct Refusal: Error {
        let response: (HTTPResponseStatus, Data)
    }

    /// The node a verified client certificate names (common name `POOL/NODE`), if any. NIOSSL has
    /// verified the chain against `client_ca_file` before any request is read.
    static func clientNode(_ context: ChannelHandlerContext) -> NodeKey? {
        guard let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate(),
            let name = certificate.subjectName.first(where: { $0.type == .commonName })?.value
        else { return nil }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return NodeKey(pool: String(parts[0]), node: String(parts[1]))
    }

    /// The caller the request's token (or node certificate) proves, or the 401 (audited for POSTs).
    func authenticate(_ head: HTTPRequestHead, remote: SocketAddress?, clientNode: NodeKey?) -> Result<
        APICaller, Refusal
    > {
        let presented = head.headers.first(name: "Authorization") ?? ""
        if let caller = access.caller(authorization: presented, clientNode: clientNode) { return .success(caller) }
        if head.method == .POST {
            audit("audit: \(remote?.description ?? "?") \(head.method) \(LogText.escape(head.uri)) -> 401 unauthorized")
            record(
                AuditEvent(
                    actor: presented.isEmpty ? "anonymous" : "unknown token", remote: remote?.description ?? "?",
                    action: "\(head.method) \(head.uri)", outcome: "401 unauthorized"))
        }
        return .failure(Refusal(response: Self.errorBody(.unauthorized, "missing, unknown, expired or revoked token")))
    }

    /// The 403 for a caller without the right, audited; the same whether or not the target exists.
    func forbidden(_ head: HTTPRequestHead, _ remote: SocketAddress?, _ caller: APICaller, _ why: String) -> (
        HTTPResponseStatus, Data
    ) {
        logged(Self.errorBody(.forbidden, "token \(caller.id) (\(caller.role.rawValue)) \(why)"), head, remote, caller)
    }

    func route(_ head: HTTPRequestHead, body: Data, remote: SocketAddress?, caller: APICaller) -> (
        HTTPResponseStatus, Data
    ) {
        func error(_ s: HTTPResponseStatus, _ m: String) -> (HTTPResponseStatus, Data) { Self.errorBody(s, m) }
        func logged(_ r: (HTTPResponseStatus, Data), _ head: HTTPRequestHead, _ remote: SocketAddress?) -> (
            HTTPResponseStatus, Data
        ) { self.logged(r, head, remote, caller) }
        if head.method == .GET, !caller.mayRead { return forbidden(head, remote, caller, "may only report its node") }
        let builder = current()
        guard let geo = builder.geo else { return error(.notFound, "no pools configured") }
        let (path, query) = splitURI(head.uri)
        let parts = path.split(separator: "/").map(String.init)
        switch (head.method, parts.count) {
        case (.GET, _) where path == "/v1/health":
            var report = HealthReport.make(geo)
            report.pools.removeAll { !caller.covers(pool: $0.name) }
            return (.ok, report.json())
        case (.GET, _) where path == "/v1/explain":
            guard let name = query["name"], let client = query["client"].flatMap(IPAddress.init) else {
                return error(.badRequest, "explain needs name and client")
            }
            let ecs = query["ecs"].flatMap(IPNetwork.init)
            if let parsed = try? DNSName(parsing: name, origin: .root), let index = geo.poolNames[parsed],
                !caller.covers(pool: geo.pools[index].name)
            {
                return forbidden(head, remote, caller, "may not see this pool")
            }
            do {
                let text = try GeoExplainer.explain(
                    geo, name: try DNSName(parsing: name, origin: .root), source: client, clientSubnet: ecs)
                return (.ok, (try? JSONSerialization.data(withJSONObject: ["explain": text])) ?? Data())
            } catch {
                return self.error(.badRequest, "\(error)", head: head, remote: remote)
            }
        case (.POST, 6) where parts[0] == "v1" && parts[1] == "pools" && parts[3] == "nodes":
            let poolName = parts[2].removingPercentEncoding ?? parts[2],
                key = parts[4].removingPercentEncoding ?? parts[4]
            // Rights first, before anything is looked up: a refusal says nothing about what exists.
            let reporting = parts[5] == "report"
            guard caller.covers(pool: poolName) else { return forbidden(head, remote, caller, "may not see this pool") }
            guard caller.mayChange || (reporting && caller.role == .reporter) else {
                return forbidden(head, remote, caller, "may not \(reporting ? "report health" : "set overrides")")
            }
            guard let index = geo.pools.firstIndex(where: { $0.name == poolName }), let repo = geo.health[index] else {
                return logged(error(.notFound, "no pool \(poolName) with health settings"), head, remote)
            }
            // A node is addressed by its id or by one of its addresses (a node reporting about itself knows its IP).
            let byAddress =
                IPAddress(key).map { ip in
                    geo.pools[index].nodes.first { n in [n.ipv4, n.ipv6].compactMap { $0 }.contains(ip.bytes) }
                } ?? nil
            let found = (geo.pools[index].nodes.first { $0.id == key } ?? byAddress)?.id
            if let node = caller.node, found != node.node {
                return forbidden(head, remote, caller, "may only report node \(node.node)")
            }
            guard let id = found else {
                return logged(error(.notFound, "no node \(key) in pool \(poolName)"), head, remote)
            }
            let allowed: Set<String> = parts[5] == "report" ? ["state", "metrics"] : ["override"]
            let object: [String: Any]
            switch Self.jsonObject(body, allowed: allowed) {
            case .success(let o): object = o
            case .failure(let refusal): return logged(error(.badRequest, refusal.message), head, remote)
            }
            switch parts[5] {
            case "report":
                var state: HealthState? = nil
                if let raw = object["state"] {
                    guard let s = raw as? String, let parsed = HealthState(rawValue: s), parsed != .unknown else {
                        return logged(error(.badRequest, "state must be healthy, degraded or unhealthy"), head, remote)
                    }
                    state = parsed
                }
                var metrics: [String: Double] = [:]
                if let raw = object["metrics"] {
                    guard let given = raw as? [String: Any] else {
                        return logged(error(.badRequest, "metrics must be an object of names to numbers"), head, remote)
                    }
                    for (k, v) in given {
                        guard MetricName.isValid(k) else {
                            return logged(
                                error(.badRequest, "metric name '\(LogText.escape(k, limit: 64))' \(MetricName.rule)"),
                                head, remote)
                        }
                        // JSON true/false also arrive as NSNumber; their objCType is "c".
                        guard let number = v as? NSNumber, String(cString: number.objCType) != "c",
                            number.doubleValue.isFinite
                        else {
                            return logged(error(.badRequest, "metric \(k) must be a finite number"), head, remote)
                        }
                        metrics[k] = number.doubleValue
                    }
                }
                guard state != nil || !metrics.isEmpty else {
                    return logged(error(.badRequest, "a report needs a state, metrics or both"), head, remote)
                }
                repo.report(node: id, state: state, metrics: metrics)
            case "override":
                guard object.keys.contains("override") else {
                    return logged(error(.badRequest, "body needs {\"override\": ...}"), head, remote)
                }
                if object["override"] is NSNull {
                    repo.setOverride(node: id, nil)
                    overridden(NodeKey(pool: poolName, node: id), nil)
                } else {
                    guard let o = (object["override"] as? String).flatMap(HealthOverride.init) else {
                        return logged(
                            error(.badRequest, "override must be drain, force-up, force-down or null"), head, remote)
                    }
                    repo.setOverride(node: id, o)
                    overridden(NodeKey(pool: poolName, node: id), o)
                }
            default:
                return logged(error(.notFound, "unknown action \(parts[5])"), head, remote)
            }
            let state = repo.effective(id)
            return logged(
                (.ok, (try? JSONSerialization.data(withJSONObject: ["node": id, "state": state.rawValue])) ?? Data()),
                head, remote)
        default:
            return error(.notFound, "no such endpoint: \(head.method) \(path)")
        }
    }

    func error(_ s: HTTPResponseStatus, _ m: String, head: HTTPRequestHead, remote: SocketAddress?) -> (
        HTTPResponseStatus, Data
    ) {
        Self.errorBody(s, m)
    }

    func logged(
        _ r: (HTTPResponseStatus, Data), _ head: HTTPRequestHead, _ remote: SocketAddress?, _ caller: APICaller
    ) -> (HTTPResponseStatus, Data) {
        let uri = LogText.escape(head.uri), body = LogText.escape(String(decoding: r.1, as: UTF8.self))
        audit("audit: \(remote?.description ?? "?") \(caller.id) \(head.method) \(uri) -> \(r.0.code) \(body)")
        record(
            AuditEvent(
                actor: caller.id, role: caller.role.rawValue, remote: remote?.description ?? "?",
                action: "\(head.method) \(head.uri)",
                target: head.uri.split(separator: "?").first.map(String.init) ?? "",
                change: String(decoding: self.body.readableBytesView, as: UTF8.self),
                outcome: "\(r.0.code) \(String(decoding: r.1, as: UTF8.self))"))
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

/// Why a request body was refused (a 400's message).
struct APIRefusal: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
