import DNSZone
import GeoIP
import NetAddress

/// A list of networks with locations: the input of `form-dns geo compile` and of network maps.
/// YAML (`networks:` list of {network, latitude, longitude, country, continent, region, city}) or
/// CSV with the header `network,latitude,longitude,country,continent,region,city`. Both are read
/// by `NetworkMapFile.schema` (a CSV row is a mapping of its non-empty cells).
public struct NetworkMapFile: Sendable {
    public struct Row: Sendable {
        public var network: IPNetwork
        public var location: GeoLocation
        public var continent: String?
    }

    public var rows: [Row] = []
    public var databaseType = "Formation-Network-Map"
    public var description = "formation-anycast network map"
    public var buildEpoch: UInt64? = nil
    /// 6 (default): IPv4 and IPv6 in one tree; 4: an IPv4-only database.
    public var ipVersion = 6

    public init() {}

    public static func load(path: String) throws(ConfigErrors) -> NetworkMapFile {
        let text: String
        do { text = try ZoneFileParser.readFromDisk(path) } catch {
            throw ConfigErrors([ConfigError(file: path, line: 0, field: "", message: "cannot read: \(error)")])
        }
        return path.lowercased().hasSuffix(".csv") ? try parseCSV(text, file: path) : try parseYAML(text, file: path)
    }

    /// Reads a network map document (YAML or JSON).
    public static func parse(_ document: ConfigDocument) throws(ConfigErrors) -> NetworkMapFile {
        var reader = ConfigReader(document)
        let file = schema.read(document.root, field: "", reader: &reader)
        if !reader.errors.isEmpty { throw ConfigErrors(reader.errors.sortedByLine()) }
        return file
    }

    public static func parseYAML(_ text: String, file: String) throws(ConfigErrors) -> NetworkMapFile {
        try parse(ConfigDocument(parsing: text, source: file))
    }

    /// Compiles the rows into a MaxMind DB v2 file.
    public func mmdb(buildEpoch fallback: UInt64) -> [UInt8] {
        var w = MMDBWriter(
            databaseType: databaseType, description: description, buildEpoch: buildEpoch ?? fallback,
            ipVersion: ipVersion)
        for r in rows { w.insert(r.network, MMDBValue(location: r.location, continent: r.continent)) }
        return w.serialize()
    }
}
