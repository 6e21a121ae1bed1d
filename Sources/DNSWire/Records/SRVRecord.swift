/// SRV — location of services (RFC 2782).
///
///     _Service._Proto.Name TTL Class SRV Priority Weight Port Target
///
/// "Priority: A client MUST attempt to contact the target host with the lowest-numbered priority
/// it can reach. Weight: a server selection mechanism ... larger weights SHOULD be given a
/// proportionately higher probability of being selected. Port: The port on this target host of
/// this service. Target: The domain name of the target host ... Unless and until permitted by
/// future standards action, name compression is not to be used for this field."
public struct SRVRecord: RecordData {
    public static let recordType = RecordType.srv
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: DNSName

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        priority = try reader.readUInt16("SRV priority")
        weight = try reader.readUInt16("SRV weight")
        port = try reader.readUInt16("SRV port")
        // Decompressed on read for robustness (RFC 3597 section 4), never compressed on write.
        target = try reader.readName()
    }

    public func encode(to writer: inout DNSWireWriter) {
        writer.write(priority)
        writer.write(weight)
        writer.write(port)
        writer.write(name: target, compress: false)
    }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        try Presentation.expectCount(tokens, 4, "SRV")
        priority = try Presentation.uint16(tokens[0], "SRV priority")
        weight = try Presentation.uint16(tokens[1], "SRV weight")
        port = try Presentation.uint16(tokens[2], "SRV port")
        target = try Presentation.name(tokens[3], origin: origin)
    }

    public var presentation: String { "\(priority) \(weight) \(port) \(target)" }
}
