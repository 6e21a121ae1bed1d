/// DNSKEY — a zone's public key (RFC 4034 section 2).
///
///                          1 1 1 1 1 1 1 1 1 1 2 2 2 2 2 2 2 2 2 2 3 3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |              Flags            |    Protocol   |   Algorithm   |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     /                            Public Key                         /
///
/// "Bit 7 of the Flags field is the Zone Key flag ... Bit 15 of the Flags field is the Secure
/// Entry Point flag" (2.1.1); "The Protocol Field MUST have value 3" (2.1.2). Presentation (2.2):
/// flags, protocol and algorithm as unsigned decimals, "The Public Key field MUST be represented as
/// a Base64 encoding of the Public Key. Whitespace is allowed within the Base64 text."
public struct DNSKEYRecord: RecordData {
    public static let recordType = RecordType.dnskey
    /// Bit 7 (0x0100): the key signs zone data.
    public static let zoneKeyFlag: UInt16 = 0x0100
    /// Bit 15 (0x0001): a key-signing key, the one a DS points at.
    public static let secureEntryPointFlag: UInt16 = 0x0001

    public var flags: UInt16
    public var protocolValue: UInt8
    public var algorithm: UInt8
    public var publicKey: [UInt8]

    public init(flags: UInt16, protocolValue: UInt8 = 3, algorithm: UInt8, publicKey: [UInt8]) {
        self.flags = flags
        self.protocolValue = protocolValue
        self.algorithm = algorithm
        self.publicKey = publicKey
    }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        guard length >= 4 else { throw .badRDLength(type: 48, expected: "at least 4", actual: length) }
        flags = try reader.readUInt16("DNSKEY flags")
        protocolValue = try reader.readUInt8("DNSKEY protocol")
        algorithm = try reader.readUInt8("DNSKEY algorithm")
        publicKey = try reader.readBytes(length - 4, "DNSKEY public key")
    }

    public func encode(to writer: inout DNSWireWriter) {
        writer.write(flags)
        writer.write(protocolValue)
        writer.write(algorithm)
        writer.write(bytes: publicKey)
    }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        guard tokens.count >= 4 else { throw PresentationError("DNSKEY takes flags, protocol, algorithm and a key") }
        flags = try Presentation.uint16(tokens[0], "DNSKEY flags")
        protocolValue = try Presentation.uint8(tokens[1], "DNSKEY protocol")
        algorithm = try Presentation.uint8(tokens[2], "DNSKEY algorithm")
        guard let key = Base64Text.decode(tokens.dropFirst(3).map(\.text)), !key.isEmpty else {
            throw PresentationError("DNSKEY public key is not base64")
        }
        publicKey = key
    }

    public var presentation: String { "\(flags) \(protocolValue) \(algorithm) \(Base64Text.encode(publicKey))" }

    /// The key tag (RFC 4034 appendix B): the ones-complement-like sum of the RDATA's 16-bit words,
    /// folded; what DS and RRSIG records name the key by. (Algorithm 1 is not supported: obsolete.)
    public var keyTag: UInt16 {
        let rdata = [UInt8(flags >> 8), UInt8(flags & 0xFF), protocolValue, algorithm] + publicKey
        var sum: UInt32 = 0
        for (i, byte) in rdata.enumerated() { sum &+= i & 1 == 0 ? UInt32(byte) << 8 : UInt32(byte) }
        sum &+= (sum >> 16) & 0xFFFF
        return UInt16(truncatingIfNeeded: sum)
    }
}
