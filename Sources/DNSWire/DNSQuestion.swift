/// A question section entry (RFC 1035 section 4.1.2): QNAME, QTYPE, QCLASS.
public struct DNSQuestion: Hashable, Sendable, CustomStringConvertible {
    public var name: DNSName
    public var type: RecordType
    public var recordClass: RecordClass

    public init(name: DNSName, type: RecordType, recordClass: RecordClass = .internet) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }

    public var description: String { "\(name) \(recordClass) \(type)" }
}
