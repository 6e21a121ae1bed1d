/// NS — an authoritative name server (RFC 1035 section 3.3.11).
///
/// "NSDNAME: A <domain-name> which specifies a host which should be authoritative for the
/// specified class and domain." NS records cause additional section processing to locate the
/// host's address. The name may be compressed (a well-known type, RFC 3597 section 4).
public struct NSRecord: RecordData {
    public static let recordType = RecordType.ns
    public var host: DNSName

    public init(_ host: DNSName) { self.host = host }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        host = try reader.readName()
    }

    public func encode(to writer: inout DNSWireWriter) { writer.write(name: host, compress: true) }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        try Presentation.expectCount(tokens, 1, "NS")
        host = try Presentation.name(tokens[0], origin: origin)
    }

    public var presentation: String { host.description }
}
