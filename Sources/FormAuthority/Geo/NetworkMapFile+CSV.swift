import Foundation
import GeoIP

extension NetworkMapFile {
    public static func parseCSV(_ text: String, file: String) throws(ConfigErrors) -> NetworkMapFile {
        var errors: [ConfigError] = []
        var out = NetworkMapFile()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        let expected = ["network", "latitude", "longitude", "country", "continent", "region", "city"]
        guard let header = lines.first,
            header.split(separator: ",", omittingEmptySubsequences: false).map({
                $0.trimmingCharacters(in: .whitespaces)
            }) == expected
        else {
            throw ConfigErrors([
                ConfigError(
                    file: file, line: 1, field: "", message: "header must be \(expected.joined(separator: ","))")
            ])
        }
        for (i, line) in lines.enumerated().dropFirst()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty && !line.hasPrefix("#") {
            let cols = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            func fail(_ f: String, _ m: String) {
                errors.append(ConfigError(file: file, line: i + 1, field: f, message: m))
            }
            guard cols.count == expected.count else {
                fail("", "expected \(expected.count) columns, got \(cols.count)")
                continue
            }
            guard let network = IPNetwork(cols[0]) else {
                fail("network", "'\(cols[0])' is not a network like 10.0.0.0/8")
                continue
            }
            guard let lat = Double(cols[1]), (-90...90).contains(lat) else {
                fail("latitude", "'\(cols[1])' must be in -90...90")
                continue
            }
            guard let lon = Double(cols[2]), (-180...180).contains(lon) else {
                fail("longitude", "'\(cols[2])' must be in -180...180")
                continue
            }
            func opt(_ s: String) -> String? { s.isEmpty ? nil : s }
            let loc = GeoLocation(
                latitude: lat, longitude: lon, country: opt(cols[3])?.uppercased(),
                region: opt(cols[5]) ?? opt(cols[4])?.uppercased(), city: opt(cols[6]))
            out.rows.append(Row(network: network, location: loc, continent: opt(cols[4])?.uppercased()))
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return out
    }

    /// Compiles the rows into a MaxMind DB v2 file.
}
