import GeoIP

extension GeoLocation {
    /// Where nothing is known yet: both coordinates NaN, so a missing one is never mistaken for 0.
    static let unplaced = GeoLocation(latitude: .nan, longitude: .nan)

    /// The location keys that pool nodes, network map entries and default locations share.
    /// `continent` (a code, upper-cased) stands in for the region when no region is given, and is
    /// also stored at `continent` when the value keeps it apart (network maps do).
    static func rows<Value>(
        _ location: WritableKeyPath<Value, GeoLocation> & Sendable,
        continent: (WritableKeyPath<Value, String?> & Sendable)? = nil
    ) -> [ConfigRow<Value>] {
        [
            ConfigRow.number("latitude", \GeoLocation.latitude, -90...90, "Degrees north.").required().lifted(
                through: location),
            ConfigRow.number("longitude", \GeoLocation.longitude, -180...180, "Degrees east.").required().lifted(
                through: location),
            ConfigRow.value(
                "country", \GeoLocation.country, type: .text("ISO 3166-1 alpha-2 code like GB"), "The country."
            ) { node, field, reader in
                guard let c = reader.string(node, field) else { return nil }
                guard c.count == 2, c.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                    reader.fail(node, field, "'\(c)' must be an ISO 3166-1 alpha-2 code like GB")
                    return nil
                }
                return c.uppercased()
            }.lifted(through: location),
            ConfigRow(
                name: "continent", type: .text("continent code like EU"),
                summary: "The continent; stands in for region when none is given."
            ) { node, value, field, reader in
                guard let code = reader.string(node, field)?.uppercased() else { return }
                if value[keyPath: location].region == nil { value[keyPath: location].region = code }
                if let continent { value[keyPath: continent] = code }
            },
            ConfigRow.string("region", \GeoLocation.region, "The operator's region, e.g. eu-west.").lifted(
                through: location),
            ConfigRow.string("city", \GeoLocation.city, "The city, for logs and explain.").lifted(through: location),
        ]
    }

    /// `pools[].policy.default_location`: where unlocated clients are assumed to be.
    static let coordinateSchema = ConfigSection<GeoLocation>(
        path: "pools[].policy.default_location", summary: "Where clients nobody locates are assumed to be.",
        defaults: unplaced, rows: rows(\.self))
}
