import DNSWire
import DNSZone

/// A zone as a full transfer (AXFR, RFC 5936) sends it: the SOA, every other record, the SOA
/// again, in as many messages as it takes, each an answer to the request (its ID and question,
/// QR and AA set). Pure: the caller checks who asked and sends the messages in order on TCP.
public enum ZoneCopy {
    /// The largest message, unless one record is larger (then it goes alone, up to 65,535):
    /// RFC 5936 leaves the size to the server; BIND and Knot send about 16 KiB.
    public static let messageSize = 16_384

    /// The records of the copy, in order: SOA, every RRset but the SOA (names sorted, then types),
    /// SOA. Names kept only for dynamic answers (pool names) have no records and are left out.
    public static func records(of zone: Zone) -> [DNSResourceRecord] {
        var out = [zone.soaRecord]
        for name in zone.nodes.keys.sorted(by: { $0.description < $1.description }) {
            guard let node = zone.nodes[name] else { continue }
            for type in node.types where !(name == zone.origin && type == .soa) {
                out += node[type]?.resourceRecords() ?? []
            }
        }
        out.append(zone.soaRecord)
        return out
    }

    /// The copy as wire messages answering a request with ID `id` and question `question`.
    public static func messages(
        of zone: Zone, id: UInt16, question: DNSQuestion, maxSize: Int = messageSize
    ) throws(DNSWireError) -> [[UInt8]] {
        try messages(records(of: zone), id: id, question: question, maxSize: maxSize)
    }

    /// The incremental transfer (RFC 1995 4) from `old` to `new`, condensed into one difference
    /// sequence (section 6): the new SOA, the old SOA, what was deleted, the new SOA, what was
    /// added, the new SOA. Each list is a version's records without its SOA.
    public static func incremental(
        from old: (soa: DNSResourceRecord, records: [DNSResourceRecord]),
        to new: (soa: DNSResourceRecord, records: [DNSResourceRecord])
    ) -> [DNSResourceRecord] {
        let before = Set(old.records), after = Set(new.records)
        let deleted = old.records.filter { !after.contains($0) }
        let added = new.records.filter { !before.contains($0) }
        return [new.soa, old.soa] + deleted + [new.soa] + added + [new.soa]
    }

    /// `records` as wire messages answering a request with ID `id` and question `question`.
    public static func messages(
        _ records: [DNSResourceRecord], id: UInt16, question: DNSQuestion, maxSize: Int = messageSize
    ) throws(DNSWireError) -> [[UInt8]] {
        var header = DNSHeader(id: id)
        header.set(.response)
        header.set(.authoritative)
        var out: [[UInt8]] = []
        var pending: [DNSResourceRecord] = []
        var pendingSize = 0
        func flush() throws(DNSWireError) {
            guard !pending.isEmpty else { return }
            // The question in the first message only (RFC 5936 2.2.1: later ones may leave it out).
            let message = DNSMessage(header: header, questions: out.isEmpty ? [question] : [], answers: pending)
            let bytes = Array(try message.encode().readableBytesView)
            // A record too large for any message would come out truncated, which RFC 5936 forbids.
            guard bytes.count >= 4, bytes[2] & 0x02 == 0 else {
                throw DNSWireError.unencodable(
                    "a record of \(pending.count == 1 ? "" : "one of ")\(pending[0].name) "
                        + "does not fit in one message")
            }
            out.append(bytes)
            pending = []
            pendingSize = 0
        }
        for record in records {
            // Sized without compression: an upper bound, so no message overflows.
            let size = try DNSMessage(answers: [record]).encode().readableBytes - DNSHeader.byteCount
            // 300 octets for the header and a question (a name is at most 255).
            if pendingSize + size + 300 > maxSize { try flush() }
            pending.append(record)
            pendingSize += size
        }
        try flush()
        return out
    }
}
