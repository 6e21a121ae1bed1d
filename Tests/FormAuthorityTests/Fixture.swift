import DNSWire
import DNSZone
import FormAuthority
import NIOCore
import TestFixtures

let demoZone: Zone = try! Zone.load(origin: "formation.test.", file: FixturePaths.demoZone)
let demoEngine = AuthorityEngine(zones: [demoZone])
let demoBuilder = ResponseBuilder(engine: demoEngine)

func query(_ name: String, _ type: RecordType, id: UInt16 = 0x4242, edns: EDNS? = nil, flags: UInt16 = 0x0100) -> ByteBuffer {
    let m = DNSMessage(header: DNSHeader(id: id, flags: flags),
                       questions: [DNSQuestion(name: try! DNSName(parsing: name), type: type)], edns: edns)
    return try! m.encode()
}

/// Sends a query through the response builder and parses the answer.
func ask(_ q: ByteBuffer, transport: ResponseBuilder.Transport = .udp, builder: ResponseBuilder = demoBuilder) -> DNSMessage? {
    var out = ByteBufferAllocator().buffer(capacity: 512)
    guard builder.respond(to: q, transport: transport, into: &out) else { return nil }
    return try! DNSMessage(parsing: out)
}
