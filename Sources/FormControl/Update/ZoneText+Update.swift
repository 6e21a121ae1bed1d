import DNSWire
import DNSZone

extension ZoneText {
    /// Applies an UPDATE's operations in order (RFC 2136 3.4.2), then raises the SOA serial by one
    /// (RFC 1982 arithmetic) if anything changed. The SOA and the apex NS RRset are never deleted,
    /// as RFC 2136 3.4.2.3 and 3.4.2.4 say.
    mutating func apply(_ operations: [ZoneUpdate]) throws(ChangeError) {
        var changed = 0
        let origin = self.origin
        for operation in operations {
            switch operation {
            case .add(let record):
                changed += try add([record])
            case .deleteRRSet(let name, let type):
                changed += try remove { r in
                    r.name == name && (type == nil || r.type == type) && r.type != .soa
                        && !(r.name == origin && r.type == .ns)
                }
            case .deleteRecord(let name, let data):
                let apexNS = try records().filter { $0.record.name == origin && $0.record.type == .ns }.count
                changed += try remove { r in
                    r.name == name && r.data == data && r.type != .soa
                        && !(r.name == origin && r.type == .ns && apexNS <= 1)
                }
            }
        }
        guard changed > 0, let soa = try records().first(where: { $0.record.type == .soa })?.record,
            case .soa(var data) = soa.data
        else { return }
        data.serial = data.serial &+ 1
        try remove { $0.type == .soa }
        var next = soa
        next.data = .soa(data)
        // The SOA first, as a master file has it.
        text = next.description + "\n" + text
    }
}
