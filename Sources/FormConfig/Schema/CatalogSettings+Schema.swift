extension CatalogSettings {
    /// `catalog`: the catalog zone form-dns makes of the transferable zones.
    public static let schema = ConfigSection<CatalogSettings>(
        path: "catalog",
        summary: "A catalog zone (RFC 9432, version 2) listing every zone with transfer, made by form-dns and copied "
            + "by secondaries that read catalogs (Knot's catalog-role: interpret), which then set up and drop the "
            + "member zones themselves. Its serial moves when the member list changes.",
        defaults: CatalogSettings(),
        rows: [
            ConfigRow.value(
                "origin", \.origin, type: ConfigParse.domainNameType, applies: .reload,
                "The catalog zone's name (not a zone otherwise served).", show: { _ in nil },
                parse: ConfigParse.domainName
            ).required(),
            .section("transfer", \.transfer, ZoneTransfer.schema),
        ],
        check: { _, context, reader in
            if !context.has("transfer") {
                reader.fail(context.node, context.field("transfer"), "is required: who may copy the catalog")
            }
        })
}
