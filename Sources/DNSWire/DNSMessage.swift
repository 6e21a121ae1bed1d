import NIOCore

/// A whole DNS message (RFC 1035 section 4.1): header, question, answer, authority, additional.
///
/// The OPT pseudo-record is lifted out of the additional section into `edns`; section counts in
/// `header` are recomputed on encode.
public struct DNSMessage: Hashable, Sendable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [DNSResourceRecord]
    public var authorities: [DNSResourceRecord]
    /// Additional records other than OPT.
    public var additionals: [DNSResourceRecord]
    public var edns: EDNS?

    public init(
        header: DNSHeader = DNSHeader(), questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [],
        authorities: [DNSResourceRecord] = [], additionals: [DNSResourceRecord] = [], edns: EDNS? = nil
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// The full 12-bit RCODE (header low bits plus the EDNS extension).
    public var rcode: ResponseCode {
        get { ResponseCode(rawValue: UInt16(edns?.extendedRcode ?? 0) << 4 | UInt16(header.rcodeLow)) }
        set {
            header.rcodeLow = UInt8(newValue.rawValue & 0xF)
            if newValue.rawValue > 0xF || edns != nil {
                if edns == nil { edns = EDNS() }
                edns!.extendedRcode = UInt8(newValue.rawValue >> 4)
            }
        }
    }

    /// Parses one message from the readable bytes of `buffer`.
    /// - Parameter allowTrailingData: accept octets after the last record (some middleboxes pad).
    public init(parsing buffer: ByteBuffer, allowTrailingData: Bool = false) throws(DNSWireError) {
        var r = DNSWireReader(buffer)
        let h = DNSHeader(
            id: try r.readUInt16("header ID"), flags: try r.readUInt16("header flags"),
            questionCount: try r.readUInt16("QDCOUNT"), answerCount: try r.readUInt16("ANCOUNT"),
            authorityCount: try r.readUInt16("NSCOUNT"), additionalCount: try r.readUInt16("ARCOUNT"))
        header = h
        questions = []
        for _ in 0..<h.questionCount {
            let name = try r.readName()
            let type = RecordType(try r.readUInt16("QTYPE"))
            let cls = RecordClass(try r.readUInt16("QCLASS"))
            questions.append(DNSQuestion(name: name, type: type, recordClass: cls))
        }
        func section(_ n: UInt16, _ r: inout DNSWireReader) throws(DNSWireError) -> [DNSResourceRecord] {
            var out: [DNSResourceRecord] = []
            out.reserveCapacity(Int(min(n, 64)))
            for _ in 0..<n {
                let (rr, _, _) = try DNSResourceRecord.read(from: &r)
                guard rr.type != .opt else { throw .invalid("OPT record outside the additional section") }
                out.append(rr)
            }
            return out
        }
        answers = try section(h.answerCount, &r)
        authorities = try section(h.authorityCount, &r)
        additionals = []
        edns = nil
        for _ in 0..<h.additionalCount {
            let (rr, rawClass, rawTTL) = try DNSResourceRecord.read(from: &r)
            if rr.type == .opt {
                guard edns == nil else { throw .invalid("more than one OPT record") }
                guard rr.name.isRoot else { throw .invalid("OPT record with non-root owner \(rr.name)") }
                guard case .unknown(let raw) = rr.data else { throw .invalid("OPT record") }
                edns = try EDNS(rawClass: rawClass, rawTTL: rawTTL, rdata: raw.data)
            } else {
                additionals.append(rr)
            }
        }
        if !allowTrailingData, r.remaining > 0 { throw .trailingData(r.remaining) }
    }

    /// Encodes the message. With `maxSize`, a message that does not fit first loses its additional
    /// records (which may be omitted without TC, RFC 2181 section 9), then, if `additionalRequired`
    /// or it still does not fit, is cut to header + question (+ OPT) with TC set (RFC 1035 4.2.1).
    public func encode(maxSize: Int? = nil, additionalRequired: Bool = false) throws(DNSWireError) -> ByteBuffer {
        var writer = DNSWireWriter(capacity: 512)
        try encode(into: &writer, maxSize: maxSize, additionalRequired: additionalRequired)
        return writer.buffer
    }

    public func encode(into writer: inout DNSWireWriter, maxSize: Int? = nil, additionalRequired: Bool = false)
        throws(DNSWireError)
    {
        let limit = min(maxSize ?? 65535, 65535)
        let ednsSize = edns?.wireSize ?? 0
        var h = header
        h.questionCount = UInt16(questions.count)
        writer.write(h.id)
        writer.write(h.flags)
        writer.write(h.questionCount)
        let countsAt = writer.count
        writer.write(bytes: [0, 0, 0, 0, 0, 0])
        for q in questions {
            writer.write(name: q.name)
            writer.write(q.type.rawValue)
            writer.write(q.recordClass.rawValue)
        }
        guard writer.count + ednsSize <= limit else { throw .unencodable("question does not fit in \(limit) octets") }
        let afterQuestion = writer.count
        func writeAll(_ rrs: [DNSResourceRecord], _ w: inout DNSWireWriter) { for rr in rrs { rr.write(to: &w) } }
        writeAll(answers, &writer)
        writeAll(authorities, &writer)
        let afterAuthority = writer.count
        var counts = (UInt16(answers.count), UInt16(authorities.count), UInt16(additionals.count))
        var truncated = false
        if afterAuthority + ednsSize > limit {
            truncated = true
        } else {
            // Add additional records one by one while they fit; drop the rest silently unless required.
            for rr in additionals {
                let before = writer.count
                rr.write(to: &writer)
                if writer.count + ednsSize > limit {
                    writer.truncate(to: before)
                    counts.2 = UInt16(additionals.firstIndex(of: rr)!)
                    if additionalRequired { truncated = true }
                    break
                }
            }
        }
        if truncated {
            writer.truncate(to: afterQuestion)
            counts = (0, 0, 0)
            writer.set(h.flags | DNSHeader.Flag.truncated.rawValue, at: 2)
        }
        if let edns {
            edns.write(to: &writer)
            counts.2 += 1
        }
        writer.set(counts.0, at: countsAt)
        writer.set(counts.1, at: countsAt + 2)
        writer.set(counts.2, at: countsAt + 4)
    }
}
