/// TXT — descriptive text (RFC 1035 section 3.3.14).
///
///     TXT-DATA  One or more <character-string>s.
///
/// Each <character-string> is a length octet followed by that many octets (RFC 1035 section
/// 3.3), so one string holds at most 255 octets; longer text is split over several strings.
/// Presentation: each string quoted or bare, with `\X` and `\DDD` escapes.
public struct TXTRecord: RecordData {
    public static let recordType = RecordType.txt
    /// Each element at most 255 octets; at least one element.
    public private(set) var strings: [[UInt8]]

    public init?(strings: [[UInt8]]) {
        guard !strings.isEmpty, strings.allSatisfy({ $0.count <= 255 }) else { return nil }
        self.strings = strings
    }

    public init(_ texts: String...) {
        strings = texts.map { Array($0.utf8.prefix(255)) }
    }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        guard length > 0 else { throw .badRDLength(type: 16, expected: "at least 1", actual: 0) }
        let end = reader.offset + length
        var strings: [[UInt8]] = []
        while reader.offset < end {
            let n = Int(try reader.readUInt8("TXT string length"))
            guard reader.offset + n <= end else {
                throw .badRDLength(type: 16, expected: "string of \(n) inside RDATA", actual: length)
            }
            strings.append(try reader.readBytes(n, "TXT string"))
        }
        self.strings = strings
    }

    public func encode(to writer: inout DNSWireWriter) {
        for s in strings {
            writer.write(UInt8(s.count))
            writer.write(bytes: s)
        }
    }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        guard !tokens.isEmpty else { throw PresentationError("TXT needs at least one string") }
        var strings: [[UInt8]] = []
        for t in tokens { strings.append(try Presentation.characterString(t)) }
        self.strings = strings
    }

    public var presentation: String { strings.map(Presentation.quoted).joined(separator: " ") }
}
