/// CAA — Certification Authority Authorization (RFC 8659 section 4.1).
///
///     +0-1-2-3-4-5-6-7-|0-1-2-3-4-5-6-7-|
///     | Flags          | Tag Length = n |
///     | Tag char 0 ... Tag char n-1     |
///     | Value byte 0 ... (to end of RDATA)
///
/// "Flags: One octet containing ... Issuer Critical Flag (bit 0). Tag: The property identifier, a
/// sequence of ASCII characters ... letters and numbers ... Value: A sequence of octets representing
/// the Property Value." Presentation: `flags tag "value"`, e.g. `0 issue "ca.example.net"`.
public struct CAARecord: RecordData {
    public static let recordType = RecordType.caa
    public var flags: UInt8
    public var tag: [UInt8]
    public var value: [UInt8]

    public init(flags: UInt8, tag: String, value: String) {
        self.flags = flags
        self.tag = Array(tag.utf8)
        self.value = Array(value.utf8)
    }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        guard length >= 2 else { throw .badRDLength(type: 257, expected: "at least 2", actual: length) }
        flags = try reader.readUInt8("CAA flags")
        let tagLength = Int(try reader.readUInt8("CAA tag length"))
        guard tagLength >= 1, 2 + tagLength <= length else {
            throw .badRDLength(type: 257, expected: "tag of 1...\(length - 2) octets", actual: length)
        }
        tag = try reader.readBytes(tagLength, "CAA tag")
        value = try reader.readBytes(length - 2 - tagLength, "CAA value")
    }

    public func encode(to writer: inout DNSWireWriter) {
        writer.write(flags)
        writer.write(UInt8(tag.count))
        writer.write(bytes: tag)
        writer.write(bytes: value)
    }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        try Presentation.expectCount(tokens, 3, "CAA")
        flags = try Presentation.uint8(tokens[0], "CAA flags")
        tag = Array(tokens[1].text.utf8)
        let alnum = tag.allSatisfy {
            (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
        }
        guard !tokens[1].quoted, !tag.isEmpty, tag.count <= 255, alnum else {
            throw PresentationError("CAA tag '\(tokens[1].text)' must be 1-255 ASCII letters and digits")
        }
        value = try Presentation.characterString(tokens[2])
    }

    public var presentation: String {
        "\(flags) \(String(decoding: tag, as: UTF8.self)) \(Presentation.quoted(value))"
    }
}
