import DNSWire
import DNSZone
import FormAuthority
import NIOCore
import Testing

/// A full transfer's records and messages (RFC 5936): SOA first and last, every record once,
/// messages within their size, the question in the first only.
@Suite struct ZoneCopyTests {
    @Test func theCopyHoldsEveryRecordBetweenTwoSOAs() {
        let records = ZoneCopy.records(of: demoZone)
        #expect(records.first == demoZone.soaRecord && records.last == demoZone.soaRecord)
        #expect(records.filter { $0.type == .soa }.count == 2)
        let expected = demoZone.nodes.values.reduce(0) { total, node in
            total + node.rrsets.values.reduce(0) { $0 + $1.records.count }
        }
        // Every record once, the SOA twice.
        #expect(records.count == expected + 1)
        #expect(Set(records.map(\.description)).count == records.count - 1)
    }

    @Test func messagesStayWithinTheirSizeAndAnswerTheRequest() throws {
        let question = DNSQuestion(name: demoZone.origin, type: .axfr)
        let messages = try ZoneCopy.messages(of: demoZone, id: 0x1234, question: question, maxSize: 512)
        #expect(messages.count > 1)
        var records: [DNSResourceRecord] = []
        for (i, bytes) in messages.enumerated() {
            #expect(bytes.count <= 512)
            var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            let m = try DNSMessage(parsing: buffer)
            #expect(m.header.id == 0x1234 && m.header.isResponse && m.header.has(.authoritative) && m.rcode == .noError)
            #expect(m.questions == (i == 0 ? [question] : []))
            records += m.answers
        }
        #expect(records == ZoneCopy.records(of: demoZone))
    }
}
