import DNSWire
import FormJoin

enum StubReplyFuzz {
    static let question = DNSQuestion(name: try! DNSName(parsing: "entry.formation.test."), type: .a)

    static func run(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        guard bytes.count >= 2 else { return }
        var malformed: String? = nil
        // The ID the stub would have asked with is the reply's own (else nothing gets past it).
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let questions = [question, DNSQuestion(name: question.name, type: .aaaa),
                         DNSQuestion(name: question.name, type: .cname)]
        for q in questions {
            guard let message = StubResolver.accept(bytes, id: id, question: q, malformed: &malformed) else { continue }
            var chain: [DNSResourceRecord] = []
            var seen: Set<DNSName> = [q.name]
            var current = q.name
            // Follow at most a few steps, as the resolver does, asking the same reply each time.
            for _ in 0..<8 {
                switch StubResolver.read(message, asked: current, type: q.type, chain: &chain, seen: &seen) {
                case .records(let records):
                    precondition(!records.isEmpty, "an answer without records")
                    return
                case .ended: return
                case .ask(let next): current = next
                }
            }
        }
    }
}
