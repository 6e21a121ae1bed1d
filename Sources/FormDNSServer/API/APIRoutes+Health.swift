import DNSWire
import FormAuthority
import FormControl
import FormStore
import Foundation
import Hummingbird
import NetAddress

extension APIRoutes {
    /// Health (read, node reports, overrides, drain) and explain.
    func registerHealth(_ v1: RouterGroup<APIRequestContext>) {
        v1.get("health") { _, context in
            let caller = try Self.readable(context)
            guard let geo = deps.current().geo else { return APIJSON.response(["pools": [Any]()]) }
            var report = HealthReport.make(geo)
            report.pools.removeAll { !caller.covers(pool: $0.name) }
            guard let fleet = deps.fleet else {
                // Written once by the Codable report, not a round trip through JSONSerialization
                // (20,000 nodes: about 2 s instead of 3 to 4 s).
                let body = HealthBody(report: report, store: deps.store.map { HealthBody.Store($0) })
                return APIJSON.response(json: (try? HealthReport.encoder().encode(body)) ?? Data("{}".utf8))
            }
            // With a fleet: each node's views by authority, and the store's state.
            let status = fleet.snapshot()
            for p in report.pools.indices {
                for n in report.pools[p].nodes.indices {
                    let key = NodeKey(pool: report.pools[p].name, node: report.pools[p].nodes[n].id)
                    report.pools[p].nodes[n].views = status.nodes[key]?.views ?? [:]
                }
            }
            var body = (try? JSONSerialization.jsonObject(with: report.json())) as? [String: Any] ?? [:]
            body["fleet"] = fleet.json { caller.covers(pool: $0) }
            if let store = deps.store { body["store"] = Self.storeStatus(store) }
            return APIJSON.response(body)
        }
        v1.get("fleet") { _, context in
            let caller = try Self.readable(context)
            guard let fleet = deps.fleet else {
                throw APIError(.notFound, "this authority is not in a fleet (no fleet.store)")
            }
            return APIJSON.response(fleet.json { caller.covers(pool: $0) })
        }
        v1.get("explain") { request, context in
            let caller = try Self.readable(context)
            let query = request.uri.queryParameters
            guard let nameText = query.get("name"), let clientText = query.get("client") else {
                throw APIError(.badRequest, "explain needs name and client")
            }
            guard let client = IPAddress(clientText) else { throw APIError(.badRequest, "client is not an IP address") }
            guard let name = try? DNSName(parsing: nameText, origin: .root) else {
                throw APIError(.badRequest, "name is not a domain name")
            }
            let ecs = try query.get("ecs").map { text in
                guard let n = IPNetwork(text) else {
                    throw APIError(.badRequest, "ecs is not a network like 192.0.2.0/24")
                }
                return n
            }
            guard let geo = deps.current().geo else { throw APIError(.notFound, "no pools configured") }
            if let index = geo.poolNames[name], !caller.covers(pool: geo.pools[index].name) {
                throw Self.forbidden(caller, "may not see this pool")
            }
            do {
                let text = try GeoExplainer.explain(geo, name: name, source: client, clientSubnet: ecs)
                return APIJSON.response(["explain": text])
            } catch {
                throw APIError(.badRequest, "\(error)")
            }
        }
        v1.post("pools/:pool/nodes/:node/report") { request, context in
            try await report(request, context)
        }
        v1.post("pools/:pool/nodes/:node/override") { request, context in
            try Self.mayOverride(context)
            let object = try await APIJSON.object(request, allowed: ["override"])
            guard object.keys.contains("override") else {
                throw APIError(.badRequest, "body needs {\"override\": ...}")
            }
            var value: HealthOverride? = nil
            if !(object["override"] is NSNull) {
                guard let o = (object["override"] as? String).flatMap(HealthOverride.init) else {
                    throw APIError(.badRequest, "override must be drain, force-up, force-down or null")
                }
                value = o
            }
            return try await override(value, request, context)
        }
        v1.post("pools/:pool/nodes/:node/drain") { request, context in
            try await override(.drain, request, context)
        }
    }

    /// Whether the store takes writes, and why not: `{"writable": false, "problem": "..."}`.
    static func storeStatus(_ store: any Store) -> [String: Any] {
        guard let problem = store.writeProblem else { return ["writable": true] }
        return ["writable": false, "problem": problem]
    }

