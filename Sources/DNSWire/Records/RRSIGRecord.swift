/// RRSIG — a signature over one RRset (RFC 4034 section 3).
///
///                          1 1 1 1 1 1 1 1 1 1 2 2 2 2 2 2 2 2 2 2 3 3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |        Type Covered           |  Algorithm    |     Labels    |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                         Original TTL                          |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                      Signature Expiration                     |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |                      Signature Inception                      |
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |            Key Tag            |                               /
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+         Signer's Name         /
///     /                                                               /
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     /                            Signature                          /
///
/// "The Signature Expiration and Inception field values specify a date and time in the form of a
/// 32-bit unsigned number of seconds elapsed since 1 January 1970 00:00:00 UTC ... compared by
/// using serial number arithmetic" (3.1.5); "A sender MUST NOT use DNS name compression on the
/// Signer's Name field" (3.1.7). Presentation (3.2): the covered type as a mnemonic, algorithm,
/// labels, original TTL, the times as YYYYMMDDHHmmSS in UTC (or seconds), key tag, signer's name,
/// then the signature in base64, whitespace allowed.
public struct RRSIGRecord: RecordData {
    public static let recordType = RecordType.rrsig
    public var typeCovered: RecordType
    public var algorithm: UInt8
    public var labels: UInt8
    public var originalTTL: UInt32
    public var expiration: UInt32
    public var inception: UInt32
    public var keyTag: UInt16
    public var signerName: DNSName
    public var signature: [UInt8]

    public init(
        typeCovered: RecordType, algorithm: UInt8, labels: UInt8, originalTTL: UInt32, expiration: UInt32,
        inception: UInt32, keyTag: UInt16, signerName: DNSName, signature: [UInt8]
    ) {
        self.typeCovered = typeCovered
        self.algorithm = algorithm
        self.labels = labels
        self.originalTTL = originalTTL
        self.expiration = expiration
        self.inception = inception
        self.keyTag = keyTag
        self.signerName = signerName
        self.signature = signature
    }

    public init(from reader: inout DNSWireReader, length: Int) throws(DNSWireError) {
        let start = reader.offset
        guard length >= 19 else { throw .badRDLength(type: 46, expected: "at least 19", actual: length) }
        typeCovered = RecordType(try reader.readUInt16("RRSIG type covered"))
        algorithm = try reader.readUInt8("RRSIG algorithm")
        labels = try reader.readUInt8("RRSIG labels")
        originalTTL = try reader.readUInt32("RRSIG original TTL")
        expiration = try reader.readUInt32("RRSIG expiration")
        inception = try reader.readUInt32("RRSIG inception")
        keyTag = try reader.readUInt16("RRSIG key tag")
        signerName = try reader.readName()
        let used = reader.offset - start
        guard used <= length else { throw .badRDLength(type: 46, expected: "fields and a name", actual: length) }
        signature = try reader.readBytes(length - used, "RRSIG signature")
    }

    public func encode(to writer: inout DNSWireWriter) {
        encodeFields(to: &writer)
        writer.write(bytes: signature)
    }

    /// The RDATA without the signature, signer's name in canonical (lower-case) form: the start
    /// of what is signed (RFC 4034 3.1.8.1).
    public func encodeFields(to writer: inout DNSWireWriter) {
        writer.write(typeCovered.rawValue)
        writer.write(algorithm)
        writer.write(labels)
        writer.write(originalTTL)
        writer.write(expiration)
        writer.write(inception)
        writer.write(keyTag)
        writer.write(name: signerName, compress: false)
    }

    public init(presentation tokens: [PresentationToken], origin: DNSName?) throws(PresentationError) {
        guard tokens.count >= 9 else {
            throw PresentationError(
                "RRSIG takes type, algorithm, labels, TTL, expiration, inception, key tag, signer and signature")
        }
        guard let type = RecordType(mnemonic: tokens[0].text) else {
            throw PresentationError("RRSIG type covered '\(tokens[0].text)' is not a record type")
        }
        typeCovered = type
        algorithm = try Presentation.uint8(tokens[1], "RRSIG algorithm")
        labels = try Presentation.uint8(tokens[2], "RRSIG labels")
        guard let ttl = UInt32(tokens[3].text) else { throw PresentationError("RRSIG original TTL is not a number") }
        originalTTL = ttl
        guard let expires = DNSSECTime(presentation: tokens[4].text),
            let incepts = DNSSECTime(presentation: tokens[5].text)
        else { throw PresentationError("RRSIG times must be YYYYMMDDHHmmSS or seconds since 1970") }
        expiration = expires.seconds
        inception = incepts.seconds
        keyTag = try Presentation.uint16(tokens[6], "RRSIG key tag")
        signerName = try Presentation.name(tokens[7], origin: origin)
        guard let bytes = Base64Text.decode(tokens.dropFirst(8).map(\.text)), !bytes.isEmpty else {
            throw PresentationError("RRSIG signature is not base64")
        }
        signature = bytes
    }

    public var presentation: String {
        "\(typeCovered) \(algorithm) \(labels) \(originalTTL) \(DNSSECTime(expiration).presentation) "
            + "\(DNSSECTime(inception).presentation) \(keyTag) \(signerName) \(Base64Text.encode(signature))"
    }
}

/// A DNSSEC time: 32-bit seconds since 1970 (RFC 4034 3.1.5), written YYYYMMDDHHmmSS in UTC.
public struct DNSSECTime: Hashable, Sendable {
    public var seconds: UInt32

    public init(_ seconds: UInt32) { self.seconds = seconds }

    /// `YYYYMMDDHHmmSS` (UTC, 1970 to 2106) or an unsigned decimal of seconds.
    public init?(presentation text: String) {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        guard digits.count == 14 else {
            guard let n = UInt32(text) else { return nil }
            self.seconds = n
            return
        }
        func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        let (year, month, day) = (number(0..<4), number(4..<6), number(6..<8))
        let (hour, minute, second) = (number(8..<10), number(10..<12), number(12..<14))
        guard (1...12).contains(month), (1...Self.days(in: month, of: year)).contains(day), hour < 24, minute < 60,
            second < 60
        else { return nil }
        let total =
            Self.daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        guard let fits = UInt32(exactly: total) else { return nil }
        self.seconds = fits
    }

    public var presentation: String {
        let days = Int(seconds) / 86_400, rest = Int(seconds) % 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)\(two(month))\(two(day))\(two(rest / 3600))\(two(rest % 3600 / 60))\(two(rest % 60))"
    }

    static func days(in month: Int, of year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (the inverse of `daysSinceEpoch`).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
