import DNSWire
import NIOCore

func buffer(_ bytes: [UInt8]) -> ByteBuffer {
    var b = ByteBufferAllocator().buffer(capacity: bytes.count)
    b.writeBytes(bytes)
    return b
}

func bytes(_ b: ByteBuffer) -> [UInt8] { b.getBytes(at: b.readerIndex, length: b.readableBytes) ?? [] }

/// Encodes RDATA alone and decodes it back.
func roundTrip(_ data: RData) throws -> RData {
    var w = DNSWireWriter(capacity: 64)
    data.encode(to: &w)
    var r = DNSWireReader(w.buffer)
    let decoded = try RData.decode(type: data.type, from: &r, length: w.count)
    return decoded
}

/// A query message in wire form.
func queryBytes(id: UInt16 = 0x1234, name: String, type: RecordType, edns: EDNS? = nil, flags: UInt16 = 0x0100) throws -> [UInt8] {
    let m = DNSMessage(header: DNSHeader(id: id, flags: flags), questions: [DNSQuestion(name: DNSName(stringLiteral: name), type: type)], edns: edns)
    return bytes(try m.encode())
}
