/// DS — delegation signer (RFC 4034 section 5).
///
///                          1 1 1 1 1 1 1 1 1 1 2 2 2 2 2 2 2 2 2 2 3 3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |           Key Tag             |  Algorithm    |  Digest Type  |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     /                            Digest                             /
///
/// "The DS RR refers to a DNSKEY RR by storing the key tag, algorithm number, and a digest of the
/// DNSKEY RR." It lives at the parent side of a delegation (section 5 and RFC 4035 3.1.4.1).
/// Presentation (5.3): key tag, algorithm and digest type as unsigned decimals, then the digest
/// "as a sequence of case-insensitive hexadecimal digits. Whitespace is allowed within the
/// hexadecimal text."
public struct DSRecord: RecordData {
    public static let recordType = RecordType.ds
    public var keyTag: UInt16
    public var algorithm: UInt8
    public var digestType: UInt8
    public var digest: [UInt8]

    public init(keyTag: UInt16, algorithm: UInt8, digestType: UInt8, digest: [UInt8]) {
        self.keyTag = keyTag
        self.algorithm = algorithm
        self.digestType = digestType
        self.digest = digest
    }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        guard length >= 4 else { throw .badRDLength(type: 43, expected: "at least 4", actual: length) }
        keyTag = try reader.readUInt16("DS key tag")
        algorithm = try reader.readUInt8("DS algorithm")
        digestType = try reader.readUInt8("DS digest type")
        digest = try reader.readBytes(length - 4, "DS digest")
    }

    public func encode(to writer: inout DNSWireWriter) {
        writer.write(keyTag)
        writer.write(algorithm)
        writer.write(digestType)
        writer.write(bytes: digest)
    }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        guard tokens.count >= 4 else { throw PresentationError("DS takes key tag, algorithm, digest type and digest") }
        keyTag = try Presentation.uint16(tokens[0], "DS key tag")
        algorithm = try Presentation.uint8(tokens[1], "DS algorithm")
        digestType = try Presentation.uint8(tokens[2], "DS digest type")
        guard let bytes = Presentation.parseHex(tokens.dropFirst(3).map(\.text).joined()), !bytes.isEmpty else {
            throw PresentationError("DS digest is not hexadecimal")
        }
        digest = bytes
    }

    public var presentation: String { "\(keyTag) \(algorithm) \(digestType) \(Presentation.hex(digest))" }
}
