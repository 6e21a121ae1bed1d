import DNSWire
import NIOCore

enum DNSMessageFuzz {
    static func run(_ data: UnsafeRawBufferPointer) {
        let view = DNSQueryView(bytes: data)
        var buffer = ByteBufferAllocator().buffer(capacity: data.count)
        buffer.writeBytes(data)
        let message = try? DNSMessage(parsing: buffer)
        // A message the full parser reads and the view takes as a query agree on its question.
        if let message, view.disposition == .answer, let question = message.questions.first {
            precondition(question.type.rawValue == view.qtype, "the view and the parser disagree on QTYPE")
            precondition(message.header.id == view.id, "the view and the parser disagree on the ID")
        }
        // What parses encodes, and its encoding parses again to the same message.
        if let message, let encoded = try? message.encode() {
            let again = try? DNSMessage(parsing: encoded)
            precondition(again != nil, "an encoded message does not parse again")
        }
    }
}
