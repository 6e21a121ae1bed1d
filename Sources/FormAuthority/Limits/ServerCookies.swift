import DNSWire
import NetAddress

/// Server cookies as RFC 9018 makes them, so every authority of a fleet given the same secret
/// makes and accepts the same cookies (and so would BIND, Knot or unbound with that secret):
///
///     Version (1) = 1 | Reserved (3) = 0 | Timestamp (4, Unix seconds) | Hash (8)
///     Hash = SipHash-2-4(Client Cookie | Version | Reserved | Timestamp | Client-IP, Server Secret)
///
/// A cookie is valid while its timestamp is at most an hour old and at most five minutes ahead
/// (section 4.3); a new one is made when the client's is half an hour old, else it is returned as
/// it came (no hash to compute). Validity is checked with the current secret, then the previous
/// one, so a secret can be rotated across the fleet without turning every client away (section 5).
/// Pure: the time is given.
public struct ServerCookies: Sendable, Equatable {
    public enum Check: Sendable, Equatable {
        /// A client cookie only (or a server cookie not of RFC 9018's form): answered with a new one.
        case clientOnly
        /// A server cookie this server (or the fleet) made for this client within the hour.
        case valid
        /// A server cookie of the right form that is wrong, expired or from the future.
        case invalid
    }

    public let current: SipHash24
    public let previous: SipHash24?

    public init(current: SipHash24, previous: SipHash24? = nil) {
        self.current = current
        self.previous = previous
    }

    static let lifetime: UInt32 = 3600
    static let renewAfter: UInt32 = 1800
    static let future: UInt32 = 300

    /// Checks the cookie `view` carries (`view.hasCookie` must hold) from `client` at `now`, and
    /// says which server cookie the response carries.
    public func check(_ view: DNSQueryView, query: UnsafeRawBufferPointer, client: IPAddress, now: UInt32)
        -> (Check, ServerCookieValue)
    {
        let fresh = { make(clientCookie: view.clientCookie, client: client, now: now) }
        guard view.cookieLength == 24, view.serverCookieOffset > 0, view.serverCookieOffset + 16 <= query.count
        else { return (.clientOnly, fresh()) }
        var high: UInt64 = 0, low: UInt64 = 0
        for k in 0..<8 {
            high = high << 8 | UInt64(query[view.serverCookieOffset + k])
            low = low << 8 | UInt64(query[view.serverCookieOffset + 8 + k])
        }
        let presented = ServerCookieValue(high: high, low: low)
        // Version 1, reserved zero; another form is some other server's cookie: make ours.
        guard high >> 32 == 0x0100_0000 else { return (.clientOnly, fresh()) }
        let stamp = UInt32(truncatingIfNeeded: high)
        // RFC 1982 serial arithmetic: age wraps like the timestamp does.
        let age = now &- stamp
        let ahead = stamp &- now
        guard age <= Self.lifetime || ahead <= Self.future else { return (.invalid, fresh()) }
        let ours = hash(current, clientCookie: view.clientCookie, stamp: stamp, client: client) == low
        let rotated = !ours && previous.map { hash($0, clientCookie: view.clientCookie, stamp: stamp, client: client) }
            == low
        guard ours || rotated else { return (.invalid, fresh()) }
        // Made with the previous secret, or getting old: a new one with the current secret.
        if rotated || (age <= Self.lifetime && age > Self.renewAfter) { return (.valid, fresh()) }
        return (.valid, presented)
    }

    /// The server cookie for `clientCookie` from `client` at `now`, with the current secret.
    public func make(clientCookie: UInt64, client: IPAddress, now: UInt32) -> ServerCookieValue {
        ServerCookieValue(
            high: 0x0100_0000_0000_0000 | UInt64(now),
            low: hash(current, clientCookie: clientCookie, stamp: now, client: client))
    }

    /// The hash octets as the cookie carries them (the SipHash output is little-endian on the
    /// wire), as a big-endian word like the rest of `ServerCookieValue`.
    func hash(_ key: SipHash24, clientCookie: UInt64, stamp: UInt32, client: IPAddress) -> UInt64 {
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { buffer -> UInt64 in
            let p = buffer.baseAddress!
            p.storeBytes(of: clientCookie.bigEndian, toByteOffset: 0, as: UInt64.self)
            p.storeBytes(of: (0x0100_0000_0000_0000 | UInt64(stamp)).bigEndian, toByteOffset: 8, as: UInt64.self)
            let length: Int
            if client.isIPv4 {
                let v4 = UInt32(truncatingIfNeeded: client.high >> 32)
                p.storeBytes(of: v4.bigEndian, toByteOffset: 16, as: UInt32.self)
                length = 20
            } else {
                p.storeBytes(of: client.high.bigEndian, toByteOffset: 16, as: UInt64.self)
                p.storeBytes(of: client.low.bigEndian, toByteOffset: 24, as: UInt64.self)
                length = 32
            }
            return key.hash(UnsafeRawBufferPointer(start: p, count: length)).byteSwapped
        }
    }
}
