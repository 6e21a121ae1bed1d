import DNSWire
import NIOCore

/// An RFC 2136 UPDATE as received: the zone, the prerequisite and update records (classes ANY and
/// NONE, empty RDATA and all), and a trailing TSIG record (RFC 8945) with where it starts, which
/// the MAC does not cover. Reads return nil-free errors: a message that does not parse is FORMERR.
public struct UpdateMessage: Sendable {
    /// One record of the prerequisite or update section.
    public struct Record: Sendable {
        public var name: DNSName
        public var type: RecordType
        /// IN, ANY (255) or NONE (254): what the record means depends on it (RFC 2136 2.4, 2.5).
        public var rclass: UInt16
        public var ttl: UInt32
        /// nil when RDLENGTH is 0.
        public var data: RData?
    }

    public var id: UInt16
    public var flags: UInt16
    public var zone: DNSName
    public var zoneType: UInt16
    public var zoneClass: UInt16
    public var prerequisites: [Record]
    public var updates: [Record]
    public var tsig: TSIGRecord?
    /// Where the TSIG record starts (the signed part ends there).
    public var tsigOffset: Int
    public var bytes: [UInt8]

    public static let classANY: UInt16 = 255
    public static let classNONE: UInt16 = 254

    public init(parsing bytes: [UInt8]) throws(DNSWireError) {
        self.bytes = bytes
        var reader = DNSWireReader(ByteBuffer(bytes: bytes))
        id = try reader.readUInt16("ID")
        flags = try reader.readUInt16("flags")
        let zcount = try reader.readUInt16("ZOCOUNT"), prcount = try reader.readUInt16("PRCOUNT")
        let upcount = try reader.readUInt16("UPCOUNT"), adcount = try reader.readUInt16("ADCOUNT")
        guard zcount == 1 else { throw DNSWireError.invalid("an UPDATE has exactly one zone") }
        zone = try reader.readName()
        zoneType = try reader.readUInt16("ZTYPE")
        zoneClass = try reader.readUInt16("ZCLASS")
        prerequisites = try (0..<Int(prcount)).map { _ throws(DNSWireError) in try Self.record(&reader) }
        updates = try (0..<Int(upcount)).map { _ throws(DNSWireError) in try Self.record(&reader) }
        tsig = nil
        tsigOffset = bytes.count
        for i in 0..<Int(adcount) {
            let start = reader.offset
            let name = try reader.readName()
            let type = RecordType(try reader.readUInt16("type"))
            _ = try reader.readUInt16("class")
            _ = try reader.readUInt32("TTL")
            let length = Int(try reader.readUInt16("RDLENGTH"))
            if type == TSIGRecord.type {
                // RFC 8945 5.1: the TSIG record is the last one.
                guard i == Int(adcount) - 1 else { throw DNSWireError.invalid("TSIG is not the last record") }
                tsig = try TSIGRecord(name: name, reader: &reader, length: length)
                tsigOffset = start
            } else {
                _ = try reader.readBytes(length, "RDATA")
            }
        }
        guard reader.remaining == 0 else { throw DNSWireError.invalid("bytes after the last record") }
    }

    static func record(_ reader: inout DNSWireReader) throws(DNSWireError) -> Record {
        let name = try reader.readName()
        let type = RecordType(try reader.readUInt16("type"))
        let rclass = try reader.readUInt16("class")
        let ttl = try reader.readUInt32("TTL")
        let length = Int(try reader.readUInt16("RDLENGTH"))
        guard length > 0 else { return Record(name: name, type: type, rclass: rclass, ttl: ttl, data: nil) }
        let end = reader.offset + length
        let data = try RData.decode(type: type, from: &reader, length: length)
        guard reader.offset == end else { throw DNSWireError.invalid("RDATA length") }
        return Record(name: name, type: type, rclass: rclass, ttl: ttl, data: data)
    }
}
