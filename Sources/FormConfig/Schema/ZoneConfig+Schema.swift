extension ZoneConfig {
    /// `zones[]`: one master file per zone, or its text inline.
    public static let schema = ConfigSection<ZoneConfig>(
        path: "zones[]",
        summary: "The zones served, each from an RFC 1035 master file (`file`) or its text inline (`content`, as "
            + "stored configuration versions and `form-dns versions export` carry zones).",
        defaults: ZoneConfig(origin: .root, file: ""),
        rows: [
            ConfigRow.value(
                "origin", \.origin, type: ConfigParse.domainNameType, "The zone's apex.", show: { _ in nil },
                parse: ConfigParse.domainName
            ).required(),
            ConfigRow.value("file", \.file, type: .path, "The master file (this or `content`).") {
                node, field, reader in reader.path(node, field)
            },
            ConfigRow.value(
                "content", \.content, type: .string, "The master file's text (this or `file`).", show: { _ in nil }
            ) { node, field, reader in reader.string(node, field) },
            .section("dnssec", ZoneSigning.schema) { zone, signing in zone.dnssec = signing },
            .section("transfer", ZoneTransfer.schema) { zone, transfer in zone.transfer = transfer },
        ],
        check: { zone, context, reader in
            zone.declaredAt = (reader.source, context.node.line)
            switch (context.has("file"), context.has("content")) {
            case (true, true): reader.fail(context.node, context.field, "has both file and content; give one")
            case (false, false): reader.fail(context.node, context.field("file"), "is required (or content)")
            default: break
            }
            if context.has("dnssec"), context.has("transfer") {
                // Signatures are made per answer here, not stored: a copy would be served unsigned.
                reader.fail(
                    context.node, context.field("transfer"),
                    "cannot be combined with dnssec (signatures are made online and a secondary would serve the "
                        + "zone unsigned)")
            }
        })
}
