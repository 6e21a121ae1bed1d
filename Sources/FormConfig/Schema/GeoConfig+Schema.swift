import FormAuthority

extension GeoConfig {
    /// `geoip`: where clients are located from.
    public static let schema = ConfigSection<GeoConfig>(
        path: "geoip", summary: "Where clients are located from: MaxMind databases and network maps.",
        defaults: GeoConfig(),
        rows: [
            .list(
                "databases", \.databases, of: .path,
                "MaxMind DB files (City or Country), consulted in order; the first that knows an address wins.",
                element: configuredFile),
            .list(
                "network_maps", \.networkMaps, of: .path,
                "Network map files (YAML or CSV, see below) that overlay the databases: a match there wins.",
                element: configuredFile),
            .boolean(
                "registered_country", \.useRegisteredCountry,
                "A record without country places the client by registered_country."),
        ])

    @Sendable static func configuredFile(_ node: ConfigNode, _ field: String, _ reader: inout ConfigReader)
        -> ConfiguredFile?
    {
        reader.path(node, field).map { ConfiguredFile(path: $0, line: node.line) }
    }
}
