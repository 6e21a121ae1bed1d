/// The RDATA of one record type: wire decode/encode and presentation parse/print.
///
/// Conforming types live one per file under `Records/`, each with its RFC text as its doc comment.
public protocol RecordData: Hashable, Sendable {
    static var recordType: RecordType { get }
    /// Decodes exactly `length` octets of RDATA at the reader's position.
    init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError)
    /// Appends the RDATA (without RDLENGTH).
    func encode(to writer: inout DNSWireWriter)
    /// Parses the RDATA fields of a master-file record.
    init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError)
    /// The RDATA fields in master-file form.
    var presentation: String { get }
}

/// The RDATA of any record: one case per supported type, and `unknown` for every other (RFC 3597).
public enum RData: Hashable, Sendable, CustomStringConvertible {
    /// RDLENGTH is 16 bits (RFC 1035 3.2.1): RDATA longer than this cannot be sent.
    public static let maxWireLength = 65535

    /// The RDATA's length on the wire, uncompressed (what a zone must check against `maxWireLength`).
    public var wireLength: Int {
        var writer = DNSWireWriter(capacity: 64)
        writer.compressionEnabled = false
        encode(to: &writer)
        return writer.count
    }

    case a(ARecord)
    case aaaa(AAAARecord)
    case ns(NSRecord)
    case cname(CNAMERecord)
    case soa(SOARecord)
    case ptr(PTRRecord)
    case mx(MXRecord)
    case txt(TXTRecord)
    case srv(SRVRecord)
    case caa(CAARecord)
    case ds(DSRecord)
    case dnskey(DNSKEYRecord)
    case rrsig(RRSIGRecord)
    case nsec(NSECRecord)
    case unknown(UnknownRecord)

    /// The known types, for dispatch. Adding a record type means adding it here and as a case above.
    static let knownTypes: [any RecordData.Type] = [
        ARecord.self, AAAARecord.self, NSRecord.self, CNAMERecord.self, SOARecord.self, PTRRecord.self,
        MXRecord.self, TXTRecord.self, SRVRecord.self, CAARecord.self, DSRecord.self, DNSKEYRecord.self,
        RRSIGRecord.self, NSECRecord.self,
    ]

    public init(_ data: some RecordData) {
        switch data {
        case let d as ARecord: self = .a(d)
        case let d as AAAARecord: self = .aaaa(d)
        case let d as NSRecord: self = .ns(d)
        case let d as CNAMERecord: self = .cname(d)
        case let d as SOARecord: self = .soa(d)
        case let d as PTRRecord: self = .ptr(d)
        case let d as MXRecord: self = .mx(d)
        case let d as TXTRecord: self = .txt(d)
        case let d as SRVRecord: self = .srv(d)
        case let d as CAARecord: self = .caa(d)
        case let d as DSRecord: self = .ds(d)
        case let d as DNSKEYRecord: self = .dnskey(d)
        case let d as RRSIGRecord: self = .rrsig(d)
        case let d as NSECRecord: self = .nsec(d)
        case let d as UnknownRecord: self = .unknown(d)
        default: preconditionFailure("RData has no case for \(Swift.type(of: data))")
        }
    }

    public var value: any RecordData {
        switch self {
        case .a(let d): return d
        case .aaaa(let d): return d
        case .ns(let d): return d
        case .cname(let d): return d
        case .soa(let d): return d
        case .ptr(let d): return d
        case .mx(let d): return d
        case .txt(let d): return d
        case .srv(let d): return d
        case .caa(let d): return d
        case .ds(let d): return d
        case .dnskey(let d): return d
        case .rrsig(let d): return d
        case .nsec(let d): return d
        case .unknown(let d): return d
        }
    }

    /// Decodes RDATA of `type`; RDLENGTH must be consumed exactly.
    public static func decode(type: RecordType, from reader: inout DNSWireReader, length: Int) throws(DNSWireError)
        -> RData
    {
        guard length <= reader.remaining else { throw .truncated(field: "RDATA of \(type)") }
        let end = reader.offset + length
        let data: RData
        if let known = knownTypes.first(where: { $0.recordType == type }) {
            data = RData(try known.init(from: &reader, length: length))
        } else {
            data = .unknown(try UnknownRecord(type: type, from: &reader, length: length))
        }
        guard reader.offset == end else {
            throw .badRDLength(type: type.rawValue, expected: "\(reader.offset - (end - length))", actual: length)
        }
        return data
    }

    /// Parses master-file RDATA for `type`. Any type accepts the RFC 3597 `\# <len> <hex>` form.
    public static func parse(type: RecordType, tokens: [PresentationToken], origin: DNSName?) throws(PresentationError)
        -> RData
    {
        if let first = tokens.first, first.text == "\\#", !first.quoted {
            let unknown = try UnknownRecord(type: type, genericTokens: tokens)
            if let known = knownTypes.first(where: { $0.recordType == type }) {
                // A known type written generically: decode its octets so the value is canonical.
                var w = DNSWireWriter(capacity: unknown.data.count)
                w.write(bytes: unknown.data)
                var r = DNSWireReader(w.buffer)
                do {
                    let d = try known.init(from: &r, length: unknown.data.count)
                    guard r.remaining == 0 else { throw DNSWireError.trailingData(r.remaining) }
                    return RData(d)
                } catch { throw PresentationError("\\# data is not valid \(type) RDATA: \(error)") }
            }
            return .unknown(unknown)
        }
        if let known = knownTypes.first(where: { $0.recordType == type }) {
            return RData(try known.init(presentation: tokens, origin: origin))
        }
        throw PresentationError("type \(type) must be written in RFC 3597 form: \\# <length> <hex>")
    }

    public var type: RecordType {
        if case .unknown(let u) = self { return u.type }
        return Swift.type(of: value).recordType
    }

    public func encode(to writer: inout DNSWireWriter) { value.encode(to: &writer) }

    public var description: String { value.presentation }

    /// The name this record points at, for additional-section processing and CNAME chasing.
    public var targetName: DNSName? {
        switch self {
        case .ns(let d): return d.host
        case .cname(let d): return d.target
        case .ptr(let d): return d.target
        case .mx(let d): return d.exchange
        case .srv(let d): return d.target
        default: return nil
        }
    }
}
