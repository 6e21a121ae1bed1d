extension ZoneConfig {
    /// `zones[]`: one master file per zone.
    public static let schema = ConfigSection<ZoneConfig>(
        path: "zones[]", summary: "The zones served, each from an RFC 1035 master file.",
        defaults: ZoneConfig(origin: .root, file: ""),
        rows: [
            ConfigRow.value(
                "origin", \.origin, type: ConfigParse.domainNameType, "The zone's apex.", show: { _ in nil },
                parse: ConfigParse.domainName
            ).required(),
            ConfigRow.value("file", \.file, type: .path, "The master file.") { node, field, reader in
                reader.path(node, field)
            }.required(),
        ],
        check: { zone, context, reader in zone.declaredAt = (reader.source, context.node.line) })
}
