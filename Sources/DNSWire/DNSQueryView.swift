import NIOCore

/// A zero-allocation view of an incoming query: what a server needs to answer it (header,
/// the single question, EDNS parameters, the Client Subnet option) read straight from the datagram.
///
/// This is the server hot path's parser. It never allocates and never traps; the outcome is one of
/// `Disposition`, mirroring what a server must do with the datagram (RFC 1035, 6891, 7871):
/// drop it, answer FORMERR/NOTIMP/BADVERS, or answer the question.
public struct DNSQueryView: Sendable {
    public enum Disposition: Sendable, Equatable {
        /// Well-formed standard query.
        case answer
        /// Too short for a header, or a response (QR=1): answering could start a loop.
        case drop
        /// Malformed: answer FORMERR (with the question if it could be read).
        case formErr
        /// Opcode other than QUERY: answer NOTIMP.
        case notImp
        /// EDNS version > 0: answer BADVERS (RFC 6891 section 6.1.3).
        case badVers
    }

    public var disposition: Disposition = .drop
    public var id: UInt16 = 0
    public var flags: UInt16 = 0
    /// Message-relative offset just past QCLASS; 12 when no question could be read.
    public var questionEnd: Int = 12
    /// Wire length of QNAME (which starts at offset 12, uncompressed).
    public var qnameLength: Int = 0
    /// FNV-1a over the case-folded QNAME wire bytes, for answer-table lookup.
    public var qnameHash: UInt64 = 0
    public var qtype: UInt16 = 0
    public var qclass: UInt16 = 0
    public var hasEDNS = false
    public var udpPayloadSize: UInt16 = 0
    public var ednsVersion: UInt8 = 0
    public var dnssecOK = false
    /// The EDNS CO flag (RFC 9824 section 4): the client takes NXDOMAIN with a compact denial.
    public var compactOK = false
    /// 0 when absent; otherwise RFC 7871 FAMILY (1 or 2).
    public var ecsFamily: UInt16 = 0
    public var ecsSourcePrefix: UInt8 = 0
    public var ecsScopePrefix: UInt8 = 0
    /// ECS address, left-aligned big-endian: `ecsAddressHigh` holds octets 0-7, `ecsAddressLow` 8-15.
    public var ecsAddressHigh: UInt64 = 0
    public var ecsAddressLow: UInt64 = 0
    /// The COOKIE option's length (RFC 7873): 0 when absent, else 8 (client cookie only) or 16-40.
    public var cookieLength = 0
    /// The client cookie, big-endian; meaningful when `cookieLength > 0`.
    public var clientCookie: UInt64 = 0
    /// Message offset of the server cookie (after the client cookie) when `cookieLength > 8`.
    public var serverCookieOffset = 0
    /// Set by the server before it answers, not by the parse: the server cookie the response
    /// carries with `clientCookie` (a query without a COOKIE option gets none).
    public var replyServerCookie: ServerCookieValue? = nil

    public var hasQuestion: Bool { questionEnd > 12 }
    public var opcode: UInt8 { UInt8((flags >> 11) & 0xF) }
    public var hasClientSubnet: Bool { ecsFamily != 0 }
    public var hasCookie: Bool { cookieLength > 0 }

    /// The largest response this query lets us send over UDP, capped by our own limit.
    public func udpResponseLimit(serverMax: Int) -> Int {
        hasEDNS ? min(max(512, Int(udpPayloadSize)), serverMax) : 512
    }

    public init() {}

    public init(parsing buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { DNSQueryView(bytes: $0) }
    }

