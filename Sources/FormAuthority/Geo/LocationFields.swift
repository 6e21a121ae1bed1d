import GeoIP
import Yams

/// Location fields shared by pool nodes, network map entries and default locations.
struct LocationFields {
    var present: Set<String> = []
    var latitude: Double?
    var longitude: Double?
    var country: String?
    var continent: String?
    var region: String?
    var city: String?

    /// Consumes `key` if it is a location field; returns false if it is not one.
    mutating func read(_ key: String, _ value: Node, field: String, reader: inout YAMLReader) -> Bool {
        present.insert(key)
        switch key {
        case "latitude": latitude = reader.double(value, field, -90...90)
        case "longitude": longitude = reader.double(value, field, -180...180)
        case "country":
            guard let c = reader.string(value, field) else { return true }
            guard c.count == 2, c.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                reader.fail(value, field, "'\(c)' must be an ISO 3166-1 alpha-2 code like GB")
                return true
            }
            country = c.uppercased()
        case "continent": continent = reader.string(value, field)?.uppercased()
        case "region": region = reader.string(value, field)
        case "city": city = reader.string(value, field)
        default: return false
        }
        return true
    }

    func location(node: Node, field: String, reader: inout YAMLReader) -> GeoLocation? {
        guard let latitude, let longitude else {
            // A value that was given but invalid has been reported already.
            if !present.contains("latitude") { reader.fail(node, "\(field).latitude", "is required") }
            if !present.contains("longitude") { reader.fail(node, "\(field).longitude", "is required") }
            return nil
        }
        return GeoLocation(
            latitude: latitude, longitude: longitude, country: country, region: region ?? continent, city: city)
    }
}
