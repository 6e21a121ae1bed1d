#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One whitespace-separated field of a master-file record (RFC 1035 section 5.1), with escapes
/// still in place: names need them raw (`\.` is not a label separator) and character-strings decode them.
public struct PresentationToken: Hashable, Sendable, CustomStringConvertible {
    public var text: String
    /// True if the field was written in double quotes.
    public var quoted: Bool
    public init(_ text: String, quoted: Bool = false) {
        self.text = text
        self.quoted = quoted
    }
    public var description: String { quoted ? "\"\(text)\"" : text }
}

/// Helpers shared by the record types' presentation parsers and printers.
public enum Presentation {
    /// Decodes the escape starting at `bytes[i]` (a backslash): `\X` -> X, `\DDD` -> the octet
    /// DDD (RFC 1035 section 5.1). Returns the octet and the index after the escape.
    static func escape(_ bytes: [UInt8], at i: Int, in what: String) throws(PresentationError) -> (UInt8, Int) {
        guard i + 1 < bytes.count else { throw PresentationError("dangling escape in \(what)") }
        let d = bytes[i + 1]
        guard isDigit(d) else { return (d, i + 2) }
        guard i + 3 < bytes.count, isDigit(bytes[i + 2]), isDigit(bytes[i + 3]) else {
            throw PresentationError("bad \\DDD escape in \(what)")
        }
        let v = Int(d - 48) * 100 + Int(bytes[i + 2] - 48) * 10 + Int(bytes[i + 3] - 48)
        guard v <= 255 else { throw PresentationError("escape \\\(v) out of range in \(what)") }
        return (UInt8(v), i + 4)
    }

    /// Decodes a `<character-string>` (RFC 1035 section 5.1): `\X` -> X, `\DDD` -> octet.
    public static func characterString(_ token: PresentationToken) throws(PresentationError) -> [UInt8] {
        let bytes = Array(token.text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\") {
                let (octet, next) = try escape(bytes, at: i, in: token.description)
                out.append(octet)
                i = next
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        guard out.count <= 255 else {
            throw PresentationError("character-string of \(out.count) octets exceeds 255")
        }
        return out
    }

    /// Prints octets as a quoted `<character-string>`, escaping `"`, `\` and non-printables.
    public static func quoted(_ bytes: [UInt8]) -> String {
        var s = "\""
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                s.append("\\")
                s.append(Character(Unicode.Scalar(b)))
            case 0x20...0x7E: s.append(Character(Unicode.Scalar(b)))
            default: s.append("\\" + decimal3(b))
            }
        }
        return s + "\""
    }

    public static func uint16(_ token: PresentationToken, _ what: String) throws(PresentationError) -> UInt16 {
        guard !token.quoted, let v = UInt16(token.text) else {
            throw PresentationError("\(what) '\(token.text)' is not a number in 0...65535")
        }
        return v
    }

    public static func uint8(_ token: PresentationToken, _ what: String) throws(PresentationError) -> UInt8 {
        guard !token.quoted, let v = UInt8(token.text) else {
            throw PresentationError("\(what) '\(token.text)' is not a number in 0...255")
        }
        return v
    }

    /// A 32-bit count of seconds, either plain or with BIND-style units (`1h30m`, `2d`, `1w`).
    public static func ttl(_ text: String) -> UInt32? {
        if let plain = UInt32(text) { return plain }
        var total: UInt64 = 0
        var number: UInt64? = nil
        for c in text.lowercased() {
            if let d = c.wholeNumberValue, c.isASCII {
                number = (number ?? 0) * 10 + UInt64(d)
                if number! > UInt64(UInt32.max) { return nil }
                continue
            }
            let unit: UInt64
            switch c {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            case "w": unit = 604800
            default: return nil
            }
            guard let n = number else { return nil }
            // Each term is below 2^32 * 2^20 and the sum stops at 2^32, so nothing overflows.
            total += n * unit
            guard total <= UInt64(UInt32.max) else { return nil }
            number = nil
        }
        if number != nil { return nil }  // "1h30" has a trailing unitless number: ambiguous, rejected
        return total <= UInt64(UInt32.max) ? UInt32(total) : nil
    }

    public static func name(_ token: PresentationToken, origin: DNSName?) throws(PresentationError) -> DNSName {
        guard !token.quoted else { throw PresentationError("a name cannot be quoted: \(token)") }
        return try DNSName(parsing: token.text, origin: origin)
    }

    public static func expectCount(_ tokens: [PresentationToken], _ n: Int, _ type: String) throws(PresentationError) {
        guard tokens.count == n else {
            throw PresentationError("\(type) takes \(n) field\(n == 1 ? "" : "s"), got \(tokens.count)")
        }
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        var s = ""
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0xF)])
        }
        return s
    }

    public static func parseHex(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8? = nil
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x41...0x46: v = c - 0x41 + 10
            case 0x61...0x66: v = c - 0x61 + 10
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }
}
