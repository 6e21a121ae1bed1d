import DNSWire
import NIOCore
import Testing

/// A query must parse as a whole, in every section, or it is FORMERR (RFC 1035 4.1), as NSD does.
@Suite struct CompressionLoopTests {
    /// `www.t.test. A` with one more record in the additional section whose owner is `owner`.
    func query(additionalOwner owner: [UInt8]) -> [UInt8] {
        var q: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]
        q += [3, 0x77, 0x77, 0x77, 1, 0x74, 4, 0x74, 0x65, 0x73, 0x74, 0, 0, 1, 0, 1]
        q += owner
        q += [0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]
        return q
    }

    func disposition(_ bytes: [UInt8]) -> DNSQueryView.Disposition {
        bytes.withUnsafeBytes { DNSQueryView(bytes: $0).disposition }
    }

    @Test func pointerLoopsAndForwardPointersAreFORMERR() {
        // A pointer to itself (offset 28 is where the owner starts).
        #expect(disposition(query(additionalOwner: [0xC0, 28])) == .formErr)
        // A label, then a pointer back to that label: a loop through one label.
        #expect(disposition(query(additionalOwner: [1, 0x61, 0xC0, 28])) == .formErr)
        // A pointer forward, past the end of the name.
        #expect(disposition(query(additionalOwner: [0xC0, 40])) == .formErr)
        // A pointer out of the message.
        #expect(disposition(query(additionalOwner: [0xFF, 0xFF])) == .formErr)
        // A pointer into the middle of a label.
        #expect(disposition(query(additionalOwner: [0xC0, 13])) == .formErr)
    }

    @Test func validPointersAreAccepted() {
        // To the question name, and to its suffix `t.test.`.
        #expect(disposition(query(additionalOwner: [0xC0, 12])) == .answer)
        #expect(disposition(query(additionalOwner: [1, 0x78, 0xC0, 16])) == .answer)
        #expect(disposition(query(additionalOwner: [0])) == .answer)
    }

    @Test func theFullParserAgrees() {
        for owner: [UInt8] in [[0xC0, 28], [1, 0x61, 0xC0, 28], [0xC0, 40]] {
            var buffer = ByteBufferAllocator().buffer(capacity: 64)
            buffer.writeBytes(query(additionalOwner: owner))
            #expect(throws: (any Error).self) { try DNSMessage(parsing: buffer) }
        }
    }
}
