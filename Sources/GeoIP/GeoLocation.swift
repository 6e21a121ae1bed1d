import Foundation

/// Where a client (or node) is, as far as selection cares.
public struct GeoLocation: Hashable, Sendable, CustomStringConvertible {
    public var latitude: Double
    public var longitude: Double
    /// ISO 3166-1 alpha-2, upper case.
    public var country: String?
    /// Operator region (e.g. `eu-west`) or, from a GeoIP database, the continent code (`EU`).
    public var region: String?
    public var city: String?

    /// False for a Country database's record: country and continent known, coordinates not.
    public var hasCoordinates: Bool { !latitude.isNaN && !longitude.isNaN }

    public init(latitude: Double, longitude: Double, country: String? = nil, region: String? = nil, city: String? = nil)
    {
        self.latitude = latitude
        self.longitude = longitude
        self.country = country
        self.region = region
        self.city = city
    }

    /// Great-circle distance in kilometres (haversine on a sphere of radius 6371.0088 km, the IUGG mean).
    public func distance(to other: GeoLocation) -> Double {
        let r = 6371.0088
        let p1 = latitude * .pi / 180, p2 = other.latitude * .pi / 180
        let dp = p2 - p1
        let dl = (other.longitude - longitude) * .pi / 180
        let a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2)
        return 2 * r * asin(min(1, sqrt(a)))
    }

    public var description: String {
        var parts = [hasCoordinates ? String(format: "%.4f,%.4f", latitude, longitude) : "no coordinates"]
        if let city { parts.append(city) }
        if let country { parts.append(country) }
        if let region { parts.append("region \(region)") }
        return parts.joined(separator: " ")
    }
}
