import NetAddress

extension ZoneTransfer {
    /// `zones[].transfer`: zone transfer out.
    public static let schema = ConfigSection<ZoneTransfer>(
        path: "zones[].transfer",
        summary: "Let secondaries copy the zone by AXFR or IXFR over TCP (RFC 5936, 1995). The copy holds the zone "
            + "file's records and the discovery TXT records made from the pools; pool names are answered per client "
            + "and are not in it. A request must come from allow (if given) and be signed by one of keys (if "
            + "given); one of the two is required. Not for signed zones.",
        defaults: ZoneTransfer(),
        rows: [
            ConfigRow.list(
                "allow", \.allow, of: .text("network like 192.0.2.0/24"), minimum: 1,
                "Client networks that may transfer the zone; any other client is refused."
            ) { node, field, reader in ConfigParse.network(node, field, &reader) },
            ConfigRow.list(
                "keys", \.keys, of: .text("a key name of update_keys"), minimum: 1,
                "TSIG keys (update_keys[].name), one of which must sign a transfer; its replies are signed with it."
            ) { node, field, reader in ConfigParse.domainName(node, field, &reader) },
            ConfigRow.list(
                "notify", \.notify, of: .text("address like 192.0.2.53 or [2001:db8::53]:5353"),
                "Secondaries sent a NOTIFY (RFC 1996) at start and whenever the zone's serial changes."
            ) { node, field, reader in ConfigParse.listenAddress(node, field, &reader) },
        ],
        check: { transfer, context, reader in
            if !context.has("allow"), !context.has("keys") {
                reader.fail(
                    context.node, context.field("allow"),
                    "give allow (networks), keys (TSIG keys) or both: else anyone could copy the zone")
            }
        })
}
