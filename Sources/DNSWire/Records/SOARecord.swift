/// SOA — marks the start of a zone of authority (RFC 1035 section 3.3.13).
///
///     MNAME    the <domain-name> of the primary name server for this zone.
///     RNAME    a <domain-name> which specifies the mailbox of the person responsible.
///     SERIAL   unsigned 32 bit version number of the original copy of the zone.
///     REFRESH  32 bit time interval before the zone should be refreshed.
///     RETRY    32 bit time interval before a failed refresh should be retried.
///     EXPIRE   32 bit upper limit on the time interval before the zone is no longer authoritative.
///     MINIMUM  unsigned 32 bit minimum TTL; RFC 2308 section 4 redefines it as the TTL of negative
///              answers, which is min(SOA TTL, MINIMUM) (RFC 2308 section 5).
public struct SOARecord: RecordData {
    public static let recordType = RecordType.soa
    public var mname: DNSName
    public var rname: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(
        mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32,
        expire: UInt32, minimum: UInt32
    ) {
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        mname = try reader.readName()
        rname = try reader.readName()
        serial = try reader.readUInt32("SOA serial")
        refresh = try reader.readUInt32("SOA refresh")
        retry = try reader.readUInt32("SOA retry")
        expire = try reader.readUInt32("SOA expire")
        minimum = try reader.readUInt32("SOA minimum")
    }

    public func encode(to writer: inout DNSWireWriter) {
        writer.write(name: mname)
        writer.write(name: rname)
        for v in [serial, refresh, retry, expire, minimum] { writer.write(v) }
    }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        try Presentation.expectCount(tokens, 7, "SOA")
        mname = try Presentation.name(tokens[0], origin: origin)
        rname = try Presentation.name(tokens[1], origin: origin)
        var numbers: [UInt32] = []
        for (i, field) in ["serial", "refresh", "retry", "expire", "minimum"].enumerated() {
            let t = tokens[2 + i]
            // The serial is a plain number; the timers may use units (1h, 2d) as BIND, NSD and Knot accept.
            guard let v = i == 0 ? UInt32(t.text) : Presentation.ttl(t.text), !t.quoted else {
                throw PresentationError("SOA \(field) '\(t.text)' is not a 32-bit number")
            }
            numbers.append(v)
        }
        (serial, refresh, retry, expire, minimum) = (numbers[0], numbers[1], numbers[2], numbers[3], numbers[4])
    }

    public var presentation: String { "\(mname) \(rname) \(serial) \(refresh) \(retry) \(expire) \(minimum)" }
}