    /// The node a path names, by id or by one of its addresses (a node reporting about itself knows
    /// its IP), once the caller's rights to the pool are established.
    func node(_ context: APIRequestContext) throws -> (pool: String, id: String, repository: HealthRepository?) {
        let poolName = try context.parameters.require("pool"), key = try context.parameters.require("node")
        guard let geo = deps.current().geo, let index = geo.pools.firstIndex(where: { $0.name == poolName }) else {
            throw APIError(.notFound, "no pool \(poolName)")
        }
        let byAddress =
            IPAddress(key).map { ip in
                geo.pools[index].nodes.first { n in [n.ipv4, n.ipv6].compactMap { $0 }.contains(ip.bytes) }
            } ?? nil
        guard let id = (geo.pools[index].nodes.first { $0.id == key } ?? byAddress)?.id else {
            throw APIError(.notFound, "no node \(key) in pool \(poolName)")
        }
        return (poolName, id, geo.health[index])
    }

    func report(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let caller = try context.who
        let poolName = try context.parameters.require("pool")
        guard caller.covers(pool: poolName) else { throw Self.forbidden(caller, "may not see this pool") }
        guard caller.mayChange || caller.role == .reporter else {
            throw Self.forbidden(caller, "may not report health")
        }
        let target = try node(context)
        if let own = caller.node, own.node != target.id {
            throw Self.forbidden(caller, "may only report node \(own.node)")
        }
        guard let repository = target.repository else {
            throw APIError(.notFound, "pool \(poolName) has no health settings")
        }
        let object = try await APIJSON.object(request, allowed: ["state", "metrics"])
        var state: HealthState? = nil
        if let raw = object["state"] {
            guard let s = raw as? String, let parsed = HealthState(rawValue: s), parsed != .unknown else {
                throw APIError(.badRequest, "state must be healthy, degraded or unhealthy")
            }
            state = parsed
        }
        var metrics: [String: Double] = [:]
        if let raw = object["metrics"] {
            guard let given = raw as? [String: Any] else {
                throw APIError(.badRequest, "metrics must be an object of names to numbers")
            }
            for (k, v) in given {
                guard MetricName.isValid(k) else {
                    throw APIError(.badRequest, "metric name '\(LogText.escape(k, limit: 64))' \(MetricName.rule)")
                }
                guard let number = v as? NSNumber, String(cString: number.objCType) != "c", number.doubleValue.isFinite
                else { throw APIError(.badRequest, "metric \(k) must be a finite number") }
                metrics[k] = number.doubleValue
            }
        }
        guard state != nil || !metrics.isEmpty else {
            throw APIError(.badRequest, "a report needs a state, metrics or both")
        }
        repository.report(node: target.id, state: state, metrics: metrics)
        context.note.record(target: "\(poolName)/\(target.id)", change: nil)
        context.note.markRoutine()
        return APIJSON.response(["node": target.id, "state": repository.effective(target.id).rawValue])
    }

    /// Rights to set an override on the path's pool, checked before the body is read.
    @discardableResult
    static func mayOverride(_ context: APIRequestContext) throws -> APICaller {
        let caller = try context.who
        let poolName = try context.parameters.require("pool")
        guard caller.covers(pool: poolName) else { throw Self.forbidden(caller, "may not see this pool") }
        guard caller.mayChange else { throw Self.forbidden(caller, "may not set overrides") }
        return caller
    }

    func override(_ value: HealthOverride?, _ request: Request, _ context: APIRequestContext) async throws -> Response {
        let caller = try Self.mayOverride(context)
        let poolName = try context.parameters.require("pool")
        let (dryRun, message) = try Self.options(request)
        let target = try node(context)
        guard let repository = target.repository else {
            throw APIError(.notFound, "pool \(poolName) has no health settings")
        }
        let key = NodeKey(pool: poolName, node: target.id)
        context.note.record(target: key.description, change: "override \(value?.rawValue ?? "none")")
        if let control = deps.control {
            let outcome: ControlPlane.Outcome
            do {
                outcome = try await control.override(key, value, author: caller.id, message: message, dryRun: dryRun)
            } catch { throw APIError(error) }
            if outcome.status != .applied { return Self.respond(outcome, context) }
        } else if dryRun {
            return APIJSON.response(
                ["node": target.id, "state": repository.effective(target.id).rawValue, "status": "dry-run"])
        } else {
            guard deps.setOverride(key, value) else { throw APIError(.notFound, "no node \(key)") }
        }
        return APIJSON.response([
            "node": target.id, "state": repository.effective(target.id).rawValue, "status": "applied",
        ])
    }
}
