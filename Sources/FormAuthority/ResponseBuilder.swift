import DNSWire
import NIOCore

/// Turns one query datagram/frame into one response: the whole server-side DNS logic
/// between the socket and the authority engine. Pure and synchronous, shared by UDP and TCP.
public struct ResponseBuilder: Sendable {
    public enum Transport: Sendable { case udp, tcp }

    public let engine: AuthorityEngine
    public let table: AnswerTable
    /// Our EDNS UDP payload size, advertised and used as the cap on UDP responses.
    public let udpPayloadSize: Int

    public init(engine: AuthorityEngine, udpPayloadSize: Int = Int(EDNS.defaultPayloadSize)) {
        self.engine = engine
        self.udpPayloadSize = udpPayloadSize
        self.table = ResponseBuilder.precompute(engine)
    }

    /// Precomputes every answer that depends only on (name, type): each owner's types, ANY, a
    /// shared NODATA for other types, empty non-terminals and delegations. Whatever is not in the
    /// table (NXDOMAIN, wildcard expansions, names below cuts) takes the general path.
    static func precompute(_ engine: AuthorityEngine) -> AnswerTable {
        var table = AnswerTable(expectedCount: engine.zones.reduce(0) { $0 + $1.nodes.count * 3 })
        func add(_ name: DNSName, _ type: RecordType, as key: RecordType? = nil) {
            let q = DNSQuestion(name: name.lowercased, type: type)
            table.insert(name: name, qtype: key ?? type, template: AnswerTemplate(question: q, resolution: engine.resolve(q)))
        }
        for zone in engine.zones.reversed() {
            for name in zone.allNames where engine.zone(for: name)?.origin == zone.origin {
                let node = zone.nodes[name]
                var types = Set(node?.types ?? [])
                types.formUnion([.a, .aaaa, .any])
                if let target = node?[.cname]?.records.first?.targetName, let t = zone.nodes[target] {
                    types.formUnion(t.types)
                }
                for t in types { add(name, t) }
                // A name with a CNAME answers other types from its target's node: no shared entry.
                if node?[.cname] == nil {
                    // Type 0 is reserved and never queried; its entry is "any type not listed above".
                    add(name, RecordType(65534), as: RecordType(0))
                }
            }
        }
        return table
    }

    /// Writes the response to `query` into `out`; returns false if the query must be dropped.
    public func respond(to query: ByteBuffer, transport: Transport, into out: inout ByteBuffer) -> Bool {
        query.withUnsafeReadableBytes { bytes in respond(to: bytes, transport: transport, into: &out) }
    }

    public func respond(to bytes: UnsafeRawBufferPointer, transport: Transport, into out: inout ByteBuffer) -> Bool {
        let view = DNSQueryView(bytes: bytes)
        switch view.disposition {
        case .drop:
            return false
        case .formErr:
            writeError(.formErr, view: view, bytes: bytes, into: &out)
        case .notImp:
            writeError(.notImp, view: view, bytes: bytes, into: &out)
        case .badVers:
            writeError(.badVers, view: view, bytes: bytes, into: &out)
        case .answer:
            let limit = transport == .udp ? view.udpResponseLimit(serverMax: udpPayloadSize) : 65535
            let qtype = RecordType(view.qtype)
            if qtype == .opt {
                writeError(.formErr, view: view, bytes: bytes, into: &out)
            } else if qtype == .axfr || qtype == .ixfr || view.qclass != RecordClass.internet.rawValue {
                // No zone transfers; only class IN is served.
                writeError(.refused, view: view, bytes: bytes, into: &out)
            } else {
                let qname = UnsafeRawBufferPointer(rebasing: bytes[12..<(12 + view.qnameLength)])
                let template = table.lookup(qname: qname, hash: view.qnameHash, qtype: view.qtype)
                    ?? table.lookup(qname: qname, hash: view.qnameHash, qtype: 0)
                if let template {
                    write(template, view: view, bytes: bytes, limit: limit, into: &out)
                } else {
                    writeResolved(view: view, bytes: bytes, limit: limit, into: &out)
                }
            }
        }
        return true
    }

    // MARK: - Writers

    @inline(__always)
    private func writeHeader(view: DNSQueryView, flags: UInt16, counts: (UInt16, UInt16, UInt16, UInt16), into out: inout ByteBuffer) {
        // QR, our flags, the query's opcode and its RD and CD bits (RFC 1035 4.1.1; CD per RFC 4035 3.1.6).
        let fromQuery = view.flags & (0x7800 | DNSHeader.Flag.recursionDesired.rawValue | DNSHeader.Flag.checkingDisabled.rawValue)
        out.writeMultipleIntegers(view.id, 0x8000 | flags | fromQuery, counts.0, counts.1, counts.2, counts.3)
    }

