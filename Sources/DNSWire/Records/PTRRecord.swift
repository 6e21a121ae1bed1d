/// PTR — a domain name pointer (RFC 1035 section 3.3.12).
///
/// "PTRDNAME: A <domain-name> which points to some location in the domain name space." Used for
/// reverse mapping under in-addr.arpa and ip6.arpa; causes no additional section processing.
public struct PTRRecord: RecordData {
    public static let recordType = RecordType.ptr
    public var target: DNSName

    public init(_ target: DNSName) { self.target = target }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        target = try reader.readName()
    }

    public func encode(to writer: inout DNSWireWriter) { writer.write(name: target, compress: true) }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        try Presentation.expectCount(tokens, 1, "PTR")
        target = try Presentation.name(tokens[0], origin: origin)
    }

    public var presentation: String { target.description }
}
