/// CNAME — the canonical name for an alias (RFC 1035 section 3.3.1).
///
/// "CNAME: A <domain-name> which specifies the canonical or primary name for the owner. The owner
/// name is an alias." CNAME RRs cause no additional section processing, but name servers may
/// choose to restart the query at the canonical name (RFC 1034 section 4.3.2). RFC 2181 section
/// 10.1: a name with a CNAME has no other data.
public struct CNAMERecord: RecordData {
    public static let recordType = RecordType.cname
    public var target: DNSName

    public init(_ target: DNSName) { self.target = target }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        target = try reader.readName()
    }

    public func encode(to writer: inout DNSWireWriter) { writer.write(name: target, compress: true) }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        try Presentation.expectCount(tokens, 1, "CNAME")
        target = try Presentation.name(tokens[0], origin: origin)
    }

    public var presentation: String { target.description }
}
