/// A resource record (RFC 1035 section 4.1.3): NAME, TYPE, CLASS, TTL, RDLENGTH, RDATA.
public struct DNSResourceRecord: Hashable, Sendable, CustomStringConvertible {
    public var name: DNSName
    public var recordClass: RecordClass
    public var ttl: UInt32
    public var data: RData

    public init(name: DNSName, recordClass: RecordClass = .internet, ttl: UInt32, data: RData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    public var type: RecordType { data.type }

    /// Reads one record; OPT pseudo-records are returned as `.unknown` RDATA for the caller to lift.
    public static func read(from reader: inout DNSWireReader) throws(DNSWireError) -> (
        DNSResourceRecord, rawClass: UInt16, rawTTL: UInt32
    ) {
        let name = try reader.readName()
        let type = RecordType(try reader.readUInt16("record type"))
        let rawClass = try reader.readUInt16("record class")
        let ttl = try reader.readUInt32("record TTL")
        let length = Int(try reader.readUInt16("RDLENGTH"))
        let data: RData
        if type == .opt {
            data = .unknown(try UnknownRecord(type: .opt, from: &reader, length: length))
        } else {
            data = try RData.decode(type: type, from: &reader, length: length)
        }
        return (DNSResourceRecord(name: name, recordClass: RecordClass(rawClass), ttl: ttl, data: data), rawClass, ttl)
    }

    public func write(to writer: inout DNSWireWriter) {
        writer.write(name: name)
        writer.write(type.rawValue)
        writer.write(recordClass.rawValue)
        writer.write(ttl)
        let lengthAt = writer.count
        writer.write(UInt16(0))
        data.encode(to: &writer)
        writer.set(UInt16(writer.count - lengthAt - 2), at: lengthAt)
    }

    public var description: String { "\(name) \(ttl) \(recordClass) \(type) \(data)" }
}
