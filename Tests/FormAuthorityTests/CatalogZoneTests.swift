import DNSWire
import DNSZone
import FormAuthority
import Testing

/// The catalog zone (RFC 9432): its records, stable member labels, and a serial that moves only
/// when the member list does.
@Suite struct CatalogZoneTests {
    let members: [DNSName] = ["a.test.", "b.test."]

    @Test func theCatalogHoldsVersionTwoAndOnePTRPerMember() throws {
        let zone = try CatalogZone.make(origin: "catalog.test.", members: members, serial: 7)
        let records = ZoneCopy.records(of: zone).map(\.description)
        #expect(records.contains("catalog.test. 0 IN NS invalid."))
        #expect(records.contains("version.catalog.test. 0 IN TXT \"2\""))
        #expect(records.contains("\(CatalogZone.label(for: "a.test.")).zones.catalog.test. 0 IN PTR a.test."))
        #expect(records.filter { $0.contains(" PTR ") }.count == 2)
        #expect(zone.soa.serial == 7)
        #expect(CatalogZone.members(of: zone) == Set(members))
        // A label is the member's own, whatever the case or the other members.
        #expect(CatalogZone.label(for: "A.Test.") == CatalogZone.label(for: "a.test."))
        #expect(CatalogZone.label(for: "a.test.") != CatalogZone.label(for: "b.test."))
        #expect(CatalogZone.label(for: "a.test.").count == 16)
    }

    @Test func theSerialMovesOnlyWithTheMembers() throws {
        let first = try CatalogZone.make(origin: "catalog.test.", members: members, serial: 1_000)
        #expect(CatalogZone.serial(previous: first, members: members.reversed(), now: 5_000) == 1_000)
        #expect(CatalogZone.serial(previous: first, members: ["a.test."], now: 5_000) == 5_000)
        // A clock behind the previous serial still gives a newer one.
        #expect(CatalogZone.serial(previous: first, members: ["a.test."], now: 10) == 1_001)
        #expect(CatalogZone.serial(previous: nil, members: members, now: 42) == 42)
    }
}
