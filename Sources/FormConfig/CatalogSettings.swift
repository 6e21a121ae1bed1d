import DNSWire

/// `catalog`: a catalog zone (RFC 9432) listing every zone secondaries may copy (those with
/// `zones[].transfer`), so a secondary that reads catalogs (Knot, BIND, PowerDNS) sets up and
/// drops its member zones by itself. form-dns makes the zone; it is transferred like any other.
public struct CatalogSettings: Sendable, Equatable {
    /// The catalog zone's name (any name not otherwise served, e.g. catalog.formation.example).
    public var origin: DNSName = .root
    /// Who may copy it, and whom to notify of a new member list.
    public var transfer = ZoneTransfer()

    public init() {}
}

extension ServerConfig {
    /// The catalog's members: every zone with `transfer`, by name.
    public var catalogMembers: [DNSName] {
        zones.filter { $0.transfer != nil }.map(\.origin).sorted { $0.description < $1.description }
    }

    /// The transfer settings of `name`: a served zone's, or the catalog's. nil when it is neither;
    /// `.some(nil)` for a served zone without `transfer`.
    public func transferSettings(for name: DNSName) -> ZoneTransfer?? {
        if let zone = zones.first(where: { $0.origin == name }) { return .some(zone.transfer) }
        if let catalog, catalog.origin == name { return .some(catalog.transfer) }
        return nil
    }
}
