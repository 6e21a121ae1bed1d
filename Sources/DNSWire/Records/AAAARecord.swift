import NetAddress
/// AAAA — an IPv6 host address (RFC 3596 section 2.2).
///
/// "A 128 bit IPv6 address is encoded in the data portion of an AAAA resource record in network
/// byte order (high-order byte first)." Presentation: RFC 4291 text form, e.g. `2001:db8::1`.
public struct AAAARecord: RecordData {
    public static let recordType = RecordType.aaaa
    /// Exactly 16 octets.
    public private(set) var bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public init?(_ text: String) {
        guard let b = IPAddressText.parseIPv6(text) else { return nil }
        bytes = b
    }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        guard length == 16 else { throw .badRDLength(type: 28, expected: "16", actual: length) }
        bytes = try reader.readBytes(16, "AAAA address")
    }

    public func encode(to writer: inout DNSWireWriter) { writer.write(bytes: bytes) }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        try Presentation.expectCount(tokens, 1, "AAAA")
        guard let me = AAAARecord(tokens[0].text) else {
            throw PresentationError("'\(tokens[0].text)' is not an IPv6 address")
        }
        self = me
    }

    public var presentation: String { IPAddressText.format(bytes) }
}
