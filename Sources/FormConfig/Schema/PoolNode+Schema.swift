import FormAuthority
import GeoIP

extension PoolNode {
    /// `pools[].nodes[]`: one entry node.
    public static let schema = ConfigSection<PoolNode>(
        path: "pools[].nodes[]", summary: "An entry node the pool can hand out, and where it is.",
        defaults: PoolNode(id: "", location: .unplaced),
        rows: [
            ConfigRow.string("id", \.id, "Unique in the pool; names the node in health checks and the API.").required(),
            ConfigRow.value(
                "ipv4", \.ipv4, type: .text("IPv4 address"), "Answered in A records."
            ) { node, field, reader in ConfigParse.ipv4(node, field, &reader).map(Optional.some) },
            ConfigRow.value(
                "ipv6", \.ipv6, type: .text("IPv6 address"), "Answered in AAAA records."
            ) { node, field, reader in ConfigParse.ipv6(node, field, &reader).map(Optional.some) },
        ] + GeoLocation.rows(\.location) + [
            .number(
                "weight", \.weight, 0.001...1_000_000,
                "Relative capacity: cost is divided by it (weight 2 competes as if half as far)."),
            .boolean("enabled", \.enabled, "A disabled node is never answered."),
        ],
        check: { node, context, reader in
            if !context.has("ipv4"), !context.has("ipv6") {
                reader.fail(context.node, context.field, "needs ipv4 and/or ipv6")
            }
        })
}
