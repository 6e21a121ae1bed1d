import DNSWire
import NetAddress
import NIOCore

/// The stage before and after answering when `limits` hold something: server cookies (RFC 7873,
/// RFC 9018) are checked and returned, and UDP responses are rate limited (BIND's and Knot's RRL).
/// Clients with a valid server cookie, exempt networks and TCP are never limited. A limited
/// response is dropped, or every `slip`-th sent as a small truncated answer (BADCOOKIE with a
/// fresh cookie to a client that sent one), so a real client behind a spoofed flood still gets
/// through: over TCP, or with the cookie that exempts it. Neither ever sends more than it got.
extension ResponseBuilder {
    func respondLimited(
        view: inout DNSQueryView, bytes: UnsafeRawBufferPointer, source: IPAddress?, transport: Transport,
        cache: GeoAnswerCache?, counters: CounterCells?, clock given: QueryClock?, start: Int,
        into out: inout ByteBuffer
    ) -> Bool {
        // The clock is read only when a cookie or an account needs it (an exempt client's query
        // never does); the UDP workers read it once per batch and pass it in.
        var clock = given
        var validCookie = false
        if view.hasCookie, let cookies = limits.cookies, let source {
            if clock == nil { clock = .now() }
            let (check, reply) = cookies.check(view, query: bytes, client: source, now: clock!.unixSeconds)
            view.replyServerCookie = reply
            validCookie = check == .valid
            counters?.cookie(check)
        }
        guard
            let zone = write(
                view: view, bytes: bytes, source: source, cache: cache, counters: counters, into: &out,
                transport: transport)
        else { return false }
        if transport == .udp, !validCookie, let limiter = limits.rateLimiter, let source, !limiter.isExempt(source) {
            let kind = Self.rateLimitKind(out, at: start)
            let name = kind == .answer ? view.qnameHash : UInt64(bitPattern: Int64(zone))
            let now = (clock ?? .now()).monotonicSeconds
            if limiter.limits(client: source, kind: kind, name: name, now: now) {
                let slips = limiter.noteLimited(client: source, kind: kind, now: now)
                if limiter.settings.logOnly {
                    counters?.rateLimited(.logged)
                } else if slips {
                    counters?.rateLimited(.slipped)
                    out.moveWriterIndex(to: start)
                    writeSlipped(view: view, bytes: bytes, into: &out)
                } else {
                    counters?.rateLimited(.dropped)
                    out.moveWriterIndex(to: start)
                    return false
                }
            }
        }
        if let counters { count(view, transport: transport, source: source, zone: zone, from: start, out, counters) }
        return true
    }

    /// What a written response is, for rate limiting: from its header's RCODE and answer count.
    @inline(__always)
    static func rateLimitKind(_ out: ByteBuffer, at start: Int) -> ResponseRateLimiter.Kind {
        let flags = out.getInteger(at: start + 2, as: UInt16.self) ?? 0
        let answers = out.getInteger(at: start + 6, as: UInt16.self) ?? 0
        switch flags & 0xF {
        case 0: return answers > 0 ? .answer : .noData
        case 3: return .nxDomain
        default: return .error
        }
    }

    /// The slipped form of a limited response: BADCOOKIE with a fresh server cookie when the query
    /// carried a client cookie (the client retries with it and is exempt, RFC 7873 5.2.3), else
    /// TC with the question only (the client retries over TCP). Either is no larger than the query
    /// plus its cookie's server part.
    func writeSlipped(view: DNSQueryView, bytes: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        if view.replyServerCookie != nil {
            writeError(DNSCookie.badCookie, view: view, bytes: bytes, into: &out)
            return
        }
        let edns: UInt16 = view.hasEDNS ? 1 : 0
        writeHeader(
            view: view, flags: DNSHeader.Flag.truncated.rawValue, counts: (view.hasQuestion ? 1 : 0, 0, 0, edns),
            into: &out)
        if view.hasQuestion { out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[12..<view.questionEnd])) }
        if view.hasEDNS { writeOPT(view: view, into: &out) }
    }
}
