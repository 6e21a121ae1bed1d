/// The EDNS COOKIE option (RFC 7873 section 4).
///
///     OPTION-CODE   10
///     OPTION-LENGTH 8 (client cookie only) or 16 to 40 (client cookie and server cookie)
///     Client Cookie 8 octets, chosen by the client per server
///     Server Cookie 8 to 32 octets, made by the server (RFC 9018: 16 octets, see `ServerCookies`)
///
/// "If the COOKIE option is too short to contain a Client Cookie, or is otherwise malformed, a
/// FORMERR response is returned" (section 5.2.2). A server that knows cookies returns the client
/// cookie with a server cookie of its own in every response to a query that carried one.
public enum DNSCookie {
    public static let optionCode: UInt16 = 10
    public static let clientLength = 8
    /// The option's valid lengths: a client cookie alone, or with a server cookie of 8 to 32 octets.
    @inline(__always)
    public static func isValidLength(_ length: Int) -> Bool { length == 8 || (length >= 16 && length <= 40) }
    /// BADCOOKIE (RFC 7873 section 8): an extended RCODE, 23: header RCODE 7, OPT extended RCODE 1.
    public static let badCookie = ResponseCode(rawValue: 23)
}

/// A 16-octet server cookie as two big-endian words (octets 0-7 and 8-15): what the query path
/// writes into a response without an allocation.
public struct ServerCookieValue: Sendable, Equatable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init?(_ bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        high = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    public var bytes: [UInt8] {
        (0..<16).map { k in UInt8(truncatingIfNeeded: (k < 8 ? high : low) >> UInt64(56 - 8 * (k % 8))) }
    }
}
