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
            ConfigRow(
                name: "wireguard_key", type: .text("base64 of a 32-octet WireGuard public key"),
                summary: "Publishes the node in the pool names' _formnet TXT records (with ip, ip6 and region)."
            ) { node, value, field, reader in
                guard let key = node.scalar?.text, NodeDiscovery.isPublicKey(key) else {
                    reader.fail(node, field, "'\(node.shownText)' is not base64 of a 32-octet WireGuard public key")
                    return
                }
                value.discovery = NodeDiscovery(publicKey: key)
            },
            ConfigRow(
                name: "join_port", type: .integer(1...65535),
                summary: "The port a joining node uses, in the TXT record (default 51820; needs wireguard_key)."
            ) { node, value, field, reader in
                guard let port = reader.integer(node, field, 1...65535) else { return }
                guard value.discovery != nil else { return reader.fail(node, field, "needs wireguard_key") }
                value.discovery?.port = UInt16(port)
            },
            ConfigRow(
                name: "internal_endpoint", type: ConfigParse.listenType,
                summary: "The node's formnet internal API, in the TXT record (needs wireguard_key)."
            ) { node, value, field, reader in
                guard let endpoint = ConfigParse.listenAddress(node, field, &reader) else { return }
                guard value.discovery != nil else { return reader.fail(node, field, "needs wireguard_key") }
                value.discovery?.internalEndpoint = endpoint
            },
        ],
        check: { node, context, reader in
            if !context.has("ipv4"), !context.has("ipv6") {
                reader.fail(context.node, context.field, "needs ipv4 and/or ipv6")
            }
            if node.discovery != nil, !NodeDiscovery.isPublishable(node.id) {
                reader.fail(
                    context.line("id"), context.field("id"),
                    "'\(node.id)' cannot be published in a _formnet TXT record: use 1-63 letters, digits, '-', '.', '_'"
                )
            }
        })
}
