import DNSWire

/// An RRset in the canonical form DNSSEC signs (RFC 4034 section 6): owner in lower case, no
/// name compression, names inside RDATA in lower case for the types section 6.2 lists (as RFC
/// 6840 section 5.1 corrects it: not NSEC's next name), records sorted by their canonical RDATA
/// as unsigned octet strings, duplicates dropped (6.3), every TTL the RRSIG's original TTL (6.2).
public struct CanonicalRRset: Sendable, Hashable {
    public let owner: DNSName
    public let type: RecordType
    public let recordClass: RecordClass
    /// Canonical RDATA of each record, sorted, without repeats.
    public let rdatas: [[UInt8]]

    public init(owner: DNSName, type: RecordType, recordClass: RecordClass = .internet, rdata: [RData]) {
        self.owner = owner.lowercased
        self.type = type
        self.recordClass = recordClass
        let canonical = Set(rdata.map(Self.canonicalRDATA))
        rdatas = canonical.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// `data` in canonical wire form: uncompressed, names lower-cased where 6.2 says so.
    public static func canonicalRDATA(_ data: RData) -> [UInt8] {
        var lowered = data
        switch data {
        case .ns(var r):
            r.host = r.host.lowercased
            lowered = .ns(r)
        case .cname(var r):
            r.target = r.target.lowercased
            lowered = .cname(r)
        case .ptr(var r):
            r.target = r.target.lowercased
            lowered = .ptr(r)
        case .mx(var r):
            r.exchange = r.exchange.lowercased
            lowered = .mx(r)
        case .srv(var r):
            r.target = r.target.lowercased
            lowered = .srv(r)
        case .rrsig(var r):
            r.signerName = r.signerName.lowercased
            lowered = .rrsig(r)
        case .soa(var r):
            r.mname = r.mname.lowercased
            r.rname = r.rname.lowercased
            lowered = .soa(r)
        default: break
        }
        var writer = DNSWireWriter(capacity: 64)
        writer.compressionEnabled = false
        lowered.encode(to: &writer)
        return Array(writer.buffer.readableBytesView)
    }

    /// What an RRSIG with these `fields` (its signature left out) signs over this RRset (RFC 4034
    /// 3.1.8.1): the RRSIG RDATA fields with the signer's name in canonical form, then each record
    /// as owner, type, class, original TTL, RDLENGTH and RDATA. A wildcard expansion (fewer RRSIG
    /// labels than the owner has) signs the wildcard's name (RFC 4035 5.3.2).
    public func signedData(by fields: RRSIGRecord) -> [UInt8] {
        var header = fields
        header.signerName = fields.signerName.lowercased
        var writer = DNSWireWriter(capacity: 256)
        writer.compressionEnabled = false
        header.encodeFields(to: &writer)
        let name = Self.signedOwner(owner, labels: Int(fields.labels))
        for rdata in rdatas {
            writer.write(name: name, compress: false)
            writer.write(type.rawValue)
            writer.write(recordClass.rawValue)
            writer.write(fields.originalTTL)
            writer.write(UInt16(rdata.count))
            writer.write(bytes: rdata)
        }
        return Array(writer.buffer.readableBytesView)
    }

    /// The owner as signed: itself, or `*.` and its rightmost `labels` labels when it has more.
    static func signedOwner(_ owner: DNSName, labels: Int) -> DNSName {
        let all = owner.labels
        guard labels < all.count - (owner.isWildcard ? 1 : 0) else { return owner }
        return (try? DNSName(labels: [[UInt8(ascii: "*")]] + all.suffix(labels))) ?? owner
    }

    /// The RRSIG labels field for `owner`: its labels, root and a leading `*` not counted (3.1.3).
    public static func labelCount(_ owner: DNSName) -> UInt8 {
        UInt8(owner.labels.count - (owner.isWildcard ? 1 : 0))
    }
}
