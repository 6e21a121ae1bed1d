import DNSWire

/// The key a validator starts from for one zone: DS or DNSKEY records in master-file form, as
/// unbound's `trust-anchor-file` holds them (`formation.test. IN DS 3720 13 2 0DA8...`; TTL and
/// class optional, `;` comments, parentheses across lines), and as `form-dns keys ds` prints them.
public struct TrustAnchor: Sendable, Equatable {
    public let zone: DNSName
    public let ds: [DSRecord]
    public let keys: [DNSKEYRecord]

    public init(zone: DNSName, ds: [DSRecord] = [], keys: [DNSKEYRecord] = []) {
        self.zone = zone
        self.ds = ds
        self.keys = keys
    }

    /// Reads anchors from `text`; `source` names it in errors ("FILE:LINE: ...").
    public init(text: String, source: String) throws(DNSSECError) {
        var zone: DNSName? = nil
        var ds: [DSRecord] = []
        var keys: [DNSKEYRecord] = []
        for (line, record) in try Self.records(text, source: source) {
            func fail(_ why: String) -> DNSSECError { DNSSECError("\(source):\(line): \(why)") }
            var words = record
            guard words.count >= 3 else { throw fail("expected 'NAME [TTL] [IN] DS|DNSKEY DATA'") }
            let ownerText = words.removeFirst()
            guard let owner = try? DNSName(parsing: ownerText, origin: .root) else {
                throw fail("'\(ownerText)' is not a domain name")
            }
            if let first = words.first, first.allSatisfy(\.isNumber) { words.removeFirst() }
            if words.first?.uppercased() == "IN" { words.removeFirst() }
            guard let typeText = words.first?.uppercased(), typeText == "DS" || typeText == "DNSKEY" else {
                throw fail("'\(words.first ?? "")' is not DS or DNSKEY (the anchor must be one of them)")
            }
            let tokens = words.dropFirst().map { PresentationToken($0) }
            do {
                if typeText == "DS" {
                    ds.append(try DSRecord(presentation: tokens, origin: .root))
                } else {
                    let key = try DNSKEYRecord(presentation: tokens, origin: .root)
                    guard key.flags & DNSKEYRecord.zoneKeyFlag != 0, key.protocolValue == 3 else {
                        throw PresentationError("not a zone key (flags \(key.flags), protocol \(key.protocolValue))")
                    }
                    keys.append(key)
                }
            } catch {
                throw fail("\(typeText): \(error)")
            }
            if let zone, zone != owner {
                throw fail("anchors for \(zone) and \(owner): give the anchors of one zone, the join name's")
            }
            zone = owner
        }
        guard let zone else { throw DNSSECError("\(source): no DS or DNSKEY record") }
        self.init(zone: zone, ds: ds, keys: keys)
    }

    /// The records of `text` with the line each starts on: comments dropped, parentheses joined.
    static func records(_ text: String, source: String) throws(DNSSECError) -> [(Int, [String])] {
        var out: [(Int, [String])] = []
        var open = false
        var current: [String] = []
        var start = 0
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if !open { start = i + 1 }
            for word in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
                var w = Substring(word)
                if w.hasPrefix("(") {
                    guard !open else { throw DNSSECError("\(source):\(i + 1): nested parentheses") }
                    open = true
                    w = w.dropFirst()
                }
                if w.hasSuffix(")") {
                    guard open else { throw DNSSECError("\(source):\(i + 1): ')' without '('") }
                    open = false
                    w = w.dropLast()
                }
                if !w.isEmpty { current.append(String(w)) }
            }
            if !open, !current.isEmpty {
                out.append((start, current))
                current = []
            }
        }
        if open { throw DNSSECError("\(source):\(start): '(' is never closed") }
        return out
    }

    /// Whether `key` is one this anchor pins: the same DNSKEY, or the key a DS digests.
    public func pins(_ key: DNSKEYRecord) -> Bool {
        keys.contains { $0 == key } || ds.contains { DSDigest.matches($0, key, owner: zone) }
    }
}
