import FormConfig
import FormControl
import Hummingbird

extension APIRoutes {
    /// Pools, their nodes and policies, as the configuration document holds them.
    func registerPools(_ v1: RouterGroup<APIRequestContext>) {
        v1.get("pools") { _, context in
            let caller = try Self.readable(context)
            let pools = try await documentPools().filter { caller.covers(pool: ConfigChange.poolName($0) ?? "") }
            return APIJSON.response(["pools": pools.map(\.jsonValue)])
        }
        v1.post("pools") { request, context in
            guard try context.who.mayChange else {
                throw Self.forbidden(try context.who, "may not change the configuration")
            }
            let pool = try await Self.document(request)
            let caller = try Self.mayChange(context, pool: ConfigChange.poolName(pool) ?? "")
            return try await change(.addPool(pool), request, context, caller: caller)
        }
        v1.get("pools/:pool") { _, context in
            let pool = try await readablePool(context)
            return APIJSON.response(pool.jsonValue)
        }
        v1.patch("pools/:pool") { request, context in
            let name = try context.parameters.require("pool")
            let caller = try Self.mayChange(context, pool: name)
            return try await change(
                .updatePool(name: name, fields: try await Self.document(request)), request, context, caller: caller)
        }
        v1.delete("pools/:pool") { request, context in
            let name = try context.parameters.require("pool")
            let caller = try Self.mayChange(context, pool: name)
            return try await change(.removePool(name: name), request, context, caller: caller)
        }
        v1.get("pools/:pool/policy") { _, context in
            let pool = try await readablePool(context)
            return APIJSON.response(pool["policy"]?.jsonValue ?? [String: Any]())
        }
        v1.put("pools/:pool/policy") { request, context in
            let name = try context.parameters.require("pool")
            let caller = try Self.mayChange(context, pool: name)
            var fields = ConfigNode(.mapping([]))
            fields.set("policy", try await Self.document(request))
            return try await change(.updatePool(name: name, fields: fields), request, context, caller: caller)
        }
        v1.get("pools/:pool/nodes") { _, context in
            let pool = try await readablePool(context)
            return APIJSON.response(["nodes": (pool["nodes"]?.list ?? []).map(\.jsonValue)])
        }
        v1.post("pools/:pool/nodes") { request, context in
            let name = try context.parameters.require("pool")
            let caller = try Self.mayChange(context, pool: name)
            return try await change(
                .addNode(pool: name, node: try await Self.document(request)), request, context, caller: caller)
        }
        v1.get("pools/:pool/nodes/:node") { _, context in
            let pool = try await readablePool(context)
            let id = try context.parameters.require("node")
            guard let node = pool["nodes"]?.list?.first(where: { $0["id"]?.scalar?.text == id }) else {
                throw APIError(.notFound, "no node \(id) in pool \(ConfigChange.poolName(pool) ?? "")")
            }
            return APIJSON.response(node.jsonValue)
        }
        v1.patch("pools/:pool/nodes/:node") { request, context in
            let name = try context.parameters.require("pool"), id = try context.parameters.require("node")
            let caller = try Self.mayChange(context, pool: name)
            let fields = try await Self.document(request)
            return try await change(.updateNode(pool: name, id: id, fields: fields), request, context, caller: caller)
        }
        v1.delete("pools/:pool/nodes/:node") { request, context in
            let name = try context.parameters.require("pool"), id = try context.parameters.require("node")
            let caller = try Self.mayChange(context, pool: name)
            return try await change(.removeNode(pool: name, id: id), request, context, caller: caller)
        }
    }

    func documentPools() async throws -> [ConfigNode] {
        guard let control = deps.control else { return [] }
        return await control.running.root["pools"]?.list ?? []
    }

    /// The pool the path names, for a caller who may read it (403 before 404).
    func readablePool(_ context: APIRequestContext) async throws -> ConfigNode {
        let caller = try Self.readable(context)
        let name = try context.parameters.require("pool")
        guard caller.covers(pool: name) else { throw Self.forbidden(caller, "may not see this pool") }
        guard let pool = try await documentPools().first(where: { ConfigChange.poolName($0) == name }) else {
            throw APIError(.notFound, "no pool \(name)")
        }
        return pool
    }
}