    public init(bytes p: UnsafeRawBufferPointer) {
        let n = p.count
        guard n >= 12 else { return }
        @inline(__always) func u16(_ i: Int) -> UInt16 { UInt16(p[i]) << 8 | UInt16(p[i + 1]) }
        id = u16(0)
        flags = u16(2)
        guard flags & 0x8000 == 0 else { return }  // a response: drop
        let qd = u16(4), an = u16(6), ns = u16(8), ar = u16(10)
        disposition = .formErr
        guard qd == 1 else {
            if opcode != 0 { disposition = .notImp }
            return
        }
        // QNAME: plain labels only. A pointer here could only point into the header.
        var i = 12
        var hash = FoldedNameHash.start
        while true {
            guard i < n else { return }
            let len = Int(p[i])
            hash = FoldedNameHash.step(hash, p[i])
            if len == 0 {
                i += 1
                break
            }
            guard len <= 63, i + 1 + len < n else { return }
            for k in (i + 1)...(i + len) { hash = FoldedNameHash.step(hash, p[k]) }
            i += 1 + len
            guard i - 12 < 255 else { return }
        }
        guard i + 4 <= n else { return }
        qnameLength = i - 12
        qnameHash = hash
        qtype = u16(i)
        qclass = u16(i + 2)
        i += 4
        questionEnd = i
        if opcode != 0 {
            disposition = .notImp
            return
        }

        // Skip answer and authority records (unusual in a query, but legal).
        var skip = Int(an) + Int(ns)
        while skip > 0 {
            guard let next = DNSQueryView.skipRecord(p, i) else { return }
            i = next.end
            skip -= 1
        }
        var remaining = Int(ar)
        while remaining > 0 {
            guard let rec = DNSQueryView.skipRecord(p, i) else { return }
            if rec.type == 41 {
                // RFC 6891 6.1.1: one OPT, owned by the root.
                guard !hasEDNS, rec.ownerIsRoot else { return }
                hasEDNS = true
                udpPayloadSize = u16(rec.fixedStart + 2)
                ednsVersion = p[rec.fixedStart + 5]
                dnssecOK = p[rec.fixedStart + 6] & 0x80 != 0
                compactOK = p[rec.fixedStart + 6] & 0x40 != 0
                guard parseOptions(p, from: rec.rdataStart, to: rec.end) else { return }
            }
            i = rec.end
            remaining -= 1
        }
        guard i == n else { return }  // trailing garbage
        disposition = (hasEDNS && ednsVersion > 0) ? .badVers : .answer
    }

