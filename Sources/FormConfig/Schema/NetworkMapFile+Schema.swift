import GeoIP
import NetAddress

extension NetworkMapFile {
    /// A network map file (YAML): database metadata and the located networks.
    public static let schema = ConfigSection<NetworkMapFile>(
        path: "network map file",
        summary: "A network map (geoip.network_maps) or the input of `form-dns geo compile`.",
        defaults: NetworkMapFile(),
        rows: [
            .string("database_type", \.databaseType, "The compiled database's type name."),
            .string("description", \.description, "The compiled database's description."),
            ConfigRow.value(
                "build_epoch", \.buildEpoch, type: .integer(0...253_402_300_799),
                "Build time in Unix seconds (default: `geo compile --epoch`, else now)."
            ) { node, field, reader in reader.integer(node, field, 0...253_402_300_799).map { UInt64($0) } },
            ConfigRow.value(
                "ip_version", \.ipVersion, type: .choice(["4", "6"]),
                "6: IPv4 and IPv6 in one tree; 4: an IPv4-only database."
            ) { node, field, reader in reader.choice(node, field, ["4", "6"]).flatMap { Int($0) } },
            .sections("networks", \.rows, Row.schema),
        ],
        check: { file, context, reader in
            guard file.ipVersion == 4 else { return }
            for (i, row) in file.rows.enumerated() where !row.network.address.isIPv4 {
                let line = context.node["networks"]?.list?[i].line ?? context.node.line
                reader.fail(line, "networks[\(i)].network", "\(row.network) is IPv6 but ip_version is 4")
            }
        })
}

extension NetworkMapFile.Row {
    /// `networks[]` of a network map file, and each row of its CSV form.
    static let schema = ConfigSection<NetworkMapFile.Row>(
        path: "network map file: networks[]", summary: "A network and where its addresses are.",
        defaults: NetworkMapFile.Row(network: IPNetwork("0.0.0.0/0")!, location: .unplaced, continent: nil),
        rows: [
            ConfigRow.value(
                "network", \.network, type: ConfigParse.networkType, "The network (host bits zero).",
                show: { _ in nil },
                parse: ConfigParse.network
            ).required()
        ] + GeoLocation.rows(\.location, continent: \NetworkMapFile.Row.continent))
}
