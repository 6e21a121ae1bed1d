import DNSWire

/// The TSIG record's RDATA (RFC 8945 4.2): algorithm, time signed, fudge, MAC, original ID, error
/// and other data. Written uncompressed, as the MAC computation requires.
public struct TSIGRecord: Sendable {
    public static let type = RecordType(250)
    public static let hmacSHA256: DNSName = "hmac-sha256."

    public var name: DNSName
    public var algorithm: DNSName
    /// Seconds since the epoch, 48 bits.
    public var timeSigned: UInt64
    public var fudge: UInt16
    public var mac: [UInt8]
    public var originalID: UInt16
    public var error: UInt16
    public var other: [UInt8]

    public init(
        name: DNSName, algorithm: DNSName, timeSigned: UInt64, fudge: UInt16, mac: [UInt8], originalID: UInt16,
        error: UInt16, other: [UInt8]
    ) {
        self.name = name
        self.algorithm = algorithm
        self.timeSigned = timeSigned
        self.fudge = fudge
        self.mac = mac
        self.originalID = originalID
        self.error = error
        self.other = other
    }

    init(name: DNSName, reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        let end = reader.offset + length
        self.name = name
        algorithm = try reader.readName()
        let high = UInt64(try reader.readUInt16("time signed"))
        timeSigned = high << 32 | UInt64(try reader.readUInt32("time signed"))
        fudge = try reader.readUInt16("fudge")
        mac = try reader.readBytes(Int(try reader.readUInt16("MAC size")), "MAC")
        originalID = try reader.readUInt16("original ID")
        error = try reader.readUInt16("error")
        other = try reader.readBytes(Int(try reader.readUInt16("other len")), "other data")
        guard reader.offset == end else { throw DNSWireError.invalid("TSIG RDLENGTH") }
    }

    /// TSIG errors (RFC 8945 3): in the record's error field; the message's RCODE is NOTAUTH.
    public enum Failure: UInt16, Sendable, CustomStringConvertible {
        case badSig = 16
        case badKey = 17
        case badTime = 18
        case badTrunc = 22

        public var description: String {
            switch self {
            case .badSig: "BADSIG"
            case .badKey: "BADKEY"
            case .badTime: "BADTIME"
            case .badTrunc: "BADTRUNC"
            }
        }
    }

    /// The variables the MAC covers after the message (RFC 8945 4.3.3), names in canonical form.
    func variables(timersOnly: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        if !timersOnly {
            out += name.lowercased.wire
            out += [0, 255]  // class ANY
            out += [0, 0, 0, 0]  // TTL 0
            out += algorithm.lowercased.wire
        }
        out += Self.uint48(timeSigned)
        out += Self.uint16(fudge)
        if !timersOnly {
            out += Self.uint16(error)
            out += Self.uint16(UInt16(other.count))
            out += other
        }
        return out
    }

    /// The whole record, uncompressed, to append to a message.
    var wire: [UInt8] {
        var rdata = algorithm.wire + Self.uint48(timeSigned) + Self.uint16(fudge)
        rdata += Self.uint16(UInt16(mac.count)) + mac + Self.uint16(originalID) + Self.uint16(error)
        rdata += Self.uint16(UInt16(other.count)) + other
        return name.wire + Self.uint16(Self.type.rawValue) + [0, 255, 0, 0, 0, 0] + Self.uint16(UInt16(rdata.count))
            + rdata
    }

    static func uint16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    static func uint48(_ v: UInt64) -> [UInt8] { (0..<6).map { UInt8((v >> (8 * (5 - UInt64($0)))) & 0xFF) } }
}
