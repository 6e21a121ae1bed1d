/// Any record type this codec has no specific support for (RFC 3597).
///
/// "the RDATA is treated as an opaque sequence of octets ... An implementation MUST NOT compress
/// names embedded in the RDATA of unknown RR types." Presentation (section 5):
///
///     \# <length in decimal> <RDATA in hex, optionally in several whitespace-separated words>
public struct UnknownRecord: RecordData {
    /// Placeholder: the real type is per value (`type`); this protocol requirement is unused here.
    public static let recordType = RecordType(0)
    public var type: RecordType
    public var data: [UInt8]

    public init(type: RecordType, data: [UInt8]) {
        self.type = type
        self.data = data
    }

    public init(type: RecordType, from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        self.type = type
        data = try reader.readBytes(length, "RDATA")
    }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        try self.init(type: RecordType(0), from: &reader, length: length)
    }

    public func encode(to writer: inout DNSWireWriter) { writer.write(bytes: data) }

    public init(type: RecordType, genericTokens tokens: [PresentationToken]) throws(PresentationError) {
        guard tokens.count >= 2, tokens[0].text == "\\#", let n = Int(tokens[1].text), n >= 0, n <= 65535 else {
            throw PresentationError("generic RDATA must be \\# <length> <hex>")
        }
        guard let bytes = Presentation.parseHex(tokens.dropFirst(2).map(\.text).joined()) else {
            throw PresentationError("generic RDATA has invalid hex")
        }
        guard bytes.count == n else {
            throw PresentationError("generic RDATA length \(n) does not match \(bytes.count) octets of hex")
        }
        self.type = type
        self.data = bytes
    }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        try self.init(type: RecordType(0), genericTokens: tokens)
    }

    public var presentation: String {
        data.isEmpty ? "\\# 0" : "\\# \(data.count) \(Presentation.hex(data))"
    }
}
