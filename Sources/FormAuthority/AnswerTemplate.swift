import DNSWire
import NIOCore

/// A response precomputed for one (name, type), minus what each query changes.
///
/// The body is the answer, authority and additional sections exactly as on the wire, encoded
/// after a question whose name sits at offset 12. Compression pointers into that question stay
/// valid for any query with the same name, whatever its letter case, because the length is the
/// same; so answering is: header (ID and RD/CD from the query) + the query's question bytes
/// (which echoes its case) + body (+ OPT).
public final class AnswerTemplate: Sendable {
    // A class: templates are shared by the answer table, the GeoDNS caches and every response, so
    // handing one around costs a single retain instead of one per stored array.
    /// AA and the low RCODE bits; QR is added on output.
    public let flags: UInt16
    public let body: [UInt8]
    public let answerCount: UInt16
    public let authorityCount: UInt16
    public let additionalCount: UInt16
    /// Length of the answer + authority part of `body` (additional records follow it).
    public let bodyLengthWithoutAdditional: Int
    public let additionalRequired: Bool
    /// >= 0 marks a GeoDNS pool name: the answer is chosen per client, not taken from `body`.
    public let pool: Int
    /// For a pool marker: which of the pool's names it is (signed answers cover the owner name).
    public let poolName: Int
    /// Index of the zone the answer comes from in `AuthorityEngine.zones` (-1: none or unknown),
    /// so metrics can count responses by zone without a lookup per query.
    public let zone: Int32
    /// For structure entries (`AnswerKey.structure`): how a query for a name that does not
    /// exist, and whose closest existing ancestor is this name, is answered.
    public let below: Below

    public enum Below: Sendable {
        /// Not a structure entry.
        case notApplicable
        /// NXDOMAIN with this position-independent body (the zone's SOA, no compression).
        case nxDomain(AnswerTemplate)
        /// A wildcard child or a zone cut decides: take the general path.
        case general
    }

    /// A structure entry for a name that exists.
    public static func structure(_ below: Below) -> AnswerTemplate {
        AnswerTemplate(
            question: DNSQuestion(name: .root, type: .a), resolution: Resolution(rcode: .noError, authoritative: true),
            below: below)
    }

    /// The NXDOMAIN body for `zone`: its SOA, written without compression so it fits after any question.
    public static func negative(soa: DNSResourceRecord, rcode: ResponseCode, zone: Int = -1) -> AnswerTemplate {
        var r = Resolution(rcode: rcode, authoritative: true)
        r.authorities = [soa]
        return AnswerTemplate(
            question: DNSQuestion(name: .root, type: .a), resolution: r, positionIndependent: true, zone: zone)
    }

    /// A marker for a pool name's address records; `name` is its index in the pool's names.
    public static func poolMarker(_ pool: Int, name: Int = 0) -> AnswerTemplate {
        AnswerTemplate(
            question: DNSQuestion(name: .root, type: .a), resolution: Resolution(rcode: .noError, authoritative: true),
            pool: pool, poolName: name)
    }

    /// Encodes `resolution` as it would follow `question`.
    public init(
        question: DNSQuestion, resolution: Resolution, pool: Int = -1, poolName: Int = 0,
        below: Below = .notApplicable, positionIndependent: Bool = false, zone: Int = -1
    ) {
        self.pool = pool
        self.poolName = poolName
        self.zone = Int32(zone)
        self.below = below
        var writer = DNSWireWriter(capacity: 512)
        writer.compressionEnabled = !positionIndependent
        writer.write(bytes: [UInt8](repeating: 0, count: 12))
        writer.write(name: question.name)
        writer.write(question.type.rawValue)
        writer.write(question.recordClass.rawValue)
        let start = writer.count
        for rr in resolution.answers { rr.write(to: &writer) }
        for rr in resolution.authorities { rr.write(to: &writer) }
        let afterAuthority = writer.count
        for rr in resolution.additionals { rr.write(to: &writer) }
        let all = writer.buffer.getBytes(at: writer.base, length: writer.count) ?? []
        body = Array(all[start...])
        bodyLengthWithoutAdditional = afterAuthority - start
        var flags: UInt16 = UInt16(resolution.rcode.rawValue & 0xF)
        if resolution.authoritative { flags |= DNSHeader.Flag.authoritative.rawValue }
        self.flags = flags
        answerCount = UInt16(resolution.answers.count)
        authorityCount = UInt16(resolution.authorities.count)
        additionalCount = UInt16(resolution.additionals.count)
        additionalRequired = resolution.additionalRequired
    }
}
