/// NSEC — next secure, authenticated denial of existence (RFC 4034 section 4).
///
///                          1 1 1 1 1 1 1 1 1 1 2 2 2 2 2 2 2 2 2 2 3 3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     /                      Next Domain Name                         /
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     /                       Type Bit Maps                           /
///
/// "The Next Domain field contains the next owner name (in the canonical ordering of the zone)
/// that has authoritative data or contains a delegation point NS RRset ... A sender MUST NOT use
/// DNS name compression on the Next Domain Name field when transmitting an NSEC RR." The Type
/// Bit Maps field "identifies the RRset types that exist at the NSEC RR's owner name" (4.1.2).
/// Compact denial (RFC 9824) names a next name just after the owner and lists the NXNAME
/// pseudo-type (128) for a name that does not exist.
public struct NSECRecord: RecordData {
    public static let recordType = RecordType.nsec
    public var nextDomainName: DNSName
    public var types: TypeBitmap

    public init(nextDomainName: DNSName, types: TypeBitmap) {
        self.nextDomainName = nextDomainName
        self.types = types
    }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        let start = reader.offset
        nextDomainName = try reader.readName()
        let used = reader.offset - start
        guard used <= length else { throw .badRDLength(type: 47, expected: "a name and a type bitmap", actual: length) }
        types = try TypeBitmap(from: &reader, length: length - used, type: 47)
    }

    public func encode(to writer: inout DNSWireWriter) {
        writer.write(name: nextDomainName, compress: false)
        types.encode(to: &writer)
    }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        guard let first = tokens.first else { throw PresentationError("NSEC takes a next name and types") }
        nextDomainName = try Presentation.name(first, origin: origin)
        types = try TypeBitmap(presentation: tokens.dropFirst())
    }

    public var presentation: String {
        types.types.isEmpty ? "\(nextDomainName)" : "\(nextDomainName) \(types.presentation)"
    }
}