    /// Reads EDNS options; returns false on malformed option framing, an invalid ECS option or a
    /// COOKIE of a length RFC 7873 does not allow (either twice: FORMERR as well).
    private mutating func parseOptions(_ p: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Bool {
        var i = start
        while i < end {
            guard i + 4 <= end else { return false }
            let code = UInt16(p[i]) << 8 | UInt16(p[i + 1])
            let len = Int(UInt16(p[i + 2]) << 8 | UInt16(p[i + 3]))
            i += 4
            guard i + len <= end else { return false }
            if code == ClientSubnet.optionCode {
                guard ecsFamily == 0, len >= 4 else { return false }
                let family = UInt16(p[i]) << 8 | UInt16(p[i + 1])
                let source = Int(p[i + 2]), scope = Int(p[i + 3])
                let maxBits = family == 1 ? 32 : family == 2 ? 128 : 0
                // RFC 7871 7.1.1: unknown family, over-long prefixes or a wrongly sized address -> FORMERR.
                guard maxBits > 0, source <= maxBits, scope <= maxBits, len - 4 == (source + 7) / 8 else {
                    return false
                }
                var high: UInt64 = 0, low: UInt64 = 0
                for k in 0..<(len - 4) {
                    let b = UInt64(p[i + 4 + k])
                    if k < 8 { high |= b << UInt64(56 - 8 * k) } else { low |= b << UInt64(56 - 8 * (k - 8)) }
                }
                // Bits beyond SOURCE PREFIX-LENGTH must be zero.
                if source < 64 {
                    if source == 0 ? high != 0 : (high << UInt64(source)) != 0 { return false }
                    if low != 0 { return false }
                } else if source < 128 {
                    if (low << UInt64(source - 64)) != 0 { return false }
                }
                ecsFamily = family
                ecsSourcePrefix = UInt8(source)
                ecsScopePrefix = UInt8(scope)
                ecsAddressHigh = high
                ecsAddressLow = low
            } else if code == DNSCookie.optionCode {
                guard cookieLength == 0, DNSCookie.isValidLength(len) else { return false }
                cookieLength = len
                var cookie: UInt64 = 0
                for k in 0..<8 { cookie = cookie << 8 | UInt64(p[i + k]) }
                clientCookie = cookie
                serverCookieOffset = len > 8 ? i + 8 : 0
            }
            i += len
        }
        return true
    }

    struct RecordSpan {
        var type: UInt16
        var ownerIsRoot: Bool
        /// Offset of TYPE.
        var fixedStart: Int
        var rdataStart: Int
        var end: Int
    }

    /// Skips one resource record. Its owner name is checked as a whole, compression pointers
    /// followed: a message that does not parse in every section is FORMERR (RFC 1035 4.1).
    /// Whether a query's last record is a TSIG (RFC 8945 5.1: it comes last), reading the
    /// records after its question (which ends at `questionEnd`). For the slow paths only: the
    /// query path's own parse does not look.
    public static func isSigned(_ p: UnsafeRawBufferPointer, questionEnd: Int) -> Bool {
        guard p.count >= 12, questionEnd >= 12 else { return false }
        var remaining = 0
        for at in [6, 8, 10] { remaining += Int(UInt16(p[at]) << 8 | UInt16(p[at + 1])) }
        var i = questionEnd
        var last: UInt16 = 0
        while remaining > 0 {
            guard let record = skipRecord(p, i) else { return false }
            last = record.type
            i = record.end
            remaining -= 1
        }
        return last == 250
    }

    static func skipRecord(_ p: UnsafeRawBufferPointer, _ start: Int) -> RecordSpan? {
        let n = p.count
        var i = start
        var nameLength = 1
        while true {
            guard i < n else { return nil }
            let len = Int(p[i])
            if len == 0 {
                i += 1
                break
            }
            if len & 0xC0 == 0xC0 {
                guard i + 2 <= n, followPointer(p, at: i, nameLength: nameLength) else { return nil }
                i += 2
                break
            }
            guard len & 0xC0 == 0, i + 1 + len <= n else { return nil }
            i += 1 + len
            nameLength += 1 + len
            guard nameLength <= 255 else { return nil }
        }
        let ownerIsRoot = i == start + 1
        guard i + 10 <= n else { return nil }
        let type = UInt16(p[i]) << 8 | UInt16(p[i + 1])
        let rdlength = Int(UInt16(p[i + 8]) << 8 | UInt16(p[i + 9]))
        let rdataStart = i + 10
        guard rdataStart + rdlength <= n else { return nil }
        return RecordSpan(
            type: type, ownerIsRoot: ownerIsRoot, fixedStart: i, rdataStart: rdataStart, end: rdataStart + rdlength)
    }

    /// Checks the rest of a name reached through the pointer at `at`, with `nameLength` octets
    /// already read. Every pointer must point strictly before itself (RFC 1035 4.1.4: to a prior
    /// occurrence), which also rules out loops; the whole name stays within 255 octets.
    static func followPointer(_ p: UnsafeRawBufferPointer, at: Int, nameLength: Int) -> Bool {
        var pointerAt = at
        var length = nameLength
        while true {
            var i = (Int(p[pointerAt]) & 0x3F) << 8 | Int(p[pointerAt + 1])
            guard i < pointerAt else { return false }
            while true {
                let len = Int(p[i])
                if len == 0 { return true }
                if len & 0xC0 == 0xC0 {
                    guard i + 2 <= pointerAt else { return false }
                    pointerAt = i
                    break
                }
                guard len & 0xC0 == 0, i + 1 + len < pointerAt else { return false }
                length += 1 + len
                guard length <= 255 else { return false }
                i += 1 + len
            }
        }
    }

    /// The ECS option as a value (allocates; for the slow path and tools).
    public var clientSubnet: ClientSubnet? {
        guard let family = ClientSubnet.Family(rawValue: ecsFamily) else { return nil }
        var full: [UInt8] = []
        for k in 0..<(family.bitLength / 8) {
            let word = k < 8 ? ecsAddressHigh : ecsAddressLow
            full.append(UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (k % 8))))
        }
        return ClientSubnet(
            family: family, fullAddress: full, sourcePrefixLength: ecsSourcePrefix, scopePrefixLength: ecsScopePrefix)
    }
}

/// FNV-1a over case-folded name wire bytes: the one hash the answer table is keyed by, computed
/// by `DNSQueryView` while it parses QNAME and by everyone else through these functions.
public enum FoldedNameHash {
    public static let start: UInt64 = 0xcbf29ce484222325

    /// One octet more: ASCII letters folded to lower case (label lengths, at most 63, never are).
    @inline(__always)
    public static func step(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        let folded = (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
        return (hash ^ UInt64(folded)) &* 0x100000001b3
    }

    @inline(__always)
    public static func hash(_ wire: UnsafeRawBufferPointer) -> UInt64 {
        var h = start
        for b in wire { h = step(h, b) }
        return h
    }
}

/// `FoldedNameHash` of a name's wire form.
public func foldedNameHash(_ wire: [UInt8]) -> UInt64 {
    wire.withUnsafeBytes { FoldedNameHash.hash($0) }
}
