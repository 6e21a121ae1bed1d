import NetAddress
/// A — a host address (RFC 1035 section 3.4.1).
///
///     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
///     |                    ADDRESS                    |
///     +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
///
/// "ADDRESS: A 32 bit Internet address." Hosts that have multiple Internet addresses will have
/// multiple A records. Presentation: dotted decimal, e.g. `192.0.2.1`.
public struct ARecord: RecordData {
    public static let recordType = RecordType.a
    public var address: (UInt8, UInt8, UInt8, UInt8)

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) { address = (a, b, c, d) }

    public init?(_ text: String) {
        guard let b = IPAddressText.parseIPv4(text) else { return nil }
        address = (b[0], b[1], b[2], b[3])
    }

    public var bytes: [UInt8] { [address.0, address.1, address.2, address.3] }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        guard length == 4 else { throw .badRDLength(type: 1, expected: "4", actual: length) }
        let b = try reader.readBytes(4, "A address")
        address = (b[0], b[1], b[2], b[3])
    }

    public func encode(to writer: inout DNSWireWriter) { writer.write(bytes: bytes) }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        try Presentation.expectCount(tokens, 1, "A")
        guard let me = ARecord(tokens[0].text) else {
            throw PresentationError("'\(tokens[0].text)' is not an IPv4 address")
        }
        self = me
    }

    public var presentation: String { "\(address.0).\(address.1).\(address.2).\(address.3)" }

    public static func == (l: ARecord, r: ARecord) -> Bool { l.bytes == r.bytes }
    public func hash(into h: inout Hasher) { h.combine(bytes) }
}
