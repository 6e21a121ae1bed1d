import DNSWire
import FormAuthority
import GeoIP

extension GeoPool {
    /// `pools[]`: names answered with the entry nodes nearest the client.
    public static let schema = ConfigSection<GeoPool>(
        path: "pools[]", summary: "A set of names answered with the healthy entry nodes nearest the client.",
        defaults: GeoPool(name: "", names: [], nodes: []),
        rows: [
            .string("name", \.name, "The pool's name in logs and the API (default: its first name)."),
            ConfigRow.list(
                "names", \.names, of: ConfigParse.domainNameType, minimum: 1,
                "Owner names answered (A and AAAA from the same nodes).", element: ConfigParse.domainName
            ).required(),
            .integer("ttl", \.ttl, 0...86400, "TTL of answers while every answered node is healthy."),
            .boolean("ecs", \.ecsEnabled, "Honour EDNS Client Subnet (RFC 7871)."),
            .list(
                "trusted_resolvers", \.trustedResolvers, of: ConfigParse.networkType,
                "If given, ECS is honoured only from resolvers in these networks.", element: ConfigParse.network),
            .section("policy", \.policy, SelectionPolicy.schema),
            .section("health", PoolHealthConfig.schema) { pool, health in pool.health = health },
            ConfigRow.sections("nodes", \.nodes, PoolNode.schema, minimum: 1).required(),
        ],
        check: { pool, context, reader in
            if pool.name.isEmpty { pool.name = pool.names.first?.description ?? "pool\(context.index ?? 0)" }
            var ids: Set<String> = []
            for (i, node) in pool.nodes.enumerated() where !node.id.isEmpty && !ids.insert(node.id).inserted {
                let line = context.node["nodes"]?.list?[i].line ?? context.node.line
                reader.fail(
                    line, "\(context.field("nodes"))[\(i)].id", "node id '\(node.id)' is used twice in this pool")
            }
            if case .region(let r)? = pool.policy.defaultLocation,
                !pool.nodes.contains(where: { $0.location.region == r })
            {
                reader.fail(
                    context.node["policy"]?["default_region"]?.line ?? context.node.line,
                    context.field("policy.default_region"), "no node of this pool is in region '\(r)'")
            }
        })
}
