/// The second half of an `AnswerTable` key: a QTYPE, or one of the table's own sentinel keys.
///
/// The sentinels live above the 16-bit QTYPE space, so no record type a zone may hold (private
/// types such as 65534, which BIND uses for its signing state, or the reserved 0 and 65535) can
/// collide with them, and a query for any QTYPE can never hit a sentinel entry.
public struct AnswerKey: Hashable, Sendable {
    public let raw: UInt32

    @inline(__always)
    public init(qtype: UInt16) { raw = UInt32(qtype) }

    private init(raw: UInt32) { self.raw = raw }

    /// "Any type this name has no entry for": the name's shared NODATA (or referral) answer.
    public static let otherTypes = AnswerKey(raw: 0x1_0000)
    /// The same key for a query with DO set: a signed zone's answer with its RRSIGs and NSEC.
    @inline(__always)
    public var signed: AnswerKey { AnswerKey(raw: raw | 0x10_0000) }

    /// Marks that a name exists and says how names below it that do not exist are answered.
    public static let structure = AnswerKey(raw: 0x1_0001)
}
