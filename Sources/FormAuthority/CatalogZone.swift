import DNSWire
import DNSZone

/// A catalog zone (RFC 9432, schema version 2) made from the names of the zones secondaries may
/// copy: SOA and NS `invalid.` at the apex, `version` TXT "2", one PTR per member under `zones`.
/// Pure: the loader makes it with each configuration.
public enum CatalogZone {
    /// The zone for `members`. Member labels are stable (a hash of the member's name), so every
    /// authority of a fleet makes the same records and a member keeps its label (RFC 9432 4.1).
    public static func make(origin: DNSName, members: [DNSName], serial: UInt32) throws(ZoneLoadErrors) -> Zone {
        // TTL 0 (RFC 9432 4: its records are not for resolution); expire far off: a secondary
        // must not drop its member zones because the catalog could not be refreshed for a while.
        var text = "$ORIGIN \(origin)\n$TTL 0\n@ SOA invalid. invalid. \(serial) 3600 600 2147483646 0\n"
        text += "@ NS invalid.\nversion TXT \"2\"\n"
        for member in members { text += "\(label(for: member)).zones PTR \(member)\n" }
        let file = "catalog \(origin)"
        return try Zone(
            origin: origin, records: ZoneFileParser(origin: origin).parse(text: text, file: file), file: file)
    }

    /// The member zones a catalog lists (the PTR targets under `zones`).
    public static func members(of zone: Zone) -> Set<DNSName> {
        var out: Set<DNSName> = []
        for (name, node) in zone.nodes where name != zone.origin {
            for record in node[.ptr]?.records ?? [] { if let target = record.targetName { out.insert(target) } }
        }
        return out
    }

    /// The serial for `members`: the previous catalog's when the member list is the same (a
    /// configuration change elsewhere does not make secondaries fetch it again), else `now` (seconds
    /// since 1970) or one more than the previous, whichever is larger (RFC 1982: always newer).
    public static func serial(previous: Zone?, members: [DNSName], now: UInt32) -> UInt32 {
        guard let previous else { return now }
        let old = previous.soa.serial
        if self.members(of: previous) == Set(members) { return old }
        let next = old &+ 1
        return (now &- next) < 0x8000_0000 ? now : next
    }

    /// A member's label: FNV-1a (64 bits) of its lower-cased name, in hex.
    public static func label(for member: DNSName) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in member.description.lowercased().utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
