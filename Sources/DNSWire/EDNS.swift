/// The EDNS(0) OPT pseudo-record (RFC 6891 section 6.1).
///
///     NAME      domain name (MUST be 0, the root)
///     TYPE      OPT (41)
///     CLASS     requestor's UDP payload size
///     TTL       extended RCODE (8 bits) | VERSION (8 bits) | DO (1 bit) | Z (15 bits)
///     RDLEN     length of all options
///     RDATA     {OPTION-CODE (16), OPTION-LENGTH (16), OPTION-DATA}*
///
/// "Values lower than 512 MUST be treated as equal to 512" (section 6.2.3). A message holds at most
/// one OPT record; one with a non-root owner or a second one is a FORMERR (section 6.1.1).
public struct EDNS: Hashable, Sendable {
    public var udpPayloadSize: UInt16
    /// The upper 8 bits of the 12-bit RCODE.
    public var extendedRcode: UInt8
    public var version: UInt8
    public var dnssecOK: Bool
    public var options: [EDNSOption]

    /// DNS flag day 2020: a payload that avoids IP fragmentation on nearly every path.
    public static let defaultPayloadSize: UInt16 = 1232

    public init(
        udpPayloadSize: UInt16 = EDNS.defaultPayloadSize, extendedRcode: UInt8 = 0, version: UInt8 = 0,
        dnssecOK: Bool = false, options: [EDNSOption] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRcode = extendedRcode
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }

    /// The payload size a responder may use: never below 512 (RFC 6891 section 6.2.3).
    public var effectivePayloadSize: Int { max(512, Int(udpPayloadSize)) }

    public var clientSubnet: ClientSubnet? {
        for case .clientSubnet(let s) in options { return s }
        return nil
    }

    init(rawClass: UInt16, rawTTL: UInt32, rdata: [UInt8]) throws(DNSWireError) {
        udpPayloadSize = rawClass
        extendedRcode = UInt8(rawTTL >> 24)
        version = UInt8((rawTTL >> 16) & 0xFF)
        dnssecOK = rawTTL & 0x8000 != 0
        var w = DNSWireWriter(capacity: rdata.count)
        w.write(bytes: rdata)
        var r = DNSWireReader(w.buffer)
        var options: [EDNSOption] = []
        while r.remaining > 0 {
            let code = try r.readUInt16("EDNS option code")
            let length = Int(try r.readUInt16("EDNS option length"))
            let data = try r.readBytes(length, "EDNS option data")
            options.append(EDNSOption(code: code, data: data))
        }
        self.options = options
    }

    var rawTTL: UInt32 {
        UInt32(extendedRcode) << 24 | UInt32(version) << 16 | (dnssecOK ? 0x8000 : 0)
    }

    public func write(to writer: inout DNSWireWriter) {
        writer.write(UInt8(0))
        writer.write(RecordType.opt.rawValue)
        writer.write(udpPayloadSize)
        writer.write(rawTTL)
        let lengthAt = writer.count
        writer.write(UInt16(0))
        for option in options { option.write(to: &writer) }
        writer.set(UInt16(writer.count - lengthAt - 2), at: lengthAt)
    }

    /// Octets this record takes on the wire.
    public var wireSize: Int { 11 + options.reduce(0) { $0 + 4 + $1.dataCount } }
}

/// One EDNS option. Unknown options are kept verbatim (and ignored by the server, RFC 6891 6.1.2).
public enum EDNSOption: Hashable, Sendable {
    case clientSubnet(ClientSubnet)
    /// ECS with data that breaks RFC 7871 section 6 rules; kept so a server can answer FORMERR.
    case malformedClientSubnet([UInt8])
    case unknown(code: UInt16, data: [UInt8])

    public init(code: UInt16, data: [UInt8]) {
        if code == ClientSubnet.optionCode {
            if let s = ClientSubnet(optionData: data) {
                self = .clientSubnet(s)
            } else {
                self = .malformedClientSubnet(data)
            }
        } else {
            self = .unknown(code: code, data: data)
        }
    }

    var dataCount: Int {
        switch self {
        case .clientSubnet(let s): return s.optionData.count
        case .malformedClientSubnet(let d): return d.count
        case .unknown(_, let d): return d.count
        }
    }

    func write(to writer: inout DNSWireWriter) {
        switch self {
        case .clientSubnet(let s):
            let data = s.optionData
            writer.write(ClientSubnet.optionCode)
            writer.write(UInt16(data.count))
            writer.write(bytes: data)
        case .malformedClientSubnet(let d):
            writer.write(ClientSubnet.optionCode)
            writer.write(UInt16(d.count))
            writer.write(bytes: d)
        case .unknown(let code, let d):
            writer.write(code)
            writer.write(UInt16(d.count))
            writer.write(bytes: d)
        }
    }
}
