/// Why a piece of DNS wire data could not be read or written.
///
/// Every read in `DNSWire` is bounds-checked and reports one of these instead of trapping, so a
/// server can turn any malformed datagram into FORMERR (or drop it) without crashing.
public enum DNSWireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The data ended before the named field was complete.
    case truncated(field: String)
    /// A label longer than 63 octets (RFC 1035 section 2.3.4).
    case labelTooLong(Int)
    /// A name longer than 255 octets in wire form (RFC 1035 section 2.3.4).
    case nameTooLong
    /// A compression pointer that does not point strictly backwards, or too many pointer hops.
    case badCompressionPointer(offset: Int)
    /// Label types 0b01 and 0b10 are reserved / obsolete (RFC 6891 section 5).
    case unsupportedLabelType(UInt8)
    /// RDLENGTH disagrees with what the record type's RDATA holds.
    case badRDLength(type: UInt16, expected: String, actual: Int)
    /// Bytes left over after the last section.
    case trailingData(Int)
    /// A structural rule was broken (e.g. two OPT records, OPT with a non-root owner).
    case invalid(String)
    /// A value cannot be encoded (e.g. a message larger than 65535 octets).
    case unencodable(String)

    public var description: String {
        switch self {
        case .truncated(let field): return "truncated data while reading \(field)"
        case .labelTooLong(let n): return "label of \(n) octets exceeds 63"
        case .nameTooLong: return "name exceeds 255 octets"
        case .badCompressionPointer(let o): return "bad compression pointer at offset \(o)"
        case .unsupportedLabelType(let t): return "unsupported label type 0x\(String(t, radix: 16))"
        case .badRDLength(let type, let expected, let actual):
            return "bad RDLENGTH \(actual) for type \(RecordType(rawValue: type)), expected \(expected)"
        case .trailingData(let n): return "\(n) octets of trailing data"
        case .invalid(let why): return why
        case .unencodable(let why): return "cannot encode: \(why)"
        }
    }
}

/// Why presentation-format (zone file) text could not be turned into a value.
public struct PresentationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