    private func optSize(_ view: DNSQueryView) -> Int {
        guard view.hasEDNS else { return 0 }
        return view.hasClientSubnet ? 11 + 8 + (Int(view.ecsSourcePrefix) + 7) / 8 : 11
    }

    /// Our OPT: our payload size, DO echoed (RFC 3225), ECS echoed with SCOPE 0 for answers that do
    /// not depend on the client's location (RFC 7871 section 7.2.1).
    private func writeOPT(view: DNSQueryView, extendedRcode: UInt8 = 0, into out: inout ByteBuffer) {
        out.writeInteger(UInt8(0))
        out.writeMultipleIntegers(RecordType.opt.rawValue, UInt16(udpPayloadSize))
        out.writeMultipleIntegers(extendedRcode, UInt8(0), UInt16(view.dnssecOK ? 0x8000 : 0))
        if view.hasClientSubnet {
            let addressLength = (Int(view.ecsSourcePrefix) + 7) / 8
            out.writeMultipleIntegers(UInt16(8 + addressLength), ClientSubnet.optionCode, UInt16(4 + addressLength))
            out.writeMultipleIntegers(view.ecsFamily, view.ecsSourcePrefix, UInt8(0))
            for k in 0..<addressLength {
                let word = k < 8 ? view.ecsAddressHigh : view.ecsAddressLow
                out.writeInteger(UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (k % 8))))
            }
        } else {
            out.writeInteger(UInt16(0))
        }
    }

    private func writeError(_ rcode: ResponseCode, view: DNSQueryView, bytes: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        let hasQuestion = view.hasQuestion
        let edns: UInt16 = view.hasEDNS ? 1 : 0
        writeHeader(view: view, flags: rcode.rawValue & 0xF, counts: (hasQuestion ? 1 : 0, 0, 0, edns), into: &out)
        if hasQuestion { out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[12..<view.questionEnd])) }
        if view.hasEDNS { writeOPT(view: view, extendedRcode: UInt8(rcode.rawValue >> 4), into: &out) }
    }

    private func write(_ t: AnswerTemplate, view: DNSQueryView, bytes: UnsafeRawBufferPointer, limit: Int, into out: inout ByteBuffer) {
        let opt = optSize(view)
        let edns: UInt16 = view.hasEDNS ? 1 : 0
        let fixed = view.questionEnd + opt
        if fixed + t.body.count <= limit {
            writeHeader(view: view, flags: t.flags, counts: (1, t.answerCount, t.authorityCount, t.additionalCount + edns), into: &out)
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[12..<view.questionEnd]))
            out.writeBytes(t.body)
        } else if !t.additionalRequired, fixed + t.bodyLengthWithoutAdditional <= limit {
            // Additional data may be omitted without setting TC (RFC 2181 section 9).
            writeHeader(view: view, flags: t.flags, counts: (1, t.answerCount, t.authorityCount, edns), into: &out)
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[12..<view.questionEnd]))
            _ = t.body.withUnsafeBytes { out.writeBytes(UnsafeRawBufferPointer(rebasing: $0[0..<t.bodyLengthWithoutAdditional])) }
        } else {
            // Does not fit: TC with the question only; the client retries over TCP (RFC 7766).
            writeHeader(view: view, flags: t.flags | DNSHeader.Flag.truncated.rawValue, counts: (1, 0, 0, edns), into: &out)
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[12..<view.questionEnd]))
        }
        if view.hasEDNS { writeOPT(view: view, into: &out) }
    }

    /// The general path: resolve, then encode (with the same truncation rules as templates).
    private func writeResolved(view: DNSQueryView, bytes: UnsafeRawBufferPointer, limit: Int, into out: inout ByteBuffer) {
        let name: DNSName
        do { name = try DNSName(wire: Array(bytes[12..<(12 + view.qnameLength)])) } catch {
            writeError(.formErr, view: view, bytes: bytes, into: &out)
            return
        }
        let question = DNSQuestion(name: name, type: RecordType(view.qtype), recordClass: RecordClass(view.qclass))
        let template = AnswerTemplate(question: question, resolution: engine.resolve(question))
        write(template, view: view, bytes: bytes, limit: limit, into: &out)
    }
}
