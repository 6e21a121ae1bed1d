/// A resource record TYPE (RFC 1035 section 3.2.2; registry at IANA "DNS Parameters").
/// Unknown values are kept and printed in the RFC 3597 `TYPEnnn` form.
public struct RecordType: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = RecordType(1)
    public static let ns = RecordType(2)
    public static let cname = RecordType(5)
    public static let soa = RecordType(6)
    public static let ptr = RecordType(12)
    public static let hinfo = RecordType(13)
    public static let mx = RecordType(15)
    public static let txt = RecordType(16)
    public static let aaaa = RecordType(28)
    public static let srv = RecordType(33)
    public static let dname = RecordType(39)
    public static let opt = RecordType(41)
    public static let ds = RecordType(43)
    public static let rrsig = RecordType(46)
    public static let nsec = RecordType(47)
    public static let dnskey = RecordType(48)
    /// RFC 9824: in an NSEC's type bitmap, the owner name does not exist (compact denial).
    public static let nxname = RecordType(128)
    public static let ixfr = RecordType(251)
    public static let axfr = RecordType(252)
    public static let maila = RecordType(253)
    public static let mailb = RecordType(254)
    public static let any = RecordType(255)
    public static let caa = RecordType(257)

    static let mnemonics: [(String, RecordType)] = [
        ("A", .a), ("NS", .ns), ("CNAME", .cname), ("SOA", .soa), ("PTR", .ptr), ("HINFO", .hinfo),
        ("MX", .mx), ("TXT", .txt), ("AAAA", .aaaa), ("SRV", .srv), ("DNAME", .dname), ("OPT", .opt),
        ("DS", .ds), ("RRSIG", .rrsig), ("NSEC", .nsec), ("DNSKEY", .dnskey), ("NXNAME", .nxname), ("IXFR", .ixfr),
        ("AXFR", .axfr), ("MAILA", .maila),
        ("MAILB", .mailb), ("ANY", .any), ("CAA", .caa),
    ]

    /// Parses a mnemonic (`AAAA`, case-insensitive) or the RFC 3597 generic form `TYPE65280`.
    public init?(mnemonic: String) {
        let upper = mnemonic.uppercased()
        if let hit = Self.mnemonics.first(where: { $0.0 == upper }) {
            self = hit.1
            return
        }
        if upper.hasPrefix("TYPE"), let n = UInt16(upper.dropFirst(4)) {
            self.init(n)
            return
        }
        return nil
    }

    /// QTYPEs that only appear in questions (RFC 1035 section 3.2.3, RFC 6895 section 3.1).
    public var isMetaOrQueryOnly: Bool { rawValue == 41 || (rawValue >= 128 && rawValue <= 255) }

    public var description: String {
        Self.mnemonics.first(where: { $0.1 == self })?.0 ?? "TYPE\(rawValue)"
    }

    public static func < (l: RecordType, r: RecordType) -> Bool { l.rawValue < r.rawValue }
}

/// A resource record CLASS (RFC 1035 section 3.2.4).
public struct RecordClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let internet = RecordClass(1)
    public static let chaos = RecordClass(3)
    public static let hesiod = RecordClass(4)
    public static let none = RecordClass(254)
    public static let any = RecordClass(255)

    public init?(mnemonic: String) {
        switch mnemonic.uppercased() {
        case "IN": self = .internet
        case "CH": self = .chaos
        case "HS": self = .hesiod
        case "NONE": self = .none
        case "ANY": self = .any
        case let s where s.hasPrefix("CLASS"):
            guard let n = UInt16(s.dropFirst(5)) else { return nil }
            self.init(n)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .internet: return "IN"
        case .chaos: return "CH"
        case .hesiod: return "HS"
        case .none: return "NONE"
        case .any: return "ANY"
        default: return "CLASS\(rawValue)"
        }
    }
}
