import DNSWire
import DNSZone

/// The versions of one zone served lately, so a secondary that is behind gets what changed
/// (IXFR, RFC 1995) rather than the whole zone. Pure: the transfer responder records each new
/// serial served and asks for the difference from the serial a secondary holds.
public struct ZoneJournal: Sendable {
    public struct Version: Sendable {
        public var serial: UInt32
        public var soa: DNSResourceRecord
        /// The copy's records without the SOA (`ZoneCopy.records`, as served then).
        public var records: [DNSResourceRecord]
        /// Its records changed under the same serial: what a secondary holding this serial has is
        /// not known, so no difference starts here.
        public var replaced = false
    }

    /// Versions kept, oldest first; older ones are dropped (a secondary that far behind gets the
    /// whole zone).
    public let limit: Int
    public private(set) var versions: [Version] = []

    public init(limit: Int = 32) { self.limit = max(1, limit) }

    /// Records `zone` as served now. The same serial as the newest replaces its records (a pool
    /// change alters the `_formnet` TXT without a new serial: a difference must end at what
    /// serves). A serial seen before (a rollback to an old text) starts the journal again: two
    /// versions with one serial and different records would make a difference from it ambiguous.
    public mutating func record(_ zone: Zone) {
        let serial = zone.soa.serial
        let copy = ZoneCopy.records(of: zone)
        let records = Array(copy.dropFirst().dropLast())
        if let last = versions.last, last.serial == serial {
            guard last.records != records || last.soa != zone.soaRecord else { return }
            versions[versions.count - 1] = Version(
                serial: serial, soa: zone.soaRecord, records: records, replaced: true)
            return
        }
        if versions.contains(where: { $0.serial == serial }) { versions.removeAll() }
        versions.append(Version(serial: serial, soa: zone.soaRecord, records: records))
        if versions.count > limit { versions.removeFirst(versions.count - limit) }
    }

    /// What an IXFR from `serial` to the newest version sends: nil when `serial` is not kept, is
    /// the newest (the single SOA answers that), or had its records replaced (the whole zone).
    public func difference(from serial: UInt32) -> [DNSResourceRecord]? {
        guard let newest = versions.last, newest.serial != serial,
            let old = versions.last(where: { $0.serial == serial }), !old.replaced
        else { return nil }
        return ZoneCopy.incremental(from: (old.soa, old.records), to: (newest.soa, newest.records))
    }
}
