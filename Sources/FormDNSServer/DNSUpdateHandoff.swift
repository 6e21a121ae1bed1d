import DNSWire
import NetAddress

/// Answers an RFC 2136 UPDATE (the whole message as received, and its source): the reply, or nil
/// to send none. It runs off the query path, in a task: a change is validated, stored and swapped
/// in before the reply goes out.
public typealias DNSUpdateResponder = @Sendable (_ message: [UInt8], _ source: IPAddress?) async -> [UInt8]?

enum DNSUpdateHandoff {
    /// OPCODE 5 (UPDATE): bits 3-6 of the third header byte. One compare per query: an UPDATE
    /// leaves the query path before any parsing.
    @inline(__always)
    static func isUpdate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 12 && bytes[2] & 0x78 == 0x28
    }
}

/// Answers a zone transfer request (the whole message as received over TCP, and its source): the
/// messages to send, in order, or one refusal. Off the query path, in a task.
public typealias DNSTransferResponder = @Sendable (_ message: [UInt8], _ source: IPAddress?) async -> [[UInt8]]

enum DNSTransferHandoff {
    /// A QUERY for AXFR (252) or IXFR (251), or a TSIG-signed one for a SOA (a secondary's
    /// refresh with its transfer key, whose answer must be signed): read only over TCP, after the
    /// UPDATE check. The UDP path is untouched.
    static func isTransfer(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let view = DNSQueryView(bytes: bytes)
        // Class IN only: anything else stays with the builder, which refuses it.
        guard view.disposition == .answer, view.qclass == 1 else { return false }
        if view.qtype == 252 || view.qtype == 251 { return true }
        return view.qtype == 6 && DNSQueryView.isSigned(bytes, questionEnd: view.questionEnd)
    }
}
