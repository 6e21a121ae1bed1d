/// A domain name, stored in uncompressed wire form (length-prefixed labels ending in the root label).
///
/// RFC 1035 section 2.3.4: labels are 63 octets or less, names 255 octets or less in wire form.
/// RFC 4343: comparisons are case-insensitive for ASCII letters only; every other octet (including
/// the bytes of an IDN A-label or raw UTF-8) compares exactly, so labels are treated as byte strings.
/// The original case is kept so that answers can echo it.
public struct DNSName: Sendable, CustomStringConvertible {
    /// Uncompressed wire form, including the terminating zero octet.
    public private(set) var wire: [UInt8]

    public static let root = DNSName(uncheckedWire: [0])

    /// Creates a name from wire bytes already known to be valid.
    @usableFromInline
    init(uncheckedWire: [UInt8]) { self.wire = uncheckedWire }

    /// Creates a name from labels given as byte strings, validating the RFC 1035 limits.
    public init(labels: [[UInt8]]) throws(DNSWireError) {
        var wire: [UInt8] = []
        wire.reserveCapacity(labels.reduce(1) { $0 + $1.count + 1 })
        for label in labels {
            guard !label.isEmpty else { throw .invalid("empty label") }
            guard label.count <= 63 else { throw .labelTooLong(label.count) }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        wire.append(0)
        guard wire.count <= 255 else { throw .nameTooLong }
        self.wire = wire
    }

    /// Validates uncompressed wire bytes (which must contain exactly one name and nothing else).
    public init(wire bytes: [UInt8]) throws(DNSWireError) {
        var i = 0
        while true {
            guard i < bytes.count else { throw .truncated(field: "name") }
            let len = Int(bytes[i])
            if len == 0 { break }
            guard len <= 63 else {
                if len & 0xC0 != 0 { throw .unsupportedLabelType(UInt8(len)) }
                throw .labelTooLong(len)
            }
            i += 1 + len
        }
        guard i + 1 == bytes.count else { throw .trailingData(bytes.count - i - 1) }
        guard bytes.count <= 255 else { throw .nameTooLong }
        self.wire = bytes
    }

    /// Parses presentation format (`www.example.com.`), with RFC 1035 `\X` and `\DDD` escapes.
    /// A name without a trailing dot is relative and gets `origin` appended; `@` is the origin.
    public init(parsing text: String, origin: DNSName? = nil) throws(PresentationError) {
        let bytes = Array(text.utf8)
        if bytes == [UInt8(ascii: "@")] {
            guard let origin else { throw PresentationError("'@' used with no origin") }
            self = origin
            return
        }
        if bytes == [UInt8(ascii: ".")] {
            self = .root
            return
        }
        guard !bytes.isEmpty else { throw PresentationError("empty name") }
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        var absolute = false
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") {
                // An escaped dot is part of the label, never a separator.
                let (octet, next) = try Presentation.escape(bytes, at: i, in: "name '\(text)'")
                current.append(octet)
                i = next
                continue
            }
            if c == UInt8(ascii: ".") {
                guard !current.isEmpty else { throw PresentationError("empty label in name '\(text)'") }
                labels.append(current)
                current = []
                if i == bytes.count - 1 { absolute = true }
                i += 1
                continue
            }
            current.append(c)
            i += 1
        }
        if !current.isEmpty { labels.append(current) }
        if !absolute {
            guard let origin else { throw PresentationError("relative name '\(text)' with no origin") }
            labels.append(contentsOf: origin.labels)
        }
        do { self = try DNSName(labels: labels) } catch { throw PresentationError("name '\(text)': \(error)") }
    }

    /// The labels, leftmost first, without the root label.
    public var labels: [[UInt8]] {
        var result: [[UInt8]] = []
        var i = 0
        while wire[i] != 0 {
            let len = Int(wire[i])
            result.append(Array(wire[(i + 1)..<(i + 1 + len)]))
            i += 1 + len
        }
        return result
    }

    public var labelCount: Int {
        var n = 0, i = 0
        while wire[i] != 0 {
            n += 1
            i += 1 + Int(wire[i])
        }
        return n
    }

    public var isRoot: Bool { wire.count == 1 }

    /// The name with its leftmost label removed; nil for the root.
    public var parent: DNSName? {
        guard !isRoot else { return nil }
        return DNSName(uncheckedWire: Array(wire[(1 + Int(wire[0]))...]))
    }

    /// `*.<self>`: the wildcard owner that would synthesise answers below this name.
    public var wildcardChild: DNSName? {
        let w = [1, UInt8(ascii: "*")] + wire
        return w.count <= 255 ? DNSName(uncheckedWire: w) : nil
    }

    /// True if the leftmost label is the single octet `*` (RFC 4592 wildcard owner).
    public var isWildcard: Bool { wire.count >= 3 && wire[0] == 1 && wire[1] == UInt8(ascii: "*") }

    /// Prepends one label.
    public func prepending(label: [UInt8]) throws(DNSWireError) -> DNSName {
        guard !label.isEmpty else { throw .invalid("empty label") }
        guard label.count <= 63 else { throw .labelTooLong(label.count) }
        let w = [UInt8(label.count)] + label + wire
        guard w.count <= 255 else { throw .nameTooLong }
        return DNSName(uncheckedWire: w)
    }

    /// True if `self` equals `other` or lies below it (case-insensitively).
    public func isSubdomain(of other: DNSName) -> Bool {
        let extra = wire.count - other.wire.count
        guard extra >= 0 else { return false }
        // Walk label boundaries so that "xample.com" is not taken as a suffix of "example.com".
        var i = 0
        while i < extra { i += 1 + Int(wire[i]) }
        guard i == extra else { return false }
        return DNSName.equalFolded(wire[extra...], other.wire[...])
    }

    /// Lowercased copy (ASCII A-Z only; RFC 4343).
    public var lowercased: DNSName {
        DNSName(uncheckedWire: wire.map(asciiLower))
    }

    /// Presentation format, absolute (trailing dot), with escapes for special and non-printable octets.
    public var description: String {
        if isRoot { return "." }
        var out = ""
        for label in labels {
            for b in label {
                switch b {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: ";"),
                    UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "$"), UInt8(ascii: "@"):
                    out.append("\\")
                    out.append(Character(Unicode.Scalar(b)))
                case 0x21...0x7E:
                    out.append(Character(Unicode.Scalar(b)))
                default:
                    out.append("\\" + decimal3(b))
                }
            }
            out.append(".")
        }
        return out
    }

    static func equalFolded(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var i = a.startIndex, j = b.startIndex
        while i < a.endIndex {
            if asciiLower(a[i]) != asciiLower(b[j]) { return false }
            i += 1
            j += 1
        }
        return true
    }
}

extension DNSName: Hashable {
    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        equalFolded(lhs.wire[...], rhs.wire[...])
    }

    public func hash(into hasher: inout Hasher) {
        for b in wire { hasher.combine(asciiLower(b)) }
    }
}

extension DNSName: Comparable {
    /// RFC 4034 section 6.1 canonical order: compare label by label from the right, case-folded.
    public static func < (lhs: DNSName, rhs: DNSName) -> Bool {
        let l = lhs.labels.reversed().map { $0.map(asciiLower) }
        let r = rhs.labels.reversed().map { $0.map(asciiLower) }
        for (a, b) in zip(l, r) where a != b {
            return a.lexicographicallyPrecedes(b)
        }
        return l.count < r.count
    }
}

extension DNSName: ExpressibleByStringLiteral {
    /// For tests and constants: the literal must be a valid absolute or relative-to-root name.
    public init(stringLiteral value: String) {
        do { self = try DNSName(parsing: value, origin: .root) } catch {
            preconditionFailure("invalid DNS name literal '\(value)': \(error)")
        }
    }
}

@inlinable
func asciiLower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

func decimal3(_ b: UInt8) -> String {
    let s = String(b)
    return String(repeating: "0", count: 3 - s.count) + s
}
