import NetAddress

extension ZoneTransfer {
    /// `zones[].transfer`: zone transfer out.
    public static let schema = ConfigSection<ZoneTransfer>(
        path: "zones[].transfer",
        summary: "Let secondaries copy the zone by AXFR over TCP (RFC 5936). The copy holds the zone file's "
            + "records and the discovery TXT records made from the pools; pool names are answered per client and "
            + "are not in it. Not for signed zones.",
        defaults: ZoneTransfer(),
        rows: [
            ConfigRow.list(
                "allow", \.allow, of: .text("network like 192.0.2.0/24"), minimum: 1,
                "Client networks that may transfer the zone; any other client is refused."
            ) { node, field, reader in ConfigParse.network(node, field, &reader) }.required(),
            ConfigRow.list(
                "notify", \.notify, of: .text("address like 192.0.2.53 or [2001:db8::53]:5353"),
                "Secondaries sent a NOTIFY (RFC 1996) at start and whenever the zone's serial changes."
            ) { node, field, reader in ConfigParse.listenAddress(node, field, &reader) },
        ])
}
