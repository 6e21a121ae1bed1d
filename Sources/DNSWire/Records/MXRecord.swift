/// MX — mail exchange (RFC 1035 section 3.3.9).
///
///     PREFERENCE  A 16 bit integer which specifies the preference given to this RR among others
///                 at the same owner. Lower values are preferred.
///     EXCHANGE    A <domain-name> which specifies a host willing to act as a mail exchange.
///
/// MX records cause type A additional section processing for the host specified by EXCHANGE.
public struct MXRecord: RecordData {
    public static let recordType = RecordType.mx
    public var preference: UInt16
    public var exchange: DNSName

    public init(preference: UInt16, exchange: DNSName) {
        self.preference = preference
        self.exchange = exchange
    }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        preference = try reader.readUInt16("MX preference")
        exchange = try reader.readName()
    }

    public func encode(to writer: inout DNSWireWriter) {
        writer.write(preference)
        writer.write(name: exchange)
    }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        try Presentation.expectCount(tokens, 2, "MX")
        preference = try Presentation.uint16(tokens[0], "MX preference")
        exchange = try Presentation.name(tokens[1], origin: origin)
    }

    public var presentation: String { "\(preference) \(exchange)" }
}
