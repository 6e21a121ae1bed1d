import DNSWire

/// RFC 2136 3.2: an UPDATE's prerequisites against the zone's records; the first unmet one stops
/// the update with its RCODE.
enum UpdatePrerequisites {
    static func check(
        _ prerequisites: [UpdateMessage.Record], against records: [DNSResourceRecord], zone: DNSName
    ) throws(ChangeError) {
        var valueDependent: [String: (DNSName, RecordType, Set<RData>)] = [:]
        for p in prerequisites {
            guard p.name.isSubdomain(of: zone) else { throw fail(.notZone, "\(p.name) is not in \(zone)") }
            guard p.ttl == 0 else { throw fail(.formErr, "a prerequisite's TTL must be 0") }
            let atName = records.filter { $0.name == p.name }
            switch (p.rclass, p.type) {
            case (UpdateMessage.classANY, .any):
                guard p.data == nil else { throw fail(.formErr, "a prerequisite of class ANY has no RDATA") }
                if atName.isEmpty { throw fail(.nxDomain, "\(p.name) is not in use") }
            case (UpdateMessage.classANY, let type):
                guard p.data == nil else { throw fail(.formErr, "a prerequisite of class ANY has no RDATA") }
                if !atName.contains(where: { $0.type == type }) {
                    throw fail(.nxRRSet, "\(p.name) \(type) does not exist")
                }
            case (UpdateMessage.classNONE, .any):
                guard p.data == nil else { throw fail(.formErr, "a prerequisite of class NONE has no RDATA") }
                if !atName.isEmpty { throw fail(.yxDomain, "\(p.name) is in use") }
            case (UpdateMessage.classNONE, let type):
                guard p.data == nil else { throw fail(.formErr, "a prerequisite of class NONE has no RDATA") }
                if atName.contains(where: { $0.type == type }) { throw fail(.yxRRSet, "\(p.name) \(type) exists") }
            case (RecordClass.internet.rawValue, let type):
                guard let data = p.data else { throw fail(.formErr, "a value-dependent prerequisite needs RDATA") }
                let key = "\(p.name.lowercased) \(type)"
                var entry = valueDependent[key] ?? (p.name, type, [])
                entry.2.insert(data)
                valueDependent[key] = entry
            default:
                throw fail(.formErr, "a prerequisite of class \(p.rclass)")
            }
        }
        // RFC 2136 3.2.3: each such RRset must exist exactly as given (TTLs aside).
        for (name, type, wanted) in valueDependent.values {
            let have = Set(records.filter { $0.name == name && $0.type == type }.map(\.data))
            if have != wanted { throw fail(.nxRRSet, "\(name) \(type) is not as given") }
        }
    }

    static func fail(_ rcode: ResponseCode, _ message: String) -> ChangeError {
        var error = ChangeError(.conflict, message)
        error.rcode = rcode
        return error
    }
}
